#include "modules/notifications/store.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "http/ws_hub.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace bb::notifications {
namespace {

constexpr const char* kInsert =
    "INSERT INTO notifications_items (id, user_id, kind, message, status, data, created_ms, subject) "
    "VALUES (?, ?, ?, ?, 'unread', ?, ?, ?)";
constexpr const char* kMarkSubject =
    "UPDATE notifications_items SET status = 'read' WHERE user_id = ? AND subject = ? AND status = 'unread'";
constexpr const char* kInsertOnce =
    "INSERT INTO notifications_items (id, user_id, kind, message, status, data, source, created_ms) "
    "VALUES (?, ?, ?, ?, 'unread', ?, ?, ?) ON CONFLICT DO NOTHING";
constexpr const char* kListAll =
    "SELECT id, user_id, kind, message, status, data, created_ms FROM notifications_items "
    "WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?";
constexpr const char* kListByStatus =
    "SELECT id, user_id, kind, message, status, data, created_ms FROM notifications_items "
    "WHERE user_id = ? AND id < ? AND status = ? ORDER BY id DESC LIMIT ?";
constexpr const char* kAfter =
    "SELECT id, user_id, kind, message, status, data, created_ms FROM notifications_items "
    "WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?";
constexpr const char* kUnreadCount =
    "SELECT COUNT(*) FROM notifications_items WHERE user_id = ? AND status = 'unread'";
constexpr const char* kOwner = "SELECT 1 FROM notifications_items WHERE id = ? AND user_id = ?";
constexpr const char* kMarkOne =
    "UPDATE notifications_items SET status = 'read' WHERE id = ? AND user_id = ? AND status = 'unread'";
constexpr const char* kMarkAll =
    "UPDATE notifications_items SET status = 'read' WHERE user_id = ? AND status = 'unread'";
constexpr const char* kRemoveAll = "DELETE FROM notifications_items WHERE user_id = ?";

boost::json::object
parse_data(const std::string& text)
{
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) {
        return {};
    }
    return std::move(v.as_object());
}

Notification
read_row(core::Query& q)
{
    return {q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), parse_data(q.text(5)), q.int64(6)};
}

Notification
fresh(Draft draft)
{
    return {core::new_id(), std::move(draft.user_id), std::move(draft.kind), std::move(draft.message), "unread",
            std::move(draft.data), core::clock::now_ms()};
}

}  // namespace

std::string
group_of(std::string_view user_id)
{
    return "notifications:" + std::string(user_id);
}

boost::json::object
to_json(const Notification& n)
{
    return {{"notification_id", n.id},
            {"type", n.kind},
            {"kind", n.kind},
            {"message", n.message},
            {"status", n.status},
            {"data", n.data},
            {"created_at", core::clock::rfc3339(n.created_ms)}};
}

std::string
to_frame(const Notification& n)
{
    return boost::json::serialize(boost::json::object{{"type", "real-time notification"},
                                                      {"notification_id", n.id},
                                                      {"kind", n.kind},
                                                      {"message", n.message},
                                                      {"status", n.status},
                                                      {"data", n.data},
                                                      {"created_at", core::clock::rfc3339(n.created_ms)}});
}

Notification
Store::add(core::Tx& tx, Draft draft)
{
    auto subject = draft.subject;
    auto n = fresh(std::move(draft));
    tx.query(kInsert)
        .bind(n.id, n.user_id, n.kind, n.message, boost::json::serialize(n.data), n.created_ms, subject)
        .exec();
    tx.after_commit([this, n] { push(n); });
    return n;
}

bool
Store::add_once(core::Tx& tx, Draft draft, const std::string& source)
{
    auto n = fresh(std::move(draft));
    if (tx.query(kInsertOnce)
            .bind(n.id, n.user_id, n.kind, n.message, boost::json::serialize(n.data), source, n.created_ms)
            .exec() == 0) {
        return false;
    }
    tx.after_commit([this, n] { push(n); });
    return true;
}

std::vector<Notification>
Store::add_page(const std::vector<Draft>& drafts, const std::string& source,
                const std::optional<boost::json::object>& more)
{
    return db_.write([&](core::Tx& tx) {
        std::vector<Notification> added;
        added.reserve(drafts.size());
        for (const auto& d : drafts) {
            auto n = fresh(d);
            const int changed = tx.query(kInsertOnce)
                                    .bind(n.id, n.user_id, n.kind, n.message, boost::json::serialize(n.data), source,
                                          n.created_ms)
                                    .exec();
            if (changed > 0) {
                added.push_back(std::move(n));
            }
        }
        if (more) {
            tx.enqueue("notifications.fanout", *more);
        }
        return added;
    });
}

void
Store::mark_subject_read(core::Tx& tx, const std::string& user_id, const std::string& subject)
{
    if (tx.query(kMarkSubject).bind(user_id, subject).exec() == 0) {
        return;
    }
    auto count = tx.query(kUnreadCount);
    count.bind(user_id);
    count.step();
    const std::int64_t unread = count.int64(0);
    tx.after_commit([this, user_id, unread] {
        hub_.send(group_of(user_id),
                  boost::json::serialize(boost::json::object{{"type", "notifications read"}, {"unread_count", unread}}));
    });
}

void
Store::push(const Notification& n) const
{
    const auto group = group_of(n.user_id);
    if (hub_.count(group) == 0) {
        return;  // nobody listening: the row waits for GET or a reconnect with ?since=
    }
    hub_.send(group, to_frame(n));
}

Page
Store::list(const std::string& user_id, const std::optional<std::string>& status, const std::string& before,
            int limit) const
{
    Page page;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(status ? kListByStatus : kListAll);
        if (status) {
            q.bind(user_id, before, *status, limit + 1);
        } else {
            q.bind(user_id, before, limit + 1);
        }
        while (q.step()) {
            page.items.push_back(read_row(q));
        }
    });
    if (static_cast<int>(page.items.size()) > limit) {
        page.items.pop_back();
        page.last = page.items.back().id;
    }
    return page;
}

std::int64_t
Store::unread_count(const std::string& user_id) const
{
    return db_.read([&](core::Conn& conn) {
        auto q = conn.query(kUnreadCount);
        q.bind(user_id);
        return q.step() ? q.int64(0) : std::int64_t{0};
    });
}

std::vector<Notification>
Store::after(const std::string& user_id, const std::string& since, int limit) const
{
    std::vector<Notification> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(kAfter);
        q.bind(user_id, since, limit);
        while (q.step()) {
            out.push_back(read_row(q));
        }
    });
    return out;
}

core::Result<std::int64_t>
Store::mark_read(const std::string& user_id, const std::string& notification_id)
{
    return db_.write([&](core::Tx& tx) -> core::Result<std::int64_t> {
        auto owned = tx.query(kOwner);
        owned.bind(notification_id, user_id);
        if (!owned.step()) {
            return core::not_found("notification");  // someone else's is not revealed either
        }
        return std::int64_t{tx.query(kMarkOne).bind(notification_id, user_id).exec()};
    });
}

std::int64_t
Store::mark_all_read(const std::string& user_id)
{
    return db_.write([&](core::Tx& tx) { return std::int64_t{tx.query(kMarkAll).bind(user_id).exec()}; });
}

void
Store::remove_all_of(core::Tx& tx, const std::string& user_id)
{
    tx.query(kRemoveAll).bind(user_id).exec();
}

}  // namespace bb::notifications
