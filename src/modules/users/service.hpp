#pragma once
// The users domain: accounts, sessions and follows. Takes and returns domain types; knows
// nothing of HTTP. Every write goes through the core's single writer with its events.
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/rate_limiter.hpp"
#include "http/request.hpp"
#include "modules/users/email_flows.hpp"
#include "modules/users/passwords.hpp"
#include "modules/users/session_cache.hpp"
#include "modules/users/users.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace bb::http {
class WsHub;
}

namespace bb::users {

struct Account {
    std::string id;
    std::string username;
    std::string email;
    std::string bio;
    std::optional<std::string> avatar_url;
    std::string role;
    std::int64_t created_ms = 0;
    std::int64_t beats_count = 0;
    std::int64_t followers_count = 0;
    std::int64_t following_count = 0;
    bool email_verified = false;
};

struct IssuedToken {
    std::string token;
    std::int64_t expires_ms = 0;
};

struct SignedIn {
    Account account;
    IssuedToken token;
};

struct ProfileChanges {
    std::optional<std::string> username;
    std::optional<std::string> email;
    std::optional<std::string> bio;
    std::optional<std::string> avatar_url;
};

struct FollowState {
    std::string user_id;
    bool following = false;
    std::int64_t followers_count = 0;
};

class Service {
public:
    struct Settings {
        int token_ttl_s = 7 * 24 * 3600;
        int hash_slots = 2;
        int hash_queue = 64;
        std::string public_url;  // links in mail point here
    };
    // on_changed(user_id) runs after a commit that changed what others see of that user.
    Service(core::Db& db, const std::string& secret, Settings settings, std::function<void(const std::string&)> on_changed,
            http::WsHub& hub, mail::MailModule& mail);

    core::Result<SignedIn> signup(const NewUser& input);
    core::Result<SignedIn> login(const std::string& identifier, const std::string& password);
    core::Result<Account> account(const std::string& user_id) const;
    core::Result<Account> update_profile(const std::string& user_id, const ProfileChanges& changes);
    core::Result<void> logout(const http::Principal& who, const std::optional<std::string>& token);
    core::Result<void> remove(const http::Principal& who, const std::string& user_id);
    core::Result<void> change_password(const http::Principal& who, const std::string& current, const std::string& next);
    core::Result<FollowState> follow(const http::Principal& who, const std::string& user_id, bool follow);
    core::Result<FollowState> follow_state(const http::Principal& who, const std::string& user_id) const;
    core::Result<http::Principal> authenticate(std::string_view token);
    std::optional<UserSummary> find(std::string_view id_or_username) const;
    std::vector<std::string> followers_of(const std::string& user_id, const std::string& after, int limit) const;
    core::Result<void> add_beats(const std::string& user_id, int delta, core::Tx& tx);
    std::optional<std::string> email_of(const std::string& user_id) const;
    core::Result<void> suspend(core::Tx& tx, const std::string& user_id, const std::string& reason);
    core::Result<void> unsuspend(core::Tx& tx, const std::string& user_id);
    EmailFlows& email_flows() { return flows_; }

private:
    core::Result<IssuedToken> issue_token(core::Tx& tx, const std::string& user_id);
    void revoke_sessions(core::Tx& tx, const std::string& user_id, const std::string& except_session);

    core::Db& db_;
    const std::string& secret_;
    Settings settings_;
    Passwords passwords_;
    SessionCache sessions_;
    core::RateLimiter failed_logins_;
    std::function<void(const std::string&)> on_changed_;
    http::WsHub& hub_;
    EmailFlows flows_;
};

// Input rules, shared by signup, profile update and the CLI. Each returns the problem or "".
std::string check_username(const std::string& username);
std::string check_email(const std::string& email);
std::string check_password(const std::string& password);

}  // namespace bb::users
