#pragma once
// The HTTP server: Boost.Beast on one io_context run by a few network threads. It reads the
// header first, finds the route, then reads the body under that route's limit; applies the
// middleware (request id, CORS, security headers, auth, rate limit, access log, metrics) and maps
// every Error to the API's envelope. Blocking routes run on a separate pool. Beast and Asio stay
// inside this class's .cpp files.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace bb::core {
class Metrics;
}

namespace bb::http {

class Router;
class WsHub;

class Server {
public:
    struct Options {
        std::string listen = "127.0.0.1:8080";
        int threads = 2;
        int blocking_threads = 32;
        // As many as the database has read connections: more would only wait for one, and a
        // parked thread costs a wake-up and a context switch per request on a small machine.
        int read_threads = 4;
        int max_connections = 10000;
        std::chrono::seconds read_timeout{30};
        std::chrono::seconds idle_timeout{75};
        std::int64_t max_json_body = 1 << 20;
        std::int64_t max_upload = std::int64_t{200} << 20;
        std::string upload_dir;  // where multipart file parts are streamed (inside the data dir)
        std::vector<std::string> cors_origins;
        std::vector<std::string> trusted_proxies;
        bool access_log = true;
        std::chrono::seconds drain_timeout{10};
        int ws_messages_per_10s = 100;  // per WebSocket connection; 0 = no limit
        int ws_per_user = 20;           // open WebSockets one user may hold; 0 = no limit
        std::size_t ws_max_queue = 256;   // frames a slow reader may fall behind before it is cut off
    };

    Server(Options options, const Router& router, core::Metrics& metrics, WsHub& hub);
    ~Server();

    // Binds the listening socket; returns a one-line reason on failure. port() is valid after.
    std::string bind();
    std::uint16_t port() const;
    // Serves until SIGINT/SIGTERM or shutdown(): stops accepting, answers 503 to new requests,
    // waits for in-flight ones (up to drain_timeout), then returns.
    void run();
    void shutdown();
    std::int64_t open_connections() const;

    struct Impl;  // public only so that the connection class in server.cpp can name it

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::http
