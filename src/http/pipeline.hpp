#pragma once
// What happens to a request between the socket and the handler, with no I/O in it: request id,
// CORS, routing (404/405), auth, rate limits, running the handler, mapping errors to the envelope,
// security headers, the access log and metrics. The session does the reading and writing.
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace bb::core {
class Metrics;
}

namespace bb::http {

class Pipeline {
public:
    struct Options {
        std::vector<std::string> cors_origins;
        bool access_log = true;
    };
    Pipeline(const Router& router, core::Metrics& metrics, Options options);

    // Before the body is read: the route (and its body limit), or an early answer.
    struct Routed {
        const Route* route = nullptr;
        std::optional<Response> early;
    };
    Routed route(Request& req, bool draining) const;

    // After the body is read: auth, rate limit, the handler. Safe on any thread.
    Response handle(const Route* route, Request& req) const;
    // The route's fast path, for public routes only; nullopt sends the request to handle().
    std::optional<Response> try_fast_path(const Route* route, Request& req) const;
    // Auth, rate limit, then the route's deferred start. True when the request was taken (the
    // answer, a refusal included, comes through respond); false sends it to handle().
    bool try_deferred(const Route* route, Request& req, const Respond& respond) const;

    // Adds the common headers, logs and counts. `started` is when the request's header arrived.
    void finish(const Request& req, const Route* route, Response& res, std::chrono::steady_clock::time_point started) const;

    // For a WebSocket route, before the handshake is answered.
    core::Result<std::shared_ptr<WsHandler>> upgrade(const Route* route, Request& req) const;

    bool origin_allowed(std::string_view origin) const;

private:
    Response authenticate_and_run(const Route& route, Request& req) const;
    // Sets the principal; an error when the route needs one and the token is missing or bad.
    std::optional<core::Error> authenticate(const Route& route, Request& req, std::string_view token) const;

    const Router& router_;
    core::Metrics& metrics_;
    Options options_;
};

}  // namespace bb::http
