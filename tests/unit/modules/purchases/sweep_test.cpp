#include "modules/purchases/sweep.hpp"

#include "modules/purchases/service.hpp"

#include "../../support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>

namespace {

using bb::core::Tx;
using bb::purchases::find_unfinished;
using bb::purchases::kExpiredGraceMs;

constexpr std::int64_t kNow = 1'900'000'000'000;

struct SweepFixture {
    bb::test::TempDir dir;
    std::unique_ptr<bb::core::Db> db = bb::test::open_migrated_db(dir.file("sweep.db"));

    void purchase(const std::string& id, const std::string& status, std::optional<std::int64_t> lease_ms,
                  std::optional<std::int64_t> expires_ms)
    {
        db->write([&](Tx& tx) {
            tx.query("INSERT INTO purchases_purchases (id, buyer_id, status, total_cents, currency, provider, created_ms, "
                     "owner, lease_ms, expires_ms) VALUES (?, 'b', ?, 100, 'USD', 'stripe', 0, 'i', ?, ?)")
                .bind(id, status, lease_ms, expires_ms)
                .exec();
        });
    }
};

}  // namespace

TEST_CASE_FIXTURE(SweepFixture, "the sweep ends checkouts whose owner's lease ran out, and checkouts long past their end")
{
    purchase("lease-live", "pending", kNow + 1, kNow + 3'600'000);
    purchase("lease-over", "pending", kNow - 1, kNow + 3'600'000);
    purchase("waiting", "pending", std::nullopt, kNow + 3'600'000);                 // its session is open
    purchase("just-ended", "pending", std::nullopt, kNow - kExpiredGraceMs + 1000);  // Stripe may still say
    purchase("long-ended", "pending", std::nullopt, kNow - kExpiredGraceMs - 1);
    purchase("done", "completed", std::nullopt, kNow - kExpiredGraceMs - 1);
    purchase("declined-lease", "declined", kNow - 1, std::nullopt);
    db->write([&](Tx& tx) {
        const auto found = find_unfinished(tx, kNow, 100);
        CHECK(found.interrupted == std::vector<std::string>{"lease-over"});
        CHECK(found.expired == std::vector<std::string>{"long-ended"});
        CHECK(find_unfinished(tx, kNow, 0).empty());
    });
    db->read([&](bb::core::Conn& conn) {  // the read the sweep makes first finds the same
        const auto found = find_unfinished(conn, kNow, 100);
        CHECK(found.interrupted == std::vector<std::string>{"lease-over"});
        CHECK(found.expired == std::vector<std::string>{"long-ended"});
    });
}
