#pragma once
// The HTTP side: /rest/{method} (with or without .view, GET or formPost) and the app password
// endpoints under /api/users/profile/app-passwords.
#include "modules/subsonic/api.hpp"
#include "modules/subsonic/auth.hpp"

namespace bb::http {
class Router;
}

namespace bb::subsonic {

void register_routes(http::Router& router, Api& api, Authenticator& auth, AppPasswords& passwords,
                     users::UsersModule& users);

}  // namespace bb::subsonic
