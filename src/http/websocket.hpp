#pragma once
// WebSockets as modules see them: a route with `upgrade` turns an authenticated GET into a live
// connection whose messages go to a WsHandler. Beast stays in ws_session.cpp.
#include "core/error.hpp"
#include "http/request.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace bb::http {

// A live socket. Thread-safe. Frames are queued with one write in flight; a reader that falls
// too far behind is closed (1008) instead of growing memory.
class WsConnection {
public:
    virtual ~WsConnection() = default;
    virtual void send(std::shared_ptr<const std::string> text) = 0;
    virtual void close(int code, std::string reason) = 0;
    virtual const Principal& principal() const = 0;
    virtual std::uint64_t id() const = 0;
};

// One per connection, made by the route's upgrade function. Callbacks for one connection run one
// at a time, in order, on the blocking pool (they may write to the database).
class WsHandler {
public:
    virtual ~WsHandler() = default;
    virtual void on_open(const std::shared_ptr<WsConnection>&) {}
    virtual void on_message(const std::shared_ptr<WsConnection>&, std::string_view text) {}
    virtual void on_close(const std::shared_ptr<WsConnection>&) {}
};

// Called after auth and the Origin check, before the handshake is answered: an Error here is an
// ordinary HTTP answer (401, 403, 404), not a socket that opens and closes.
using WsUpgrade = std::function<core::Result<std::shared_ptr<WsHandler>>(const Request&)>;

}  // namespace bb::http
