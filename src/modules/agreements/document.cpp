#include "modules/agreements/document.hpp"

#include "core/crypto.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <map>

namespace bb::agreements {
namespace {

std::string
text_at(const boost::json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t
int_at(const boost::json::object& o, std::string_view key)
{
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_int64() ? v->as_int64() : 0;
}

// Keys sorted at every level, so the same document always serialises to the same bytes.
boost::json::value
sorted(const boost::json::value& v)
{
    if (v.is_object()) {
        std::map<std::string, boost::json::value> keys;
        for (const auto& [k, x] : v.as_object()) {
            keys.emplace(std::string(k), sorted(x));
        }
        boost::json::object out;
        for (auto& [k, x] : keys) {
            out.emplace(k, std::move(x));
        }
        return out;
    }
    if (v.is_array()) {
        boost::json::array out;
        for (const auto& x : v.as_array()) {
            out.push_back(sorted(x));
        }
        return out;
    }
    return v;
}

}  // namespace

boost::json::object
document_json(const Document& d)
{
    boost::json::array files;
    for (const auto& f : d.files) {
        files.push_back(boost::json::value(f));
    }
    return {{"purchase_id", d.purchase_id},
            {"beat_id", d.beat_id},
            {"buyer_id", d.buyer_id},
            {"seller_id", d.seller_id},
            {"licensee", d.licensee},
            {"licensor", d.licensor},
            {"licensor_username", d.licensor_username},
            {"title", d.title},
            {"tier", d.tier},
            {"files", std::move(files)},
            {"price_cents", d.price_cents},
            {"currency", d.currency},
            {"sold_ms", d.sold_ms},
            {"content_sha256", d.content_sha256},
            {"beat_terms", d.beat_terms},
            {"terms", terms_json(d.terms)}};
}

Document
document_from_json(const boost::json::object& o)
{
    Document d;
    d.purchase_id = text_at(o, "purchase_id");
    d.beat_id = text_at(o, "beat_id");
    d.buyer_id = text_at(o, "buyer_id");
    d.seller_id = text_at(o, "seller_id");
    d.licensee = text_at(o, "licensee");
    d.licensor = text_at(o, "licensor");
    d.licensor_username = text_at(o, "licensor_username");
    d.title = text_at(o, "title");
    d.tier = text_at(o, "tier");
    if (const auto* files = o.if_contains("files"); files != nullptr && files->is_array()) {
        for (const auto& f : files->as_array()) {
            if (f.is_string()) {
                d.files.emplace_back(f.as_string());
            }
        }
    }
    d.price_cents = int_at(o, "price_cents");
    d.currency = text_at(o, "currency");
    d.sold_ms = int_at(o, "sold_ms");
    d.content_sha256 = text_at(o, "content_sha256");
    d.beat_terms = text_at(o, "beat_terms");
    d.terms = default_terms(d.tier);
    if (const auto* terms = o.if_contains("terms"); terms != nullptr && terms->is_object()) {
        boost::json::object fields = terms->as_object();
        fields.erase("tier");
        fields.erase("custom");
        if (auto read = terms_from_json(fields, d.terms)) {
            d.terms = *read;
        }
        d.terms.custom = terms->as_object().contains("custom") && terms->as_object().at("custom").is_bool() &&
                         terms->as_object().at("custom").as_bool();
    }
    return d;
}

std::string
fingerprint(const Document& d)
{
    return core::crypto::sha256_hex(boost::json::serialize(sorted(document_json(d))));
}

std::string
tier_name(std::string_view tier)
{
    if (tier == "basic") {
        return "Basic lease";
    }
    if (tier == "premium") {
        return "Premium lease";
    }
    if (tier == "unlimited") {
        return "Unlimited lease";
    }
    if (tier == "exclusive") {
        return "Exclusive rights";
    }
    return std::string(tier);
}

std::string
money_text(std::int64_t cents, const std::string& currency)
{
    const std::string symbol = currency == "USD" ? "$" : currency == "EUR" ? "€" : currency == "GBP" ? "£" : "";
    return fmt::format("{}{}.{:02} {}", symbol, cents / 100, cents % 100, currency);
}

std::string
date_text(std::int64_t unix_ms)
{
    const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    static constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                             "July",    "August",   "September", "October", "November", "December"};
    return fmt::format("{} {} {}", tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900);
}

}  // namespace bb::agreements
