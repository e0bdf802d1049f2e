#pragma once
// The forums module's public face (live discussion rooms): the module for main.cpp.
#include "core/db.hpp"
#include "core/module.hpp"
#include "core/services.hpp"

#include <memory>

namespace bb::users {
class UsersModule;
}
namespace bb::beats {
class BeatsModule;
}

namespace bb::forums {

// Payload: {room_id, room_type, beat_id, genre, name, created_by}
inline constexpr core::Topic kRoomCreated{"forum.room_created"};
// Payload: {room_id, closed_by}
inline constexpr core::Topic kRoomClosed{"forum.room_closed"};

class ForumsModule : public core::Module {
public:
    ForumsModule(core::Services& services, users::UsersModule& users, beats::BeatsModule& beats);
    ~ForumsModule() override;

    std::string_view name() const override { return "forums"; }
    void register_routes(http::Router& router) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::forums
