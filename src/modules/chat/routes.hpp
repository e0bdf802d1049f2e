#pragma once
// The chat module's transport adapters: REST routes (routes.cpp) and the socket (ws.cpp).
#include "core/rate_limiter.hpp"
#include "http/router.hpp"
#include "modules/chat/service.hpp"

#include <memory>
#include <optional>
#include <string>

namespace bb::chat {

// `senders` limits sends over HTTP per user, as a socket's own limit does for the socket.
void add_routes(http::Router& router, Service& service, http::WsHub& hub, core::RateLimiter& senders);

// One open /ws/chat/{user_id} socket; `since` asks for the messages missed after that id first.
std::shared_ptr<http::WsHandler> make_socket(Service& service, http::WsHub& hub, std::string user_id,
                                             std::optional<std::string> since);

}  // namespace bb::chat
