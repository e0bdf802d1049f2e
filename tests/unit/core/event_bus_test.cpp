#include "core/event_bus.hpp"

#include "core/clock.hpp"
#include "core/db.hpp"

#include "../support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using bb::core::Conn;
using bb::core::Event;
using bb::core::EventBus;
using bb::core::Result;
using bb::core::Topic;
using bb::core::Tx;

constexpr Topic kThingHappened{"test.thing_happened"};
constexpr Topic kOtherHappened{"test.other_happened"};

// A migrated database in a fresh directory, plus a table subscribers can write to.
struct BusFixture {
    bb::test::TempDir dir;
    std::string path = dir.file("bus.db");
    std::unique_ptr<bb::core::Db> db = bb::test::open_migrated_db(path);

    BusFixture() { create_scratch(*db); }

    static void create_scratch(bb::core::Db& d)
    {
        d.write([](Tx& tx) { tx.exec("CREATE TABLE IF NOT EXISTS test_scratch (event_id TEXT, subscriber TEXT)"); });
    }

    static void publish(bb::core::Db& d, Topic topic, int n)
    {
        d.write([&](Tx& tx) { tx.publish(topic, {{"n", n}}); });
    }

    std::int64_t count(const std::string& sql) const
    {
        return db->read([&](Conn& c) {
            auto q = c.query(sql);
            q.step();
            return q.int64(0);
        });
    }
    std::int64_t undelivered() const { return count("SELECT COUNT(*) FROM core_outbox WHERE delivered_ms IS NULL"); }
    std::int64_t outbox() const { return count("SELECT COUNT(*) FROM core_outbox"); }

    struct Receipt {
        bool found = false;
        bool done = false;
        std::int64_t attempts = 0;
        std::int64_t next_attempt_ms = 0;
        std::string last_error;
    };
    Receipt receipt(const std::string& subscriber) const
    {
        return db->read([&](Conn& c) {
            Receipt r;
            auto q = c.query("SELECT done, attempts, next_attempt_ms, COALESCE(last_error, '') FROM core_event_receipts "
                             "WHERE subscriber = ?");
            q.bind(subscriber);
            if (q.step()) {
                r = {true, q.int64(0) != 0, q.int64(1), q.int64(2), q.text(3)};
            }
            return r;
        });
    }
    // Ends a subscriber's backoff so the next pass retries it without waiting.
    void end_backoff(const std::string& subscriber)
    {
        db->write([&](Tx& tx) {
            tx.query("UPDATE core_event_receipts SET next_attempt_ms = 0 WHERE subscriber = ?").bind(subscriber).exec();
        });
    }
};

// Records what a subscriber saw; fails while `failing` is set.
struct Recorder {
    std::vector<Event> seen;
    bool failing = false;
    bool throwing = false;

    EventBus::Handler handler(std::string name)
    {
        return [this, name](const Event& e, Tx& tx) -> Result<void> {
            seen.push_back(e);
            tx.query("INSERT INTO test_scratch (event_id, subscriber) VALUES (?, ?)").bind(e.id, name).exec();
            if (throwing) {
                throw std::runtime_error("subscriber exploded");
            }
            if (failing) {
                return bb::core::unavailable("subscriber is down");
            }
            return {};
        };
    }
};

}  // namespace

TEST_SUITE("core/event_bus") {

TEST_CASE("retry_backoff_ms doubles from one second and stops at five minutes") {
    CHECK(bb::core::retry_backoff_ms(1) == 1000);
    CHECK(bb::core::retry_backoff_ms(2) == 2000);
    CHECK(bb::core::retry_backoff_ms(3) == 4000);
    CHECK(bb::core::retry_backoff_ms(9) == 256000);
    CHECK(bb::core::retry_backoff_ms(10) == 300000);
    CHECK(bb::core::retry_backoff_ms(1000) == 300000);
    CHECK(bb::core::retry_backoff_ms(0) == 1000);
    CHECK(bb::core::retry_backoff_ms(-5) == 1000);
    for (int attempt = 1; attempt < 40; ++attempt) {
        CHECK(bb::core::retry_backoff_ms(attempt + 1) >= bb::core::retry_backoff_ms(attempt));
    }
}

TEST_CASE_FIXTURE(BusFixture, "an event published in a write reaches each subscriber once, after commit") {
    EventBus bus(*db);
    Recorder a, b, other;
    bus.subscribe(kThingHappened, "test.a", a.handler("test.a"));
    bus.subscribe(kThingHappened, "test.b", b.handler("test.b"));
    bus.subscribe(kOtherHappened, "test.other", other.handler("test.other"));

    const auto before = bb::core::clock::now_ms();
    publish(*db, kThingHappened, 7);
    // Nothing is delivered inside the write itself.
    CHECK(a.seen.empty());
    CHECK(undelivered() == 1);

    CHECK(bus.deliver_due() == 1);
    REQUIRE(a.seen.size() == 1);
    REQUIRE(b.seen.size() == 1);
    CHECK(other.seen.empty());
    CHECK(a.seen[0].topic == "test.thing_happened");
    CHECK(a.seen[0].payload.at("n") == 7);
    CHECK(a.seen[0].id.size() == 36);
    CHECK(a.seen[0].id == b.seen[0].id);
    CHECK(a.seen[0].created_ms >= before);
    CHECK(undelivered() == 0);
    CHECK(receipt("test.a").done);
    CHECK(receipt("test.a").attempts == 1);
    CHECK(count("SELECT COUNT(*) FROM test_scratch") == 2);

    // Repeated passes deliver nothing more.
    CHECK(bus.deliver_due() == 0);
    CHECK(bus.deliver_due() == 0);
    CHECK(a.seen.size() == 1);
    CHECK(b.seen.size() == 1);
    CHECK(bus.pending() == 0);
}

TEST_CASE_FIXTURE(BusFixture, "events arrive in publication order") {
    EventBus bus(*db);
    Recorder a;
    bus.subscribe(kThingHappened, "test.a", a.handler("test.a"));
    for (int n = 0; n < 20; ++n) {
        publish(*db, kThingHappened, n);
    }
    db->write([](Tx& tx) {
        tx.publish(kThingHappened, {{"n", 20}});
        tx.publish(kThingHappened, {{"n", 21}});
    });
    CHECK(bus.deliver_due() == 22);
    REQUIRE(a.seen.size() == 22);
    for (int n = 0; n < 22; ++n) {
        CHECK(a.seen[n].payload.at("n") == n);
    }
}

TEST_CASE_FIXTURE(BusFixture, "an event with no subscriber is marked delivered") {
    EventBus bus(*db);
    publish(*db, kOtherHappened, 1);
    CHECK(bus.deliver_due() == 1);
    CHECK(undelivered() == 0);
}

TEST_CASE_FIXTURE(BusFixture, "a write that fails publishes nothing") {
    EventBus bus(*db);
    Recorder a;
    bus.subscribe(kThingHappened, "test.a", a.handler("test.a"));

    auto failed = db->write([](Tx& tx) -> Result<int> {
        tx.publish(kThingHappened, {{"n", 1}});
        return bb::core::conflict("nope", "refused after publishing");
    });
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().slug == "nope");
    CHECK_THROWS_AS(db->write([](Tx& tx) {
        tx.publish(kThingHappened, {{"n", 2}});
        throw std::runtime_error("boom");
    }),
                    std::runtime_error);

    CHECK(outbox() == 0);
    CHECK(bus.deliver_due() == 0);
    CHECK(a.seen.empty());
}

TEST_CASE_FIXTURE(BusFixture, "a failing subscriber is retried later; the others get the event once") {
    EventBus bus(*db);
    Recorder good, bad;
    bad.failing = true;
    bus.subscribe(kThingHappened, "test.good", good.handler("test.good"));
    bus.subscribe(kThingHappened, "test.bad", bad.handler("test.bad"));
    publish(*db, kThingHappened, 1);

    const auto before = bb::core::clock::now_ms();
    CHECK(bus.deliver_due() == 0);  // not every subscriber has it yet
    CHECK(good.seen.size() == 1);
    CHECK(bad.seen.size() == 1);
    auto r = receipt("test.bad");
    REQUIRE(r.found);
    CHECK_FALSE(r.done);
    CHECK(r.attempts == 1);
    CHECK(r.next_attempt_ms >= before + 1000);
    CHECK(r.last_error.find("subscriber is down") != std::string::npos);
    CHECK(receipt("test.good").done);
    CHECK(undelivered() == 1);
    CHECK(bus.pending() == 1);

    // While backing off, passes neither retry the failing one nor repeat the good one.
    for (int pass = 0; pass < 3; ++pass) {
        CHECK(bus.deliver_due() == 0);
    }
    CHECK(good.seen.size() == 1);
    CHECK(bad.seen.size() == 1);

    // Due again and still failing: a second attempt with a longer backoff.
    end_backoff("test.bad");
    const auto second_try = bb::core::clock::now_ms();
    CHECK(bus.deliver_due() == 0);
    CHECK(bad.seen.size() == 2);
    CHECK(good.seen.size() == 1);
    r = receipt("test.bad");
    CHECK(r.attempts == 2);
    CHECK(r.next_attempt_ms >= second_try + 2000);

    // Recovered: delivered, the receipt is done, and the outbox row is closed.
    bad.failing = false;
    end_backoff("test.bad");
    CHECK(bus.deliver_due() == 1);
    CHECK(bad.seen.size() == 3);
    CHECK(good.seen.size() == 1);
    CHECK(bad.seen[2].id == good.seen[0].id);
    r = receipt("test.bad");
    CHECK(r.done);
    CHECK(r.attempts == 3);
    CHECK(undelivered() == 0);
    CHECK(bus.deliver_due() == 0);
    CHECK(bad.seen.size() == 3);
}

TEST_CASE_FIXTURE(BusFixture, "a failed handler's own writes are rolled back; the successful one's stay") {
    EventBus bus(*db);
    Recorder good, bad, thrower;
    bad.failing = true;
    thrower.throwing = true;
    bus.subscribe(kThingHappened, "test.good", good.handler("test.good"));
    bus.subscribe(kThingHappened, "test.bad", bad.handler("test.bad"));
    bus.subscribe(kThingHappened, "test.thrower", thrower.handler("test.thrower"));
    publish(*db, kThingHappened, 1);

    bus.deliver_due();
    CHECK(good.seen.size() == 1);
    CHECK(bad.seen.size() == 1);
    CHECK(thrower.seen.size() == 1);
    CHECK(count("SELECT COUNT(*) FROM test_scratch WHERE subscriber = 'test.good'") == 1);
    CHECK(count("SELECT COUNT(*) FROM test_scratch WHERE subscriber = 'test.bad'") == 0);
    CHECK(count("SELECT COUNT(*) FROM test_scratch WHERE subscriber = 'test.thrower'") == 0);
    auto t = receipt("test.thrower");
    CHECK_FALSE(t.done);
    CHECK(t.attempts == 1);
    CHECK(t.last_error.find("subscriber exploded") != std::string::npos);
}

TEST_CASE_FIXTURE(BusFixture, "a failed handler's after_commit hook does not run") {
    // Subscribers push to sockets from after_commit: a failed delivery must not push.
    EventBus bus(*db);
    int pushed = 0;
    bus.subscribe(kThingHappened, "test.pusher", [&](const Event&, Tx& tx) -> Result<void> {
        tx.after_commit([&] { ++pushed; });
        return bb::core::unavailable("failed after scheduling a push");
    });
    publish(*db, kThingHappened, 1);
    bus.deliver_due();
    CHECK(pushed == 0);
}

TEST_CASE_FIXTURE(BusFixture, "a successful handler's after_commit hook runs once, after commit") {
    EventBus bus(*db);
    int pushed = 0;
    std::int64_t receipts_seen_by_hook = -1;
    bus.subscribe(kThingHappened, "test.pusher", [&](const Event&, Tx& tx) -> Result<void> {
        tx.after_commit([&] {
            ++pushed;
            receipts_seen_by_hook = count("SELECT COUNT(*) FROM core_event_receipts WHERE done = 1");
        });
        return {};
    });
    publish(*db, kThingHappened, 1);
    bus.deliver_due();
    bus.deliver_due();
    CHECK(pushed == 1);
    CHECK(receipts_seen_by_hook == 1);  // the hook ran after the receipt was committed
}

TEST_CASE_FIXTURE(BusFixture, "receipts keep a subscriber from seeing an event twice") {
    EventBus bus(*db);
    Recorder a;
    bus.subscribe(kThingHappened, "test.a", a.handler("test.a"));
    publish(*db, kThingHappened, 1);
    CHECK(bus.deliver_due() == 1);
    REQUIRE(a.seen.size() == 1);

    // Reopen the outbox row as if marking it delivered had been lost: the receipt still holds.
    db->write([](Tx& tx) { tx.exec("UPDATE core_outbox SET delivered_ms = NULL"); });
    CHECK(bus.deliver_due() == 1);
    CHECK(a.seen.size() == 1);
    CHECK(undelivered() == 0);
}

TEST_CASE_FIXTURE(BusFixture, "a subscriber added later gets events not yet delivered, nobody else repeats") {
    Recorder a, late;
    {
        EventBus bus(*db);
        Recorder failing;
        failing.failing = true;
        bus.subscribe(kThingHappened, "test.a", a.handler("test.a"));
        bus.subscribe(kThingHappened, "test.failing", failing.handler("test.failing"));
        publish(*db, kThingHappened, 1);
        bus.deliver_due();
    }
    // A new process with one more subscriber (and the failing one gone).
    EventBus bus(*db);
    bus.subscribe(kThingHappened, "test.a", a.handler("test.a"));
    bus.subscribe(kThingHappened, "test.late", late.handler("test.late"));
    bus.deliver_due();
    CHECK(a.seen.size() == 1);
    CHECK(late.seen.size() == 1);
}

TEST_CASE("an event committed before a crash is delivered by the next process") {
    bb::test::TempDir dir;
    const auto path = dir.file("crash.db");
    std::string published_id;
    {
        auto db = bb::test::open_migrated_db(path);
        BusFixture::create_scratch(*db);
        EventBus bus(*db);
        Recorder never;
        bus.subscribe(kThingHappened, "test.a", never.handler("test.a"));
        db->write([&](Tx& tx) { tx.publish(kThingHappened, {{"n", 99}}); });
        // The process dies here: the bus and the database go away before any delivery pass.
        CHECK(never.seen.empty());
    }
    auto db = bb::test::open_migrated_db(path);
    EventBus bus(*db);
    Recorder a;
    bus.subscribe(kThingHappened, "test.a", a.handler("test.a"));
    CHECK(bus.deliver_due() == 1);
    REQUIRE(a.seen.size() == 1);
    CHECK(a.seen[0].payload.at("n") == 99);
    CHECK(bus.deliver_due() == 0);
    CHECK(a.seen.size() == 1);
}

TEST_CASE_FIXTURE(BusFixture, "the delivery thread delivers on wake and stop flushes") {
    EventBus bus(*db);
    std::atomic<int> delivered{0};
    bus.subscribe(kThingHappened, "test.counter", [&](const Event&, Tx&) -> Result<void> {
        ++delivered;
        return {};
    });
    db->on_published([&] { bus.wake(); });
    bus.start();
    publish(*db, kThingHappened, 1);
    for (int i = 0; i < 200 && delivered.load() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(delivered.load() == 1);
    bus.stop(std::chrono::milliseconds(500));
    db->on_published(nullptr);
    CHECK(undelivered() == 0);
}

TEST_CASE_FIXTURE(BusFixture, "a handler may publish a follow-up event; it is delivered on a later pass") {
    EventBus bus(*db);
    Recorder second;
    bus.subscribe(kThingHappened, "test.relay", [](const Event& e, Tx& tx) -> Result<void> {
        tx.publish(kOtherHappened, {{"from", e.id}});
        return {};
    });
    bus.subscribe(kOtherHappened, "test.second", second.handler("test.second"));
    publish(*db, kThingHappened, 1);
    CHECK(bus.deliver_due() == 1);
    CHECK(bus.deliver_due() == 1);
    REQUIRE(second.seen.size() == 1);
    CHECK(second.seen[0].topic == "test.other_happened");
    CHECK(bus.deliver_due() == 0);
}

TEST_CASE_FIXTURE(BusFixture, "events stuck behind a failing subscriber do not starve newer ones") {
    // A full batch of events backing off must not keep a newer event from its subscriber.
    EventBus bus(*db);
    Recorder poisoned, healthy;
    poisoned.failing = true;
    bus.subscribe(kThingHappened, "test.poisoned", poisoned.handler("test.poisoned"));
    bus.subscribe(kOtherHappened, "test.healthy", healthy.handler("test.healthy"));
    db->write([](Tx& tx) {
        for (int n = 0; n < 256; ++n) {
            tx.publish(kThingHappened, {{"n", n}});
        }
    });
    publish(*db, kOtherHappened, 1);
    bus.deliver_due();
    bus.deliver_due();
    CHECK(healthy.seen.size() == 1);
}

}  // TEST_SUITE
