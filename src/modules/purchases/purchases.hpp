#pragma once
// The purchases module's public face: its events and the module for main.cpp. It answers the
// users module (purchased beats) and the beats module (download rights) through the functions
// those modules expose, so neither depends on it.
#include "core/db.hpp"
#include "core/module.hpp"
#include "core/services.hpp"

#include <memory>

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

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::purchases
