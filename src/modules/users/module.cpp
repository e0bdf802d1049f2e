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

    explicit Impl(core::Services& s)
        : auth_limiter(s.config.auth_rate, std::chrono::minutes(1)),
          service(s.db, s.secret,
                  {.token_ttl_s = s.config.token_ttl_s,
                   .hash_slots = s.config.hash_concurrency > 0 ? s.config.hash_concurrency
                                                               : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
                   .hash_queue = s.config.hash_queue},
                  [this](const std::string& user_id) { profiles.drop(user_id); }, s.hub)
    {
    }
};

UsersModule::UsersModule(core::Services& services) : impl_(std::make_unique<Impl>(services)) {}

UsersModule::~UsersModule() = default;

void
UsersModule::register_routes(http::Router& router)
{
    users::register_routes(router, impl_->service, impl_->profiles, impl_->auth_limiter, [this](const std::string& id) {
        return impl_->purchased ? impl_->purchased(id) : std::vector<std::string>{};
    });
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

core::Result<UserSummary>
UsersModule::create(const NewUser& user)
{
    auto done = impl_->service.signup(user);
    if (!done) {
        return done.error();
    }
    return UserSummary{done->account.id, done->account.username, done->account.role};
}

}  // namespace bb::users
