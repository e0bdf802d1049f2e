// Notifications (seed): other modules' events become notifications, kept per user, readable over
// REST and pushed over WebSocket once committed. A new beat reaches a producer's followers in
// pages (a job per page), never in one transaction.
#include "modules/notifications/notifications.hpp"

#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/event_bus.hpp"
#include "core/jobs.hpp"
#include "core/log.hpp"
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "modules/beats/beats.hpp"
#include "modules/chat/chat.hpp"
#include "modules/commerce/commerce.hpp"
#include "modules/notifications/socket.hpp"
#include "modules/notifications/store.hpp"
#include "modules/purchases/purchases.hpp"
#include "modules/reviews/reviews.hpp"
#include "modules/users/users.hpp"

#include <fmt/format.h>

namespace bb::notifications {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

constexpr const char* kFanoutJob = "notifications.fanout";
constexpr int kFanoutPage = 2000;  // followers per transaction

// Payload fields are read leniently: a missing one is empty rather than a failed delivery.
std::string
text(const boost::json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// "$29.99" for dollars, "29.99 EUR" for other currencies.
std::string
money(std::int64_t cents, const std::string& currency)
{
    const auto amount = std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") + std::to_string(cents % 100);
    return currency.empty() || currency == "USD" ? "$" + amount : amount + " " + currency;
}

}  // namespace

struct NotificationsModule::Impl {
    core::Services& services;
    users::UsersModule& users;
    Store store;

    // ---- producers (each runs inside the event's delivery transaction) ----

    core::Result<void> on_purchase(const core::Event& e, core::Tx& tx)
    {
        const auto purchase_id = text(e.payload, "purchase_id");
        const auto buyer_id = text(e.payload, "buyer_id");
        const auto* items = e.payload.if_contains("items");
        if (items == nullptr || !items->is_array() || items->as_array().empty()) {
            return {};
        }
        const auto buyer = users.find(buyer_id);
        const auto buyer_name = buyer ? buyer->username : std::string("Someone");
        boost::json::array beat_ids;
        for (const auto& v : items->as_array()) {
            if (!v.is_object()) {
                continue;
            }
            const auto& item = v.as_object();
            const auto beat_id = text(item, "beat_id");
            beat_ids.push_back(boost::json::string(beat_id));
            const auto seller_id = text(item, "seller_id");
            if (!seller_id.empty() && seller_id != buyer_id) {
                const auto* cents = item.if_contains("price_cents");
                const auto price = money(cents != nullptr && cents->is_int64() ? cents->as_int64() : 0,
                                         text(e.payload, "currency"));
                const auto license = text(item, "license");
                store.add(tx, {seller_id, "sale",
                               buyer_name + " bought a" + (license == "unlimited" || license == "exclusive" ? "n " : " ") +
                                   license + " license for \u201c" + text(item, "title") + "\u201d for " + price,
                               {{"purchase_id", purchase_id},
                                {"beat_id", beat_id},
                                {"buyer_id", buyer_id},
                                {"buyer", buyer_name},
                                {"license", license},
                                {"price_cents", cents != nullptr ? *cents : boost::json::value(0)}}});
            }
        }
        if (!buyer_id.empty() && !beat_ids.empty()) {
            boost::json::object data{{"purchase_id", purchase_id}, {"beat_id", beat_ids.front()}};
            if (beat_ids.size() > 1) {
                data["beat_ids"] = beat_ids;  // a cart: every beat in it
            }
            store.add(tx, {buyer_id, "purchase", "Your beat has been successfully purchased", std::move(data)});
        }
        return {};
    }

    // An offer moved: the side that did not move hears of it (an expiry tells both). Offers are
    // "system" notifications whose data names the offer.
    core::Result<void> on_offer(const core::Event& e, core::Tx& tx)
    {
        const auto actor = text(e.payload, "actor_id");
        const auto status = text(e.payload, "status");
        const auto title = "“" + text(e.payload, "title") + "”";
        std::int64_t cents = 0;
        if (const auto* amount = e.payload.if_contains("amount_cents"); amount != nullptr && amount->is_int64()) {
            cents = amount->as_int64();
        }
        const auto amount = fmt::format("${}.{:02}", cents / 100, cents % 100);
        boost::json::object data{{"offer_id", text(e.payload, "offer_id")}, {"beat_id", text(e.payload, "beat_id")},
                                 {"status", status}, {"subject", "offer"}};
        for (const auto& to : {text(e.payload, "buyer_id"), text(e.payload, "producer_id")}) {
            if (to.empty() || to == actor) {
                continue;
            }
            const bool to_buyer = to == text(e.payload, "buyer_id");
            std::string message;
            if (status == "open") {  // the buyer offered or countered
                message = "New offer: " + amount + " for " + title;
            } else if (status == "countered") {
                message = "Counter-offer: " + amount + " for " + title;
            } else if (status == "accepted") {
                message = to_buyer ? "Your offer for " + title + " was accepted: it is in your cart at " + amount
                                   : "The buyer accepted " + amount + " for " + title;
            } else if (status == "purchased") {
                message = "The accepted offer for " + title + " was paid";
            } else {
                message = "The offer for " + title + " is " + status;
            }
            store.add(tx, {to, "system", message, data});
        }
        return {};
    }

    // The buyer learns their money is back and the license gone; the seller did it, so is not told.
    core::Result<void> on_refund(const core::Event& e, core::Tx& tx)
    {
        const auto buyer_id = text(e.payload, "buyer_id");
        const auto* items = e.payload.if_contains("items");
        if (buyer_id.empty() || items == nullptr || !items->is_array() || items->as_array().empty() ||
            !items->as_array().front().is_object()) {
            return {};
        }
        const auto& first = items->as_array().front().as_object();
        const auto more = items->as_array().size() - 1;
        const auto what = "“" + text(first, "title") + "”" + (more > 0 ? " and " + std::to_string(more) + " more" : "");
        const auto reason = text(e.payload, "reason");  // an automatic refund: no license was ever granted
        store.add(tx, {buyer_id, "purchase",
                       reason.empty() ? "Your purchase of " + what + " was refunded; its license is revoked"
                                      : "Your payment for " + what + " was refunded: " + reason,
                       {{"purchase_id", text(e.payload, "purchase_id")}, {"beat_id", text(first, "beat_id")}}});
        return {};
    }

    core::Result<void> on_message(const core::Event& e, core::Tx& tx)
    {
        const auto receiver_id = text(e.payload, "receiver_id");
        const auto sender = text(e.payload, "sender");
        if (receiver_id.empty() || receiver_id == text(e.payload, "sender_id")) {
            return {};
        }
        store.add(tx, {receiver_id, "message", "New message from " + sender,
                       {{"chat_id", text(e.payload, "chat_id")},
                        {"message_id", text(e.payload, "message_id")},
                        {"sender", sender}},
                       "chat:" + text(e.payload, "chat_id")});
        return {};
    }

    // Messages read in their chat are no longer news: their notifications are read too.
    core::Result<void> on_chat_read(const core::Event& e, core::Tx& tx)
    {
        store.mark_subject_read(tx, text(e.payload, "user_id"), "chat:" + text(e.payload, "chat_id"));
        return {};
    }

    core::Result<void> on_review(const core::Event& e, core::Tx& tx)
    {
        const auto producer_id = text(e.payload, "producer_id");
        if (producer_id.empty() || producer_id == text(e.payload, "user_id")) {
            return {};
        }
        std::string message = text(e.payload, "username") + " reviewed your beat";
        if (const auto* rating = e.payload.if_contains("rating"); rating != nullptr && rating->is_int64()) {
            message += " (" + std::to_string(rating->as_int64()) + "/5)";
        }
        store.add(tx, {producer_id, "review", std::move(message),
                       {{"review_id", text(e.payload, "review_id")}, {"beat_id", text(e.payload, "beat_id")}}});
        return {};
    }

    core::Result<void> on_beat_failed(const core::Event& e, core::Tx& tx)
    {
        store.add(tx, {text(e.payload, "producer_id"), "system",
                       "\u201c" + text(e.payload, "title") + "\u201d could not be processed: " + text(e.payload, "reason"),
                       {{"beat_id", text(e.payload, "beat_id")}}});
        return {};
    }

    core::Result<void> on_follow(const core::Event& e, core::Tx& tx)
    {
        // Once a day per follower: following, unfollowing and following again is not news each time.
        const auto follower_id = text(e.payload, "follower_id");
        const auto day = core::clock::now_ms() / (24 * 3600 * 1000);
        store.add_once(tx, {text(e.payload, "user_id"), "follow", text(e.payload, "follower_username") + " followed you",
                            {{"follower_id", follower_id}}},
                       "follow:" + follower_id + ":" + std::to_string(day));
        return {};
    }

    // A beat is ready: its producer is told at once (the upload screen waits for this), its
    // followers by a job, one page of followers per transaction.
    core::Result<void> on_beat_ready(const core::Event& e, core::Tx& tx)
    {
        store.add(tx, {text(e.payload, "producer_id"), "system",
                       "\u201c" + text(e.payload, "title") + "\u201d is ready: its preview is in the store",
                       {{"beat_id", text(e.payload, "beat_id")}}});
        tx.enqueue(kFanoutJob, {{"beat_id", text(e.payload, "beat_id")},
                                {"producer_id", text(e.payload, "producer_id")},
                                {"title", text(e.payload, "title")},
                                {"artist", text(e.payload, "artist")},
                                {"after", ""}});
        return {};
    }

    // One page: the followers after `after`, added in one transaction that also enqueues the
    // next page when this one was full. Rows carry source "upload:<beat_id>", so a retried page
    // adds nothing twice. Pushed after the commit, from this worker (not the writer thread).
    core::Result<void> fanout(const core::Job& job)
    {
        const auto& p = job.payload;
        const auto beat_id = text(p, "beat_id");
        const auto producer_id = text(p, "producer_id");
        const auto page = users.followers_of(producer_id, text(p, "after"), kFanoutPage);
        if (page.empty()) {
            return {};
        }
        auto artist = text(p, "artist");
        if (artist.empty()) {
            auto producer = users.find(producer_id);
            artist = producer ? producer->username : "A producer you follow";
        }
        const auto message = artist + " released " + text(p, "title");
        std::vector<Draft> drafts;
        drafts.reserve(page.size());
        for (const auto& follower : page) {
            drafts.push_back({follower, "upload", message, {{"beat_id", beat_id}, {"producer_id", producer_id}}});
        }
        std::optional<boost::json::object> more;
        if (static_cast<int>(page.size()) == kFanoutPage) {
            more = p;
            (*more)["after"] = page.back();
        }
        const auto added = store.add_page(drafts, "upload:" + beat_id, more);
        for (const auto& n : added) {
            store.push(n);
        }
        core::log::info("notifications", "fan-out page",
                        {{"beat_id", beat_id}, {"followers", static_cast<std::int64_t>(page.size())},
                         {"added", static_cast<std::int64_t>(added.size())}, {"more", more.has_value()}});
        return {};
    }

    // ---- routes ----

    Reply list(const Request& req)
    {
        http::QueryInput in(req);
        const int limit = in.limit();
        auto cursor = in.text("cursor", 1000);
        auto status = in.one_of("status", {"unread", "read"});
        if (auto e = in.error()) {
            return *e;
        }
        auto after_cursor = core::page_before(cursor, services.secret);
        if (!after_cursor) {
            return after_cursor.error();
        }
        const std::string before = *after_cursor;
        const auto& user_id = req.user().user_id;
        auto page = store.list(user_id, status, before, limit);
        boost::json::array items;
        for (const auto& n : page.items) {
            items.push_back(to_json(n));
        }
        boost::json::value next = nullptr;
        if (page.last) {
            next = core::encode_cursor({{"before", *page.last}}, services.secret);
        }
        return Response::json(200, {{"user_id", user_id},
                                    {"notifications", std::move(items)},
                                    {"unread_count", store.unread_count(user_id)},
                                    {"next_cursor", next}});
    }

    Reply mark_read(const Request& req)
    {
        auto in = http::JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        auto id = in->string("notification_id", false, 1, 64);
        auto all = in->boolean("all", false);
        if (auto e = in->error()) {
            return *e;
        }
        const auto& user_id = req.user().user_id;
        std::int64_t updated = 0;
        if (all.value_or(false)) {
            updated = store.mark_all_read(user_id);
        } else if (id) {
            auto done = store.mark_read(user_id, *id);
            if (!done) {
                return done.error();
            }
            updated = *done;
        } else {
            return core::invalid_field("notification_id", "send notification_id, or all: true");
        }
        return Response::json(200, {{"updated", updated}, {"unread_count", store.unread_count(user_id)}});
    }

    core::Result<std::shared_ptr<http::WsHandler>> upgrade(const Request& req)
    {
        const std::string user_id(req.param("user_id"));
        if (user_id != req.user().user_id) {
            return core::forbidden("this socket is for another user's notifications");
        }
        std::optional<std::string> since;
        if (auto s = req.query_param("since"); s && !s->empty()) {
            if (s->size() > 64) {
                return core::invalid_field("since", "is not a notification id");
            }
            since = std::string(*s);
        }
        return make_socket(store, services.hub, user_id, std::move(since));
    }
};

NotificationsModule::NotificationsModule(core::Services& services, users::UsersModule& users)
    : impl_(std::make_unique<Impl>(Impl{services, users, Store(services.db, services.hub)}))
{
}

NotificationsModule::~NotificationsModule() = default;

void
NotificationsModule::register_routes(http::Router& router)
{
    router.schema("NotificationData", R"({"type": "object", "description":
        "By kind: purchase and sale {purchase_id, beat_id}, message {chat_id, message_id, sender}, upload {beat_id, producer_id}, review {review_id, beat_id}, follow {follower_id}, system {beat_id} (to the producer: the beat is ready, or could not be processed).",
        "properties": {"purchase_id": {"type": "string"}, "beat_id": {"type": "string"},
        "beat_ids": {"type": "array", "items": {"type": "string"}}, "chat_id": {"type": "string"},
        "message_id": {"type": "string"}, "sender": {"type": "string"}, "producer_id": {"type": "string"},
        "review_id": {"type": "string"}, "follower_id": {"type": "string"}}})");
    router.schema("Notification", R"({"type": "object",
        "required": ["notification_id", "type", "kind", "message", "status", "data", "created_at"],
        "properties": {"notification_id": {"type": "string"},
        "type": {"type": "string", "enum": ["purchase", "sale", "message", "upload", "review", "follow", "system"]},
        "kind": {"type": "string", "enum": ["purchase", "sale", "message", "upload", "review", "follow", "system"]},
        "message": {"type": "string"}, "status": {"type": "string", "enum": ["unread", "read"]},
        "data": {"$ref": "#/components/schemas/NotificationData"},
        "created_at": {"type": "string", "format": "date-time"}}})");
    router.schema("NotificationList", R"({"type": "object",
        "required": ["user_id", "notifications", "unread_count", "next_cursor"],
        "properties": {"user_id": {"type": "string"},
        "notifications": {"type": "array", "items": {"$ref": "#/components/schemas/Notification"}},
        "unread_count": {"type": "integer"}, "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("NotificationMarkRead", R"({"type": "object", "description": "Either notification_id or all: true",
        "properties": {"notification_id": {"type": "string"}, "all": {"type": "boolean"}}})");
    router.schema("NotificationMarkedRead", R"({"type": "object", "required": ["updated", "unread_count"],
        "properties": {"updated": {"type": "integer"}, "unread_count": {"type": "integer"}}})");
    router.schema("NotificationFrame", R"({"type": "object", "description":
        "Sent over WS /ws/notifications/{user_id} for each new notification (and, with ?since=<notification id>, first for each one missed, oldest first, at most 200; past that, one {\"type\": \"replay truncated\", \"message\", \"next_since\"} frame follows the 200, and the rest are read with GET /api/notifications). When reading a chat marks its message notifications read, the socket gets {\"type\": \"notifications read\", \"unread_count\"}.",
        "required": ["type", "notification_id", "kind", "message", "status", "data", "created_at"],
        "properties": {"type": {"const": "real-time notification"}, "notification_id": {"type": "string"},
        "kind": {"type": "string"}, "message": {"type": "string"}, "status": {"type": "string"},
        "data": {"$ref": "#/components/schemas/NotificationData"},
        "created_at": {"type": "string", "format": "date-time"}}})");

    Impl& m = *impl_;
    router.add({.method = "GET", .path = "/api/notifications", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "My notifications, newest first, with the unread count", .tag = "notifications",
                        .responses = {{200, "NotificationList"}, {400, "Error"}, {401, "Error"}},
                        .query = {"limit", "cursor", "status"}},
                .handler = [&m](const Request& req) { return m.list(req); }});
    router.add({.method = "POST", .path = "/api/notifications/mark-as-read", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Mark one notification, or all of mine, read", .tag = "notifications",
                        .request = "NotificationMarkRead",
                        .responses = {{200, "NotificationMarkedRead"}, {404, "Error"}, {422, "Error"}}},
                .handler = [&m](const Request& req) { return m.mark_read(req); }});
    router.add({.method = "GET", .path = "/ws/notifications/{user_id}", .auth = Auth::kRequired,
                .doc = {.summary = "WebSocket: my notifications as they happen (frames: NotificationFrame); "
                                   "?since=<notification id> first replays what was missed",
                        .tag = "notifications",
                        .responses = {{101, "NotificationFrame"}, {401, "Error"}, {403, "Error"}},
                        .query = {"token", "since"}},
                .upgrade = [&m](const Request& req) { return m.upgrade(req); }});
}

void
NotificationsModule::subscribe(core::EventBus& bus)
{
    Impl& m = *impl_;
    bus.subscribe(purchases::kPurchaseCompleted, "notifications.on_purchase_completed",
                  [&m](const core::Event& e, core::Tx& tx) { return m.on_purchase(e, tx); });
    bus.subscribe(purchases::kPurchaseRefunded, "notifications.on_purchase_refunded",
                  [&m](const core::Event& e, core::Tx& tx) { return m.on_refund(e, tx); });
    bus.subscribe(chat::kMessageSent, "notifications.on_message_sent",
                  [&m](const core::Event& e, core::Tx& tx) { return m.on_message(e, tx); });
    bus.subscribe(chat::kChatRead, "notifications.on_chat_read",
                  [&m](const core::Event& e, core::Tx& tx) { return m.on_chat_read(e, tx); });
    bus.subscribe(beats::kBeatReady, "notifications.on_beat_ready",
                  [&m](const core::Event& e, core::Tx& tx) { return m.on_beat_ready(e, tx); });
    bus.subscribe(beats::kBeatFailed, "notifications.on_beat_failed",
                  [&m](const core::Event& e, core::Tx& tx) { return m.on_beat_failed(e, tx); });
    bus.subscribe(reviews::kReviewCreated, "notifications.on_review_created",
                  [&m](const core::Event& e, core::Tx& tx) { return m.on_review(e, tx); });
    bus.subscribe(commerce::kOfferChanged, "notifications.on_offer_changed",
                  [this](const core::Event& e, core::Tx& tx) { return impl_->on_offer(e, tx); });
    bus.subscribe(users::kUserFollowed, "notifications.on_user_followed",
                  [&m](const core::Event& e, core::Tx& tx) { return m.on_follow(e, tx); });
    bus.subscribe(users::kUserDeleted, "notifications.on_user_deleted",
                  [&m](const core::Event& e, core::Tx& tx) -> core::Result<void> {
                      m.store.remove_all_of(tx, text(e.payload, "user_id"));
                      return {};
                  });
}

void
NotificationsModule::register_jobs(core::JobRunner& jobs)
{
    jobs.handle(
        kFanoutJob, [this](const core::Job& job) { return impl_->fanout(job); }, 5);
}

}  // namespace bb::notifications
