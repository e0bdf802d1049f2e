#pragma once
// Who is calling: Subsonic's credentials checked against the caller's app passwords, never their
// account password. Accepted: u with p (plain, or "enc:" and hex) or with t = md5(password + s),
// or OpenSubsonic's apiKey alone. Failures are rate limited like logins: per client address
// (--auth-rate a minute) and per account (5 in 5 minutes).
#include "core/rate_limiter.hpp"
#include "modules/subsonic/app_passwords.hpp"
#include "modules/subsonic/call.hpp"

namespace bb::users {
class UsersModule;
}

namespace bb::subsonic {

class Authenticator {
public:
    Authenticator(users::UsersModule& users, AppPasswords& passwords, int auth_rate_per_minute);

    Checked<Caller> authenticate(const Params& params, const http::Request& req);

private:
    Checked<Caller> check(const Params& params, const http::Request& req);

    users::UsersModule& users_;
    AppPasswords& passwords_;
    core::RateLimiter by_address_;
    core::RateLimiter by_account_;
};

}  // namespace bb::subsonic
