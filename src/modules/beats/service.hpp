#pragma once
// The catalogue: uploads, processing, reads with their cache, search, edits, deletes, downloads,
// voice tags and playback. Knows nothing of HTTP beyond our request facade's Upload.
#include "core/db.hpp"
#include "core/error.hpp"
#include "http/request.hpp"
#include "core/string_cache.hpp"
#include "modules/beats/media_client.hpp"
#include "modules/beats/model.hpp"
#include "modules/beats/search_cache.hpp"
#include "modules/beats/search_rank.hpp"
#include "modules/beats/storage.hpp"
#include "modules/users/users.hpp"

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace bb::beats {

inline constexpr const char* kProcessJob = "beats.process";

struct SearchQuery {
    std::optional<std::string> q;
    std::optional<std::string> genre;
    std::optional<std::string> mood;
    std::optional<std::string> key;
    std::optional<std::int64_t> bpm_min;
    std::optional<std::int64_t> bpm_max;
    std::optional<std::int64_t> price_max_cents;
    std::optional<std::string> producer;  // user id or username
    std::string sort;                     // new | popular | price_asc | price_desc | relevance
    int limit = 20;
    std::optional<std::string> cursor;
};

struct SearchPage {
    std::vector<Beat> beats;
    std::optional<std::string> next_cursor;
};

struct FileToSend {
    std::string path;
    std::string mime;
    std::string download_name;
};

struct PlaybackEvent {
    std::string id;
    std::string beat_id;
    std::string action;
    std::int64_t position_ms = 0;
    std::int64_t created_ms = 0;
};

class Service {
public:
    Service(core::Db& db, Storage& storage, MediaClient& media, users::UsersModule& users, const std::string& secret);

    core::Result<Beat> upload(const http::Principal& who, http::Upload& form);
    // The processing job: 'failed' is final (the job succeeds) once attempts are used up.
    core::Result<void> process(const std::string& beat_id, int attempt, int max_attempts);

    // A beat anyone may see (not deleted); the JSON of it is cached.
    core::Result<std::shared_ptr<const std::string>> beat_json_cached(const std::string& beat_id);
    core::Result<Beat> get(const std::string& beat_id) const;
    core::Result<void> may_change(const http::Principal& who, const std::string& beat_id) const;  // 404, 403
    core::Result<Beat> update(const http::Principal& who, const std::string& beat_id, const BeatChanges& changes);
    core::Result<void> remove(const http::Principal& who, const std::string& beat_id);
    // Moderation, in its transaction: the beat leaves the store as a delete would take it.
    core::Result<void> take_down(core::Tx& tx, const std::string& beat_id);
    core::Result<SearchPage> search(const SearchQuery& query) const;
    // The list answer as JSON, from the search cache when the same query was answered recently.
    core::Result<std::shared_ptr<const std::string>> search_json(const SearchQuery& query);
    std::shared_ptr<const std::string> search_json_cached(const SearchQuery& query);
    // The studio's list: the producer's beats in every state but deleted, newest first.
    core::Result<SearchPage> list_own(const std::string& producer_id, int limit,
                                      const std::optional<std::string>& cursor) const;

    core::Result<Beat> playable(const std::string& beat_id) const;  // 409 not_ready while processing
    core::Result<FileToSend> preview(const std::string& beat_id) const;
    core::Result<FileToSend> download(const http::Principal& who, const std::string& beat_id,
                                      const std::optional<std::string>& format);
    void set_download_rights(DownloadRights rights);

    // Stems: one ZIP archive (multipart field "file") for the licenses that include them.
    core::Result<Beat> set_stems(const http::Principal& who, const std::string& beat_id, http::Upload& form);
    core::Result<Beat> remove_stems(const http::Principal& who, const std::string& beat_id);

    // Cover art: a PNG, JPEG or WebP image (multipart field "file"; "cover" with the upload).
    core::Result<Beat> set_cover(const http::Principal& who, const std::string& beat_id, http::Upload& form);
    core::Result<FileToSend> cover(const std::string& beat_id) const;

    core::Result<void> set_voice_tag(const http::Principal& who, http::Upload& form);
    core::Result<void> remove_voice_tag(const http::Principal& who);
    std::optional<std::int64_t> voice_tag_updated_ms(const std::string& producer_id) const;  // none: no tag

    core::Result<PlaybackEvent> record_playback(const http::Principal& who, const std::string& beat_id,
                                                const std::string& action, std::int64_t position_ms);
    // A play logged inside someone else's write (a share link's play and its count commit together).
    core::Result<void> log_play(core::Tx& tx, const std::string& listener, const std::string& beat_id);
    std::optional<PlaybackEvent> playback_state(const std::string& user_id) const;
    core::Result<std::pair<std::vector<PlaybackEvent>, std::optional<std::string>>> playback_history(
        const std::string& user_id, int limit, const std::optional<std::string>& cursor) const;

    // Music players (players.cpp).
    std::vector<Track> tracks(const TrackQuery& query) const;
    std::vector<Track> tracks_by_id(const std::vector<std::string>& ids, const std::string& listener) const;
    std::vector<GenreCount> genres() const;
    std::vector<double> waveform(const std::string& beat_id) const;
    std::vector<std::string> recently_played(const std::string& user_id, int limit) const;
    core::Result<MediaFile> stream(const std::string& listener, const std::string& beat_id, const StreamRequest& request);
    core::Result<MediaFile> shared_mp3(const std::string& beat_id);

    // A deleted account's beats leave the store (buyers keep what they bought).
    core::Result<void> remove_all_of(const std::string& producer_id, core::Tx& tx);
    // Creates a beat from a finished audio file (the demo catalogue and uploads share this).
    // `cover` names an image already in the store ("<sha256>.<ext>", cover_size bytes).
    core::Result<Beat> create(const std::string& producer_id, const std::string& temp_audio, const std::string& sha256,
                              const ProbeInfo& probe, const BeatChanges& meta,
                              const std::optional<std::string>& cover = std::nullopt, std::int64_t cover_size = 0);
    std::optional<BeatInfo> info(const std::string& beat_id) const;
    std::optional<BeatInfo> info(core::Tx& tx, const std::string& beat_id) const;
    core::Result<void> set_sold(core::Tx& tx, const std::string& beat_id, bool sold);
    core::Result<void> rate(core::Tx& tx, const std::string& beat_id, int delta_sum, int delta_count);
    bool empty() const;

private:
    core::Result<ProbeInfo> accept_audio(http::UploadedFile& file) const;
    std::optional<Beat> find_beat(const std::string& beat_id) const;  // in any state
    // The formats a listener's licenses cover ({"original"} for the producer; none for nobody).
    std::vector<std::string> rights_of(const std::string& listener, const Beat& beat) const;
    // The untagged 320 kbit/s MP3 of a beat's original, made once and kept.
    core::Result<std::string> untagged_mp3(const Beat& beat);
    // `source` as MP3 at `kbps` from `offset_ms`, made once and kept (seeks: for an hour).
    core::Result<std::string> transcoded(const std::string& source, const std::string& key, int kbps,
                                         std::int64_t offset_ms);
    // In a write: the beat when `who` may change it (404, 403 otherwise).
    core::Result<Beat> changeable(core::Tx& tx, const http::Principal& who, const std::string& beat_id);
    void take_out(core::Tx& tx, Beat& beat);
    // Points the beat at new stems (or none), releasing the old ones; the caller commits.
    void replace_stems(core::Tx& tx, Beat& beat, const std::optional<std::string>& stems_sha256);
    // The cover's name in the store ("<sha256>.<ext>") when the file is an image we take.
    core::Result<std::string> check_cover(const http::UploadedFile& file) const;
    core::Result<bool> store_cover(http::UploadedFile& file, const std::string& cover);  // true: placed by this call
    void hold_cover(core::Tx& tx, Beat& beat, const std::optional<std::string>& cover, std::int64_t size);
    void drop_files(core::Tx& tx, const Beat& beat);
    void count_if_listed(core::Tx& tx, const Beat& before, const std::string& status_after);
    // Logs a playback event (a play counts at most once per listener per beat per 30 s) and publishes it.
    void log_event(core::Tx& tx, const std::string& user_id, const PlaybackEvent& event);
    // After a commit that changed the search index (nothing when it did not).
    void search_changed(const std::optional<IndexedWords>& touched);
    void forget(const std::string& beat_id);  // the cached answers of a beat that changed

    core::Db& db_;
    Storage& storage_;
    MediaClient& media_;
    users::UsersModule& users_;
    const std::string& secret_;
    core::StringCache cache_;             // beat id -> its JSON
    mutable core::StringCache previews_;  // beat id -> its playable preview's path
    SearchCache searches_;
    mutable PhraseCounts phrase_counts_;  // for ranking; filled by searches, which are const
    mutable std::mutex rights_mutex_;
    DownloadRights rights_;
};

}  // namespace bb::beats
