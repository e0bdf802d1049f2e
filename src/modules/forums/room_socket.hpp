#pragma once
// One member's live connection to a room: joins "room:<id>" on open, turns each
// {"message": "..."} into a stored message broadcast to the room, answers bad input with an
// {"type": "error"} frame (the socket stays open).
#include "http/websocket.hpp"

#include <atomic>
#include <memory>
#include <string>

namespace bb::forums {

class Service;

class RoomSocket : public http::WsHandler {
public:
    RoomSocket(Service& service, std::string room_id, std::string username);

    void on_open(const std::shared_ptr<http::WsConnection>& conn) override;
    void on_message(const std::shared_ptr<http::WsConnection>& conn, std::string_view text) override;

private:
    static constexpr int kMaxInFlight = 256;  // messages stored but not yet committed, per socket

    Service& service_;
    std::shared_ptr<std::atomic<int>> in_flight_ = std::make_shared<std::atomic<int>>(0);
    std::string room_id_;
    std::string username_;
};

}  // namespace bb::forums
