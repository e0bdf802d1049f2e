#pragma once
// The share links' HTTP API: the owner's (/api/shares...) and the listener's (/api/s/{id}...,
// no account needed).
#include "modules/shares/store.hpp"

namespace bb::http {
class Router;
}
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

void register_routes(http::Router& router, Store& store, users::UsersModule& users, beats::BeatsModule& beats,
                     playlists::PlaylistsModule& playlists);

}  // namespace bb::shares
