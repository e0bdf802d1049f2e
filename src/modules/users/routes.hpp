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

}  // namespace bb::users
