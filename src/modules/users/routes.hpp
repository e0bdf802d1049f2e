#pragma once
// The users module's HTTP adapters: parse, call the service, serialise.
#include "core/rate_limiter.hpp"
#include "core/string_cache.hpp"
#include "modules/users/service.hpp"

namespace bb::http {
class Router;
}

namespace bb::users {

void register_routes(http::Router& router, Service& service, core::StringCache& profiles, core::RateLimiter& auth_limiter,
                     PurchasedBeats purchased);
// Email verification and the forgotten-password reset (email_routes.cpp).
void register_email_routes(http::Router& router, Service& service, core::RateLimiter& auth_limiter);

}  // namespace bb::users
