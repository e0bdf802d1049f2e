// The chat module's HTTP surface: send, read a chat, the list of my chats, read marks, and the
// WebSocket route. Handlers read the request, call the service and shape the answer.
#include "core/clock.hpp"
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "modules/chat/routes.hpp"

#include <boost/algorithm/string/predicate.hpp>

namespace bb::chat {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

Reply
send(Service& service, const Request& req)
{
    auto in = http::JsonInput::parse(req);
    if (!in) {
        return in.error();
    }
    auto receiver = in->string("receiver", true, 1, 200);
    auto message = in->string("message", true, 1, kMaxMessageChars);
    auto sender = in->string("sender", false, 0, 200);
    if (auto e = in->error()) {
        return *e;
    }
    const auto& me = req.user();
    if (sender && *sender != me.user_id) {
        auto mine = service.users().find(me.user_id);
        if (!mine || !boost::algorithm::iequals(*sender, mine->username)) {
            return core::forbidden("you may only send messages as yourself");
        }
    }
    auto sent = service.send(me.user_id, *receiver, *message);
    if (!sent) {
        return sent.error();
    }
    const auto& m = sent->message;
    return Response::json(201, {{"chat_id", m.chat_id},
                                {"message_id", m.message_id},
                                {"sender", sent->sender},
                                {"sender_id", m.sender_id},
                                {"receiver", sent->receiver},
                                {"receiver_id", m.receiver_id},
                                {"content", m.content},
                                {"created_at", core::clock::rfc3339(m.created_ms)}});
}

Reply
messages(Service& service, const Request& req)
{
    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
        return service.messages(req.user().user_id, std::string(req.param("chat_id")), limit, cursor);
    });
}

Reply
history(Service& service, const Request& req)
{
    if (req.param("user_id") != req.user().user_id) {
        return core::forbidden("you may only read your own chats");
    }
    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
        return service.history(req.user().user_id, limit, cursor);
    });
}

Reply
mark_read(Service& service, const Request& req)
{
    auto done = service.mark_read(req.user().user_id, std::string(req.param("chat_id")));
    if (!done) {
        return done.error();
    }
    return Response::json(200, *done);
}

core::Result<std::shared_ptr<http::WsHandler>>
open_socket(Service& service, http::WsHub& hub, const Request& req)
{
    if (req.param("user_id") != req.user().user_id) {
        return core::forbidden("this socket belongs to another user");
    }
    std::optional<std::string> since;
    if (auto s = req.query_param("since")) {
        if (s->empty() || s->size() > 64) {
            return core::invalid_field("since", "must be a message id");
        }
        since = std::string(*s);
    }
    return make_socket(service, hub, req.user().user_id, std::move(since));
}

void
add_schemas(http::Router& router)
{
    router.schema("ChatSendInput", R"({"type": "object", "required": ["receiver", "message"], "properties": {
        "receiver": {"type": "string", "description": "user id or username"},
        "message": {"type": "string", "minLength": 1, "maxLength": 4000},
        "sender": {"type": "string", "description": "optional; if given, must be the caller's username or id"}}})");
    router.schema("ChatSent", R"({"type": "object",
        "required": ["chat_id", "message_id", "sender", "sender_id", "receiver", "content", "created_at"],
        "properties": {"chat_id": {"type": "string"}, "message_id": {"type": "string"},
        "sender": {"type": "string", "description": "username"}, "sender_id": {"type": "string"},
        "receiver": {"type": "string", "description": "username"}, "receiver_id": {"type": "string"},
        "content": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}})");
    router.schema("ChatMessage", R"({"type": "object",
        "required": ["message_id", "sender", "sender_id", "content", "created_at"],
        "properties": {"message_id": {"type": "string"}, "sender": {"type": "string", "description": "username"},
        "sender_id": {"type": "string"}, "content": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"}}})");
    router.schema("ChatMessages", R"({"type": "object", "required": ["chat_id", "messages", "next_cursor"],
        "properties": {"chat_id": {"type": "string"},
        "messages": {"type": "array", "description": "oldest first (newest last); next_cursor pages to older ones",
            "items": {"$ref": "#/components/schemas/ChatMessage"}},
        "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("ChatSummary", R"({"type": "object", "required": ["chat_id", "participants", "last_message", "unread"],
        "properties": {"chat_id": {"type": "string"},
        "participants": {"type": "array", "items": {"type": "string"}, "description": "usernames, the caller first"},
        "participant_ids": {"type": "array", "items": {"type": "string"}},
        "last_message": {"oneOf": [{"type": "null"}, {"type": "object",
            "required": ["message_id", "sender", "content", "created_at"],
            "properties": {"message_id": {"type": "string"}, "sender": {"type": "string"},
            "sender_id": {"type": "string"}, "content": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"}}}]},
        "unread": {"type": "integer", "minimum": 0, "description": "messages to the caller after their read mark"}}})");
    router.schema("ChatHistory", R"({"type": "object", "required": ["user_id", "chats", "next_cursor"],
        "properties": {"user_id": {"type": "string"},
        "chats": {"type": "array", "description": "newest activity first", "items": {"$ref": "#/components/schemas/ChatSummary"}},
        "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("ChatRead", R"({"type": "object", "required": ["chat_id", "unread"],
        "properties": {"chat_id": {"type": "string"}, "unread": {"type": "integer", "const": 0}}})");
}

}  // namespace

void
add_routes(http::Router& router, Service& service, http::WsHub& hub, core::RateLimiter& senders)
{
    add_schemas(router);
    Service& s = service;
    router.add({.method = "POST", .path = "/api/chat/send", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Send a direct message", .tag = "chat", .request = "ChatSendInput",
                        .responses = {{201, "ChatSent"}, {403, "Error"}, {404, "Error"}, {422, "Error"}, {429, "Error"}}},
                .handler = [&s, &senders](const Request& req) -> Reply {
                    if (const int wait = senders.take(req.user().user_id); wait > 0) {
                        return core::rate_limited(wait);
                    }
                    return send(s, req);
                }});
    router.add({.method = "GET", .path = "/api/chat/messages/{chat_id}", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Messages of a chat I take part in, newest last; the cursor pages to older ones",
                        .tag = "chat", .responses = {{200, "ChatMessages"}, {404, "Error"}},
                        .query = {"limit", "cursor"}},
                .handler = [&s](const Request& req) { return messages(s, req); }});
    router.add({.method = "GET", .path = "/api/chat/history/{user_id}", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "My chats, newest activity first, with the last message and unread count",
                        .tag = "chat", .responses = {{200, "ChatHistory"}, {403, "Error"}},
                        .query = {"limit", "cursor"}},
                .handler = [&s](const Request& req) { return history(s, req); }});
    router.add({.method = "POST", .path = "/api/chat/{chat_id}/read", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Mark a chat read up to its newest message", .tag = "chat",
                        .responses = {{200, "ChatRead"}, {404, "Error"}}},
                .handler = [&s](const Request& req) { return mark_read(s, req); }});
    http::WsHub& h = hub;
    router.add({.method = "GET", .path = "/ws/chat/{user_id}", .auth = Auth::kRequired,
                .doc = {.summary = "WebSocket: live messages to and from me (token as ?token=; ?since=<message id> "
                                   "replays what was missed first, at most 200, then {\"type\": \"replay truncated\", \"next_since\"} "
                                   "when there was more). Send {\"action\": \"send\", \"receiver\", "
                                   "\"message\"}; answered {\"type\": \"ack\", \"message_id\", \"chat_id\"}",
                        .tag = "chat", .responses = {{101, ""}, {401, "Error"}, {403, "Error"}},
                        .query = {"token", "since"}},
                .upgrade = [&s, &h](const Request& req) { return open_socket(s, h, req); }});
}

}  // namespace bb::chat
