#pragma once
// WS /ws/notifications/{user_id}: joins the user's group and, with ?since=<id>, first replays what
// the client missed. Private to the notifications module.
#include "http/websocket.hpp"
#include "modules/notifications/store.hpp"

#include <memory>
#include <optional>
#include <string>

namespace bb::http {
class WsHub;
}

namespace bb::notifications {

// At most this many missed notifications (the oldest) are replayed on connect, as a socket's send
// queue is bounded; past it a "replay truncated" frame gives next_since, and the rest stay
// readable through GET /api/notifications.
inline constexpr int kMaxReplay = 200;

std::shared_ptr<http::WsHandler> make_socket(Store& store, http::WsHub& hub, std::string user_id,
                                             std::optional<std::string> since);

}  // namespace bb::notifications
