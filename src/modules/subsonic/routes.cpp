#include "modules/subsonic/routes.hpp"

#include "core/clock.hpp"
#include "http/json_input.hpp"
#include "http/router.hpp"
#include "modules/users/users.hpp"

#include <boost/json/value.hpp>

#include <cctype>

namespace bb::subsonic {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

constexpr std::int64_t kFormLimit = 256 * 1024;

// JSONP's callback is written into a script: a name, nothing else.
bool
callback_name(const std::string& name)
{
    if (name.empty() || name.size() > 100 || std::isdigit(static_cast<unsigned char>(name.front()))) {
        return false;
    }
    for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '$' && c != '.') {
            return false;
        }
    }
    return true;
}

Response
rendered(int status, const Rendered& r)
{
    return Response::text(status, r.body, r.content_type).with_header("Cache-Control", "no-store");
}

Response
fault_response(const Fault& fault, Format format, const std::string& callback)
{
    auto response = rendered(fault.http_status, render_fault(fault, format, callback));
    if (fault.retry_after_s > 0) {
        response.with_header("Retry-After", std::to_string(fault.retry_after_s));
    }
    return response;
}

Response
handle_rest(Api& api, Authenticator& auth, const Request& req)
{
    std::string method(req.param("method"));
    if (method.ends_with(".view")) {
        method.resize(method.size() - 5);
    }
    const Params params = Params::of(req);
    const std::string f = params.get("f").value_or("xml");
    Format format = f == "json" ? Format::kJson : f == "jsonp" ? Format::kJsonp : Format::kXml;
    const std::string callback = params.get("callback").value_or("");
    if (format == Format::kJsonp && !callback_name(callback)) {
        return fault_response(callback.empty() ? missing("callback") : invalid("callback", "must be a script name"),
                              Format::kJson, "");
    }
    auto caller = auth.authenticate(params, req);
    if (!caller) {
        return fault_response(caller.error(), format, callback);
    }
    Call call(api, req, params, *caller);
    auto outcome = api.handle(method, call);
    if (!outcome) {
        return fault_response(outcome.error(), format, callback);
    }
    if (outcome->media) {
        return std::move(*outcome->media);
    }
    return rendered(200, render_ok(outcome->root, format, callback));
}

boost::json::object
app_password_json(const AppPassword& p)
{
    return {{"app_password_id", p.id},
            {"name", p.name},
            {"created_at", core::clock::rfc3339(p.created_ms)},
            {"last_used_at", p.last_used_ms ? boost::json::value(core::clock::rfc3339(*p.last_used_ms)) : nullptr}};
}

void
add_schemas(http::Router& router)
{
    router.schema("AppPassword", R"({"type": "object", "required": ["app_password_id", "name", "created_at"],
        "properties": {"app_password_id": {"type": "string"}, "name": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": {"type": ["string", "null"], "format": "date-time"}}})");
    router.schema("AppPasswordCreated", R"({"type": "object", "required": ["app_password_id", "name", "password",
        "username", "created_at"], "properties": {"app_password_id": {"type": "string"}, "name": {"type": "string"},
        "password": {"type": "string", "description": "shown this once: the player's password, or its API key"},
        "username": {"type": "string", "description": "the player's username"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": {"type": ["string", "null"], "format": "date-time"}}})");
    router.schema("AppPasswordInput", R"({"type": "object", "required": ["name"],
        "properties": {"name": {"type": "string", "maxLength": 100, "description": "which player it is for"}}})");
    router.schema("AppPasswordList", R"({"type": "object", "required": ["app_passwords", "next_cursor"],
        "properties": {"app_passwords": {"type": "array", "items": {"$ref": "#/components/schemas/AppPassword"}},
        "next_cursor": {"type": "null"}}})");
    router.schema("AppPasswordDeleted", R"({"type": "object", "properties": {"app_password_id": {"type": "string"},
        "deleted": {"const": true}}})");
}

}  // namespace

void
register_routes(http::Router& router, Api& api, Authenticator& auth, AppPasswords& passwords,
                users::UsersModule& users)
{
    add_schemas(router);
    for (const char* verb : {"GET", "POST"}) {
        router.add({.method = verb, .path = "/rest/{method}", .exec = Exec::kBlocking, .body_limit = kFormLimit,
                    .doc = {.summary = "The Subsonic API (1.16.1 with OpenSubsonic's apiKeyAuthentication, formPost "
                                       "and transcodeOffset) for music players: method is ping, getArtists, "
                                       "getAlbum, search3, stream, scrobble, getPlaylists... (with or without "
                                       ".view). Sign in with u and an app password (p, or t = md5(password + s) and "
                                       "s) or apiKey; answers XML, or JSON with f=json",
                            .tag = "subsonic",
                            .responses = {{200, ""}},
                            .query = {"u", "p", "t", "s", "apiKey", "v", "c", "f", "callback", "id"}},
                    .handler = [&api, &auth](const Request& req) -> Reply { return handle_rest(api, auth, req); }});
    }

    const std::string base = "/api/users/profile/app-passwords";
    router.add({.method = "POST", .path = base, .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Create an app password for a Subsonic player (shown once)", .tag = "subsonic",
                        .request = "AppPasswordInput", .responses = {{201, "AppPasswordCreated"}, {409, "Error"}}},
                .handler = [&passwords, &users](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto name = in->string("name", true, 1, 100);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    auto made = passwords.create(req.user().user_id, *name);
                    if (!made) {
                        return made.error();
                    }
                    auto body = app_password_json(made->info);
                    body["password"] = made->password;
                    auto user = users.find(req.user().user_id);
                    body["username"] = user ? user->username : "";
                    return Response::json(201, body).with_header("Cache-Control", "no-store");
                }});
    router.add({.method = "GET", .path = base, .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "My app passwords (never the passwords themselves)", .tag = "subsonic",
                        .responses = {{200, "AppPasswordList"}}},
                .handler = [&passwords](const Request& req) -> Reply {
                    boost::json::array items;
                    for (const auto& p : passwords.list(req.user().user_id)) {
                        items.push_back(app_password_json(p));
                    }
                    return Response::json(200, {{"app_passwords", std::move(items)}, {"next_cursor", nullptr}});
                }});
    router.add({.method = "DELETE", .path = base + "/{app_password_id}", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Revoke an app password: players using it are signed out", .tag = "subsonic",
                        .responses = {{200, "AppPasswordDeleted"}, {404, "Error"}}},
                .handler = [&passwords](const Request& req) -> Reply {
                    const std::string id(req.param("app_password_id"));
                    if (auto done = passwords.revoke(req.user().user_id, id); !done) {
                        return done.error();
                    }
                    return Response::json(200, {{"app_password_id", id}, {"deleted", true}});
                }});
}

}  // namespace bb::subsonic
