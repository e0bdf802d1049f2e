#include "http/json_input.hpp"

#include "http/request.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>

namespace bb::http {

core::Result<JsonInput>
JsonInput::parse(const Request& req)
{
    if (boost::algorithm::istarts_with(req.header("Content-Type"), "multipart/")) {
        return core::Error{core::Code::kUnsupportedMedia, "unsupported_media_type",
                           "this endpoint takes a JSON body, not multipart/form-data", {}};
    }
    if (req.body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return JsonInput(boost::json::object{});
    }
    boost::system::error_code ec;
    auto value = boost::json::parse(req.body, ec);
    if (ec) {
        return core::bad_request("invalid_json", "the body is not valid JSON: " + ec.message());
    }
    if (!value.is_object()) {
        return core::bad_request("invalid_json", "the body must be a JSON object");
    }
    return JsonInput(std::move(value.as_object()));
}

void
JsonInput::fail(std::string_view field, std::string problem)
{
    if (!problems_.contains(field)) {
        problems_[field] = std::move(problem);
    }
}

std::optional<std::string>
JsonInput::string(std::string_view field, bool required, std::size_t min_len, std::size_t max_len)
{
    const auto* v = object_.if_contains(field);
    if (v == nullptr || v->is_null()) {
        if (required) {
            fail(field, "is required");
        }
        return std::nullopt;
    }
    if (!v->is_string()) {
        fail(field, "must be a string");
        return std::nullopt;
    }
    std::string s(v->as_string());
    const auto length = static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](unsigned char c) { return (c & 0xc0) != 0x80; }));  // UTF-8 characters
    if (length < min_len) {
        fail(field, min_len == 1 ? "must not be empty" : "must be at least " + std::to_string(min_len) + " characters");
        return std::nullopt;
    }
    if (length > max_len) {
        fail(field, "must be at most " + std::to_string(max_len) + " characters");
        return std::nullopt;
    }
    return s;
}

std::optional<bool>
JsonInput::boolean(std::string_view field, bool required)
{
    const auto* v = object_.if_contains(field);
    if (v == nullptr || v->is_null()) {
        if (required) {
            fail(field, "is required");
        }
        return std::nullopt;
    }
    if (!v->is_bool()) {
        fail(field, "must be true or false");
        return std::nullopt;
    }
    return v->as_bool();
}

std::optional<std::int64_t>
JsonInput::integer(std::string_view field, bool required, std::int64_t min, std::int64_t max)
{
    const auto* v = object_.if_contains(field);
    if (v == nullptr || v->is_null()) {
        if (required) {
            fail(field, "is required");
        }
        return std::nullopt;
    }
    std::int64_t n = 0;
    if (v->is_int64()) {
        n = v->as_int64();
    } else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        n = static_cast<std::int64_t>(v->as_uint64());
    } else {
        fail(field, "must be a whole number");
        return std::nullopt;
    }
    if (n < min || n > max) {
        fail(field, "must be between " + std::to_string(min) + " and " + std::to_string(max));
        return std::nullopt;
    }
    return n;
}

std::optional<core::Error>
JsonInput::error() const
{
    if (problems_.empty()) {
        return std::nullopt;
    }
    return core::invalid_fields(problems_);
}

}  // namespace bb::http
