#include "modules/users/service.hpp"

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/jwt.hpp"
#include "core/log.hpp"
#include "http/ws_hub.hpp"

#include <algorithm>

namespace bb::users {
namespace {

constexpr const char* kSelectAccount =
    "SELECT id, username, email, bio, avatar_url, role, created_ms, beats_count, "
    "(SELECT COUNT(*) FROM users_follows WHERE followee_id = a.id), "
    "(SELECT COUNT(*) FROM users_follows WHERE follower_id = a.id), email_verified_ms "
    "FROM users_accounts a WHERE id = ? AND deleted_ms IS NULL";
constexpr const char* kSelectLogin =
    "SELECT id, password_hash, suspended_ms FROM users_accounts WHERE (username_key = ?1 OR email_key = ?1) "
    "AND deleted_ms IS NULL";
constexpr const char* kSelectSession =
    "SELECT s.user_id, s.expires_ms, s.revoked_ms, a.role, a.deleted_ms FROM users_sessions s "
    "JOIN users_accounts a ON a.id = s.user_id WHERE s.id = ?";
constexpr const char* kInsertAccount =
    "INSERT INTO users_accounts (id, username, username_key, email, email_key, password_hash, role, created_ms, "
    "updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kInsertSession =
    "INSERT INTO users_sessions (id, user_id, created_ms, expires_ms) VALUES (?, ?, ?, ?)";
constexpr const char* kNameTaken =
    "SELECT 1 FROM users_accounts WHERE username_key = ? AND id != ?";
constexpr const char* kEmailTaken =
    "SELECT 1 FROM users_accounts WHERE email_key = ? AND id != ?";

std::string
lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::size_t
utf8_length(std::string_view s)
{
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](unsigned char c) { return (c & 0xc0) != 0x80; }));
}

core::Error
invalid_credentials()
{
    return core::Error{core::Code::kUnauthorized, "invalid_credentials", "wrong username, email or password", {}};
}

Account
read_account(core::Query& q)
{
    return Account{q.text(0), q.text(1), q.text(2), q.text(3), q.opt_text(4), q.text(5), q.int64(6),
                   q.int64(7), q.int64(8), q.int64(9), !q.is_null(10)};
}

bool
exists(core::Tx& tx, const char* sql, const std::string& key, const std::string& except_id)
{
    auto q = tx.query(sql);
    q.bind(key, except_id);
    return q.step();
}

}  // namespace

std::string
check_username(const std::string& username)
{
    if (username.size() < 3 || username.size() > 32) {
        return "must be 3 to 32 characters";
    }
    const bool ok = std::all_of(username.begin(), username.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '.' || c == '-';
    });
    return ok ? "" : "may contain only letters, digits, '_', '.' and '-'";
}

std::string
check_email(const std::string& email)
{
    const auto at = email.find('@');
    const bool ok = email.size() <= 254 && at != std::string::npos && at > 0 && email.find('@', at + 1) == std::string::npos &&
                    email.find('.', at + 2) != std::string::npos && email.back() != '.' &&
                    std::none_of(email.begin(), email.end(), [](unsigned char c) { return std::isspace(c) || c < 0x20; });
    return ok ? "" : "must be an email address";
}

std::string
check_password(const std::string& password)
{
    const auto n = utf8_length(password);
    return n < 8 || n > 128 ? "must be 8 to 128 characters" : "";
}

Service::Service(core::Db& db, const std::string& secret, Settings settings,
                 std::function<void(const std::string&)> on_changed, http::WsHub& hub, mail::MailModule& mail)
    : db_(db),
      secret_(secret),
      settings_(settings),
      passwords_(settings.hash_slots, settings.hash_queue),
      failed_logins_(5, std::chrono::minutes(5)),
      on_changed_(std::move(on_changed)),
      hub_(hub),
      flows_(db, mail, passwords_, settings.public_url,
             [this](core::Tx& tx, const std::string& user_id) { revoke_sessions(tx, user_id, ""); })
{
}

core::Result<IssuedToken>
Service::issue_token(core::Tx& tx, const std::string& user_id)
{
    const auto now = core::clock::now_ms();
    const auto expires = now + std::int64_t{settings_.token_ttl_s} * 1000;
    const std::string session_id = core::new_id();
    tx.query(kInsertSession).bind(session_id, user_id, now, expires).exec();
    return IssuedToken{core::jwt::sign({user_id, session_id, now / 1000, expires / 1000}, secret_), expires};
}

void
Service::revoke_sessions(core::Tx& tx, const std::string& user_id, const std::string& except_session)
{
    std::vector<std::string> ended;
    {
        auto q = tx.query("SELECT id FROM users_sessions WHERE user_id = ? AND id != ? AND revoked_ms IS NULL");
        q.bind(user_id, except_session);
        while (q.step()) {
            ended.push_back(q.text(0));
        }
    }
    tx.query("UPDATE users_sessions SET revoked_ms = ? WHERE user_id = ? AND id != ? AND revoked_ms IS NULL")
        .bind(core::clock::now_ms(), user_id, except_session)
        .exec();
    tx.after_commit([this, user_id, ended = std::move(ended)] {
        sessions_.drop_user(user_id);
        for (const auto& sid : ended) {  // their open sockets end with them
            hub_.close_session(sid, 1000, "session ended");
        }
    });
}

core::Result<SignedIn>
Service::signup(const NewUser& input)
{
    boost::json::object problems;
    if (auto p = check_username(input.username); !p.empty()) {
        problems["username"] = p;
    }
    if (auto p = check_email(input.email); !p.empty()) {
        problems["email"] = p;
    }
    if (auto p = check_password(input.password); !p.empty()) {
        problems["password"] = p;
    }
    if (!problems.empty()) {
        return core::invalid_fields(std::move(problems));
    }
    // Hashing takes ~50 ms of one core: never inside the write transaction.
    auto hash = passwords_.hash(input.password);
    if (!hash) {
        return hash.error();
    }
    const std::string id = core::new_id();
    try {
        auto signed_in = db_.write([&](core::Tx& tx) -> core::Result<SignedIn> {
            if (exists(tx, kNameTaken, lower(input.username), id)) {
                return core::conflict("username_taken", "that username is taken");
            }
            if (exists(tx, kEmailTaken, lower(input.email), id)) {
                return core::conflict("email_taken", "an account with that email exists");
            }
            const auto now = core::clock::now_ms();
            const std::string role = input.admin ? "admin" : "user";
            tx.query(kInsertAccount)
                .bind(id, input.username, lower(input.username), input.email, lower(input.email), *hash, role, now, now)
                .exec();
            if (input.trusted) {
                tx.query("UPDATE users_accounts SET email_verified_ms = ? WHERE id = ?").bind(now, id).exec();
            } else if (auto mailed = flows_.send_verification(tx, id, input.username, input.email); !mailed) {
                return mailed.error();
            }
            auto token = issue_token(tx, id);
            if (!token) {
                return token.error();
            }
            tx.publish(kUserRegistered, {{"user_id", id}, {"username", input.username},
                                         {"created_at", core::clock::rfc3339(now)}});
            Account account{id, input.username, input.email, "", std::nullopt, role, now, 0, 0, 0, input.trusted};
            return SignedIn{std::move(account), std::move(*token)};
        });
        if (signed_in) {
            core::log::info("users", "user registered", {{"user_id", id}});
        }
        return signed_in;
    } catch (const std::exception& e) {
        if (core::is_unique_violation(e)) {  // a concurrent signup took the name between check and insert
            return core::conflict("username_taken", "that username or email is taken");
        }
        throw;
    }
}

core::Result<SignedIn>
Service::login(const std::string& identifier, const std::string& password)
{
    std::optional<std::pair<std::string, std::string>> found;  // id, hash
    bool suspended = false;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(kSelectLogin);
        q.bind(lower(identifier));
        if (q.step()) {
            found.emplace(q.text(0), q.text(1));
            suspended = !q.is_null(2);
        }
    });
    // Failures count per account, whichever name or email was typed; unknown names count alone.
    const std::string key = found ? found->first : lower(identifier);
    if (int wait = failed_logins_.take(key); wait > 0) {
        return core::rate_limited(wait);
    }
    // Unknown users still pay for a hash, so timing does not tell them apart from wrong passwords.
    auto ok = passwords_.verify(password, found ? &found->second : nullptr);
    if (!ok) {
        failed_logins_.give_back(key);  // a busy server is not the caller's failure
        return ok.error();
    }
    if (!*ok) {
        return invalid_credentials();
    }
    failed_logins_.give_back(key);
    if (suspended) {  // said only to whoever knows the password
        return core::Error{core::Code::kForbidden, "account_suspended",
                           "this account is suspended; what you bought stays yours", {}};
    }
    auto token = db_.write([&](core::Tx& tx) { return issue_token(tx, found->first); });
    if (!token) {
        return token.error();
    }
    auto acct = account(found->first);
    if (!acct) {
        return acct.error();
    }
    return SignedIn{std::move(*acct), std::move(*token)};
}

core::Result<Account>
Service::account(const std::string& user_id) const
{
    std::optional<Account> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(kSelectAccount);
        q.bind(user_id);
        if (q.step()) {
            out = read_account(q);
        }
    });
    if (!out) {
        return core::not_found("user");
    }
    return std::move(*out);
}

core::Result<Account>
Service::update_profile(const std::string& user_id, const ProfileChanges& changes)
{
    boost::json::object problems;
    if (changes.username) {
        if (auto p = check_username(*changes.username); !p.empty()) {
            problems["username"] = p;
        }
    }
    if (changes.email) {
        if (auto p = check_email(*changes.email); !p.empty()) {
            problems["email"] = p;
        }
    }
    if (changes.bio && utf8_length(*changes.bio) > 2000) {
        problems["bio"] = "must be at most 2000 characters";
    }
    if (changes.avatar_url && !changes.avatar_url->empty() && !changes.avatar_url->starts_with("https://") &&
        !changes.avatar_url->starts_with("http://") && !changes.avatar_url->starts_with("/")) {
        problems["avatar_url"] = "must be an http(s) URL or a path";
    }
    if (!problems.empty()) {
        return core::invalid_fields(std::move(problems));
    }
    auto written = db_.write([&](core::Tx& tx) -> core::Result<void> {
        if (changes.username && exists(tx, kNameTaken, lower(*changes.username), user_id)) {
            return core::conflict("username_taken", "that username is taken");
        }
        if (changes.email && exists(tx, kEmailTaken, lower(*changes.email), user_id)) {
            return core::conflict("email_taken", "an account with that email exists");
        }
        const auto now = core::clock::now_ms();
        if (changes.username) {
            tx.query("UPDATE users_accounts SET username = ?, username_key = ?, updated_ms = ? WHERE id = ?")
                .bind(*changes.username, lower(*changes.username), now, user_id)
                .exec();
        }
        if (changes.email) {
            // A new address is unverified until its own link is opened.
            const auto changed = tx.query("UPDATE users_accounts SET email = ?, email_key = ?, email_verified_ms = NULL, "
                                          "updated_ms = ? WHERE id = ? AND email_key != ?")
                                     .bind(*changes.email, lower(*changes.email), now, user_id, lower(*changes.email))
                                     .exec();
            if (changed > 0) {
                auto name = tx.query("SELECT username FROM users_accounts WHERE id = ?");
                name.bind(user_id);
                name.step();
                if (auto mailed = flows_.send_verification(tx, user_id, name.text(0), *changes.email); !mailed) {
                    return mailed.error();
                }
            } else {  // the same address in another case: only the spelling changes
                tx.query("UPDATE users_accounts SET email = ?, updated_ms = ? WHERE id = ?")
                    .bind(*changes.email, now, user_id)
                    .exec();
            }
        }
        if (changes.bio) {
            tx.query("UPDATE users_accounts SET bio = ?, updated_ms = ? WHERE id = ?").bind(*changes.bio, now, user_id).exec();
        }
        if (changes.avatar_url) {
            std::optional<std::string> url;
            if (!changes.avatar_url->empty()) {
                url = *changes.avatar_url;
            }
            tx.query("UPDATE users_accounts SET avatar_url = ?, updated_ms = ? WHERE id = ?").bind(url, now, user_id).exec();
        }
        tx.after_commit([this, user_id] { on_changed_(user_id); });
        return {};
    });
    if (!written) {
        return written.error();
    }
    return account(user_id);
}

core::Result<void>
Service::logout(const http::Principal& who, const std::optional<std::string>& token)
{
    std::string session_id = who.session_id;
    if (token) {
        // Any signed token of the caller's, even an expired one, may be logged out.
        auto claims = core::jwt::verify(*token, secret_, 0);
        if (!claims || claims->sub != who.user_id) {
            return core::invalid_field("token", "is not one of your tokens");
        }
        session_id = claims->sid;
    }
    db_.write([&](core::Tx& tx) {
        tx.query("UPDATE users_sessions SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL")
            .bind(core::clock::now_ms(), session_id)
            .exec();
        tx.after_commit([this, session_id] {
            sessions_.drop(session_id);
            hub_.close_session(session_id, 1000, "logged out");
        });
    });
    return {};
}

core::Result<void>
Service::remove(const http::Principal& who, const std::string& user_id)
{
    if (who.user_id != user_id && !who.is_admin()) {
        return core::forbidden("you may delete only your own account");
    }
    return db_.write([&](core::Tx& tx) -> core::Result<void> {
        const auto now = core::clock::now_ms();
        if (who.user_id != user_id) {
            core::record_audit(tx, {.actor_id = who.user_id, .action = "user.delete", .target_type = "user",
                                    .target_id = user_id});
        }
        const auto changed = tx.query("UPDATE users_accounts SET deleted_ms = ?, username_key = NULL, email_key = NULL, "
                                      "email = '', password_hash = '', bio = '', avatar_url = NULL, updated_ms = ? "
                                      "WHERE id = ? AND deleted_ms IS NULL")
                                 .bind(now, now, user_id)
                                 .exec();
        if (changed == 0) {
            return core::not_found("user");
        }
        std::vector<std::string> followed;
        {
            auto q = tx.query("SELECT followee_id FROM users_follows WHERE follower_id = ?");
            q.bind(user_id);
            while (q.step()) {
                followed.push_back(q.text(0));
            }
        }
        tx.query("DELETE FROM users_follows WHERE follower_id = ?1 OR followee_id = ?1").bind(user_id).exec();
        revoke_sessions(tx, user_id, "");
        tx.after_commit([this, user_id] { hub_.close_account(user_id, 1000, "account deleted"); });
        tx.publish(kUserDeleted, {{"user_id", user_id}});
        tx.after_commit([this, user_id, followed = std::move(followed)] {
            on_changed_(user_id);
            for (const auto& id : followed) {
                on_changed_(id);
            }
        });
        core::log::info("users", "user deleted", {{"user_id", user_id}, {"by", who.user_id}});
        return {};
    });
}

core::Result<void>
Service::change_password(const http::Principal& who, const std::string& current, const std::string& next)
{
    if (auto p = check_password(next); !p.empty()) {
        return core::invalid_field("new_password", p);
    }
    std::optional<std::string> stored;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT password_hash FROM users_accounts WHERE id = ? AND deleted_ms IS NULL");
        q.bind(who.user_id);
        if (q.step()) {
            stored = q.text(0);
        }
    });
    if (!stored) {
        return core::not_found("user");
    }
    auto ok = passwords_.verify(current, &*stored);
    if (!ok) {
        return ok.error();
    }
    if (!*ok) {
        return core::invalid_field("current_password", "is incorrect");
    }
    auto hash = passwords_.hash(next);
    if (!hash) {
        return hash.error();
    }
    db_.write([&](core::Tx& tx) {
        tx.query("UPDATE users_accounts SET password_hash = ?, updated_ms = ? WHERE id = ?")
            .bind(*hash, core::clock::now_ms(), who.user_id)
            .exec();
        revoke_sessions(tx, who.user_id, who.session_id);
    });
    return {};
}

core::Result<FollowState>
Service::follow(const http::Principal& who, const std::string& user_id, bool on)
{
    if (who.user_id == user_id) {
        return core::invalid_field("user_id", "you cannot follow yourself");
    }
    return db_.write([&](core::Tx& tx) -> core::Result<FollowState> {
        auto target = tx.query("SELECT 1 FROM users_accounts WHERE id = ? AND deleted_ms IS NULL");
        target.bind(user_id);
        if (!target.step()) {
            return core::not_found("user");
        }
        if (on) {
            const auto added = tx.query("INSERT OR IGNORE INTO users_follows (follower_id, followee_id, created_ms) "
                                        "VALUES (?, ?, ?)")
                                   .bind(who.user_id, user_id, core::clock::now_ms())
                                   .exec();
            if (added > 0) {
                auto name = tx.query("SELECT username FROM users_accounts WHERE id = ?");
                name.bind(who.user_id);
                name.step();
                tx.publish(kUserFollowed,
                           {{"follower_id", who.user_id}, {"follower_username", name.text(0)}, {"user_id", user_id}});
            }
        } else {
            tx.query("DELETE FROM users_follows WHERE follower_id = ? AND followee_id = ?").bind(who.user_id, user_id).exec();
        }
        auto count = tx.query("SELECT COUNT(*) FROM users_follows WHERE followee_id = ?");
        count.bind(user_id);
        count.step();
        tx.after_commit([this, user_id] { on_changed_(user_id); });
        return FollowState{user_id, on, count.int64(0)};
    });
}

core::Result<FollowState>
Service::follow_state(const http::Principal& who, const std::string& user_id) const
{
    std::optional<FollowState> state;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT (SELECT COUNT(*) FROM users_follows WHERE followee_id = a.id), "
                            "EXISTS (SELECT 1 FROM users_follows WHERE follower_id = ? AND followee_id = a.id) "
                            "FROM users_accounts a WHERE a.id = ? AND a.deleted_ms IS NULL");
        q.bind(who.user_id, user_id);
        if (q.step()) {
            state = FollowState{user_id, q.int64(1) != 0, q.int64(0)};
        }
    });
    if (!state) {
        return core::not_found("user");
    }
    return *state;
}

core::Result<http::Principal>
Service::authenticate(std::string_view token)
{
    const auto now = core::clock::now_ms();
    auto claims = core::jwt::verify(token, secret_, now / 1000);
    if (!claims) {
        return claims.error();
    }
    auto info = sessions_.get(claims->sid);
    if (!info) {
        db_.read([&](core::Conn& conn) {
            auto q = conn.query(kSelectSession);
            q.bind(claims->sid);
            if (q.step()) {
                info = SessionInfo{q.text(0), q.text(3), q.int64(1), !q.is_null(2) || !q.is_null(4)};
            }
        });
        if (!info) {
            return core::Error{core::Code::kUnauthorized, "invalid_token", "invalid token: unknown session", {}};
        }
        sessions_.put(claims->sid, *info);
    }
    if (info->user_id != claims->sub) {
        return core::Error{core::Code::kUnauthorized, "invalid_token", "invalid token: session mismatch", {}};
    }
    if (info->revoked) {
        return core::Error{core::Code::kUnauthorized, "session_ended", "this session has ended; log in again", {}};
    }
    if (info->expires_ms <= now) {
        return core::Error{core::Code::kUnauthorized, "token_expired", "the token has expired; log in again", {}};
    }
    return http::Principal{claims->sub, claims->sid, info->role};
}

std::optional<UserSummary>
Service::find(std::string_view id_or_username) const
{
    std::optional<UserSummary> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT id, username, role FROM users_accounts WHERE (id = ?1 OR username_key = ?2) "
                            "AND deleted_ms IS NULL");
        q.bind(id_or_username, lower(id_or_username));
        if (q.step()) {
            out = UserSummary{q.text(0), q.text(1), q.text(2)};
        }
    });
    return out;
}

std::vector<std::string>
Service::followers_of(const std::string& user_id, const std::string& after, int limit) const
{
    std::vector<std::string> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT follower_id FROM users_follows WHERE followee_id = ? AND follower_id > ? "
                            "ORDER BY follower_id LIMIT ?");
        q.bind(user_id, after, limit);
        while (q.step()) {
            out.push_back(q.text(0));
        }
    });
    return out;
}

core::Result<void>
Service::suspend(core::Tx& tx, const std::string& user_id, const std::string& reason)
{
    const auto now = core::clock::now_ms();
    const auto changed = tx.query("UPDATE users_accounts SET suspended_ms = ?, suspended_reason = ?, updated_ms = ? "
                                  "WHERE id = ? AND deleted_ms IS NULL AND suspended_ms IS NULL")
                             .bind(now, reason, now, user_id)
                             .exec();
    if (changed == 0) {
        auto q = tx.query("SELECT suspended_ms FROM users_accounts WHERE id = ? AND deleted_ms IS NULL");
        q.bind(user_id);
        if (!q.step()) {
            return core::not_found("user");
        }
        return core::conflict("already_suspended", "this account is suspended already");
    }
    revoke_sessions(tx, user_id, "");
    tx.after_commit([this, user_id] { hub_.close_account(user_id, 1008, "account suspended"); });
    return {};
}

core::Result<void>
Service::unsuspend(core::Tx& tx, const std::string& user_id)
{
    const auto changed = tx.query("UPDATE users_accounts SET suspended_ms = NULL, suspended_reason = NULL, updated_ms = ? "
                                  "WHERE id = ? AND deleted_ms IS NULL AND suspended_ms IS NOT NULL")
                             .bind(core::clock::now_ms(), user_id)
                             .exec();
    if (changed == 0) {
        auto q = tx.query("SELECT 1 FROM users_accounts WHERE id = ? AND deleted_ms IS NULL");
        q.bind(user_id);
        if (!q.step()) {
            return core::not_found("user");
        }
        return core::conflict("not_suspended", "this account is not suspended");
    }
    return {};
}

std::optional<std::string>
Service::email_of(const std::string& user_id) const
{
    std::optional<std::string> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT email FROM users_accounts WHERE id = ? AND deleted_ms IS NULL");
        q.bind(user_id);
        if (q.step()) {
            out = q.text(0);
        }
    });
    return out;
}

core::Result<void>
Service::add_beats(const std::string& user_id, int delta, core::Tx& tx)
{
    tx.query("UPDATE users_accounts SET beats_count = MAX(0, beats_count + ?) WHERE id = ?").bind(delta, user_id).exec();
    tx.after_commit([this, user_id] { on_changed_(user_id); });
    return {};
}

}  // namespace bb::users
