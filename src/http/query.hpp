#pragma once
// Reading query parameters: lists' limit and cursor, and typed filters, each with a 422 that
// names the parameter when it is wrong.
#include "core/error.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace bb::http {

// A list's ?limit= (default 20, at most 100) and ?cursor=.
struct Page {
    int limit = 20;
    std::optional<std::string> cursor;
};
core::Result<Page> read_page(const Request& req);

// A list answer: reads ?limit= and ?cursor=, then answers list(limit, cursor), a
// Result<json object>, with 200 (or its error).
template <class List>
Reply
list_reply(const Request& req, List&& list)
{
    auto page = read_page(req);
    if (!page) {
        return page.error();
    }
    return json_reply(200, list(page->limit, page->cursor));
}

class QueryInput {
public:
    explicit QueryInput(const Request& req) : req_(req) {}

    // ?limit=: default 20, clamped to 100.
    int limit();
    std::optional<std::string> text(std::string_view name, std::size_t max_len = 200);
    std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max);
    std::optional<std::string> one_of(std::string_view name, std::initializer_list<std::string_view> allowed);
    std::optional<core::Error> error() const;

private:
    const Request& req_;
    boost::json::object problems_;
};

}  // namespace bb::http
