#include "modules/mail/templates.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

using namespace bb::mail;

namespace {

boost::json::object
vars(const char* json)
{
    return boost::json::parse(json).as_object();
}

}  // namespace

TEST_SUITE("modules/mail/templates") {

TEST_CASE("fields, escaped in HTML only") {
    CHECK(*fill("Hi {{name}}!", vars(R"({"name": "<b>Zoë</b>"})"), false) == "Hi <b>Zoë</b>!");
    CHECK(*fill("Hi {{name}}!", vars(R"({"name": "<b>Zoë</b> & \"co\""})"), true) ==
          "Hi &lt;b&gt;Zoë&lt;/b&gt; &amp; &quot;co&quot;!");
    CHECK(*fill("{{n}} items", vars(R"({"n": 3})"), false) == "3 items");
}

TEST_CASE("sections repeat over arrays, show for true values, invert for missing ones") {
    const auto v = vars(R"({"items": [{"t": "A"}, {"t": "B"}], "yes": true, "no": false, "empty": "", "name": "x"})");
    CHECK(*fill("{{#items}}[{{t}}{{name}}]{{/items}}", v, false) == "[Ax][Bx]");
    CHECK(*fill("{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{#empty}}E{{/empty}}{{#missing}}M{{/missing}}", v, false) == "Y");
    CHECK(*fill("{{^no}}not{{/no}}{{^yes}}x{{/yes}}{{^missing}}none{{/missing}}", v, false) == "notnone");
    CHECK(*fill("{{#name}}({{name}}){{/name}}", v, false) == "(x)");
}

TEST_CASE("a missing field, an unclosed tag or an unknown template is an error, never a hole") {
    CHECK_FALSE(fill("Hi {{name}}", vars("{}"), false).has_value());
    CHECK_FALSE(fill("Hi {{name", vars(R"({"name": "x"})"), false).has_value());
    CHECK_FALSE(fill("{{#items}}x", vars(R"({"items": [1]})"), false).has_value());
    CHECK_FALSE(render("no_such_template", vars("{}")).has_value());
    auto missing = render("password_reset", vars(R"({"username": "ada"})"));
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().message.find("link") != std::string::npos);
}

TEST_CASE("every template renders subject, text and HTML with its fields") {
    auto reset = render("password_reset", vars(R"({"username": "ada", "link": "https://x/r?token=abc", "minutes": 60})"));
    REQUIRE(reset.has_value());
    CHECK(reset->subject == "Reset your Backbeat password");
    CHECK(reset->text.find("https://x/r?token=abc") != std::string::npos);
    CHECK(reset->html.find("href=\"https://x/r?token=abc\"") != std::string::npos);
    CHECK(reset->html.starts_with("<!doctype html>"));

    auto receipt = render("receipt", vars(R"({"username": "ada", "purchase_id": "p1", "date": "2025-01-01",
        "items": [{"title": "Night <Drive>", "artist": "DJ", "license": "premium", "price": "$29.99"}],
        "discount": "$5.00", "total": "$24.99", "link": "https://x/library"})"));
    REQUIRE(receipt.has_value());
    CHECK(receipt->subject == "Your Backbeat receipt ($24.99)");
    CHECK(receipt->text.find("- Night <Drive> by DJ, premium license: $29.99") != std::string::npos);
    CHECK(receipt->text.find("Discounts: -$5.00") != std::string::npos);
    CHECK(receipt->html.find("Night &lt;Drive&gt;") != std::string::npos);

    auto offer = render("offer", vars(R"({"username": "u", "headline": "New offer\non X", "title": "X",
        "license": "exclusive", "amount": "$100.00", "link": "l"})"));
    REQUIRE(offer.has_value());
    CHECK(offer->subject == "New offer on X");  // one line, whatever the field held
}

}
