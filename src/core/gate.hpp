#pragma once
// Bounds concurrent use of an expensive resource (password hashing: 64 MiB each). Up to `slots`
// holders run; up to `queue` more wait; anyone beyond that is turned away at once.
#include <condition_variable>
#include <mutex>

namespace bb::core {

class Gate {
public:
    Gate(int slots, int queue) : free_(slots), queue_limit_(queue) {}

    class Pass {
    public:
        explicit Pass(Gate* gate) : gate_(gate) {}
        Pass(Pass&& o) noexcept : gate_(std::exchange(o.gate_, nullptr)) {}
        Pass& operator=(Pass&&) = delete;
        ~Pass()
        {
            if (gate_ != nullptr) {
                gate_->leave();
            }
        }
        explicit operator bool() const { return gate_ != nullptr; }

    private:
        Gate* gate_;
    };

    // An empty Pass when the queue is full.
    Pass enter()
    {
        std::unique_lock lock(mutex_);
        if (free_ == 0 && waiting_ >= queue_limit_) {
            return Pass(nullptr);
        }
        ++waiting_;
        cv_.wait(lock, [&] { return free_ > 0; });
        --waiting_;
        --free_;
        return Pass(this);
    }

private:
    void leave()
    {
        {
            std::lock_guard lock(mutex_);
            ++free_;
        }
        cv_.notify_one();
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    int free_;
    int waiting_ = 0;
    int queue_limit_;
};

}  // namespace bb::core
