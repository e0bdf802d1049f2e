#pragma once
// Writes a Response as HTTP/1.1 bytes in one buffer: one allocation and one send per answer,
// instead of a field list and a serializer. Requests are still parsed by Beast.
#include "http/response.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace bb::http {

struct WireOptions {
    bool keep_alive = true;
    bool head = false;      // the length of the body, but not the body
    bool http10 = false;    // an HTTP/1.0 client must be told keep-alive explicitly
    std::optional<std::uint64_t> content_length;  // a file sent after the header: its length
};

std::string to_wire(const Response& res, const WireOptions& options);

}  // namespace bb::http
