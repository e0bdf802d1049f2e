#include "core/cursor.hpp"

#include "core/crypto.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <bit>
#include <cstdint>

namespace bb::core {
namespace {

constexpr std::size_t kTagBytes = 12;

std::string
tag(std::string_view payload, std::string_view secret)
{
    return crypto::hmac_sha256(std::string(secret) + "/cursor", payload).substr(0, kTagBytes);
}

Error
invalid_cursor()
{
    return bad_request("invalid_cursor", "the cursor was not issued by this server (or the list changed shape)");
}

}  // namespace

std::string
encode_cursor(const boost::json::object& position, std::string_view secret)
{
    const std::string payload = boost::json::serialize(position);
    return crypto::base64url(payload) + "." + crypto::base64url(tag(payload, secret));
}

Result<boost::json::object>
decode_cursor(std::string_view cursor, std::string_view secret)
{
    const auto dot = cursor.find('.');
    std::string payload;
    std::string mac;
    if (dot == std::string_view::npos || !crypto::base64url_decode(cursor.substr(0, dot), payload) ||
        !crypto::base64url_decode(cursor.substr(dot + 1), mac) ||
        !crypto::equal_constant_time(mac, tag(payload, secret))) {
        return invalid_cursor();
    }
    boost::system::error_code ec;
    auto value = boost::json::parse(payload, ec);
    if (ec || !value.is_object()) {
        return invalid_cursor();
    }
    return std::move(value.as_object());
}

boost::json::value
exact_double(double v)
{
    return std::bit_cast<std::int64_t>(v);
}

std::optional<double>
exact_double(const boost::json::value& v)
{
    if (!v.is_int64()) {
        return std::nullopt;
    }
    return std::bit_cast<double>(v.as_int64());
}

Result<std::string>
page_before(const std::optional<std::string>& cursor, std::string_view secret)
{
    if (!cursor) {
        return std::string("\x7f");
    }
    auto position = decode_cursor(*cursor, secret);
    if (!position || !position->contains("before") || !position->at("before").is_string()) {
        return invalid_cursor();
    }
    return std::string(position->at("before").as_string());
}

std::string
next_page_before(const std::string& last_id, std::string_view secret)
{
    return encode_cursor({{"before", last_id}}, secret);
}

}  // namespace bb::core
