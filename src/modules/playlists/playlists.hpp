#pragma once
// The playlists module's public face: its event and the module for main.cpp.
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/module.hpp"
#include "core/services.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bb::beats {
class BeatsModule;
}

namespace bb::playlists {

// Payload: {playlist_id, owner_id, name, public}
inline constexpr core::Topic kPlaylistCreated{"playlist.created"};

struct PlaylistInfo {
    std::string playlist_id;
    std::string owner_id;
    std::string name;
    std::string description;
    bool is_public = false;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    std::vector<std::string> beat_ids;  // in order
};

// What may change; absent fields stay. beat_ids replaces the whole list, in that order.
struct PlaylistEdit {
    std::optional<std::string> name;
    std::optional<std::string> description;
    std::optional<bool> is_public;
    std::optional<std::vector<std::string>> beat_ids;
};

class PlaylistsModule : public core::Module {
public:
    PlaylistsModule(core::Services& services, beats::BeatsModule& beats);
    ~PlaylistsModule() override;

    std::string_view name() const override { return "playlists"; }
    void register_routes(http::Router& router) override;

    // The same rules as the HTTP API: reading needs the playlist public or yours (404 otherwise),
    // changing needs it yours (403 for someone else's public one) or an admin.
    std::vector<PlaylistInfo> owned_by(const std::string& user_id) const;
    core::Result<PlaylistInfo> get(const std::string& viewer_id, const std::string& playlist_id) const;
    core::Result<PlaylistInfo> create(const std::string& owner_id, const std::string& name,
                                      const std::vector<std::string>& beat_ids);
    core::Result<PlaylistInfo> edit(const std::string& user_id, bool is_admin, const std::string& playlist_id,
                                    const PlaylistEdit& edit);
    core::Result<void> remove(const std::string& user_id, bool is_admin, const std::string& playlist_id);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::playlists
