#pragma once
// The beats module's public face: the catalogue's events, the queries other modules may make,
// and the module itself. Everything else in this folder is private.
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/module.hpp"
#include "core/services.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bb::users {
class UsersModule;
}

namespace bb::beats {

// Payload: {beat_id, producer_id, title}
inline constexpr core::Topic kBeatCreated{"beat.created"};
// Payload: {beat_id, producer_id, title, artist} (processing finished: the beat is in the store)
inline constexpr core::Topic kBeatReady{"beat.ready"};
// Payload: {beat_id, producer_id, title, reason}
inline constexpr core::Topic kBeatFailed{"beat.failed"};
// Payload: {beat_id, producer_id}
inline constexpr core::Topic kBeatDeleted{"beat.deleted"};
// Payload: {event_id, beat_id, user_id, position_ms, counted} (counted: it added a play)
inline constexpr core::Topic kPlaybackStarted{"playback.started"};
inline constexpr core::Topic kPlaybackPaused{"playback.paused"};
inline constexpr core::Topic kPlaybackStopped{"playback.stopped"};

struct License {
    std::string type;  // basic | premium | unlimited | exclusive
    std::int64_t price_cents = 0;
    std::string currency = "USD";
    std::vector<std::string> files;  // mp3, wav, stems
    std::string terms;
};

struct BeatInfo {
    std::string beat_id;
    std::string producer_id;
    std::string title;
    std::string artist;
    std::string status;  // processing | ready | failed | sold | deleted
    std::int64_t price_cents = 0;
    std::string currency;
    std::vector<License> licenses;
    std::string content_sha256;  // of the original audio: names the licensed work in agreements
};

// A beat as a music player lists it (the Subsonic API, share links).
struct Track {
    std::string beat_id;
    std::string producer_id;
    std::string title;
    std::string artist;
    std::optional<std::string> genre;
    std::optional<std::int64_t> bpm;
    std::int64_t duration_ms = 0;
    std::int64_t plays = 0;
    std::int64_t rating_sum = 0;
    std::int64_t rating_count = 0;
    std::int64_t created_ms = 0;
    std::string status;  // ready | sold | deleted (deleted only for someone who bought it)
};

// Listed beats (in the store), filtered and ordered; offsets, as players page.
struct TrackQuery {
    enum class Order { kNewest, kOldest, kPopular, kTitle, kRandom, kId };
    std::optional<std::string> text;  // matched as the store's search matches it
    std::optional<std::string> producer_id;
    std::optional<std::string> genre;  // any case
    std::optional<std::int64_t> created_from_ms;
    std::optional<std::int64_t> created_before_ms;
    Order order = Order::kNewest;
    int limit = 20;
    int offset = 0;
};

struct GenreCount {
    std::string genre;  // as most beats spell it
    std::int64_t beats = 0;
};

// What a player asks for: the bytes as stored (raw), or MP3 at most max_kbps from offset_ms.
struct StreamRequest {
    bool raw = false;
    int max_kbps = 0;  // 0: as good as the listener may hear
    std::int64_t offset_ms = 0;
};

struct MediaFile {
    std::string path;
    std::string mime;
    std::string suffix;         // mp3, wav, ...
    std::string download_name;  // "<title>.<suffix>"
    int kbps = 0;               // the MP3's bit rate; 0 for other files
};

// Which formats ("mp3", "wav", "stems") a user's licenses cover for a beat; user "*" asks whether
// anyone holds a license at all (then the beat's files are kept after a delete). Set by purchases.
using DownloadRights = std::function<std::vector<std::string>(const std::string& user_id, const std::string& beat_id)>;

class BeatsModule : public core::Module {
public:
    BeatsModule(core::Services& services, users::UsersModule& users);
    ~BeatsModule() override;

    std::string_view name() const override { return "beats"; }
    void register_routes(http::Router& router) override;
    void subscribe(core::EventBus& bus) override;
    void register_jobs(core::JobRunner& jobs) override;
    core::Health health() const override;
    void start() override;
    void stop() override;

    std::optional<BeatInfo> find(const std::string& beat_id) const;
    void set_download_rights(DownloadRights rights);
    // The tagged MP3 (the preview, with the producer's voice tag) as an attachment named after the
    // beat, answering req's Range and conditional headers: what a free download hands out.
    http::Reply tagged_mp3(const http::Request& req, const std::string& beat_id) const;

    // For the purchases module, inside its own write transaction, so that a sale and the beat
    // leaving the store commit together.
    std::optional<BeatInfo> find(core::Tx& tx, const std::string& beat_id) const;
    core::Result<void> mark_sold(core::Tx& tx, const std::string& beat_id);       // ready -> sold
    core::Result<void> mark_available(core::Tx& tx, const std::string& beat_id);  // sold -> ready
    // For moderation, in its transaction: an admin takes the beat out of the store (as a delete does:
    // buyers keep their downloads). 404 for a beat that is gone already.
    core::Result<void> take_down(core::Tx& tx, const std::string& beat_id);
    // For the reviews module, in its transaction: keeps rating_avg and rating_count current.
    core::Result<void> rate(core::Tx& tx, const std::string& beat_id, int delta_sum, int delta_count);
    // For music players. A listener is a user id, "" for nobody in particular, or
    // "share:<id>" for a play through a share link.
    std::vector<Track> tracks(const TrackQuery& query) const;
    // The beats among `ids` the listener may hear (listed or sold; deleted ones only for their
    // producer and buyers), in the order asked.
    std::vector<Track> tracks_by_id(const std::vector<std::string>& ids, const std::string& listener) const;
    std::vector<GenreCount> genres() const;
    std::vector<double> waveform(const std::string& beat_id) const;  // ~800 peaks, 0..1; none while processing
    // The beats a user played last, newest first (each once).
    std::vector<std::string> recently_played(const std::string& user_id, int limit) const;
    // The tagged preview for whoever has not bought the beat; for its producer and buyers the
    // untagged full track (raw: the best file their license covers). Never more than the web gives.
    core::Result<MediaFile> stream(const std::string& listener, const std::string& beat_id, const StreamRequest& request);
    // The best file the user's license covers, as GET /api/beats/{id}/download without ?format=.
    core::Result<MediaFile> download(const std::string& user_id, const std::string& beat_id);
    // The untagged 320 kbit/s MP3, for a share link whose producer allowed downloading it.
    core::Result<MediaFile> shared_mp3(const std::string& beat_id);
    // Logs a play as POST /api/playback does (counted at most once per listener per beat per 30 s).
    core::Result<void> log_play(const std::string& listener, const std::string& beat_id);
    core::Result<void> log_play(core::Tx& tx, const std::string& listener, const std::string& beat_id);

    // `backbeat demo`: a few producers and ~30 synthesized beats, processed like uploads.
    core::Result<int> create_demo_catalogue(int beats);
    bool catalogue_empty() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// `backbeat media-worker ...`: the child process that decodes untrusted media.
int run_media_worker(std::vector<std::string> args);

}  // namespace bb::beats
