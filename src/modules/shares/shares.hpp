#pragma once
// The shares module's public face: links that let anyone play a producer's beat or an owner's
// playlist without an account, until they expire, are revoked or use their plays. Each play is
// counted and logged here and in the catalogue's playback log (listener "share:<id>"), in one
// transaction. The page for a link is /s/{id} in the web UI.
#include "core/module.hpp"
#include "core/services.hpp"

#include <memory>

namespace bb::users {
class UsersModule;
}
namespace bb::beats {
class BeatsModule;
}
namespace bb::playlists {
class PlaylistsModule;
}

namespace bb::shares {

class SharesModule : public core::Module {
public:
    SharesModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                 playlists::PlaylistsModule& playlists);
    ~SharesModule() override;

    std::string_view name() const override { return "shares"; }
    void register_routes(http::Router& router) override;
    void subscribe(core::EventBus& bus) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::shares
