#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/jobs.hpp"
#include "core/log.hpp"
#include "core/crypto.hpp"
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "modules/beats/beats.hpp"
#include "modules/purchases/purchases.hpp"
#include "modules/purchases/service.hpp"
#include "modules/users/users.hpp"

#include <boost/json/serialize.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace bb::purchases {
namespace {

constexpr auto kSweepEvery = std::chrono::seconds(5);
constexpr int kLateRefundAttempts = 20;  // with the runner's backoff, about an hour of a provider outage

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

std::map<std::string, std::unique_ptr<PaymentProvider>>
providers_from(const core::Config& config)
{
    std::map<std::string, std::unique_ptr<PaymentProvider>> providers;
    // The test provider settles without moving money: beside a real provider it would make every
    // license free, so there it is only on when the operator says so.
    if (config.stripe_secret_key.empty() || config.allow_test_payments) {
        providers["test"] = make_test_provider();
    }
    if (!config.stripe_secret_key.empty()) {
        StripeSettings stripe;
        stripe.secret_key = config.stripe_secret_key;
        stripe.webhook_secret = config.stripe_webhook_secret;
        stripe.api_base = config.stripe_api_base;
        stripe.success_url = config.public_url + "/library?purchase={purchase_id}";
        stripe.cancel_url = config.public_url + "/";
        providers["stripe"] = make_stripe_provider(stripe);
    }
    return providers;
}

core::Result<PurchaseRequest>
read_purchase(const Request& req)
{
    auto in = http::JsonInput::parse(req);
    if (!in) {
        return in.error();
    }
    PurchaseRequest out;
    const auto& body = in->object();
    auto read_item = [&](const boost::json::value& v, const std::string& where) {
        if (!v.is_object()) {
            in->fail(where, "must be an object {beat_id, license}");
            return;
        }
        const auto& o = v.as_object();
        for (const char* server_side : {"price", "price_cents"}) {
            if (o.contains(server_side)) {
                in->fail(where + "." + server_side, "is set by the server");
            }
        }
        const auto* beat = o.if_contains("beat_id");
        const auto* license = o.if_contains("license");
        if (beat == nullptr || !beat->is_string() || beat->as_string().empty()) {
            in->fail(where + ".beat_id", "is required");
            return;
        }
        std::string type = license != nullptr && license->is_string() ? std::string(license->as_string()) : "basic";
        if (license != nullptr && !license->is_string()) {
            in->fail(where + ".license", "must be basic, premium, unlimited or exclusive");
            return;
        }
        out.items.push_back({std::string(beat->as_string()), type});
    };
    if (const auto* items = body.if_contains("items")) {
        if (!items->is_array() || items->as_array().empty() || items->as_array().size() > 50) {
            in->fail("items", "must be an array of 1 to 50 {beat_id, license}");
        } else {
            for (std::size_t i = 0; i < items->as_array().size(); ++i) {
                read_item(items->as_array()[i], "items[" + std::to_string(i) + "]");
            }
        }
    } else if (body.contains("beat_id")) {
        read_item(body, "item");
    } else {
        in->fail("beat_id", "give beat_id and license, or items");
    }
    for (const char* server_side : {"price", "price_cents", "total_cents", "status", "buyer_id"}) {
        if (body.contains(server_side)) {
            in->fail(server_side, "is set by the server");
        }
    }
    const auto* payment = body.if_contains("payment");
    if (payment == nullptr || !payment->is_object()) {
        in->fail("payment", "is required: {provider: \"test\", token: \"tok_visa\"} or {provider: \"stripe\"}");
    } else {
        const auto& p = payment->as_object();
        const auto* provider = p.if_contains("provider");
        out.provider = provider != nullptr && provider->is_string() ? std::string(provider->as_string()) : "";
        if (out.provider.empty()) {
            in->fail("payment.provider", "is required");
        }
        const auto* token = p.if_contains("token");
        out.token = token != nullptr && token->is_string() ? std::string(token->as_string()) : "";
    }
    if (auto e = in->error()) {
        return *e;
    }
    auto key = req.header("Idempotency-Key");
    if (!key.empty()) {
        if (key.size() > 255) {
            return core::invalid_field("Idempotency-Key", "must be at most 255 characters");
        }
        out.idempotency_key = std::string(key);
    }
    out.body_hash = core::crypto::sha256_hex(req.body);
    return out;
}

Reply
purchase_reply(core::Result<Answer> answer, const std::optional<std::string>& idempotency_key)
{
    if (!answer) {
        return answer.error();
    }
    Response res = Response::text(answer->status, std::move(answer->body), "application/json; charset=utf-8");
    if (idempotency_key) {
        res.with_header("Idempotency-Key", *idempotency_key);
    }
    return res;
}

void
add_schemas(http::Router& router)
{
    router.schema("PurchaseItem", R"({"type": "object", "required": ["beat_id", "license"], "properties": {
        "beat_id": {"type": "string"}, "license": {"enum": ["basic", "premium", "unlimited", "exclusive"]},
        "price_cents": {"type": "integer", "readOnly": true}, "title": {"type": "string", "readOnly": true},
        "seller_id": {"type": "string", "readOnly": true}, "files": {"type": "array", "items": {"type": "string"}}}})");
    router.schema("PurchaseRequest", R"({"type": "object", "required": ["payment"], "properties": {
        "beat_id": {"type": "string"}, "license": {"type": "string"},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/PurchaseItem"}},
        "payment": {"type": "object", "required": ["provider"], "properties": {"provider": {"enum": ["test", "stripe"]},
            "token": {"type": "string", "description": "test provider: tok_visa, tok_chargeDeclined, ..."}}}},
        "description": "one item (beat_id, license) or a cart (items); send Idempotency-Key (kept 48 h) to retry safely"})");
    router.schema("Purchase", R"({"type": "object", "required": ["purchase_id", "buyer_id", "status", "items",
        "total_cents", "currency", "provider"], "properties": {"purchase_id": {"type": "string"},
        "buyer_id": {"type": "string"}, "status": {"enum": ["pending", "completed", "declined", "refunded"]},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/PurchaseItem"}},
        "total_cents": {"type": "integer"}, "total": {"type": "number"}, "currency": {"type": "string"},
        "provider": {"type": "string"}, "checkout_url": {"type": "string"}, "failure_reason": {"type": "string"},
        "created_at": {"type": ["string", "null"]}, "completed_at": {"type": ["string", "null"]},
        "refunded_at": {"type": ["string", "null"]},
        "expires_at": {"type": "string", "description": "pending only: pay by then; an exclusive is held until then"}}})");
    router.schema("PurchaseList", R"({"type": "object", "required": ["purchases", "next_cursor"], "properties": {
        "purchases": {"type": "array", "items": {"$ref": "#/components/schemas/Purchase"}},
        "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("Sales", R"({"type": "object", "required": ["sales", "total_cents", "count"], "properties": {
        "sales": {"type": "array", "items": {"type": "object"}}, "total_cents": {"type": "integer"},
        "count": {"type": "integer"}, "currency": {"type": "string"}, "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("WebhookAck", R"({"type": "object", "properties": {"received": {"const": true},
        "duplicate": {"type": "boolean"}}})");
}

}  // namespace

struct PurchasesModule::Impl {
    Service service;
    std::thread sweeper;
    std::mutex mutex;
    std::condition_variable cv;
    bool stopping = false;

    // At start (a crash may have left checkouts behind) and then every few seconds: another
    // process's dead checkouts are found the same way as this one's.
    void sweep_until_stopped()
    {
        std::unique_lock lock(mutex);
        do {
            lock.unlock();
            try {
                service.sweep(core::clock::now_ms());
            } catch (const std::exception& e) {
                core::log::warn("purchases", "checkout sweep failed", {{"error", e.what()}});
            }
            lock.lock();
        } while (!cv.wait_for(lock, kSweepEvery, [&] { return stopping; }));
    }
};

PurchasesModule::PurchasesModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats)
    : impl_(std::make_unique<Impl>(Service(services.db, users, beats, services.metrics, services.secret,
                                           providers_from(services.config), services.config.stripe_webhook_secret)))
{
    Service& service = impl_->service;
    beats.set_download_rights([&service](const std::string& user, const std::string& beat) {
        return service.formats_for(user, beat);
    });
    users.set_purchased_beats([&service](const std::string& user) { return service.purchased_beats(user); });
}

PurchasesModule::~PurchasesModule()
{
    stop();
}

void
PurchasesModule::register_jobs(core::JobRunner& jobs)
{
    jobs.handle(
        kLateRefundJob,
        [this](const core::Job& job) {
            return impl_->service.pay_late_refund(std::string(job.payload.at("purchase_id").as_string()));
        },
        kLateRefundAttempts);
}

void
PurchasesModule::start()
{
    impl_->sweeper = std::thread([this] { impl_->sweep_until_stopped(); });
}

void
PurchasesModule::stop()
{
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->cv.notify_all();
    if (impl_->sweeper.joinable()) {
        impl_->sweeper.join();
    }
}

core::Result<CheckoutAnswer>
PurchasesModule::checkout(const http::Principal& who, Checkout checkout)
{
    PurchaseRequest request{.provider = std::move(checkout.provider),
                            .token = std::move(checkout.token),
                            .idempotency_key = std::move(checkout.idempotency_key),
                            .body_hash = std::move(checkout.body_hash),
                            .pricing = std::move(checkout.pricing)};
    for (auto& [beat_id, license] : checkout.items) {
        request.items.push_back({std::move(beat_id), std::move(license)});
    }
    auto answer = impl_->service.buy(who, request);
    if (!answer) {
        return answer.error();
    }
    return CheckoutAnswer{answer->status, std::move(answer->body)};
}

core::Health
PurchasesModule::health() const
{
    const auto& service = impl_->service;
    std::string providers = service.test_enabled() ? "test" : "";
    if (service.stripe_enabled()) {
        providers += providers.empty() ? "stripe" : ", stripe";
    }
    return {true, "providers: " + providers};
}

void
PurchasesModule::register_routes(http::Router& router)
{
    add_schemas(router);
    Service& service = impl_->service;
    router.add({.method = "POST", .path = "/api/purchases", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Buy licenses (one item or a cart); Idempotency-Key makes retries safe",
                        .tag = "purchases", .request = "PurchaseRequest",
                        .responses = {{201, "Purchase"}, {402, "Error"}, {409, "Error"}, {422, "Error"}, {503, "Error"}}},
                // A sale that settles at once waits for its group commit without holding a thread;
                // one that waits on the provider (Stripe) goes to the handler on the pool.
                .handler = [&service](const Request& req) -> Reply {
                    auto request = read_purchase(req);
                    if (!request) {
                        return request.error();
                    }
                    return purchase_reply(service.buy(req.user(), *request), request->idempotency_key);
                },
                .deferred = [&service](const Request& req, const http::Respond& respond) {
                    auto request = read_purchase(req);
                    if (!request) {
                        respond(request.error());
                        return true;
                    }
                    if (!service.settles_at_once(*request)) {
                        return false;
                    }
                    auto key = request->idempotency_key;
                    service.buy_queued(req.user(), std::move(*request),
                                       [respond, key = std::move(key)](core::Result<Answer> answer) {
                                           respond(purchase_reply(std::move(answer), key));
                                       });
                    return true;
                }});
    router.add({.method = "GET", .path = "/api/purchases", .auth = Auth::kRequired,
                .doc = {.summary = "My purchases, newest first; beat_id: only those with that beat (a beat page "
                                   "shows the licenses I own)",
                        .tag = "purchases", .responses = {{200, "PurchaseList"}}, .query = {"limit", "cursor", "beat_id"}},
                .handler = [&service](const Request& req) -> Reply {
                    http::QueryInput in(req);
                    auto beat_id = in.text("beat_id", 64);
                    if (auto e = in.error()) {
                        return *e;
                    }
                    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
                        return service.list_mine(req.user().user_id, beat_id, limit, cursor);
                    });
                }});
    router.add({.method = "GET", .path = "/api/purchases/{purchase_id}", .auth = Auth::kRequired,
                .doc = {.summary = "A purchase (its buyer, a seller in it, or an admin)", .tag = "purchases",
                        .responses = {{200, "Purchase"}, {404, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    return http::json_reply(200, service.get(req.user(), std::string(req.param("purchase_id"))));
                }});
    router.add({.method = "GET", .path = "/api/purchases/{purchase_id}/license", .auth = Auth::kRequired,
                .doc = {.summary = "The license agreement, as text", .tag = "purchases", .responses = {{200, "text"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto text = service.agreement(req.user(), std::string(req.param("purchase_id")));
                    if (!text) {
                        return text.error();
                    }
                    return Response::text(200, *text);
                }});
    router.add({.method = "POST", .path = "/api/purchases/{purchase_id}/refund", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Refund (the seller or an admin): the provider pays the buyer back (Stripe: a Refund "
                                   "of the payment), then licenses are revoked and an exclusive returns to the store",
                        .tag = "purchases",
                        .responses = {{200, "Purchase"}, {403, "Error"}, {409, "Error"}, {422, "Error"}, {503, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    return http::json_reply(200, service.refund(req.user(), std::string(req.param("purchase_id"))));
                }});
    router.add({.method = "GET", .path = "/api/sales", .auth = Auth::kRequired,
                .doc = {.summary = "My sales as a seller, with totals", .tag = "purchases", .responses = {{200, "Sales"}},
                        .query = {"limit", "cursor"}},
                .handler = [&service](const Request& req) -> Reply {
                    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
                        return service.sales(req.user().user_id, limit, cursor);
                    });
                }});
    router.add({.method = "POST", .path = "/api/payments/webhook/stripe", .exec = Exec::kBlocking,
                .doc = {.summary = "Stripe events, verified by Stripe-Signature; each event id applied once",
                        .tag = "purchases", .responses = {{200, "WebhookAck"}, {400, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto ack = service.webhook(req.header("Stripe-Signature"), req.body);
                    if (!ack) {
                        return ack.error();
                    }
                    return Response::json(200, *ack);
                }});
}

}  // namespace bb::purchases
