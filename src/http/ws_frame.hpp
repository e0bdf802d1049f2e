#pragma once
// RFC 6455 framing, server side, without Beast's websocket::stream: the header of a frame we send
// (unmasked) and a parser for the frames clients send (masked). Beast's stream keeps about 2 KiB
// of state and a 4 KiB write buffer per connection and writes one message per operation; owning
// the frames lets an idle connection hold no buffer at all and a busy one write its whole queue in
// one system call. Pure functions: tested in tests/unit/http/ws_frame_test.cpp.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bb::http::ws {

enum class Opcode : std::uint8_t {
    kContinuation = 0x0,
    kText = 0x1,
    kBinary = 0x2,
    kClose = 0x8,
    kPing = 0x9,
    kPong = 0xA,
};

// Close codes (RFC 6455 section 7.4.1) that the server sends.
constexpr std::uint16_t kCloseNormal = 1000;
constexpr std::uint16_t kCloseProtocolError = 1002;
constexpr std::uint16_t kCloseBadData = 1007;
constexpr std::uint16_t kClosePolicy = 1008;
constexpr std::uint16_t kCloseTooBig = 1009;

constexpr std::size_t kMaxHeader = 10;  // what write_header may write

// Writes the header of a final, unmasked frame carrying `payload` bytes; returns its length.
std::size_t write_header(std::uint8_t* out, Opcode op, std::size_t payload);

// The body of a close frame: the code, then the reason cut to fit a control frame.
std::string close_body(std::uint16_t code, std::string_view reason);

bool valid_utf8(std::string_view text);

// The code to answer a client's close frame (its payload) with: its own code, as RFC 6455 5.5.1
// asks; 1000 when it gave none; 1002 for a one-byte body or a code no endpoint may send (1005
// and 1006 among them, 7.4.1); 1007 for a reason that is not UTF-8.
std::uint16_t close_reply(std::string_view payload);

struct Frame {
    bool fin = false;
    Opcode op = Opcode::kText;
    std::string_view payload;  // unmasked, in the caller's buffer
};

enum class Parsed {
    kFrame,     // `frame` is set and `used` bytes were consumed
    kNeedMore,  // the buffer ends inside a frame: keep it and read more
    kError,     // the peer broke the protocol or the size limit: close with `close_code`
};

// Parses the frame at the start of data[0, size), unmasking its payload in place. A frame longer
// than max_payload fails from its header alone, before its payload has arrived.
Parsed parse_frame(char* data, std::size_t size, std::size_t max_payload, Frame& frame, std::size_t& used,
                   std::uint16_t& close_code);

}  // namespace bb::http::ws
