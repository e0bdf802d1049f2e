#pragma once
// The purchases module's public face: its events and the module for main.cpp. It answers the
// users module (purchased beats) and the beats module (download rights) through the functions
// those modules expose, so neither depends on it.
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/module.hpp"
#include "core/services.hpp"

#include <cstdint>
#include <memory>
#include <string_view>

namespace bb::users {
class UsersModule;
}
namespace bb::beats {
class BeatsModule;
}

namespace bb::purchases {

// Payload: {purchase_id, buyer_id, total_cents, currency, items: [{beat_id, seller_id, license, price_cents, title}]}
inline constexpr core::Topic kPurchaseCompleted{"purchase.completed"};
// Payload: {purchase_id, buyer_id, items: [...] as above}
inline constexpr core::Topic kPurchaseRefunded{"purchase.refunded"};
// Payload: {purchase_id, buyer_id, reason}
inline constexpr core::Topic kPurchaseDeclined{"purchase.declined"};

// Checks a Stripe-Signature header (t=, v1= HMAC-SHA256 of "t.payload", 300 s tolerance) for
// another Stripe webhook endpoint (Connect's has its own secret); 400 invalid_signature otherwise.
core::Result<void> verify_stripe_webhook(std::string_view header, std::string_view payload, std::string_view secret,
                                         std::int64_t now_s);

class PurchasesModule : public core::Module {
public:
    PurchasesModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats);
    ~PurchasesModule() override;

    std::string_view name() const override { return "purchases"; }
    void register_routes(http::Router& router) override;
    core::Health health() const override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::purchases
