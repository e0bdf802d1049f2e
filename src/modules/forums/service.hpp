#pragma once
// Live discussion rooms: a room is about one beat or one genre. Rooms and their messages live in
// the database; who is in a room right now is the hub's group "room:<id>".
#include "core/db.hpp"
#include "core/error.hpp"
#include "http/request.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace bb::http {
class WsHub;
}
namespace bb::users {
class UsersModule;
}
namespace bb::beats {
class BeatsModule;
}

namespace bb::forums {

inline constexpr std::size_t kMaxMessage = 2000;

struct Room {
    std::string id;
    std::string room_type;  // beat | genre
    std::optional<std::string> beat_id;
    std::optional<std::string> genre;
    std::string name;
    std::string created_by;
    std::int64_t created_ms = 0;
    std::optional<std::int64_t> closed_ms;
    std::string owner_id;  // may close it: a beat room's producer, else its creator
};

struct NewRoom {
    std::string room_type;
    std::optional<std::string> beat_id;
    std::optional<std::string> genre;
    std::optional<std::string> name;
};

std::string room_group(const std::string& room_id);

class Service {
public:
    Service(core::Db& db, http::WsHub& hub, users::UsersModule& users, beats::BeatsModule& beats,
            const std::string& secret);

    core::Result<boost::json::object> create(const http::Principal& who, const NewRoom& room);
    core::Result<boost::json::object> get(const std::string& room_id) const;
    // Open rooms, newest first; only the rooms of one beat when beat_id is given.
    core::Result<boost::json::object> list_active(const std::optional<std::string>& beat_id, int limit,
                                                  const std::optional<std::string>& cursor) const;
    core::Result<boost::json::object> close(const http::Principal& who, const std::string& room_id);
    core::Result<boost::json::object> history(const std::string& room_id, int limit,
                                              const std::optional<std::string>& cursor) const;

    // For the socket: the room if it is open.
    std::optional<Room> find_open(const std::string& room_id) const;
    // Stores a message and, once committed, sends it to everyone in the room.
    core::Result<void> post(const std::string& room_id, const std::string& user_id, const std::string& username,
                            const std::string& message);
    // The same without waiting for the commit, so a member's messages share commits: done gets
    // the outcome on the database's writer thread (after the broadcast; keep it short).
    void post_async(const std::string& room_id, const std::string& user_id, const std::string& username,
                    const std::string& message, std::function<void(core::Result<void>)> done);
    std::optional<std::string> username_of(const std::string& user_id) const;

    http::WsHub& hub() { return hub_; }

private:
    boost::json::object to_json(const Room& room) const;
    core::Result<void> store(core::Tx& tx, const std::string& room_id, const std::string& user_id,
                             const std::string& username, const std::string& message);
    std::optional<Room> find(const std::string& room_id) const;

    core::Db& db_;
    http::WsHub& hub_;
    users::UsersModule& users_;
    beats::BeatsModule& beats_;
    const std::string& secret_;
};

// The frame a room's members get when it closes (just before close code 1000).
std::string closed_frame(const std::string& room_id);

}  // namespace bb::forums
