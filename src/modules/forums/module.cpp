// Forums (seed: rating and discussion): live rooms about a beat or a genre. HTTP for rooms and
// history, a WebSocket per member for talking. The rules live in service.cpp, the socket in
// room_socket.cpp.
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "modules/forums/forums.hpp"
#include "modules/forums/room_socket.hpp"
#include "modules/forums/service.hpp"

namespace bb::forums {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

}  // namespace

struct ForumsModule::Impl {
    Service service;

    Reply create(const Request& req)
    {
        auto in = http::JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        auto room_type = in->string("room_type", true, 1, 10);
        auto beat_id = in->string("beat_id", false, 1, 64);
        auto genre = in->string("genre", false, 1, 50);
        auto name = in->string("name", false, 1, 100);
        if (room_type && *room_type != "beat" && *room_type != "genre") {
            in->fail("room_type", "must be \"beat\" or \"genre\"");
        } else if (room_type == "beat") {
            if (!beat_id && !in->has("beat_id")) {
                in->fail("beat_id", "is required for a beat room");
            }
            if (genre) {
                in->fail("genre", "is only for genre rooms");
            }
        } else if (room_type == "genre") {
            if (!genre && !in->has("genre")) {
                in->fail("genre", "is required for a genre room");
            }
            if (beat_id) {
                in->fail("beat_id", "is only for beat rooms");
            }
        }
        if (auto e = in->error()) {
            return *e;
        }
        return http::json_reply(201, service.create(req.user(), {*room_type, beat_id, genre, name}));
    }

    Reply list(const Request& req)
    {
        std::optional<std::string> beat_id;
        if (auto param = req.query_param("beat_id"); param && !param->empty()) {
            beat_id = std::string(*param);
        }
        return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
            return service.list_active(beat_id, limit, cursor);
        });
    }

    Reply history(const Request& req)
    {
        return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
            return service.history(std::string(req.param("room_id")), limit, cursor);
        });
    }

    core::Result<std::shared_ptr<http::WsHandler>> connect(const Request& req)
    {
        auto room_id = req.query_param("roomId");
        if (!room_id || room_id->empty()) {
            return core::invalid_field("roomId", "is required");
        }
        auto room = service.find_open(std::string(*room_id));
        if (!room) {
            return core::not_found("room");
        }
        auto username = service.username_of(req.user().user_id);
        if (!username) {
            return core::unauthorized();
        }
        return std::shared_ptr<http::WsHandler>(std::make_shared<RoomSocket>(service, room->id, *username));
    }
};

ForumsModule::ForumsModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats)
    : impl_(std::make_unique<Impl>(Impl{Service(services.db, services.hub, users, beats, services.secret)}))
{
}

ForumsModule::~ForumsModule() = default;

void
ForumsModule::register_routes(http::Router& router)
{
    router.schema("Room", R"({"type": "object",
        "required": ["room_id", "room_type", "beat_id", "genre", "name", "created_by", "members_online", "created_at",
            "closed_at"],
        "properties": {"room_id": {"type": "string"}, "room_type": {"type": "string", "enum": ["beat", "genre"]},
        "beat_id": {"type": ["string", "null"]}, "genre": {"type": ["string", "null"]}, "name": {"type": "string"},
        "created_by": {"type": "string"},
        "owner_id": {"type": "string", "description": "may close it: a beat room's producer, a genre room's creator"},
        "members_online": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "closed_at": {"type": ["string", "null"], "format": "date-time"}}})");
    router.schema("RoomInput", R"({"type": "object", "required": ["room_type"],
        "properties": {"room_type": {"type": "string", "enum": ["beat", "genre"]},
        "beat_id": {"type": "string", "description": "required for beat rooms"},
        "genre": {"type": "string", "maxLength": 50, "description": "required for genre rooms"},
        "name": {"type": "string", "maxLength": 100, "description": "default: the beat's title or the genre"}}})");
    router.schema("RoomList", R"({"type": "object", "required": ["rooms", "next_cursor"], "properties": {
        "rooms": {"type": "array", "items": {"$ref": "#/components/schemas/Room"}},
        "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("RoomMessage", R"({"type": "object",
        "required": ["message_id", "room_id", "user_id", "username", "message", "created_at"],
        "properties": {"message_id": {"type": "string"}, "room_id": {"type": "string"}, "user_id": {"type": "string"},
        "username": {"type": "string"}, "message": {"type": "string", "maxLength": 2000},
        "created_at": {"type": "string", "format": "date-time"}}})");
    router.schema("RoomHistory", R"({"type": "object", "required": ["room_id", "messages", "next_cursor"],
        "properties": {
        "room_id": {"type": "string"},
        "messages": {"type": "array", "items": {"$ref": "#/components/schemas/RoomMessage"}},
        "next_cursor": {"type": ["string", "null"], "description": "older messages"}}})");

    Impl& m = *impl_;
    router.add({.method = "POST", .path = "/api/forums/rooms", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Open a discussion room about a beat or a genre", .tag = "forums",
                        .request = "RoomInput", .responses = {{201, "Room"}, {404, "Error"}, {422, "Error"}}},
                .handler = [&m](const Request& req) { return m.create(req); }});
    router.add({.method = "GET", .path = "/api/forums/rooms", .exec = Exec::kBlocking,
                .doc = {.summary = "Active rooms, newest first, with members online", .tag = "forums",
                        .responses = {{200, "RoomList"}}, .query = {"beat_id", "limit", "cursor"}},
                .handler = [&m](const Request& req) { return m.list(req); }});
    router.add({.method = "GET", .path = "/api/forums/rooms/{room_id}", .exec = Exec::kBlocking,
                .doc = {.summary = "A room (open or closed)", .tag = "forums",
                        .responses = {{200, "Room"}, {404, "Error"}}},
                .handler = [&m](const Request& req) {
                    return http::json_reply(200, m.service.get(std::string(req.param("room_id"))));
                }});
    router.add({.method = "DELETE", .path = "/api/forums/rooms/{room_id}", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Close a room (its creator or an admin): members get forum.closed, then code 1000",
                        .tag = "forums", .responses = {{200, "Room"}, {403, "Error"}, {404, "Error"}}},
                .handler = [&m](const Request& req) {
                    return http::json_reply(200, m.service.close(req.user(), std::string(req.param("room_id"))));
                }});
    router.add({.method = "GET", .path = "/api/forums/rooms/{room_id}/messages", .exec = Exec::kBlocking,
                .doc = {.summary = "A room's messages, oldest to newest; the cursor pages further back",
                        .tag = "forums",
                        .responses = {{200, "RoomHistory"}, {404, "Error"}}, .query = {"limit", "cursor"}},
                .handler = [&m](const Request& req) { return m.history(req); }});
    router.add({.method = "GET", .path = "/api/forums/connect", .auth = Auth::kRequired,
                .doc = {.summary = "WebSocket: join a room (?roomId=&token=); send {\"message\"}, receive "
                                   "forum.message and forum.closed frames",
                        .tag = "forums", .responses = {{101, ""}, {401, "Error"}, {404, "Error"}},
                        .query = {"roomId", "token"}},
                .upgrade = [&m](const Request& req) { return m.connect(req); }});
}

}  // namespace bb::forums
