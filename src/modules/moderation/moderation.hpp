#pragma once
// The moderation module's public face: the module for main.cpp. Users report a beat or a user;
// admins read the reports, take a beat down (it leaves the store; buyers keep what they bought),
// suspend or reinstate an account, dismiss a report, and read the audit log of every admin action.
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

namespace bb::moderation {

class ModerationModule : public core::Module {
public:
    ModerationModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                     mail::MailModule& mail);
    ~ModerationModule() override;

    std::string_view name() const override { return "moderation"; }
    void register_routes(http::Router& router) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::moderation
