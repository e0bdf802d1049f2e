#include "modules/beats/intake.hpp"

#include <boost/asio/post.hpp>

namespace bb::beats {

bool
UploadIntake::submit(std::function<void()> task)
{
    if (waiting_.fetch_add(1) >= threads_ + kQueue) {
        waiting_.fetch_sub(1);
        return false;
    }
    boost::asio::post(pool_, [this, task = std::move(task)] {
        task();
        waiting_.fetch_sub(1);
    });
    return true;
}

}  // namespace bb::beats
