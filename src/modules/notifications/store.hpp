#pragma once
// Notifications' storage and delivery: rows in notifications_items, and the frame pushed to the
// user's sockets once the row is committed. Private to the notifications module.
#include "core/db.hpp"
#include "core/error.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bb::http {
class WsHub;
}

namespace bb::notifications {

struct Notification {
    std::string id;
    std::string user_id;
    std::string kind;  // purchase | sale | message | upload | review | follow | system
    std::string message;
    std::string status;  // unread | read
    boost::json::object data;
    std::int64_t created_ms = 0;
};

// What a producer of notifications decides; the store adds id, status and time.
struct Draft {
    std::string user_id;
    std::string kind;
    std::string message;
    boost::json::object data;
    std::optional<std::string> subject = std::nullopt;  // "chat:<id>": read when that chat is read
};

struct Page {
    std::vector<Notification> items;  // newest first
    std::optional<std::string> last;  // set when more may follow: the id to continue before
};

// The socket group a user's notification sockets join.
std::string group_of(std::string_view user_id);

// The REST shape (`type` repeats `kind`, as the seed names it) and the WebSocket frame.
boost::json::object to_json(const Notification& n);
std::string to_frame(const Notification& n);

class Store {
public:
    Store(core::Db& db, http::WsHub& hub) : db_(db), hub_(hub) {}

    // Inside the caller's transaction; the frame goes out after the commit.
    Notification add(core::Tx& tx, Draft draft);
    // The same, unless the user already has a notification from this `source`; true when added.
    bool add_once(core::Tx& tx, Draft draft, const std::string& source);

    // Fan-out: one transaction for the whole page. `source` makes it idempotent (a retried page
    // adds nothing twice); `more` is enqueued as the next page's job in the same transaction,
    // so progress commits with the rows. Returns the rows actually added (not yet pushed).
    std::vector<Notification> add_page(const std::vector<Draft>& drafts, const std::string& source,
                                       const std::optional<boost::json::object>& more);

    // Sends the frame to the user's open sockets, if any. Call only after the row committed.
    void push(const Notification& n) const;

    Page list(const std::string& user_id, const std::optional<std::string>& status, const std::string& before,
              int limit) const;
    std::int64_t unread_count(const std::string& user_id) const;
    // The user's notifications after `since` (exclusive), oldest first, at most `limit`.
    std::vector<Notification> after(const std::string& user_id, const std::string& since, int limit) const;

    // Marks one (404 when it is not the user's) or all of the user's notifications read.
    // Returns how many changed.
    core::Result<std::int64_t> mark_read(const std::string& user_id, const std::string& notification_id);
    std::int64_t mark_all_read(const std::string& user_id);

    // The user read what these notifications are about elsewhere (a chat): they are read too, and
    // the user's sockets hear the new unread count ({"type": "notifications read", ...}).
    void mark_subject_read(core::Tx& tx, const std::string& user_id, const std::string& subject);

    // The user's account is gone: so are their notifications.
    void remove_all_of(core::Tx& tx, const std::string& user_id);

private:
    core::Db& db_;
    http::WsHub& hub_;
};

}  // namespace bb::notifications
