#pragma once
// Serialised answers by id (a public profile, a beat), served from memory until what they show
// changes: what the seeds used Redis for. Owners drop entries from after-commit hooks, so a
// reader never sees a stale value after a write it was told about. Bounded: when full it is
// cleared and refilled on demand.
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace bb::core {

class StringCache {
public:
    explicit StringCache(std::size_t max_entries = 100000) : max_entries_(max_entries) {}

    std::shared_ptr<const std::string> get(const std::string& id) const
    {
        std::shared_lock lock(mutex_);
        auto it = entries_.find(id);
        return it == entries_.end() ? nullptr : it->second;
    }
    void put(const std::string& id, std::shared_ptr<const std::string> value)
    {
        std::unique_lock lock(mutex_);
        if (entries_.size() >= max_entries_) {
            entries_.clear();
        }
        entries_[id] = std::move(value);
    }
    void drop(const std::string& id)
    {
        std::unique_lock lock(mutex_);
        entries_.erase(id);
    }

private:
    std::size_t max_entries_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<const std::string>> entries_;
};

}  // namespace bb::core
