#pragma once
// Producers' promotions: bulk deals ("N for the price of M" per tier) and coupon codes (percent or
// fixed, expiry, limits overall and per buyer, a minimum, which beats and tiers). Coupon uses are
// counted from redemptions written in the purchase's own transaction, so on the single writer a
// limit holds however many buyers race for the last use.
#include "core/db.hpp"
#include "core/error.hpp"
#include "modules/commerce/pricing.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bb::commerce {

struct Deal {
    std::string id;
    std::string producer_id;
    std::string tier;  // "" = every tier
    int quantity = 3;
    int pay_for = 2;
    std::int64_t created_ms = 0;
};

struct NewCoupon {
    std::string code;
    std::string kind;  // percent | fixed
    std::int64_t amount = 0;
    std::optional<std::int64_t> expires_ms;
    std::optional<std::int64_t> max_uses;
    std::optional<std::int64_t> max_uses_per_buyer;
    std::int64_t min_total_cents = 0;
    std::vector<std::string> beat_ids;
    std::vector<std::string> tiers;
};

struct Coupon {
    std::string id;
    std::string producer_id;
    NewCoupon terms;
    std::int64_t uses = 0;  // held or used
    std::int64_t created_ms = 0;
};

class Promotions {
public:
    explicit Promotions(core::Db& db) : db_(db) {}

    core::Result<Deal> add_deal(const std::string& producer_id, const std::string& tier, int quantity, int pay_for);
    core::Result<void> remove_deal(const std::string& producer_id, const std::string& deal_id);
    std::vector<Deal> deals_of(const std::string& producer_id) const;

    core::Result<Coupon> add_coupon(const std::string& producer_id, const NewCoupon& coupon);
    core::Result<void> remove_coupon(const std::string& producer_id, const std::string& coupon_id);
    std::vector<Coupon> coupons_of(const std::string& producer_id) const;

    // The live deals of these producers, as pricing takes them.
    template <class Source>
    std::vector<DealRule> deal_rules(Source& src, const std::set<std::string>& producer_ids) const;
    // The coupon `code` as `buyer_id` may use it at `now_ms`, or why not: 404 unknown, 422 expired
    // or used up (overall or by this buyer).
    template <class Source>
    core::Result<CouponRule> usable(Source& src, const std::string& code, const std::string& buyer_id,
                                    std::int64_t now_ms) const;

    core::Result<CouponRule> usable_now(const std::string& code, const std::string& buyer_id) const;

    // In a purchase's transaction: the coupon is taken (held until paid), used once paid, or given
    // back when the payment fails.
    void hold(core::Tx& tx, const CouponRule& coupon, const std::string& buyer_id, const std::string& purchase_id,
              std::int64_t discount_cents);
    void settle(core::Tx& tx, const std::string& purchase_id, bool paid);

private:
    core::Db& db_;
};

boost::json::object deal_json(const Deal& d);
boost::json::object coupon_json(const Coupon& c);
// Reads a coupon from a request body; a 422 names each bad field.
core::Result<NewCoupon> coupon_from_json(const boost::json::object& body, std::int64_t now_ms);

}  // namespace bb::commerce
