#pragma once
// A small blocking HTTP/1.1 client (Beast, with OpenSSL for https: certificates verified against
// the system's roots, SNI set). One request per connection; a deadline covers resolve, connect,
// TLS handshake, write and read. Used from the blocking pool, never from a network thread.
#include "core/error.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace bb::http {

struct ClientRequest {
    std::string method = "POST";
    std::string url;  // http://host:port/path or https://...
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{10000};
};

struct ClientResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// Fails (core::Code::kUnavailable, slug "upstream_unavailable") on timeouts, refused
// connections, TLS and protocol errors; any HTTP status is a success at this level.
// Also fails so for a bad URL (only http/https), an unknown method, a header with CR/LF, and a
// response body over 1 MiB. Sends Host, User-Agent and "Connection: close" (a request header of
// the same name replaces them) and Content-Length for the body. The deadline bounds everything
// but a DNS lookup already under way, which the system resolver's own timeout bounds. Each call
// runs its own io_context on the calling thread; calls on different threads are independent.
core::Result<ClientResponse> send(const ClientRequest& request);

// application/x-www-form-urlencoded, as Stripe's API takes it (the WHATWG serializer: ASCII
// alphanumerics and *-._ as they are, space as '+', every other byte as %XX), pairs joined by '&'.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace bb::http
