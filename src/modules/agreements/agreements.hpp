#pragma once
// The agreements module's public face: the module for main.cpp. Each completed sale gets a license
// agreement per beat (fixed at the sale, printed as a PDF the buyer downloads), the buyer a
// receipt with the agreements attached and each producer a sale notice by mail. Producers set the
// terms of each license tier.
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

namespace bb::agreements {

class AgreementsModule : public core::Module {
public:
    AgreementsModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                     mail::MailModule& mail);
    ~AgreementsModule() override;

    std::string_view name() const override { return "agreements"; }
    void register_routes(http::Router& router) override;
    void subscribe(core::EventBus& bus) override;
    void register_jobs(core::JobRunner& jobs) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::agreements
