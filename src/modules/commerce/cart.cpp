#include "modules/commerce/cart.hpp"

#include "core/clock.hpp"
#include "modules/beats/beats.hpp"

#include <algorithm>
#include <set>

namespace bb::commerce {

template <class Source>
std::vector<CartItem>
Cart::items(Source& src, const std::string& user_id) const
{
    std::vector<CartItem> out;
    auto q = src.query("SELECT beat_id, license, added_ms FROM commerce_cart_items WHERE user_id = ? ORDER BY added_ms, beat_id");
    q.bind(user_id);
    while (q.step()) {
        out.push_back({q.text(0), q.text(1), q.int64(2)});
    }
    return out;
}

template <class Source>
std::optional<std::string>
Cart::coupon_code(Source& src, const std::string& user_id) const
{
    auto q = src.query("SELECT code FROM commerce_cart_coupons WHERE user_id = ?");
    q.bind(user_id);
    return q.step() ? std::optional<std::string>(q.text(0)) : std::nullopt;
}

template <class Source>
CartView
Cart::view(Source& src, const std::string& user_id, const std::vector<CartItem>& items, const CartSources& sources,
           std::int64_t now_ms) const
{
    CartView out;
    std::vector<PriceLine> lines;
    std::set<std::string> producers;
    for (const auto& item : items) {
        CartEntry e{.item = item};
        auto beat = sources.beat(item.beat_id);
        if (!beat || beat->status == "deleted") {
            e.problem = "gone";
        } else {
            e.title = beat->title;
            e.artist = beat->artist;
            e.producer_id = beat->producer_id;
            e.currency = beat->currency;
            auto license = std::find_if(beat->licenses.begin(), beat->licenses.end(),
                                        [&](const auto& l) { return l.type == item.license; });
            if (license != beat->licenses.end()) {
                e.list_price_cents = license->price_cents;
            }
            if (beat->producer_id == user_id) {
                e.problem = "own_beat";
            } else if (beat->status == "sold") {
                e.problem = "sold";
            } else if (beat->status != "ready") {
                e.problem = "not_ready";
            } else if (license == beat->licenses.end()) {
                e.problem = "license_not_offered";
            }
        }
        if (e.problem.empty()) {
            PriceLine line{e.item.beat_id, e.producer_id, e.item.license, e.list_price_cents, false};
            if (auto offer = sources.offer(e.item.beat_id, e.item.license)) {
                e.offer_id = offer->first;
                line.base_cents = offer->second;
                line.negotiated = true;
            }
            lines.push_back(line);
            producers.insert(e.producer_id);
        }
        out.entries.push_back(std::move(e));
    }
    out.coupon_code = coupon_code(src, user_id);
    if (out.coupon_code) {
        auto rule = promotions_.usable(src, *out.coupon_code, user_id, now_ms);
        if (rule) {
            out.coupon = *rule;
        } else {
            out.coupon_problem = rule.error().message;
        }
    }
    out.priced = price_cart(lines, promotions_.deal_rules(src, producers), out.coupon);
    if (out.coupon_problem.empty()) {
        out.coupon_problem = out.priced.coupon_problem;
    }
    return out;
}

template std::vector<CartItem> Cart::items(core::Conn&, const std::string&) const;
template std::vector<CartItem> Cart::items(core::Tx&, const std::string&) const;
template CartView Cart::view(core::Conn&, const std::string&, const std::vector<CartItem>&, const CartSources&,
                             std::int64_t) const;
template CartView Cart::view(core::Tx&, const std::string&, const std::vector<CartItem>&, const CartSources&,
                             std::int64_t) const;

std::map<std::string, std::optional<beats::BeatInfo>>
beats_of(beats::BeatsModule& beats, const std::vector<CartItem>& items)
{
    std::map<std::string, std::optional<beats::BeatInfo>> out;
    for (const auto& item : items) {
        out.emplace(item.beat_id, beats.find(item.beat_id));
    }
    return out;
}

core::Result<void>
Cart::add(const std::string& user_id, const std::string& beat_id, const std::string& license)
{
    return db_.write([&](core::Tx& tx) -> core::Result<void> {
        auto count = tx.query("SELECT CAST(COUNT(*) AS INTEGER) FROM commerce_cart_items WHERE user_id = ? AND beat_id != ?");
        count.bind(user_id, beat_id);
        count.step();
        if (static_cast<std::size_t>(count.int64(0)) >= kMaxCartItems) {
            return core::invalid_field("beat_id", "a cart holds at most 50 beats");
        }
        // One license per beat: adding the beat again changes its license.
        tx.query("INSERT INTO commerce_cart_items (user_id, beat_id, license, added_ms) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (user_id, beat_id) DO UPDATE SET license = excluded.license")
            .bind(user_id, beat_id, license, core::clock::now_ms())
            .exec();
        return {};
    });
}

core::Result<void>
Cart::remove(const std::string& user_id, const std::string& beat_id)
{
    return db_.write([&](core::Tx& tx) -> core::Result<void> {
        if (tx.query("DELETE FROM commerce_cart_items WHERE user_id = ? AND beat_id = ?").bind(user_id, beat_id).exec() == 0) {
            return core::not_found("cart item");
        }
        return {};
    });
}

void
Cart::set_coupon(const std::string& user_id, const std::optional<std::string>& code)
{
    db_.write([&](core::Tx& tx) {
        if (!code) {
            tx.query("DELETE FROM commerce_cart_coupons WHERE user_id = ?").bind(user_id).exec();
            return;
        }
        tx.query("INSERT INTO commerce_cart_coupons (user_id, code, added_ms) VALUES (?, ?, ?) "
                 "ON CONFLICT (user_id) DO UPDATE SET code = excluded.code, added_ms = excluded.added_ms")
            .bind(user_id, *code, core::clock::now_ms())
            .exec();
    });
}

boost::json::object
cart_json(const CartView& view)
{
    boost::json::array items;
    std::size_t priced_index = 0;
    for (const auto& e : view.entries) {
        boost::json::object item{{"beat_id", e.item.beat_id},
                                 {"license", e.item.license},
                                 {"title", e.title},
                                 {"artist", e.artist},
                                 {"producer_id", e.producer_id},
                                 {"list_price_cents", e.list_price_cents},
                                 {"offer_id", e.offer_id ? boost::json::value(*e.offer_id) : boost::json::value(nullptr)},
                                 {"available", e.problem.empty()},
                                 {"problem", e.problem.empty() ? boost::json::value(nullptr) : boost::json::value(e.problem)}};
        if (e.problem.empty()) {
            const auto& p = view.priced.lines.at(priced_index++);
            item["price_cents"] = p.price_cents;
            item["deal_discount_cents"] = p.deal_discount_cents;
            item["coupon_discount_cents"] = p.coupon_discount_cents;
            item["deal_id"] = p.deal_id ? boost::json::value(*p.deal_id) : boost::json::value(nullptr);
        } else {
            item["price_cents"] = 0;
        }
        items.push_back(std::move(item));
    }
    boost::json::value coupon = nullptr;
    if (view.coupon_code) {
        coupon = boost::json::object{{"code", *view.coupon_code},
                                     {"applied", view.coupon_problem.empty()},
                                     {"discount_cents", view.priced.coupon_discount_cents},
                                     {"problem", view.coupon_problem.empty() ? boost::json::value(nullptr)
                                                                             : boost::json::value(view.coupon_problem)}};
    }
    const auto& p = view.priced;
    return {{"items", std::move(items)},
            {"coupon", coupon},
            {"subtotal_cents", p.subtotal_cents},
            {"deal_discount_cents", p.deal_discount_cents},
            {"coupon_discount_cents", p.coupon_discount_cents},
            {"discount_cents", p.deal_discount_cents + p.coupon_discount_cents},
            {"total_cents", p.total_cents},
            {"total", static_cast<double>(p.total_cents) / 100.0},
            {"currency", "USD"},
            {"count", static_cast<std::int64_t>(p.lines.size())}};
}

}  // namespace bb::commerce
