#include "modules/shares/store.hpp"

#include "core/clock.hpp"

#include "../../support/temp_dir.hpp"

#include <doctest/doctest.h>

namespace {

struct Fixture {
    bb::test::TempDir dir;
    std::unique_ptr<bb::core::Db> db = bb::test::open_migrated_db(dir.file("shares.db"));
    std::string secret = std::string(64, 's');
    bb::shares::Store store{*db, secret};

    bb::shares::Share make(std::optional<std::int64_t> max_plays, std::int64_t lifetime_ms = 60'000)
    {
        bb::shares::Share s;
        s.owner_id = "owner";
        s.kind = "beat";
        s.target_id = "beat-1";
        s.expires_ms = bb::core::clock::now_ms() + lifetime_ms;
        s.max_plays = max_plays;
        return store.create(s);
    }
    static bb::core::Result<void> nothing(bb::core::Tx&) { return {}; }
};

}  // namespace

TEST_CASE("a share's status: revoked, then expired, then used up, else active")
{
    bb::shares::Share s;
    s.expires_ms = 1000;
    CHECK(s.status(999) == "active");
    CHECK(s.status(1000) == "expired");
    s.max_plays = 2;
    s.plays = 2;
    CHECK(s.status(0) == "used_up");
    s.revoked_ms = 5;
    CHECK(s.status(0) == "revoked");
    CHECK(bb::shares::gone(s, 0).slug == "share_revoked");
    CHECK(bb::core::http_status(bb::shares::gone(s, 0).code) == 410);
}

TEST_CASE_FIXTURE(Fixture, "a play limit of N gives N plays, and a failed log undoes the count")
{
    auto s = make(2);
    CHECK(s.id.size() == 22);
    auto failing = [](bb::core::Tx&) -> bb::core::Result<void> { return bb::core::not_found("beat"); };
    CHECK_FALSE(store.take_play(s.id, "beat-1", failing).has_value());
    CHECK(store.find(s.id)->plays == 0);
    auto first = store.take_play(s.id, "beat-1", nothing);
    REQUIRE(first.has_value());
    CHECK(store.valid_ticket(s.id, first->id, "beat-1"));
    CHECK_FALSE(store.valid_ticket(s.id, first->id, "beat-2"));
    CHECK_FALSE(store.valid_ticket("other", first->id, "beat-1"));
    REQUIRE(store.take_play(s.id, "beat-1", nothing).has_value());
    auto third = store.take_play(s.id, "beat-1", nothing);
    REQUIRE_FALSE(third.has_value());
    CHECK(third.error().slug == "share_used_up");
    CHECK(store.plays(s.id, 10).size() == 2);
    CHECK(store.usable(s.id).error().slug == "share_used_up");
}

TEST_CASE_FIXTURE(Fixture, "revoking: only by the owner (or an admin); a revoked link takes no play")
{
    auto s = make(std::nullopt);
    CHECK(store.revoke(s.id, "someone", false).error().slug == "not_found");
    REQUIRE(store.revoke(s.id, "owner", false).has_value());
    CHECK(store.take_play(s.id, "beat-1", nothing).error().slug == "share_revoked");
    CHECK(store.usable("nope").error().slug == "not_found");
}

TEST_CASE_FIXTURE(Fixture, "the owner's list pages newest first with a cursor")
{
    for (int i = 0; i < 5; ++i) {
        make(std::nullopt);
    }
    auto first = store.owned_by("owner", 3, std::nullopt);
    REQUIRE(first.has_value());
    CHECK(first->shares.size() == 3);
    REQUIRE(first->next_cursor);
    auto second = store.owned_by("owner", 3, first->next_cursor);
    REQUIRE(second.has_value());
    CHECK(second->shares.size() == 2);
    CHECK_FALSE(second->next_cursor);
    CHECK(first->shares[2].created_ms >= second->shares[0].created_ms);
    CHECK(store.owned_by("owner", 3, std::string("forged")).error().slug == "invalid_cursor");
}
