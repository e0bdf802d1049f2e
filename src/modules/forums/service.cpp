#include "modules/forums/service.hpp"

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "http/ws_hub.hpp"
#include "modules/beats/beats.hpp"
#include "modules/forums/forums.hpp"
#include "modules/users/users.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <vector>

namespace bb::forums {
namespace {

constexpr const char* kSelectRoom =
    "SELECT id, room_type, beat_id, genre, name, created_by, created_ms, closed_ms, COALESCE(owner_id, created_by) "
    "FROM forums_rooms WHERE id = ?";
constexpr const char* kPageActive =
    "SELECT id, room_type, beat_id, genre, name, created_by, created_ms, closed_ms, COALESCE(owner_id, created_by) "
    "FROM forums_rooms WHERE closed_ms IS NULL AND id < ?1 AND (?2 IS NULL OR beat_id = ?2) ORDER BY id DESC LIMIT ?3";
constexpr const char* kInsertRoom =
    "INSERT INTO forums_rooms (id, room_type, beat_id, genre, name, created_by, created_ms, owner_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kCloseRoom = "UPDATE forums_rooms SET closed_ms = ? WHERE id = ? AND closed_ms IS NULL";
constexpr const char* kRoomIsOpen = "SELECT 1 FROM forums_rooms WHERE id = ? AND closed_ms IS NULL";
constexpr const char* kInsertMessage =
    "INSERT INTO forums_messages (id, room_id, user_id, username, message, created_ms) VALUES (?, ?, ?, ?, ?, ?)";
constexpr const char* kPageMessages =
    "SELECT id, room_id, user_id, username, message, created_ms FROM forums_messages "
    "WHERE room_id = ? AND id < ? ORDER BY id DESC LIMIT ?";

Room
read_room(core::Query& q)
{
    Room r{q.text(0), q.text(1), q.opt_text(2), q.opt_text(3), q.text(4), q.text(5), q.int64(6), std::nullopt, q.text(8)};
    if (!q.is_null(7)) {
        r.closed_ms = q.int64(7);
    }
    return r;
}

template <class T>
boost::json::value
or_null(const std::optional<T>& v)
{
    return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

}  // namespace

std::string
room_group(const std::string& room_id)
{
    return "room:" + room_id;
}

std::string
closed_frame(const std::string& room_id)
{
    return boost::json::serialize(boost::json::object{{"type", "forum.closed"}, {"room_id", room_id}});
}

Service::Service(core::Db& db, http::WsHub& hub, users::UsersModule& users, beats::BeatsModule& beats,
                 const std::string& secret)
    : db_(db), hub_(hub), users_(users), beats_(beats), secret_(secret)
{
}

boost::json::object
Service::to_json(const Room& r) const
{
    return {{"room_id", r.id},
            {"room_type", r.room_type},
            {"beat_id", or_null(r.beat_id)},
            {"genre", or_null(r.genre)},
            {"name", r.name},
            {"created_by", r.created_by},
            {"owner_id", r.owner_id},
            {"members_online", r.closed_ms ? 0 : static_cast<std::int64_t>(hub_.count(room_group(r.id)))},
            {"created_at", core::clock::rfc3339(r.created_ms)},
            {"closed_at", r.closed_ms ? boost::json::value(core::clock::rfc3339(*r.closed_ms)) : nullptr}};
}

std::optional<Room>
Service::find(const std::string& room_id) const
{
    return db_.read([&](core::Conn& conn) -> std::optional<Room> {
        auto q = conn.query(kSelectRoom);
        q.bind(room_id);
        return q.step() ? std::optional(read_room(q)) : std::nullopt;
    });
}

std::optional<Room>
Service::find_open(const std::string& room_id) const
{
    auto room = find(room_id);
    return room && !room->closed_ms ? room : std::nullopt;
}

std::optional<std::string>
Service::username_of(const std::string& user_id) const
{
    auto user = users_.find(user_id);
    return user ? std::optional(user->username) : std::nullopt;
}

core::Result<boost::json::object>
Service::create(const http::Principal& who, const NewRoom& in)
{
    const auto now = core::clock::now_ms();
    Room room{core::new_id(), in.room_type, std::nullopt, std::nullopt, in.name.value_or(""), who.user_id, now,
              std::nullopt, who.user_id};
    if (in.room_type == "beat") {
        auto beat = beats_.find(*in.beat_id);
        if (!beat || beat->status == "deleted") {
            return core::not_found("beat");
        }
        room.beat_id = beat->beat_id;
        room.owner_id = beat->producer_id;  // the first visitor to open it does not own it
        if (room.name.empty()) {
            room.name = beat->title;
        }
    } else {
        room.genre = in.genre;
        if (room.name.empty()) {
            room.name = *in.genre;
        }
    }
    db_.write([&](core::Tx& tx) {
        tx.query(kInsertRoom)
            .bind(room.id, room.room_type, room.beat_id, room.genre, room.name, room.created_by, now, room.owner_id)
            .exec();
        tx.publish(kRoomCreated, {{"room_id", room.id},
                                  {"room_type", room.room_type},
                                  {"beat_id", or_null(room.beat_id)},
                                  {"genre", or_null(room.genre)},
                                  {"name", room.name},
                                  {"created_by", room.created_by}});
    });
    return to_json(room);
}

core::Result<boost::json::object>
Service::get(const std::string& room_id) const
{
    auto room = find(room_id);
    if (!room) {
        return core::not_found("room");
    }
    return to_json(*room);
}

core::Result<boost::json::object>
Service::list_active(const std::optional<std::string>& beat_id, int limit, const std::optional<std::string>& cursor) const
{
    auto before = core::page_before(cursor, secret_);
    if (!before) {
        return before.error();
    }
    std::vector<Room> found;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(kPageActive);
        q.bind_at(1, *before);
        if (beat_id) {
            q.bind_at(2, *beat_id);
        }
        q.bind_at(3, limit + 1);
        while (q.step()) {
            found.push_back(read_room(q));
        }
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(found.size()) > limit) {
        found.pop_back();
        next = core::encode_cursor({{"before", found.back().id}}, secret_);
    }
    boost::json::array items;
    for (const auto& r : found) {
        items.push_back(to_json(r));
    }
    return boost::json::object{{"rooms", std::move(items)}, {"next_cursor", next}};
}

core::Result<boost::json::object>
Service::close(const http::Principal& who, const std::string& room_id)
{
    auto closed = db_.write([&](core::Tx& tx) -> core::Result<Room> {
        auto q = tx.query(kSelectRoom);
        q.bind(room_id);
        if (!q.step()) {
            return core::not_found("room");
        }
        auto room = read_room(q);
        if (room.owner_id != who.user_id && !who.is_admin()) {
            return core::forbidden("only the room's owner (a beat room's producer) or an admin may close it");
        }
        if (room.closed_ms) {
            return room;  // closing twice changes nothing
        }
        room.closed_ms = core::clock::now_ms();
        if (room.created_by != who.user_id) {
            core::record_audit(tx, {.actor_id = who.user_id, .action = "room.close", .target_type = "room",
                                    .target_id = room_id, .details = {{"created_by", room.created_by}}});
        }
        tx.query(kCloseRoom).bind(*room.closed_ms, room_id).exec();
        tx.publish(kRoomClosed, {{"room_id", room_id}, {"closed_by", who.user_id}});
        // Members hear it only once it is true: after the commit. Send, then close: both go through
        // each connection's strand in this order, so the frame is written before the close.
        tx.after_commit([&hub = hub_, room_id] {
            const auto group = room_group(room_id);
            hub.send(group, std::make_shared<const std::string>(closed_frame(room_id)));
            hub.close(group, 1000, "room closed");
        });
        return room;
    });
    if (!closed) {
        return closed.error();
    }
    return to_json(*closed);
}

core::Result<boost::json::object>
Service::history(const std::string& room_id, int limit, const std::optional<std::string>& cursor) const
{
    auto before = core::page_before(cursor, secret_);
    if (!before) {
        return before.error();
    }
    if (!find(room_id)) {
        return core::not_found("room");
    }
    struct Message {
        std::string id, user_id, username, text;
        std::int64_t created_ms;
    };
    std::vector<Message> found;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(kPageMessages);
        q.bind(room_id, *before, limit + 1);
        while (q.step()) {
            found.push_back({q.text(0), q.text(2), q.text(3), q.text(4), q.int64(5)});
        }
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(found.size()) > limit) {
        found.pop_back();
        next = core::encode_cursor({{"before", found.back().id}}, secret_);
    }
    std::reverse(found.begin(), found.end());  // a page reads oldest to newest; the cursor goes further back
    boost::json::array items;
    for (const auto& m : found) {
        items.push_back({{"message_id", m.id},
                         {"room_id", room_id},
                         {"user_id", m.user_id},
                         {"username", m.username},
                         {"message", m.text},
                         {"created_at", core::clock::rfc3339(m.created_ms)}});
    }
    return boost::json::object{{"room_id", room_id}, {"messages", std::move(items)}, {"next_cursor", next}};
}

core::Result<void>
Service::store(core::Tx& tx, const std::string& room_id, const std::string& user_id, const std::string& username,
               const std::string& message)
{
    auto open = tx.query(kRoomIsOpen);
    open.bind(room_id);
    if (!open.step()) {
        return core::conflict("room_closed", "this room is closed");
    }
    const auto id = core::new_id();
    const auto now = core::clock::now_ms();
    tx.query(kInsertMessage).bind(id, room_id, user_id, username, message, now).exec();
    // One buffer for every member, sent in commit order as soon as the message is committed: a
    // live room should not wait on the disk. The poster's acknowledgement still waits for it.
    auto frame = std::make_shared<const std::string>(boost::json::serialize(boost::json::object{
        {"type", "forum.message"},
        {"message_id", id},
        {"room_id", room_id},
        {"user_id", user_id},
        {"username", username},
        {"message", message},
        {"created_at", core::clock::rfc3339(now)}}));
    tx.once_visible([&hub = hub_, group = room_group(room_id), frame] { hub.send(group, frame); });
    return {};
}

core::Result<void>
Service::post(const std::string& room_id, const std::string& user_id, const std::string& username,
              const std::string& message)
{
    return db_.write([&](core::Tx& tx) { return store(tx, room_id, user_id, username, message); });
}

void
Service::post_async(const std::string& room_id, const std::string& user_id, const std::string& username,
                    const std::string& message, std::function<void(core::Result<void>)> done)
{
    db_.write_async([this, room_id, user_id, username, message](
                        core::Tx& tx) { return store(tx, room_id, user_id, username, message); },
                    std::move(done));
}

}  // namespace bb::forums
