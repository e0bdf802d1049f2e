#pragma once
// Search answers by query, for repeated searches (type-ahead makes many).
// - Every commit that changes what search shows records the indexed words of the beats it took
//   out of or put into the index (a new generation). An answer computed before is served only
//   when none of those beats could be in it (its words do not match them); otherwise the next
//   caller recomputes it, and callers asking for the same key meanwhile wait for that one
//   computation instead of repeating it. So an upload called "Night Drive" leaves "trap" cached.
//   (bm25 weights move a little with any insert; that drift is left to the expiry below.)
// - An answer older than a few seconds (play counts and ratings move) is still served while one
//   caller refreshes it, so expiry never makes a crowd wait.
#include "modules/beats/search_terms.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace bb::beats {

class SearchCache {
public:
    using Compute = std::function<std::shared_ptr<const std::string>()>;  // nullptr: failed, not cached

    std::shared_ptr<const std::string> get_or_compute(const std::string& key, const SearchTerms& terms,
                                                      const Compute& compute)
    {
        std::unique_lock lock(mutex_);
        for (;;) {
            auto it = entries_.find(key);
            const bool current = it != entries_.end() && it->second.json && revalidate(it->second);
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
                finish(key, terms, generation, nullptr);
                throw;
            }
            finish(key, terms, generation, json);
            return json;
        }
    }

    // A current answer without waiting or computing (the network thread's fast path).
    std::shared_ptr<const std::string> peek(const std::string& key)
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(key);
        if (it == entries_.end() || !it->second.json || !revalidate(it->second) ||
            (expired(it->second) && !it->second.refreshing)) {
            return nullptr;
        }
        return it->second.json;
    }

    // After the commit that took beats with these words out of the index or put them in.
    void changed(IndexedWords words)
    {
        std::lock_guard lock(mutex_);
        ++generation_;
        changes_.push_back(Change{generation_, std::move(words)});
        if (changes_.size() > kMaxChanges) {
            changes_.pop_front();
        }
    }

private:
    static constexpr std::size_t kMaxEntries = 10000;
    static constexpr std::size_t kMaxChanges = 512;
    static constexpr auto kMaxAge = std::chrono::seconds(5);
    struct Entry {
        std::uint64_t generation = 0;  // the last generation it is known to be right for
        std::chrono::steady_clock::time_point made;
        std::shared_ptr<const std::string> json;
        SearchTerms terms;
        bool refreshing = false;
    };
    struct Change {
        std::uint64_t generation;
        IndexedWords words;
    };

    // True when no change since the entry was last known right could touch it; it is then
    // moved to the current generation, so each change is looked at once per entry. Under mutex_.
    bool revalidate(Entry& e)
    {
        if (e.generation == generation_) {
            return true;
        }
        if (changes_.empty() || changes_.front().generation > e.generation + 1) {
            return false;  // the changes it missed are no longer recorded
        }
        for (auto it = changes_.rbegin(); it != changes_.rend() && it->generation > e.generation; ++it) {
            if (may_match(e.terms, it->words)) {
                return false;
            }
        }
        e.generation = generation_;
        return true;
    }

    // Ages are spread over 3..7 s so answers computed together do not all expire together.
    static bool expired(const Entry& e)
    {
        const auto spread = std::chrono::milliseconds(std::hash<const void*>()(&e) % 4000);
        return std::chrono::steady_clock::now() - e.made > kMaxAge - std::chrono::seconds(2) + spread;
    }

    void finish(const std::string& key,
                const SearchTerms& terms,
                std::uint64_t generation,
                std::shared_ptr<const std::string> json)
    {
        {
            std::lock_guard lock(mutex_);
            auto& entry = entries_[key];
            entry.refreshing = false;
            if (json) {
                entry = Entry{generation, std::chrono::steady_clock::now(), std::move(json), terms, false};
            }
        }
        cv_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::unordered_map<std::string, Entry> entries_;
    std::uint64_t generation_ = 0;
    std::deque<Change> changes_;
};

}  // namespace bb::beats
