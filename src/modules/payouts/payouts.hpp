#pragma once
// The payouts module's public face: the module for main.cpp. Collaborator splits of a beat's
// sales, the ledger each sale and refund writes (with the platform's fee), balances, and payouts
// to connected Stripe accounts.
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

namespace bb::payouts {

class PayoutsModule : public core::Module {
public:
    PayoutsModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats, mail::MailModule& mail);
    ~PayoutsModule() override;

    std::string_view name() const override { return "payouts"; }
    void register_routes(http::Router& router) override;
    void subscribe(core::EventBus& bus) override;
    void register_jobs(core::JobRunner& jobs) override;
    core::Health health() const override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::payouts
