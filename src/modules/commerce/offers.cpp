#include "modules/commerce/offers.hpp"

#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "modules/beats/beats.hpp"
#include "modules/commerce/commerce.hpp"
#include "modules/mail/mail.hpp"
#include "modules/users/users.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace bb::commerce {

struct Offers::Row {
    std::string id;
    std::string beat_id;
    std::string producer_id;
    std::string buyer_id;
    std::string license;
    std::int64_t amount_cents = 0;
    std::string currency;
    std::string status;
    std::int64_t expires_ms = 0;
    std::optional<std::string> purchase_id;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
};

namespace {

constexpr const char* kColumns =
    "SELECT id, beat_id, producer_id, buyer_id, license, amount_cents, currency, status, expires_ms, purchase_id, "
    "created_ms, updated_ms FROM commerce_offers ";

bool
live(const std::string& status)
{
    return status == "open" || status == "countered" || status == "accepted";
}

std::string
money(std::int64_t cents, const std::string& currency)
{
    return fmt::format("{}{}.{:02} {}", currency == "USD" ? "$" : "", cents / 100, cents % 100, currency);
}

core::Error
closed(const std::string& status)
{
    return core::Error{core::Code::kConflict, "offer_closed", "this offer is " + status + "; make a new one", {}};
}

}  // namespace

Offers::Offers(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, mail::MailModule& mail,
               std::string public_url, std::int64_t window_ms, const std::string& secret)
    : db_(db),
      users_(users),
      beats_(beats),
      mail_(mail),
      public_url_(std::move(public_url)),
      window_ms_(window_ms),
      secret_(secret)
{
    while (!public_url_.empty() && public_url_.back() == '/') {
        public_url_.pop_back();
    }
}

template <class Source>
std::optional<Offers::Row>
Offers::load(Source& src, const std::string& offer_id) const
{
    auto q = src.query(std::string(kColumns) + "WHERE id = ?");
    q.bind(offer_id);
    if (!q.step()) {
        return std::nullopt;
    }
    return Row{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.int64(5), q.text(6), q.text(7), q.int64(8),
               q.opt_text(9), q.int64(10), q.int64(11)};
}

boost::json::object
Offers::to_json(const Row& r, std::int64_t now_ms) const
{
    // A window that closed is closed, even before the job gets to it.
    const std::string status = live(r.status) && r.expires_ms <= now_ms ? "expired" : r.status;
    std::string waiting_for;
    if (status == "open") {
        waiting_for = "producer";
    } else if (status == "countered" || status == "accepted") {
        waiting_for = "buyer";
    }
    auto beat = beats_.find(r.beat_id);
    return {{"offer_id", r.id},
            {"beat_id", r.beat_id},
            {"title", beat ? beat->title : ""},
            {"producer_id", r.producer_id},
            {"buyer_id", r.buyer_id},
            {"license", r.license},
            {"amount_cents", r.amount_cents},
            {"currency", r.currency},
            {"status", status},
            {"waiting_for", waiting_for.empty() ? boost::json::value(nullptr) : boost::json::value(waiting_for)},
            {"expires_at", core::clock::rfc3339(r.expires_ms)},
            {"purchase_id", r.purchase_id ? boost::json::value(*r.purchase_id) : boost::json::value(nullptr)},
            {"created_at", core::clock::rfc3339(r.created_ms)},
            {"updated_at", core::clock::rfc3339(r.updated_ms)}};
}

core::Result<boost::json::object>
Offers::settings(const std::string& beat_id) const
{
    auto beat = beats_.find(beat_id);
    if (!beat || beat->status == "deleted") {
        return core::not_found("beat");
    }
    boost::json::object out{{"beat_id", beat_id}, {"accept_offers", false}, {"minimum_cents", 0}};
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT accept_offers, minimum_cents FROM commerce_offer_settings WHERE beat_id = ?");
        q.bind(beat_id);
        if (q.step()) {
            out["accept_offers"] = q.int64(0) == 1;
            out["minimum_cents"] = q.int64(1);
        }
    });
    return out;
}

core::Result<boost::json::object>
Offers::set_settings(const http::Principal& who, const std::string& beat_id, bool accept, std::int64_t minimum_cents)
{
    auto beat = beats_.find(beat_id);
    if (!beat || beat->status == "deleted") {
        return core::not_found("beat");
    }
    if (beat->producer_id != who.user_id) {
        return core::forbidden("only the beat's producer decides whether it takes offers");
    }
    db_.write([&](core::Tx& tx) {
        tx.query("INSERT INTO commerce_offer_settings (beat_id, producer_id, accept_offers, minimum_cents, updated_ms) "
                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT (beat_id) DO UPDATE SET accept_offers = excluded.accept_offers, "
                 "minimum_cents = excluded.minimum_cents, updated_ms = excluded.updated_ms")
            .bind(beat_id, who.user_id, accept ? 1 : 0, minimum_cents, core::clock::now_ms())
            .exec();
    });
    return boost::json::object{{"beat_id", beat_id}, {"accept_offers", accept}, {"minimum_cents", minimum_cents}};
}

void
Offers::announce(core::Tx& tx, const Row& r, const std::string& actor_id, const std::string& action,
                 const std::string& message)
{
    const auto now = core::clock::now_ms();
    tx.query("INSERT INTO commerce_offer_events (id, offer_id, actor_id, action, amount_cents, message, created_ms) "
             "VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(core::new_id(), r.id, actor_id, action, r.amount_cents, message, now)
        .exec();
    auto beat = beats_.find(tx, r.beat_id);
    const std::string title = beat ? beat->title : "a beat";
    tx.publish(kOfferChanged, {{"offer_id", r.id},
                               {"beat_id", r.beat_id},
                               {"title", title},
                               {"license", r.license},
                               {"buyer_id", r.buyer_id},
                               {"producer_id", r.producer_id},
                               {"status", r.status},
                               {"amount_cents", r.amount_cents},
                               {"currency", r.currency},
                               {"actor_id", actor_id},
                               {"expires_at", core::clock::rfc3339(r.expires_ms)}});
    if (live(r.status)) {
        tx.enqueue(kOfferExpiryJob, {{"offer_id", r.id}, {"expires_ms", r.expires_ms}}, r.expires_ms);
    }
    const std::string amount = money(r.amount_cents, r.currency);
    auto headline = [&](const std::string& to) -> std::string {
        const bool to_buyer = to == r.buyer_id;
        if (action == "offer") {
            return "New offer: " + amount + " for " + title;
        }
        if (action == "counter") {
            return (to_buyer ? "The producer countered: " : "The buyer countered: ") + amount + " for " + title;
        }
        if (action == "accept") {
            return to_buyer ? "Your offer of " + amount + " for " + title + " was accepted: it is in your cart"
                            : "The buyer accepted " + amount + " for " + title;
        }
        if (action == "decline") {
            return "The offer of " + amount + " for " + title + " was declined";
        }
        if (action == "withdraw") {
            return "The buyer withdrew the offer for " + title;
        }
        if (action == "purchase") {
            return "The buyer paid the accepted offer of " + amount + " for " + title;
        }
        return "The offer of " + amount + " for " + title + " expired";
    };
    // Whoever did not make the move hears of it (an expiry, made by nobody, tells both).
    for (const auto& to : {r.buyer_id, r.producer_id}) {
        if (to == actor_id) {
            continue;
        }
        auto email = users_.email_of(to);
        auto user = users_.find(to);
        if (!email || !user) {
            continue;
        }
        auto queued = mail_.queue(tx, {.to = *email,
                                       .template_name = "offer",
                                       .vars = {{"username", user->username},
                                                {"headline", headline(to)},
                                                {"title", title},
                                                {"license", r.license},
                                                {"amount", amount},
                                                {"expires", live(r.status) ? core::clock::rfc3339(r.expires_ms) : ""},
                                                {"note", message},
                                                {"link", public_url_ + "/offers/" + r.id}}});
        if (!queued) {
            core::log::warn("commerce", "an offer mail could not be queued", {{"offer_id", r.id}, {"error", queued.error().message}});
        }
    }
}

core::Result<boost::json::object>
Offers::make(const http::Principal& who, const std::string& beat_id, const std::string& license,
             std::int64_t amount_cents, const std::string& message)
{
    auto beat = beats_.find(beat_id);
    if (!beat || beat->status == "deleted") {
        return core::not_found("beat");
    }
    if (beat->producer_id == who.user_id) {
        return core::invalid_field("beat_id", "you cannot make an offer on your own beat");
    }
    if (beat->status != "ready") {
        return core::conflict(beat->status == "sold" ? "sold" : "not_ready", "this beat is not for sale");
    }
    auto offered = std::find_if(beat->licenses.begin(), beat->licenses.end(), [&](const auto& l) { return l.type == license; });
    if (offered == beat->licenses.end()) {
        return core::invalid_field("license", "this beat does not offer a " + license + " license");
    }
    const auto now = core::clock::now_ms();
    try {
        return db_.write([&](core::Tx& tx) -> core::Result<boost::json::object> {
            auto s = tx.query("SELECT accept_offers, minimum_cents FROM commerce_offer_settings WHERE beat_id = ?");
            s.bind(beat_id);
            if (!s.step() || s.int64(0) != 1) {
                return core::conflict("offers_closed", "the producer does not take offers on this beat");
            }
            if (amount_cents < s.int64(1)) {
                return core::invalid_field("amount_cents", "the producer takes offers of at least " +
                                                               money(s.int64(1), beat->currency));
            }
            auto existing = tx.query("SELECT id FROM commerce_offers WHERE buyer_id = ? AND beat_id = ? AND license = ? "
                                     "AND status IN ('open', 'countered', 'accepted') AND expires_ms > ?");
            existing.bind(who.user_id, beat_id, license, now);
            if (existing.step()) {
                core::Error e = core::conflict("offer_exists", "you have a live offer on this license already");
                e.details["offer_id"] = existing.text(0);
                return e;
            }
            // A live-looking row whose window closed is ended here, so the new one may take its place.
            tx.query("UPDATE commerce_offers SET status = 'expired', updated_ms = ? WHERE buyer_id = ? AND beat_id = ? "
                     "AND license = ? AND status IN ('open', 'countered', 'accepted')")
                .bind(now, who.user_id, beat_id, license)
                .exec();
            Row r{core::new_id(), beat_id, beat->producer_id, who.user_id, license, amount_cents, beat->currency,
                  "open", now + window_ms_, std::nullopt, now, now};
            tx.query("INSERT INTO commerce_offers (id, beat_id, producer_id, buyer_id, license, amount_cents, currency, "
                     "status, expires_ms, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)")
                .bind(r.id, beat_id, r.producer_id, who.user_id, license, amount_cents, r.currency, r.expires_ms, now, now)
                .exec();
            announce(tx, r, who.user_id, "offer", message);
            return to_json(r, now);
        });
    } catch (const std::exception& e) {
        if (core::is_unique_violation(e)) {
            return core::conflict("offer_exists", "you have a live offer on this license already");
        }
        throw;
    }
}

core::Result<boost::json::object>
Offers::move(const http::Principal& who, const std::string& offer_id, const OfferMove& m)
{
    if (m.action == "counter" && (!m.amount_cents || *m.amount_cents <= 0)) {
        return core::invalid_field("amount_cents", "a counter names a price: at least 1 cent");
    }
    return db_.write([&](core::Tx& tx) -> core::Result<boost::json::object> {
        auto r = load(tx, offer_id);
        if (!r || (r->buyer_id != who.user_id && r->producer_id != who.user_id)) {
            return core::not_found("offer");
        }
        const auto now = core::clock::now_ms();
        if (!live(r->status) && r->status != "expired") {
            return closed(r->status);
        }
        if (r->status == "expired" || r->expires_ms <= now) {
            return core::Error{core::Code::kConflict, "offer_expired",
                               "this offer's window closed at " + core::clock::rfc3339(r->expires_ms), {}};
        }
        const bool buyer = who.user_id == r->buyer_id;
        const bool my_turn = (r->status == "open" && !buyer) || (r->status == "countered" && buyer);
        if (m.action == "withdraw") {
            if (!buyer) {
                return core::forbidden("only the buyer withdraws an offer; decline it instead");
            }
            r->status = "withdrawn";
        } else if (r->status == "accepted") {
            return core::conflict("offer_accepted", "this offer is accepted: it waits in the buyer's cart");
        } else if (!my_turn) {
            return core::conflict("not_your_turn", "the other side has not answered yet");
        } else if (m.action == "accept") {
            r->status = "accepted";
            r->expires_ms = now + window_ms_;  // the checkout window
            tx.query("INSERT INTO commerce_cart_items (user_id, beat_id, license, added_ms) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (user_id, beat_id) DO UPDATE SET license = excluded.license")
                .bind(r->buyer_id, r->beat_id, r->license, now)
                .exec();
        } else if (m.action == "decline") {
            r->status = "declined";
        } else if (m.action == "counter") {
            r->amount_cents = *m.amount_cents;
            r->status = buyer ? "open" : "countered";
            r->expires_ms = now + window_ms_;
        } else {
            return core::invalid_field("action", "must be accept, decline, counter or withdraw");
        }
        r->updated_ms = now;
        tx.query("UPDATE commerce_offers SET status = ?, amount_cents = ?, expires_ms = ?, updated_ms = ? WHERE id = ?")
            .bind(r->status, r->amount_cents, r->expires_ms, now, offer_id)
            .exec();
        announce(tx, *r, who.user_id, m.action, m.message);
        return to_json(*r, now);
    });
}

core::Result<boost::json::object>
Offers::get(const http::Principal& who, const std::string& offer_id) const
{
    std::optional<Row> r;
    boost::json::array history;
    db_.read([&](core::Conn& conn) {
        r = load(conn, offer_id);
        if (!r) {
            return;
        }
        auto q = conn.query("SELECT actor_id, action, amount_cents, message, created_ms FROM commerce_offer_events "
                            "WHERE offer_id = ? ORDER BY id");
        q.bind(offer_id);
        while (q.step()) {
            history.push_back({{"actor_id", q.text(0)},
                               {"by", q.text(0) == r->buyer_id ? "buyer" : q.text(0) == r->producer_id ? "producer" : "system"},
                               {"action", q.text(1)},
                               {"amount_cents", q.is_null(2) ? boost::json::value(nullptr) : boost::json::value(q.int64(2))},
                               {"message", q.text(3)},
                               {"created_at", core::clock::rfc3339(q.int64(4))}});
        }
    });
    if (!r || (!who.is_admin() && r->buyer_id != who.user_id && r->producer_id != who.user_id)) {
        return core::not_found("offer");
    }
    auto out = to_json(*r, core::clock::now_ms());
    out["history"] = std::move(history);
    return out;
}

core::Result<boost::json::object>
Offers::list(const http::Principal& who, const std::string& role, int limit, const std::optional<std::string>& cursor) const
{
    auto before = core::page_before(cursor, secret_);
    if (!before) {
        return before.error();
    }
    std::vector<Row> rows;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(std::string(kColumns) +
                            (role == "producer" ? "WHERE producer_id = ? AND id < ? ORDER BY id DESC LIMIT ?"
                                                : "WHERE buyer_id = ? AND id < ? ORDER BY id DESC LIMIT ?"));
        q.bind(who.user_id, *before, limit + 1);
        while (q.step()) {
            rows.push_back(Row{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.int64(5), q.text(6), q.text(7),
                               q.int64(8), q.opt_text(9), q.int64(10), q.int64(11)});
        }
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(rows.size()) > limit) {
        rows.pop_back();
        next = core::next_page_before(rows.back().id, secret_);
    }
    const auto now = core::clock::now_ms();
    boost::json::array offers;
    for (const auto& r : rows) {
        offers.push_back(to_json(r, now));
    }
    return boost::json::object{{"offers", std::move(offers)}, {"next_cursor", next}};
}

core::Result<void>
Offers::expire(const core::Job& job)
{
    const auto* id = job.payload.if_contains("offer_id");
    const auto* due = job.payload.if_contains("expires_ms");
    if (id == nullptr || !id->is_string() || due == nullptr || !due->is_int64()) {
        return {};
    }
    db_.write([&](core::Tx& tx) {
        auto r = load(tx, std::string(id->as_string()));
        // Only the window this job was set for: a counter or an acceptance opened a newer one.
        if (!r || !live(r->status) || r->expires_ms != due->as_int64() || r->expires_ms > core::clock::now_ms()) {
            return;
        }
        r->status = "expired";
        tx.query("UPDATE commerce_offers SET status = 'expired', updated_ms = ? WHERE id = ?")
            .bind(core::clock::now_ms(), r->id)
            .exec();
        announce(tx, *r, "system", "expire", "");
    });
    return {};
}

template <class Source>
std::optional<std::pair<std::string, std::int64_t>>
Offers::accepted(Source& src, const std::string& buyer_id, const std::string& beat_id, const std::string& license,
                 std::int64_t now_ms) const
{
    auto q = src.query("SELECT id, amount_cents FROM commerce_offers WHERE buyer_id = ? AND beat_id = ? AND license = ? "
                       "AND status = 'accepted' AND expires_ms > ?");
    q.bind(buyer_id, beat_id, license, now_ms);
    if (!q.step()) {
        return std::nullopt;
    }
    return std::pair{q.text(0), q.int64(1)};
}
template std::optional<std::pair<std::string, std::int64_t>> Offers::accepted(core::Conn&, const std::string&,
                                                                              const std::string&, const std::string&,
                                                                              std::int64_t) const;
template std::optional<std::pair<std::string, std::int64_t>> Offers::accepted(core::Tx&, const std::string&,
                                                                              const std::string&, const std::string&,
                                                                              std::int64_t) const;

void
Offers::purchased(core::Tx& tx, const std::string& offer_id, const std::string& purchase_id)
{
    auto r = load(tx, offer_id);
    if (!r || r->status != "accepted") {
        return;
    }
    r->status = "purchased";
    r->purchase_id = purchase_id;
    tx.query("UPDATE commerce_offers SET status = 'purchased', purchase_id = ?, updated_ms = ? WHERE id = ?")
        .bind(purchase_id, core::clock::now_ms(), offer_id)
        .exec();
    announce(tx, *r, r->buyer_id, "purchase", "");
}

}  // namespace bb::commerce
