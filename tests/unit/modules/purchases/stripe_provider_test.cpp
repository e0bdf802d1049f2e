// The Stripe provider against a local stand-in for api.stripe.com.
#include "modules/purchases/payments.hpp"

#include "../../support/http_stub.hpp"
#include "../../support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>

using bb::core::Code;
using bb::purchases::ChargeRequest;
using bb::purchases::ChargeResult;
using bb::purchases::StripeSettings;
using bb::test::HttpStub;
using bb::test::StubRequest;
using bb::test::http_reply;

namespace {

constexpr std::string_view kSession =
    R"({"id":"cs_test_a1b2","object":"checkout.session","url":"https://checkout.stripe.com/c/pay/cs_test_a1b2"})";

StripeSettings
settings_for(const HttpStub& stub)
{
    StripeSettings s;
    s.secret_key = "sk_test_key";
    s.webhook_secret = "whsec_x";
    s.api_base = stub.url();
    s.timeout_ms = 2000;
    s.breaker_failures = 5;
    s.breaker_cooldown_ms = 300;
    return s;
}

ChargeRequest
two_beats()
{
    ChargeRequest r;
    r.purchase_id = "pur_01J9";
    r.currency = "USD";
    r.lines = {{"Night Drive (premium license)", 4999}, {"Dusk & Dawn (basic license)", 1999}};
    return r;
}

// Decodes application/x-www-form-urlencoded (enough for what the provider sends).
std::multimap<std::string, std::string>
form_decode(std::string_view body)
{
    auto decode = [](std::string_view s) {
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '+') {
                out += ' ';
            } else if (s[i] == '%' && i + 2 < s.size()) {
                out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
                i += 2;
            } else {
                out += s[i];
            }
        }
        return out;
    };
    std::multimap<std::string, std::string> fields;
    while (!body.empty()) {
        const auto amp = body.find('&');
        const auto pair = body.substr(0, amp);
        const auto eq = pair.find('=');
        fields.emplace(decode(pair.substr(0, eq)), eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1)));
        body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    }
    return fields;
}

std::string
field(const std::multimap<std::string, std::string>& fields, const std::string& name)
{
    REQUIRE_MESSAGE(fields.count(name) == 1, name);
    return fields.find(name)->second;
}

}  // namespace

TEST_SUITE("purchases/stripe_provider") {

TEST_CASE("a Checkout Session is created as Stripe's API takes it, and its url is where the buyer goes") {
    bb::test::quiet_logs();
    HttpStub stub([](const StubRequest&) -> std::optional<std::string> { return http_reply(200, kSession); });
    auto settings = settings_for(stub);
    settings.api_base += "/";  // a trailing slash is tolerated
    auto stripe = bb::purchases::make_stripe_provider(settings);
    CHECK(stripe->name() == "stripe");

    auto r = stripe->charge(two_beats());
    REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? std::string() : r.error().message));
    CHECK(r->outcome == ChargeResult::Outcome::kRedirect);
    CHECK(r->provider_ref == "cs_test_a1b2");
    CHECK(r->checkout_url == "https://checkout.stripe.com/c/pay/cs_test_a1b2");

    REQUIRE(stub.requests() == 1);
    const auto seen = stub.received().front();
    CHECK(seen.method == "POST");
    CHECK(seen.target == "/v1/checkout/sessions");
    CHECK(seen.header("Authorization") == "Bearer sk_test_key");
    CHECK(seen.header("Idempotency-Key") == "checkout-pur_01J9");
    CHECK(seen.header("Content-Type") == "application/x-www-form-urlencoded");

    const auto form = form_decode(seen.body);
    CHECK(form.size() == 13);
    CHECK(field(form, "mode") == "payment");
    CHECK(field(form, "client_reference_id") == "pur_01J9");
    CHECK(field(form, "success_url") == "http://127.0.0.1:8080/library?purchase=pur_01J9");
    CHECK(field(form, "cancel_url") == "http://127.0.0.1:8080/");
    CHECK(field(form, "line_items[0][price_data][currency]") == "usd");
    CHECK(field(form, "line_items[0][price_data][product_data][name]") == "Night Drive (premium license)");
    CHECK(field(form, "line_items[0][price_data][unit_amount]") == "4999");
    CHECK(field(form, "line_items[0][quantity]") == "1");
    CHECK(field(form, "line_items[1][price_data][currency]") == "usd");
    CHECK(field(form, "line_items[1][price_data][product_data][name]") == "Dusk & Dawn (basic license)");
    CHECK(field(form, "line_items[1][price_data][unit_amount]") == "1999");
    CHECK(field(form, "line_items[1][quantity]") == "1");
    CHECK(field(form, "metadata[purchase_id]") == "pur_01J9");
}

TEST_CASE("a checkout with an end sends it as expires_at, rounded down so the session never outlives it") {
    bb::test::quiet_logs();
    HttpStub stub([](const StubRequest&) -> std::optional<std::string> { return http_reply(200, kSession); });
    auto stripe = bb::purchases::make_stripe_provider(settings_for(stub));
    auto request = two_beats();
    request.expires_ms = 1'800'000'123'999;
    REQUIRE(stripe->charge(request).has_value());
    CHECK(field(form_decode(stub.received().back().body), "expires_at") == "1800000123");
    REQUIRE(stripe->charge(two_beats()).has_value());
    CHECK(form_decode(stub.received().back().body).count("expires_at") == 0);  // none: Stripe's default
}

TEST_CASE("Stripe refusing the request is a 422 with Stripe's message, and not an outage") {
    bb::test::quiet_logs();
    HttpStub stub([](const StubRequest&) -> std::optional<std::string> {
        return http_reply(400, R"({"error":{"code":"amount_too_small","message":"Amount must be at least $0.50 usd",)"
                               R"("param":"line_items[0][price_data][unit_amount]","type":"invalid_request_error"}})");
    });
    auto stripe = bb::purchases::make_stripe_provider(settings_for(stub));
    for (int i = 0; i < 7; ++i) {  // more than breaker_failures: the circuit must stay closed
        CAPTURE(i);
        auto r = stripe->charge(two_beats());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == Code::kInvalidInput);
        CHECK(r.error().slug == "payment_rejected");
        CHECK(r.error().message == "Amount must be at least $0.50 usd");
        CHECK(r.error().details.at("provider_code").as_string() == "amount_too_small");
    }
    CHECK(stub.requests() == 7);
}

TEST_CASE("five 500s open the circuit: the sixth call fails fast, and after the cool-down a trial goes through") {
    bb::test::quiet_logs();
    std::atomic<bool> healthy{false};
    HttpStub stub([&healthy](const StubRequest&) -> std::optional<std::string> {
        return healthy ? http_reply(200, kSession)
                       : http_reply(500, R"({"error":{"message":"oops","type":"api_error"}})");
    });
    auto stripe = bb::purchases::make_stripe_provider(settings_for(stub));
    for (int i = 0; i < 5; ++i) {
        CAPTURE(i);
        auto r = stripe->charge(two_beats());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == Code::kUnavailable);
        CHECK(r.error().slug == "payment_provider_unavailable");
        CHECK(r.error().details.at("retry_after_s").as_int64() >= 1);
    }
    CHECK(stub.requests() == 5);

    const auto started = std::chrono::steady_clock::now();
    auto fast = stripe->charge(two_beats());
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(50));
    REQUIRE_FALSE(fast.has_value());
    CHECK(fast.error().code == Code::kUnavailable);
    CHECK(fast.error().slug == "payment_provider_unavailable");
    CHECK(fast.error().details.at("retry_after_s").as_int64() == 1);
    CHECK(stub.requests() == 5);  // never reached the server

    healthy = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    auto trial = stripe->charge(two_beats());
    REQUIRE(trial.has_value());
    CHECK(trial->outcome == ChargeResult::Outcome::kRedirect);
    CHECK(stub.requests() == 6);
    // Closed again: calls flow.
    CHECK(stripe->charge(two_beats()).has_value());
    CHECK(stub.requests() == 7);
}

TEST_CASE("a failed trial keeps the circuit open") {
    bb::test::quiet_logs();
    HttpStub stub([](const StubRequest&) -> std::optional<std::string> {
        return http_reply(502, "bad gateway", "text/html");
    });
    auto settings = settings_for(stub);
    settings.breaker_failures = 2;
    auto stripe = bb::purchases::make_stripe_provider(settings);
    CHECK_FALSE(stripe->charge(two_beats()).has_value());
    CHECK_FALSE(stripe->charge(two_beats()).has_value());
    CHECK_FALSE(stripe->charge(two_beats()).has_value());
    CHECK(stub.requests() == 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    CHECK_FALSE(stripe->charge(two_beats()).has_value());  // the trial, which fails
    CHECK(stub.requests() == 3);
    CHECK_FALSE(stripe->charge(two_beats()).has_value());
    CHECK(stub.requests() == 3);
}

TEST_CASE("a timeout is an outage: 503 within the deadline, counted by the breaker") {
    bb::test::quiet_logs();
    HttpStub stub([](const StubRequest&) -> std::optional<std::string> { return std::nullopt; });
    auto settings = settings_for(stub);
    settings.timeout_ms = 200;
    settings.breaker_failures = 1;
    auto stripe = bb::purchases::make_stripe_provider(settings);
    const auto started = std::chrono::steady_clock::now();
    auto r = stripe->charge(two_beats());
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1500));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Code::kUnavailable);
    CHECK(r.error().slug == "payment_provider_unavailable");
    CHECK_FALSE(stripe->charge(two_beats()).has_value());
    CHECK(stub.requests() == 1);
}

TEST_CASE("an unreachable Stripe is an outage") {
    bb::test::quiet_logs();
    unsigned short port = 0;
    {
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::acceptor probe(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
        port = probe.local_endpoint().port();
    }
    StripeSettings settings;
    settings.secret_key = "sk_test_key";
    settings.api_base = "http://127.0.0.1:" + std::to_string(port);
    auto r = bb::purchases::make_stripe_provider(settings)->charge(two_beats());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Code::kUnavailable);
    CHECK(r.error().slug == "payment_provider_unavailable");
}

TEST_CASE("a 200 without a session id and url is an outage, not a redirect to nowhere") {
    bb::test::quiet_logs();
    const std::string bodies[] = {"", "not json", "[]", R"({"id":"cs_1"})", R"({"url":"https://x"})",
                                  R"({"id":1,"url":2})"};
    for (const auto& body : bodies) {
        CAPTURE(body);
        HttpStub stub([body](const StubRequest&) -> std::optional<std::string> { return http_reply(200, body); });
        auto r = bb::purchases::make_stripe_provider(settings_for(stub))->charge(two_beats());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == Code::kUnavailable);
    }
}

TEST_CASE("a rejected API key is our configuration problem: 503, and the buyer is not blamed") {
    bb::test::quiet_logs();
    HttpStub stub([](const StubRequest&) -> std::optional<std::string> {
        return http_reply(401, R"({"error":{"message":"Invalid API Key provided: sk_test_****_key",)"
                               R"("type":"invalid_request_error"}})");
    });
    auto settings = settings_for(stub);
    settings.breaker_failures = 2;
    auto stripe = bb::purchases::make_stripe_provider(settings);
    for (int i = 0; i < 3; ++i) {
        auto r = stripe->charge(two_beats());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == Code::kUnavailable);
        CHECK(r.error().message.find("sk_test") == std::string::npos);
    }
    CHECK(stub.requests() == 3);  // not an outage: the breaker stays closed
}

}  // TEST_SUITE
