#pragma once
// The playlists module's public face: its event and the module for main.cpp.
#include "core/db.hpp"
#include "core/module.hpp"
#include "core/services.hpp"

#include <memory>

namespace bb::beats {
class BeatsModule;
}

namespace bb::playlists {

// Payload: {playlist_id, owner_id, name, public}
inline constexpr core::Topic kPlaylistCreated{"playlist.created"};

class PlaylistsModule : public core::Module {
public:
    PlaylistsModule(core::Services& services, beats::BeatsModule& beats);
    ~PlaylistsModule() override;

    std::string_view name() const override { return "playlists"; }
    void register_routes(http::Router& router) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::playlists
