#include "core/clock.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

namespace bb::core::clock {

std::int64_t
now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string
rfc3339(std::int64_t unix_ms)
{
    std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

std::string
rfc3339_ms(std::int64_t unix_ms)
{
    std::string s = rfc3339(unix_ms);
    s.pop_back();
    return fmt::format("{}.{:03}Z", s, unix_ms % 1000);
}

}  // namespace bb::core::clock
