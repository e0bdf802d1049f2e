#include "modules/purchases/retention.hpp"

#include "core/db.hpp"

#include "../../support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

namespace {

using bb::core::Tx;

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kNow = 1'000 * kHour;

struct RetentionFixture {
    bb::test::TempDir dir;
    std::unique_ptr<bb::core::Db> db = bb::test::open_migrated_db(dir.file("retention.db"));
    bb::purchases::Retention retention;

    void key(const std::string& name, std::int64_t created_ms, int status = 201)
    {
        db->write([&](Tx& tx) {
            tx.query("INSERT INTO purchases_idempotency (user_id, key, request_hash, status, created_ms) "
                     "VALUES ('u1', ?, 'h', ?, ?)")
                .bind(name, status, created_ms)
                .exec();
        });
    }
    void event(const std::string& id, std::int64_t received_ms)
    {
        db->write([&](Tx& tx) {
            tx.query("INSERT INTO purchases_webhook_events (event_id, type, received_ms) VALUES (?, 'x', ?)")
                .bind(id, received_ms)
                .exec();
        });
    }
    std::int64_t count(const char* table)
    {
        std::int64_t n = 0;
        db->read([&](bb::core::Conn& conn) {
            auto q = conn.query(std::string("SELECT COUNT(*) FROM ") + table);
            q.step();
            n = q.int64(0);
        });
        return n;
    }
    void tidy(std::int64_t now_ms)
    {
        db->write([&](Tx& tx) { retention.tidy(tx, now_ms); });
    }
};

}  // namespace

TEST_CASE_FIXTURE(RetentionFixture, "keys older than 48 h (even one a crash left in flight) and event ids older than 30 days go")
{
    key("old", kNow - 49 * kHour);
    key("stuck-in-flight", kNow - 49 * kHour, 0);
    key("day-old", kNow - 24 * kHour);
    key("in-flight", kNow - kHour, 0);
    event("evt_old", kNow - 31 * 24 * kHour);
    event("evt_recent", kNow - 4 * 24 * kHour);
    tidy(kNow);
    CHECK(count("purchases_idempotency") == 2);
    CHECK(count("purchases_webhook_events") == 1);
}

TEST_CASE_FIXTURE(RetentionFixture, "tidies at most once an hour, and again within a minute while a backlog remains")
{
    for (int i = 0; i < 1'001; ++i) {
        key(std::to_string(i), kNow - 50 * kHour);
    }
    tidy(kNow);
    CHECK(count("purchases_idempotency") == 1);  // one batch of 1,000
    tidy(kNow + 30'000);
    CHECK(count("purchases_idempotency") == 1);  // too soon
    tidy(kNow + 61'000);
    CHECK(count("purchases_idempotency") == 0);  // the backlog's rest
    key("later", kNow - 49 * kHour);
    tidy(kNow + 30 * 60'000);
    CHECK(count("purchases_idempotency") == 1);  // nothing was left: the next round is an hour away
    tidy(kNow + 61'000 + kHour);
    CHECK(count("purchases_idempotency") == 0);
}
