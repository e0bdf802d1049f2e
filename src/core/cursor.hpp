#pragma once
// Opaque list cursors: the position (a JSON object) signed with the server's secret, so a cursor
// that we did not issue is refused (400 invalid_cursor) instead of being trusted.
#include "core/error.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace bb::core {

std::string encode_cursor(const boost::json::object& position, std::string_view secret);
Result<boost::json::object> decode_cursor(std::string_view cursor, std::string_view secret);

// A double that must come back bit for bit (a keyset position compared with =): Boost.JSON
// writes and reads doubles with about 1 in 25 off by one unit in the last place, which made a
// relevance page repeat or skip rows of equal score. Carried as its bits.
boost::json::value exact_double(double v);
std::optional<double> exact_double(const boost::json::value& v);

// Lists paged newest first by time-ordered id carry the last id shown: "before" it comes the next
// page. Without a cursor, "\x7f" (after every id).
Result<std::string> page_before(const std::optional<std::string>& cursor, std::string_view secret);
std::string next_page_before(const std::string& last_id, std::string_view secret);

}  // namespace bb::core
