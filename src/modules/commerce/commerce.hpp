#pragma once
// The commerce module's public face: its events and the module for main.cpp. A buyer's cart kept
// on the server, producers' bulk deals and coupons, and offers on a beat's license (the buyer
// names a price, the producer accepts, declines or counters; an accepted offer is a price for that
// buyer only, for a while).
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
namespace bb::mail {
class MailModule;
}
namespace bb::purchases {
class PurchasesModule;
}

namespace bb::commerce {

// Payload: {offer_id, beat_id, title, license, buyer_id, producer_id, status, amount_cents, currency,
// actor_id, expires_at}. status: open (awaiting the producer), countered (awaiting the buyer),
// accepted, declined, withdrawn, expired, purchased. Tells the party who did not act.
inline constexpr core::Topic kOfferChanged{"offer.changed"};

class CommerceModule : public core::Module {
public:
    CommerceModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                   purchases::PurchasesModule& purchases, mail::MailModule& mail);
    ~CommerceModule() override;

    std::string_view name() const override { return "commerce"; }
    void register_routes(http::Router& router) override;
    void subscribe(core::EventBus& bus) override;
    void register_jobs(core::JobRunner& jobs) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::commerce
