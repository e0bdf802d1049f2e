#pragma once
// Direct messages: storing them (one transaction with the kMessageSent event), reading chats and
// their history, read marks, and pushing each new message to its participants' open sockets once
// it is committed. Transport-free: routes.cpp and ws.cpp adapt HTTP and WebSocket to it.
#include "core/db.hpp"
#include "core/error.hpp"
#include "http/websocket.hpp"
#include "modules/users/users.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace bb::chat {

inline constexpr std::size_t kMaxMessageChars = 4000;
// A reconnecting socket gets at most this many missed messages as frames (the server cuts off a
// reader more than 256 frames behind); the rest it reads with GET /api/chat/messages.
inline constexpr int kMaxReplay = 200;

struct Message {
    std::string message_id;
    std::string chat_id;
    std::string sender_id;
    std::string receiver_id;
    std::string content;
    std::int64_t created_ms = 0;
};

// A message as sent: the stored row plus both participants' usernames.
struct Sent {
    Message message;
    std::string sender;    // username
    std::string receiver;  // username
};

// The chat sockets that are open, by user. Delivery goes through here rather than straight to the
// hub so that a socket replaying ?since= gets each message exactly once, in order (live messages
// wait until its replay is out), and so that the sending socket is left out of its own echo.
class Live {
public:
    // A socket opens: it is held back (buffering) until ready() when it has a replay to send.
    void add(const std::string& user_id, const std::shared_ptr<http::WsConnection>& conn, bool replaying);
    // The replay frames were read (all ids <= last_id): send them, then what arrived meanwhile.
    void ready(const std::string& user_id, const http::WsConnection& conn,
               const std::vector<std::pair<std::string, std::shared_ptr<const std::string>>>& replay,
               const std::string& last_id);
    void remove(const std::string& user_id, const http::WsConnection& conn);
    // To every chat socket of user_id except the one with id `except` (0: none).
    void deliver(const std::string& user_id, const std::string& message_id, std::shared_ptr<const std::string> frame,
                 std::uint64_t except = 0);

    static std::string group(const std::string& user_id) { return "chat:" + user_id; }

private:
    struct Socket {
        std::weak_ptr<http::WsConnection> conn;
        bool replaying = false;
        std::vector<std::pair<std::string, std::shared_ptr<const std::string>>> held;  // while replaying
        // A message is readable once committed but pushed once durable (core/db.hpp): one the
        // replay already sent can still be pushed after ready(). Ids follow commit order.
        std::string replayed_up_to;
    };
    std::mutex mutex_;
    std::map<std::string, std::map<std::uint64_t, Socket>> sockets_;
};

class Service {
public:
    Service(core::Db& db, users::UsersModule& users, const std::string& secret);

    // `origin` is the socket the message came from (0 for REST): it gets an ack, not the frame.
    core::Result<Sent> send(const std::string& sender_id, const std::string& receiver, const std::string& content,
                            std::uint64_t origin = 0);
    core::Result<boost::json::object> messages(const std::string& user_id, const std::string& chat_id, int limit,
                                               const std::optional<std::string>& cursor) const;
    core::Result<boost::json::object> history(const std::string& user_id, int limit,
                                              const std::optional<std::string>& cursor) const;
    core::Result<boost::json::object> mark_read(const std::string& user_id, const std::string& chat_id);

    // Messages to or from user_id with an id after `since`, oldest first, at most `limit`.
    std::vector<Message> since(const std::string& user_id, const std::string& since, int limit) const;

    // The "real-time message" frame for a message.
    std::string frame(const Message& m, const std::string& sender) const;
    std::string username(const std::string& user_id) const;

    Live& live() { return live_; }
    users::UsersModule& users() { return users_; }

private:
    core::Db& db_;
    users::UsersModule& users_;
    const std::string& secret_;
    Live live_;
};

}  // namespace bb::chat
