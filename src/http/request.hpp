#pragma once
// The request as modules see it: no Beast types, so handlers are plain functions that tests can
// call without a socket. Views point into the server's buffers and live as long as the call.
#include "http/upload.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bb::http {

struct Principal {
    std::string user_id;
    std::string session_id;
    std::string role;  // "user" or "admin"
    bool is_admin() const { return role == "admin"; }
};

struct Request {
    std::string_view method;
    std::string_view target;  // path and query as sent
    std::string path;         // percent-decoded path
    std::vector<std::pair<std::string, std::string>> query;         // decoded
    std::vector<std::pair<std::string_view, std::string_view>> headers;
    std::vector<std::pair<std::string, std::string>> params;        // from the route pattern
    std::string_view body;
    std::string client_addr;
    std::string request_id;
    std::optional<Principal> principal;  // set when a valid bearer token came with the request
    std::shared_ptr<Upload> upload;      // on Body::kMultipart routes: the parsed form

    std::string_view header(std::string_view name) const;  // case-insensitive; "" when absent
    std::string_view param(std::string_view name) const;
    std::optional<std::string_view> query_param(std::string_view name) const;
    // The caller's principal; only valid on routes declared with Auth::kRequired.
    const Principal& user() const { return *principal; }
};

}  // namespace bb::http
