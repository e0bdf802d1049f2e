#include "http/pipeline.hpp"

#include "core/disk.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/rate_limiter.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace bb::http {
namespace {

bool
sane_request_id(std::string_view id)
{
    return !id.empty() && id.size() <= 128 &&
           std::all_of(id.begin(), id.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

// Counters are looked up once per (route, method, status) and per thread, then bumped without a
// lock; the key is built from the route's address, so no string is formatted per request.
struct CounterKey {
    const void* route;
    std::string_view method;
    int status;
    bool operator==(const CounterKey&) const = default;
};
struct CounterKeyHash {
    std::size_t operator()(const CounterKey& k) const
    {
        return std::hash<const void*>()(k.route) ^ (std::hash<std::string_view>()(k.method) << 1) ^
               (static_cast<std::size_t>(k.status) << 7);
    }
};

core::Counter&
request_counter(core::Metrics& metrics, const void* route_key, std::string_view method, std::string_view route, int status)
{
    thread_local std::unordered_map<CounterKey, core::Counter*, CounterKeyHash> cache;
    const CounterKey key{route_key, method, status};
    auto it = cache.find(key);
    if (it == cache.end()) {
        auto* counter = &metrics.counter("backbeat_http_requests_total", "HTTP requests by method, route and status",
                                         fmt::format("method=\"{}\",route=\"{}\",status=\"{}\"", method, route, status));
        it = cache.emplace(key, counter).first;
    }
    return *it->second;
}

core::Histogram&
request_histogram(core::Metrics& metrics, const void* route_key, std::string_view route)
{
    thread_local std::unordered_map<const void*, core::Histogram*> cache;
    auto it = cache.find(route_key);
    if (it == cache.end()) {
        auto* h = &metrics.histogram("backbeat_http_request_duration_seconds", "HTTP request latency by route",
                                     fmt::format("route=\"{}\"", route));
        it = cache.emplace(route_key, h).first;
    }
    return *it->second;
}

std::string_view
bearer_token(const Request& req)
{
    auto authorization = req.header("Authorization");
    if (authorization.size() > 7 && (authorization.starts_with("Bearer ") || authorization.starts_with("bearer "))) {
        return authorization.substr(7);
    }
    return {};
}

// What the API would own, however it is spelled ("/API/x", "//api/x"): a miss there is a JSON 404,
// never the web page, which a client expecting JSON would choke on.
bool
is_api_path(std::string_view path)
{
    while (path.starts_with('/')) {
        path.remove_prefix(1);
    }
    return path.size() >= 3 && boost::algorithm::iequals(path.substr(0, 3), "api") && (path.size() == 3 || path[3] == '/');
}

// What a handler's exception becomes: 507 when the disk is full (nothing was saved; the client may
// retry later), else a 500 that is logged.
core::Error
failure(const Route& route, const std::exception& e)
{
    if (core::is_storage_full(e)) {
        core::log::warn("http", "out of disk space", {{"route", route.path}, {"error", e.what()}});
        return core::insufficient_storage();
    }
    core::log::error("http", "handler failed", {{"route", route.path}, {"error", e.what()}});
    return core::internal();
}

}  // namespace

Pipeline::Pipeline(const Router& router, core::Metrics& metrics, Options options)
    : router_(router), metrics_(metrics), options_(std::move(options))
{
}

bool
Pipeline::origin_allowed(std::string_view origin) const
{
    return std::any_of(options_.cors_origins.begin(), options_.cors_origins.end(),
                       [&](const std::string& allowed) { return allowed == "*" || allowed == origin; });
}

Pipeline::Routed
Pipeline::route(Request& req, bool draining) const
{
    Routed out;
    if (auto id = req.header("X-Request-Id"); sane_request_id(id)) {
        req.request_id = id;
    } else {
        req.request_id = core::new_request_id();
    }
    if (draining) {
        out.early = Response::error({core::Code::kUnavailable, "shutting_down", "the server is shutting down", {}});
        return out;
    }
    if (req.method == "OPTIONS" && !req.header("Access-Control-Request-Method").empty()) {
        Response preflight = Response::text(204, "");
        preflight.content_type.clear();
        out.early = std::move(preflight);
        return out;
    }
    auto match = router_.match(req.method, req.path);
    if (match.route != nullptr) {
        req.params = std::move(match.params);
        out.route = match.route;
        return out;
    }
    if (!match.allow.empty()) {
        out.early = Response::error({core::Code::kMethodNotAllowed, "method_not_allowed",
                                     fmt::format("{} is not allowed here; use {}", req.method, match.allow), {}})
                        .with_header("Allow", match.allow);
        return out;
    }
    if ((req.method == "GET" || req.method == "HEAD") && !is_api_path(req.path) && router_.fallback()) {
        auto reply = router_.fallback()(req);
        out.early = reply ? std::move(*reply) : Response::error(reply.error());
        return out;
    }
    out.early = Response::error(core::not_found(fmt::format("{} {}", req.method, req.path)));
    return out;
}

Response
Pipeline::handle(const Route* route, Request& req) const
{
    core::log::RequestScope scope(req.request_id);
    try {
        return authenticate_and_run(*route, req);
    } catch (const core::ErrorException& e) {
        return Response::error(e.error);
    } catch (const std::exception& e) {
        return Response::error(failure(*route, e));
    }
}

std::optional<Response>
Pipeline::try_fast_path(const Route* route, Request& req) const
{
    if (!route->fast_path || route->auth != Auth::kPublic || route->limiter != nullptr) {
        return std::nullopt;
    }
    core::log::RequestScope scope(req.request_id);
    try {
        auto reply = route->fast_path(req);
        if (!reply) {
            return std::nullopt;
        }
        return *reply ? std::move(**reply) : Response::error(reply->error());
    } catch (const std::exception& e) {
        return std::nullopt;  // the full handler will report it
    }
}

bool
Pipeline::try_deferred(const Route* route, Request& req, const Respond& respond) const
{
    if (!route->deferred) {
        return false;
    }
    core::log::RequestScope scope(req.request_id);
    try {
        if (auto refused = authenticate(*route, req, bearer_token(req))) {
            respond(*refused);
            return true;
        }
        return route->deferred(req, respond);
    } catch (const std::exception& e) {
        // Thrown before any work was queued (a closed database): nothing else will answer.
        respond(failure(*route, e));
        return true;
    }
}

std::optional<core::Error>
Pipeline::authenticate(const Route& route, Request& req, std::string_view token) const
{
    if (!token.empty() && router_.authenticator()) {
        auto principal = router_.authenticator()(token);
        if (principal) {
            req.principal = std::move(*principal);
        } else if (route.auth == Auth::kRequired) {
            return principal.error();
        }
        // On a public route a stale token is ignored: the request is served as anonymous.
    }
    if (route.auth == Auth::kRequired && !req.principal) {
        return core::unauthorized();
    }
    if (route.limiter != nullptr) {
        if (int wait = route.limiter->take(req.client_addr); wait > 0) {
            return core::rate_limited(wait);
        }
    }
    return std::nullopt;
}

Response
Pipeline::authenticate_and_run(const Route& route, Request& req) const
{
    if (auto refused = authenticate(route, req, bearer_token(req))) {
        return Response::error(*refused);
    }
    auto reply = route.handler(req);
    return reply ? std::move(*reply) : Response::error(reply.error());
}

core::Result<std::shared_ptr<WsHandler>>
Pipeline::upgrade(const Route* route, Request& req) const
{
    core::log::RequestScope scope(req.request_id);
    // Cross-site WebSocket hijacking: a page elsewhere must not open a socket with our cookies
    // or a stolen token. Browsers always send Origin; other clients may omit it.
    auto origin = req.header("Origin");
    auto host = req.header("Host");
    const bool same_site = !host.empty() && (origin == "http://" + std::string(host) || origin == "https://" + std::string(host));
    if (!origin.empty() && !same_site && !origin_allowed(origin)) {
        return core::forbidden("this origin may not open a WebSocket here");
    }
    std::string_view token = req.query_param("token").value_or("");
    auto authorization = req.header("Authorization");
    if (token.empty() && authorization.size() > 7 && authorization.starts_with("Bearer ")) {
        token = authorization.substr(7);
    }
    if (auto refused = authenticate(*route, req, token)) {
        return *refused;
    }
    try {
        return route->upgrade(req);
    } catch (const std::exception& e) {
        core::log::error("http", "upgrade failed", {{"route", route->path}, {"error", e.what()}});
        return core::internal();
    }
}

void
Pipeline::finish(const Request& req, const Route* route, Response& res,
                 std::chrono::steady_clock::time_point started) const
{
    res.with_header("X-Request-Id", req.request_id);
    if (auto origin = req.header("Origin"); !origin.empty() && origin_allowed(origin)) {
        res.with_header("Access-Control-Allow-Origin", std::string(origin));
        res.with_header("Vary", "Origin");
        res.with_header("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, ETag, Content-Range");
        if (req.method == "OPTIONS") {
            res.with_header("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
            res.with_header("Access-Control-Allow-Headers",
                            "Authorization, Content-Type, Idempotency-Key, X-Request-Id, Range, If-None-Match");
            res.with_header("Access-Control-Max-Age", "600");
        }
    }

    const std::string_view route_label = route != nullptr ? std::string_view(route->path) : "unmatched";
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    static constexpr std::string_view kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    auto known = std::find(std::begin(kMethods), std::end(kMethods), req.method);
    const std::string_view method = known != std::end(kMethods) ? *known : std::string_view("OTHER");
    request_counter(metrics_, route, method, route_label, res.status).add();
    request_histogram(metrics_, route, route_label).observe(seconds);
    if (options_.access_log) {
        core::log::RequestScope scope(req.request_id);
        core::log::info("http", "request",
                        {{"method", req.method},
                         {"path", req.path},
                         {"route", route_label},
                         {"status", res.status},
                         {"duration_us", static_cast<std::int64_t>(seconds * 1e6)},
                         {"client", req.client_addr},
                         {"bytes", res.body.size()}});
    }
}

}  // namespace bb::http
