#pragma once
// What a cart costs: list (or negotiated) prices, then the producers' bulk deals, then one coupon.
// Everything is whole cents (int64); nothing is ever negative.
//
// Deals: "N for the price of M" on a producer's items of one tier (or of every tier); "buy 2 get 1
// free" and "3 for the price of 2" are both N=3, M=2. A producer's eligible items are sorted from
// dearest to cheapest and taken in groups of N; in each full group the N-M cheapest are free. An
// item bought at a negotiated (offer) price takes no deal and no coupon.
//
// Coupons: percent or fixed, on the coupon producer's items (optionally only some beats or tiers),
// after deals. A percent discount is eligible subtotal x percent / 100, rounded half up to the cent;
// a fixed one takes at most the eligible subtotal. The discount is spread over the eligible items in
// proportion to their amounts (largest remainder first, then cart order), so every item keeps a
// whole, non-negative price and the items add up to the total exactly.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bb::commerce {

struct PriceLine {
    std::string beat_id;
    std::string producer_id;
    std::string tier;
    std::int64_t base_cents = 0;  // the license's price, or the accepted offer's
    bool negotiated = false;      // an accepted offer's price: no deal or coupon applies
};

struct DealRule {
    std::string deal_id;
    std::string producer_id;
    std::string tier;  // "" = every tier
    int quantity = 3;  // N
    int pay_for = 2;   // M, 1 <= M < N
};

struct CouponRule {
    std::string coupon_id;
    std::string code;
    std::string producer_id;
    bool percent = true;
    std::int64_t amount = 0;           // percent 1..100, or cents
    std::int64_t min_total_cents = 0;  // of the eligible items after deals
    std::vector<std::string> beat_ids;  // empty: every beat of the producer
    std::vector<std::string> tiers;     // empty: every tier
};

struct PricedLine {
    PriceLine line;
    std::optional<std::string> deal_id;
    std::int64_t deal_discount_cents = 0;
    std::int64_t coupon_discount_cents = 0;
    std::int64_t price_cents = 0;  // what is charged for it
};

struct Priced {
    std::vector<PricedLine> lines;
    std::int64_t subtotal_cents = 0;  // sum of base prices
    std::int64_t deal_discount_cents = 0;
    std::int64_t coupon_discount_cents = 0;
    std::int64_t total_cents = 0;
    // Why the coupon did not apply ("" when it did or none was given).
    std::string coupon_problem;
};

// The deal for a line: the producer's deal on its tier wins over one on every tier.
Priced price_cart(const std::vector<PriceLine>& lines, const std::vector<DealRule>& deals,
                  const std::optional<CouponRule>& coupon);

// Half-up rounding of value * percent / 100 in whole cents (core::money::share_of).
std::int64_t percent_of(std::int64_t value, std::int64_t percent);

}  // namespace bb::commerce
