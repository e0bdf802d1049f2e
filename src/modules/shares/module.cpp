#include "core/event_bus.hpp"
#include "modules/shares/routes.hpp"
#include "modules/shares/shares.hpp"
#include "modules/users/users.hpp"

namespace bb::shares {

struct SharesModule::Impl {
    Store store;
    users::UsersModule& users;
    beats::BeatsModule& beats;
    playlists::PlaylistsModule& playlists;
};

SharesModule::SharesModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats,
                           playlists::PlaylistsModule& playlists)
    : impl_(std::make_unique<Impl>(Impl{Store(services.db, services.secret), users, beats, playlists}))
{
}

SharesModule::~SharesModule() = default;

void
SharesModule::register_routes(http::Router& router)
{
    shares::register_routes(router, impl_->store, impl_->users, impl_->beats, impl_->playlists);
}

void
SharesModule::subscribe(core::EventBus& bus)
{
    // A deleted account's links stop working with it.
    bus.subscribe(users::kUserDeleted, "shares.on_user_deleted", [this](const core::Event& e, core::Tx& tx) {
        impl_->store.revoke_all_of(tx, std::string(e.payload.at("user_id").as_string()), e.created_ms);
        return core::Result<void>{};
    });
}

}  // namespace bb::shares
