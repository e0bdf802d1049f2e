#pragma once
// Answers for files on disk (audio): Range (one range -> 206; several -> the whole file, which
// costs no more than one full answer; unsatisfiable -> 416), ETag and Last-Modified with
// If-None-Match (304) and If-Range, HEAD, nosniff and a sandboxing CSP. The server sends the
// bytes with sendfile, so a slow reader costs only the kernel's socket buffer.
#include "http/request.hpp"
#include "http/response.hpp"

#include <string>
#include <string_view>

namespace bb::http {

struct FileOptions {
    std::string_view mime;
    std::string cache_control = "public, max-age=3600";
    std::string download_name;  // when set: Content-Disposition: attachment
};

Reply serve_file(const Request& req, const std::string& path, const FileOptions& options);

}  // namespace bb::http
