#include "modules/commerce/promotions.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace bb::commerce {
namespace {

constexpr const char* kCouponColumns =
    "SELECT id, producer_id, code, kind, amount, expires_ms, max_uses, max_uses_per_buyer, min_total_cents, beat_ids, "
    "tiers, created_ms, (SELECT CAST(COUNT(*) AS INTEGER) FROM commerce_coupon_redemptions r WHERE r.coupon_id = c.id AND "
    "r.status != 'released') FROM commerce_coupons c ";

bool
is_tier(const std::string& t)
{
    return t == "basic" || t == "premium" || t == "unlimited" || t == "exclusive";
}

std::string
lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::optional<std::int64_t>
nullable(core::Query& q, int i)
{
    return q.is_null(i) ? std::nullopt : std::optional<std::int64_t>(q.int64(i));
}

std::vector<std::string>
strings(const std::string& json)
{
    std::vector<std::string> out;
    const auto parsed = boost::json::parse(json);  // named: a temporary would die before the loop
    for (const auto& v : parsed.as_array()) {
        out.emplace_back(v.as_string());
    }
    return out;
}

std::string
strings_json(const std::vector<std::string>& list)
{
    boost::json::array a;
    for (const auto& s : list) {
        a.push_back(boost::json::value(s));
    }
    return boost::json::serialize(a);
}

Coupon
read_coupon(core::Query& q)
{
    Coupon c;
    c.id = q.text(0);
    c.producer_id = q.text(1);
    c.terms.code = q.text(2);
    c.terms.kind = q.text(3);
    c.terms.amount = q.int64(4);
    c.terms.expires_ms = nullable(q, 5);
    c.terms.max_uses = nullable(q, 6);
    c.terms.max_uses_per_buyer = nullable(q, 7);
    c.terms.min_total_cents = q.int64(8);
    c.terms.beat_ids = strings(q.text(9));
    c.terms.tiers = strings(q.text(10));
    c.created_ms = q.int64(11);
    c.uses = q.int64(12);
    return c;
}

boost::json::value
opt(const std::optional<std::int64_t>& v)
{
    return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

}  // namespace

core::Result<Deal>
Promotions::add_deal(const std::string& producer_id, const std::string& tier, int quantity, int pay_for)
{
    boost::json::object problems;
    if (!tier.empty() && !is_tier(tier)) {
        problems["tier"] = "must be basic, premium, unlimited, exclusive, or left out for every tier";
    }
    if (quantity < 2 || quantity > 20) {
        problems["quantity"] = "must be 2 to 20 items";
    }
    if (pay_for < 1 || pay_for >= quantity) {
        problems["pay_for"] = "must be at least 1 and fewer than quantity";
    }
    if (!problems.empty()) {
        return core::invalid_fields(std::move(problems));
    }
    Deal d{core::new_id(), producer_id, tier, quantity, pay_for, core::clock::now_ms()};
    try {
        return db_.write([&](core::Tx& tx) -> core::Result<Deal> {
            auto live = tx.query("SELECT 1 FROM commerce_deals WHERE producer_id = ? AND tier = ? AND active = 1");
            live.bind(producer_id, tier);
            if (live.step()) {
                return core::conflict("deal_exists", "you have a deal on this tier already; remove it first");
            }
            tx.query("INSERT INTO commerce_deals (id, producer_id, tier, quantity, pay_for, active, created_ms) "
                     "VALUES (?, ?, ?, ?, ?, 1, ?)")
                .bind(d.id, producer_id, tier, quantity, pay_for, d.created_ms)
                .exec();
            return d;
        });
    } catch (const std::exception& e) {
        if (core::is_unique_violation(e)) {
            return core::conflict("deal_exists", "you have a deal on this tier already; remove it first");
        }
        throw;
    }
}

core::Result<void>
Promotions::remove_deal(const std::string& producer_id, const std::string& deal_id)
{
    return db_.write([&](core::Tx& tx) -> core::Result<void> {
        const auto changed = tx.query("UPDATE commerce_deals SET active = 0 WHERE id = ? AND producer_id = ? AND active = 1")
                                 .bind(deal_id, producer_id)
                                 .exec();
        if (changed == 0) {
            return core::not_found("deal");
        }
        return {};
    });
}

std::vector<Deal>
Promotions::deals_of(const std::string& producer_id) const
{
    std::vector<Deal> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT id, producer_id, tier, quantity, pay_for, created_ms FROM commerce_deals "
                            "WHERE producer_id = ? AND active = 1 ORDER BY tier");
        q.bind(producer_id);
        while (q.step()) {
            out.push_back({q.text(0), q.text(1), q.text(2), static_cast<int>(q.int64(3)), static_cast<int>(q.int64(4)),
                           q.int64(5)});
        }
    });
    return out;
}

template <class Source>
std::vector<DealRule>
Promotions::deal_rules(Source& src, const std::set<std::string>& producer_ids) const
{
    std::vector<DealRule> out;
    for (const auto& producer : producer_ids) {
        auto q = src.query("SELECT id, tier, quantity, pay_for FROM commerce_deals WHERE producer_id = ? AND active = 1");
        q.bind(producer);
        while (q.step()) {
            out.push_back({q.text(0), producer, q.text(1), static_cast<int>(q.int64(2)), static_cast<int>(q.int64(3))});
        }
    }
    return out;
}
template std::vector<DealRule> Promotions::deal_rules(core::Conn&, const std::set<std::string>&) const;
template std::vector<DealRule> Promotions::deal_rules(core::Tx&, const std::set<std::string>&) const;

core::Result<NewCoupon>
coupon_from_json(const boost::json::object& body, std::int64_t now_ms)
{
    NewCoupon c;
    boost::json::object problems;
    auto text = [&](const char* key) -> std::optional<std::string> {
        const auto* v = body.if_contains(key);
        return v != nullptr && v->is_string() ? std::optional<std::string>(std::string(v->as_string())) : std::nullopt;
    };
    auto whole = [&](const char* key, std::int64_t min, std::int64_t max) -> std::optional<std::int64_t> {
        const auto* v = body.if_contains(key);
        if (v == nullptr || v->is_null()) {
            return std::nullopt;
        }
        if (!v->is_int64() || v->as_int64() < min || v->as_int64() > max) {
            problems[key] = "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max);
            return std::nullopt;
        }
        return v->as_int64();
    };
    c.code = text("code").value_or("");
    const bool code_ok = c.code.size() >= 3 && c.code.size() <= 32 &&
                         std::all_of(c.code.begin(), c.code.end(), [](unsigned char ch) {
                             return std::isalnum(ch) || ch == '-' || ch == '_';
                         });
    if (!code_ok) {
        problems["code"] = "must be 3 to 32 letters, digits, '-' or '_'";
    }
    c.kind = text("kind").value_or("");
    if (c.kind != "percent" && c.kind != "fixed") {
        problems["kind"] = "must be percent or fixed";
    }
    if (c.kind == "percent") {
        c.amount = whole("percent", 1, 100).value_or(0);
        if (c.amount == 0 && !problems.contains("percent")) {
            problems["percent"] = "is required for a percent coupon: 1 to 100";
        }
    } else if (c.kind == "fixed") {
        c.amount = whole("amount_cents", 1, 100'000'000).value_or(0);
        if (c.amount == 0 && !problems.contains("amount_cents")) {
            problems["amount_cents"] = "is required for a fixed coupon: at least 1";
        }
    }
    if (const auto* v = body.if_contains("expires_at"); v != nullptr && !v->is_null()) {
        c.expires_ms = v->is_string() ? core::clock::parse_rfc3339(v->as_string()) : std::nullopt;
        if (!c.expires_ms) {
            problems["expires_at"] = "must be an RFC 3339 time such as 2030-01-31T23:59:59Z, or null";
        } else if (*c.expires_ms <= now_ms) {
            problems["expires_at"] = "must be in the future";
        }
    }
    c.max_uses = whole("max_uses", 1, 1'000'000'000);
    c.max_uses_per_buyer = whole("max_uses_per_buyer", 1, 1'000'000'000);
    c.min_total_cents = whole("min_total_cents", 0, 100'000'000'000).value_or(0);
    for (const char* key : {"beat_ids", "tiers"}) {
        const auto* v = body.if_contains(key);
        if (v == nullptr || v->is_null()) {
            continue;
        }
        if (!v->is_array() || v->as_array().size() > 100) {
            problems[key] = "must be an array (of at most 100)";
            continue;
        }
        for (const auto& item : v->as_array()) {
            if (!item.is_string() || (std::string_view(key) == "tiers" && !is_tier(std::string(item.as_string())))) {
                problems[key] = std::string_view(key) == "tiers" ? "may hold basic, premium, unlimited and exclusive"
                                                                  : "must hold beat ids";
                break;
            }
            (std::string_view(key) == "tiers" ? c.tiers : c.beat_ids).emplace_back(item.as_string());
        }
    }
    if (!problems.empty()) {
        return core::invalid_fields(std::move(problems));
    }
    return c;
}

core::Result<Coupon>
Promotions::add_coupon(const std::string& producer_id, const NewCoupon& terms)
{
    Coupon c{core::new_id(), producer_id, terms, 0, core::clock::now_ms()};
    try {
        return db_.write([&](core::Tx& tx) -> core::Result<Coupon> {
            auto taken = tx.query("SELECT 1 FROM commerce_coupons WHERE code_key = ? AND active = 1");
            taken.bind(lower(terms.code));
            if (taken.step()) {
                return core::conflict("coupon_code_taken", "a live coupon already has this code");
            }
            tx.query("INSERT INTO commerce_coupons (id, producer_id, code, code_key, kind, amount, expires_ms, max_uses, "
                     "max_uses_per_buyer, min_total_cents, beat_ids, tiers, active, created_ms) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)")
                .bind(c.id, producer_id, terms.code, lower(terms.code), terms.kind, terms.amount, terms.expires_ms,
                      terms.max_uses, terms.max_uses_per_buyer, terms.min_total_cents, strings_json(terms.beat_ids),
                      strings_json(terms.tiers), c.created_ms)
                .exec();
            return c;
        });
    } catch (const std::exception& e) {
        if (core::is_unique_violation(e)) {
            return core::conflict("coupon_code_taken", "a live coupon already has this code");
        }
        throw;
    }
}

core::Result<void>
Promotions::remove_coupon(const std::string& producer_id, const std::string& coupon_id)
{
    return db_.write([&](core::Tx& tx) -> core::Result<void> {
        const auto changed = tx.query("UPDATE commerce_coupons SET active = 0 WHERE id = ? AND producer_id = ? AND active = 1")
                                 .bind(coupon_id, producer_id)
                                 .exec();
        if (changed == 0) {
            return core::not_found("coupon");
        }
        return {};
    });
}

std::vector<Coupon>
Promotions::coupons_of(const std::string& producer_id) const
{
    std::vector<Coupon> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(std::string(kCouponColumns) + "WHERE producer_id = ? AND active = 1 ORDER BY id DESC");
        q.bind(producer_id);
        while (q.step()) {
            out.push_back(read_coupon(q));
        }
    });
    return out;
}

template <class Source>
core::Result<CouponRule>
Promotions::usable(Source& src, const std::string& code, const std::string& buyer_id, std::int64_t now_ms) const
{
    auto q = src.query(std::string(kCouponColumns) + "WHERE code_key = ? AND active = 1");
    q.bind(lower(code));
    if (!q.step()) {
        return core::not_found("coupon");
    }
    const Coupon c = read_coupon(q);
    if (c.terms.expires_ms && *c.terms.expires_ms <= now_ms) {
        return core::Error{core::Code::kInvalidInput, "coupon_expired", "this coupon has expired", {}};
    }
    if (c.terms.max_uses && c.uses >= *c.terms.max_uses) {
        return core::Error{core::Code::kInvalidInput, "coupon_used_up", "this coupon has been used as often as it may", {}};
    }
    if (c.terms.max_uses_per_buyer) {
        auto mine = src.query("SELECT CAST(COUNT(*) AS INTEGER) FROM commerce_coupon_redemptions WHERE coupon_id = ? AND buyer_id = ? "
                              "AND status != 'released'");
        mine.bind(c.id, buyer_id);
        mine.step();
        if (mine.int64(0) >= *c.terms.max_uses_per_buyer) {
            return core::Error{core::Code::kInvalidInput, "coupon_used_up",
                               "you have used this coupon as often as it may be used", {}};
        }
    }
    return CouponRule{c.id, c.terms.code, c.producer_id, c.terms.kind == "percent", c.terms.amount,
                      c.terms.min_total_cents, c.terms.beat_ids, c.terms.tiers};
}
template core::Result<CouponRule> Promotions::usable(core::Conn&, const std::string&, const std::string&,
                                                     std::int64_t) const;
template core::Result<CouponRule> Promotions::usable(core::Tx&, const std::string&, const std::string&,
                                                     std::int64_t) const;

core::Result<CouponRule>
Promotions::usable_now(const std::string& code, const std::string& buyer_id) const
{
    return db_.read([&](core::Conn& conn) { return usable(conn, code, buyer_id, core::clock::now_ms()); });
}

void
Promotions::hold(core::Tx& tx, const CouponRule& coupon, const std::string& buyer_id, const std::string& purchase_id,
                 std::int64_t discount_cents)
{
    tx.query("INSERT INTO commerce_coupon_redemptions (id, coupon_id, buyer_id, purchase_id, status, discount_cents, "
             "created_ms) VALUES (?, ?, ?, ?, 'held', ?, ?)")
        .bind(core::new_id(), coupon.coupon_id, buyer_id, purchase_id, discount_cents, core::clock::now_ms())
        .exec();
}

void
Promotions::settle(core::Tx& tx, const std::string& purchase_id, bool paid)
{
    tx.query("UPDATE commerce_coupon_redemptions SET status = ? WHERE purchase_id = ? AND status = 'held'")
        .bind(paid ? "used" : "released", purchase_id)
        .exec();
}

boost::json::object
deal_json(const Deal& d)
{
    return {{"deal_id", d.id},
            {"producer_id", d.producer_id},
            {"tier", d.tier.empty() ? boost::json::value(nullptr) : boost::json::value(d.tier)},
            {"quantity", d.quantity},
            {"pay_for", d.pay_for},
            {"label", std::to_string(d.quantity) + " for the price of " + std::to_string(d.pay_for)},
            {"created_at", core::clock::rfc3339(d.created_ms)}};
}

boost::json::object
coupon_json(const Coupon& c)
{
    boost::json::array beats;
    for (const auto& b : c.terms.beat_ids) {
        beats.push_back(boost::json::value(b));
    }
    boost::json::array tiers;
    for (const auto& t : c.terms.tiers) {
        tiers.push_back(boost::json::value(t));
    }
    boost::json::object out{{"coupon_id", c.id},
                            {"code", c.terms.code},
                            {"kind", c.terms.kind},
                            {"expires_at", c.terms.expires_ms ? boost::json::value(core::clock::rfc3339(*c.terms.expires_ms))
                                                              : boost::json::value(nullptr)},
                            {"max_uses", opt(c.terms.max_uses)},
                            {"max_uses_per_buyer", opt(c.terms.max_uses_per_buyer)},
                            {"min_total_cents", c.terms.min_total_cents},
                            {"beat_ids", std::move(beats)},
                            {"tiers", std::move(tiers)},
                            {"uses", c.uses},
                            {"created_at", core::clock::rfc3339(c.created_ms)}};
    if (c.terms.kind == "percent") {
        out["percent"] = c.terms.amount;
    } else {
        out["amount_cents"] = c.terms.amount;
    }
    return out;
}

}  // namespace bb::commerce
