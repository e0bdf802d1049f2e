#include "http/wire.hpp"

#include <boost/beast/http/status.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace bb::http {
namespace {

struct DefaultHeader {
    std::string_view name;
    std::string_view line;
};

// Sent on every answer unless the handler set its own (media answers set a stricter CSP).
constexpr std::array<DefaultHeader, 4> kDefaults = {{
    {"X-Content-Type-Options", "X-Content-Type-Options: nosniff\r\n"},
    {"X-Frame-Options", "X-Frame-Options: DENY\r\n"},
    {"Referrer-Policy", "Referrer-Policy: no-referrer\r\n"},
    {"Content-Security-Policy",
     "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
     "media-src 'self' blob:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
     "form-action 'self'\r\n"},
}};

bool
same_name(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Header text comes from our own code, but a stray CR or LF must never split the answer.
void
append_clean(std::string& out, std::string_view text)
{
    for (char c : text) {
        if (c != '\r' && c != '\n') {
            out.push_back(c);
        }
    }
}

}  // namespace

std::string
to_wire(const Response& res, const WireOptions& options)
{
    std::string out;
    out.reserve(512 + (options.head ? 0 : res.body.size()));
    const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(res.status));
    fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\n", res.status, std::string_view(reason.data(), reason.size()));
    if (!res.content_type.empty()) {
        out += "Content-Type: ";
        append_clean(out, res.content_type);
        out += "\r\n";
    }
    const bool no_body = res.status == 204 || res.status == 304 || (res.status >= 100 && res.status < 200);
    if (!no_body) {
        fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", options.content_length.value_or(res.body.size()));
    }
    for (const auto& [name, value] : res.headers) {
        append_clean(out, name);
        out += ": ";
        append_clean(out, value);
        out += "\r\n";
    }
    for (const auto& d : kDefaults) {
        const bool overridden = std::any_of(res.headers.begin(), res.headers.end(),
                                            [&](const auto& h) { return same_name(h.first, d.name); });
        if (!overridden) {
            out += d.line;
        }
    }
    if (!options.keep_alive) {
        out += "Connection: close\r\n";
    } else if (options.http10) {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    if (!options.head && !no_body) {
        out += res.body;
    }
    return out;
}

}  // namespace bb::http
