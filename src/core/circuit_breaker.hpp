#pragma once
// A circuit breaker for calls to a remote service. Closed: calls go through and consecutive
// failures are counted. After `failure_threshold` of them it opens: calls fail fast for the
// cool-down. Then it is half-open: one trial call goes through (others still fail fast); its
// success closes the circuit, its failure opens it for another cool-down. Thread-safe.
//
//     if (!breaker.allow()) { return unavailable(breaker.retry_after()); }
//     auto r = call();
//     r ? breaker.record_success() : breaker.record_failure();
//
// Every allow() that returned true must be followed by exactly one record_*(); an outcome that
// says nothing about the remote's health (a refused request, say) is a success.
#include <chrono>
#include <functional>
#include <mutex>

namespace bb::core {

class CircuitBreaker {
public:
    enum class State { kClosed, kOpen, kHalfOpen };
    using Clock = std::chrono::steady_clock;
    using Now = std::function<Clock::time_point()>;  // injectable for tests

    // failure_threshold < 1 is treated as 1.
    CircuitBreaker(int failure_threshold, std::chrono::milliseconds cooldown, Now now = &Clock::now);

    // Whether a call may go ahead now. When the cool-down has passed, the first caller gets the
    // half-open trial. A trial that never reports back frees the slot after another cool-down.
    bool allow();
    void record_success();
    void record_failure();

    State state() const;
    // How long until a call may be tried again: the rest of the cool-down, 0 when closed or when
    // a trial is due. retry_after_s() rounds up to whole seconds, at least 1 (for Retry-After).
    std::chrono::milliseconds retry_after() const;
    int retry_after_s() const;

private:
    const int threshold_;
    const std::chrono::milliseconds cooldown_;
    const Now now_;
    mutable std::mutex mutex_;
    State state_ = State::kClosed;  // kOpen also covers "cool-down over, trial not yet taken"
    int failures_ = 0;
    Clock::time_point opened_at_{};
    Clock::time_point trial_started_at_{};
};

}  // namespace bb::core
