#pragma once
// What proves control of an email address: verification after signup or an address change, and
// the forgotten-password reset. Tokens are 256 random bits, sent by mail, stored only as their
// SHA-256, used once, and expire (verification 48 h, reset 1 h).
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/rate_limiter.hpp"
#include "modules/mail/mail.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace bb::users {

class Passwords;

class EmailFlows {
public:
    // revoke(tx, user_id) ends every session of the user (after a reset).
    EmailFlows(core::Db& db, mail::MailModule& mail, Passwords& passwords, std::string public_url,
               std::function<void(core::Tx&, const std::string&)> revoke);

    // Queues the verification mail for the account's current address, in the caller's transaction.
    core::Result<void> send_verification(core::Tx& tx, const std::string& user_id, const std::string& username,
                                         const std::string& email);
    // The signed-in user asks again (409 once verified; 429 past 3 an hour).
    core::Result<void> resend_verification(const std::string& user_id);
    core::Result<std::string> verify(const std::string& token);  // the account's id

    // Always succeeds for a well-formed address, whether or not an account uses it, and takes the
    // same path through the writer either way: the answer tells nobody which addresses exist.
    core::Result<void> request_reset(const std::string& email);
    core::Result<void> reset(const std::string& token, const std::string& new_password);

private:
    std::string issue(core::Tx& tx, const std::string& user_id, const char* purpose, const std::string& email,
                      std::int64_t ttl_ms);

    core::Db& db_;
    mail::MailModule& mail_;
    Passwords& passwords_;
    std::string public_url_;
    std::function<void(core::Tx&, const std::string&)> revoke_;
    core::RateLimiter resets_per_address_;
    core::RateLimiter verifications_per_user_;
};

}  // namespace bb::users
