#pragma once
// Wall-clock time as the API shows it: Unix milliseconds inside, RFC 3339 UTC outside.
#include <cstdint>
#include <optional>
#include <string_view>
#include <string>

namespace bb::core::clock {

std::int64_t now_ms();
std::string rfc3339(std::int64_t unix_ms);     // 2026-11-21T10:00:00Z
std::string rfc3339_ms(std::int64_t unix_ms);  // 2026-11-21T10:00:00.123Z (logs)
// "2026-11-21T10:00:00Z", with optional fractional seconds and a "+hh:mm"/"-hh:mm" offset instead
// of Z; nullopt for anything else (or an impossible date).
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace bb::core::clock
