#pragma once
// Wall-clock time as the API shows it: Unix milliseconds inside, RFC 3339 UTC outside.
#include <cstdint>
#include <string>

namespace bb::core::clock {

std::int64_t now_ms();
std::string rfc3339(std::int64_t unix_ms);     // 2026-11-21T10:00:00Z
std::string rfc3339_ms(std::int64_t unix_ms);  // 2026-11-21T10:00:00.123Z (logs)

}  // namespace bb::core::clock
