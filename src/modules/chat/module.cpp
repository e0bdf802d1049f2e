// Chat (seed): direct messages between two users, over REST and a WebSocket per user.
#include "modules/chat/chat.hpp"

#include "core/config.hpp"
#include "modules/chat/routes.hpp"
#include "modules/chat/service.hpp"

namespace bb::chat {

struct ChatModule::Impl {
    Impl(core::Services& services, users::UsersModule& users)
        : hub(services.hub),
          service(services.db, users, services.secret),
          senders(services.config.ws_rate, std::chrono::seconds(10))
    {
    }
    http::WsHub& hub;
    Service service;
    core::RateLimiter senders;
};

ChatModule::ChatModule(core::Services& services, users::UsersModule& users)
    : impl_(std::make_unique<Impl>(services, users))
{
}

ChatModule::~ChatModule() = default;

void
ChatModule::register_routes(http::Router& router)
{
    add_routes(router, impl_->service, impl_->hub, impl_->senders);
}

}  // namespace bb::chat
