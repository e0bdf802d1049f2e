#include "core/disk.hpp"

#include "core/db.hpp"

#include "../support/temp_dir.hpp"

#include <SQLiteCpp/Exception.h>
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <system_error>

TEST_CASE("disk: failures for lack of space are told from others")
{
    CHECK(bb::core::is_storage_full(bb::core::StorageFull()));
    CHECK(bb::core::is_storage_full(SQLite::Exception("database or disk is full", SQLITE_FULL)));
    CHECK_FALSE(bb::core::is_storage_full(SQLite::Exception("constraint failed", SQLITE_CONSTRAINT)));
    CHECK(bb::core::is_storage_full(std::system_error(std::make_error_code(std::errc::no_space_on_device))));
    CHECK(bb::core::is_storage_full(std::filesystem::filesystem_error("copy", std::make_error_code(std::errc::no_space_on_device))));
    CHECK_FALSE(bb::core::is_storage_full(std::system_error(std::make_error_code(std::errc::permission_denied))));
    CHECK_FALSE(bb::core::is_storage_full(std::runtime_error("database write failed: no such table")));

    CHECK(bb::core::says_storage_full("writing the MP3 failed (No space left on device)"));
    CHECK(bb::core::says_storage_full("database or disk is full"));
    CHECK_FALSE(bb::core::says_storage_full("the decoder crashed on this file"));
}

TEST_CASE("disk: free_bytes reads the file system of a path")
{
    bb::test::TempDir dir;
    const auto free = bb::core::free_bytes(dir.file(""));
    REQUIRE(free.has_value());
    CHECK(*free > 0);
    CHECK_FALSE(bb::core::free_bytes("/no/such/path/at/all").has_value());
}
