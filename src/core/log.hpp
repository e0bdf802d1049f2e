#pragma once
// Structured logging: one JSON line per record (time, level, msg, module, request_id, fields),
// or a readable text line. Writes are whole lines, so threads never interleave.
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace bb::core::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kJson, kText };

void configure(Format format, Level min_level);
bool enabled(Level level);

void write(Level level, std::string_view module, std::string_view msg, const boost::json::object& fields = {});
inline void debug(std::string_view m, std::string_view msg, const boost::json::object& f = {}) { write(Level::kDebug, m, msg, f); }
inline void info(std::string_view m, std::string_view msg, const boost::json::object& f = {}) { write(Level::kInfo, m, msg, f); }
inline void warn(std::string_view m, std::string_view msg, const boost::json::object& f = {}) { write(Level::kWarn, m, msg, f); }
inline void error(std::string_view m, std::string_view msg, const boost::json::object& f = {}) { write(Level::kError, m, msg, f); }

// Tags every record written on this thread with a request id while it lives. The id is not
// copied: it must outlive the scope.
class RequestScope {
public:
    explicit RequestScope(std::string_view request_id);
    ~RequestScope();
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;

private:
    std::string_view previous_;
};

std::string_view current_request_id();

}  // namespace bb::core::log
