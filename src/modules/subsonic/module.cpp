#include "core/config.hpp"
#include "core/event_bus.hpp"
#include "modules/beats/beats.hpp"
#include "modules/subsonic/routes.hpp"
#include "modules/subsonic/subsonic.hpp"
#include "modules/users/users.hpp"

namespace bb::subsonic {

struct SubsonicModule::Impl {
    users::UsersModule& users;
    AppPasswords passwords;
    Stars stars;
    Authenticator auth;
    Api api;

    Impl(core::Services& s, users::UsersModule& u, beats::BeatsModule& b, playlists::PlaylistsModule& p)
        : users(u), passwords(s.db, s.secret), stars(s.db), auth(u, passwords, s.config.auth_rate), api(u, b, p, stars)
    {
    }
};

SubsonicModule::SubsonicModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                               playlists::PlaylistsModule& playlists)
    : impl_(std::make_unique<Impl>(services, users, beats, playlists))
{
}

SubsonicModule::~SubsonicModule() = default;

void
SubsonicModule::register_routes(http::Router& router)
{
    subsonic::register_routes(router, impl_->api, impl_->auth, impl_->passwords, impl_->users);
}

void
SubsonicModule::subscribe(core::EventBus& bus)
{
    // A deleted account's app passwords stop working with it; its stars and players go too.
    bus.subscribe(users::kUserDeleted, "subsonic.on_user_deleted", [this](const core::Event& e, core::Tx& tx) {
        const std::string user_id(e.payload.at("user_id").as_string());
        impl_->passwords.remove_all(tx, user_id);
        impl_->stars.remove_all(tx, user_id);
        return core::Result<void>{};
    });
    for (const auto& topic : {beats::kBeatReady, beats::kBeatDeleted}) {
        bus.subscribe(topic, std::string("subsonic.albums_on_") + std::string(topic.name), [this](const core::Event&, core::Tx&) {
            impl_->api.catalog.forget();
            return core::Result<void>{};
        });
    }
}

}  // namespace bb::subsonic
