#include "core/clock.hpp"

#include <doctest/doctest.h>

using bb::core::clock::parse_rfc3339;
using bb::core::clock::rfc3339;

TEST_SUITE("core/clock") {

TEST_CASE("RFC 3339 times read back what rfc3339() writes, with fractions and offsets") {
    CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
    CHECK(parse_rfc3339("2025-12-04T15:00:00Z") == 1764860400000);
    CHECK(parse_rfc3339(rfc3339(1764860400000)) == 1764860400000);
    CHECK(parse_rfc3339("2025-12-04T15:00:00.5Z") == 1764860400500);
    CHECK(parse_rfc3339("2025-12-04T15:00:00.123456Z") == 1764860400123);
    CHECK(parse_rfc3339("2025-12-04T17:00:00+02:00") == 1764860400000);
    CHECK(parse_rfc3339("2025-12-04T10:30:00-04:30") == 1764860400000);
}

TEST_CASE("anything else is refused") {
    for (const char* bad : {"", "tomorrow", "2025-12-04", "2025-12-04 15:00:00Z", "2025-12-04T15:00:00",
                            "2025-13-01T00:00:00Z", "2025-04-31T00:00:00Z", "2025-12-04T24:00:00Z",
                            "2025-12-04T15:00:00.Z", "2025-12-04T15:00:00Zjunk", "2025-12-04T15:00:00+2:00"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_rfc3339(bad).has_value());
    }
}

}
