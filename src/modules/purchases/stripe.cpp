// The Stripe provider: a purchase becomes a Checkout Session (the buyer pays on Stripe's page and
// the signed webhook settles it later), behind a circuit breaker so an outage at Stripe answers
// 503 at once instead of holding a blocking-pool thread for every buyer until the timeout.
#include "modules/purchases/payments.hpp"

#include "core/circuit_breaker.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "http/client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <chrono>
#include <utility>

namespace bb::purchases {
namespace {

constexpr std::string_view kModule = "purchases";
using Fields = std::vector<std::pair<std::string, std::string>>;

core::Error
provider_unavailable(std::string message, int retry_after_s)
{
    boost::json::object details;
    details["provider"] = "stripe";
    details["retry_after_s"] = retry_after_s;
    return {core::Code::kUnavailable, "payment_provider_unavailable", std::move(message), std::move(details)};
}

std::string
lowercase(std::string_view s)
{
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

std::string
replace_all(std::string s, std::string_view from, std::string_view to)
{
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
        s.replace(pos, from.size(), to);
    }
    return s;
}

std::string_view
string_at(const boost::json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// Stripe's error body: {"error": {"type", "code", "decline_code", "param", "message"}}.
struct StripeError {
    std::string message;
    std::string code;
    std::string param;
};

StripeError
parse_error(std::string_view body)
{
    StripeError out;
    boost::system::error_code ec;
    const auto doc = boost::json::parse(body, ec);
    if (!ec && doc.is_object()) {
        if (const auto* e = doc.as_object().if_contains("error"); e != nullptr && e->is_object()) {
            out.message = string_at(e->as_object(), "message");
            out.code = string_at(e->as_object(), "code");
            out.param = string_at(e->as_object(), "param");
        }
    }
    return out;
}

class StripeProvider final : public PaymentProvider {
public:
    explicit StripeProvider(StripeSettings settings)
        : settings_(std::move(settings)),
          breaker_(settings_.breaker_failures, std::chrono::milliseconds(settings_.breaker_cooldown_ms))
    {
        base_ = settings_.api_base;
        while (!base_.empty() && base_.back() == '/') {
            base_.pop_back();
        }
    }

    std::string_view
    name() const override
    {
        return "stripe";
    }

    core::Result<ChargeResult>
    charge(const ChargeRequest& request) override
    {
        // A retried call for the same purchase cannot open a second session.
        auto session = call("/v1/checkout/sessions", checkout_fields(request), "checkout-" + request.purchase_id,
                            request.purchase_id);
        if (!session) {
            return session.error();
        }
        const auto id = string_at(*session, "id");
        const auto url = string_at(*session, "url");
        if (id.empty() || url.empty()) {
            return failed(request.purchase_id, "Stripe answered without a session id and url");
        }
        ChargeResult result;
        result.outcome = ChargeResult::Outcome::kRedirect;
        result.provider_ref = std::string(id);
        result.checkout_url = std::string(url);
        return result;
    }

    core::Result<void>
    refund(const RefundRequest& request) override
    {
        if (request.payment_ref.empty()) {
            return core::Error{core::Code::kConflict, "not_refundable",
                               "Stripe never reported this purchase's payment, so it cannot be refunded"};
        }
        // One key per purchase: a retried refund never pays back twice.
        auto refunded = call("/v1/refunds",
                             {{"payment_intent", request.payment_ref}, {"metadata[purchase_id]", request.purchase_id}},
                             "refund-" + request.purchase_id, request.purchase_id);
        if (!refunded && refunded.error().details.contains("provider_code") &&
            refunded.error().details.at("provider_code") == "charge_already_refunded") {
            return {};  // refunded on Stripe's dashboard already: only our side is left to do
        }
        if (!refunded) {
            return refunded.error();
        }
        return {};
    }

private:
    // POSTs a form to Stripe's API and sorts the answer: the JSON object on 2xx; 422
    // "payment_rejected" with Stripe's message when it refuses the request (4xx); 503 on outages,
    // each one a circuit-breaker failure, and when Stripe refuses our key (not the buyer's fault).
    core::Result<boost::json::object>
    call(std::string_view path, const Fields& fields, std::string idempotency_key, const std::string& purchase_id)
    {
        if (!breaker_.allow()) {
            return provider_unavailable("the payment provider is unavailable; try again later",
                                        breaker_.retry_after_s());
        }
        http::ClientRequest request;
        request.method = "POST";
        request.url = base_ + std::string(path);
        request.timeout = std::chrono::milliseconds(settings_.timeout_ms);
        request.headers = {
            {"Authorization", "Bearer " + settings_.secret_key},
            {"Content-Type", "application/x-www-form-urlencoded"},
            {"Accept", "application/json"},
            {"Idempotency-Key", std::move(idempotency_key)},
        };
        request.body = http::form_encode(fields);

        auto response = http::send(request);
        if (!response) {
            return failed(purchase_id, response.error().message);
        }
        const int status = response->status;
        if (status == 429 || status >= 500) {
            return failed(purchase_id, "Stripe answered " + std::to_string(status));
        }
        if (status == 401 || status == 403) {
            // Our key is wrong or lacks rights: not the buyer's fault and not an outage either.
            breaker_.record_success();
            const auto e = parse_error(response->body);
            core::log::error(kModule, "stripe refused our credentials",
                             {{"purchase_id", purchase_id}, {"status", status}, {"message", e.message}});
            return provider_unavailable("the payment provider is not configured correctly", 60);
        }
        if (status >= 400) {
            breaker_.record_success();  // Stripe is up; it refused this request
            const auto e = parse_error(response->body);
            boost::json::object details;
            details["provider"] = "stripe";
            if (!e.code.empty()) {
                details["provider_code"] = e.code;
            }
            if (!e.param.empty()) {
                details["provider_param"] = e.param;
            }
            core::log::warn(kModule, "stripe refused a request",
                            {{"purchase_id", purchase_id}, {"path", path}, {"status", status}, {"message", e.message}});
            return core::Error{core::Code::kInvalidInput, "payment_rejected",
                               e.message.empty() ? "the payment provider refused the request" : e.message,
                               std::move(details)};
        }
        boost::system::error_code ec;
        auto doc = boost::json::parse(response->body, ec);
        if (status < 200 || status >= 300 || ec || !doc.is_object()) {
            return failed(purchase_id, "Stripe answered " + std::to_string(status) + " without a JSON object");
        }
        breaker_.record_success();
        return std::move(doc.as_object());
    }

    // The form Stripe's API takes for POST /v1/checkout/sessions (nested keys in brackets).
    Fields
    checkout_fields(const ChargeRequest& request) const
    {
        // Our ids are URL-safe, so they go into the URLs as they are.
        Fields f = {
            {"mode", "payment"},
            {"client_reference_id", request.purchase_id},
            {"success_url", replace_all(settings_.success_url, "{purchase_id}", request.purchase_id)},
            {"cancel_url", replace_all(settings_.cancel_url, "{purchase_id}", request.purchase_id)},
        };
        const auto currency = lowercase(request.currency.empty() ? std::string_view("usd") : request.currency);
        for (std::size_t line_idx = 0; line_idx < request.lines.size(); ++line_idx) {
            const auto& line = request.lines[line_idx];
            const auto prefix = "line_items[" + std::to_string(line_idx) + "]";
            f.emplace_back(prefix + "[price_data][currency]", currency);
            f.emplace_back(prefix + "[price_data][product_data][name]", line.name);
            f.emplace_back(prefix + "[price_data][unit_amount]", std::to_string(line.amount_cents));
            f.emplace_back(prefix + "[quantity]", "1");
        }
        f.emplace_back("metadata[purchase_id]", request.purchase_id);
        if (request.expires_ms > 0) {
            f.emplace_back("expires_at", std::to_string(request.expires_ms / 1000));
        }
        return f;
    }

    core::Error
    failed(const std::string& purchase_id, const std::string& why)
    {
        breaker_.record_failure();
        core::log::warn(kModule, "stripe unavailable", {{"purchase_id", purchase_id}, {"error", why}});
        return provider_unavailable("the payment provider is unavailable; try again later", breaker_.retry_after_s());
    }

    StripeSettings settings_;
    core::CircuitBreaker breaker_;
    std::string base_;
};

// "t=1700000000,v1=ab..,v1=cd..,v0=.." -> t and every v1; other schemes are ignored.
struct SignatureHeader {
    std::string_view timestamp;
    std::vector<std::string_view> v1;
};

std::string_view
trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

SignatureHeader
parse_signature_header(std::string_view header)
{
    SignatureHeader out;
    while (!header.empty()) {
        const auto comma = header.find(',');
        const auto item = trim(header.substr(0, comma));
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        const auto eq = item.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        const auto key = item.substr(0, eq);
        const auto value = item.substr(eq + 1);
        if (key == "t") {
            out.timestamp = value;
        } else if (key == "v1" && !value.empty()) {
            out.v1.push_back(value);
        }
    }
    return out;
}

core::Error
invalid_signature(std::string message)
{
    return core::bad_request("invalid_signature", std::move(message));
}

}  // namespace

std::unique_ptr<PaymentProvider>
make_stripe_provider(const StripeSettings& settings)
{
    return std::make_unique<StripeProvider>(settings);
}

core::Result<void>
verify_stripe_signature(std::string_view header, std::string_view payload, std::string_view secret,
                        std::int64_t now_s, std::int64_t tolerance_s)
{
    if (secret.empty()) {
        // Anyone can compute an HMAC with an empty key: never accept one.
        return invalid_signature("webhook signatures cannot be checked: no webhook secret is configured");
    }
    const auto parsed = parse_signature_header(header);
    std::int64_t timestamp = -1;
    const auto* end = parsed.timestamp.data() + parsed.timestamp.size();
    const auto [stop, ec] = std::from_chars(parsed.timestamp.data(), end, timestamp);
    if (parsed.timestamp.empty() || ec != std::errc() || stop != end || timestamp < 0) {
        return invalid_signature("the Stripe-Signature header has no valid timestamp (t=)");
    }
    if (parsed.v1.empty()) {
        return invalid_signature("the Stripe-Signature header has no v1 signature");
    }
    std::string signed_payload;
    signed_payload.reserve(parsed.timestamp.size() + 1 + payload.size());
    signed_payload.append(parsed.timestamp).append(".").append(payload);
    const auto expected = core::crypto::hex(core::crypto::hmac_sha256(secret, signed_payload));
    bool matched = false;
    for (const auto candidate : parsed.v1) {
        // No early exit: every candidate costs the same whether or not an earlier one matched.
        matched = core::crypto::equal_constant_time(expected, candidate) || matched;
    }
    if (!matched) {
        return invalid_signature("no v1 signature matches the payload");
    }
    // Checked after the signature, so a stale timestamp is known to be Stripe's own.
    if (now_s - timestamp > tolerance_s || timestamp - now_s > tolerance_s) {
        return invalid_signature("the signature timestamp is outside the " + std::to_string(tolerance_s) +
                                 " s tolerance");
    }
    return {};
}

}  // namespace bb::purchases
