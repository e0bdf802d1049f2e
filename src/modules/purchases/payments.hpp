#pragma once
// Payment providers behind one interface. `test` settles Stripe's test tokens at once; `stripe`
// creates a Checkout Session and settles later through the signed webhook.
#include "core/error.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bb::purchases {

struct ChargeLine {
    std::string name;  // "Night Drive (premium license)"
    std::int64_t amount_cents = 0;
};

struct ChargeRequest {
    std::string purchase_id;
    std::string currency;  // ISO 4217, e.g. "USD"
    std::vector<ChargeLine> lines;
    std::string token;  // test provider: tok_visa, tok_chargeDeclined, ...
    std::int64_t expires_ms = 0;  // a checkout must be paid by then (Unix ms; 0: the provider's default)
};

struct RefundRequest {
    std::string purchase_id;
    std::string payment_ref;  // what the provider charged: Stripe's payment_intent
};

struct ChargeResult {
    enum class Outcome { kPaid, kDeclined, kRedirect };
    Outcome outcome = Outcome::kDeclined;
    std::string provider_ref;   // the provider's id (a charge or a Checkout Session)
    std::string checkout_url;   // kRedirect: where the buyer pays
    std::string message;        // kDeclined: why
};

class PaymentProvider {
public:
    virtual ~PaymentProvider() = default;
    virtual std::string_view name() const = 0;
    // Blocks (the blocking pool calls it). Errors: 503 while the provider is failing (circuit
    // open or timing out), 422 for a request the provider refuses as malformed.
    virtual core::Result<ChargeResult> charge(const ChargeRequest& request) = 0;
    // Pays a completed purchase back in full (blocks too); errors as for charge().
    virtual core::Result<void> refund(const RefundRequest& request) = 0;
};

// Stripe's test tokens settle at once: tok_visa, tok_mastercard, tok_amex, ... are kPaid
// (provider_ref "ch_test_<purchase_id>"); tok_chargeDeclined, tok_chargeDeclinedInsufficientFunds,
// tok_cvcCheckFail, ... are kDeclined with Stripe's message. An empty or unknown token is a 422
// on the field "payment.token". Refunds always succeed (no money moved).
std::unique_ptr<PaymentProvider> make_test_provider();

struct StripeSettings {
    std::string secret_key;      // sk_test_... / sk_live_...
    std::string webhook_secret;  // whsec_...
    std::string api_base = "https://api.stripe.com";
    std::string success_url = "http://127.0.0.1:8080/library?purchase={purchase_id}";
    std::string cancel_url = "http://127.0.0.1:8080/";
    int timeout_ms = 10000;
    int breaker_failures = 5;      // consecutive failures that open the circuit
    int breaker_cooldown_ms = 30000;
};
// charge() creates a Checkout Session (POST {api_base}/v1/checkout/sessions, Idempotency-Key
// "checkout-<purchase_id>", "{purchase_id}" substituted in the URLs, expires_at from expires_ms,
// rounded down to the second, so the session never outlives the checkout) and answers kRedirect with
// the session id as provider_ref and its url as checkout_url. Errors: 422 "payment_rejected" with
// Stripe's message when Stripe refuses the request (4xx); 503 "payment_provider_unavailable" with
// details.retry_after_s on 5xx, 429, timeouts, connection errors and malformed answers (each one
// a circuit-breaker failure), while the circuit is open (without calling Stripe), and when Stripe
// refuses our key (401/403: logged, not blamed on the buyer, not a breaker failure).
// refund() creates a Refund of the payment_intent (POST {api_base}/v1/refunds, Idempotency-Key
// "refund-<purchase_id>"), behind the same breaker; one Stripe already refunded counts as done.
std::unique_ptr<PaymentProvider> make_stripe_provider(const StripeSettings& settings);

// Stripe-Signature: "t=TIMESTAMP,v1=HEX[,v1=HEX...]" — HMAC-SHA256 of "t.payload" with the
// webhook secret; valid when any v1 matches (constant-time) and |now - t| <= tolerance.
// Other schemes (v0) are ignored. Errors are 400 "invalid_signature": no or bad t, no v1, no
// match, a stale or future t, or an empty secret (which would make signatures forgeable).
core::Result<void> verify_stripe_signature(std::string_view header, std::string_view payload,
                                           std::string_view secret, std::int64_t now_s, std::int64_t tolerance_s = 300);

}  // namespace bb::purchases
