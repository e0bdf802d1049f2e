#pragma once
// Token buckets by key (a client address, an account). Thread-safe; idle buckets are pruned.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace bb::core {

class RateLimiter {
public:
    // Allows `limit` events per `window`, refilled continuously. limit 0 turns it off.
    RateLimiter(int limit, std::chrono::seconds window);

    // Takes one token; on refusal returns the seconds until one is available, else 0.
    int take(const std::string& key);
    // Gives one back (e.g. a login that succeeded does not count as a failure).
    void give_back(const std::string& key);
    bool enabled() const { return limit_ > 0; }

private:
    struct Bucket {
        double tokens;
        std::int64_t updated_ms;
    };
    void refill(Bucket& b, std::int64_t now_ms) const;

    int limit_;
    double per_ms_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
    std::int64_t last_prune_ms_ = 0;
};

}  // namespace bb::core
