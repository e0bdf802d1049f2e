#pragma once
// What a license tier lets the licensee do: the numbers printed in the agreement. A producer sets
// them per tier (basic, premium, unlimited, exclusive); until then the defaults below apply. An
// empty optional means unlimited.
#include "core/error.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace bb::agreements {

struct Terms {
    std::string tier;
    std::optional<std::int64_t> distribution_copies;
    std::optional<std::int64_t> audio_streams;
    std::optional<std::int64_t> music_videos;
    std::optional<std::int64_t> paid_performances;
    std::string credit_line;  // "{producer}" becomes the producer's artist name
    std::string extra_terms;
    bool custom = false;      // set by the producer (else the defaults)
};

bool is_tier(std::string_view tier);
Terms default_terms(std::string_view tier);
// Reads a PUT body over the current terms: numbers are 0..10^12 or null (unlimited); a 422
// names each field that is wrong.
core::Result<Terms> terms_from_json(const boost::json::object& body, Terms current);
boost::json::object terms_json(const Terms& terms);
// "10,000" or "Unlimited".
std::string amount_text(const std::optional<std::int64_t>& n);

}  // namespace bb::agreements
