// Deals and coupons over HTTP: producers set theirs; anyone reads a producer's deals.
#include "core/clock.hpp"
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

void
register_promotion_routes(http::Router& router, Promotions& promotions)
{
    router.schema("Deal", R"({"type": "object", "required": ["deal_id", "quantity", "pay_for"], "properties": {
        "deal_id": {"type": "string", "readOnly": true}, "producer_id": {"type": "string", "readOnly": true},
        "tier": {"enum": ["basic", "premium", "unlimited", "exclusive", null], "description": "null: every tier"},
        "quantity": {"type": "integer", "minimum": 2, "maximum": 20}, "pay_for": {"type": "integer", "minimum": 1},
        "label": {"type": "string", "readOnly": true}, "created_at": {"type": "string", "readOnly": true}},
        "description": "quantity items for the price of pay_for: buy 2 get 1 free is quantity 3, pay_for 2"})");
    router.schema("DealList", R"({"type": "object", "required": ["deals"], "properties": {
        "deals": {"type": "array", "items": {"$ref": "#/components/schemas/Deal"}}}})");
    router.schema("Coupon", R"({"type": "object", "required": ["code", "kind"], "properties": {
        "coupon_id": {"type": "string", "readOnly": true}, "code": {"type": "string", "pattern": "^[A-Za-z0-9_-]{3,32}$"},
        "kind": {"enum": ["percent", "fixed"]}, "percent": {"type": "integer", "minimum": 1, "maximum": 100},
        "amount_cents": {"type": "integer", "minimum": 1}, "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "max_uses": {"type": ["integer", "null"], "minimum": 1}, "max_uses_per_buyer": {"type": ["integer", "null"], "minimum": 1},
        "min_total_cents": {"type": "integer", "minimum": 0},
        "beat_ids": {"type": "array", "items": {"type": "string"}, "description": "empty: all my beats"},
        "tiers": {"type": "array", "items": {"enum": ["basic", "premium", "unlimited", "exclusive"]}},
        "uses": {"type": "integer", "readOnly": true}, "created_at": {"type": "string", "readOnly": true}}})");
    router.schema("CouponList", R"({"type": "object", "required": ["coupons"], "properties": {
        "coupons": {"type": "array", "items": {"$ref": "#/components/schemas/Coupon"}}}})");
    router.schema("Removed", R"({"type": "object", "properties": {"deleted": {"const": true}}})");

    router.add({.method = "GET", .path = "/api/deals",
                .doc = {.summary = "A producer's bulk deals", .tag = "deals", .responses = {{200, "DealList"}},
                        .query = {"producer"}},
                .handler = [&promotions](const Request& req) -> Reply {
                    http::QueryInput in(req);
                    auto producer = in.text("producer", 64);
                    if (auto e = in.error()) {
                        return *e;
                    }
                    if (!producer) {
                        return core::invalid_field("producer", "is required: a producer's user id");
                    }
                    boost::json::array deals;
                    for (const auto& d : promotions.deals_of(*producer)) {
                        deals.push_back(deal_json(d));
                    }
                    return Response::json(200, {{"deals", std::move(deals)}});
                }});
    router.add({.method = "POST", .path = "/api/deals", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Offer a bulk deal on my beats: quantity for the price of pay_for, on one tier or all",
                        .tag = "deals", .request = "Deal",
                        .responses = {{201, "Deal"}, {409, "Error"}, {422, "Error"}}},
                .handler = [&promotions](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto tier = in->has("tier") && in->object().at("tier").is_null() ? std::optional<std::string>("")
                                                                                      : in->string("tier", false, 0, 20);
                    auto quantity = in->integer("quantity", true, 2, 20);
                    auto pay_for = in->integer("pay_for", true, 1, 19);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    auto deal = promotions.add_deal(req.user().user_id, tier.value_or(""), static_cast<int>(*quantity),
                                                    static_cast<int>(*pay_for));
                    if (!deal) {
                        return deal.error();
                    }
                    return Response::json(201, deal_json(*deal));
                }});
    router.add({.method = "DELETE", .path = "/api/deals/{deal_id}", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "End one of my deals", .tag = "deals", .responses = {{200, "Removed"}, {404, "Error"}}},
                .handler = [&promotions](const Request& req) -> Reply {
                    if (auto done = promotions.remove_deal(req.user().user_id, std::string(req.param("deal_id"))); !done) {
                        return done.error();
                    }
                    return Response::json(200, {{"deal_id", std::string(req.param("deal_id"))}, {"deleted", true}});
                }});

    router.add({.method = "GET", .path = "/api/coupons", .auth = Auth::kRequired,
                .doc = {.summary = "My coupons, with how often each was used", .tag = "coupons",
                        .responses = {{200, "CouponList"}}},
                .handler = [&promotions](const Request& req) -> Reply {
                    boost::json::array coupons;
                    for (const auto& c : promotions.coupons_of(req.user().user_id)) {
                        coupons.push_back(coupon_json(c));
                    }
                    return Response::json(200, {{"coupons", std::move(coupons)}});
                }});
    router.add({.method = "POST", .path = "/api/coupons", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Make a coupon code for my beats", .tag = "coupons", .request = "Coupon",
                        .responses = {{201, "Coupon"}, {409, "Error"}, {422, "Error"}}},
                .handler = [&promotions](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto terms = coupon_from_json(in->object(), core::clock::now_ms());
                    if (!terms) {
                        return terms.error();
                    }
                    auto coupon = promotions.add_coupon(req.user().user_id, *terms);
                    if (!coupon) {
                        return coupon.error();
                    }
                    return Response::json(201, coupon_json(*coupon));
                }});
    router.add({.method = "DELETE", .path = "/api/coupons/{coupon_id}", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Retire one of my coupons (its code is free again)", .tag = "coupons",
                        .responses = {{200, "Removed"}, {404, "Error"}}},
                .handler = [&promotions](const Request& req) -> Reply {
                    if (auto done = promotions.remove_coupon(req.user().user_id, std::string(req.param("coupon_id"))); !done) {
                        return done.error();
                    }
                    return Response::json(200, {{"coupon_id", std::string(req.param("coupon_id"))}, {"deleted", true}});
                }});
}

}  // namespace bb::commerce
