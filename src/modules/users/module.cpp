#include "core/config.hpp"
#include "core/event_bus.hpp"
#include "http/router.hpp"
#include "modules/users/routes.hpp"
#include "modules/users/service.hpp"
#include "modules/users/users.hpp"

#include <thread>

namespace bb::users {

struct UsersModule::Impl {
    core::StringCache profiles;
    PurchasedBeats purchased;
    core::RateLimiter auth_limiter;
    Service service;

    Impl(core::Services& s, mail::MailModule& mail)
        : auth_limiter(s.config.auth_rate, std::chrono::minutes(1)),
          service(s.db, s.secret,
                  {.token_ttl_s = s.config.token_ttl_s,
                   .hash_slots = s.config.hash_concurrency > 0 ? s.config.hash_concurrency
                                                               : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
                   .hash_queue = s.config.hash_queue,
                   .public_url = s.config.public_url},
                  [this](const std::string& user_id) { profiles.drop(user_id); }, s.hub, mail)
    {
    }
};

UsersModule::UsersModule(core::Services& services, mail::MailModule& mail)
    : impl_(std::make_unique<Impl>(services, mail))
{
}

UsersModule::~UsersModule() = default;

void
UsersModule::register_routes(http::Router& router)
{
    users::register_routes(router, impl_->service, impl_->profiles, impl_->auth_limiter, [this](const std::string& id) {
        return impl_->purchased ? impl_->purchased(id) : std::vector<std::string>{};
    });
    register_email_routes(router, impl_->service, impl_->auth_limiter);
    router.set_authenticator([this](std::string_view token) { return impl_->service.authenticate(token); });
}

void
UsersModule::subscribe(core::EventBus&)
{
    // The beats module's events will keep beats_count current once it exists.
}

core::Health
UsersModule::health() const
{
    return {};
}

std::optional<UserSummary>
UsersModule::find(std::string_view id_or_username) const
{
    return impl_->service.find(id_or_username);
}

std::vector<std::string>
UsersModule::followers_of(const std::string& user_id, const std::string& after, int limit) const
{
    return impl_->service.followers_of(user_id, after, limit);
}

void
UsersModule::set_purchased_beats(PurchasedBeats fn)
{
    impl_->purchased = std::move(fn);
}

std::vector<std::string>
UsersModule::purchased_beats(const std::string& user_id) const
{
    return impl_->purchased ? impl_->purchased(user_id) : std::vector<std::string>{};
}

void
UsersModule::count_beats(core::Tx& tx, const std::string& user_id, int delta)
{
    impl_->service.add_beats(user_id, delta, tx);
}

std::optional<std::string>
UsersModule::email_of(const std::string& user_id) const
{
    return impl_->service.email_of(user_id);
}

core::Result<void>
UsersModule::follow(const std::string& follower_id, const std::string& followee_id)
{
    auto done = impl_->service.follow(http::Principal{follower_id, "", "user"}, followee_id, true);
    if (!done) {
        return done.error();
    }
    return {};
}

core::Result<void>
UsersModule::suspend(core::Tx& tx, const std::string& user_id, const std::string& reason)
{
    return impl_->service.suspend(tx, user_id, reason);
}

core::Result<void>
UsersModule::unsuspend(core::Tx& tx, const std::string& user_id)
{
    return impl_->service.unsuspend(tx, user_id);
}

core::Result<UserSummary>
UsersModule::create(const NewUser& user)
{
    NewUser trusted = user;
    trusted.trusted = true;
    auto done = impl_->service.signup(trusted);
    if (!done) {
        return done.error();
    }
    return UserSummary{done->account.id, done->account.username, done->account.role};
}

}  // namespace bb::users
