#include "modules/purchases/service.hpp"

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "modules/purchases/purchases.hpp"
#include "modules/purchases/rows.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace bb::purchases {
namespace {

std::string
files_json(const std::vector<std::string>& files)
{
    boost::json::array a;
    for (const auto& f : files) {
        a.push_back(boost::json::value(f));
    }
    return boost::json::serialize(a);
}

// Looked up once: the counts are bumped on the writer thread, after every sale.
core::Counter&
outcome_counter(core::Metrics& metrics, std::string_view status)
{
    return metrics.counter("backbeat_purchases_total", "Purchases by outcome", fmt::format("status=\"{}\"", status));
}

bool
may_see(const http::Principal& who, const boost::json::object& purchase)
{
    if (who.is_admin() || purchase.at("buyer_id").as_string() == who.user_id) {
        return true;
    }
    const auto& items = purchase.at("items").as_array();
    return std::any_of(items.begin(), items.end(),
                       [&](const auto& item) { return item.as_object().at("seller_id").as_string() == who.user_id; });
}

}  // namespace

Service::Service(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, core::Metrics& metrics,
                 const std::string& secret, std::map<std::string, std::unique_ptr<PaymentProvider>> providers,
                 std::string webhook_secret)
    : db_(db),
      users_(users),
      beats_(beats),
      completed_(outcome_counter(metrics, "completed")),
      declined_(outcome_counter(metrics, "declined")),
      refunded_(outcome_counter(metrics, "refunded")),
      secret_(secret),
      providers_(std::move(providers)),
      webhook_secret_(std::move(webhook_secret))
{
}

core::Error
Service::unknown_provider(const std::string& name) const
{
    if (name == "stripe") {
        return core::invalid_field("payment.provider", "stripe is not configured on this server");
    }
    if (name == "test") {
        core::Error e = refused(core::Code::kInvalidInput, "payment_provider_disabled",
                                "the test payment provider is off on this server because a real one is configured; "
                                "pay with provider \"stripe\"");
        e.details["field"] = "payment.provider";
        e.details["providers"] = boost::json::array{boost::json::value("stripe")};
        return e;
    }
    return core::invalid_field("payment.provider", "must be test or stripe");
}

bool
Service::stripe_enabled() const
{
    return providers_.contains("stripe");
}

core::Result<Service::Earlier>
Service::replay(core::Tx& tx, const http::Principal& who, const PurchaseRequest& request)
{
    if (!request.idempotency_key) {
        return Earlier{};
    }
    auto q = tx.query("SELECT k.request_hash, k.status, k.body, k.purchase_id, p.status, p.lease_ms "
                      "FROM purchases_idempotency k LEFT JOIN purchases_purchases p ON p.id = k.purchase_id "
                      "WHERE k.user_id = ? AND k.key = ?");
    q.bind(who.user_id, *request.idempotency_key);
    if (!q.step()) {
        return Earlier{};
    }
    if (q.text(0) != request.body_hash) {
        return refused(core::Code::kConflict, "idempotency_key_reused",
                       "this Idempotency-Key was used with a different request");
    }
    if (q.int64(1) != 0) {
        return Earlier{Answer{static_cast<int>(q.int64(1)), q.text(2)}, std::nullopt};
    }
    // The first request is still being answered, or its owner died answering it.
    const auto purchase_id = q.opt_text(3);
    const auto status = q.opt_text(4);
    if (!purchase_id || status != "pending") {
        // Nothing to resume (the sweep ended it): the key starts afresh.
        tx.query("DELETE FROM purchases_idempotency WHERE user_id = ? AND key = ?")
            .bind(who.user_id, *request.idempotency_key)
            .exec();
        return Earlier{};
    }
    const auto now = core::clock::now_ms();
    if (!q.is_null(5) && q.int64(5) > now) {
        core::Error e = refused(core::Code::kConflict, "idempotency_in_progress",
                                "the first request with this Idempotency-Key is still being answered; retry shortly");
        e.details["retry_after_s"] = (q.int64(5) - now + 999) / 1000;
        return e;
    }
    return Earlier{std::nullopt, *purchase_id};  // its owner's lease ran out: take it over
}

core::Result<std::vector<Service::Priced>>
Service::price(core::Tx& tx, const http::Principal& who, const std::vector<CartItem>& items)
{
    if (items.empty()) {
        return core::invalid_field("items", "there is nothing to buy");
    }
    std::vector<Priced> out;
    std::set<std::string> seen;
    const auto now = core::clock::now_ms();
    for (const auto& item : items) {
        if (!seen.insert(item.beat_id).second) {
            return core::invalid_field("items", "each beat may appear once in a cart");
        }
        auto beat = beats_.find(tx, item.beat_id);
        if (!beat || beat->status == "deleted") {
            return refused(core::Code::kNotFound, "not_found", "beat not found", item.beat_id);
        }
        if (beat->producer_id == who.user_id) {
            return refused(core::Code::kInvalidInput, "own_beat", "you cannot buy your own beat", item.beat_id);
        }
        if (beat->status == "sold") {
            return refused(core::Code::kConflict, "sold", "this beat was sold exclusively", item.beat_id);
        }
        if (beat->status != "ready") {
            return refused(core::Code::kConflict, "not_ready", "this beat is not in the store yet", item.beat_id);
        }
        auto license = std::find_if(beat->licenses.begin(), beat->licenses.end(),
                                    [&](const beats::License& l) { return l.type == item.license; });
        if (license == beat->licenses.end()) {
            return refused(core::Code::kInvalidInput, "license_not_offered",
                           "this beat does not offer a " + item.license + " license", item.beat_id);
        }
        auto held = tx.query("SELECT 1 FROM purchases_licenses WHERE buyer_id = ? AND beat_id = ? AND license = ? "
                             "AND active = 1");
        held.bind(who.user_id, item.beat_id, item.license);
        if (held.step()) {
            return refused(core::Code::kConflict, "already_licensed", "you already hold this license", item.beat_id);
        }
        if (item.license == "exclusive") {
            auto hold = tx.query("SELECT purchase_id FROM purchases_exclusive_holds WHERE beat_id = ? AND "
                                 "(expires_ms IS NULL OR expires_ms > ?)");
            hold.bind(item.beat_id, now);
            if (hold.step()) {
                return refused(core::Code::kConflict, "exclusive_taken",
                               "someone else is buying or bought the exclusive license", item.beat_id);
            }
        }
        out.push_back({*beat, *license, files_json(license->files)});
    }
    return out;
}

core::Result<void>
Service::apply_pricing(core::Tx& tx, const PurchaseRequest& request, const std::string& purchase_id,
                       std::vector<Priced>& priced)
{
    if (!request.pricing) {
        return {};
    }
    std::vector<PricedLine> lines;
    for (const auto& p : priced) {
        lines.push_back({p.beat.beat_id, p.license.type, p.beat.producer_id, p.license.price_cents, p.license.price_cents});
    }
    if (auto ok = request.pricing(tx, purchase_id, lines); !ok) {
        return ok.error();
    }
    for (std::size_t i = 0; i < priced.size(); ++i) {
        priced[i].license.price_cents = std::max<std::int64_t>(0, lines[i].price_cents);
    }
    return {};
}

void
Service::insert(core::Tx& tx, const std::string& id, const http::Principal& who, const std::vector<Priced>& items,
                const std::string& provider, const Settled& settled)
{
    std::int64_t total = 0;
    for (const auto& p : items) {
        total += p.license.price_cents;
    }
    const auto now = settled.completed_ms.value_or(core::clock::now_ms());
    // A pending purchase is this process's to finish until its lease runs out (checkout.cpp).
    const bool pending = settled.status == "pending";
    tx.query("INSERT INTO purchases_purchases (id, buyer_id, status, total_cents, currency, provider, provider_ref, "
             "created_ms, completed_ms, owner, lease_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(id, who.user_id, settled.status, total, items.front().license.currency, provider, settled.provider_ref,
              now, settled.completed_ms, pending ? std::optional<std::string>(core::instance_id()) : std::nullopt,
              pending ? std::optional<std::int64_t>(now + kCheckoutLeaseMs) : std::nullopt,
              pending ? std::optional<std::int64_t>(now + kCheckoutMs) : std::nullopt)
        .exec();
    for (const auto& p : items) {
        tx.query("INSERT INTO purchases_items (purchase_id, beat_id, seller_id, title, license, files, terms, price_cents) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(id, p.beat.beat_id, p.beat.producer_id, p.beat.title, p.license.type, p.files, p.license.terms,
                  p.license.price_cents)
            .exec();
        if (p.license.type == "exclusive") {
            tx.query("INSERT INTO purchases_exclusive_holds (beat_id, purchase_id, expires_ms) VALUES (?, ?, ?) "
                     "ON CONFLICT (beat_id) DO UPDATE SET purchase_id = excluded.purchase_id, expires_ms = excluded.expires_ms")
                .bind(p.beat.beat_id, id, now + kCheckoutMs)
                .exec();
        }
    }
}

void
Service::remember(core::Tx& tx, const http::Principal& who, const PurchaseRequest& request, const Answer& answer,
                  const std::string& purchase_id)
{
    if (!request.idempotency_key) {
        return;
    }
    tx.query("INSERT INTO purchases_idempotency (user_id, key, request_hash, status, body, purchase_id, created_ms) "
             "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, key) DO UPDATE SET status = excluded.status, "
             "body = excluded.body, purchase_id = excluded.purchase_id")
        .bind(who.user_id, *request.idempotency_key, request.body_hash, answer.status, answer.body, purchase_id,
              core::clock::now_ms())
        .exec();
    retention_.tidy(tx, core::clock::now_ms());
}

core::Result<void>
Service::decline(core::Tx& tx, const std::string& purchase_id, const std::string& reason)
{
    auto purchase = load_purchase(tx, purchase_id);
    if (!purchase || purchase->at("status") != "pending") {
        return {};
    }
    tx.query("UPDATE purchases_purchases SET status = 'declined', failure = ?, lease_ms = NULL WHERE id = ?")
        .bind(reason, purchase_id)
        .exec();
    tx.query("DELETE FROM purchases_exclusive_holds WHERE purchase_id = ?").bind(purchase_id).exec();
    tx.publish(kPurchaseDeclined, {{"purchase_id", purchase_id}, {"buyer_id", purchase->at("buyer_id")}, {"reason", reason}});
    tx.after_commit([this] { declined_.add(); });
    return {};
}

core::Result<void>
Service::revoke(core::Tx& tx, const std::string& purchase_id)
{
    auto purchase = load_purchase(tx, purchase_id);
    if (!purchase || purchase->at("status") != "completed") {
        return refused(core::Code::kConflict, "not_refundable", "only a completed purchase can be refunded");
    }
    tx.query("UPDATE purchases_licenses SET active = 0 WHERE purchase_id = ?").bind(purchase_id).exec();
    for (const auto& v : purchase->at("items").as_array()) {
        const auto& item = v.as_object();
        if (item.at("license") == "exclusive") {
            const std::string beat_id(item.at("beat_id").as_string());
            tx.query("DELETE FROM purchases_exclusive_holds WHERE beat_id = ? AND purchase_id = ?").bind(beat_id, purchase_id).exec();
            (void)beats_.mark_available(tx, beat_id);  // back in the store (unless it was deleted)
        }
    }
    tx.query("UPDATE purchases_purchases SET status = 'refunded', refunded_ms = ? WHERE id = ?")
        .bind(core::clock::now_ms(), purchase_id)
        .exec();
    tx.publish(kPurchaseRefunded, {{"purchase_id", purchase_id}, {"buyer_id", purchase->at("buyer_id")},
                                   {"items", purchase->at("items")}});
    tx.after_commit([this] { refunded_.add(); });
    return {};
}

core::Result<Answer>
Service::settle_now(core::Tx& tx, const http::Principal& who, const PurchaseRequest& request, PaymentProvider& provider)
{
    auto earlier = replay(tx, who, request);
    if (!earlier) {
        return earlier.error();
    }
    if (earlier->answer) {
        return std::move(*earlier->answer);
    }
    if (earlier->resume) {  // only a checkout that waits on a provider is ever left in flight
        return refused(core::Code::kConflict, "idempotency_key_reused",
                       "this Idempotency-Key belongs to a checkout with another provider");
    }
    auto priced = price(tx, who, request.items);
    if (!priced) {
        return priced.error();
    }
    const std::string id = core::new_id();
    if (auto ok = apply_pricing(tx, request, id, *priced); !ok) {
        return ok.error();
    }
    ChargeRequest charge{id, priced->front().license.currency, {}, request.token};
    for (const auto& p : *priced) {
        charge.lines.push_back({p.beat.title + " (" + p.license.type + " license)", p.license.price_cents});
    }
    auto paid = provider.charge(charge);
    if (!paid) {
        return paid.error();
    }
    Answer answer;
    if (paid->outcome == ChargeResult::Outcome::kDeclined) {
        insert(tx, id, who, *priced, std::string(provider.name()), {"pending"});
        decline(tx, id, paid->message);
        core::Error e = refused(core::Code::kPaymentRequired, "payment_declined", "the payment was declined: " + paid->message);
        e.details["purchase_id"] = id;
        answer = {402, envelope(e)};
    } else {
        // Paid at once: recorded completed with its licenses, built from what is in hand rather
        // than read back (this runs on the single writer; every statement saved is throughput).
        const auto now = core::clock::now_ms();
        insert(tx, id, who, *priced, std::string(provider.name()), {"completed", paid->provider_ref, now});
        boost::json::array items;
        std::int64_t total = 0;
        for (const auto& p : *priced) {
            tx.query("INSERT OR IGNORE INTO purchases_licenses (purchase_id, buyer_id, beat_id, license, files, granted_ms) "
                     "VALUES (?, ?, ?, ?, ?, ?)")
                .bind(id, who.user_id, p.beat.beat_id, p.license.type, p.files, now)
                .exec();
            if (p.license.type == "exclusive") {
                tx.query("UPDATE purchases_exclusive_holds SET expires_ms = NULL WHERE beat_id = ? AND purchase_id = ?")
                    .bind(p.beat.beat_id, id)
                    .exec();
                (void)beats_.mark_sold(tx, p.beat.beat_id);
            }
            boost::json::array file_list;
            for (const auto& f : p.license.files) {
                file_list.push_back(boost::json::value(f));
            }
            items.push_back({{"beat_id", p.beat.beat_id},
                             {"seller_id", p.beat.producer_id},
                             {"title", p.beat.title},
                             {"license", p.license.type},
                             {"files", std::move(file_list)},
                             {"price_cents", p.license.price_cents}});
            total += p.license.price_cents;
        }
        const std::string currency = priced->front().license.currency;
        tx.publish(kPurchaseCompleted, {{"purchase_id", id},
                                        {"buyer_id", who.user_id},
                                        {"total_cents", total},
                                        {"currency", currency},
                                        {"items", items}});
        tx.after_commit([this] { completed_.add(); });
        const std::string at = core::clock::rfc3339(now);
        answer = {201, boost::json::serialize(boost::json::object{{"purchase_id", id},
                                                                  {"buyer_id", who.user_id},
                                                                  {"status", "completed"},
                                                                  {"total_cents", total},
                                                                  {"total", static_cast<double>(total) / 100.0},
                                                                  {"currency", currency},
                                                                  {"provider", provider.name()},
                                                                  {"created_at", at},
                                                                  {"completed_at", at},
                                                                  {"items", std::move(items)}})};
    }
    remember(tx, who, request, answer, id);
    return answer;
}

core::Result<Answer>
Service::buy(const http::Principal& who, const PurchaseRequest& request)
{
    auto provider = providers_.find(request.provider);
    if (provider == providers_.end()) {
        return unknown_provider(request.provider);
    }
    if (request.provider == "test") {
        // Settles inside the transaction: validation, charge, licenses, sold and the event commit
        // together, and concurrent buyers are serialised by the single writer.
        return db_.write([&](core::Tx& tx) { return settle_now(tx, who, request, *provider->second); });
    }
    return settle_later(who, request, *provider->second);
}

bool
Service::settles_at_once(const PurchaseRequest& request) const
{
    return request.provider == "test" && providers_.contains("test");
}

void
Service::buy_queued(const http::Principal& who, PurchaseRequest request, std::function<void(core::Result<Answer>)> done)
{
    PaymentProvider& provider = *providers_.at("test");
    db_.write_async([this, who, request = std::move(request), &provider](core::Tx& tx) {
        return settle_now(tx, who, request, provider);
    }, std::move(done));
}

core::Result<boost::json::object>
Service::get(const http::Principal& who, const std::string& purchase_id) const
{
    std::optional<boost::json::object> purchase;
    db_.read([&](core::Conn& conn) { purchase = load_purchase(conn, purchase_id); });
    if (!purchase || !may_see(who, *purchase)) {
        return core::not_found("purchase");
    }
    return std::move(*purchase);
}

core::Result<boost::json::object>
Service::list_mine(const std::string& buyer_id, const std::optional<std::string>& beat_id, int limit,
                   const std::optional<std::string>& cursor) const
{
    auto after_cursor = core::page_before(cursor, secret_);
    if (!after_cursor) {
        return after_cursor.error();
    }
    const std::string before = *after_cursor;
    boost::json::array purchases;
    db_.read([&](core::Conn& conn) {
        std::vector<std::string> ids;
        auto q = conn.query("SELECT p.id FROM purchases_purchases p WHERE p.buyer_id = ?1 AND p.id < ?2 AND (?3 IS NULL OR "
                            "EXISTS (SELECT 1 FROM purchases_items i WHERE i.purchase_id = p.id AND i.beat_id = ?3)) "
                            "ORDER BY p.id DESC LIMIT ?4");
        q.bind_at(1, buyer_id).bind_at(2, before).bind_at(3, beat_id).bind_at(4, limit + 1);
        while (q.step()) {
            ids.push_back(q.text(0));
        }
        for (const auto& id : ids) {
            purchases.push_back(*load_purchase(conn, id));
        }
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(purchases.size()) > limit) {
        purchases.pop_back();
        next = core::encode_cursor({{"before", purchases.back().as_object().at("purchase_id")}}, secret_);
    }
    return boost::json::object{{"purchases", std::move(purchases)}, {"next_cursor", next}};
}

core::Result<boost::json::object>
Service::sales(const std::string& seller_id, int limit, const std::optional<std::string>& cursor) const
{
    auto after_cursor = core::page_before(cursor, secret_);
    if (!after_cursor) {
        return after_cursor.error();
    }
    const std::string before = *after_cursor;
    boost::json::array sales;
    std::int64_t total = 0;
    std::int64_t count = 0;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT i.purchase_id, i.beat_id, i.title, i.license, i.price_cents, p.buyer_id, p.completed_ms "
                            "FROM purchases_items i JOIN purchases_purchases p ON p.id = i.purchase_id "
                            "WHERE i.seller_id = ? AND p.status = 'completed' AND i.purchase_id < ? "
                            "ORDER BY i.purchase_id DESC LIMIT ?");
        q.bind(seller_id, before, limit + 1);
        while (q.step()) {
            sales.push_back({{"purchase_id", q.text(0)},
                             {"beat_id", q.text(1)},
                             {"title", q.text(2)},
                             {"license", q.text(3)},
                             {"price_cents", q.int64(4)},
                             {"buyer_id", q.text(5)},
                             {"completed_at", core::clock::rfc3339(q.int64(6))}});
        }
        auto sum = conn.query("SELECT COALESCE(SUM(i.price_cents), 0), COUNT(*) FROM purchases_items i "
                              "JOIN purchases_purchases p ON p.id = i.purchase_id WHERE i.seller_id = ? AND p.status = 'completed'");
        sum.bind(seller_id);
        sum.step();
        total = sum.int64(0);
        count = sum.int64(1);
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(sales.size()) > limit) {
        sales.pop_back();
        next = core::encode_cursor({{"before", sales.back().as_object().at("purchase_id")}}, secret_);
    }
    return boost::json::object{{"sales", std::move(sales)}, {"total_cents", total}, {"count", count},
                               {"currency", "USD"}, {"next_cursor", next}};
}

core::Result<std::string>
Service::agreement(const http::Principal& who, const std::string& purchase_id) const
{
    auto purchase = get(who, purchase_id);
    if (!purchase) {
        return purchase.error();
    }
    if (purchase->at("status") != "completed" && purchase->at("status") != "refunded") {
        return refused(core::Code::kConflict, "not_completed", "the purchase is not completed");
    }
    auto name = [&](const boost::json::value& id) {
        auto user = users_.find(std::string(id.as_string()));
        return user ? user->username : std::string("(deleted account)");
    };
    std::string text = "BEAT LICENSE AGREEMENT\n\n";
    text += fmt::format("Purchase: {}\nDate: {}\nLicensee (buyer): {} ({})\n", purchase_id,
                        std::string(purchase->at("completed_at").as_string()), name(purchase->at("buyer_id")),
                        std::string(purchase->at("buyer_id").as_string()));
    if (purchase->at("status") == "refunded") {
        text += "Status: REVOKED (the purchase was refunded)\n";
    }
    std::string terms;
    db_.read([&](core::Conn& conn) {
        for (const auto& v : purchase->at("items").as_array()) {
            const auto& item = v.as_object();
            auto q = conn.query("SELECT terms FROM purchases_items WHERE purchase_id = ? AND beat_id = ?");
            q.bind(purchase_id, std::string(item.at("beat_id").as_string()));
            q.step();
            std::string files;
            for (const auto& f : item.at("files").as_array()) {
                files += (files.empty() ? "" : ", ") + std::string(f.as_string());
            }
            text += fmt::format("\nBeat: \"{}\" ({})\nLicensor (producer): {} ({})\nLicense: {}\nFiles: {}\n"
                                "Price: {}.{:02} {}\nRights: {}\n",
                                std::string(item.at("title").as_string()), std::string(item.at("beat_id").as_string()),
                                name(item.at("seller_id")), std::string(item.at("seller_id").as_string()),
                                std::string(item.at("license").as_string()), files, item.at("price_cents").as_int64() / 100,
                                item.at("price_cents").as_int64() % 100, std::string(purchase->at("currency").as_string()),
                                q.text(0));
        }
    });
    text += "\nThe licensee may use the beat as the license above allows. The licensor keeps the copyright.\n";
    return text;
}

core::Result<boost::json::object>
Service::refund(const http::Principal& who, const std::string& purchase_id)
{
    auto purchase = get(who, purchase_id);
    if (!purchase) {
        return purchase.error();
    }
    const auto& items = purchase->at("items").as_array();
    const bool seller = std::all_of(items.begin(), items.end(), [&](const auto& item) {
        return item.as_object().at("seller_id").as_string() == who.user_id;
    });
    if (!seller && !who.is_admin()) {
        return core::forbidden("only the seller or an admin may refund a purchase");
    }
    if (purchase->at("status") != "completed") {
        return refused(core::Code::kConflict, "not_refundable", "only a completed purchase can be refunded");
    }
    // The money goes back first: a failed call changes nothing here. Should we stop between the
    // provider's refund and our commit, Stripe's charge.refunded webhook revokes the licenses.
    if (auto paid_back = pay_back(purchase_id, std::string(purchase->at("provider").as_string())); !paid_back) {
        return paid_back.error();
    }
    auto done = db_.write([&](core::Tx& tx) {
        if (!seller) {
            core::record_audit(tx, {.actor_id = who.user_id, .action = "purchase.refund", .target_type = "purchase",
                                    .target_id = purchase_id, .details = {{"total_cents", purchase->at("total_cents")}}});
        }
        return revoke(tx, purchase_id);
    });
    if (!done) {
        return done.error();
    }
    return get(who, purchase_id);
}

core::Result<void>
Service::pay_back(const std::string& purchase_id, const std::string& provider_name)
{
    const auto provider = providers_.find(provider_name);
    if (provider == providers_.end()) {
        return core::unavailable("the purchase was paid through " + provider_name +
                                 ", which this server is not configured for; the money cannot be returned");
    }
    RefundRequest request{.purchase_id = purchase_id};
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT payment_ref FROM purchases_purchases WHERE id = ?");
        q.bind(purchase_id);
        if (q.step() && !q.is_null(0)) {
            request.payment_ref = q.text(0);
        }
    });
    return provider->second->refund(request);
}

std::vector<std::string>
Service::formats_for(const std::string& user_id, const std::string& beat_id) const
{
    std::set<std::string> formats;
    db_.read([&](core::Conn& conn) {
        if (user_id == "*") {
            auto q = conn.query("SELECT 1 FROM purchases_licenses WHERE beat_id = ? AND active = 1 LIMIT 1");
            q.bind(beat_id);
            if (q.step()) {
                formats.insert("any");
            }
            return;
        }
        auto q = conn.query("SELECT files FROM purchases_licenses WHERE buyer_id = ? AND beat_id = ? AND active = 1");
        q.bind(user_id, beat_id);
        while (q.step()) {
            const auto files = boost::json::parse(q.text(0));  // named: a temporary would die before the loop
            for (const auto& f : files.as_array()) {
                formats.insert(std::string(f.as_string()));
            }
        }
    });
    return {formats.begin(), formats.end()};
}

std::vector<std::string>
Service::purchased_beats(const std::string& user_id) const
{
    std::vector<std::string> beats;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT DISTINCT beat_id FROM purchases_licenses WHERE buyer_id = ? AND active = 1 ORDER BY beat_id");
        q.bind(user_id);
        while (q.step()) {
            beats.push_back(q.text(0));
        }
    });
    return beats;
}

}  // namespace bb::purchases
