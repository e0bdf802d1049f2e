#include "http/ws_frame.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace bb::http::ws;

// A client frame: masked, as browsers send them.
std::string
client_frame(std::uint8_t first, std::string_view payload, std::uint32_t mask = 0x11223344)
{
    std::string out;
    out.push_back(static_cast<char>(first));
    if (payload.size() < 126) {
        out.push_back(static_cast<char>(0x80 | payload.size()));
    } else if (payload.size() <= 0xFFFF) {
        out.push_back(static_cast<char>(0x80 | 126));
        out.push_back(static_cast<char>(payload.size() >> 8));
        out.push_back(static_cast<char>(payload.size() & 0xFF));
    } else {
        out.push_back(static_cast<char>(0x80 | 127));
        for (int i = 0; i < 8; ++i) {
            out.push_back(static_cast<char>(static_cast<std::uint64_t>(payload.size()) >> (56 - 8 * i)));
        }
    }
    const char key[4] = {static_cast<char>(mask >> 24), static_cast<char>(mask >> 16), static_cast<char>(mask >> 8),
                         static_cast<char>(mask)};
    out.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        out.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
    }
    return out;
}

Parsed
parse(std::string& bytes, Frame& frame, std::size_t& used, std::uint16_t& code, std::size_t max = 64 * 1024)
{
    return parse_frame(bytes.data(), bytes.size(), max, frame, used, code);
}

}  // namespace

TEST_CASE("write_header picks the 7, 16 and 64 bit lengths")
{
    std::uint8_t h[kMaxHeader];
    CHECK(write_header(h, Opcode::kText, 5) == 2);
    CHECK(h[0] == 0x81);
    CHECK(h[1] == 5);
    CHECK(write_header(h, Opcode::kText, 300) == 4);
    CHECK(h[1] == 126);
    CHECK(((h[2] << 8) | h[3]) == 300);
    CHECK(write_header(h, Opcode::kClose, 70000) == 10);
    CHECK(h[0] == 0x88);
    CHECK(h[1] == 127);
    CHECK(h[7] == 0x01);
    CHECK(h[8] == 0x11);
    CHECK(h[9] == 0x70);
}

TEST_CASE("a masked client frame is unmasked in place")
{
    auto bytes = client_frame(0x81, R"({"message":"hi"})") + "rest";
    Frame f;
    std::size_t used = 0;
    std::uint16_t code = 0;
    REQUIRE(parse(bytes, f, used, code) == Parsed::kFrame);
    CHECK(f.fin);
    CHECK(f.op == Opcode::kText);
    CHECK(f.payload == R"({"message":"hi"})");
    CHECK(used == bytes.size() - 4);
}

TEST_CASE("a frame cut anywhere asks for more")
{
    const auto whole = client_frame(0x81, std::string(300, 'a'));
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
        auto part = whole.substr(0, cut);
        Frame f;
        std::size_t used = 0;
        std::uint16_t code = 0;
        CHECK(parse(part, f, used, code) == Parsed::kNeedMore);
    }
}

TEST_CASE("protocol errors and the size limit")
{
    Frame f;
    std::size_t used = 0;
    std::uint16_t code = 0;
    SUBCASE("an unmasked frame")
    {
        std::string bytes = "\x81\x02hi";
        CHECK(parse(bytes, f, used, code) == Parsed::kError);
        CHECK(code == kCloseProtocolError);
    }
    SUBCASE("an RSV bit")
    {
        auto bytes = client_frame(0xC1, "hi");
        CHECK(parse(bytes, f, used, code) == Parsed::kError);
        CHECK(code == kCloseProtocolError);
    }
    SUBCASE("an unknown opcode")
    {
        auto bytes = client_frame(0x83, "hi");
        CHECK(parse(bytes, f, used, code) == Parsed::kError);
    }
    SUBCASE("a fragmented ping")
    {
        auto bytes = client_frame(0x09, "hi");
        CHECK(parse(bytes, f, used, code) == Parsed::kError);
    }
    SUBCASE("too big is known from the header alone")
    {
        auto bytes = client_frame(0x81, std::string(1024 * 1024, 'x')).substr(0, 14);
        CHECK(parse(bytes, f, used, code) == Parsed::kError);
        CHECK(code == kCloseTooBig);
    }
}

TEST_CASE("close_body carries the code and a short reason")
{
    const auto body = close_body(1008, std::string(200, 'r'));
    CHECK(body.size() == 125);
    CHECK(static_cast<std::uint8_t>(body[0]) == 0x03);
    CHECK(static_cast<std::uint8_t>(body[1]) == 0xF0);
}

TEST_CASE("close_reply echoes a valid close code and refuses the rest") {
    const auto body = [](std::uint16_t code, std::string_view reason = "") { return close_body(code, reason); };
    CHECK(close_reply("") == kCloseNormal);
    CHECK(close_reply(body(1000, "bye")) == 1000);
    CHECK(close_reply(body(1001)) == 1001);
    CHECK(close_reply(body(1011)) == 1011);
    CHECK(close_reply(body(3000)) == 3000);
    CHECK(close_reply(body(4999)) == 4999);
    CHECK(close_reply(std::string(1, '\x03')) == kCloseProtocolError);  // half a code
    for (const std::uint16_t reserved : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
        CAPTURE(reserved);
        CHECK(close_reply(body(reserved)) == kCloseProtocolError);
    }
    CHECK(close_reply(body(1000, "\xff\xfe")) == kCloseBadData);
}

TEST_CASE("valid_utf8")
{
    CHECK(valid_utf8("plain ascii, long enough to take the fast path"));
    CHECK(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xB5"));
    CHECK_FALSE(valid_utf8("\xC3"));
    CHECK_FALSE(valid_utf8("\xC0\xAF"));          // overlong
    CHECK_FALSE(valid_utf8("\xED\xA0\x80"));      // a surrogate
    CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    CHECK_FALSE(valid_utf8("abcdefgh\xFF"));
}

// Generated inputs, from fixed seeds so a failure repeats.

TEST_CASE("random bytes never make the parser read or claim past its buffer")
{
    std::mt19937 rng(6455);
    std::string bytes;
    for (int round = 0; round < 200000; ++round) {
        bytes.resize(rng() % 40);
        for (auto& c : bytes) {
            c = static_cast<char>(rng());
        }
        if (!bytes.empty() && rng() % 2 == 0) {
            bytes[0] = static_cast<char>((bytes[0] & 0x8F) | 0x80);  // no RSV, FIN: reach the length logic more often
        }
        if (bytes.size() > 1 && rng() % 2 == 0) {
            bytes[1] = static_cast<char>(bytes[1] | 0x80);  // masked
        }
        Frame f;
        std::size_t used = 0;
        std::uint16_t code = 0;
        const auto result = parse(bytes, f, used, code, 16);
        if (result == Parsed::kFrame) {
            REQUIRE(used <= bytes.size());
            REQUIRE(f.payload.data() >= bytes.data());
            REQUIRE(f.payload.data() + f.payload.size() <= bytes.data() + used);
            if (static_cast<std::uint8_t>(f.op) >= 0x8) {
                REQUIRE(f.fin);
                REQUIRE(f.payload.size() <= 125);  // control frames have their own limit
            } else {
                REQUIRE(f.payload.size() <= 16);
            }
        } else if (result == Parsed::kError) {
            REQUIRE((code == kCloseProtocolError || code == kCloseTooBig || code == kCloseBadData));
        }
    }
}

TEST_CASE("a stream of random client frames, read in random pieces, gives back every payload")
{
    std::mt19937 rng(1006);
    for (int round = 0; round < 300; ++round) {
        std::vector<std::string> sent;
        std::string wire;
        const int frames = 1 + static_cast<int>(rng() % 20);
        for (int i = 0; i < frames; ++i) {
            const std::size_t sizes[] = {0, 1, 125, 126, 127, 65535, 65536, 70000};
            const std::size_t size = rng() % 3 == 0 ? sizes[rng() % 8] : rng() % 300;
            std::string payload(size, '\0');
            for (auto& c : payload) {
                c = static_cast<char>(rng());
            }
            wire += client_frame(0x82, payload, static_cast<std::uint32_t>(rng()));
            sent.push_back(std::move(payload));
        }
        std::vector<std::string> received;
        std::string buffer;
        std::size_t offset = 0;
        while (offset < wire.size()) {
            const std::size_t piece = std::min<std::size_t>(1 + rng() % 9000, wire.size() - offset);
            buffer.append(wire, offset, piece);
            offset += piece;
            for (;;) {
                Frame f;
                std::size_t used = 0;
                std::uint16_t code = 0;
                const auto result = parse(buffer, f, used, code, 128 * 1024);
                REQUIRE(result != Parsed::kError);
                if (result == Parsed::kNeedMore) {
                    break;
                }
                received.emplace_back(f.payload);
                buffer.erase(0, used);
            }
        }
        CHECK(buffer.empty());
        REQUIRE(received.size() == sent.size());
        for (std::size_t i = 0; i < sent.size(); ++i) {
            REQUIRE(received[i] == sent[i]);
        }
    }
}

TEST_CASE("valid_utf8 agrees with Boost.JSON's UTF-8 check on random text")
{
    std::mt19937 rng(3629);
    // Bytes that steer towards multi-byte sequences, valid and broken; no quote, backslash or
    // control character, so the JSON string is only a UTF-8 question.
    const unsigned char pool[] = {'a', 'z', '0', ' ', 0x7F, 0x80, 0x8F, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                  0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF};
    int valid = 0;
    for (int round = 0; round < 100000; ++round) {
        std::string text(rng() % 8, ' ');
        for (auto& c : text) {
            c = static_cast<char>(pool[rng() % sizeof(pool)]);
        }
        boost::system::error_code ec;
        boost::json::parse("\"" + text + "\"", ec);
        INFO("text bytes: " << doctest::toString(text.size()));
        REQUIRE(valid_utf8(text) == !ec);
        valid += ec ? 0 : 1;
    }
    CHECK(valid > 1000);  // the pool does reach valid multi-byte text
}
