#include "core/rate_limiter.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using bb::core::RateLimiter;

TEST_SUITE("core/rate_limiter") {

TEST_CASE("allows the limit, then refuses with the seconds to wait") {
    RateLimiter limiter(5, std::chrono::seconds(60));
    CHECK(limiter.enabled());
    for (int i = 0; i < 5; ++i) {
        CAPTURE(i);
        CHECK(limiter.take("10.0.0.1") == 0);
    }
    const int retry = limiter.take("10.0.0.1");
    CHECK(retry >= 1);
    CHECK(retry <= 12);  // one token refills in 60 s / 5 = 12 s
    CHECK(retry >= 11);
    // Still refused on the next try.
    CHECK(limiter.take("10.0.0.1") >= 1);
}

TEST_CASE("a wait shorter than a second is reported as one second") {
    // 10 per second: a token comes back every 100 ms, so the honest answer rounds up to 1.
    RateLimiter limiter(10, std::chrono::seconds(1));
    for (int i = 0; i < 10; ++i) {
        REQUIRE(limiter.take("k") == 0);
    }
    CHECK(limiter.take("k") == 1);
}

TEST_CASE("give_back restores a token") {
    RateLimiter limiter(2, std::chrono::seconds(3600));
    CHECK(limiter.take("u") == 0);
    CHECK(limiter.take("u") == 0);
    CHECK(limiter.take("u") > 0);
    limiter.give_back("u");
    CHECK(limiter.take("u") == 0);
    CHECK(limiter.take("u") > 0);
    // Giving back never raises a bucket above the limit.
    RateLimiter full(2, std::chrono::seconds(3600));
    full.give_back("v");
    full.give_back("v");
    CHECK(full.take("v") == 0);
    full.give_back("v");
    full.give_back("v");
    full.give_back("v");
    CHECK(full.take("v") == 0);
    CHECK(full.take("v") == 0);
    CHECK(full.take("v") > 0);
}

TEST_CASE("limit 0 never refuses") {
    RateLimiter off(0, std::chrono::seconds(60));
    CHECK_FALSE(off.enabled());
    for (int i = 0; i < 10000; ++i) {
        REQUIRE(off.take("k") == 0);
    }
    off.give_back("k");
    CHECK(off.take("k") == 0);
}

TEST_CASE("keys are independent") {
    RateLimiter limiter(1, std::chrono::seconds(60));
    CHECK(limiter.take("a") == 0);
    CHECK(limiter.take("a") > 0);
    CHECK(limiter.take("b") == 0);
    CHECK(limiter.take("b") > 0);
    CHECK(limiter.take("") == 0);
    limiter.give_back("a");
    CHECK(limiter.take("b") > 0);
    CHECK(limiter.take("a") == 0);
}

}  // TEST_SUITE
