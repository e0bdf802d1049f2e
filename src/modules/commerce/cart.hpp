#pragma once
// The buyer's cart, kept on the server: beats with a license each, and at most one coupon code.
// Its view prices what can still be bought (a beat sold or deleted meanwhile stays listed with the
// problem, and is left out of the total) with accepted offers, deals and the coupon applied.
#include "core/db.hpp"
#include "core/error.hpp"
#include "modules/commerce/pricing.hpp"
#include "modules/commerce/promotions.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bb::beats {
struct BeatInfo;
class BeatsModule;
}

namespace bb::commerce {

inline constexpr std::size_t kMaxCartItems = 50;

struct CartItem {
    std::string beat_id;
    std::string license;
    std::int64_t added_ms = 0;
};

struct CartEntry {
    CartItem item;
    std::string title;
    std::string artist;
    std::string producer_id;
    std::string currency = "USD";
    std::int64_t list_price_cents = 0;
    std::optional<std::string> offer_id;  // an accepted offer sets the price
    std::string problem;                  // "" when it can be bought: sold, gone, not_offered, own_beat, not_ready
};

struct CartView {
    std::vector<CartEntry> entries;
    Priced priced;  // of the entries without a problem, in the same order
    std::optional<std::string> coupon_code;
    std::optional<CouponRule> coupon;
    std::string coupon_problem;
};

// What the cart needs of the catalogue and of offers. `beat` must not open a read of its own while
// the caller holds one (read connections are few: two reads nested by many requests deadlock);
// look the beats up first (beats_of) or through the caller's write transaction.
struct CartSources {
    std::function<std::optional<beats::BeatInfo>(const std::string& beat_id)> beat;
    // The price of a live accepted offer of this buyer's on (beat, license): {offer_id, cents}.
    std::function<std::optional<std::pair<std::string, std::int64_t>>(const std::string& beat_id,
                                                                      const std::string& license)> offer;
};

class Cart {
public:
    Cart(core::Db& db, Promotions& promotions) : db_(db), promotions_(promotions) {}

    template <class Source>
    std::vector<CartItem> items(Source& src, const std::string& user_id) const;
    template <class Source>
    std::optional<std::string> coupon_code(Source& src, const std::string& user_id) const;
    // Prices these items of the user's cart (with the coupon, deals and offers as they are in `src`).
    template <class Source>
    CartView view(Source& src, const std::string& user_id, const std::vector<CartItem>& items,
                  const CartSources& sources, std::int64_t now_ms) const;

    core::Result<void> add(const std::string& user_id, const std::string& beat_id, const std::string& license);
    core::Result<void> remove(const std::string& user_id, const std::string& beat_id);
    void set_coupon(const std::string& user_id, const std::optional<std::string>& code);

private:
    core::Db& db_;
    Promotions& promotions_;
};

boost::json::object cart_json(const CartView& view);

// The cart's beats, each looked up in a read of its own (before the cart is priced).
std::map<std::string, std::optional<beats::BeatInfo>> beats_of(beats::BeatsModule& beats,
                                                               const std::vector<CartItem>& items);

}  // namespace bb::commerce
