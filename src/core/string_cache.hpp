#pragma once
// Serialised answers by id (a public profile, a beat), served from memory until what they show
// changes: what the seeds used Redis for. Owners drop entries from after-commit hooks, so a
// reader never sees a stale value after a write it was told about. Bounded: when full it is
// cleared and refilled on demand.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <type_traits>
#include <unordered_map>

namespace bb::core {

class StringCache {
public:
    explicit StringCache(std::size_t max_entries = 100000) : max_entries_(max_entries) {}

    // The cached value for id, or make()'s (a Result holding the value), kept for next time. A
    // value made while a drop happened is returned but not kept: it may have been read before
    // the write that dropped it, and keeping it would serve that stale value until the next change.
    template <class Make>
    auto get_or_make(const std::string& id, Make&& make) -> std::invoke_result_t<Make&>
    {
        if (auto hit = get(id)) {
            return hit;
        }
        const auto ticket = drops_.load();
        auto made = make();
        if (made) {
            std::unique_lock lock(mutex_);
            if (drops_.load() == ticket) {
                if (entries_.size() >= max_entries_) {
                    entries_.clear();
                }
                entries_[id] = *made;
            }
        }
        return made;
    }
    void drop(const std::string& id)
    {
        std::unique_lock lock(mutex_);
        entries_.erase(id);
        ++drops_;
    }

private:
    std::shared_ptr<const std::string> get(const std::string& id) const
    {
        std::shared_lock lock(mutex_);
        auto it = entries_.find(id);
        return it == entries_.end() ? nullptr : it->second;
    }

    std::size_t max_entries_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<const std::string>> entries_;
    std::atomic<std::uint64_t> drops_{0};
};

}  // namespace bb::core
