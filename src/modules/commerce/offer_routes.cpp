// Offers over HTTP: a beat's offer settings, making an offer, the moves, and reading them.
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "modules/commerce/routes.hpp"

namespace bb::commerce {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

namespace {

// amount_cents, or amount as a decimal ("price" style), as the API takes money.
std::optional<std::int64_t>
read_amount(http::JsonInput& in, bool required)
{
    if (in.has("amount_cents")) {
        return in.integer("amount_cents", true, 1, 100'000'000);
    }
    if (const auto* v = in.object().if_contains("amount"); v != nullptr && (v->is_number())) {
        const double amount = v->to_number<double>();
        if (amount >= 0.01 && amount <= 1'000'000) {
            return static_cast<std::int64_t>(amount * 100 + 0.5);
        }
        in.fail("amount", "must be 0.01 to 1000000");
        return std::nullopt;
    }
    if (required) {
        in.fail("amount_cents", "is required (or amount as a decimal)");
    }
    return std::nullopt;
}

}  // namespace

void
register_offer_routes(http::Router& router, Offers& offers)
{
    router.schema("OfferSettings", R"({"type": "object", "required": ["accept_offers"], "properties": {
        "beat_id": {"type": "string", "readOnly": true}, "accept_offers": {"type": "boolean"},
        "minimum_cents": {"type": "integer", "minimum": 0}}})");
    router.schema("NewOffer", R"({"type": "object", "required": ["beat_id", "license"], "properties": {
        "beat_id": {"type": "string"}, "license": {"enum": ["basic", "premium", "unlimited", "exclusive"]},
        "amount_cents": {"type": "integer", "minimum": 1}, "amount": {"type": "number"},
        "message": {"type": "string", "maxLength": 1000}}})");
    router.schema("OfferMove", R"({"type": "object", "properties": {"amount_cents": {"type": "integer", "minimum": 1,
        "description": "a counter's price"}, "amount": {"type": "number"}, "message": {"type": "string", "maxLength": 1000}}})");
    router.schema("Offer", R"({"type": "object", "required": ["offer_id", "beat_id", "license", "amount_cents", "status"],
        "properties": {"offer_id": {"type": "string"}, "beat_id": {"type": "string"}, "title": {"type": "string"},
        "producer_id": {"type": "string"}, "buyer_id": {"type": "string"}, "license": {"type": "string"},
        "amount_cents": {"type": "integer"}, "currency": {"type": "string"},
        "status": {"enum": ["open", "countered", "accepted", "declined", "withdrawn", "expired", "purchased"]},
        "waiting_for": {"enum": ["producer", "buyer", null]},
        "expires_at": {"type": "string", "format": "date-time", "description": "the answer (or, accepted, the checkout) is due by then"},
        "purchase_id": {"type": ["string", "null"]}, "created_at": {"type": "string"}, "updated_at": {"type": "string"},
        "history": {"type": "array", "items": {"type": "object"}}}})");
    router.schema("OfferList", R"({"type": "object", "required": ["offers", "next_cursor"], "properties": {
        "offers": {"type": "array", "items": {"$ref": "#/components/schemas/Offer"}},
        "next_cursor": {"type": ["string", "null"]}}})");

    router.add({.method = "GET", .path = "/api/beats/{beat_id}/offer-settings",
                .doc = {.summary = "Whether a beat takes offers, and from what amount", .tag = "offers",
                        .responses = {{200, "OfferSettings"}, {404, "Error"}}},
                .handler = [&offers](const Request& req) -> Reply {
                    return http::json_reply(200, offers.settings(std::string(req.param("beat_id"))));
                }});
    router.add({.method = "PUT", .path = "/api/beats/{beat_id}/offer-settings", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Take offers on my beat (or stop)", .tag = "offers", .request = "OfferSettings",
                        .responses = {{200, "OfferSettings"}, {403, "Error"}, {404, "Error"}, {422, "Error"}}},
                .handler = [&offers](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto accept = in->boolean("accept_offers", true);
                    auto minimum = in->integer("minimum_cents", false, 0, 100'000'000);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    return http::json_reply(200, offers.set_settings(req.user(), std::string(req.param("beat_id")),
                                                                     *accept, minimum.value_or(0)));
                }});
    router.add({.method = "POST", .path = "/api/offers", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Offer a price for a beat's license (where its producer takes offers)",
                        .tag = "offers", .request = "NewOffer",
                        .responses = {{201, "Offer"}, {404, "Error"}, {409, "Error"}, {422, "Error"}}},
                .handler = [&offers](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto beat_id = in->string("beat_id", true, 1, 64);
                    auto license = in->string("license", true, 1, 20);
                    auto amount = read_amount(*in, true);
                    auto message = in->string("message", false, 0, 1000);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    return http::json_reply(201, offers.make(req.user(), *beat_id, *license, *amount, message.value_or("")));
                }});
    router.add({.method = "GET", .path = "/api/offers", .auth = Auth::kRequired,
                .doc = {.summary = "My offers, as buyer (default) or as producer (?role=producer), newest first",
                        .tag = "offers", .responses = {{200, "OfferList"}}, .query = {"role", "limit", "cursor"}},
                .handler = [&offers](const Request& req) -> Reply {
                    http::QueryInput in(req);
                    auto role = in.one_of("role", {"buyer", "producer"});
                    if (auto e = in.error()) {
                        return *e;
                    }
                    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
                        return offers.list(req.user(), role.value_or("buyer"), limit, cursor);
                    });
                }});
    router.add({.method = "GET", .path = "/api/offers/{offer_id}", .auth = Auth::kRequired,
                .doc = {.summary = "An offer with its history (its buyer and producer only)", .tag = "offers",
                        .responses = {{200, "Offer"}, {404, "Error"}}},
                .handler = [&offers](const Request& req) -> Reply {
                    return http::json_reply(200, offers.get(req.user(), std::string(req.param("offer_id"))));
                }});
    for (const char* action : {"accept", "decline", "counter", "withdraw"}) {
        const std::string summary =
            std::string(action) == "accept"    ? "Accept (whoever's turn it is): an accepted offer goes into the buyer's cart at its price"
            : std::string(action) == "decline" ? "Decline (whoever's turn it is)"
            : std::string(action) == "counter" ? "Counter with another price (whoever's turn it is); the window opens again"
                                               : "Withdraw my offer (the buyer)";
        router.add({.method = "POST", .path = std::string("/api/offers/{offer_id}/") + action, .auth = Auth::kRequired,
                    .exec = Exec::kBlocking,
                    .doc = {.summary = summary, .tag = "offers", .request = "OfferMove",
                            .responses = {{200, "Offer"}, {403, "Error"}, {404, "Error"}, {409, "Error"}, {422, "Error"}}},
                    .handler = [&offers, action = std::string(action)](const Request& req) -> Reply {
                        auto in = http::JsonInput::parse(req);
                        if (!in) {
                            return in.error();
                        }
                        auto amount = read_amount(*in, action == "counter");
                        auto message = in->string("message", false, 0, 1000);
                        if (auto e = in->error()) {
                            return *e;
                        }
                        return http::json_reply(200, offers.move(req.user(), std::string(req.param("offer_id")),
                                                                 {action, amount, message.value_or("")}));
                    }});
    }
}

}  // namespace bb::commerce
