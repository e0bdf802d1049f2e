#include "core/migrations.hpp"

#include "core/db.hpp"
#include "core/embedded.hpp"

#include "../support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using bb::embedded::EmbeddedFile;

const std::vector<EmbeddedFile> kThree = {
    {"0010_beats_tags.sql", "CREATE TABLE t10 (x INTEGER);"},
    {"0002_users_more.sql", "CREATE TABLE t2 (x INTEGER); INSERT INTO t2 VALUES (2);"},
    {"0001_core_first.sql", "CREATE TABLE t1 (x INTEGER);"},
};

std::vector<bb::core::Migration>
parse_ok(const std::vector<EmbeddedFile>& files)
{
    auto r = bb::core::parse_migrations(files);
    if (!r) {
        FAIL("unexpected error: " << r.error().message);
    }
    return *r;
}

struct Applied {
    int version;
    std::string name;
};

std::vector<Applied>
applied(bb::core::Db& db)
{
    return db.read([](bb::core::Conn& conn) {
        std::vector<Applied> out;
        auto q = conn.query("SELECT version, name FROM core_migrations ORDER BY version");
        while (q.step()) {
            out.push_back({static_cast<int>(q.int64(0)), q.text(1)});
        }
        return out;
    });
}

bool
table_exists(bb::core::Db& db, const std::string& name)
{
    return db.read([&](bb::core::Conn& conn) {
        auto q = conn.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
        q.bind(name);
        return q.step();
    });
}

}  // namespace

TEST_SUITE("core/migrations") {

TEST_CASE("parse_migrations sorts by number, not by name") {
    // By name "0010" < "0002" would be false anyway; add one where text order and number order differ.
    std::vector<EmbeddedFile> files = kThree;
    files.push_back({"9_late.sql", "SELECT 1;"});
    files.push_back({"100_later.sql", "SELECT 1;"});
    const auto ms = parse_ok(files);
    REQUIRE(ms.size() == 5);
    CHECK(ms[0].version == 1);
    CHECK(ms[1].version == 2);
    CHECK(ms[2].version == 9);
    CHECK(ms[3].version == 10);
    CHECK(ms[4].version == 100);  // "100_" sorts before "9_" as text
    CHECK(ms[0].name == "0001_core_first.sql");
    CHECK(ms[3].name == "0010_beats_tags.sql");
    CHECK(ms[1].sql == kThree[1].bytes);
}

TEST_CASE("parse_migrations refuses repeated numbers") {
    std::vector<EmbeddedFile> files = kThree;
    files.push_back({"02_users_again.sql", "SELECT 1;"});  // 02 == 0002
    auto r = bb::core::parse_migrations(files);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find('2') != std::string::npos);
}

TEST_CASE("parse_migrations refuses names without a numeric prefix") {
    for (const char* bad : {"core_first.sql", "0001.sql", "_0001_x.sql", "v1_first.sql", "0x1_hex.sql", "1a_x.sql",
                            "0000_zero.sql", "-1_negative.sql", ""}) {
        CAPTURE(bad);
        std::vector<EmbeddedFile> files = {{"0001_ok.sql", "SELECT 1;"}, {bad, "SELECT 1;"}};
        auto r = bb::core::parse_migrations(files);
        CHECK_FALSE(r.has_value());
    }
}

TEST_CASE("parse_migrations of nothing is nothing") {
    CHECK(parse_ok({}).empty());
}

TEST_CASE("the embedded migrations parse and start at 1") {
    const auto ms = parse_ok(std::vector<EmbeddedFile>(bb::embedded::migrations().begin(), bb::embedded::migrations().end()));
    REQUIRE_FALSE(ms.empty());
    CHECK(ms.front().version == 1);
    for (std::size_t i = 1; i < ms.size(); ++i) {
        CHECK(ms[i].version > ms[i - 1].version);
    }
}

TEST_CASE("migrate applies in order, records, and is idempotent") {
    bb::test::quiet_logs();
    bb::test::TempDir dir;
    const auto path = dir.file("m.db");
    const auto ms = parse_ok(kThree);
    {
        auto db = bb::test::open_db(path);
        auto first = bb::core::migrate(*db, ms);
        REQUIRE(first.has_value());
        CHECK(*first == 3);
        const auto rows = applied(*db);
        REQUIRE(rows.size() == 3);
        CHECK(rows[0].version == 1);
        CHECK(rows[0].name == "0001_core_first.sql");
        CHECK(rows[1].version == 2);
        CHECK(rows[2].version == 10);
        CHECK(table_exists(*db, "t1"));
        CHECK(table_exists(*db, "t10"));
        // Multi-statement files run whole.
        CHECK(db->read([](bb::core::Conn& c) {
            auto q = c.query("SELECT x FROM t2");
            return q.step() ? q.int64(0) : -1;
        }) == 2);

        auto again = bb::core::migrate(*db, ms);
        REQUIRE(again.has_value());
        CHECK(*again == 0);
        CHECK(applied(*db).size() == 3);
    }
    // Reopening the file: still nothing to do, and a new migration is applied alone.
    auto db = bb::test::open_db(path);
    auto more = kThree;
    more.push_back({"0011_more.sql", "CREATE TABLE t11 (x INTEGER);"});
    auto r = bb::core::migrate(*db, parse_ok(more));
    REQUIRE(r.has_value());
    CHECK(*r == 1);
    CHECK(applied(*db).back().version == 11);
    CHECK(table_exists(*db, "t11"));
}

TEST_CASE("a failing migration is rolled back and not recorded") {
    bb::test::quiet_logs();
    bb::test::TempDir dir;
    auto db = bb::test::open_db(dir.file("m.db"));
    const std::vector<EmbeddedFile> files = {
        {"0001_ok.sql", "CREATE TABLE ok1 (x INTEGER);"},
        {"0002_broken.sql", "CREATE TABLE half (x INTEGER); THIS IS NOT SQL;"},
    };
    CHECK_THROWS(bb::core::migrate(*db, parse_ok(files)));
    const auto rows = applied(*db);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].version == 1);
    CHECK(table_exists(*db, "ok1"));
    CHECK_FALSE(table_exists(*db, "half"));
}

TEST_CASE("a migration numbered below the newest applied one is not skipped silently") {
    // A database at {1, 3} meeting a binary with {1, 2, 3} (two branches merged) gets 2 applied.
    bb::test::quiet_logs();
    bb::test::TempDir dir;
    auto db = bb::test::open_db(dir.file("m.db"));
    REQUIRE(bb::core::migrate(*db, parse_ok({{"0001_a.sql", "CREATE TABLE ta (x);"},
                                             {"0003_c.sql", "CREATE TABLE tc (x);"}}))
                .has_value());
    auto r = bb::core::migrate(*db, parse_ok({{"0001_a.sql", "CREATE TABLE ta (x);"},
                                              {"0002_b.sql", "CREATE TABLE tb (x);"},
                                              {"0003_c.sql", "CREATE TABLE tc (x);"}}));
    CHECK((!r.has_value() || table_exists(*db, "tb")));
}

TEST_CASE("migrate refuses a database newer than this binary") {
    bb::test::quiet_logs();
    bb::test::TempDir dir;
    auto db = bb::test::open_db(dir.file("m.db"));
    REQUIRE(bb::core::migrate(*db, parse_ok(kThree)).has_value());
    db->write([](bb::core::Tx& tx) {
        tx.exec("INSERT INTO core_migrations (version, name, applied_ms) VALUES (42, '0042_future.sql', 0)");
    });
    auto r = bb::core::migrate(*db, parse_ok(kThree));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().slug == "schema_too_new");
    CHECK(r.error().message.find("42") != std::string::npos);
    CHECK(r.error().message.find("10") != std::string::npos);
    // Nothing was touched.
    CHECK(applied(*db).size() == 4);

    // No known migrations at all against a migrated database is refused too.
    auto none = bb::core::migrate(*db, {});
    REQUIRE_FALSE(none.has_value());
    CHECK(none.error().slug == "schema_too_new");
}

}  // TEST_SUITE
