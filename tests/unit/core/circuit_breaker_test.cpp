#include "core/circuit_breaker.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using bb::core::CircuitBreaker;
using State = CircuitBreaker::State;
using namespace std::chrono_literals;

namespace {

// A clock the test moves by hand.
struct FakeClock {
    CircuitBreaker::Clock::time_point now{std::chrono::hours(1000)};
    CircuitBreaker::Now
    fn()
    {
        return [this] { return now; };
    }
};

}  // namespace

TEST_SUITE("core/circuit_breaker") {

TEST_CASE("closed: calls go through and a success resets the failure count") {
    FakeClock clock;
    CircuitBreaker breaker(3, 10s, clock.fn());
    CHECK(breaker.state() == State::kClosed);
    CHECK(breaker.retry_after() == 0ms);
    for (int round = 0; round < 5; ++round) {
        CAPTURE(round);
        REQUIRE(breaker.allow());
        breaker.record_failure();
        REQUIRE(breaker.allow());
        breaker.record_failure();
        REQUIRE(breaker.allow());
        breaker.record_success();  // only 2 in a row: stays closed
        CHECK(breaker.state() == State::kClosed);
    }
}

TEST_CASE("N consecutive failures open it; it fails fast for the cool-down") {
    FakeClock clock;
    CircuitBreaker breaker(3, 10s, clock.fn());
    for (int i = 0; i < 3; ++i) {
        REQUIRE(breaker.allow());
        breaker.record_failure();
    }
    CHECK(breaker.state() == State::kOpen);
    CHECK_FALSE(breaker.allow());
    CHECK(breaker.retry_after() == 10s);
    CHECK(breaker.retry_after_s() == 10);

    clock.now += 9500ms;
    CHECK_FALSE(breaker.allow());
    CHECK(breaker.state() == State::kOpen);
    CHECK(breaker.retry_after() == 500ms);
    CHECK(breaker.retry_after_s() == 1);  // rounded up, never 0
}

TEST_CASE("after the cool-down one trial goes through; its success closes the circuit") {
    FakeClock clock;
    CircuitBreaker breaker(2, 10s, clock.fn());
    breaker.record_failure();
    breaker.record_failure();
    clock.now += 10s;
    CHECK(breaker.state() == State::kHalfOpen);
    CHECK(breaker.retry_after() == 0ms);
    REQUIRE(breaker.allow());        // the trial
    CHECK_FALSE(breaker.allow());    // only one at a time
    CHECK_FALSE(breaker.allow());
    CHECK(breaker.state() == State::kHalfOpen);
    breaker.record_success();
    CHECK(breaker.state() == State::kClosed);
    CHECK(breaker.allow());
    CHECK(breaker.allow());
    // Closed again with a clean count: it takes the full threshold to reopen.
    breaker.record_failure();
    CHECK(breaker.state() == State::kClosed);
    breaker.record_failure();
    CHECK(breaker.state() == State::kOpen);
}

TEST_CASE("a failed trial opens it for another full cool-down") {
    FakeClock clock;
    CircuitBreaker breaker(1, 10s, clock.fn());
    breaker.record_failure();
    CHECK(breaker.state() == State::kOpen);
    clock.now += 10s;
    REQUIRE(breaker.allow());
    clock.now += 2s;  // the trial takes a while, then fails
    breaker.record_failure();
    CHECK(breaker.state() == State::kOpen);
    CHECK(breaker.retry_after() == 10s);
    clock.now += 9s;
    CHECK_FALSE(breaker.allow());
    clock.now += 1s;
    CHECK(breaker.allow());
}

TEST_CASE("a trial that never reports back frees the slot after a cool-down") {
    FakeClock clock;
    CircuitBreaker breaker(1, 10s, clock.fn());
    breaker.record_failure();
    clock.now += 10s;
    REQUIRE(breaker.allow());  // the trial's caller never reports
    clock.now += 9s;
    CHECK_FALSE(breaker.allow());
    clock.now += 1s;
    CHECK(breaker.allow());
}

TEST_CASE("late failures of calls started before it opened do not extend the cool-down") {
    FakeClock clock;
    CircuitBreaker breaker(2, 10s, clock.fn());
    REQUIRE(breaker.allow());
    REQUIRE(breaker.allow());
    REQUIRE(breaker.allow());
    breaker.record_failure();
    breaker.record_failure();  // opens
    clock.now += 5s;
    breaker.record_failure();  // the third call, which was already in flight
    CHECK(breaker.retry_after() == 5s);
}

TEST_CASE("a threshold below 1 means 1") {
    FakeClock clock;
    CircuitBreaker breaker(0, 1s, clock.fn());
    CHECK(breaker.allow());
    breaker.record_failure();
    CHECK_FALSE(breaker.allow());
}

TEST_CASE("concurrent callers get exactly one half-open trial") {
    FakeClock clock;
    CircuitBreaker breaker(1, 10s, clock.fn());
    breaker.record_failure();
    clock.now += 10s;
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            for (int j = 0; j < 1000; ++j) {
                if (breaker.allow()) {
                    ++allowed;
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(allowed.load() == 1);
}

TEST_CASE("the real clock is the default") {
    CircuitBreaker breaker(1, 50ms);
    breaker.record_failure();
    CHECK_FALSE(breaker.allow());
    std::this_thread::sleep_for(60ms);
    CHECK(breaker.allow());
}

}  // TEST_SUITE
