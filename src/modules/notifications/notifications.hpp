#pragma once
// The notifications module's public face: the module for main.cpp. It only listens (to
// purchases, chat, beats, reviews and users) and tells people, over REST and WebSocket.
#include "core/db.hpp"
#include "core/module.hpp"
#include "core/services.hpp"

#include <memory>

namespace bb::users {
class UsersModule;
}

namespace bb::notifications {

// Payload: {notification_id, user_id, kind}
inline constexpr core::Topic kNotificationCreated{"notification.created"};

class NotificationsModule : public core::Module {
public:
    NotificationsModule(core::Services& services, users::UsersModule& users);
    ~NotificationsModule() override;

    std::string_view name() const override { return "notifications"; }
    void register_routes(http::Router& router) override;
    void subscribe(core::EventBus& bus) override;
    void register_jobs(core::JobRunner& jobs) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::notifications
