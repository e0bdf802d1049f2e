#include "modules/beats/model.hpp"

#include "core/clock.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace bb::beats {
namespace {

constexpr std::int64_t kMaxPriceCents = 10'000'000;  // $100,000
const std::set<std::string> kLicenseTypes = {"basic", "premium", "unlimited", "exclusive"};

std::size_t
chars(std::string_view s)
{
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](unsigned char c) { return (c & 0xc0) != 0x80; }));
}

std::string
trim(std::string_view s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return std::string(s);
}

// A text field: a string of limited length. Empty optional text clears the field (null).
std::optional<std::string>
read_text(const boost::json::object& in, const char* name, std::size_t max_chars, bool allow_empty,
          boost::json::object& problems)
{
    const auto* v = in.if_contains(name);
    if (v == nullptr || v->is_null()) {
        return std::nullopt;
    }
    if (!v->is_string()) {
        problems[name] = "must be a string";
        return std::nullopt;
    }
    std::string s = trim(v->as_string());
    if (s.empty() && !allow_empty) {
        problems[name] = "must not be empty";
        return std::nullopt;
    }
    if (chars(s) > max_chars) {
        problems[name] = "must be at most " + std::to_string(max_chars) + " characters";
        return std::nullopt;
    }
    // One-line fields stay one line (descriptions may have several).
    const bool multiline = std::string_view(name) == "description" || std::string_view(name) == "terms";
    if (std::any_of(s.begin(), s.end(), [&](unsigned char c) { return c < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t')); })) {
        problems[name] = "must not contain control characters";
        return std::nullopt;
    }
    return s;
}

std::optional<double>
read_number(const boost::json::value& v, bool from_form)
{
    if (v.is_number()) {
        return v.to_number<double>();
    }
    if (from_form && v.is_string()) {
        const std::string s = trim(v.as_string());
        if (s.empty()) {
            return std::nullopt;
        }
        // A plain decimal like 29.99 only: strtod would also take "0x10", "1e3", "inf" and "nan".
        double d = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d, std::chars_format::fixed);
        const bool digits_only =
            std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '-'; });
        if (ec == std::errc() && end == s.data() + s.size() && digits_only && std::isfinite(d)) {
            return d;
        }
    }
    return std::nullopt;
}

std::optional<std::int64_t>
read_integer(const boost::json::object& in, const char* name, std::int64_t min, std::int64_t max, bool from_form,
             boost::json::object& problems)
{
    const auto* v = in.if_contains(name);
    if (v == nullptr || v->is_null() || (from_form && v->is_string() && trim(v->as_string()).empty())) {
        return std::nullopt;
    }
    auto d = read_number(*v, from_form);
    if (!d || std::floor(*d) != *d) {
        problems[name] = "must be a whole number";
        return std::nullopt;
    }
    if (*d < static_cast<double>(min) || *d > static_cast<double>(max)) {
        problems[name] = "must be between " + std::to_string(min) + " and " + std::to_string(max);
        return std::nullopt;
    }
    return static_cast<std::int64_t>(*d);
}

// `price` is a decimal amount (49.99), `price_cents` the same in minor units.
std::optional<std::int64_t>
read_price(const boost::json::object& in, const char* price_name, const char* cents_name, bool from_form,
           boost::json::object& problems)
{
    if (auto cents = read_integer(in, cents_name, 0, kMaxPriceCents, from_form, problems)) {
        return cents;
    }
    const auto* v = in.if_contains(price_name);
    if (v == nullptr || v->is_null() || (from_form && v->is_string() && trim(v->as_string()).empty())) {
        return std::nullopt;
    }
    auto d = read_number(*v, from_form);
    if (!d) {
        problems[price_name] = "must be a number";
        return std::nullopt;
    }
    const double cents = std::round(*d * 100.0);
    if (cents < 0 || cents > static_cast<double>(kMaxPriceCents) || std::fabs(cents - *d * 100.0) > 1e-6) {
        problems[price_name] = "must be between 0 and 100000 with at most two decimals";
        return std::nullopt;
    }
    return static_cast<std::int64_t>(cents);
}

std::optional<std::vector<std::string>>
read_tags(const boost::json::object& in, bool from_form, boost::json::object& problems)
{
    const auto* v = in.if_contains("tags");
    if (v == nullptr || v->is_null()) {
        return std::nullopt;
    }
    std::vector<std::string> raw;
    if (v->is_array()) {
        for (const auto& t : v->as_array()) {
            if (!t.is_string()) {
                problems["tags"] = "must be strings";
                return std::nullopt;
            }
            raw.emplace_back(t.as_string());
        }
    } else if (v->is_string()) {
        std::string_view s = v->as_string();
        // A form may send a JSON array as text, or a comma list.
        boost::system::error_code ec;
        auto parsed = from_form && trim(s).starts_with("[") ? boost::json::parse(s, ec) : boost::json::value();
        if (!ec && parsed.is_array()) {
            boost::json::object wrapped{{"tags", parsed}};
            return read_tags(wrapped, false, problems);
        }
        std::size_t start = 0;
        while (start <= s.size()) {
            auto comma = s.find(',', start);
            raw.emplace_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
            if (comma == std::string_view::npos) {
                break;
            }
            start = comma + 1;
        }
    } else {
        problems["tags"] = "must be an array of strings or a comma list";
        return std::nullopt;
    }
    std::vector<std::string> tags;
    for (auto& t : raw) {
        std::string tag = trim(t);
        std::transform(tag.begin(), tag.end(), tag.begin(), [](unsigned char c) { return std::tolower(c); });
        if (tag.empty() || std::find(tags.begin(), tags.end(), tag) != tags.end()) {
            continue;
        }
        if (chars(tag) > 30) {
            problems["tags"] = "each tag must be at most 30 characters";
            return std::nullopt;
        }
        tags.push_back(std::move(tag));
    }
    if (tags.size() > 20) {
        problems["tags"] = "at most 20 tags";
        return std::nullopt;
    }
    return tags;
}

std::optional<std::vector<License>>
read_licenses(const boost::json::object& in, bool from_form, boost::json::object& problems)
{
    const auto* v = in.if_contains("licenses");
    if (v == nullptr || v->is_null()) {
        return std::nullopt;
    }
    boost::json::value parsed = *v;
    if (from_form && v->is_string()) {
        boost::system::error_code ec;
        parsed = boost::json::parse(v->as_string(), ec);
        if (ec) {
            problems["licenses"] = "must be a JSON array";
            return std::nullopt;
        }
    }
    if (!parsed.is_array()) {
        problems["licenses"] = "must be an array";
        return std::nullopt;
    }
    std::vector<License> out;
    for (const auto& item : parsed.as_array()) {
        if (!item.is_object()) {
            problems["licenses"] = "each license must be an object";
            return std::nullopt;
        }
        const auto& o = item.as_object();
        boost::json::object inner;
        License l;
        auto type = read_text(o, "type", 20, false, inner);
        if (!type || !kLicenseTypes.contains(*type)) {
            problems["licenses"] = "type must be basic, premium, unlimited or exclusive";
            return std::nullopt;
        }
        l.type = *type;
        auto price = read_price(o, "price", "price_cents", false, inner);
        if (!price || !inner.empty()) {
            problems["licenses"] = "each license needs price_cents (or price) of at least 0";
            return std::nullopt;
        }
        l.price_cents = *price;
        l.files = default_files(l.type);
        if (const auto* files = o.if_contains("files"); files != nullptr && files->is_array()) {
            l.files.clear();
            for (const auto& f : files->as_array()) {
                if (!f.is_string() || (f != "mp3" && f != "wav" && f != "stems")) {
                    problems["licenses"] = "files may be mp3, wav and stems";
                    return std::nullopt;
                }
                l.files.emplace_back(f.as_string());
            }
        }
        if (auto terms = read_text(o, "terms", 5000, true, inner)) {
            l.terms = *terms;
        }
        if (std::any_of(out.begin(), out.end(), [&](const License& x) { return x.type == l.type; })) {
            problems["licenses"] = "each license type may appear once";
            return std::nullopt;
        }
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace

std::string
default_terms(const std::string& type)
{
    if (type == "basic") {
        return "Non-exclusive lease: MP3, up to 5,000 streams, credit the producer.";
    }
    if (type == "premium") {
        return "Non-exclusive lease: MP3 and WAV, up to 100,000 streams, credit the producer.";
    }
    if (type == "unlimited") {
        return "Non-exclusive lease: MP3, WAV and stems, unlimited streams, credit the producer.";
    }
    return "Exclusive rights: MP3, WAV and stems; the beat leaves the store; earlier leases stay valid.";
}

std::vector<std::string>
default_files(const std::string& license_type)
{
    if (license_type == "basic") {
        return {"mp3"};
    }
    if (license_type == "premium") {
        return {"mp3", "wav"};
    }
    return {"mp3", "wav", "stems"};
}

std::vector<License>
default_licenses(std::int64_t price_cents, const std::string& currency)
{
    return {License{"basic", price_cents, currency, default_files("basic"), default_terms("basic")}};
}

BeatChanges
read_changes(const boost::json::object& in, bool from_form, boost::json::object& problems)
{
    BeatChanges c;
    c.title = read_text(in, "title", 200, false, problems);
    c.artist = read_text(in, "artist", 100, false, problems);
    c.price_cents = read_price(in, "price", "price_cents", from_form, problems);
    c.genre = read_text(in, "genre", 50, true, problems);
    c.bpm = read_integer(in, "bpm", 20, 400, from_form, problems);
    c.key = read_text(in, "key", 20, true, problems);
    c.mood = read_text(in, "mood", 50, true, problems);
    c.tags = read_tags(in, from_form, problems);
    c.description = read_text(in, "description", 5000, true, problems);
    c.licenses = read_licenses(in, from_form, problems);
    if (c.licenses) {
        for (auto& l : *c.licenses) {
            if (l.terms.empty()) {
                l.terms = default_terms(l.type);
            }
        }
    }
    for (const char* forbidden : {"beat_id", "producer_id", "status", "plays", "rating_avg", "rating_count", "created_at"}) {
        if (in.contains(forbidden)) {
            problems[forbidden] = "cannot be set";
        }
    }
    return c;
}

boost::json::value
licenses_json(const std::vector<License>& licenses)
{
    boost::json::array out;
    for (const auto& l : licenses) {
        boost::json::array files;
        for (const auto& f : l.files) {
            files.push_back(boost::json::value(f));
        }
        out.push_back({{"type", l.type},
                       {"price_cents", l.price_cents},
                       {"price", static_cast<double>(l.price_cents) / 100.0},
                       {"currency", l.currency},
                       {"files", std::move(files)},
                       {"terms", l.terms}});
    }
    return out;
}

std::vector<License>
licenses_from_json(const boost::json::value& v)
{
    std::vector<License> out;
    if (!v.is_array()) {
        return out;
    }
    for (const auto& item : v.as_array()) {
        const auto& o = item.as_object();
        License l;
        l.type = o.at("type").as_string();
        l.price_cents = o.at("price_cents").to_number<std::int64_t>();
        l.currency = o.contains("currency") ? std::string(o.at("currency").as_string()) : "USD";
        for (const auto& f : o.at("files").as_array()) {
            l.files.emplace_back(f.as_string());
        }
        l.terms = o.contains("terms") ? std::string(o.at("terms").as_string()) : "";
        out.push_back(std::move(l));
    }
    return out;
}

std::string
tags_text(const std::vector<std::string>& tags)
{
    std::string out;
    for (const auto& t : tags) {
        out += (out.empty() ? "" : " ") + t;
    }
    return out;
}

boost::json::object
beat_json(const Beat& b)
{
    auto opt = [](const auto& v) -> boost::json::value {
        if (v) {
            return boost::json::value(*v);
        }
        return nullptr;
    };
    boost::json::array tags;
    for (const auto& t : b.tags) {
        tags.push_back(boost::json::value(t));
    }
    boost::json::object out{
        {"beat_id", b.id},
        {"title", b.title},
        {"artist", b.artist},
        {"producer_id", b.producer_id},
        {"price", static_cast<double>(b.price_cents) / 100.0},
        {"price_cents", b.price_cents},
        {"currency", b.currency},
        {"genre", opt(b.genre)},
        {"bpm", opt(b.bpm)},
        {"key", opt(b.key)},
        {"mood", opt(b.mood)},
        {"tags", std::move(tags)},
        {"description", b.description},
        {"duration_ms", opt(b.duration_ms)},
        {"status", b.status},
        {"file_url", "/api/beats/" + b.id + "/download"},
        {"stream_url", "/api/beats/" + b.id + "/preview.mp3"},
        {"has_stems", b.stems_sha256.has_value()},
        // Versioned by content, so the image may be cached for good and a new cover is a new URL.
        {"cover_url", b.cover ? boost::json::value("/api/beats/" + b.id + "/cover?v=" + b.cover->substr(0, 12))
                              : boost::json::value(nullptr)},
        {"licenses", licenses_json(b.licenses)},
        {"plays", b.plays},
        {"rating_avg", b.rating_count > 0 ? boost::json::value(std::round(static_cast<double>(b.rating_sum) * 100.0 /
                                                                           static_cast<double>(b.rating_count)) / 100.0)
                                          : boost::json::value(nullptr)},
        {"rating_count", b.rating_count},
        {"loudness_lufs", opt(b.lufs)},
        {"created_at", core::clock::rfc3339(b.created_ms)},
        {"updated_at", core::clock::rfc3339(b.updated_ms)},
    };
    if (b.failure) {
        out["failure_reason"] = *b.failure;
    }
    return out;
}

}  // namespace bb::beats
