#pragma once
// Search answers by query, for repeated searches (type-ahead makes many).
// - An answer computed before the catalogue last changed (a generation bumped after every commit
//   that changes what search shows) is never served: the next caller recomputes it, and callers
//   asking for the same key meanwhile wait for that one computation instead of repeating it.
// - An answer older than a few seconds (play counts and ratings move) is still served while one
//   caller refreshes it, so expiry never makes a crowd wait.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace bb::beats {

class SearchCache {
public:
    using Compute = std::function<std::shared_ptr<const std::string>()>;  // nullptr: failed, not cached

    std::shared_ptr<const std::string> get_or_compute(const std::string& key, const Compute& compute)
    {
        std::unique_lock lock(mutex_);
        for (;;) {
            auto it = entries_.find(key);
            const bool current = it != entries_.end() && it->second.json && it->second.generation == generation_;
            if (current && (it->second.refreshing || !expired(it->second))) {
                return it->second.json;  // fresh, or stale-but-current while someone refreshes
            }
            if (it != entries_.end() && it->second.refreshing) {
                cv_.wait(lock);  // another caller is computing this key for the new generation
                continue;
            }
            if (entries_.size() >= kMaxEntries) {
                entries_.clear();
            }
            auto& entry = entries_[key];
            entry.refreshing = true;
            const auto generation = generation_;
            lock.unlock();
            std::shared_ptr<const std::string> json;
            try {
                json = compute();
            } catch (...) {
                finish(key, generation, nullptr);
                throw;
            }
            finish(key, generation, json);
            return json;
        }
    }

    // A current answer without waiting or computing (the network thread's fast path).
    std::shared_ptr<const std::string> peek(const std::string& key)
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(key);
        if (it == entries_.end() || !it->second.json || it->second.generation != generation_ ||
            (expired(it->second) && !it->second.refreshing)) {
            return nullptr;
        }
        return it->second.json;
    }

    void changed()
    {
        std::lock_guard lock(mutex_);
        ++generation_;
    }

private:
    static constexpr std::size_t kMaxEntries = 10000;
    static constexpr auto kMaxAge = std::chrono::seconds(5);
    struct Entry {
        std::uint64_t generation = 0;
        std::chrono::steady_clock::time_point made;
        std::shared_ptr<const std::string> json;
        bool refreshing = false;
    };

    // Ages are spread over 3..7 s so answers computed together do not all expire together.
    static bool expired(const Entry& e)
    {
        const auto spread = std::chrono::milliseconds(std::hash<const void*>()(&e) % 4000);
        return std::chrono::steady_clock::now() - e.made > kMaxAge - std::chrono::seconds(2) + spread;
    }

    void finish(const std::string& key, std::uint64_t generation, std::shared_ptr<const std::string> json)
    {
        {
            std::lock_guard lock(mutex_);
            auto& entry = entries_[key];
            entry.refreshing = false;
            if (json) {
                entry = Entry{generation, std::chrono::steady_clock::now(), std::move(json), false};
            }
        }
        cv_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::unordered_map<std::string, Entry> entries_;
    std::uint64_t generation_ = 0;
};

}  // namespace bb::beats
