#include "modules/subsonic/catalog.hpp"

#include <doctest/doctest.h>

using namespace bb::subsonic;

TEST_CASE("album and artist ids round trip, and odd ids are refused")
{
    const AlbumKey key{"01a1ffe8-dffc-7126-9f52-b32307b54ab0", 2026};
    CHECK(album_id(key) == "al-01a1ffe8-dffc-7126-9f52-b32307b54ab0-2026");
    auto back = album_key(album_id(key));
    REQUIRE(back);
    CHECK(*back == key);
    CHECK(artist_id("u1") == "ar-u1");
    CHECK(producer_of("ar-u1") == std::optional<std::string>("u1"));
    CHECK_FALSE(producer_of("ar-"));
    CHECK_FALSE(producer_of("al-u1-2026"));
    CHECK_FALSE(album_key("al-u1"));
    CHECK_FALSE(album_key("al-u1-20x6"));
    CHECK_FALSE(album_key("al--2026"));
    CHECK_FALSE(album_key("al-u1-1800"));
    CHECK_FALSE(album_key("beat-id"));
}

TEST_CASE("years are UTC calendar years, exactly at their boundaries")
{
    CHECK(year_start_ms(1970) == 0);
    CHECK(year_start_ms(2000) == 946'684'800'000);
    CHECK(year_start_ms(2024) == 1'704'067'200'000);
    CHECK(year_of(0) == 1970);
    CHECK(year_of(1'704'067'200'000) == 2024);      // 2024-01-01T00:00:00Z
    CHECK(year_of(1'704'067'199'999) == 2023);      // a millisecond before
    CHECK(year_of(1'735'689'599'999) == 2024);      // 2024-12-31T23:59:59.999Z (a leap year)
    CHECK(year_of(1'735'689'600'000) == 2025);
}
