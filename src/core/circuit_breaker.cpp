#include "core/circuit_breaker.hpp"

#include <algorithm>
#include <utility>

namespace bb::core {

CircuitBreaker::CircuitBreaker(int failure_threshold, std::chrono::milliseconds cooldown, Now now)
    : threshold_(std::max(1, failure_threshold)), cooldown_(cooldown), now_(std::move(now))
{
}

bool
CircuitBreaker::allow()
{
    const auto now = now_();
    std::lock_guard lock(mutex_);
    switch (state_) {
        case State::kClosed:
            return true;
        case State::kOpen:
            if (now - opened_at_ < cooldown_) {
                return false;
            }
            state_ = State::kHalfOpen;
            trial_started_at_ = now;
            return true;
        case State::kHalfOpen:
            // One trial at a time; a trial that never reported back (its caller lost the
            // outcome) must not keep the circuit shut forever.
            if (now - trial_started_at_ < cooldown_) {
                return false;
            }
            trial_started_at_ = now;
            return true;
    }
    return false;
}

void
CircuitBreaker::record_success()
{
    std::lock_guard lock(mutex_);
    state_ = State::kClosed;
    failures_ = 0;
}

void
CircuitBreaker::record_failure()
{
    const auto now = now_();
    std::lock_guard lock(mutex_);
    switch (state_) {
        case State::kClosed:
            if (++failures_ >= threshold_) {
                state_ = State::kOpen;
                opened_at_ = now;
            }
            break;
        case State::kHalfOpen:
            state_ = State::kOpen;
            opened_at_ = now;
            break;
        case State::kOpen:
            // A call that was already in flight when the circuit opened: the cool-down stands.
            break;
    }
}

CircuitBreaker::State
CircuitBreaker::state() const
{
    const auto now = now_();
    std::lock_guard lock(mutex_);
    if (state_ == State::kOpen && now - opened_at_ >= cooldown_) {
        return State::kHalfOpen;  // the next allow() gets the trial
    }
    return state_;
}

std::chrono::milliseconds
CircuitBreaker::retry_after() const
{
    const auto now = now_();
    std::lock_guard lock(mutex_);
    if (state_ != State::kOpen) {
        return std::chrono::milliseconds(0);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(opened_at_ + cooldown_ - now);
    return std::max(left, std::chrono::milliseconds(0));
}

int
CircuitBreaker::retry_after_s() const
{
    const auto ms = retry_after().count();
    return std::max<int>(1, static_cast<int>((ms + 999) / 1000));
}

}  // namespace bb::core
