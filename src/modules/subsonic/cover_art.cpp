#include "modules/subsonic/cover_art.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace bb::subsonic {
namespace {

struct Rgb {
    double r = 0, g = 0, b = 0;
};

Rgb
from_hue(double hue, double saturation, double value)
{
    const double c = value * saturation;
    const double h = std::fmod(hue, 360.0) / 60.0;
    const double x = c * (1 - std::fabs(std::fmod(h, 2.0) - 1));
    const std::array<Rgb, 6> sextants = {Rgb{c, x, 0}, Rgb{x, c, 0}, Rgb{0, c, x}, Rgb{0, x, c}, Rgb{x, 0, c}, Rgb{c, 0, x}};
    const Rgb base = sextants[static_cast<std::size_t>(h) % 6];
    const double m = value - c;
    return {base.r + m, base.g + m, base.b + m};
}

std::uint32_t
fnv1a(const std::string& text)
{
    std::uint32_t hash = 2166136261u;
    for (unsigned char c : text) {
        hash = (hash ^ c) * 16777619u;
    }
    return hash;
}

void
put_u32(std::string& out, std::uint32_t v)
{
    for (int shift = 24; shift >= 0; shift -= 8) {
        out += static_cast<char>((v >> shift) & 0xff);
    }
}

void
chunk(std::string& png, const char* type, const std::string& data)
{
    put_u32(png, static_cast<std::uint32_t>(data.size()));
    const std::string body = std::string(type, 4) + data;
    png += body;
    put_u32(png, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
}

}  // namespace

std::string
cover_png(const std::string& id, const std::vector<double>& peaks, int size)
{
    size = std::clamp(size, 16, 1200);
    const std::uint32_t hash = fnv1a(id);
    const double hue = hash % 360;
    const Rgb top = from_hue(hue, 0.55, 0.55);
    const Rgb bottom = from_hue(hue + 40 + (hash >> 9) % 60, 0.65, 0.22);
    const bool disc = peaks.empty();

    // Raw scanlines, each with filter byte 0, RGB.
    std::string raw;
    raw.reserve(static_cast<std::size_t>(size) * (1 + 3 * static_cast<std::size_t>(size)));
    const double centre = (size - 1) / 2.0;
    for (int y = 0; y < size; ++y) {
        raw += '\0';
        const double t = static_cast<double>(y) / (size - 1);
        for (int x = 0; x < size; ++x) {
            Rgb px{top.r + (bottom.r - top.r) * t, top.g + (bottom.g - top.g) * t, top.b + (bottom.b - top.b) * t};
            double ink = 0;
            if (disc) {
                const double d = std::hypot(x - centre, y - centre) / size;
                ink = (d < 0.32 && d > 0.05) ? 0.55 : 0;
            } else {
                const std::size_t bar = static_cast<std::size_t>(x) * peaks.size() / static_cast<std::size_t>(size);
                const double half = std::clamp(peaks[bar], 0.0, 1.0) * size * 0.3 + 1;
                ink = std::fabs(y - centre) <= half ? 0.8 : 0;
            }
            px = {px.r + (1 - px.r) * ink, px.g + (1 - px.g) * ink, px.b + (1 - px.b) * ink};
            for (double channel : {px.r, px.g, px.b}) {
                raw += static_cast<char>(std::lround(std::clamp(channel, 0.0, 1.0) * 255));
            }
        }
    }
    uLongf packed_size = compressBound(raw.size());
    std::string packed(packed_size, '\0');
    compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(raw.data()),
              raw.size(), Z_BEST_SPEED);
    packed.resize(packed_size);

    std::string png = "\x89PNG\r\n\x1a\n";
    std::string header;
    put_u32(header, static_cast<std::uint32_t>(size));
    put_u32(header, static_cast<std::uint32_t>(size));
    header += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no filter, no interlace
    chunk(png, "IHDR", header);
    chunk(png, "IDAT", packed);
    chunk(png, "IEND", "");
    return png;
}

}  // namespace bb::subsonic
