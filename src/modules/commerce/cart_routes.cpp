// The cart over HTTP: read it priced, add and remove beats, apply or drop a coupon.
#include "core/crypto.hpp"
#include "http/json_input.hpp"
#include "http/router.hpp"
#include "modules/beats/beats.hpp"
#include "modules/commerce/routes.hpp"

#include <algorithm>

namespace bb::commerce {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

void
register_cart_routes(http::Router& router, Cart& cart, beats::BeatsModule& beats, Promotions& promotions,
                     CartReader read)
{
    router.schema("CartItem", R"({"type": "object", "required": ["beat_id", "license", "available", "price_cents"],
        "properties": {"beat_id": {"type": "string"}, "license": {"enum": ["basic", "premium", "unlimited", "exclusive"]},
        "title": {"type": "string"}, "artist": {"type": "string"}, "producer_id": {"type": "string"},
        "list_price_cents": {"type": "integer"}, "price_cents": {"type": "integer", "description": "what it costs here, after offers, deals and the coupon"},
        "deal_discount_cents": {"type": "integer"}, "coupon_discount_cents": {"type": "integer"},
        "deal_id": {"type": ["string", "null"]}, "offer_id": {"type": ["string", "null"]},
        "available": {"type": "boolean"},
        "problem": {"enum": ["sold", "gone", "not_ready", "license_not_offered", "own_beat", null]}}})");
    router.schema("Cart", R"({"type": "object", "required": ["items", "subtotal_cents", "discount_cents", "total_cents"],
        "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/CartItem"}},
        "coupon": {"type": ["object", "null"], "properties": {"code": {"type": "string"}, "applied": {"type": "boolean"},
            "discount_cents": {"type": "integer"}, "problem": {"type": ["string", "null"]}}},
        "subtotal_cents": {"type": "integer"}, "deal_discount_cents": {"type": "integer"},
        "coupon_discount_cents": {"type": "integer"}, "discount_cents": {"type": "integer"},
        "total_cents": {"type": "integer"}, "total": {"type": "number"}, "currency": {"type": "string"},
        "count": {"type": "integer", "description": "items that can be bought"}},
        "description": "integer cents; items with a problem are listed but not counted"})");
    router.schema("CartAdd", R"({"type": "object", "required": ["beat_id"], "properties": {
        "beat_id": {"type": "string"}, "license": {"enum": ["basic", "premium", "unlimited", "exclusive"]}}})");
    router.schema("CartCoupon", R"({"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}})");

    auto priced = [read](const Request& req, int status) -> Reply {
        return Response::json(status, cart_json(read(req.user().user_id)));
    };

    router.add({.method = "GET", .path = "/api/cart", .auth = Auth::kRequired, .exec = Exec::kRead,
                .doc = {.summary = "My cart, priced: offers, deals and the coupon applied", .tag = "cart",
                        .responses = {{200, "Cart"}}},
                .handler = [priced](const Request& req) { return priced(req, 200); }});
    router.add({.method = "POST", .path = "/api/cart/items", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Put a beat in my cart with a license (again: change its license)", .tag = "cart",
                        .request = "CartAdd",
                        .responses = {{201, "Cart"}, {404, "Error"}, {409, "Error"}, {422, "Error"}}},
                .handler = [&cart, &beats, priced](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto beat_id = in->string("beat_id", true, 1, 64);
                    auto license = in->string("license", false, 1, 20);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    const std::string type = license.value_or("basic");
                    auto beat = beats.find(*beat_id);
                    if (!beat || beat->status == "deleted") {
                        return core::not_found("beat");
                    }
                    if (beat->producer_id == req.user().user_id) {
                        return core::invalid_field("beat_id", "you cannot buy your own beat");
                    }
                    if (beat->status != "ready") {
                        return core::conflict(beat->status == "sold" ? "sold" : "not_ready", "this beat is not for sale");
                    }
                    if (std::none_of(beat->licenses.begin(), beat->licenses.end(),
                                     [&](const auto& l) { return l.type == type; })) {
                        return core::invalid_field("license", "this beat does not offer a " + type + " license");
                    }
                    if (auto added = cart.add(req.user().user_id, *beat_id, type); !added) {
                        return added.error();
                    }
                    return priced(req, 201);
                }});
    router.add({.method = "DELETE", .path = "/api/cart/items/{beat_id}", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Take a beat out of my cart", .tag = "cart",
                        .responses = {{200, "Cart"}, {404, "Error"}}},
                .handler = [&cart, priced](const Request& req) -> Reply {
                    if (auto done = cart.remove(req.user().user_id, std::string(req.param("beat_id"))); !done) {
                        return done.error();
                    }
                    return priced(req, 200);
                }});
    router.add({.method = "PUT", .path = "/api/cart/coupon", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Use a coupon code on my cart (one at a time); 422 says why one cannot be used",
                        .tag = "cart", .request = "CartCoupon",
                        .responses = {{200, "Cart"}, {404, "Error"}, {422, "Error"}}},
                .handler = [&cart, &promotions, read](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto code = in->string("code", true, 1, 32);
                    if (auto e = in->error()) {
                        return *e;
                    }
                    if (auto usable = promotions.usable_now(*code, req.user().user_id); !usable) {
                        return usable.error();
                    }
                    cart.set_coupon(req.user().user_id, *code);
                    auto view = read(req.user().user_id);
                    if (!view.coupon_problem.empty()) {  // valid, but not for anything in this cart
                        cart.set_coupon(req.user().user_id, std::nullopt);
                        return core::Error{core::Code::kInvalidInput, "coupon_not_applicable", view.coupon_problem,
                                           {{"fields", {{"code", view.coupon_problem}}}}};
                    }
                    return Response::json(200, cart_json(view));
                }});
    router.add({.method = "DELETE", .path = "/api/cart/coupon", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Stop using the coupon", .tag = "cart", .responses = {{200, "Cart"}}},
                .handler = [&cart, priced](const Request& req) -> Reply {
                    cart.set_coupon(req.user().user_id, std::nullopt);
                    return priced(req, 200);
                }});
}

}  // namespace bb::commerce

namespace bb::commerce {

void
register_checkout_route(http::Router& router, Checkouts& checkouts)
{
    router.schema("CartCheckout", R"({"type": "object", "required": ["payment"], "properties": {
        "payment": {"type": "object", "required": ["provider"], "properties": {"provider": {"enum": ["test", "stripe"]},
            "token": {"type": "string", "description": "test provider: tok_visa, tok_chargeDeclined, ..."}}}},
        "description": "pays for everything in the cart at its cart price; send Idempotency-Key to retry safely"})");
    router.add({.method = "POST", .path = "/api/cart/checkout", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Pay for the cart in one payment: answers as POST /api/purchases does (201 completed, "
                                   "or pending with checkout_url for Stripe; 402 declined)",
                        .tag = "cart", .request = "CartCheckout",
                        .responses = {{201, "Purchase"}, {402, "Error"}, {409, "Error"}, {422, "Error"}, {503, "Error"}}},
                .handler = [&checkouts](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    const auto* payment = in->object().if_contains("payment");
                    std::string provider;
                    std::string token;
                    if (payment == nullptr || !payment->is_object()) {
                        in->fail("payment", "is required: {provider: \"test\", token: \"tok_visa\"} or {provider: \"stripe\"}");
                    } else {
                        const auto& p = payment->as_object();
                        if (const auto* v = p.if_contains("provider"); v != nullptr && v->is_string()) {
                            provider = std::string(v->as_string());
                        } else {
                            in->fail("payment.provider", "is required");
                        }
                        if (const auto* v = p.if_contains("token"); v != nullptr && v->is_string()) {
                            token = std::string(v->as_string());
                        }
                    }
                    if (auto e = in->error()) {
                        return *e;
                    }
                    std::optional<std::string> key;
                    if (auto k = req.header("Idempotency-Key"); !k.empty()) {
                        if (k.size() > 255) {
                            return core::invalid_field("Idempotency-Key", "must be at most 255 characters");
                        }
                        key = "cart:" + std::string(k);  // a cart's keys never meet POST /api/purchases' own
                    }
                    auto answer = checkouts.checkout(req.user(), provider, token, key,
                                                     core::crypto::sha256_hex("cart\n" + std::string(req.body)));
                    if (!answer) {
                        return answer.error();
                    }
                    Response res = Response::text(answer->status, std::move(answer->body), "application/json; charset=utf-8");
                    if (key) {
                        res.with_header("Idempotency-Key", std::string(req.header("Idempotency-Key")));
                    }
                    return res;
                }});
}

}  // namespace bb::commerce
