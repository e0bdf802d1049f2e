#include "core/jwt.hpp"

#include "core/crypto.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace bb::core::jwt {
namespace {

// The header is fixed: we only ever issue and accept this one.
const std::string kHeader = crypto::base64url(R"({"alg":"HS256","typ":"JWT"})");

Error
invalid_token(std::string why)
{
    return Error{Code::kUnauthorized, "invalid_token", "invalid token: " + std::move(why), {}};
}

}  // namespace

std::string
sign(const Claims& claims, std::string_view secret)
{
    boost::json::object payload;
    payload["sub"] = claims.sub;
    payload["sid"] = claims.sid;
    payload["iat"] = claims.iat;
    payload["exp"] = claims.exp;
    std::string signing_input = kHeader + "." + crypto::base64url(boost::json::serialize(payload));
    return signing_input + "." + crypto::base64url(crypto::hmac_sha256(secret, signing_input));
}

Result<Claims>
verify(std::string_view token, std::string_view secret, std::int64_t now_s)
{
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        return invalid_token("malformed");
    }
    std::string header_json;
    if (!crypto::base64url_decode(token.substr(0, first), header_json)) {
        return invalid_token("malformed header");
    }
    boost::system::error_code ec;
    auto header = boost::json::parse(header_json, ec);
    if (ec || !header.is_object() || !header.as_object().contains("alg") ||
        header.as_object().at("alg") != "HS256") {
        return invalid_token("unsupported algorithm");
    }
    std::string signature;
    if (!crypto::base64url_decode(token.substr(second + 1), signature)) {
        return invalid_token("malformed signature");
    }
    const auto expected = crypto::hmac_sha256(secret, token.substr(0, second));
    if (!crypto::equal_constant_time(signature, expected)) {
        return invalid_token("bad signature");
    }
    std::string payload_json;
    if (!crypto::base64url_decode(token.substr(first + 1, second - first - 1), payload_json)) {
        return invalid_token("malformed payload");
    }
    auto payload = boost::json::parse(payload_json, ec);
    if (ec || !payload.is_object()) {
        return invalid_token("malformed payload");
    }
    const auto& p = payload.as_object();
    const auto* sub = p.if_contains("sub");
    const auto* sid = p.if_contains("sid");
    const auto* iat = p.if_contains("iat");
    const auto* exp = p.if_contains("exp");
    if (sub == nullptr || !sub->is_string() || sid == nullptr || !sid->is_string() || iat == nullptr ||
        !iat->is_int64() || exp == nullptr || !exp->is_int64()) {
        return invalid_token("missing claims");
    }
    Claims claims{std::string(sub->as_string()), std::string(sid->as_string()), iat->as_int64(), exp->as_int64()};
    if (claims.exp <= now_s) {
        return Error{Code::kUnauthorized, "token_expired", "the token has expired; log in again", {}};
    }
    return claims;
}

}  // namespace bb::core::jwt
