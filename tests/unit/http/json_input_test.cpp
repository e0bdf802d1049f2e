#include "http/json_input.hpp"

#include "http/request.hpp"
#include "http/response.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <string>

namespace {

using bb::http::JsonInput;
using bb::http::Request;

Request
request(std::string_view body, std::string_view content_type = "application/json")
{
    Request req;
    req.method = "POST";
    req.target = "/api/x";
    req.path = "/api/x";
    req.body = body;
    if (!content_type.empty()) {
        req.headers.emplace_back("Content-Type", content_type);
    }
    return req;
}

JsonInput
parse_ok(std::string_view body)
{
    auto r = JsonInput::parse(request(body));
    if (!r) {
        FAIL("unexpected error: " << r.error().message);
    }
    return std::move(*r);
}

std::string
field_problem(const JsonInput& in, const std::string& field)
{
    auto e = in.error();
    REQUIRE(e.has_value());
    const auto& fields = e->details.at("fields").as_object();
    REQUIRE(fields.contains(field));
    return std::string(fields.at(field).as_string());
}

}  // namespace

TEST_SUITE("http/json_input") {

TEST_CASE("malformed JSON is a 400 invalid_json") {
    for (const char* body : {"{", "{\"a\":}", "not json", "{\"a\":1}}", "{'a':1}", "[1,]"}) {
        CAPTURE(body);
        auto r = JsonInput::parse(request(body));
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().slug == "invalid_json");
        CHECK(r.error().code == bb::core::Code::kBadRequest);
        CHECK(bb::core::http_status(r.error().code) == 400);
    }
}

TEST_CASE("JSON that is not an object is invalid_json") {
    for (const char* body : {"[]", "[1,2]", "\"text\"", "42", "null", "true"}) {
        CAPTURE(body);
        auto r = JsonInput::parse(request(body));
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().slug == "invalid_json");
        CHECK(bb::core::http_status(r.error().code) == 400);
    }
}

TEST_CASE("a multipart body is 415") {
    auto r = JsonInput::parse(request("--boundary\r\n...", "multipart/form-data; boundary=boundary"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == bb::core::Code::kUnsupportedMedia);
    CHECK(bb::core::http_status(r.error().code) == 415);
    // Even when the multipart body happens to be empty.
    auto empty = JsonInput::parse(request("", "multipart/form-data; boundary=x"));
    REQUIRE_FALSE(empty.has_value());
    CHECK(empty.error().code == bb::core::Code::kUnsupportedMedia);
}

TEST_CASE("media types are case-insensitive: MULTIPART/form-data is 415 too") {
    // Media types are case-insensitive (RFC 9110 8.3.1).
    auto r = JsonInput::parse(request("--b\r\n", "Multipart/Form-Data; boundary=b"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == bb::core::Code::kUnsupportedMedia);
}

TEST_CASE("an empty or missing body reads as {}") {
    for (const char* body : {"", " ", "\r\n\t "}) {
        CAPTURE(body);
        auto in = parse_ok(body);
        CHECK(in.object().empty());
        CHECK_FALSE(in.error().has_value());
        CHECK_FALSE(in.string("name", false).has_value());
        CHECK_FALSE(in.error().has_value());
    }
    auto no_header = JsonInput::parse(request("", ""));
    CHECK(no_header.has_value());
    // A required field is still required.
    auto in = parse_ok("");
    CHECK_FALSE(in.string("name", true).has_value());
    CHECK(field_problem(in, "name") == "is required");
}

TEST_CASE("fields of the right type are read") {
    auto in = parse_ok(R"({"name": "ada", "n": 5, "big": 9007199254740993, "flag": false, "nothing": null})");
    CHECK(in.string("name", true) == std::optional<std::string>("ada"));
    CHECK(in.integer("n", true, 0, 10) == std::optional<std::int64_t>(5));
    CHECK(in.integer("big", true, 0, INT64_MAX) == std::optional<std::int64_t>(9007199254740993));
    CHECK(in.boolean("flag", true) == std::optional<bool>(false));
    CHECK_FALSE(in.string("nothing", false).has_value());
    CHECK_FALSE(in.string("absent", false).has_value());
    CHECK(in.has("name"));
    CHECK_FALSE(in.has("absent"));
    CHECK_FALSE(in.error().has_value());
}

TEST_CASE("a wrong type is a 422 naming the field") {
    auto in = parse_ok(R"({"name": 7, "n": "5", "flag": "yes", "ratio": 1.5})");
    CHECK_FALSE(in.string("name", true).has_value());
    CHECK_FALSE(in.integer("n", true, 0, 10).has_value());
    CHECK_FALSE(in.boolean("flag", true).has_value());
    CHECK_FALSE(in.integer("ratio", true, 0, 10).has_value());
    auto e = in.error();
    REQUIRE(e.has_value());
    CHECK(e->code == bb::core::Code::kInvalidInput);
    CHECK(bb::core::http_status(e->code) == 422);
    CHECK(e->slug == "validation_failed");
    CHECK(field_problem(in, "name") == "must be a string");
    CHECK(field_problem(in, "n") == "must be a whole number");
    CHECK(field_problem(in, "flag") == "must be true or false");
    CHECK(field_problem(in, "ratio") == "must be a whole number");
    CHECK(e->details.at("fields").as_object().size() == 4);
    CHECK(e->message.find("name") != std::string::npos);

    // Rendered as the API's error envelope.
    const auto response = bb::http::Response::error(*e);
    CHECK(response.status == 422);
    const auto body = boost::json::parse(response.body);
    CHECK(body.at("error").at("code") == "validation_failed");
    CHECK(body.at("error").at("details").at("fields").at("flag") == "must be true or false");
}

TEST_CASE("missing required fields are reported together; optional ones are not") {
    auto in = parse_ok(R"({"other": 1})");
    CHECK_FALSE(in.string("username", true).has_value());
    CHECK_FALSE(in.string("email", true).has_value());
    CHECK_FALSE(in.string("bio", false).has_value());
    CHECK_FALSE(in.boolean("admin", false).has_value());
    CHECK(field_problem(in, "username") == "is required");
    CHECK(field_problem(in, "email") == "is required");
    CHECK(in.error()->details.at("fields").as_object().size() == 2);
    // A null required field counts as missing.
    auto nulls = parse_ok(R"({"username": null})");
    CHECK_FALSE(nulls.string("username", true).has_value());
    CHECK(field_problem(nulls, "username") == "is required");
}

TEST_CASE("string lengths: min and max") {
    auto in = parse_ok(R"({"empty": "", "short": "ab", "exact": "abcd", "long": "abcdef"})");
    CHECK_FALSE(in.string("empty", true, 1, 10).has_value());
    CHECK_FALSE(in.string("short", true, 3, 10).has_value());
    CHECK(in.string("exact", true, 4, 4) == std::optional<std::string>("abcd"));
    CHECK_FALSE(in.string("long", true, 0, 5).has_value());
    CHECK(field_problem(in, "empty") == "must not be empty");
    CHECK(field_problem(in, "short") == "must be at least 3 characters");
    CHECK(field_problem(in, "long") == "must be at most 5 characters");
    CHECK_FALSE(in.error()->details.at("fields").as_object().contains("exact"));
}

TEST_CASE("string lengths count characters, as the message says") {
    // "\u00e9\u00e9\u00e9\u00e9" is 4 characters but 8 bytes: limits count characters.
    auto in = parse_ok("{\"name\": \"\u00e9\u00e9\u00e9\u00e9\", \"one\": \"\u00e9\"}");
    CHECK(in.string("name", true, 0, 4).has_value());
    CHECK_FALSE(in.string("one", true, 2, 10).has_value());
}

TEST_CASE("integer bounds") {
    auto in = parse_ok(R"({"low": -1, "high": 11, "edge": 10, "huge": 18446744073709551615})");
    CHECK_FALSE(in.integer("low", true, 0, 10).has_value());
    CHECK_FALSE(in.integer("high", true, 0, 10).has_value());
    CHECK(in.integer("edge", true, 0, 10) == std::optional<std::int64_t>(10));
    CHECK_FALSE(in.integer("huge", true, 0, INT64_MAX).has_value());
    CHECK(field_problem(in, "low") == "must be between 0 and 10");
    CHECK(field_problem(in, "high") == "must be between 0 and 10");
    CHECK(field_problem(in, "huge") == "must be a whole number");
}

TEST_CASE("fail() keeps the first problem for a field and adds custom ones") {
    auto in = parse_ok(R"({"name": 1})");
    in.string("name", true);
    in.fail("name", "is something else");
    in.fail("password", "is too common");
    CHECK(field_problem(in, "name") == "must be a string");
    CHECK(field_problem(in, "password") == "is too common");
}

TEST_CASE("the Content-Type header is found regardless of its case") {
    Request req = request("{}", "");
    req.headers.emplace_back("content-type", "multipart/form-data; boundary=z");
    auto r = JsonInput::parse(req);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == bb::core::Code::kUnsupportedMedia);
}

}  // TEST_SUITE
