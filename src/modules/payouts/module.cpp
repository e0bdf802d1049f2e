// Payouts over HTTP: splits, balances and the ledger, connected accounts, payout runs (admins),
// and Stripe's Connect webhook.
#include "modules/payouts/payouts.hpp"

#include "core/config.hpp"
#include "core/event_bus.hpp"
#include "core/jobs.hpp"
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "modules/payouts/ledger.hpp"
#include "modules/payouts/runs.hpp"
#include "modules/payouts/splits.hpp"
#include "modules/purchases/purchases.hpp"

namespace bb::payouts {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

void
add_schemas(http::Router& router)
{
    router.schema("SplitProposal", R"({"type": "object", "required": ["shares"], "properties": {
        "shares": {"type": "array", "maxItems": 10, "items": {"type": "object", "required": ["user", "percent"],
            "properties": {"user": {"type": "string", "description": "user id or username"},
            "percent": {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "description": "at most two decimals"}}}}},
        "description": "the shares must add up to exactly 100"})");
    router.schema("Split", R"({"type": "object", "required": ["split_id", "beat_id", "status", "shares"], "properties": {
        "split_id": {"type": "string"}, "beat_id": {"type": "string"}, "producer_id": {"type": "string"},
        "title": {"type": "string"}, "status": {"enum": ["proposed", "active", "replaced", "declined", "withdrawn"]},
        "shares": {"type": "array", "items": {"type": "object", "properties": {"user_id": {"type": "string"},
            "username": {"type": "string"}, "share_bp": {"type": "integer"}, "percent": {"type": "string"},
            "accepted": {"type": "boolean"}, "declined": {"type": "boolean"}}}},
        "created_at": {"type": "string"}, "activated_at": {"type": ["string", "null"]}}})");
    router.schema("BeatSplits", R"({"type": "object", "properties": {"beat_id": {"type": "string"},
        "active": {"oneOf": [{"$ref": "#/components/schemas/Split"}, {"type": "null"}]},
        "proposed": {"oneOf": [{"$ref": "#/components/schemas/Split"}, {"type": "null"}]}}})");
    router.schema("SplitList", R"({"type": "object", "properties": {"splits": {"type": "array",
        "items": {"$ref": "#/components/schemas/Split"}}}})");
    router.schema("Balance", R"({"type": "object", "required": ["balance_cents", "pending_cents", "paid_cents"], "properties": {
        "user_id": {"type": "string"}, "currency": {"type": "string"}, "earned_cents": {"type": "integer"},
        "refunded_cents": {"type": "integer"}, "balance_cents": {"type": "integer"},
        "pending_cents": {"type": "integer", "description": "owed and not yet paid out"},
        "in_transit_cents": {"type": "integer"}, "paid_cents": {"type": "integer"},
        "platform_fee_percent": {"type": "string"}, "account": {"$ref": "#/components/schemas/PayoutAccount"},
        "payouts": {"type": "array", "items": {"type": "object"}}}})");
    router.schema("LedgerPage", R"({"type": "object", "required": ["entries", "next_cursor"], "properties": {
        "entries": {"type": "array", "items": {"type": "object", "properties": {"entry_id": {"type": "string"},
            "kind": {"enum": ["sale", "refund", "fee", "fee_refund", "payout", "payout_reversal"]},
            "amount_cents": {"type": "integer"}, "purchase_id": {"type": ["string", "null"]},
            "beat_id": {"type": ["string", "null"]}, "payout_id": {"type": ["string", "null"]},
            "share_bp": {"type": ["integer", "null"]}, "created_at": {"type": "string"}}}},
        "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("PayoutAccount", R"({"type": "object", "properties": {"user_id": {"type": "string"},
        "account_id": {"type": ["string", "null"]}, "status": {"enum": ["none", "onboarding", "active", "restricted"]},
        "can_receive": {"type": "boolean"}, "onboarding_url": {"type": "string"}}})");
    router.schema("PayoutRun", R"({"type": "object", "required": ["run_id", "payouts"], "properties": {
        "run_id": {"type": "string"}, "created_by": {"type": "string"}, "created_at": {"type": "string"},
        "total_cents": {"type": "integer"},
        "payouts": {"type": "array", "items": {"type": "object", "properties": {"payout_id": {"type": "string"},
            "user_id": {"type": "string"}, "amount_cents": {"type": "integer"},
            "status": {"enum": ["pending", "paid", "failed"]}, "transfer_id": {"type": ["string", "null"]},
            "failure": {"type": ["string", "null"]}}}},
        "skipped": {"type": "array", "items": {"type": "object"}}}})");
    router.schema("PayoutRuns", R"({"type": "object", "required": ["runs", "next_cursor"], "properties": {
        "runs": {"type": "array", "items": {"$ref": "#/components/schemas/PayoutRun"}},
        "next_cursor": {"type": ["string", "null"]}}})");
}

}  // namespace

struct PayoutsModule::Impl {
    core::Services& services;
    Splits splits;
    Ledger ledger;
    StripeConnect connect;
    Payouts payouts;

    Impl(core::Services& s, users::UsersModule& u, beats::BeatsModule& b, mail::MailModule& m)
        : services(s),
          splits(s.db, u, b, m, s.config.public_url),
          ledger(s.db, splits, s.config.platform_fee_bp, s.secret),
          connect(ConnectSettings{s.config.stripe_secret_key, s.config.stripe_api_base}),
          payouts(s.db, connect, u, s.config.public_url, s.config.stripe_connect_webhook_secret, s.secret)
    {
    }
};

PayoutsModule::PayoutsModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                             mail::MailModule& mail)
    : impl_(std::make_unique<Impl>(services, users, beats, mail))
{
}

PayoutsModule::~PayoutsModule() = default;

core::Health
PayoutsModule::health() const
{
    return {true, "platform fee " + percent_text(impl_->ledger.fee_bp()) + " %" +
                      (impl_->connect.configured() ? "; payouts through Stripe Connect" : "; payouts need Stripe")};
}

void
PayoutsModule::subscribe(core::EventBus& bus)
{
    bus.subscribe(purchases::kPurchaseCompleted, "payouts.on_purchase",
                  [this](const core::Event& e, core::Tx& tx) { return impl_->ledger.on_sale(e, tx); });
    bus.subscribe(purchases::kPurchaseRefunded, "payouts.on_refund",
                  [this](const core::Event& e, core::Tx& tx) { return impl_->ledger.on_refund(e, tx); });
}

void
PayoutsModule::register_jobs(core::JobRunner& jobs)
{
    jobs.handle(kTransferJob, [this](const core::Job& job) { return impl_->payouts.transfer(job); }, 50);
}

void
PayoutsModule::register_routes(http::Router& router)
{
    add_schemas(router);
    Impl& m = *impl_;
    auto admin_only = [](const Request& req) -> core::Result<void> {
        if (!req.user().is_admin()) {
            return core::forbidden("only admins may do this");
        }
        return {};
    };

    router.add({.method = "GET", .path = "/api/beats/{beat_id}/splits", .auth = Auth::kRequired,
                .doc = {.summary = "A beat's split of its sales, active and proposed (its producer and collaborators)",
                        .tag = "payouts", .responses = {{200, "BeatSplits"}, {404, "Error"}}},
                .handler = [&m](const Request& req) -> Reply {
                    return http::json_reply(200, m.splits.of_beat(req.user(), std::string(req.param("beat_id"))));
                }});
    router.add({.method = "PUT", .path = "/api/beats/{beat_id}/splits", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Propose how my beat's sales are shared (adding up to 100); it takes effect once "
                                   "every collaborator accepts",
                        .tag = "payouts", .request = "SplitProposal",
                        .responses = {{200, "Split"}, {403, "Error"}, {404, "Error"}, {422, "Error"}}},
                .handler = [&m](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    const auto* shares = in->object().if_contains("shares");
                    if (shares == nullptr || !shares->is_array()) {
                        return core::invalid_field("shares", "is required: [{user, percent}, ...]");
                    }
                    return http::json_reply(200, m.splits.propose(req.user(), std::string(req.param("beat_id")),
                                                                  shares->as_array()));
                }});
    router.add({.method = "GET", .path = "/api/splits", .auth = Auth::kRequired,
                .doc = {.summary = "Splits I am in: proposals waiting for my answer, and active ones", .tag = "payouts",
                        .responses = {{200, "SplitList"}}},
                .handler = [&m](const Request& req) -> Reply { return http::json_reply(200, m.splits.mine(req.user())); }});
    for (const bool accept : {true, false}) {
        router.add({.method = "POST", .path = std::string("/api/splits/{split_id}/") + (accept ? "accept" : "decline"),
                    .auth = Auth::kRequired, .exec = Exec::kBlocking,
                    .doc = {.summary = accept ? "Accept my share in a proposed split" : "Decline a proposed split",
                            .tag = "payouts", .responses = {{200, "Split"}, {404, "Error"}, {409, "Error"}}},
                    .handler = [&m, accept](const Request& req) -> Reply {
                        return http::json_reply(200, m.splits.answer(req.user(), std::string(req.param("split_id")), accept));
                    }});
    }

    router.add({.method = "GET", .path = "/api/payouts/balance", .auth = Auth::kRequired,
                .doc = {.summary = "My balance: earned, refunded, pending (owed, not yet paid out), in transit and paid",
                        .tag = "payouts", .responses = {{200, "Balance"}}},
                .handler = [&m](const Request& req) -> Reply {
                    auto out = m.ledger.summary(req.user().user_id);
                    out["platform_fee_percent"] = percent_text(m.ledger.fee_bp());
                    out["account"] = m.payouts.account(req.user().user_id);
                    auto payouts = m.payouts.payouts_of(req.user().user_id);
                    out["payouts"] = payouts ? payouts->at("payouts") : boost::json::array{};
                    return Response::json(200, out);
                }});
    router.add({.method = "GET", .path = "/api/payouts/ledger", .auth = Auth::kRequired,
                .doc = {.summary = "My ledger entries, newest first", .tag = "payouts", .responses = {{200, "LedgerPage"}},
                        .query = {"limit", "cursor"}},
                .handler = [&m](const Request& req) -> Reply {
                    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
                        return m.ledger.entries(req.user().user_id, limit, cursor);
                    });
                }});
    router.add({.method = "GET", .path = "/api/payouts/account", .auth = Auth::kRequired,
                .doc = {.summary = "My payout account (a Stripe connected account)", .tag = "payouts",
                        .responses = {{200, "PayoutAccount"}}},
                .handler = [&m](const Request& req) -> Reply {
                    return Response::json(200, m.payouts.account(req.user().user_id));
                }});
    router.add({.method = "POST", .path = "/api/payouts/account", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Set up payouts: makes my Stripe connected account if needed and answers the link to "
                                   "Stripe's onboarding",
                        .tag = "payouts", .responses = {{200, "PayoutAccount"}, {422, "Error"}, {503, "Error"}}},
                .handler = [&m](const Request& req) -> Reply { return http::json_reply(200, m.payouts.onboard(req.user())); }});
    router.add({.method = "POST", .path = "/api/payouts/account/refresh", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Ask Stripe whether my account can receive transfers now", .tag = "payouts",
                        .responses = {{200, "PayoutAccount"}, {404, "Error"}, {503, "Error"}}},
                .handler = [&m](const Request& req) -> Reply { return http::json_reply(200, m.payouts.refresh(req.user())); }});
    router.add({.method = "POST", .path = "/api/payouts/webhook/stripe", .exec = Exec::kBlocking,
                .doc = {.summary = "Stripe Connect events (account.updated), verified by Stripe-Signature; each event "
                                   "id applied once",
                        .tag = "payouts", .responses = {{200, "WebhookAck"}, {400, "Error"}, {503, "Error"}}},
                .handler = [&m](const Request& req) -> Reply {
                    return http::json_reply(200, m.payouts.webhook(req.header("Stripe-Signature"), req.body));
                }});
    router.add({.method = "POST", .path = "/api/admin/payouts/runs", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Admin: pay every balance of $1 or more to its owner's connected account; the same "
                                   "Idempotency-Key answers the same run, and no balance is paid twice",
                        .tag = "admin", .responses = {{201, "PayoutRun"}, {403, "Error"}, {409, "Error"}, {503, "Error"}}},
                .handler = [&m, admin_only](const Request& req) -> Reply {
                    if (auto ok = admin_only(req); !ok) {
                        return ok.error();
                    }
                    std::optional<std::string> key;
                    if (auto k = req.header("Idempotency-Key"); !k.empty()) {
                        if (k.size() > 255) {
                            return core::invalid_field("Idempotency-Key", "must be at most 255 characters");
                        }
                        key = std::string(k);
                    }
                    return http::json_reply(201, m.payouts.run(req.user(), key));
                }});
    router.add({.method = "GET", .path = "/api/admin/payouts/runs", .auth = Auth::kRequired,
                .doc = {.summary = "Admin: payout runs, newest first", .tag = "admin",
                        .responses = {{200, "PayoutRuns"}, {403, "Error"}}, .query = {"limit", "cursor"}},
                .handler = [&m, admin_only](const Request& req) -> Reply {
                    if (auto ok = admin_only(req); !ok) {
                        return ok.error();
                    }
                    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
                        return m.payouts.runs(limit, cursor);
                    });
                }});
}

}  // namespace bb::payouts
