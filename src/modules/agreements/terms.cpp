#include "modules/agreements/terms.hpp"

#include <fmt/format.h>

#include <array>

namespace bb::agreements {
namespace {

constexpr std::int64_t kMaxAmount = 1'000'000'000'000;
constexpr std::size_t kMaxCredit = 200;
constexpr std::size_t kMaxExtra = 4000;

struct Amount {
    const char* field;
    std::optional<std::int64_t> Terms::*member;
};
constexpr std::array kAmounts = {
    Amount{"distribution_copies", &Terms::distribution_copies},
    Amount{"audio_streams", &Terms::audio_streams},
    Amount{"music_videos", &Terms::music_videos},
    Amount{"paid_performances", &Terms::paid_performances},
};

std::size_t
utf8_length(std::string_view s)
{
    std::size_t n = 0;
    for (unsigned char c : s) {
        n += (c & 0xc0) != 0x80;
    }
    return n;
}

}  // namespace

bool
is_tier(std::string_view tier)
{
    return tier == "basic" || tier == "premium" || tier == "unlimited" || tier == "exclusive";
}

Terms
default_terms(std::string_view tier)
{
    // The common shape of beat leases: each tier allows more, the top two allow everything. The
    // stream counts match the beats module's default license texts, printed beside these.
    Terms t{.tier = std::string(tier), .credit_line = "Prod. by {producer}"};
    if (tier == "basic") {
        t.distribution_copies = 2'000;
        t.audio_streams = 5'000;
        t.music_videos = 1;
        t.paid_performances = 2;
    } else if (tier == "premium") {
        t.distribution_copies = 10'000;
        t.audio_streams = 100'000;
        t.music_videos = 2;
        t.paid_performances = 10;
    }
    return t;
}

core::Result<Terms>
terms_from_json(const boost::json::object& body, Terms current)
{
    boost::json::object problems;
    for (const auto& amount : kAmounts) {
        const auto* v = body.if_contains(amount.field);
        if (v == nullptr) {
            continue;
        }
        if (v->is_null()) {
            current.*amount.member = std::nullopt;
        } else if (v->is_int64() && v->as_int64() >= 0 && v->as_int64() <= kMaxAmount) {
            current.*amount.member = v->as_int64();
        } else {
            problems[amount.field] = "must be a whole number from 0 to 10^12, or null for unlimited";
        }
    }
    if (const auto* v = body.if_contains("credit_line")) {
        if (!v->is_string() || v->as_string().empty() || utf8_length(v->as_string()) > kMaxCredit) {
            problems["credit_line"] = fmt::format("must be text of 1 to {} characters", kMaxCredit);
        } else {
            current.credit_line = std::string(v->as_string());
        }
    }
    if (const auto* v = body.if_contains("extra_terms")) {
        if (!v->is_string() || utf8_length(v->as_string()) > kMaxExtra) {
            problems["extra_terms"] = fmt::format("must be text of at most {} characters", kMaxExtra);
        } else {
            current.extra_terms = std::string(v->as_string());
        }
    }
    for (const auto& [key, value] : body) {
        const bool known = key == "credit_line" || key == "extra_terms" || key == "tier" ||
                           std::any_of(kAmounts.begin(), kAmounts.end(), [&](const Amount& a) { return key == a.field; });
        if (!known) {
            problems[key] = "is not a term";
        }
    }
    if (!problems.empty()) {
        return core::invalid_fields(std::move(problems));
    }
    current.custom = true;
    return current;
}

boost::json::object
terms_json(const Terms& t)
{
    boost::json::object out{{"tier", t.tier}};
    for (const auto& amount : kAmounts) {
        const auto& v = t.*amount.member;
        out[amount.field] = v ? boost::json::value(*v) : boost::json::value(nullptr);
    }
    out["credit_line"] = t.credit_line;
    out["extra_terms"] = t.extra_terms;
    out["custom"] = t.custom;
    return out;
}

std::string
amount_text(const std::optional<std::int64_t>& n)
{
    if (!n) {
        return "Unlimited";
    }
    std::string digits = std::to_string(*n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return out;
}

}  // namespace bb::agreements
