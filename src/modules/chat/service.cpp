#include "modules/chat/service.hpp"

#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "modules/chat/chat.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <unordered_map>

namespace bb::chat {
namespace {

constexpr const char* kInsertChat =
    "INSERT INTO chat_chats (id, a_id, b_id, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT (a_id, b_id) DO NOTHING";
constexpr const char* kSelectChatByPair = "SELECT id FROM chat_chats WHERE a_id = ? AND b_id = ?";
constexpr const char* kSelectChat = "SELECT a_id, b_id, last_message_id FROM chat_chats WHERE id = ?";
constexpr const char* kInsertMessage =
    "INSERT INTO chat_messages (id, chat_id, sender_id, receiver_id, content, created_ms) VALUES (?, ?, ?, ?, ?, ?)";
constexpr const char* kTouchChat = "UPDATE chat_chats SET last_message_id = ? WHERE id = ?";
constexpr const char* kSelectPage =
    "SELECT id, chat_id, sender_id, receiver_id, content, created_ms FROM chat_messages "
    "WHERE chat_id = ? AND id < ? ORDER BY id DESC LIMIT ?";
constexpr const char* kSelectMessage =
    "SELECT id, chat_id, sender_id, receiver_id, content, created_ms FROM chat_messages WHERE id = ?";
constexpr const char* kSelectChatsOf =
    "SELECT id, a_id, b_id, last_message_id FROM chat_chats "
    "WHERE (a_id = ?1 OR b_id = ?1) AND last_message_id IS NOT NULL AND last_message_id < ?2 "
    "ORDER BY last_message_id DESC LIMIT ?3";
constexpr const char* kCountUnread =
    "SELECT COUNT(*) FROM chat_messages WHERE chat_id = ?1 AND receiver_id = ?2 AND id > "
    "COALESCE((SELECT last_read_id FROM chat_reads WHERE chat_id = ?1 AND user_id = ?2), '')";
constexpr const char* kMarkRead =
    "INSERT INTO chat_reads (chat_id, user_id, last_read_id) VALUES (?, ?, ?) "
    "ON CONFLICT (chat_id, user_id) DO UPDATE SET last_read_id = MAX(last_read_id, excluded.last_read_id)";
constexpr const char* kSelectSince =
    "SELECT id, chat_id, sender_id, receiver_id, content, created_ms FROM chat_messages WHERE receiver_id = ?1 AND id > ?2 "
    "UNION ALL "
    "SELECT id, chat_id, sender_id, receiver_id, content, created_ms FROM chat_messages WHERE sender_id = ?1 AND id > ?2 "
    "ORDER BY id LIMIT ?3";

constexpr const char* kDeletedUser = "[deleted]";

Message
read_message(core::Query& q)
{
    return {q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.int64(5)};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Live

void
Live::add(const std::string& user_id, const std::shared_ptr<http::WsConnection>& conn, bool replaying)
{
    std::lock_guard lock(mutex_);
    sockets_[user_id][conn->id()] = Socket{conn, replaying, {}};
}

void
Live::ready(const std::string& user_id, const http::WsConnection& conn,
            const std::vector<std::pair<std::string, std::shared_ptr<const std::string>>>& replay,
            const std::string& last_id)
{
    std::lock_guard lock(mutex_);
    auto user = sockets_.find(user_id);
    if (user == sockets_.end()) {
        return;
    }
    auto it = user->second.find(conn.id());
    if (it == user->second.end()) {
        return;
    }
    Socket& socket = it->second;
    auto live = socket.conn.lock();
    if (live) {
        for (const auto& [id, frame] : replay) {
            live->send(frame);
        }
        // What was committed while the replay was read: already in it (id <= last_id) or newer.
        std::sort(socket.held.begin(), socket.held.end(),
                  [](const auto& x, const auto& y) { return x.first < y.first; });
        for (const auto& [id, frame] : socket.held) {
            if (id > last_id) {
                live->send(frame);
            }
        }
    }
    socket.held.clear();
    socket.replaying = false;
    socket.replayed_up_to = last_id;
}

void
Live::remove(const std::string& user_id, const http::WsConnection& conn)
{
    std::lock_guard lock(mutex_);
    auto user = sockets_.find(user_id);
    if (user == sockets_.end()) {
        return;
    }
    user->second.erase(conn.id());
    if (user->second.empty()) {
        sockets_.erase(user);
    }
}

void
Live::deliver(const std::string& user_id, const std::string& message_id, std::shared_ptr<const std::string> frame,
              std::uint64_t except)
{
    std::lock_guard lock(mutex_);
    auto user = sockets_.find(user_id);
    if (user == sockets_.end()) {
        return;
    }
    for (auto& [id, socket] : user->second) {
        if (id == except) {
            continue;
        }
        if (socket.replaying) {
            socket.held.emplace_back(message_id, frame);
        } else if (message_id <= socket.replayed_up_to) {
            continue;  // committed before the replay read it, pushed only now that it is durable
        } else if (auto conn = socket.conn.lock()) {
            conn->send(frame);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Service

Service::Service(core::Db& db, users::UsersModule& users, const std::string& secret)
    : db_(db), users_(users), secret_(secret)
{
}

std::string
Service::username(const std::string& user_id) const
{
    auto user = users_.find(user_id);
    return user ? user->username : kDeletedUser;
}

std::string
Service::frame(const Message& m, const std::string& sender) const
{
    return boost::json::serialize(boost::json::object{{"type", "real-time message"},
                                                      {"message", "New message from " + sender},
                                                      {"chat_id", m.chat_id},
                                                      {"message_id", m.message_id},
                                                      {"sender", sender},
                                                      {"sender_id", m.sender_id},
                                                      {"receiver_id", m.receiver_id},
                                                      {"content", m.content},
                                                      {"created_at", core::clock::rfc3339(m.created_ms)}});
}

core::Result<Sent>
Service::send(const std::string& sender_id, const std::string& receiver, const std::string& content,
              std::uint64_t origin)
{
    auto from = users_.find(sender_id);
    if (!from) {
        return core::unauthorized("the sender's account no longer exists");
    }
    auto to = users_.find(receiver);
    if (!to) {
        return core::not_found("user");
    }
    if (to->user_id == from->user_id) {
        return core::invalid_field("receiver", "cannot be yourself");
    }
    Sent sent{{}, from->username, to->username};
    Message& m = sent.message;
    m.sender_id = from->user_id;
    m.receiver_id = to->user_id;
    m.content = content;
    const auto& [a_id, b_id] = std::minmax(m.sender_id, m.receiver_id);
    db_.write([&](core::Tx& tx) {
        // The id is taken on the writer thread, so ids follow commit order: a ?since= replay never
        // misses a message that committed after a newer one.
        m.message_id = core::new_id();
        m.created_ms = core::clock::now_ms();
        tx.query(kInsertChat).bind(core::new_id(), a_id, b_id, m.created_ms).exec();
        {
            auto q = tx.query(kSelectChatByPair);
            q.bind(a_id, b_id);
            q.step();
            m.chat_id = q.text(0);
        }
        tx.query(kInsertMessage).bind(m.message_id, m.chat_id, m.sender_id, m.receiver_id, m.content, m.created_ms).exec();
        tx.query(kTouchChat).bind(m.message_id, m.chat_id).exec();
        tx.publish(kMessageSent, {{"chat_id", m.chat_id},
                                  {"message_id", m.message_id},
                                  {"sender_id", m.sender_id},
                                  {"sender", sent.sender},
                                  {"receiver_id", m.receiver_id},
                                  {"receiver", sent.receiver},
                                  {"content", m.content},
                                  {"created_at", core::clock::rfc3339(m.created_ms)}});
        auto text = std::make_shared<const std::string>(frame(m, sent.sender));
        tx.after_commit([this, text, origin, id = m.message_id, to_id = m.receiver_id, from_id = m.sender_id] {
            live_.deliver(to_id, id, text);
            live_.deliver(from_id, id, text, origin);  // the sender's other tabs
        });
    });
    return sent;
}

core::Result<boost::json::object>
Service::messages(const std::string& user_id, const std::string& chat_id, int limit,
                  const std::optional<std::string>& cursor) const
{
    auto before = core::page_before(cursor, secret_);
    if (!before) {
        return before.error();
    }
    bool member = false;
    std::vector<Message> page;
    db_.read([&](core::Conn& conn) {
        {
            auto q = conn.query(kSelectChat);
            q.bind(chat_id);
            member = q.step() && (q.text(0) == user_id || q.text(1) == user_id);
        }
        if (!member) {
            return;
        }
        auto q = conn.query(kSelectPage);
        q.bind(chat_id, *before, limit + 1);
        while (q.step()) {
            page.push_back(read_message(q));
        }
    });
    if (!member) {
        return core::not_found("chat");
    }
    boost::json::value next = nullptr;
    if (static_cast<int>(page.size()) > limit) {
        page.pop_back();
        next = core::encode_cursor({{"before", page.back().message_id}}, secret_);
    }
    std::reverse(page.begin(), page.end());  // newest last
    std::unordered_map<std::string, std::string> names;
    boost::json::array items;
    for (const auto& m : page) {
        auto [it, fresh] = names.try_emplace(m.sender_id);
        if (fresh) {
            it->second = username(m.sender_id);
        }
        items.push_back({{"message_id", m.message_id},
                         {"sender", it->second},
                         {"sender_id", m.sender_id},
                         {"content", m.content},
                         {"created_at", core::clock::rfc3339(m.created_ms)}});
    }
    return boost::json::object{{"chat_id", chat_id}, {"messages", std::move(items)}, {"next_cursor", next}};
}

core::Result<boost::json::object>
Service::history(const std::string& user_id, int limit, const std::optional<std::string>& cursor) const
{
    auto before = core::page_before(cursor, secret_);
    if (!before) {
        return before.error();
    }
    struct Row {
        std::string chat_id;
        std::string a_id;
        std::string b_id;
        std::optional<Message> last;
        std::int64_t unread = 0;
    };
    std::vector<Row> rows;
    db_.read([&](core::Conn& conn) {
        {
            auto q = conn.query(kSelectChatsOf);
            q.bind(user_id, *before, limit + 1);
            while (q.step()) {
                rows.push_back({q.text(0), q.text(1), q.text(2), Message{q.text(3)}, 0});
            }
        }
        for (auto& row : rows) {
            {
                auto q = conn.query(kSelectMessage);
                q.bind(row.last->message_id);
                row.last = q.step() ? std::optional(read_message(q)) : std::nullopt;
            }
            auto q = conn.query(kCountUnread);
            q.bind(row.chat_id, user_id);
            row.unread = q.step() ? q.int64(0) : 0;
        }
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(rows.size()) > limit) {
        rows.pop_back();
        next = core::encode_cursor({{"before", rows.back().last ? rows.back().last->message_id : ""}}, secret_);
    }
    std::unordered_map<std::string, std::string> names;
    auto name_of = [&](const std::string& id) -> const std::string& {
        auto [it, fresh] = names.try_emplace(id);
        if (fresh) {
            it->second = username(id);
        }
        return it->second;
    };
    boost::json::array chats;
    for (const auto& row : rows) {
        boost::json::value last = nullptr;
        if (row.last) {
            last = boost::json::object{{"message_id", row.last->message_id},
                                       {"sender", name_of(row.last->sender_id)},
                                       {"sender_id", row.last->sender_id},
                                       {"content", row.last->content},
                                       {"created_at", core::clock::rfc3339(row.last->created_ms)}};
        }
        const std::string& other_id = row.a_id == user_id ? row.b_id : row.a_id;
        chats.push_back({{"chat_id", row.chat_id},
                         {"participants", boost::json::array{name_of(user_id), name_of(other_id)}},
                         {"participant_ids", boost::json::array{user_id, other_id}},
                         {"last_message", std::move(last)},
                         {"unread", row.unread}});
    }
    return boost::json::object{{"user_id", user_id}, {"chats", std::move(chats)}, {"next_cursor", next}};
}

core::Result<boost::json::object>
Service::mark_read(const std::string& user_id, const std::string& chat_id)
{
    auto done = db_.write([&](core::Tx& tx) -> core::Result<void> {
        std::optional<std::string> last;
        {
            auto q = tx.query(kSelectChat);
            q.bind(chat_id);
            if (!q.step() || (q.text(0) != user_id && q.text(1) != user_id)) {
                return core::not_found("chat");
            }
            last = q.opt_text(2);
        }
        if (last) {
            tx.query(kMarkRead).bind(chat_id, user_id, *last).exec();
            tx.publish(kChatRead, {{"chat_id", chat_id}, {"user_id", user_id}});
        }
        return {};
    });
    if (!done) {
        return done.error();
    }
    return boost::json::object{{"chat_id", chat_id}, {"unread", 0}};
}

std::vector<Message>
Service::since(const std::string& user_id, const std::string& since, int limit) const
{
    std::vector<Message> found;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(kSelectSince);
        q.bind(user_id, since, limit);
        while (q.step()) {
            found.push_back(read_message(q));
        }
    });
    return found;
}

}  // namespace bb::chat
