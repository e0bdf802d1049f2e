#pragma once
// The response as modules build it. JSON answers are the common case.
#include "core/error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bb::http {

// Bytes of a file to send after the header (see file_response.hpp).
struct FileBody {
    std::string path;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<FileBody> file;  // sent instead of body

    static Response json(int status, const boost::json::value& value);
    static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
    static Response error(const core::Error& error);
    Response& with_header(std::string name, std::string value);
};

// What handlers return: a response, or an error that the server renders as the API's envelope.
using Reply = core::Result<Response>;

// A service's JSON answer (or its error) as a reply.
Reply json_reply(int status, core::Result<boost::json::object> answer);

}  // namespace bb::http
