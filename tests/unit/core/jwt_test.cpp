#include "core/crypto.hpp"
#include "core/jwt.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

namespace {

using bb::core::jwt::Claims;
namespace crypto = bb::core::crypto;
namespace jwt = bb::core::jwt;

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef";

struct JwtFixture {
    JwtFixture() { crypto::init(); }
    Claims claims{"user-1", "session-1", kNow - 10, kNow + 3600};
};

struct Parts {
    std::string header, payload, signature;
};

Parts
split(const std::string& token)
{
    const auto a = token.find('.');
    const auto b = token.find('.', a + 1);
    REQUIRE(a != std::string::npos);
    REQUIRE(b != std::string::npos);
    return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

std::string
sign_input(const std::string& header_json, const std::string& payload_json, const std::string& secret)
{
    const std::string input = crypto::base64url(header_json) + "." + crypto::base64url(payload_json);
    return input + "." + crypto::base64url(crypto::hmac_sha256(secret, input));
}

const std::string kPayload = R"({"sub":"user-1","sid":"session-1","iat":1799999990,"exp":1800003600})";

void
check_invalid(const bb::core::Result<Claims>& r)
{
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == bb::core::Code::kUnauthorized);
    CHECK(r.error().slug == "invalid_token");
}

}  // namespace

TEST_SUITE("core/jwt") {

TEST_CASE_FIXTURE(JwtFixture, "sign then verify returns the same claims") {
    const auto token = jwt::sign(claims, kSecret);
    CHECK(std::count(token.begin(), token.end(), '.') == 2);
    auto r = jwt::verify(token, kSecret, kNow);
    REQUIRE(r.has_value());
    CHECK(r->sub == "user-1");
    CHECK(r->sid == "session-1");
    CHECK(r->iat == kNow - 10);
    CHECK(r->exp == kNow + 3600);
}

TEST_CASE_FIXTURE(JwtFixture, "the header is HS256") {
    std::string header;
    REQUIRE(crypto::base64url_decode(split(jwt::sign(claims, kSecret)).header, header));
    CHECK(header.find(R"("alg":"HS256")") != std::string::npos);
}

TEST_CASE_FIXTURE(JwtFixture, "a tampered payload is rejected") {
    auto parts = split(jwt::sign(claims, kSecret));
    const std::string forged = crypto::base64url(R"({"sub":"admin","sid":"session-1","iat":1799999990,"exp":1800003600})");
    CHECK(forged != parts.payload);
    check_invalid(jwt::verify(parts.header + "." + forged + "." + parts.signature, kSecret, kNow));
}

TEST_CASE_FIXTURE(JwtFixture, "a tampered signature is rejected") {
    auto parts = split(jwt::sign(claims, kSecret));
    std::string sig;
    REQUIRE(crypto::base64url_decode(parts.signature, sig));
    REQUIRE(sig.size() == 32);
    sig[0] = static_cast<char>(sig[0] ^ 0x01);
    check_invalid(jwt::verify(parts.header + "." + parts.payload + "." + crypto::base64url(sig), kSecret, kNow));
    // A signature cut short is refused too.
    sig.pop_back();
    check_invalid(jwt::verify(parts.header + "." + parts.payload + "." + crypto::base64url(sig), kSecret, kNow));
}

TEST_CASE_FIXTURE(JwtFixture, "the wrong secret is rejected") {
    const auto token = jwt::sign(claims, kSecret);
    check_invalid(jwt::verify(token, "another secret entirely", kNow));
    check_invalid(jwt::verify(token, "", kNow));
}

TEST_CASE_FIXTURE(JwtFixture, "alg none is rejected, with or without a signature") {
    const std::string none = crypto::base64url(R"({"alg":"none","typ":"JWT"})");
    const std::string payload = crypto::base64url(kPayload);
    check_invalid(jwt::verify(none + "." + payload + ".", kSecret, kNow));
    // Even with a signature that would be valid for those bytes.
    const std::string input = none + "." + payload;
    check_invalid(jwt::verify(input + "." + crypto::base64url(crypto::hmac_sha256(kSecret, input)), kSecret, kNow));
    // Case games do not help.
    check_invalid(jwt::verify(sign_input(R"({"alg":"None"})", kPayload, kSecret), kSecret, kNow));
    check_invalid(jwt::verify(sign_input(R"({"alg":"hs256"})", kPayload, kSecret), kSecret, kNow));
}

TEST_CASE_FIXTURE(JwtFixture, "other algorithms and odd headers are rejected") {
    check_invalid(jwt::verify(sign_input(R"({"alg":"RS256","typ":"JWT"})", kPayload, kSecret), kSecret, kNow));
    check_invalid(jwt::verify(sign_input(R"({"alg":"HS512","typ":"JWT"})", kPayload, kSecret), kSecret, kNow));
    check_invalid(jwt::verify(sign_input(R"({"typ":"JWT"})", kPayload, kSecret), kSecret, kNow));
    check_invalid(jwt::verify(sign_input(R"(["HS256"])", kPayload, kSecret), kSecret, kNow));
    check_invalid(jwt::verify(sign_input(R"({"alg":["HS256"]})", kPayload, kSecret), kSecret, kNow));
    check_invalid(jwt::verify(sign_input("not json", kPayload, kSecret), kSecret, kNow));
}

TEST_CASE_FIXTURE(JwtFixture, "a token we would have signed ourselves with another header layout is accepted") {
    // The header is checked by meaning, not bytes: a correctly signed HS256 token verifies.
    auto r = jwt::verify(sign_input(R"({"typ":"JWT","alg":"HS256"})", kPayload, kSecret), kSecret, kNow);
    REQUIRE(r.has_value());
    CHECK(r->sub == "user-1");
}

TEST_CASE_FIXTURE(JwtFixture, "expiry: exp <= now is token_expired, exp > now is fine") {
    claims.exp = kNow;
    auto at_exp = jwt::verify(jwt::sign(claims, kSecret), kSecret, kNow);
    REQUIRE_FALSE(at_exp.has_value());
    CHECK(at_exp.error().slug == "token_expired");
    CHECK(at_exp.error().code == bb::core::Code::kUnauthorized);

    auto later = jwt::verify(jwt::sign(claims, kSecret), kSecret, kNow + 1000);
    REQUIRE_FALSE(later.has_value());
    CHECK(later.error().slug == "token_expired");

    auto before = jwt::verify(jwt::sign(claims, kSecret), kSecret, kNow - 1);
    CHECK(before.has_value());
}

TEST_CASE_FIXTURE(JwtFixture, "an expired token with a bad signature is invalid, not expired") {
    claims.exp = kNow - 100;
    const auto token = jwt::sign(claims, kSecret);
    auto r = jwt::verify(token, "wrong", kNow);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().slug == "invalid_token");
}

TEST_CASE_FIXTURE(JwtFixture, "malformed strings are rejected") {
    const auto token = jwt::sign(claims, kSecret);
    const auto parts = split(token);
    check_invalid(jwt::verify("", kSecret, kNow));
    check_invalid(jwt::verify("nodots", kSecret, kNow));
    check_invalid(jwt::verify("one.dot", kSecret, kNow));
    check_invalid(jwt::verify("..", kSecret, kNow));
    check_invalid(jwt::verify(token + ".extra", kSecret, kNow));
    check_invalid(jwt::verify(token + ".", kSecret, kNow));
    check_invalid(jwt::verify("a.b.c.d", kSecret, kNow));
    check_invalid(jwt::verify("!!!." + parts.payload + "." + parts.signature, kSecret, kNow));
    check_invalid(jwt::verify(parts.header + ".@@@." + parts.signature, kSecret, kNow));
    check_invalid(jwt::verify(parts.header + "." + parts.payload + ".***", kSecret, kNow));
    // Standard base64 padding is not base64url without padding.
    check_invalid(jwt::verify(parts.header + "=." + parts.payload + "." + parts.signature, kSecret, kNow));
    // Whitespace around the token is not trimmed.
    check_invalid(jwt::verify(" " + token, kSecret, kNow));
}

TEST_CASE_FIXTURE(JwtFixture, "a correctly signed payload missing claims or of the wrong types is rejected") {
    const std::string header = R"({"alg":"HS256","typ":"JWT"})";
    check_invalid(jwt::verify(sign_input(header, R"({"sid":"s","iat":1,"exp":1900000000})", kSecret), kSecret, kNow));
    check_invalid(jwt::verify(sign_input(header, R"({"sub":"u","sid":"s","iat":1})", kSecret), kSecret, kNow));
    check_invalid(
        jwt::verify(sign_input(header, R"({"sub":"u","sid":"s","iat":1,"exp":"1900000000"})", kSecret), kSecret, kNow));
    check_invalid(jwt::verify(sign_input(header, R"({"sub":7,"sid":"s","iat":1,"exp":1900000000})", kSecret), kSecret, kNow));
    check_invalid(jwt::verify(sign_input(header, R"([1,2,3])", kSecret), kSecret, kNow));
    check_invalid(jwt::verify(sign_input(header, "garbage", kSecret), kSecret, kNow));
}

}  // TEST_SUITE
