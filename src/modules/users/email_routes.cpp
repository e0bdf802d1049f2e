// Email verification and password reset over HTTP. The reset request answers the same whether or
// not an account has the address.
#include "http/json_input.hpp"
#include "http/router.hpp"
#include "modules/users/routes.hpp"

namespace bb::users {

using http::Auth;
using http::Exec;
using http::JsonInput;
using http::Reply;
using http::Request;
using http::Response;

void
register_email_routes(http::Router& router, Service& service, core::RateLimiter& auth_limiter)
{
    router.schema("ForgotPassword", R"({"type": "object", "required": ["email"],
        "properties": {"email": {"type": "string", "format": "email"}}})");
    router.schema("ResetMailed", R"({"type": "object", "required": ["accepted", "message"], "properties": {
        "accepted": {"const": true}, "message": {"type": "string"}},
        "description": "the same answer whether or not an account uses the address"})");
    router.schema("PasswordReset", R"({"type": "object", "required": ["token", "new_password"], "properties": {
        "token": {"type": "string", "description": "from the reset link"},
        "new_password": {"type": "string", "minLength": 8, "maxLength": 128}}})");
    router.schema("PasswordWasReset", R"({"type": "object", "properties": {"password_reset": {"const": true}}})");
    router.schema("VerifyEmail", R"({"type": "object", "required": ["token"], "properties": {
        "token": {"type": "string", "description": "from the verification link"}}})");
    router.schema("EmailVerified", R"({"type": "object", "properties": {"email_verified": {"const": true},
        "user_id": {"type": "string"}}})");
    router.schema("VerificationMailed", R"({"type": "object", "properties": {"sent": {"const": true}}})");

    auto token_body = [](const Request& req, const char* second) -> core::Result<std::pair<std::string, std::string>> {
        auto in = JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        auto token = in->string("token", true, 1, 200);
        std::optional<std::string> other;
        if (second != nullptr) {
            other = in->string(second, true);
        }
        if (auto e = in->error()) {
            return *e;
        }
        return std::pair{*token, other.value_or("")};
    };

    router.add({.method = "POST", .path = "/api/users/password/forgot", .exec = Exec::kBlocking,
                .limiter = &auth_limiter,
                .doc = {.summary = "Mail a password-reset link (the answer does not say whether the address has an "
                                   "account)",
                        .tag = "users", .request = "ForgotPassword",
                        .responses = {{202, "ResetMailed"}, {422, "Error"}, {429, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto in = JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto email = in->string("email", true, 1, 254);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    if (auto done = service.email_flows().request_reset(*email); !done) {
                        return done.error();
                    }
                    return Response::json(202, {{"accepted", true},
                                                {"message", "If an account uses that address, a link to choose a new "
                                                            "password is on its way. It works once, for one hour."}});
                }});
    router.add({.method = "POST", .path = "/api/users/password/reset", .exec = Exec::kBlocking,
                .limiter = &auth_limiter,
                .doc = {.summary = "Choose a new password with the link's token (single use); every session ends",
                        .tag = "users", .request = "PasswordReset",
                        .responses = {{200, "PasswordWasReset"}, {422, "Error"}, {429, "Error"}}},
                .handler = [&service, token_body](const Request& req) -> Reply {
                    auto body = token_body(req, "new_password");
                    if (!body) {
                        return body.error();
                    }
                    if (auto done = service.email_flows().reset(body->first, body->second); !done) {
                        return done.error();
                    }
                    return Response::json(200, {{"password_reset", true}});
                }});
    router.add({.method = "POST", .path = "/api/users/email/verify", .exec = Exec::kBlocking,
                .doc = {.summary = "Confirm an email address with the link's token", .tag = "users",
                        .request = "VerifyEmail", .responses = {{200, "EmailVerified"}, {422, "Error"}}},
                .handler = [&service, token_body](const Request& req) -> Reply {
                    auto body = token_body(req, nullptr);
                    if (!body) {
                        return body.error();
                    }
                    auto user_id = service.email_flows().verify(body->first);
                    if (!user_id) {
                        return user_id.error();
                    }
                    return Response::json(200, {{"email_verified", true}, {"user_id", *user_id}});
                }});
    router.add({.method = "POST", .path = "/api/users/email/verification", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Mail me a new verification link", .tag = "users",
                        .responses = {{202, "VerificationMailed"}, {409, "Error"}, {429, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    if (auto done = service.email_flows().resend_verification(req.user().user_id); !done) {
                        return done.error();
                    }
                    return Response::json(202, {{"sent", true}});
                }});
}

}  // namespace bb::users
