#pragma once
// Opaque list cursors: the position (a JSON object) signed with the server's secret, so a cursor
// that we did not issue is refused (400 invalid_cursor) instead of being trusted.
#include "core/error.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace bb::core {

std::string encode_cursor(const boost::json::object& position, std::string_view secret);
Result<boost::json::object> decode_cursor(std::string_view cursor, std::string_view secret);

}  // namespace bb::core
