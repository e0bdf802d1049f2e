#include "core/log.hpp"

#include "core/clock.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>

namespace bb::core::log {
namespace {

std::atomic<Format> g_format{Format::kJson};
std::atomic<Level> g_min_level{Level::kInfo};
// Points at the request id owned by the RequestScope creator, which outlives the scope.
thread_local std::string_view t_request_id;

std::string_view
level_name(Level level)
{
    switch (level) {
        case Level::kDebug: return "debug";
        case Level::kInfo: return "info";
        case Level::kWarn: return "warn";
        case Level::kError: return "error";
    }
    return "info";
}

void
write_line(std::string& line)
{
    line.push_back('\n');
    // One write(2) per record: lines from different threads never interleave.
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
        if (n <= 0) {
            return;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace

void
configure(Format format, Level min_level)
{
    g_format = format;
    g_min_level = min_level;
}

bool
enabled(Level level)
{
    return level >= g_min_level.load(std::memory_order_relaxed);
}

void
write(Level level, std::string_view module, std::string_view msg, const boost::json::object& fields)
{
    if (!enabled(level)) {
        return;
    }
    std::string line;
    if (g_format == Format::kJson) {
        boost::json::object record;
        record["time"] = clock::rfc3339_ms(clock::now_ms());
        record["level"] = level_name(level);
        record["msg"] = msg;
        record["module"] = module;
        if (!t_request_id.empty()) {
            record["request_id"] = t_request_id;
        }
        if (!fields.empty()) {
            record["fields"] = fields;
        }
        line = boost::json::serialize(record);
    } else {
        line = fmt::format("{} {:<5} [{}] {}", clock::rfc3339_ms(clock::now_ms()), level_name(level), module, msg);
        if (!t_request_id.empty()) {
            line += fmt::format(" request_id={}", t_request_id);
        }
        for (const auto& [key, value] : fields) {
            line += fmt::format(" {}={}", std::string_view(key),
                                value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value));
        }
    }
    write_line(line);
}

RequestScope::RequestScope(std::string_view request_id) : previous_(t_request_id)
{
    t_request_id = request_id;
}

RequestScope::~RequestScope()
{
    t_request_id = previous_;
}

std::string_view
current_request_id()
{
    return t_request_id;
}

}  // namespace bb::core::log
