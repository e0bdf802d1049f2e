#include "modules/commerce/checkout.hpp"

#include "core/clock.hpp"
#include "modules/beats/beats.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace bb::commerce {
namespace {

std::string
text(const boost::json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

core::Error
cart_changed(const CartView& view)
{
    boost::json::array items;
    for (const auto& e : view.entries) {
        if (!e.problem.empty()) {
            items.push_back({{"beat_id", e.item.beat_id}, {"problem", e.problem}});
        }
    }
    core::Error err = core::conflict("cart_has_unavailable_items",
                                     "some beats in the cart can no longer be bought; remove them and check out again");
    err.details["items"] = std::move(items);
    return err;
}

}  // namespace

Checkouts::Checkouts(core::Db& db, purchases::PurchasesModule& purchases, beats::BeatsModule& beats, Cart& cart,
                     Promotions& promotions, Offers& offers)
    : db_(db), purchases_(purchases), beats_(beats), cart_(cart), promotions_(promotions), offers_(offers)
{
}

CartView
Checkouts::view(core::Tx& tx, const std::string& user_id) const
{
    const auto now = core::clock::now_ms();
    CartSources sources{.beat = [&](const std::string& beat_id) { return beats_.find(tx, beat_id); },
                        .offer = [&](const std::string& beat_id, const std::string& license) {
                            return offers_.accepted(tx, user_id, beat_id, license, now);
                        }};
    return cart_.view(tx, user_id, cart_.items(tx, user_id), sources, now);
}

core::Result<purchases::CheckoutAnswer>
Checkouts::checkout(const http::Principal& who, const std::string& provider, const std::string& token,
                    const std::optional<std::string>& idempotency_key, const std::string& body_hash)
{
    // What the cart holds now; the pricing below checks it again inside the purchase.
    purchases::Checkout order{.provider = provider, .token = token, .idempotency_key = idempotency_key,
                              .body_hash = body_hash};
    const auto items = db_.read([&](core::Conn& conn) { return cart_.items(conn, who.user_id); });
    const auto found = beats_of(beats_, items);  // before the read below, not inside it
    CartView now;
    db_.read([&](core::Conn& conn) {
        const auto at = core::clock::now_ms();
        CartSources sources{.beat = [&](const std::string& beat_id) { return found.at(beat_id); },
                            .offer = [&](const std::string& beat_id, const std::string& license) {
                                return offers_.accepted(conn, who.user_id, beat_id, license, at);
                            }};
        now = cart_.view(conn, who.user_id, items, sources, at);
    });
    const auto cart_empty = core::Error{core::Code::kConflict, "cart_empty", "the cart is empty", {}};
    if (now.entries.empty() && !idempotency_key) {
        return cart_empty;
    }
    if (std::any_of(now.entries.begin(), now.entries.end(), [](const CartEntry& e) { return !e.problem.empty(); })) {
        return cart_changed(now);
    }
    for (const auto& e : now.entries) {
        order.items.emplace_back(e.item.beat_id, e.item.license);
    }
    order.pricing = [this, who, provider](core::Tx& tx, const std::string& purchase_id,
                                          std::vector<purchases::PricedLine>& lines) -> core::Result<void> {
        const CartView cart = view(tx, who.user_id);
        if (std::any_of(cart.entries.begin(), cart.entries.end(), [](const CartEntry& e) { return !e.problem.empty(); })) {
            return cart_changed(cart);
        }
        if (cart.priced.lines.size() != lines.size()) {
            return core::conflict("cart_changed", "the cart changed while it was being paid for; check out again");
        }
        if (cart.coupon_code && !cart.coupon_problem.empty()) {
            core::Error e = core::invalid_field("coupon", cart.coupon_problem);
            e.slug = "coupon_not_usable";
            e.message = "the coupon " + *cart.coupon_code + " cannot be used: " + cart.coupon_problem;
            return e;
        }
        if (provider == "stripe" && cart.priced.total_cents > 0 && cart.priced.total_cents < kStripeMinimumCents) {
            return core::invalid_field("payment.provider", "Stripe takes no payment under $0.50");
        }
        boost::json::array offer_ids;
        for (auto& line : lines) {
            const auto priced = std::find_if(cart.priced.lines.begin(), cart.priced.lines.end(), [&](const PricedLine& p) {
                return p.line.beat_id == line.beat_id && p.line.tier == line.license;
            });
            if (priced == cart.priced.lines.end()) {
                return core::conflict("cart_changed", "the cart changed while it was being paid for; check out again");
            }
            line.price_cents = priced->price_cents;
        }
        for (const auto& e : cart.entries) {
            if (e.offer_id) {
                offer_ids.push_back(boost::json::value(*e.offer_id));
            }
        }
        if (cart.coupon) {
            promotions_.hold(tx, *cart.coupon, who.user_id, purchase_id, cart.priced.coupon_discount_cents);
        }
        tx.query("INSERT INTO commerce_checkouts (purchase_id, buyer_id, offer_ids, created_ms) VALUES (?, ?, ?, ?)")
            .bind(purchase_id, who.user_id, boost::json::serialize(offer_ids), core::clock::now_ms())
            .exec();
        return {};
    };
    // An empty cart with a key may be the retry of a checkout that emptied it: the purchase replays it.
    const bool empty = order.items.empty();
    auto answer = purchases_.checkout(who, std::move(order));
    if (!answer && empty && answer.error().code == core::Code::kInvalidInput) {
        return cart_empty;
    }
    return answer;
}

core::Result<void>
Checkouts::on_completed(const core::Event& e, core::Tx& tx)
{
    const auto purchase_id = text(e.payload, "purchase_id");
    const auto buyer_id = text(e.payload, "buyer_id");
    std::vector<std::string> bought;
    if (const auto* items = e.payload.if_contains("items"); items != nullptr && items->is_array()) {
        for (const auto& v : items->as_array()) {
            if (v.is_object()) {
                bought.push_back(text(v.as_object(), "beat_id"));
            }
        }
    }
    promotions_.settle(tx, purchase_id, true);
    auto q = tx.query("SELECT offer_ids FROM commerce_checkouts WHERE purchase_id = ?");
    q.bind(purchase_id);
    const bool from_cart = q.step();
    std::vector<std::string> offer_ids;
    if (from_cart) {
        const auto parsed = boost::json::parse(q.text(0));
        for (const auto& id : parsed.as_array()) {
            offer_ids.emplace_back(id.as_string());
        }
    }
    for (const auto& id : offer_ids) {
        offers_.purchased(tx, id, purchase_id);
    }
    // What was bought leaves the cart, however it was bought; the coupon goes with a cart checkout.
    for (const auto& beat_id : bought) {
        tx.query("DELETE FROM commerce_cart_items WHERE user_id = ? AND beat_id = ?").bind(buyer_id, beat_id).exec();
    }
    if (from_cart) {
        tx.query("DELETE FROM commerce_cart_coupons WHERE user_id = ?").bind(buyer_id).exec();
    }
    return {};
}

core::Result<void>
Checkouts::on_declined(const core::Event& e, core::Tx& tx)
{
    promotions_.settle(tx, text(e.payload, "purchase_id"), false);
    return {};
}

}  // namespace bb::commerce
