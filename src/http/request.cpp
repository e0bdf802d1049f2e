#include "http/request.hpp"

#include <boost/algorithm/string/predicate.hpp>

namespace bb::http {

std::string_view
Request::header(std::string_view name) const
{
    for (const auto& [key, value] : headers) {
        if (boost::algorithm::iequals(key, name)) {
            return value;
        }
    }
    return {};
}

std::string_view
Request::param(std::string_view name) const
{
    for (const auto& [key, value] : params) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

std::optional<std::string_view>
Request::query_param(std::string_view name) const
{
    for (const auto& [key, value] : query) {
        if (key == name) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

}  // namespace bb::http
