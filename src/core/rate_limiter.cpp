#include "core/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace bb::core {
namespace {
std::int64_t
steady_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}
}  // namespace

RateLimiter::RateLimiter(int limit, std::chrono::seconds window)
    : limit_(limit), per_ms_(limit > 0 ? static_cast<double>(limit) / (window.count() * 1000.0) : 0)
{
}

void
RateLimiter::refill(Bucket& b, std::int64_t now_ms) const
{
    b.tokens = std::min<double>(limit_, b.tokens + static_cast<double>(now_ms - b.updated_ms) * per_ms_);
    b.updated_ms = now_ms;
}

int
RateLimiter::take(const std::string& key)
{
    if (limit_ <= 0) {
        return 0;
    }
    const auto now = steady_ms();
    std::lock_guard lock(mutex_);
    if (now - last_prune_ms_ > 60'000) {
        // A full bucket carries no information: drop it.
        for (auto it = buckets_.begin(); it != buckets_.end();) {
            refill(it->second, now);
            it = it->second.tokens >= limit_ ? buckets_.erase(it) : std::next(it);
        }
        last_prune_ms_ = now;
    }
    auto [it, inserted] = buckets_.try_emplace(key, Bucket{static_cast<double>(limit_), now});
    Bucket& b = it->second;
    refill(b, now);
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return 0;
    }
    return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / per_ms_ / 1000.0)));
}

void
RateLimiter::give_back(const std::string& key)
{
    if (limit_ <= 0) {
        return;
    }
    std::lock_guard lock(mutex_);
    if (auto it = buckets_.find(key); it != buckets_.end()) {
        it->second.tokens = std::min<double>(limit_, it->second.tokens + 1.0);
    }
}

}  // namespace bb::core
