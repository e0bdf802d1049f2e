#pragma once
// The free-downloads module's public face: the module for main.cpp. A producer may give a beat's
// tagged MP3 (its preview, with their voice tag) away in exchange for an email address or a follow;
// the link is mailed or given at once, as the producer chooses. Producers see who claimed it.
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

namespace bb::free_downloads {

class FreeDownloadsModule : public core::Module {
public:
    FreeDownloadsModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                        mail::MailModule& mail);
    ~FreeDownloadsModule() override;

    std::string_view name() const override { return "free_downloads"; }
    void register_routes(http::Router& router) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::free_downloads
