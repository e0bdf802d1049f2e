#include "http/file_response.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <charconv>
#include <ctime>

namespace bb::http {
namespace {

std::string
http_date(std::time_t t)
{
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

struct ByteRange {
    std::uint64_t start = 0;
    std::uint64_t end = 0;  // inclusive
};

enum class RangeKind { kNone, kOne, kMany, kUnsatisfiable };

bool
parse_number(std::string_view s, std::uint64_t& out)
{
    if (s.empty()) {
        return false;
    }
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && ptr == s.data() + s.size();
}

// RFC 9110 14.2. A header we cannot read is ignored (the whole file is sent), as the RFC allows.
RangeKind
parse_range(std::string_view header, std::uint64_t size, ByteRange& out)
{
    if (!header.starts_with("bytes=")) {
        return RangeKind::kNone;
    }
    header.remove_prefix(6);
    int specs = 0;
    bool any_satisfiable = false;
    while (!header.empty()) {
        auto comma = header.find(',');
        auto spec = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        while (!spec.empty() && spec.front() == ' ') {
            spec.remove_prefix(1);
        }
        while (!spec.empty() && spec.back() == ' ') {
            spec.remove_suffix(1);
        }
        auto dash = spec.find('-');
        if (dash == std::string_view::npos) {
            return RangeKind::kNone;
        }
        ByteRange r;
        std::uint64_t first = 0;
        std::uint64_t last = 0;
        if (dash == 0) {  // suffix: the last N bytes
            if (!parse_number(spec.substr(1), last)) {
                return RangeKind::kNone;
            }
            if (last == 0 || size == 0) {
                ++specs;
                continue;
            }
            r.start = last >= size ? 0 : size - last;
            r.end = size - 1;
        } else {
            if (!parse_number(spec.substr(0, dash), first)) {
                return RangeKind::kNone;
            }
            const auto tail = spec.substr(dash + 1);
            if (tail.empty()) {
                last = size == 0 ? 0 : size - 1;
            } else if (!parse_number(tail, last) || last < first) {
                return RangeKind::kNone;
            }
            if (first >= size) {
                ++specs;
                continue;
            }
            r.start = first;
            r.end = std::min(last, size - 1);
        }
        ++specs;
        any_satisfiable = true;
        out = r;
    }
    if (specs == 0) {
        return RangeKind::kNone;
    }
    if (!any_satisfiable) {
        return RangeKind::kUnsatisfiable;
    }
    return specs == 1 ? RangeKind::kOne : RangeKind::kMany;
}

}  // namespace

Reply
serve_file(const Request& req, const std::string& path, const FileOptions& options)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return core::not_found("file");
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const std::string etag = fmt::format("\"{:x}-{:x}\"", size, static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000ULL +
                                                                     static_cast<std::uint64_t>(st.st_mtim.tv_nsec));
    const std::string last_modified = http_date(st.st_mtime);

    Response res;
    res.content_type = std::string(options.mime);
    res.with_header("Accept-Ranges", "bytes");
    res.with_header("ETag", etag);
    res.with_header("Last-Modified", last_modified);
    res.with_header("Cache-Control", options.cache_control);
    // Nothing uploaded may ever run as one of our pages.
    res.with_header("Content-Security-Policy", "sandbox; default-src 'none'");
    if (!options.download_name.empty()) {
        std::string safe;
        for (char c : options.download_name) {
            safe.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_');
        }
        // An ASCII fallback, and the real name in UTF-8 (RFC 6266 / 8187).
        std::string encoded;
        for (unsigned char c : options.download_name) {
            if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
                encoded.push_back(static_cast<char>(c));
            } else {
                encoded += fmt::format("%{:02X}", c);
            }
        }
        res.with_header("Content-Disposition", "attachment; filename=\"" + safe + "\"; filename*=UTF-8''" + encoded);
    }

    const auto if_none_match = req.header("If-None-Match");
    if (!if_none_match.empty() && (if_none_match == "*" || if_none_match.find(etag) != std::string_view::npos)) {
        res.status = 304;
        res.content_type.clear();
        return res;
    }

    ByteRange range;
    auto range_header = req.header("Range");
    auto kind = range_header.empty() ? RangeKind::kNone : parse_range(range_header, size, range);
    if (kind != RangeKind::kNone) {
        // If-Range: the range applies only if the client's copy is still this one.
        auto if_range = req.header("If-Range");
        if (!if_range.empty() && if_range != etag && if_range != last_modified) {
            kind = RangeKind::kNone;
        }
    }
    switch (kind) {
        case RangeKind::kOne:
            res.status = 206;
            res.with_header("Content-Range", fmt::format("bytes {}-{}/{}", range.start, range.end, size));
            res.file = FileBody{path, range.start, range.end - range.start + 1};
            return res;
        case RangeKind::kUnsatisfiable: {
            Response refused = Response::error(core::Error{core::Code::kRangeNotSatisfiable, "range_not_satisfiable",
                                                           fmt::format("the file has {} bytes", size), {}});
            refused.with_header("Content-Range", fmt::format("bytes */{}", size));
            return refused;
        }
        case RangeKind::kMany:  // several ranges: the whole file, no more costly than one full answer
        case RangeKind::kNone:
            res.status = 200;
            res.file = FileBody{path, 0, size};
            return res;
    }
    return res;
}

}  // namespace bb::http
