// The `test` provider: settles at once, the way Stripe's test mode settles its test tokens
// (https://docs.stripe.com/testing), so the whole purchase flow runs without a network.
#include "modules/purchases/payments.hpp"

#include <string>
#include <string_view>

namespace bb::purchases {
namespace {

// Tokens whose charge succeeds: the card brands, and the special cards whose charge still goes
// through (their oddities show up later, in checks, disputes or refunds, which we do not model).
constexpr std::string_view kPaidTokens[] = {
    // brands
    "tok_visa", "tok_visa_debit", "tok_mastercard", "tok_mastercard_debit", "tok_mastercard_prepaid", "tok_amex",
    "tok_discover", "tok_diners", "tok_jcb", "tok_unionpay",
    // cards issued in a given country
    "tok_us", "tok_ca", "tok_gb", "tok_br", "tok_mx",
    // special behaviour that still pays
    "tok_bypassPending", "tok_domesticPricing", "tok_avsFail", "tok_avsLine1Fail", "tok_avsZipFail",
    "tok_avsZipLine1Fail", "tok_avsUnchecked", "tok_riskLevelElevated", "tok_refundFail", "tok_createDispute",
    "tok_createDisputeInquiry",
};

struct Decline {
    std::string_view token;
    std::string_view message;  // Stripe's own message for the decline code
};

constexpr std::string_view kGeneric = "Your card was declined.";
constexpr Decline kDeclinedTokens[] = {
    {"tok_chargeDeclined", kGeneric},
    {"tok_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."},
    {"tok_chargeDeclinedFraudulent", kGeneric},
    {"tok_chargeDeclinedIncorrectCvc", "Your card's security code is incorrect."},
    {"tok_chargeDeclinedExpiredCard", "Your card has expired."},
    {"tok_chargeDeclinedProcessingError", "An error occurred while processing your card. Try again in a little bit."},
    {"tok_chargeDeclinedLostCard", kGeneric},
    {"tok_chargeDeclinedStolenCard", kGeneric},
    {"tok_chargeDeclinedVelocityLimitExceeded",
     "Your card was declined for making repeated attempts too frequently or exceeding its amount limit."},
    {"tok_cvcCheckFail", "Your card's security code is incorrect."},
    {"tok_riskLevelHighest", kGeneric},
    {"tok_chargeCustomerFail", kGeneric},
};

const Decline*
find_decline(std::string_view token)
{
    // Stripe also spells the declines with the brand: tok_visa_chargeDeclinedExpiredCard, ...
    constexpr std::string_view kVisaPrefix = "tok_visa_chargeDeclined";
    std::string unbranded;
    if (token.starts_with(kVisaPrefix)) {
        unbranded = "tok_" + std::string(token.substr(std::string_view("tok_visa_").size()));
        token = unbranded;
    }
    for (const auto& d : kDeclinedTokens) {
        if (d.token == token) {
            return &d;
        }
    }
    return nullptr;
}

class TestProvider final : public PaymentProvider {
public:
    std::string_view
    name() const override
    {
        return "test";
    }

    core::Result<ChargeResult>
    charge(const ChargeRequest& request) override
    {
        ChargeResult result;
        for (const auto paid : kPaidTokens) {
            if (paid == request.token) {
                result.outcome = ChargeResult::Outcome::kPaid;
                result.provider_ref = "ch_test_" + request.purchase_id;
                return result;
            }
        }
        if (const auto* decline = find_decline(request.token)) {
            result.outcome = ChargeResult::Outcome::kDeclined;
            result.message = decline->message;
            return result;
        }
        return core::invalid_field("payment.token",
                                   request.token.empty()
                                       ? "is required (a Stripe test token such as tok_visa)"
                                       : "is not a known test token (try tok_visa or tok_chargeDeclined)");
    }

    core::Result<void>
    refund(const RefundRequest&) override
    {
        return {};
    }
};

}  // namespace

std::unique_ptr<PaymentProvider>
make_test_provider()
{
    return std::make_unique<TestProvider>();
}

}  // namespace bb::purchases
