#include "http/query.hpp"

#include <charconv>

namespace bb::http {

int
QueryInput::limit()
{
    auto n = integer("limit", 1, 1000000);
    return n ? static_cast<int>(std::min<std::int64_t>(*n, 100)) : 20;
}

std::optional<std::string>
QueryInput::text(std::string_view name, std::size_t max_len)
{
    auto v = req_.query_param(name);
    if (!v || v->empty()) {
        return std::nullopt;
    }
    if (v->size() > max_len) {
        problems_[name] = "must be at most " + std::to_string(max_len) + " characters";
        return std::nullopt;
    }
    return std::string(*v);
}

std::optional<std::int64_t>
QueryInput::integer(std::string_view name, std::int64_t min, std::int64_t max)
{
    auto v = req_.query_param(name);
    if (!v || v->empty()) {
        return std::nullopt;
    }
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size()) {
        problems_[name] = "must be a whole number";
        return std::nullopt;
    }
    if (n < min || n > max) {
        problems_[name] = "must be between " + std::to_string(min) + " and " + std::to_string(max);
        return std::nullopt;
    }
    return n;
}

std::optional<std::string>
QueryInput::one_of(std::string_view name, std::initializer_list<std::string_view> allowed)
{
    auto v = text(name);
    if (!v) {
        return std::nullopt;
    }
    for (auto a : allowed) {
        if (*v == a) {
            return v;
        }
    }
    std::string list;
    for (auto a : allowed) {
        list += (list.empty() ? "" : ", ") + std::string(a);
    }
    problems_[name] = "must be one of " + list;
    return std::nullopt;
}

std::optional<core::Error>
QueryInput::error() const
{
    if (problems_.empty()) {
        return std::nullopt;
    }
    return core::invalid_fields(problems_);
}

core::Result<Page>
read_page(const Request& req)
{
    QueryInput in(req);
    Page page{in.limit(), in.text("cursor", 1000)};
    if (auto e = in.error()) {
        return *e;
    }
    return page;
}

}  // namespace bb::http
