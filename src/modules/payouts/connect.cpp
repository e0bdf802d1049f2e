#include "modules/payouts/connect.hpp"

#include "core/log.hpp"
#include "http/client.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>

namespace bb::payouts {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Answer {
    int status = 0;
    boost::json::object body;
    std::string message;  // Stripe's error message, if any
};

std::string_view
text(const boost::json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

core::Error
unavailable(std::string why)
{
    core::log::warn("payouts", "stripe connect unavailable", {{"error", why}});
    return core::Error{core::Code::kUnavailable, "payment_provider_unavailable",
                       "Stripe could not be reached; try again later", {{"retry_after_s", 30}}};
}

ConnectAccount
read_account(const boost::json::object& o)
{
    ConnectAccount a{std::string(text(o, "id"))};
    if (const auto* caps = o.if_contains("capabilities"); caps != nullptr && caps->is_object()) {
        a.transfers_active = text(caps->as_object(), "transfers") == "active";
    }
    if (const auto* submitted = o.if_contains("details_submitted"); submitted != nullptr && submitted->is_bool()) {
        a.details_submitted = submitted->as_bool();
    }
    return a;
}

}  // namespace

StripeConnect::StripeConnect(ConnectSettings settings) : settings_(std::move(settings))
{
    while (!settings_.api_base.empty() && settings_.api_base.back() == '/') {
        settings_.api_base.pop_back();
    }
}

namespace {

core::Result<Answer>
call(const ConnectSettings& s, const std::string& method, const std::string& path, const Fields& fields,
     const std::string& idempotency_key)
{
    http::ClientRequest request;
    request.method = method;
    request.url = s.api_base + path;
    request.timeout = s.timeout;
    request.headers = {{"Authorization", "Bearer " + s.secret_key}, {"Accept", "application/json"}};
    if (method == "POST") {
        request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        request.headers.emplace_back("Idempotency-Key", idempotency_key);
        request.body = http::form_encode(fields);
    }
    auto response = http::send(request);
    if (!response) {
        return unavailable(response.error().message);
    }
    Answer answer{response->status, {}, {}};
    boost::system::error_code ec;
    auto doc = boost::json::parse(response->body, ec);
    if (ec || !doc.is_object()) {
        return unavailable("Stripe answered " + std::to_string(response->status) + " without a JSON object");
    }
    answer.body = std::move(doc.as_object());
    if (const auto* e = answer.body.if_contains("error"); e != nullptr && e->is_object()) {
        answer.message = std::string(text(e->as_object(), "message"));
    }
    if (answer.status == 429 || answer.status >= 500) {
        return unavailable("Stripe answered " + std::to_string(answer.status) + ": " + answer.message);
    }
    if (answer.status == 401 || answer.status == 403) {
        core::log::error("payouts", "stripe refused our credentials", {{"status", answer.status}});
        return core::Error{core::Code::kUnavailable, "payment_provider_unavailable",
                           "payouts are not configured correctly on this server", {}};
    }
    return answer;
}

core::Error
refused(const Answer& a)
{
    return core::Error{core::Code::kInvalidInput, "payment_rejected",
                       a.message.empty() ? "Stripe refused the request" : a.message, {{"provider", "stripe"}}};
}

}  // namespace

core::Result<ConnectAccount>
StripeConnect::create_account(const std::string& user_id, const std::string& email)
{
    auto answer = call(settings_, "POST", "/v1/accounts",
                       {{"type", "express"},
                        {"email", email},
                        {"capabilities[transfers][requested]", "true"},
                        {"metadata[user_id]", user_id}},
                       "account-" + user_id);
    if (!answer) {
        return answer.error();
    }
    if (answer->status != 200) {
        return refused(*answer);
    }
    return read_account(answer->body);
}

core::Result<std::string>
StripeConnect::onboarding_link(const std::string& account_id, const std::string& refresh_url,
                               const std::string& return_url)
{
    // An account link is single-use and short-lived: a fresh key each time is what Stripe expects.
    auto answer = call(settings_, "POST", "/v1/account_links",
                       {{"account", account_id}, {"refresh_url", refresh_url}, {"return_url", return_url},
                        {"type", "account_onboarding"}},
                       "link-" + account_id + "-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count()));
    if (!answer) {
        return answer.error();
    }
    if (answer->status != 200 || text(answer->body, "url").empty()) {
        return refused(*answer);
    }
    return std::string(text(answer->body, "url"));
}

core::Result<ConnectAccount>
StripeConnect::account(const std::string& account_id)
{
    auto answer = call(settings_, "GET", "/v1/accounts/" + account_id, {}, "");
    if (!answer) {
        return answer.error();
    }
    if (answer->status != 200) {
        return refused(*answer);
    }
    return read_account(answer->body);
}

TransferOutcome
StripeConnect::transfer(const std::string& payout_id, const std::string& account_id, std::int64_t amount_cents,
                        const std::string& currency)
{
    std::string lower = currency;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    auto answer = call(settings_, "POST", "/v1/transfers",
                       {{"amount", std::to_string(amount_cents)},
                        {"currency", lower},
                        {"destination", account_id},
                        {"transfer_group", payout_id},
                        {"metadata[payout_id]", payout_id}},
                       "payout-" + payout_id);
    if (!answer) {
        return {TransferOutcome::Kind::kUnavailable, "", answer.error().message};
    }
    if (answer->status == 200 && !text(answer->body, "id").empty()) {
        return {TransferOutcome::Kind::kDone, std::string(text(answer->body, "id")), ""};
    }
    return {TransferOutcome::Kind::kRefused, "", answer->message.empty() ? "Stripe refused the transfer" : answer->message};
}

}  // namespace bb::payouts
