#include "modules/users/session_cache.hpp"

namespace bb::users {

std::optional<SessionInfo>
SessionCache::get(const std::string& session_id) const
{
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) {
        return std::nullopt;
    }
    return it->second;
}

void
SessionCache::put(const std::string& session_id, SessionInfo info)
{
    std::lock_guard lock(mutex_);
    if (sessions_.size() >= kMaxEntries) {
        sessions_.clear();  // a cache, not the truth: refilled from the database on demand
    }
    sessions_[session_id] = std::move(info);
}

void
SessionCache::drop(const std::string& session_id)
{
    std::lock_guard lock(mutex_);
    sessions_.erase(session_id);
}

void
SessionCache::drop_user(const std::string& user_id)
{
    std::lock_guard lock(mutex_);
    std::erase_if(sessions_, [&](const auto& kv) { return kv.second.user_id == user_id; });
}

}  // namespace bb::users
