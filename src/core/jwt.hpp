#pragma once
// JSON Web Tokens, HS256 only. Anything else (alg "none", RS256, a bad signature, a malformed
// token, an expired one) is refused.
#include "core/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace bb::core::jwt {

struct Claims {
    std::string sub;  // user id
    std::string sid;  // session id
    std::int64_t iat = 0;
    std::int64_t exp = 0;
};

std::string sign(const Claims& claims, std::string_view secret);
// now_s is the current Unix time in seconds.
Result<Claims> verify(std::string_view token, std::string_view secret, std::int64_t now_s);

}  // namespace bb::core::jwt
