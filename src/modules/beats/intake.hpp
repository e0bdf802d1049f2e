#pragma once
// Where uploads wait for a media worker to check them: a few threads of their own with a bounded
// queue, so a burst of uploads neither holds the shared request threads (other users' requests
// go on) nor waits without end: past the queue an upload is refused at once (503 media_busy).
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <functional>

namespace bb::beats {

class UploadIntake {
public:
    static constexpr int kQueue = 16;  // uploads waiting beyond the ones being checked

    explicit UploadIntake(int threads) : pool_(static_cast<std::size_t>(threads)), threads_(threads) {}
    ~UploadIntake() { pool_.join(); }

    // Runs task on an intake thread; false (task not run) when the queue is full.
    bool submit(std::function<void()> task);

private:
    boost::asio::thread_pool pool_;
    int threads_;
    std::atomic<int> waiting_{0};
};

}  // namespace bb::beats
