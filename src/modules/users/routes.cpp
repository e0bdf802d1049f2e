#include "modules/users/routes.hpp"

#include "core/clock.hpp"
#include "http/json_input.hpp"
#include "http/router.hpp"

#include <boost/json/serialize.hpp>

namespace bb::users {
namespace {

using http::Auth;
using http::Exec;
using http::JsonInput;
using http::Reply;
using http::Request;
using http::Response;

boost::json::value
nullable(const std::optional<std::string>& s)
{
    return s ? boost::json::value(*s) : boost::json::value(nullptr);
}

boost::json::object
profile_json(const Account& a)
{
    return {{"user_id", a.id},
            {"username", a.username},
            {"email", a.email},
            {"bio", a.bio},
            {"avatar_url", nullable(a.avatar_url)},
            {"role", a.role},
            {"created_at", core::clock::rfc3339(a.created_ms)},
            {"purchased_beats", boost::json::array{}},
            {"beats_count", a.beats_count},
            {"followers_count", a.followers_count},
            {"following_count", a.following_count},
            {"email_verified", a.email_verified}};
}

boost::json::object
public_json(const Account& a)
{
    return {{"user_id", a.id},
            {"username", a.username},
            {"bio", a.bio},
            {"avatar_url", nullable(a.avatar_url)},
            {"created_at", core::clock::rfc3339(a.created_ms)},
            {"beats_count", a.beats_count},
            {"followers_count", a.followers_count}};
}

boost::json::object
token_json(const SignedIn& s)
{
    return {{"token", s.token.token},
            {"token_type", "Bearer"},
            {"expires_at", core::clock::rfc3339(s.token.expires_ms)},
            {"user", profile_json(s.account)}};
}

// Fields a client must never set: refusing them says so plainly instead of silently dropping.
void
refuse_server_fields(JsonInput& in)
{
    for (const char* field : {"role", "user_id", "id", "created_at", "password_hash"}) {
        if (in.has(field)) {
            in.fail(field, "cannot be set");
        }
    }
}

void
add_schemas(http::Router& router)
{
    router.schema("User", R"({"type": "object", "required": ["user_id", "username", "email", "role", "created_at"],
        "properties": {"user_id": {"type": "string"}, "username": {"type": "string"}, "email": {"type": "string"},
        "bio": {"type": "string"}, "avatar_url": {"type": ["string", "null"]}, "role": {"enum": ["user", "admin"]},
        "created_at": {"type": "string", "format": "date-time"},
        "purchased_beats": {"type": "array", "items": {"type": "string"}},
        "beats_count": {"type": "integer"}, "followers_count": {"type": "integer"}, "following_count": {"type": "integer"},
        "email_verified": {"type": "boolean"}}})");
    router.schema("PublicUser", R"({"type": "object", "required": ["user_id", "username", "created_at"],
        "properties": {"user_id": {"type": "string"}, "username": {"type": "string"}, "bio": {"type": "string"},
        "avatar_url": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"},
        "beats_count": {"type": "integer"}, "followers_count": {"type": "integer"}}})");
    router.schema("SignupRequest", R"({"type": "object", "required": ["username", "email", "password"],
        "properties": {"username": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{3,32}$"},
        "email": {"type": "string", "format": "email"}, "password": {"type": "string", "minLength": 8, "maxLength": 128}}})");
    router.schema("LoginRequest", R"({"type": "object", "required": ["password"], "description": "email or username",
        "properties": {"email": {"type": "string"}, "username": {"type": "string"}, "password": {"type": "string"}}})");
    router.schema("AuthResult", R"({"type": "object", "required": ["token", "token_type", "expires_at", "user"],
        "properties": {"token": {"type": "string"}, "token_type": {"const": "Bearer"},
        "expires_at": {"type": "string", "format": "date-time"}, "user": {"$ref": "#/components/schemas/User"}}})");
    router.schema("ProfileUpdate", R"({"type": "object", "properties": {"username": {"type": "string"},
        "email": {"type": "string"}, "bio": {"type": "string", "maxLength": 2000}, "avatar_url": {"type": "string"}}})");
    router.schema("LogoutRequest", R"({"type": "object", "properties": {"token": {"type": "string",
        "description": "log out this token instead of the one in Authorization"}}})");
    router.schema("LoggedOut", R"({"type": "object", "properties": {"logged_out": {"const": true}}})");
    router.schema("PasswordChange", R"({"type": "object", "required": ["current_password", "new_password"],
        "properties": {"current_password": {"type": "string"}, "new_password": {"type": "string", "minLength": 8}}})");
    router.schema("PasswordChanged", R"({"type": "object", "properties": {"password_changed": {"const": true}}})");
    router.schema("UserDeleted", R"({"type": "object", "required": ["user_id", "deleted"],
        "properties": {"user_id": {"type": "string"}, "deleted": {"const": true}}})");
    router.schema("FollowState", R"({"type": "object", "required": ["user_id", "following", "followers_count"],
        "properties": {"user_id": {"type": "string"}, "following": {"type": "boolean"},
        "followers_count": {"type": "integer"}}})");
}

}  // namespace

void
register_routes(http::Router& router, Service& service, core::StringCache& profiles, core::RateLimiter& auth_limiter,
                PurchasedBeats purchased)
{
    add_schemas(router);

    router.add({.method = "POST", .path = "/api/users/signup", .exec = Exec::kBlocking, .limiter = &auth_limiter,
                .doc = {.summary = "Create an account", .tag = "users", .request = "SignupRequest",
                        .responses = {{201, "AuthResult"}, {409, "Error"}, {422, "Error"}, {429, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto in = JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    refuse_server_fields(*in);
                    auto username = in->string("username", true);
                    auto email = in->string("email", true);
                    auto password = in->string("password", true);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    auto done = service.signup({*username, *email, *password, false});
                    if (!done) {
                        return done.error();
                    }
                    auto body = token_json(*done);
                    return Response::json(201, body);
                }});

    router.add({.method = "POST", .path = "/api/users/login", .exec = Exec::kBlocking, .limiter = &auth_limiter,
                .doc = {.summary = "Log in with email or username", .tag = "users", .request = "LoginRequest",
                        .responses = {{200, "AuthResult"}, {401, "Error"}, {429, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto in = JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto email = in->string("email", false);
                    auto username = in->string("username", false);
                    auto password = in->string("password", true);
                    if (!email && !username && !in->has("email") && !in->has("username")) {
                        in->fail("email", "email or username is required");
                    }
                    if (auto e = in->error()) {
                        return *e;
                    }
                    auto done = service.login(email ? *email : *username, *password);
                    if (!done) {
                        return done.error();
                    }
                    return Response::json(200, token_json(*done));
                }});

    router.add({.method = "GET", .path = "/api/users/profile", .auth = Auth::kRequired,
                .doc = {.summary = "My profile, with the beats I bought", .tag = "users", .responses = {{200, "User"}}},
                .handler = [&service, purchased](const Request& req) -> Reply {
                    auto account = service.account(req.user().user_id);
                    if (!account) {
                        return account.error();
                    }
                    auto body = profile_json(*account);
                    boost::json::array beats;
                    for (const auto& id : purchased(req.user().user_id)) {
                        beats.push_back(boost::json::value(id));
                    }
                    body["purchased_beats"] = std::move(beats);
                    return Response::json(200, body);
                }});

    router.add({.method = "PUT", .path = "/api/users/profile/update", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Change my username, email, bio or avatar", .tag = "users", .request = "ProfileUpdate",
                        .responses = {{200, "User"}, {409, "Error"}, {422, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto in = JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    refuse_server_fields(*in);
                    if (in->has("password")) {
                        in->fail("password", "change it with PUT /api/users/password");
                    }
                    ProfileChanges changes{in->string("username", false), in->string("email", false),
                                           in->string("bio", false), in->string("avatar_url", false)};
                    if (auto e = in->error()) {
                        return *e;
                    }
                    auto account = service.update_profile(req.user().user_id, changes);
                    if (!account) {
                        return account.error();
                    }
                    return Response::json(200, profile_json(*account));
                }});

    router.add({.method = "POST", .path = "/api/users/logout", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "End this session (or the one of the token given)", .tag = "users",
                        .request = "LogoutRequest", .responses = {{200, "LoggedOut"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto in = JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto token = in->string("token", false, 1);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    if (auto done = service.logout(req.user(), token); !done) {
                        return done.error();
                    }
                    return Response::json(200, {{"logged_out", true}});
                }});

    router.add({.method = "PUT", .path = "/api/users/password", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Change my password; my other sessions end", .tag = "users",
                        .request = "PasswordChange", .responses = {{200, "PasswordChanged"}, {422, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto in = JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto current = in->string("current_password", true);
                    auto next = in->string("new_password", true);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    if (auto done = service.change_password(req.user(), *current, *next); !done) {
                        return done.error();
                    }
                    return Response::json(200, {{"password_changed", true}});
                }});

    router.add({.method = "GET", .path = "/api/users/{user_id}",
                .doc = {.summary = "A user's public profile", .tag = "users", .responses = {{200, "PublicUser"}}},
                .handler = [&service, &profiles](const Request& req) -> Reply {
                    const std::string id(req.param("user_id"));
                    auto profile = profiles.get_or_make(id, [&]() -> core::Result<std::shared_ptr<const std::string>> {
                        auto account = service.account(id);
                        if (!account) {
                            return account.error();
                        }
                        return std::make_shared<const std::string>(boost::json::serialize(public_json(*account)));
                    });
                    if (!profile) {
                        return profile.error();
                    }
                    return Response::text(200, **profile, "application/json; charset=utf-8");
                }});

    router.add({.method = "DELETE", .path = "/api/users/{user_id}", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Delete an account (yourself, or anyone as admin)", .tag = "users",
                        .responses = {{200, "UserDeleted"}, {403, "Error"}, {404, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    const std::string id(req.param("user_id"));
                    if (auto done = service.remove(req.user(), id); !done) {
                        return done.error();
                    }
                    return Response::json(200, {{"user_id", id}, {"deleted", true}});
                }});

    auto follow_reply = [](const core::Result<FollowState>& state) -> Reply {
        if (!state) {
            return state.error();
        }
        return Response::json(200, {{"user_id", state->user_id},
                                    {"following", state->following},
                                    {"followers_count", state->followers_count}});
    };
    auto follow = [&service, follow_reply](bool on) {
        return [&service, on, follow_reply](const Request& req) -> Reply {
            return follow_reply(service.follow(req.user(), std::string(req.param("user_id")), on));
        };
    };
    router.add({.method = "GET", .path = "/api/users/{user_id}/follow", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Whether I follow this user", .tag = "users", .responses = {{200, "FollowState"}}},
                .handler = [&service, follow_reply](const Request& req) -> Reply {
                    return follow_reply(service.follow_state(req.user(), std::string(req.param("user_id"))));
                }});
    router.add({.method = "POST", .path = "/api/users/{user_id}/follow", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Follow a producer", .tag = "users", .responses = {{200, "FollowState"}}},
                .handler = follow(true)});
    router.add({.method = "DELETE", .path = "/api/users/{user_id}/follow", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Stop following", .tag = "users", .responses = {{200, "FollowState"}}},
                .handler = follow(false)});
}

}  // namespace bb::users
