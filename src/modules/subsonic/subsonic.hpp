#pragma once
// The subsonic module's public face: the Subsonic API for third-party music players (DSub,
// Symfonium, Feishin...) under /rest/, and the app passwords they sign in with. It owns its
// tables (subsonic_*) and reaches the catalogue, playlists and accounts only through their
// modules' public headers.
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

namespace bb::subsonic {

class SubsonicModule : public core::Module {
public:
    SubsonicModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                   playlists::PlaylistsModule& playlists);
    ~SubsonicModule() override;

    std::string_view name() const override { return "subsonic"; }
    void register_routes(http::Router& router) override;
    void subscribe(core::EventBus& bus) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::subsonic
