#include "modules/purchases/payments.hpp"

#include <doctest/doctest.h>

#include <string>

using bb::core::Code;
using bb::purchases::ChargeRequest;
using bb::purchases::ChargeResult;

namespace {

bb::core::Result<ChargeResult>
charge_with(std::string token)
{
    ChargeRequest r;
    r.purchase_id = "pur_42";
    r.currency = "USD";
    r.lines = {{"Night Drive (basic license)", 2999}};
    r.token = std::move(token);
    return bb::purchases::make_test_provider()->charge(r);
}

}  // namespace

TEST_SUITE("purchases/test_provider") {

TEST_CASE("Stripe's success tokens pay at once") {
    CHECK(bb::purchases::make_test_provider()->name() == "test");
    for (const std::string token : {"tok_visa", "tok_mastercard", "tok_amex", "tok_discover", "tok_visa_debit",
                                    "tok_bypassPending", "tok_avsFail"}) {
        CAPTURE(token);
        auto r = charge_with(token);
        REQUIRE(r.has_value());
        CHECK(r->outcome == ChargeResult::Outcome::kPaid);
        CHECK(r->provider_ref == "ch_test_pur_42");
        CHECK(r->checkout_url.empty());
    }
}

TEST_CASE("Stripe's decline tokens decline with Stripe's message") {
    const std::pair<std::string, std::string> cases[] = {
        {"tok_chargeDeclined", "Your card was declined."},
        {"tok_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."},
        {"tok_visa_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."},
        {"tok_chargeDeclinedExpiredCard", "Your card has expired."},
        {"tok_chargeDeclinedIncorrectCvc", "Your card's security code is incorrect."},
        {"tok_cvcCheckFail", "Your card's security code is incorrect."},
        {"tok_chargeDeclinedFraudulent", "Your card was declined."},
        {"tok_visa_chargeDeclined", "Your card was declined."},
    };
    for (const auto& [token, message] : cases) {
        CAPTURE(token);
        auto r = charge_with(token);
        REQUIRE(r.has_value());
        CHECK(r->outcome == ChargeResult::Outcome::kDeclined);
        CHECK(r->message == message);
    }
}

TEST_CASE("a missing or unknown token is a 422 on payment.token") {
    const std::string tokens[] = {"", "tok_nonsense", "TOK_VISA", "tok_visa ", "tok_visa_chargeDeclinedNope",
                                  "4242424242424242"};
    for (const auto& token : tokens) {
        CAPTURE(token);
        auto r = charge_with(token);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == Code::kInvalidInput);
        REQUIRE(r.error().details.contains("fields"));
        CHECK(r.error().details.at("fields").as_object().contains("payment.token"));
    }
}

}  // TEST_SUITE
