#include "core/money.hpp"
#include "modules/payouts/ledger.hpp"
#include "modules/payouts/splits.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <numeric>

using namespace bb::payouts;

TEST_SUITE("modules/payouts/ledger") {

TEST_CASE("a sale line: the fee rounds half up, the rest is shared to the cent by largest remainder") {
    auto d = divide(1999, 1000, {{"p", 5000}, {"a", 3333}, {"b", 1667}});
    CHECK(d.fee_cents == 200);  // 199.9
    CHECK(d.parts == std::vector<std::int64_t>{899, 600, 300});
    CHECK(std::accumulate(d.parts.begin(), d.parts.end(), d.fee_cents) == 1999);

    auto solo = divide(1000, 0, {{"p", 10000}});
    CHECK(solo.fee_cents == 0);
    CHECK(solo.parts == std::vector<std::int64_t>{1000});
    auto free = divide(0, 1000, {{"p", 10000}});
    CHECK(free.parts == std::vector<std::int64_t>{0});
    auto half_cent = divide(5, 1000, {{"p", 10000}});  // 0.5 cent of fee rounds up to 1
    CHECK(half_cent.fee_cents == 1);
    CHECK(half_cent.parts == std::vector<std::int64_t>{4});
    for (std::int64_t amount = 0; amount < 300; ++amount) {
        auto x = divide(amount, 1250, {{"a", 3334}, {"b", 3333}, {"c", 3333}});
        CHECK(std::accumulate(x.parts.begin(), x.parts.end(), x.fee_cents) == amount);
    }
}

TEST_CASE("share_of rounds half up without overflow") {
    using bb::core::money::share_of;
    CHECK(share_of(1999, 1000) == 200);
    CHECK(share_of(1994, 1000) == 199);
    CHECK(share_of(1995, 1000) == 200);
    CHECK(share_of(9'000'000'000'000'000'000, 10000) == 9'000'000'000'000'000'000);
}

TEST_CASE("percentages read as basis points with at most two decimals") {
    CHECK(percent_to_bp(boost::json::parse("50")) == 5000);
    CHECK(percent_to_bp(boost::json::parse("33.33")) == 3333);
    CHECK(percent_to_bp(boost::json::parse("16.67")) == 1667);
    CHECK(percent_to_bp(boost::json::parse("0.01")) == 1);
    CHECK_FALSE(percent_to_bp(boost::json::parse("33.333")).has_value());
    CHECK_FALSE(percent_to_bp(boost::json::parse("\"50\"")).has_value());
}

}
