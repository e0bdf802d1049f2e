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
