#include "modules/subsonic/cover_art.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>

namespace {

std::uint32_t
u32(const std::string& s, std::size_t at)
{
    return (std::uint32_t(std::uint8_t(s[at])) << 24) | (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}

}  // namespace

TEST_CASE("cover art is a valid PNG of the asked size, the same for the same id")
{
    const std::vector<double> peaks = {0.1, 0.9, 0.5, 0.2};
    const std::string png = bb::subsonic::cover_png("beat-1", peaks, 64);
    REQUIRE(png.size() > 33);
    CHECK(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
    CHECK(png.substr(12, 4) == "IHDR");
    CHECK(u32(png, 16) == 64);
    CHECK(u32(png, 20) == 64);
    // The IHDR chunk's CRC covers its type and data.
    CHECK(u32(png, 29) == crc32(0, reinterpret_cast<const Bytef*>(png.data() + 12), 17));
    // IDAT inflates to 64 rows of a filter byte and 64 RGB pixels.
    const std::size_t idat_length = u32(png, 33);
    CHECK(png.substr(37, 4) == "IDAT");
    std::string raw(64 * (1 + 64 * 3), '\0');
    uLongf raw_size = raw.size();
    REQUIRE(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                       reinterpret_cast<const Bytef*>(png.data() + 41), idat_length) == Z_OK);
    CHECK(raw_size == raw.size());
    CHECK(png.ends_with(std::string("IEND\xae\x42\x60\x82", 8)));
    CHECK(bb::subsonic::cover_png("beat-1", peaks, 64) == png);
    CHECK(bb::subsonic::cover_png("beat-2", peaks, 64) != png);
    CHECK(u32(bb::subsonic::cover_png("x", {}, 5000), 16) == 1200);  // clamped
}
