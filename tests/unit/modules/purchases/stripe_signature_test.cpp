#include "modules/purchases/payments.hpp"

#include "core/crypto.hpp"

#include <doctest/doctest.h>

#include <cctype>
#include <cstdint>
#include <string>

using bb::purchases::verify_stripe_signature;

namespace {

constexpr std::string_view kSecret = "whsec_test_secret";
constexpr std::string_view kPayload = R"({"id":"evt_1","type":"checkout.session.completed"})";
constexpr std::int64_t kT = 1700000000;
// printf '%s' '1700000000.<payload>' | openssl dgst -sha256 -hmac whsec_test_secret
constexpr std::string_view kV1 = "a13d4b1f9003bc2fb6c06224e878b6056185eaa50d40e1e7dc05517f8af41d7b";

std::string
sign(std::string_view secret, std::int64_t t, std::string_view payload)
{
    const auto signed_payload = std::to_string(t) + "." + std::string(payload);
    return bb::core::crypto::hex(bb::core::crypto::hmac_sha256(secret, signed_payload));
}

std::string
header(std::int64_t t, std::string_view v1)
{
    return "t=" + std::to_string(t) + ",v1=" + std::string(v1);
}

void
check_rejected(const bb::core::Result<void>& r)
{
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == bb::core::Code::kBadRequest);
    CHECK(r.error().slug == "invalid_signature");
    CHECK_FALSE(r.error().message.empty());
}

}  // namespace

TEST_SUITE("purchases/stripe_signature") {

TEST_CASE("a correctly signed payload passes") {
    const std::string t = "t=" + std::to_string(kT);
    const std::string good(kV1);
    CHECK(sign(kSecret, kT, kPayload) == kV1);  // our HMAC agrees with openssl's
    CHECK(verify_stripe_signature(header(kT, kV1), kPayload, kSecret, kT).has_value());
    // Within the tolerance either way, and with the schemes Stripe adds, in any order.
    CHECK(verify_stripe_signature(header(kT, kV1), kPayload, kSecret, kT + 300).has_value());
    CHECK(verify_stripe_signature(header(kT, kV1), kPayload, kSecret, kT - 300).has_value());
    CHECK(verify_stripe_signature("v1=" + good + "," + t, kPayload, kSecret, kT).has_value());
    const std::string v0 = "v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39";
    CHECK(verify_stripe_signature(t + ",v1=" + good + "," + v0, kPayload, kSecret, kT).has_value());
    CHECK(verify_stripe_signature(t + ", v1=" + good, kPayload, kSecret, kT).has_value());
}

TEST_CASE("a tampered payload fails") {
    check_rejected(verify_stripe_signature(header(kT, kV1), R"({"id":"evt_1","type":"charge.refunded"})", kSecret, kT));
    check_rejected(verify_stripe_signature(header(kT, kV1), std::string(kPayload) + " ", kSecret, kT));
    check_rejected(verify_stripe_signature(header(kT, kV1), "", kSecret, kT));
}

TEST_CASE("a signature made with another secret fails") {
    check_rejected(verify_stripe_signature(header(kT, sign("whsec_other", kT, kPayload)), kPayload, kSecret, kT));
    // An empty configured secret never verifies, even a signature made with the empty key.
    check_rejected(verify_stripe_signature(header(kT, sign("", kT, kPayload)), kPayload, "", kT));
}

TEST_CASE("a timestamp outside the tolerance fails, even when correctly signed") {
    check_rejected(verify_stripe_signature(header(kT, kV1), kPayload, kSecret, kT + 301));  // 301 s old
    check_rejected(verify_stripe_signature(header(kT, kV1), kPayload, kSecret, kT - 301));  // 301 s in the future
    const auto fresh = kT + 1000;
    const auto signed_fresh = header(fresh, sign(kSecret, fresh, kPayload));
    CHECK(verify_stripe_signature(signed_fresh, kPayload, kSecret, fresh + 301, 600).has_value());
    // The timestamp is part of what is signed: moving it breaks the signature.
    check_rejected(verify_stripe_signature(header(kT + 1, kV1), kPayload, kSecret, kT + 1));
}

TEST_CASE("a header without a v1 signature fails") {
    const std::string t = "t=" + std::to_string(kT);
    const std::string good(kV1);
    check_rejected(verify_stripe_signature(t, kPayload, kSecret, kT));
    check_rejected(verify_stripe_signature(t + ",v0=" + good, kPayload, kSecret, kT));
    check_rejected(verify_stripe_signature(t + ",v1=", kPayload, kSecret, kT));
    check_rejected(verify_stripe_signature(t + ",V1=" + good, kPayload, kSecret, kT));
}

TEST_CASE("one valid v1 among several passes; none valid fails") {
    const std::string t = "t=" + std::to_string(kT);
    const std::string good(kV1);
    const auto bad = sign("whsec_rotated_out", kT, kPayload);
    CHECK(verify_stripe_signature(t + ",v1=" + bad + ",v1=" + good, kPayload, kSecret, kT).has_value());
    CHECK(verify_stripe_signature(t + ",v1=" + good + ",v1=" + bad, kPayload, kSecret, kT).has_value());
    check_rejected(verify_stripe_signature(t + ",v1=" + bad + ",v1=" + bad, kPayload, kSecret, kT));
}

TEST_CASE("garbage headers fail") {
    const std::string v1(kV1);
    const std::string headers[] = {"", ",", "=", "t=", "v1=" + v1, "t=abc,v1=" + v1, "t=1700000000x,v1=" + v1,
                                   "t=-1700000000,v1=" + v1, "t=99999999999999999999999,v1=" + v1, "garbage",
                                   "t==,v1==,,,", "t=1700000000;v1=" + v1};
    for (const auto& h : headers) {
        CAPTURE(h);
        check_rejected(verify_stripe_signature(h, kPayload, kSecret, kT));
    }
    // Upper-case hex is not what Stripe sends, and is not accepted.
    std::string upper(kV1);
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    check_rejected(verify_stripe_signature(header(kT, upper), kPayload, kSecret, kT));
    // A truncated signature does not match a prefix.
    check_rejected(verify_stripe_signature(header(kT, kV1.substr(0, 32)), kPayload, kSecret, kT));
}

}  // TEST_SUITE
