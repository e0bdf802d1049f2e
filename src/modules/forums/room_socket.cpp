#include "modules/forums/room_socket.hpp"

#include "core/log.hpp"
#include "http/ws_hub.hpp"
#include "modules/forums/service.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace bb::forums {
namespace {

void
send_error(const std::shared_ptr<http::WsConnection>& conn, std::string_view code, std::string_view message)
{
    conn->send(std::make_shared<const std::string>(
        boost::json::serialize(boost::json::object{{"type", "error"}, {"code", code}, {"message", message}})));
}

std::size_t
utf8_length(std::string_view s)
{
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

RoomSocket::RoomSocket(Service& service, std::string room_id, std::string username)
    : service_(service), room_id_(std::move(room_id)), username_(std::move(username))
{
}

void
RoomSocket::on_open(const std::shared_ptr<http::WsConnection>& conn)
{
    service_.hub().join(room_group(room_id_), conn);
    // Closed between the handshake and now: the close's broadcast may have missed us.
    if (!service_.find_open(room_id_)) {
        conn->send(std::make_shared<const std::string>(closed_frame(room_id_)));
        conn->close(1000, "room closed");
    }
}

void
RoomSocket::on_message(const std::shared_ptr<http::WsConnection>& conn, std::string_view text)
{
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec || !value.is_object()) {
        return send_error(conn, "bad_request", "send a JSON object: {\"message\": \"...\"}");
    }
    const auto* message = value.as_object().if_contains("message");
    if (message == nullptr || !message->is_string()) {
        return send_error(conn, "invalid_message", "\"message\" must be a string");
    }
    const std::string body(message->as_string());
    const auto length = utf8_length(body);
    if (length == 0 || length > kMaxMessage) {
        return send_error(conn, "invalid_message",
                          "\"message\" must be 1 to " + std::to_string(kMaxMessage) + " characters");
    }
    // Not waiting for each commit: a member's messages queue on the writer in order and share
    // commits (each is broadcast once committed). Past kMaxInFlight the socket waits for its
    // commits, so one flooding member cannot queue writes without bound.
    auto report = [conn, room_id = room_id_](core::Result<void> posted) {
        if (posted) {
            return;
        }
        if (posted.error().code == core::Code::kInternal) {
            core::log::error("forums", "storing a message failed",
                             {{"room_id", room_id}, {"error", posted.error().message}});
            return send_error(conn, "internal", "the message could not be stored; try again");
        }
        send_error(conn, posted.error().slug, posted.error().message);
    };
    try {
        if (in_flight_->load() >= kMaxInFlight) {
            return report(service_.post(room_id_, conn->principal().user_id, username_, body));
        }
        in_flight_->fetch_add(1);
        service_.post_async(room_id_, conn->principal().user_id, username_, body,
                            [report, in_flight = in_flight_](core::Result<void> posted) {
                                in_flight->fetch_sub(1);
                                report(std::move(posted));
                            });
    } catch (const std::exception& e) {
        report(core::internal(e.what()));
    }
}

}  // namespace bb::forums
