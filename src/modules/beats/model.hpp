#pragma once
// The catalogue's domain types, their validation, and their JSON shapes (API.md "Beat").
#include "core/db.hpp"
#include "core/error.hpp"
#include "modules/beats/beats.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bb::beats {

struct Beat {
    std::string id;
    std::string producer_id;
    std::string title;
    std::string artist;
    std::int64_t price_cents = 0;
    std::string currency = "USD";
    std::optional<std::string> genre;
    std::optional<std::int64_t> bpm;
    std::optional<std::string> key;
    std::optional<std::string> mood;
    std::vector<std::string> tags;
    std::string description;
    std::vector<License> licenses;
    std::string status;
    std::optional<std::string> failure;
    std::string original_sha256;
    std::string original_ext;
    std::optional<std::int64_t> duration_ms;
    std::optional<double> lufs;
    std::string peaks_json;  // "[...]" or ""
    std::optional<std::string> preview_path;
    std::int64_t plays = 0;
    std::int64_t rating_sum = 0;
    std::int64_t rating_count = 0;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    std::optional<std::string> stems_sha256;  // none: no stems uploaded
    std::optional<std::string> cover;         // "<sha256>.<ext>" of its cover image; none: no cover
};

// What an upload or a PATCH may set; absent fields stay as they are.
struct BeatChanges {
    std::optional<std::string> title;
    std::optional<std::string> artist;
    std::optional<std::int64_t> price_cents;
    std::optional<std::string> genre;
    std::optional<std::int64_t> bpm;
    std::optional<std::string> key;
    std::optional<std::string> mood;
    std::optional<std::vector<std::string>> tags;
    std::optional<std::string> description;
    std::optional<std::vector<License>> licenses;
};

// Reads changes from a JSON object (PATCH) or from multipart fields given as a JSON object of
// strings (upload: numbers arrive as text). Problems are added to `problems` by field name.
BeatChanges read_changes(const boost::json::object& in, bool from_form, boost::json::object& problems);

std::vector<License> default_licenses(std::int64_t price_cents, const std::string& currency);
std::vector<std::string> default_files(const std::string& license_type);
std::string default_terms(const std::string& license_type);

boost::json::object beat_json(const Beat& beat);
boost::json::value licenses_json(const std::vector<License>& licenses);
std::vector<License> licenses_from_json(const boost::json::value& v);
std::string tags_text(const std::vector<std::string>& tags);  // for full-text search
std::string audio_mime(const std::string& ext);                 // "wav" -> "audio/wav"

// Reading beats_beats rows: kBeatColumns in this order, as read_beat expects them; a query may
// select more after them, from index kBeatColumnCount on.
extern const char* const kBeatColumns;
constexpr int kBeatColumnCount = 28;
Beat read_beat(core::Query& q);

}  // namespace bb::beats
