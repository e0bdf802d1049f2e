#include "http/ws_frame.hpp"

#include <cstring>

namespace bb::http::ws {

std::size_t
write_header(std::uint8_t* out, Opcode op, std::size_t payload)
{
    out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(op));  // FIN, no extensions
    if (payload < 126) {
        out[1] = static_cast<std::uint8_t>(payload);
        return 2;
    }
    if (payload <= 0xFFFF) {
        out[1] = 126;
        out[2] = static_cast<std::uint8_t>(payload >> 8);
        out[3] = static_cast<std::uint8_t>(payload);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i) {
        out[2 + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(payload) >> (56 - 8 * i));
    }
    return 10;
}

std::string
close_body(std::uint16_t code, std::string_view reason)
{
    std::string body;
    body.push_back(static_cast<char>(code >> 8));
    body.push_back(static_cast<char>(code & 0xFF));
    body.append(reason.substr(0, 123));  // a control frame carries at most 125 bytes
    return body;
}

std::uint16_t
close_reply(std::string_view payload)
{
    if (payload.empty()) {
        return kCloseNormal;
    }
    if (payload.size() == 1) {
        return kCloseProtocolError;
    }
    const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                                 static_cast<std::uint8_t>(payload[1]));
    // Defined by the RFC or registered with IANA (1012-1014), or left to applications (3000-4999).
    const bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                          (code >= 3000 && code <= 4999);
    if (!sendable) {
        return kCloseProtocolError;
    }
    if (!valid_utf8(payload.substr(2))) {
        return kCloseBadData;
    }
    return code;
}

bool
valid_utf8(std::string_view text)
{
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        // Eight ASCII bytes at a time: chat and room messages are mostly ASCII.
        if (i + 8 <= n) {
            std::uint64_t word;
            std::memcpy(&word, s + i, 8);
            if ((word & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) {
                lo = 0xA0;  // no overlong forms
            } else if (c == 0xED) {
                hi = 0x9F;  // no UTF-16 surrogates
            }
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) {
                lo = 0x90;
            } else if (c == 0xF4) {
                hi = 0x8F;  // nothing above U+10FFFF
            }
        } else {
            return false;
        }
        if (i + len > n || s[i + 1] < lo || s[i + 1] > hi) {
            return false;
        }
        for (std::size_t k = 2; k < len; ++k) {
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) {
                return false;
            }
        }
        i += len;
    }
    return true;
}

Parsed
parse_frame(char* data, std::size_t size, std::size_t max_payload, Frame& frame, std::size_t& used,
            std::uint16_t& close_code)
{
    if (size < 2) {
        return Parsed::kNeedMore;
    }
    const auto b0 = static_cast<std::uint8_t>(data[0]);
    const auto b1 = static_cast<std::uint8_t>(data[1]);
    const auto op = static_cast<std::uint8_t>(b0 & 0x0F);
    const bool control = (op & 0x08) != 0;
    const bool known = op <= 0x2 || (op >= 0x8 && op <= 0xA);
    // No extension was negotiated, so no RSV bit may be set; clients must mask every frame.
    if ((b0 & 0x70) != 0 || (b1 & 0x80) == 0 || !known) {
        close_code = kCloseProtocolError;
        return Parsed::kError;
    }
    std::uint64_t length = b1 & 0x7F;
    std::size_t header = 2;
    if (length == 126) {
        if (size < 4) {
            return Parsed::kNeedMore;
        }
        length = (static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[2])) << 8) |
                 static_cast<std::uint8_t>(data[3]);
        header = 4;
    } else if (length == 127) {
        if (size < 10) {
            return Parsed::kNeedMore;
        }
        length = 0;
        for (int i = 0; i < 8; ++i) {
            length = (length << 8) | static_cast<std::uint8_t>(data[2 + i]);
        }
        header = 10;
    }
    if (control && (length > 125 || (b0 & 0x80) == 0)) {
        close_code = kCloseProtocolError;  // control frames are short and never fragmented
        return Parsed::kError;
    }
    if (!control && length > max_payload) {
        close_code = kCloseTooBig;
        return Parsed::kError;
    }
    if (size < header + 4 + length) {
        return Parsed::kNeedMore;
    }
    const char* mask = data + header;
    char* payload = data + header + 4;
    for (std::size_t i = 0; i < length; ++i) {
        payload[i] = static_cast<char>(payload[i] ^ mask[i & 3]);
    }
    frame.fin = (b0 & 0x80) != 0;
    frame.op = static_cast<Opcode>(op);
    frame.payload = std::string_view(payload, static_cast<std::size_t>(length));
    used = header + 4 + static_cast<std::size_t>(length);
    return Parsed::kFrame;
}

}  // namespace bb::http::ws
