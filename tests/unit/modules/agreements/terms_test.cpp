#include "modules/agreements/document.hpp"
#include "modules/agreements/terms.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

using namespace bb::agreements;

TEST_SUITE("modules/agreements/terms") {

TEST_CASE("defaults grow with the tier; the top two are unlimited") {
    CHECK(default_terms("basic").distribution_copies == 2000);
    CHECK(default_terms("premium").audio_streams == 100000);
    CHECK(default_terms("basic").audio_streams == 5000);
    CHECK_FALSE(default_terms("unlimited").distribution_copies.has_value());
    CHECK_FALSE(default_terms("exclusive").paid_performances.has_value());
    CHECK(default_terms("basic").credit_line == "Prod. by {producer}");
    CHECK(is_tier("exclusive"));
    CHECK_FALSE(is_tier("platinum"));
}

TEST_CASE("amounts print with thousands separators or as Unlimited") {
    CHECK(amount_text(0) == "0");
    CHECK(amount_text(999) == "999");
    CHECK(amount_text(1000) == "1,000");
    CHECK(amount_text(1234567) == "1,234,567");
    CHECK(amount_text(std::nullopt) == "Unlimited");
}

TEST_CASE("reading terms: numbers or null, text within limits, unknown fields named") {
    auto ok = terms_from_json(boost::json::parse(R"({"distribution_copies": 5, "audio_streams": null,
        "credit_line": "Prod. by Zoë"})").as_object(), default_terms("basic"));
    REQUIRE(ok.has_value());
    CHECK(ok->distribution_copies == 5);
    CHECK_FALSE(ok->audio_streams.has_value());
    CHECK(ok->music_videos == 1);  // untouched fields keep their value
    CHECK(ok->custom);
    auto bad = terms_from_json(boost::json::parse(R"({"music_videos": 1.5, "paid_performances": -2,
        "credit_line": "", "extra_terms": 7, "radio": true})").as_object(), default_terms("basic"));
    REQUIRE_FALSE(bad.has_value());
    const auto error = bad.error();  // a copy: error() answers by value
    const auto& fields = error.details.at("fields").as_object();
    CHECK(fields.size() == 5);
    CHECK(fields.contains("radio"));
}

TEST_CASE("a document round-trips through its JSON, and its fingerprint ignores key order and revocation") {
    Document d{.purchase_id = "p1", .beat_id = "b1", .buyer_id = "u1", .seller_id = "u2", .licensee = "carol",
               .licensor = "Zoë", .licensor_username = "zoe", .title = "Ночь", .tier = "premium",
               .files = {"mp3", "wav"}, .price_cents = 4999, .currency = "USD", .sold_ms = 1764860400000,
               .content_sha256 = std::string(64, 'a'), .beat_terms = "", .terms = default_terms("premium")};
    const auto back = document_from_json(document_json(d));
    CHECK(back.title == d.title);
    CHECK(back.files == d.files);
    CHECK(back.terms.distribution_copies == 10000);
    CHECK(fingerprint(back) == fingerprint(d));
    Document revoked = d;
    revoked.revoked_ms = 1;
    CHECK(fingerprint(revoked) == fingerprint(d));
    Document changed = d;
    changed.price_cents = 5000;
    CHECK(fingerprint(changed) != fingerprint(d));
    CHECK(money_text(4999, "USD") == "$49.99 USD");
    CHECK(date_text(1764860400000) == "4 December 2025");
}

TEST_CASE("the PDF renders (a PDF, one page here) and renders the same bytes twice") {
    Document d{.purchase_id = "p1", .beat_id = "b1", .licensee = "carol", .licensor = "Zoë Ñandú",
               .licensor_username = "zoe", .title = "Ночной драйв", .tier = "basic", .sold_ms = 1764860400000,
               .terms = default_terms("basic")};
    const auto pdf = render_pdf(d);
    CHECK(pdf.starts_with("%PDF-"));
    CHECK(pdf.find("/Count 1\n") != std::string::npos);
    CHECK(render_pdf(d) == pdf);
    d.terms.extra_terms = std::string(3900, 'x');
    d.beat_terms = std::string(2000, 'y');
    const auto longer = render_pdf(d);
    CHECK(longer.find("/Count 1\n") == std::string::npos);  // long terms flow onto more pages
    CHECK(longer.find("/Count 3") != std::string::npos);
}

}
