#pragma once
// The purchases module's public face: its events and the module for main.cpp. It answers the
// users module (purchased beats) and the beats module (download rights) through the functions
// those modules expose, so neither depends on it.
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/module.hpp"
#include "core/services.hpp"

#include "http/request.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bb::users {
class UsersModule;
}
namespace bb::beats {
class BeatsModule;
}

namespace bb::purchases {

// Payload: {purchase_id, buyer_id, total_cents, currency, items: [{beat_id, seller_id, license, price_cents, title}]}
inline constexpr core::Topic kPurchaseCompleted{"purchase.completed"};
// Payload: {purchase_id, buyer_id, items: [...] as above, reason?}; reason is set when the refund was
// automatic (paid for an exclusive already sold to someone else: no license was ever granted).
inline constexpr core::Topic kPurchaseRefunded{"purchase.refunded"};
// Payload: {purchase_id, buyer_id, reason}
inline constexpr core::Topic kPurchaseDeclined{"purchase.declined"};

// Checks a Stripe-Signature header (t=, v1= HMAC-SHA256 of "t.payload", 300 s tolerance) for
// another Stripe webhook endpoint (Connect's has its own secret); 400 invalid_signature otherwise.
core::Result<void> verify_stripe_webhook(std::string_view header, std::string_view payload, std::string_view secret,
                                         std::int64_t now_s);

// A cart checkout from another module (commerce): which licenses, how to pay, and the pricing,
// which runs inside the purchase's own transaction (so what it writes, such as a coupon's use,
// commits or rolls back with the purchase, and concurrent checkouts are serialised by the writer).
struct PricedLine {
    std::string beat_id;
    std::string license;
    std::string seller_id;
    std::int64_t list_cents = 0;   // the license's price
    std::int64_t price_cents = 0;  // what to charge: set by the pricing (0 or more)
};
using Pricing = std::function<core::Result<void>(core::Tx& tx, const std::string& purchase_id, std::vector<PricedLine>& lines)>;

struct Checkout {
    std::vector<std::pair<std::string, std::string>> items;  // beat_id, license
    std::string provider;  // test | stripe
    std::string token;
    std::optional<std::string> idempotency_key;
    std::string body_hash;  // of the request, to tell a replay from a reuse of the key
    Pricing pricing;
};

// What POST /api/purchases would answer: its status and JSON body (an idempotent replay returns
// the first answer's bytes).
struct CheckoutAnswer {
    int status = 0;
    std::string body;
};

class PurchasesModule : public core::Module {
public:
    PurchasesModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats);
    ~PurchasesModule() override;

    std::string_view name() const override { return "purchases"; }
    void register_routes(http::Router& router) override;
    void register_jobs(core::JobRunner& jobs) override;
    void start() override;
    void stop() override;
    core::Health health() const override;

    // Blocks (a provider round trip for Stripe): the blocking pool only.
    core::Result<CheckoutAnswer> checkout(const http::Principal& who, Checkout checkout);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::purchases
