// What music players (the Subsonic API) and share links ask of the catalogue: light lists of
// beats with offsets, genres, waveforms for cover art, and the audio a listener may hear. The
// rule for audio is the web's: the tagged preview for everyone, the untagged track only for the
// producer and the buyers whose license covers it.
#include "core/ids.hpp"
#include "modules/beats/search_terms.hpp"
#include "modules/beats/service.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <set>

namespace bb::beats {
namespace {

constexpr const char* kTrackColumns =
    "id, producer_id, title, artist, genre, bpm, duration_ms, plays, rating_sum, rating_count, created_ms, status";
constexpr int kPreviewKbps = 128;
constexpr int kFullKbps = 320;
constexpr auto kSeekLifetime = std::chrono::hours(1);
constexpr int kSearchPage = 100;

Track
read_track(core::Query& q)
{
    Track t;
    t.beat_id = q.text(0);
    t.producer_id = q.text(1);
    t.title = q.text(2);
    t.artist = q.text(3);
    t.genre = q.opt_text(4);
    if (!q.is_null(5)) {
        t.bpm = q.int64(5);
    }
    t.duration_ms = q.is_null(6) ? 0 : q.int64(6);
    t.plays = q.int64(7);
    t.rating_sum = q.int64(8);
    t.rating_count = q.int64(9);
    t.created_ms = q.int64(10);
    t.status = q.text(11);
    return t;
}

Track
track_of(const Beat& b)
{
    return Track{b.id,    b.producer_id, b.title,        b.artist,     b.genre,      b.bpm,
                 b.duration_ms.value_or(0), b.plays, b.rating_sum, b.rating_count, b.created_ms, b.status};
}

const char*
order_sql(TrackQuery::Order order)
{
    switch (order) {
    case TrackQuery::Order::kNewest: return "created_ms DESC, id DESC";
    case TrackQuery::Order::kOldest: return "created_ms ASC, id ASC";
    case TrackQuery::Order::kPopular: return "plays DESC, id DESC";
    case TrackQuery::Order::kTitle: return "lower(title), id";
    case TrackQuery::Order::kRandom: return "random()";
    case TrackQuery::Order::kId: return "id";
    }
    return "id";
}

// LAME's bit rates: a player's maxBitRate becomes the highest one not above it.
int
mp3_kbps(int wanted, int ceiling)
{
    static constexpr std::array<int, 14> kRates = {32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
    const int limit = wanted > 0 ? std::min(wanted, ceiling) : ceiling;
    int best = kRates.front();
    for (int rate : kRates) {
        if (rate <= limit) {
            best = rate;
        }
    }
    return best;
}

MediaFile
mp3_file(const std::string& path, const Beat& beat, int kbps)
{
    return MediaFile{path, "audio/mpeg", "mp3", beat.title + ".mp3", kbps};
}

}  // namespace

std::vector<Track>
Service::tracks(const TrackQuery& query) const
{
    std::vector<Track> out;
    if (query.text && !search_words(*query.text).empty()) {
        // Text is ranked as the store ranks it; players page by offset, so skip whole pages.
        SearchQuery search;
        search.q = query.text;
        search.genre = query.genre;
        search.producer = query.producer_id;
        search.limit = kSearchPage;
        int to_skip = query.offset;
        while (static_cast<int>(out.size()) < query.limit) {
            auto page = this->search(search);
            if (!page) {
                break;
            }
            for (const auto& beat : page->beats) {
                if (to_skip > 0) {
                    --to_skip;
                } else if (static_cast<int>(out.size()) < query.limit) {
                    out.push_back(track_of(beat));
                }
            }
            if (!page->next_cursor) {
                break;
            }
            search.cursor = page->next_cursor;
        }
        return out;
    }
    std::string sql = std::string("SELECT ") + kTrackColumns + " FROM beats_beats WHERE status = 'ready'";
    if (query.producer_id) sql += " AND producer_id = ?1";
    if (query.genre) sql += " AND lower(genre) = ?2";
    if (query.created_from_ms) sql += " AND created_ms >= ?3";
    if (query.created_before_ms) sql += " AND created_ms < ?4";
    sql += std::string(" ORDER BY ") + order_sql(query.order) + " LIMIT ?5 OFFSET ?6";
    std::string genre = query.genre.value_or("");
    std::transform(genre.begin(), genre.end(), genre.begin(), [](unsigned char c) { return std::tolower(c); });
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(sql);
        if (query.producer_id) q.bind_at(1, *query.producer_id);
        if (query.genre) q.bind_at(2, genre);
        if (query.created_from_ms) q.bind_at(3, *query.created_from_ms);
        if (query.created_before_ms) q.bind_at(4, *query.created_before_ms);
        q.bind_at(5, std::max(0, query.limit));
        q.bind_at(6, std::max(0, query.offset));
        while (q.step()) {
            out.push_back(read_track(q));
        }
    });
    return out;
}

std::vector<Track>
Service::tracks_by_id(const std::vector<std::string>& ids, const std::string& listener) const
{
    std::vector<Track> found;
    db_.read([&](core::Conn& conn) {
        for (const auto& id : ids) {
            auto q = conn.query(std::string("SELECT ") + kTrackColumns + " FROM beats_beats WHERE id = ?");
            q.bind(id);
            if (q.step()) {
                found.push_back(read_track(q));
            }
        }
    });
    std::vector<Track> out;
    for (auto& t : found) {
        if (t.status == "ready" || t.status == "sold") {
            out.push_back(std::move(t));
        } else if (t.status == "deleted" && !listener.empty()) {
            // Buyers keep what they bought after it left the store.
            auto beat = find_beat(t.beat_id);
            if (beat && !rights_of(listener, *beat).empty()) {
                out.push_back(std::move(t));
            }
        }
    }
    return out;
}

std::vector<GenreCount>
Service::genres() const
{
    std::vector<GenreCount> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT MIN(genre), CAST(COUNT(*) AS INTEGER) FROM beats_beats WHERE status = 'ready' AND "
                            "genre IS NOT NULL AND genre <> '' GROUP BY lower(genre) ORDER BY lower(genre)");
        while (q.step()) {
            out.push_back({q.text(0), q.int64(1)});
        }
    });
    return out;
}

std::vector<double>
Service::waveform(const std::string& beat_id) const
{
    std::optional<std::string> peaks;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT peaks FROM beats_beats WHERE id = ? AND status <> 'deleted'");
        q.bind(beat_id);
        if (q.step()) {
            peaks = q.opt_text(0);
        }
    });
    std::vector<double> out;
    boost::system::error_code ec;
    auto parsed = boost::json::parse(peaks.value_or("[]"), ec);
    if (!ec && parsed.is_array()) {
        for (const auto& v : parsed.as_array()) {
            out.push_back(v.is_number() ? v.to_number<double>() : 0.0);
        }
    }
    return out;
}

std::vector<std::string>
Service::recently_played(const std::string& user_id, int limit) const
{
    std::vector<std::string> out;
    std::set<std::string> seen;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT beat_id FROM beats_playback WHERE user_id = ? AND action = 'play' "
                            "ORDER BY id DESC LIMIT ?");
        q.bind(user_id, limit * 4);
        while (q.step() && static_cast<int>(out.size()) < limit) {
            auto id = q.text(0);
            if (seen.insert(id).second) {
                out.push_back(std::move(id));
            }
        }
    });
    return out;
}

std::vector<std::string>
Service::rights_of(const std::string& listener, const Beat& beat) const
{
    if (listener.empty() || listener.starts_with("share:")) {
        return {};
    }
    if (listener == beat.producer_id) {
        return {"original"};
    }
    std::lock_guard lock(rights_mutex_);
    return rights_ ? rights_(listener, beat.id) : std::vector<std::string>{};
}

core::Result<std::string>
Service::transcoded(const std::string& source, const std::string& key, int kbps, std::int64_t offset_ms)
{
    // Each seek is asked for once: kept for the player's range requests, then swept.
    const std::string target = offset_ms > 0 ? storage_.seek(key + "-" + std::to_string(kbps) + "k-" +
                                                             std::to_string(offset_ms) + "ms-" + core::new_id() + ".mp3")
                                             : storage_.transcode(key, kbps);
    if (offset_ms > 0) {
        storage_.sweep_seeks(kSeekLifetime);
    } else if (std::filesystem::exists(target)) {
        return target;
    }
    const std::string scratch = storage_.scratch("tc-" + core::new_id() + ".mp3");
    if (auto made = media_.transcode(source, scratch, kbps * 1000, offset_ms); !made) {
        return made.error();
    }
    if (auto kept = storage_.adopt(scratch, target); !kept) {
        return kept.error();
    }
    return target;
}

core::Result<MediaFile>
Service::stream(const std::string& listener, const std::string& beat_id, const StreamRequest& request)
{
    auto beat = find_beat(beat_id);
    if (!beat) {
        return core::not_found("beat");
    }
    const auto formats = rights_of(listener, *beat);
    auto covers = [&](const char* f) { return std::find(formats.begin(), formats.end(), f) != formats.end(); };
    if (formats.empty()) {
        auto preview_file = preview(beat_id);  // 404 deleted, 409 still processing
        if (!preview_file) {
            return preview_file.error();
        }
        const int kbps = mp3_kbps(request.max_kbps, kPreviewKbps);
        if (request.raw || (kbps == kPreviewKbps && request.offset_ms == 0)) {
            return mp3_file(preview_file->path, *beat, kPreviewKbps);
        }
        // The preview is regenerated in place (a new voice tag): its time is part of the key.
        std::error_code ec;
        const auto changed = std::filesystem::last_write_time(preview_file->path, ec).time_since_epoch().count();
        auto made = transcoded(preview_file->path, "pv-" + beat_id + "-" + std::to_string(changed), kbps, request.offset_ms);
        if (!made) {
            return made.error();
        }
        return mp3_file(*made, *beat, kbps);
    }
    if (request.raw && (covers("original") || covers("wav"))) {
        return MediaFile{storage_.original(beat->original_sha256, beat->original_ext), audio_mime(beat->original_ext),
                         beat->original_ext, beat->title + "." + beat->original_ext, 0};
    }
    const int kbps = request.raw ? kFullKbps : mp3_kbps(request.max_kbps, kFullKbps);
    if (kbps == kFullKbps && (request.raw || request.offset_ms == 0)) {
        auto mp3 = untagged_mp3(*beat);
        if (!mp3) {
            return mp3.error();
        }
        return mp3_file(*mp3, *beat, kFullKbps);
    }
    auto made = transcoded(storage_.original(beat->original_sha256, beat->original_ext), beat->original_sha256, kbps,
                           request.offset_ms);
    if (!made) {
        return made.error();
    }
    return mp3_file(*made, *beat, kbps);
}

core::Result<MediaFile>
Service::shared_mp3(const std::string& beat_id)
{
    auto beat = playable(beat_id);
    if (!beat) {
        return beat.error();
    }
    auto mp3 = untagged_mp3(*beat);
    if (!mp3) {
        return mp3.error();
    }
    return mp3_file(*mp3, *beat, kFullKbps);
}

}  // namespace bb::beats
