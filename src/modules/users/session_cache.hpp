#pragma once
// Sessions by id, cached so that checking a token costs no database read after the first, and
// dropped on logout, password change and account deletion so revocation is immediate.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace bb::users {

struct SessionInfo {
    std::string user_id;
    std::string role;
    std::int64_t expires_ms = 0;
    bool revoked = false;
};

class SessionCache {
public:
    std::optional<SessionInfo> get(const std::string& session_id) const;
    void put(const std::string& session_id, SessionInfo info);
    void drop(const std::string& session_id);
    void drop_user(const std::string& user_id);

private:
    static constexpr std::size_t kMaxEntries = 100000;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, SessionInfo> sessions_;
};

}  // namespace bb::users
