#include "modules/subsonic/auth.hpp"

#include "modules/users/users.hpp"

#include <sodium.h>

namespace bb::subsonic {
namespace {

Fault
wrong_credentials()
{
    return {40, "Wrong username or password"};
}

// "enc:" and the password's bytes in hex, as old clients send it.
std::optional<std::string>
plain_password(const std::string& p)
{
    if (!p.starts_with("enc:")) {
        return p;
    }
    const std::string hex = p.substr(4);
    std::string out(hex.size() / 2, '\0');
    std::size_t length = 0;
    if (hex.size() % 2 != 0 ||
        sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(), nullptr,
                       &length, nullptr) != 0 ||
        length != out.size()) {
        return std::nullopt;
    }
    return out;
}

Fault
rate_limited(int wait)
{
    return {0, "Too many failed sign-ins: try again in " + std::to_string(wait) + " s", 429, wait};
}

}  // namespace

Authenticator::Authenticator(users::UsersModule& users, AppPasswords& passwords, int auth_rate_per_minute)
    : users_(users),
      passwords_(passwords),
      by_address_(auth_rate_per_minute, std::chrono::minutes(1)),
      by_account_(5, std::chrono::minutes(5))
{
}

Checked<Caller>
Authenticator::authenticate(const Params& params, const http::Request& req)
{
    // As for logins: a token is taken for each attempt and given back when it succeeds, so only
    // failures use the allowance.
    if (int wait = by_address_.take(req.client_addr); wait > 0) {
        return rate_limited(wait);
    }
    const std::string account = params.get("u").value_or("");
    std::string account_key;
    if (!account.empty()) {
        auto user = users_.find(account);
        account_key = user ? user->user_id : "name:" + account;
        if (int wait = by_account_.take(account_key); wait > 0) {
            by_address_.give_back(req.client_addr);
            return rate_limited(wait);
        }
    }
    auto caller = check(params, req);
    // Missing parameters and unsupported schemes are the client's mistakes, not guesses.
    if (caller || caller.error().code == 10 || caller.error().code == 42 || caller.error().code == 43) {
        by_address_.give_back(req.client_addr);
        if (!account_key.empty()) {
            by_account_.give_back(account_key);
        }
    }
    return caller;
}

Checked<Caller>
Authenticator::check(const Params& params, const http::Request& req)
{
    const auto u = params.get("u");
    const auto p = params.get("p");
    const auto t = params.get("t");
    const auto s = params.get("s");
    const auto key = params.get("apiKey");
    for (const char* name : {"v", "c"}) {
        if (!params.has(name)) {
            return missing(name);
        }
    }
    std::optional<AppPassword> matched;
    if (key) {
        if (u || p || t || s) {
            return Fault{43, "Multiple conflicting authentication mechanisms provided: send apiKey alone"};
        }
        matched = passwords_.find_by_value(*key);
        if (!matched) {
            return Fault{44, "Invalid API key"};
        }
    } else {
        if (!u) {
            if (!req.header("Authorization").empty()) {
                return Fault{42, "Provided authentication mechanism not supported: send u with p, or t and s, or "
                                 "apiKey (a Backbeat app password)"};
            }
            return missing("u");
        }
        auto user = users_.find(*u);
        if (p) {
            auto plain = plain_password(*p);
            if (!plain) {
                return wrong_credentials();
            }
            matched = passwords_.find_by_value(*plain);
            if (matched && (!user || matched->user_id != user->user_id)) {
                matched.reset();
            }
        } else if (t || s) {
            if (!t || !s) {
                return missing(t ? "s" : "t");
            }
            if (user && !passwords_.any(user->user_id)) {
                return Fault{41, "Token authentication needs an app password: create one in your Backbeat profile"};
            }
            if (user) {
                matched = passwords_.find_by_token(user->user_id, *t, *s);
            }
        } else {
            return missing("p");
        }
        if (!matched) {
            return wrong_credentials();
        }
    }
    auto owner = users_.find(matched->user_id);
    if (!owner) {
        return key ? Fault{44, "Invalid API key"} : wrong_credentials();
    }
    passwords_.used(*matched);
    return Caller{owner->user_id, owner->username, owner->role, params.get("c").value_or("")};
}

}  // namespace bb::subsonic
