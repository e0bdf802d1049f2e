#pragma once
// Public profiles, serialised once and served from memory until the user changes (what the
// seeds used Redis for). Invalidated by the service's after-commit hooks.
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace bb::users {

class ProfileCache {
public:
    std::shared_ptr<const std::string> get(const std::string& user_id) const
    {
        std::shared_lock lock(mutex_);
        auto it = entries_.find(user_id);
        return it == entries_.end() ? nullptr : it->second;
    }
    void put(const std::string& user_id, std::shared_ptr<const std::string> json)
    {
        std::unique_lock lock(mutex_);
        if (entries_.size() >= kMaxEntries) {
            entries_.clear();
        }
        entries_[user_id] = std::move(json);
    }
    void drop(const std::string& user_id)
    {
        std::unique_lock lock(mutex_);
        entries_.erase(user_id);
    }

private:
    static constexpr std::size_t kMaxEntries = 100000;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<const std::string>> entries_;
};

}  // namespace bb::users
