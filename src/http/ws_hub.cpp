#include "http/ws_hub.hpp"

namespace bb::http {

void
WsHub::join(const std::string& group, const std::shared_ptr<WsConnection>& conn)
{
    std::lock_guard lock(mutex_);
    groups_[group][conn->id()] = conn;
    memberships_[conn->id()].insert(group);
}

bool
WsHub::admit(const std::string& user_id, int limit)
{
    std::lock_guard lock(users_mutex_);
    int& open = per_user_[user_id];
    if (limit > 0 && open >= limit) {
        if (open == 0) {
            per_user_.erase(user_id);
        }
        return false;
    }
    ++open;
    return true;
}

void
WsHub::release(const std::string& user_id)
{
    std::lock_guard lock(users_mutex_);
    auto it = per_user_.find(user_id);
    if (it != per_user_.end() && --it->second <= 0) {
        per_user_.erase(it);
    }
}

void
WsHub::leave_all(const WsConnection& conn)
{
    std::lock_guard lock(mutex_);
    auto it = memberships_.find(conn.id());
    if (it == memberships_.end()) {
        return;
    }
    for (const auto& group : it->second) {
        auto g = groups_.find(group);
        if (g != groups_.end()) {
            g->second.erase(conn.id());
            if (g->second.empty()) {
                groups_.erase(g);
            }
        }
    }
    memberships_.erase(it);
}

std::size_t
WsHub::count(const std::string& group) const
{
    std::lock_guard lock(mutex_);
    auto g = groups_.find(group);
    return g == groups_.end() ? 0 : g->second.size();
}

std::vector<std::shared_ptr<WsConnection>>
WsHub::members(const std::string& group) const
{
    std::vector<std::shared_ptr<WsConnection>> out;
    std::lock_guard lock(mutex_);
    auto g = groups_.find(group);
    if (g == groups_.end()) {
        return out;
    }
    out.reserve(g->second.size());
    for (const auto& [id, weak] : g->second) {
        if (auto conn = weak.lock()) {
            out.push_back(std::move(conn));
        }
    }
    return out;
}

void
WsHub::send(const std::string& group, std::shared_ptr<const std::string> frame)
{
    for (const auto& conn : members(group)) {
        conn->send(frame);
    }
}

void
WsHub::send(const std::string& group, std::string frame)
{
    send(group, std::make_shared<const std::string>(std::move(frame)));
}

void
WsHub::close(const std::string& group, int code, const std::string& reason)
{
    for (const auto& conn : members(group)) {
        conn->close(code, reason);
    }
}

void
WsHub::close_session(const std::string& session_id, int code, const std::string& reason)
{
    for (const auto& conn : members(kEveryone)) {
        if (conn->principal().session_id == session_id) {
            conn->close(code, reason);
        }
    }
}

void
WsHub::close_account(const std::string& user_id, int code, const std::string& reason)
{
    for (const auto& conn : members(kEveryone)) {
        if (conn->principal().user_id == user_id) {
            conn->close(code, reason);
        }
    }
}

void
WsHub::close_all(int code, const std::string& reason)
{
    close(kEveryone, code, reason);
}

}  // namespace bb::http
