#include "http/router.hpp"

#include <doctest/doctest.h>

#include <set>
#include <stdexcept>
#include <string>

namespace {

using bb::http::Auth;
using bb::http::Reply;
using bb::http::Request;
using bb::http::Response;
using bb::http::Route;
using bb::http::Router;

// Each handler answers with its own name so a test can tell which route matched.
bb::http::Handler
named(std::string name)
{
    return [name](const Request&) -> Reply { return Response::text(200, name); };
}

std::string
call(const Router::Match& m)
{
    REQUIRE(m.route != nullptr);
    Request req;
    auto reply = m.route->handler(req);
    REQUIRE(reply.has_value());
    return reply->body;
}

void
add_users_routes(Router& r)
{
    r.add({.method = "GET", .path = "/api/users/{user_id}", .doc = {.summary = "get a user", .tag = "users"},
           .handler = named("get user")});
    r.add({.method = "PUT", .path = "/api/users/{user_id}", .auth = Auth::kRequired, .doc = {.summary = "update a user"},
           .handler = named("put user")});
    r.add({.method = "GET", .path = "/api/users/profile", .auth = Auth::kRequired, .doc = {.summary = "my profile"},
           .handler = named("profile")});
    r.add({.method = "POST", .path = "/api/users", .doc = {.summary = "sign up", .request = "NewUser"},
           .handler = named("signup")});
    r.add({.method = "GET", .path = "/api/users/{user_id}/followers/{follower_id}", .doc = {.summary = "a follower"},
           .handler = named("follower")});
    r.add({.method = "GET", .path = "/api/users/profile/settings", .handler = named("settings")});
    r.add({.method = "GET", .path = "/", .handler = named("root")});
}

std::string
param(const Router::Match& m, const std::string& name)
{
    for (const auto& [k, v] : m.params) {
        if (k == name) {
            return v;
        }
    }
    FAIL("no parameter " << name);
    return {};
}

}  // namespace

TEST_SUITE("http/router") {

TEST_CASE("a literal segment beats a parameter") {
    Router r;
    add_users_routes(r);
    auto m = r.match("GET", "/api/users/profile");
    CHECK(call(m) == "profile");
    CHECK(m.params.empty());
    CHECK(m.allow.empty());
}

TEST_CASE("parameters are extracted") {
    Router r;
    add_users_routes(r);
    auto m = r.match("GET", "/api/users/0199-abc");
    CHECK(call(m) == "get user");
    REQUIRE(m.params.size() == 1);
    CHECK(param(m, "user_id") == "0199-abc");

    auto two = r.match("GET", "/api/users/u1/followers/u2");
    CHECK(call(two) == "follower");
    REQUIRE(two.params.size() == 2);
    CHECK(two.params[0] == std::pair<std::string, std::string>{"user_id", "u1"});
    CHECK(two.params[1] == std::pair<std::string, std::string>{"follower_id", "u2"});
}

TEST_CASE("a literal that leads nowhere falls back to the parameter") {
    // "profile" exists as a literal, but /profile/followers/x only exists under {user_id}.
    Router r;
    add_users_routes(r);
    auto m = r.match("GET", "/api/users/profile/followers/u2");
    CHECK(call(m) == "follower");
    REQUIRE(m.params.size() == 2);
    CHECK(param(m, "user_id") == "profile");
    CHECK(param(m, "follower_id") == "u2");
    // And the literal branch still wins where it goes all the way.
    CHECK(call(r.match("GET", "/api/users/profile/settings")) == "settings");
    // A dead literal branch leaves no parameters behind.
    auto miss = r.match("GET", "/api/users/profile/nothing");
    CHECK(miss.route == nullptr);
    CHECK(miss.params.empty());
}

TEST_CASE("another method on a known path gives 405 information") {
    Router r;
    add_users_routes(r);
    auto m = r.match("DELETE", "/api/users/u1");
    CHECK(m.route == nullptr);
    CHECK(m.allow == "GET, PUT");

    auto post = r.match("PUT", "/api/users");
    CHECK(post.route == nullptr);
    CHECK(post.allow == "POST");

    // Method names are case-sensitive, as in HTTP.
    auto lower = r.match("get", "/api/users/u1");
    CHECK(lower.route == nullptr);
    CHECK(lower.allow == "GET, PUT");
}

TEST_CASE("an unknown path gives no route and no allow") {
    Router r;
    add_users_routes(r);
    for (const char* path : {"/api/nothing", "/api", "/api/users/u1/extra", "/api/users/u1/followers", "", "api/users",
                             "/API/USERS"}) {
        CAPTURE(path);
        auto m = r.match("GET", path);
        CHECK(m.route == nullptr);
        CHECK(m.allow.empty());
        CHECK(m.params.empty());
    }
}

TEST_CASE("HEAD falls back to GET, but not to other methods") {
    Router r;
    add_users_routes(r);
    auto m = r.match("HEAD", "/api/users/u1");
    CHECK(call(m) == "get user");
    CHECK(param(m, "user_id") == "u1");

    auto post_only = r.match("HEAD", "/api/users");
    CHECK(post_only.route == nullptr);
    CHECK(post_only.allow == "POST");
}

TEST_CASE("an explicit HEAD route wins over the GET fallback") {
    Router r;
    r.add({.method = "GET", .path = "/x", .handler = named("get")});
    r.add({.method = "HEAD", .path = "/x", .handler = named("head")});
    CHECK(call(r.match("HEAD", "/x")) == "head");
    CHECK(call(r.match("GET", "/x")) == "get");
}

TEST_CASE("trailing slashes and empty segments") {
    Router r;
    add_users_routes(r);
    // An empty segment never fills a parameter.
    auto trailing = r.match("GET", "/api/users/");
    CHECK(trailing.route == nullptr);
    CHECK(trailing.allow.empty());
    CHECK(r.match("GET", "/api/users//followers/u2").route == nullptr);
    // A trailing slash is a different path from the one without.
    CHECK(r.match("GET", "/api/users/profile/").route == nullptr);
    CHECK(r.match("POST", "/api/users/").route == nullptr);
    // "/" is its own route.
    CHECK(call(r.match("GET", "/")) == "root");
    // Parameter values are taken as they are: dots and percent signs included.
    auto odd = r.match("GET", "/api/users/a.b%20c");
    CHECK(param(odd, "user_id") == "a.b%20c");
}

TEST_CASE("registering the same method and path twice throws") {
    Router r;
    r.add({.method = "GET", .path = "/api/things/{id}", .handler = named("a")});
    CHECK_THROWS_AS(r.add({.method = "GET", .path = "/api/things/{id}", .handler = named("b")}), std::logic_error);
    // The same shape under another parameter name is a conflict too.
    CHECK_THROWS_AS(r.add({.method = "GET", .path = "/api/things/{thing_id}", .handler = named("c")}), std::logic_error);
    // Another method on the same path is fine.
    CHECK_NOTHROW(r.add({.method = "DELETE", .path = "/api/things/{id}", .handler = named("d")}));
    CHECK(r.routes().size() == 2);
    // The first registration is the one that answers.
    CHECK(call(r.match("GET", "/api/things/1")) == "a");
}

TEST_CASE("a path must start with a slash") {
    Router r;
    CHECK_THROWS_AS(r.add({.method = "GET", .path = "api/x", .handler = named("x")}), std::logic_error);
    CHECK_THROWS_AS(r.add({.method = "GET", .path = "", .handler = named("x")}), std::logic_error);
    CHECK(r.routes().empty());
}

TEST_CASE("openapi: version, paths, methods, parameters, security") {
    Router r;
    add_users_routes(r);
    r.schema("NewUser", R"({"type":"object","properties":{"username":{"type":"string"}}})");
    const auto spec = r.openapi("9.9.9");

    CHECK(spec.at("openapi") == "3.1.0");
    CHECK(spec.at("info").at("version") == "9.9.9");

    const auto& paths = spec.at("paths").as_object();
    // Undocumented routes (no summary) stay out of the spec.
    CHECK_FALSE(paths.contains("/"));
    CHECK_FALSE(paths.contains("/api/users/profile/settings"));

    // Several methods on one path share one path item.
    REQUIRE(paths.contains("/api/users/{user_id}"));
    const auto& item = paths.at("/api/users/{user_id}").as_object();
    CHECK(item.size() == 2);
    REQUIRE(item.contains("get"));
    REQUIRE(item.contains("put"));

    const auto& get = item.at("get").as_object();
    CHECK(get.at("summary") == "get a user");
    CHECK(get.at("tags").as_array().size() == 1);
    CHECK(get.at("tags").as_array()[0] == "users");
    const auto& params = get.at("parameters").as_array();
    REQUIRE(params.size() == 1);
    CHECK(params[0].at("name") == "user_id");
    CHECK(params[0].at("in") == "path");
    CHECK(params[0].at("required") == true);

    // Public routes need no token (no security, or an empty list); Auth::kRequired routes name
    // the bearer scheme and document a 401.
    const auto* public_security = get.if_contains("security");
    CHECK((public_security == nullptr || public_security->as_array().empty()));
    CHECK_FALSE(get.at("responses").as_object().contains("401"));
    const auto& put = item.at("put").as_object();
    REQUIRE(put.contains("security"));
    const auto& security = put.at("security").as_array();
    REQUIRE(security.size() == 1);
    CHECK(security[0].as_object().contains("bearer"));
    CHECK(put.at("responses").as_object().contains("401"));
    CHECK(spec.at("components").at("securitySchemes").as_object().contains("bearer"));

    // Two path parameters, in order.
    const auto& follower = paths.at("/api/users/{user_id}/followers/{follower_id}").at("get").at("parameters").as_array();
    REQUIRE(follower.size() == 2);
    CHECK(follower[0].at("name") == "user_id");
    CHECK(follower[1].at("name") == "follower_id");

    // A request body refers to a registered schema, which is in components.
    const auto& signup = paths.at("/api/users").at("post").as_object();
    CHECK(signup.at("requestBody").at("content").at("application/json").at("schema").at("$ref") ==
          "#/components/schemas/NewUser");
    CHECK(spec.at("components").at("schemas").as_object().contains("NewUser"));
    CHECK(spec.at("components").at("schemas").as_object().contains("Error"));

    // Operation ids are unique across the spec.
    std::set<std::string> ids;
    std::size_t operations = 0;
    for (const auto& [path, methods] : paths) {
        for (const auto& [method, op] : methods.as_object()) {
            ids.insert(std::string(op.at("operationId").as_string()));
            ++operations;
        }
    }
    CHECK(ids.size() == operations);
    CHECK(operations == 5);
}

}  // TEST_SUITE
