#include "core/ids.hpp"

#include "core/clock.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <random>

namespace bb::core {

std::string
new_id()
{
    // UUIDv7: 48-bit ms timestamp, then 74 bits that are random at the start of each millisecond
    // and incremented within it (RFC 9562 method 2), so ids never go backwards in one process.
    using u128 = unsigned __int128;
    static std::mutex mutex;
    static std::int64_t last_ms = 0;
    static u128 counter = 0;
    std::int64_t ms;
    u128 seq;
    {
        std::lock_guard lock(mutex);
        ms = clock::now_ms();
        if (ms <= last_ms) {
            ms = last_ms;
            ++counter;
        } else {
            last_ms = ms;
            // Ids need uniqueness, not secrecy: a generator seeded once from the OS avoids a
            // getrandom(2) call per millisecond.
            static std::mt19937_64 rng = [] {
                std::seed_seq seed{randombytes_random(), randombytes_random(), randombytes_random(), randombytes_random()};
                return std::mt19937_64(seed);
            }();
            std::array<std::uint64_t, 2> r{rng(), rng()};
            counter = ((u128{r[0]} << 64) | r[1]) & ((u128{1} << 73) - 1);  // top bit clear: room to count
        }
        seq = counter;
    }
    const auto rand_a = static_cast<std::uint16_t>((seq >> 62) & 0xfff);
    const auto rand_b = static_cast<std::uint64_t>(seq & ((u128{1} << 62) - 1));
    std::array<unsigned char, 16> b{};
    for (int i = 0; i < 6; ++i) {
        b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
    }
    b[6] = static_cast<unsigned char>(0x70 | (rand_a >> 8));
    b[7] = static_cast<unsigned char>(rand_a);
    b[8] = static_cast<unsigned char>(0x80 | (rand_b >> 56));
    for (int i = 9; i < 16; ++i) {
        b[i] = static_cast<unsigned char>(rand_b >> (8 * (15 - i)));
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out.push_back('-');
        }
        out.push_back(kHex[b[i] >> 4]);
        out.push_back(kHex[b[i] & 0xf]);
    }
    return out;
}

const std::string&
instance_id()
{
    static const std::string id = new_id();
    return id;
}

std::string
new_request_id()
{
    // A random 64-bit prefix per thread, then a per-thread counter: 32 hex digits.
    thread_local const std::uint64_t prefix = [] {
        std::uint64_t p = 0;
        randombytes_buf(&p, sizeof p);
        return p;
    }();
    thread_local std::uint64_t counter = 0;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(32, '0');
    const std::uint64_t parts[2] = {prefix, ++counter};
    for (int part = 0; part < 2; ++part) {
        for (int i = 0; i < 16; ++i) {
            out[static_cast<std::size_t>(part * 16 + i)] = kHex[(parts[part] >> (60 - 4 * i)) & 0xf];
        }
    }
    return out;
}

}  // namespace bb::core
