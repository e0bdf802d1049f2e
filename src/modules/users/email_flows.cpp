#include "modules/users/email_flows.hpp"

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "modules/users/passwords.hpp"
#include "modules/users/service.hpp"

#include <algorithm>

namespace bb::users {
namespace {

constexpr std::int64_t kVerifyTtlMs = 48LL * 3600 * 1000;
constexpr std::int64_t kResetTtlMs = 3600LL * 1000;

std::string
lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

core::Error
bad_token()
{
    return core::invalid_field("token", "is invalid, already used or expired; ask for a new link");
}

}  // namespace

EmailFlows::EmailFlows(core::Db& db, mail::MailModule& mail, Passwords& passwords, std::string public_url,
                       std::function<void(core::Tx&, const std::string&)> revoke)
    : db_(db),
      mail_(mail),
      passwords_(passwords),
      public_url_(std::move(public_url)),
      revoke_(std::move(revoke)),
      resets_per_address_(3, std::chrono::hours(1)),
      verifications_per_user_(3, std::chrono::hours(1))
{
    while (!public_url_.empty() && public_url_.back() == '/') {
        public_url_.pop_back();
    }
}

std::string
EmailFlows::issue(core::Tx& tx, const std::string& user_id, const char* purpose, const std::string& email,
                  std::int64_t ttl_ms)
{
    const std::string token = core::crypto::base64url(core::crypto::random_bytes(32));
    const auto now = core::clock::now_ms();
    // One live token per purpose: a new link retires the ones before it.
    tx.query("UPDATE users_email_tokens SET used_ms = ? WHERE user_id = ? AND purpose = ? AND used_ms IS NULL")
        .bind(now, user_id, purpose)
        .exec();
    tx.query("INSERT INTO users_email_tokens (token_hash, user_id, purpose, email, created_ms, expires_ms) "
             "VALUES (?, ?, ?, ?, ?, ?)")
        .bind(core::crypto::sha256_hex(token), user_id, purpose, lower(email), now, now + ttl_ms)
        .exec();
    return token;
}

core::Result<void>
EmailFlows::send_verification(core::Tx& tx, const std::string& user_id, const std::string& username,
                              const std::string& email)
{
    const std::string token = issue(tx, user_id, "verify", email, kVerifyTtlMs);
    auto queued = mail_.queue(tx, {.to = email,
                                   .template_name = "verify_email",
                                   .vars = {{"username", username},
                                            {"link", public_url_ + "/verify-email?token=" + token},
                                            {"hours", kVerifyTtlMs / 3600000}}});
    if (!queued) {
        return queued.error();
    }
    return {};
}

core::Result<void>
EmailFlows::resend_verification(const std::string& user_id)
{
    if (const int wait = verifications_per_user_.take(user_id); wait > 0) {
        return core::rate_limited(wait);
    }
    return db_.write([&](core::Tx& tx) -> core::Result<void> {
        auto q = tx.query("SELECT username, email, email_verified_ms FROM users_accounts WHERE id = ? AND deleted_ms IS NULL");
        q.bind(user_id);
        if (!q.step()) {
            return core::not_found("user");
        }
        if (!q.is_null(2)) {
            return core::conflict("email_already_verified", "your email address is already verified");
        }
        const std::string username = q.text(0);
        const std::string email = q.text(1);
        return send_verification(tx, user_id, username, email);
    });
}

core::Result<std::string>
EmailFlows::verify(const std::string& token)
{
    const std::string hash = core::crypto::sha256_hex(token);
    return db_.write([&](core::Tx& tx) -> core::Result<std::string> {
        const auto now = core::clock::now_ms();
        auto q = tx.query("SELECT t.user_id FROM users_email_tokens t JOIN users_accounts a ON a.id = t.user_id "
                          "WHERE t.token_hash = ? AND t.purpose = 'verify' AND t.used_ms IS NULL AND t.expires_ms > ? "
                          "AND a.email_key = t.email AND a.deleted_ms IS NULL");
        q.bind(hash, now);
        if (!q.step()) {
            return bad_token();
        }
        const std::string user_id = q.text(0);
        tx.query("UPDATE users_email_tokens SET used_ms = ? WHERE token_hash = ?").bind(now, hash).exec();
        tx.query("UPDATE users_accounts SET email_verified_ms = ?, updated_ms = ? WHERE id = ?")
            .bind(now, now, user_id)
            .exec();
        core::log::info("users", "email verified", {{"user_id", user_id}});
        return user_id;
    });
}

core::Result<void>
EmailFlows::request_reset(const std::string& email)
{
    if (auto p = check_email(email); !p.empty()) {
        return core::invalid_field("email", p);
    }
    const std::string key = lower(email);
    const bool allowed = resets_per_address_.take(key) == 0;  // silently: a refusal would tell too
    return db_.write([&](core::Tx& tx) -> core::Result<void> {
        auto q = tx.query("SELECT id, username, email FROM users_accounts WHERE email_key = ? AND deleted_ms IS NULL");
        q.bind(key);
        if (!allowed || !q.step()) {
            return {};
        }
        const std::string user_id = q.text(0);
        const std::string username = q.text(1);
        const std::string address = q.text(2);
        const std::string token = issue(tx, user_id, "reset", address, kResetTtlMs);
        auto queued = mail_.queue(tx, {.to = address,
                                       .template_name = "password_reset",
                                       .vars = {{"username", username},
                                                {"link", public_url_ + "/reset-password?token=" + token},
                                                {"minutes", kResetTtlMs / 60000}}});
        if (!queued) {
            return queued.error();
        }
        core::log::info("users", "password reset mailed", {{"user_id", user_id}});
        return {};
    });
}

core::Result<void>
EmailFlows::reset(const std::string& token, const std::string& new_password)
{
    if (auto p = check_password(new_password); !p.empty()) {
        return core::invalid_field("new_password", p);
    }
    const std::string hash = core::crypto::sha256_hex(token);
    const auto usable = [&](auto& source) {
        auto q = source.query("SELECT user_id, email FROM users_email_tokens WHERE token_hash = ? AND purpose = 'reset' "
                              "AND used_ms IS NULL AND expires_ms > ?");
        q.bind(hash, core::clock::now_ms());
        std::optional<std::pair<std::string, std::string>> found;
        if (q.step()) {
            found.emplace(q.text(0), q.text(1));
        }
        return found;
    };
    if (!db_.read([&](core::Conn& conn) { return usable(conn).has_value(); })) {
        return bad_token();  // before hashing: a wrong token costs no argon2 time
    }
    auto password_hash = passwords_.hash(new_password);
    if (!password_hash) {
        return password_hash.error();
    }
    return db_.write([&](core::Tx& tx) -> core::Result<void> {
        auto found = usable(tx);  // again, in the write: of two concurrent uses, one wins
        if (!found) {
            return bad_token();
        }
        const auto& [user_id, email] = *found;
        const auto now = core::clock::now_ms();
        tx.query("UPDATE users_email_tokens SET used_ms = ? WHERE token_hash = ?").bind(now, hash).exec();
        tx.query("UPDATE users_email_tokens SET used_ms = ? WHERE user_id = ? AND purpose = 'reset' AND used_ms IS NULL")
            .bind(now, user_id)
            .exec();
        // The link reached the account's address, which is therefore verified.
        tx.query("UPDATE users_accounts SET password_hash = ?, updated_ms = ?, email_verified_ms = CASE WHEN email_key = ? "
                 "THEN COALESCE(email_verified_ms, ?) ELSE email_verified_ms END WHERE id = ? AND deleted_ms IS NULL")
            .bind(*password_hash, now, email, now, user_id)
            .exec();
        revoke_(tx, user_id);
        core::log::info("users", "password reset", {{"user_id", user_id}});
        return {};
    });
}

}  // namespace bb::users
