#include "core/money.hpp"
#include "modules/commerce/pricing.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <numeric>

using namespace bb::commerce;

namespace {

PriceLine
line(const char* beat, std::int64_t cents, const char* tier = "basic", const char* producer = "p1")
{
    return {beat, producer, tier, cents, false};
}

std::int64_t
sum_prices(const Priced& p)
{
    std::int64_t s = 0;
    for (const auto& l : p.lines) {
        s += l.price_cents;
        CHECK(l.price_cents >= 0);
    }
    return s;
}

}  // namespace

TEST_SUITE("modules/commerce/pricing") {

TEST_CASE("no deals, no coupon: the sum of the prices") {
    auto p = price_cart({line("a", 2999), line("b", 1000)}, {}, std::nullopt);
    CHECK(p.subtotal_cents == 3999);
    CHECK(p.total_cents == 3999);
    CHECK(p.deal_discount_cents == 0);
}

TEST_CASE("buy 2 get 1 free: in each full group of three, the cheapest is free") {
    const std::vector<DealRule> deal{{"d1", "p1", "basic", 3, 2}};
    auto two = price_cart({line("a", 3000), line("b", 2000)}, deal, std::nullopt);
    CHECK(two.total_cents == 5000);  // no full group
    auto three = price_cart({line("a", 3000), line("b", 1000), line("c", 2000)}, deal, std::nullopt);
    CHECK(three.total_cents == 5000);
    CHECK(three.lines[1].price_cents == 0);
    CHECK(three.lines[1].deal_discount_cents == 1000);
    CHECK(three.lines[0].deal_id == std::optional<std::string>("d1"));
    auto seven = price_cart({line("a", 700), line("b", 600), line("c", 500), line("d", 400), line("e", 300),
                             line("f", 200), line("g", 100)},
                            deal, std::nullopt);
    CHECK(seven.deal_discount_cents == 500 + 200);  // groups {700,600,500} and {400,300,200}; 100 pays
    CHECK(seven.total_cents == 2800 - 700);
}

TEST_CASE("deals are per producer and per tier; a tier's own deal wins over an every-tier one; offers take none") {
    const std::vector<DealRule> deals{{"any", "p1", "", 2, 1}, {"prem", "p1", "premium", 3, 2}};
    auto p = price_cart({line("a", 1000, "basic"), line("b", 900, "basic"), line("c", 5000, "premium"),
                         line("d", 4000, "premium"), line("x", 800, "basic", "p2"), line("y", 700, "basic", "p2")},
                        deals, std::nullopt);
    CHECK(p.lines[1].price_cents == 0);   // basic pair under "any": 900 free
    CHECK(p.lines[2].price_cents == 5000);  // premium: only two, the premium deal needs three
    CHECK(p.lines[3].price_cents == 4000);
    CHECK(p.lines[4].price_cents == 800);   // another producer's items take no deal of p1's
    CHECK(p.total_cents == 1000 + 5000 + 4000 + 800 + 700);
    PriceLine offer = line("o", 500);
    offer.negotiated = true;
    auto q = price_cart({line("a", 1000), offer}, {{"any", "p1", "", 2, 1}}, std::nullopt);
    CHECK(q.total_cents == 1500);
}

TEST_CASE("percent coupons round half up and spread exactly; fixed ones never go below zero") {
    CHECK(percent_of(1999, 15) == 300);   // 299.85
    CHECK(percent_of(1000, 15) == 150);
    CHECK(percent_of(333, 50) == 167);    // 166.5 rounds up
    CHECK(percent_of(1, 49) == 0);        // 0.49 rounds down
    CHECK(percent_of(std::numeric_limits<std::int64_t>::max() / 100, 100) == std::numeric_limits<std::int64_t>::max() / 100);

    CouponRule ten{"c", "TEN", "p1", true, 10, 0, {}, {}};
    auto p = price_cart({line("a", 999), line("b", 999), line("c", 999)}, {}, ten);
    CHECK(p.coupon_discount_cents == 300);  // 299.7 -> 300
    CHECK(sum_prices(p) == 2997 - 300);
    CHECK(p.total_cents == 2697);
    for (const auto& l : p.lines) {
        CHECK((l.coupon_discount_cents == 100));
    }

    CouponRule huge{"c", "HUGE", "p1", false, 1'000'000, 0, {}, {}};
    auto free = price_cart({line("a", 999), line("b", 1)}, {}, huge);
    CHECK(free.total_cents == 0);
    CHECK(free.coupon_discount_cents == 1000);
    CHECK(sum_prices(free) == 0);
}

TEST_CASE("a coupon applies after deals, only to its producer's chosen beats and tiers, above its minimum") {
    CouponRule half{"c", "HALF", "p1", true, 50, 0, {"b"}, {}};
    auto p = price_cart({line("a", 1000), line("b", 1000), line("x", 1000, "basic", "p2")}, {}, half);
    CHECK(p.lines[0].price_cents == 1000);
    CHECK(p.lines[1].price_cents == 500);
    CHECK(p.lines[2].price_cents == 1000);

    CouponRule premium_only{"c", "P", "p1", true, 50, 0, {}, {"premium"}};
    CHECK(price_cart({line("a", 1000)}, {}, premium_only).coupon_problem != "");

    CouponRule minimum{"c", "MIN", "p1", false, 500, 3500, {}, {}};
    auto under = price_cart({line("a", 2000), line("b", 1000), line("c", 900)}, {{"d", "p1", "", 3, 2}}, minimum);
    CHECK(under.coupon_problem != "");  // 3900 before the deal, but 3000 after it: under the minimum
    CHECK(under.total_cents == 3000);
    auto over = price_cart({line("a", 2000), line("b", 1000), line("c", 900)}, {}, minimum);
    CHECK(over.coupon_problem == "");
    CHECK(over.total_cents == 3400);
}

TEST_CASE("spread: exact, proportional, never above a weight") {
    using bb::core::money::spread;
    auto parts = spread(100, {1, 1, 1});
    CHECK(parts == std::vector<std::int64_t>{34, 33, 33});
    CHECK(spread(0, {5, 5}) == std::vector<std::int64_t>{0, 0});
    CHECK(spread(10, {0, 0}) == std::vector<std::int64_t>{0, 0});
    for (std::int64_t amount = 0; amount <= 60; ++amount) {
        const std::vector<std::int64_t> weights{7, 0, 13, 40};
        auto p = spread(amount, weights);
        CHECK(std::accumulate(p.begin(), p.end(), std::int64_t{0}) == amount);
        for (std::size_t i = 0; i < p.size(); ++i) {
            CHECK(p[i] <= weights[i]);
            CHECK(p[i] >= 0);
        }
    }
}

}
