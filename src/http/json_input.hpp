#pragma once
// Reading a JSON request body field by field. Malformed JSON is a 400; wrong types, missing or
// invalid fields are collected and reported together as one 422 naming each field.
#include "core/error.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bb::http {

struct Request;

class JsonInput {
public:
    // A missing or empty body reads as {} so that optional-only endpoints accept it.
    static core::Result<JsonInput> parse(const Request& req);

    std::optional<std::string> string(std::string_view field, bool required, std::size_t min_len = 0,
                                      std::size_t max_len = 10000);
    std::optional<bool> boolean(std::string_view field, bool required);
    std::optional<std::int64_t> integer(std::string_view field, bool required, std::int64_t min, std::int64_t max);
    bool has(std::string_view field) const { return object_.contains(field); }
    void fail(std::string_view field, std::string problem);
    // The collected 422, if any field was wrong.
    std::optional<core::Error> error() const;
    const boost::json::object& object() const { return object_; }

private:
    explicit JsonInput(boost::json::object o) : object_(std::move(o)) {}
    boost::json::object object_;
    boost::json::object problems_;
};

}  // namespace bb::http
