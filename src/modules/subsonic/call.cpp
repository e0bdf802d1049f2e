#include "modules/subsonic/call.hpp"

#include <boost/url/parse_query.hpp>

#include <charconv>

namespace bb::subsonic {

Params
Params::of(const http::Request& req)
{
    Params p;
    p.values_ = req.query;
    // formPost: the same parameters as a form body, so long lists and secrets stay out of URLs.
    if (req.method == "POST" && req.header("Content-Type").starts_with("application/x-www-form-urlencoded")) {
        if (auto form = boost::urls::parse_query(req.body)) {
            const boost::urls::encoding_opts plus_is_space(true, false, false);
            for (auto param : *form) {
                p.values_.emplace_back(param.key.decode(plus_is_space), param.value.decode(plus_is_space));
            }
        }
    }
    return p;
}

std::optional<std::string>
Params::get(std::string_view name) const
{
    for (const auto& [key, value] : values_) {
        if (key == name) {
            return value;
        }
    }
    return std::nullopt;
}

std::vector<std::string>
Params::all(std::string_view name) const
{
    std::vector<std::string> out;
    for (const auto& [key, value] : values_) {
        if (key == name) {
            out.push_back(value);
        }
    }
    return out;
}

void
throw_exception_from_error(const Fault& fault, const boost::source_location&)
{
    throw std::runtime_error("subsonic fault " + std::to_string(fault.code) + ": " + fault.message);
}

Fault
missing(std::string_view parameter)
{
    return {10, "Required parameter is missing: " + std::string(parameter)};
}

Fault
invalid(std::string_view parameter, std::string_view problem)
{
    return {0, "Parameter " + std::string(parameter) + " " + std::string(problem)};
}

Fault
not_found(std::string_view what)
{
    return {70, std::string(what) + " not found"};
}

Fault
not_allowed(std::string message)
{
    return {50, std::move(message)};
}

Checked<std::string>
required(const Params& params, std::string_view name)
{
    auto v = params.get(name);
    if (!v || v->empty()) {
        return missing(name);
    }
    return *v;
}

Checked<std::optional<std::int64_t>>
optional_integer(const Params& params, std::string_view name, std::int64_t min, std::int64_t max)
{
    auto v = params.get(name);
    if (!v || v->empty()) {
        return std::optional<std::int64_t>();
    }
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || end != v->data() + v->size()) {
        return invalid(name, "must be a whole number");
    }
    if (n < min || n > max) {
        return invalid(name, "must be from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return std::optional<std::int64_t>(n);
}

Checked<std::int64_t>
integer(const Params& params, std::string_view name, std::int64_t fallback, std::int64_t min, std::int64_t max)
{
    auto v = optional_integer(params, name, min, max);
    if (!v) {
        return v.error();
    }
    return v->value_or(fallback);
}

Checked<std::optional<bool>>
boolean(const Params& params, std::string_view name)
{
    auto v = params.get(name);
    if (!v || v->empty()) {
        return std::optional<bool>();
    }
    if (*v == "true" || *v == "1") {
        return std::optional<bool>(true);
    }
    if (*v == "false" || *v == "0") {
        return std::optional<bool>(false);
    }
    return invalid(name, "must be true or false");
}

}  // namespace bb::subsonic
