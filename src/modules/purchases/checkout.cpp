// Checkouts that wait on a provider (Stripe): creating one (owned by this process for a lease, so
// a crash mid-way is resumed by a retry or ended by the sweep), and settling it from Stripe's
// signed events. An exclusive is sold once whatever the clock says: a payment that arrives after
// someone else got the beat is refunded automatically, never a second owner.
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "modules/purchases/purchases.hpp"
#include "modules/purchases/rows.hpp"
#include "modules/purchases/service.hpp"
#include "modules/purchases/sweep.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace bb::purchases {
namespace {

constexpr int kSweepBatch = 100;

std::optional<std::string>
nonempty(const std::string& s)
{
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

ChargeRequest
Service::charge_for(core::Tx& tx, const std::string& purchase_id, const std::string& token)
{
    ChargeRequest charge{.purchase_id = purchase_id, .token = token};
    auto p = tx.query("SELECT currency, expires_ms FROM purchases_purchases WHERE id = ?");
    p.bind(purchase_id);
    if (p.step()) {
        charge.currency = p.text(0);
        charge.expires_ms = p.is_null(1) ? 0 : p.int64(1);
    }
    auto items = tx.query("SELECT title, license, price_cents FROM purchases_items WHERE purchase_id = ? ORDER BY beat_id");
    items.bind(purchase_id);
    while (items.step()) {
        charge.lines.push_back({items.text(0) + " (" + items.text(1) + " license)", items.int64(2)});
    }
    return charge;
}

core::Result<Answer>
Service::settle_later(const http::Principal& who, const PurchaseRequest& request, PaymentProvider& provider)
{
    // 1. Hold the exclusives and record the purchase as pending, ours until the lease ends (and the
    //    key as in progress); or take over the purchase of a retried key whose owner's lease ran out.
    std::string id;
    std::int64_t lease = 0;
    ChargeRequest charge;
    auto started = db_.write([&](core::Tx& tx) -> core::Result<std::optional<Answer>> {
        auto earlier = replay(tx, who, request);
        if (!earlier) {
            return earlier.error();
        }
        if (earlier->answer) {
            return earlier->answer;
        }
        const auto now = core::clock::now_ms();
        lease = now + kCheckoutLeaseMs;
        if (earlier->resume) {
            id = *earlier->resume;
            tx.query("UPDATE purchases_purchases SET owner = ?, lease_ms = ? WHERE id = ?")
                .bind(core::instance_id(), lease, id)
                .exec();
            core::log::info("purchases", "checkout resumed after its owner's lease ran out", {{"purchase_id", id}});
        } else {
            auto priced = price(tx, who, request.items);
            if (!priced) {
                return priced.error();
            }
            id = core::new_id();
            if (auto ok = apply_pricing(tx, request, id, *priced); !ok) {
                return ok.error();
            }
            insert(tx, id, who, *priced, std::string(provider.name()), {"pending"});
            tx.query("UPDATE purchases_purchases SET lease_ms = ? WHERE id = ?").bind(lease, id).exec();
            remember(tx, who, request, Answer{0, ""}, id);
        }
        charge = charge_for(tx, id, request.token);
        return std::optional<Answer>{};
    });
    if (!started) {
        return started.error();
    }
    if (*started) {
        return std::move(**started);
    }
    // 2. Ask the provider for a checkout, outside any transaction (it takes a network round trip).
    //    The provider's idempotency key is the purchase's, so a resumed purchase gets its session.
    auto checkout = provider.charge(charge);
    // 3. Record the answer if the purchase is still ours; a failure releases the holds and the key,
    //    so the buyer may retry.
    return db_.write([&](core::Tx& tx) -> core::Result<Answer> {
        auto owner = tx.query("SELECT 1 FROM purchases_purchases WHERE id = ? AND status = 'pending' AND owner = ? "
                              "AND lease_ms = ?");
        owner.bind(id, core::instance_id(), lease);
        if (!owner.step()) {
            // Our lease ran out and a retry took the purchase over (or the sweep ended it).
            auto now = load_purchase(tx, id);
            if (checkout && now && now->at("status") == "pending" && now->contains("checkout_url")) {
                return Answer{201, boost::json::serialize(*now)};
            }
            return refused(core::Code::kConflict, "idempotency_in_progress",
                           "this checkout was taken over by a later attempt; retry shortly");
        }
        if (!checkout || checkout->outcome == ChargeResult::Outcome::kDeclined) {
            decline(tx, id, checkout ? checkout->message : checkout.error().message);
            if (request.idempotency_key) {
                tx.query("DELETE FROM purchases_idempotency WHERE user_id = ? AND key = ?")
                    .bind(who.user_id, *request.idempotency_key)
                    .exec();
            }
            if (!checkout) {
                return Answer{core::http_status(checkout.error().code), envelope(checkout.error())};
            }
            core::Error e = refused(core::Code::kPaymentRequired, "payment_declined", checkout->message);
            e.details["purchase_id"] = id;
            return Answer{402, envelope(e)};
        }
        tx.query("UPDATE purchases_purchases SET provider_ref = ?, checkout_url = ?, lease_ms = NULL WHERE id = ?")
            .bind(checkout->provider_ref, checkout->checkout_url, id)
            .exec();
        Answer answer{201, boost::json::serialize(*load_purchase(tx, id))};
        remember(tx, who, request, answer, id);
        return answer;
    });
}

bool
Service::exclusive_lost(core::Tx& tx, const std::string& purchase_id, const boost::json::array& items)
{
    const auto now = core::clock::now_ms();
    for (const auto& v : items) {
        const auto& item = v.as_object();
        if (item.at("license") != "exclusive") {
            continue;
        }
        const std::string beat_id(item.at("beat_id").as_string());
        auto hold = tx.query("SELECT purchase_id, expires_ms FROM purchases_exclusive_holds WHERE beat_id = ?");
        hold.bind(beat_id);
        if (hold.step()) {
            // Another buyer's sale, or their checkout still within its time, wins; a lapsed one does not.
            if (hold.text(0) != purchase_id && (hold.is_null(1) || hold.int64(1) > now)) {
                return true;
            }
            continue;
        }
        auto beat = beats_.find(tx, beat_id);
        if (beat && beat->status == "sold") {
            return true;
        }
    }
    return false;
}

// Grants the licenses of a paid purchase (pending, or ended by expiry before the payment arrived),
// takes exclusives out of the store and announces it; or refunds it when an exclusive is gone.
core::Result<void>
Service::complete(core::Tx& tx, const std::string& purchase_id, const std::string& payment_ref)
{
    auto purchase = load_purchase(tx, purchase_id);
    if (!purchase || (purchase->at("status") != "pending" && purchase->at("status") != "declined")) {
        return {};  // unknown, or settled already: applying it again changes nothing
    }
    if (exclusive_lost(tx, purchase_id, purchase->at("items").as_array())) {
        refund_late(tx, *purchase, payment_ref);
        return {};
    }
    const auto now = core::clock::now_ms();
    const std::string buyer(purchase->at("buyer_id").as_string());
    for (const auto& v : purchase->at("items").as_array()) {
        const auto& item = v.as_object();
        const std::string beat_id(item.at("beat_id").as_string());
        const std::string license(item.at("license").as_string());
        // A checkout paid for a license the buyer got meanwhile in another purchase: the payment
        // stands (it was taken), the license exists once; the seller can refund the spare one.
        if (tx.query("INSERT INTO purchases_licenses (purchase_id, buyer_id, beat_id, license, files, granted_ms) "
                     "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
                .bind(purchase_id, buyer, beat_id, license, boost::json::serialize(item.at("files")), now)
                .exec() == 0) {
            core::log::warn("purchases", "license already held; purchase completed without a second copy",
                            {{"purchase_id", purchase_id}, {"beat_id", beat_id}, {"license", license}});
        }
        if (license == "exclusive") {
            tx.query("INSERT INTO purchases_exclusive_holds (beat_id, purchase_id, expires_ms) VALUES (?, ?, NULL) "
                     "ON CONFLICT (beat_id) DO UPDATE SET purchase_id = excluded.purchase_id, expires_ms = NULL")
                .bind(beat_id, purchase_id)
                .exec();
            // Paid is paid: the buyer keeps the license even if the producer pulled the beat meanwhile.
            (void)beats_.mark_sold(tx, beat_id);
        }
    }
    tx.query("UPDATE purchases_purchases SET status = 'completed', completed_ms = ?, failure = NULL, lease_ms = NULL, "
             "payment_ref = COALESCE(?, payment_ref) WHERE id = ?")
        .bind(now, nonempty(payment_ref), purchase_id)
        .exec();
    tx.publish(kPurchaseCompleted, {{"purchase_id", purchase_id},
                                    {"buyer_id", buyer},
                                    {"total_cents", purchase->at("total_cents")},
                                    {"currency", purchase->at("currency")},
                                    {"items", purchase->at("items")}});
    tx.after_commit([this] { completed_.add(); });
    return {};
}

// The money was taken for an exclusive that went to another buyer: recorded as refunded with the
// reason (the buyer sees both), its lapsed holds dropped, and the refund itself made by a job that
// retries until the provider confirms (then refunded_at is set).
void
Service::refund_late(core::Tx& tx, const boost::json::object& purchase, const std::string& payment_ref)
{
    const std::string id(purchase.at("purchase_id").as_string());
    const std::string reason =
        "the exclusive license was sold to another buyer before this payment arrived; the payment is refunded";
    tx.query("UPDATE purchases_purchases SET status = 'refunded', failure = ?, lease_ms = NULL, "
             "payment_ref = COALESCE(?, payment_ref) WHERE id = ?")
        .bind(reason, nonempty(payment_ref), id)
        .exec();
    tx.query("DELETE FROM purchases_exclusive_holds WHERE purchase_id = ?").bind(id).exec();
    tx.enqueue(kLateRefundJob, {{"purchase_id", id}});
    tx.publish(kPurchaseRefunded, {{"purchase_id", id},
                                   {"buyer_id", purchase.at("buyer_id")},
                                   {"items", purchase.at("items")},
                                   {"reason", reason}});
    tx.after_commit([this] { refunded_.add(); });
    core::log::warn("purchases", "paid after the exclusive was sold: refunding", {{"purchase_id", id}});
}

core::Result<void>
Service::pay_late_refund(const std::string& purchase_id)
{
    std::string provider;
    bool done = true;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT provider, refunded_ms FROM purchases_purchases WHERE id = ? AND status = 'refunded'");
        q.bind(purchase_id);
        if (q.step()) {
            provider = q.text(0);
            done = !q.is_null(1);
        }
    });
    if (done) {
        return {};
    }
    if (auto paid_back = pay_back(purchase_id, provider); !paid_back) {
        return paid_back.error();  // retried by the job runner
    }
    return db_.write([&](core::Tx& tx) -> core::Result<void> {
        tx.query("UPDATE purchases_purchases SET refunded_ms = ? WHERE id = ? AND refunded_ms IS NULL")
            .bind(core::clock::now_ms(), purchase_id)
            .exec();
        return {};
    });
}

// checkout.session.completed with the payment still settling (a bank debit): nothing is granted
// yet; the exclusive stays held until Stripe says whether the money came.
core::Result<void>
Service::await_payment(core::Tx& tx, const std::string& purchase_id, const std::string& payment_ref)
{
    const auto until = core::clock::now_ms() + kSettlingMs;
    if (tx.query("UPDATE purchases_purchases SET expires_ms = ?, lease_ms = NULL, payment_ref = COALESCE(?, payment_ref) "
                 "WHERE id = ? AND status = 'pending'")
            .bind(until, nonempty(payment_ref), purchase_id)
            .exec() > 0) {
        tx.query("UPDATE purchases_exclusive_holds SET expires_ms = ? WHERE purchase_id = ? AND expires_ms IS NOT NULL")
            .bind(until, purchase_id)
            .exec();
    }
    return {};
}

core::Result<boost::json::object>
Service::webhook(std::string_view signature, std::string_view payload)
{
    if (webhook_secret_.empty()) {
        return core::unavailable("Stripe webhooks are not configured on this server");
    }
    if (auto ok = verify_stripe_signature(signature, payload, webhook_secret_, core::clock::now_ms() / 1000); !ok) {
        return ok.error();
    }
    boost::system::error_code ec;
    auto parsed = boost::json::parse(payload, ec);
    if (ec || !parsed.is_object() || !parsed.as_object().contains("id") || !parsed.as_object().at("id").is_string() ||
        !parsed.as_object().contains("type")) {
        return core::bad_request("invalid_event", "the body is not a Stripe event");
    }
    const auto& event = parsed.as_object();
    const std::string id(event.at("id").as_string());
    const std::string type(event.at("type").is_string() ? event.at("type").as_string() : "");
    const auto* data = event.if_contains("data");
    const boost::json::object empty;
    const auto& object = data != nullptr && data->is_object() && data->as_object().contains("object") &&
                                 data->as_object().at("object").is_object()
                             ? data->as_object().at("object").as_object()
                             : empty;
    auto text = [&](const char* key) {
        const auto* v = object.if_contains(key);
        return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    bool duplicate = false;
    auto applied = db_.write([&](core::Tx& tx) -> core::Result<void> {
        if (tx.query("INSERT INTO purchases_webhook_events (event_id, type, received_ms) VALUES (?, ?, ?) "
                     "ON CONFLICT DO NOTHING")
                .bind(id, type, core::clock::now_ms())
                .exec() == 0) {
            duplicate = true;  // applied before: acknowledged, nothing changes
            return {};
        }
        retention_.tidy(tx, core::clock::now_ms());
        const std::string purchase_id = text("client_reference_id");
        if (type == "checkout.session.completed") {
            // Only money that arrived grants anything; a debit still settling waits for its event.
            const auto paid = text("payment_status");
            if (paid == "paid" || paid == "no_payment_required") {
                return complete(tx, purchase_id, text("payment_intent"));
            }
            return await_payment(tx, purchase_id, text("payment_intent"));
        }
        if (type == "checkout.session.async_payment_succeeded") {
            return complete(tx, purchase_id, text("payment_intent"));
        }
        if (type == "checkout.session.async_payment_failed") {
            return decline(tx, purchase_id, "the payment failed");
        }
        if (type == "checkout.session.expired") {
            return decline(tx, purchase_id, "the checkout expired");
        }
        if (type == "charge.refunded") {
            auto q = tx.query("SELECT id FROM purchases_purchases WHERE payment_ref = ? AND status = 'completed'");
            q.bind(text("payment_intent"));
            if (q.step()) {
                const std::string refunded_id = q.text(0);
                return revoke(tx, refunded_id);
            }
        }
        return {};  // other event types are acknowledged and ignored
    });
    if (!applied) {
        return applied.error();
    }
    core::log::info("purchases", "stripe event", {{"event_id", id}, {"type", type}, {"duplicate", duplicate}});
    return boost::json::object{{"received", true}, {"duplicate", duplicate}};
}

int
Service::sweep(std::int64_t now_ms)
{
    if (db_.read([&](core::Conn& conn) { return find_unfinished(conn, now_ms, 1).empty(); })) {
        return 0;
    }
    return db_.write([&](core::Tx& tx) {
        const auto unfinished = find_unfinished(tx, now_ms, kSweepBatch);
        for (const auto& id : unfinished.interrupted) {
            // Its owner died before recording the provider's answer, and nobody retried: the
            // buyer never got a checkout to pay, so nothing was charged.
            decline(tx, id, "the checkout was interrupted before it could be paid; nothing was charged");
            tx.query("DELETE FROM purchases_idempotency WHERE purchase_id = ? AND status = 0").bind(id).exec();
        }
        for (const auto& id : unfinished.expired) {
            decline(tx, id, "the checkout expired");  // a payment announced after all is still settled
        }
        if (!unfinished.empty()) {
            core::log::info("purchases", "swept checkouts",
                            {{"interrupted", static_cast<std::int64_t>(unfinished.interrupted.size())},
                             {"expired", static_cast<std::int64_t>(unfinished.expired.size())}});
        }
        return static_cast<int>(unfinished.interrupted.size() + unfinished.expired.size());
    });
}

}  // namespace bb::purchases
