#include "modules/beats/service.hpp"

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/disk.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "modules/beats/file_refs.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <optional>

namespace bb::beats {

const char* const kBeatColumns =
    "id, producer_id, title, artist, price_cents, currency, genre, bpm, musical_key, mood, tags, description, "
    "licenses, status, failure, original_sha256, original_ext, duration_ms, lufs, peaks, preview_path, plays, "
    "rating_sum, rating_count, created_ms, updated_ms, stems_sha256, cover";

namespace {

std::string
select_beat_sql(const char* where)
{
    return std::string("SELECT ") + kBeatColumns + " FROM beats_beats " + where;
}

const std::string kSelectById = select_beat_sql("WHERE id = ?");

std::optional<Beat>
load(core::Query& q)
{
    if (!q.step()) {
        return std::nullopt;
    }
    return read_beat(q);
}

// Its producer (or an admin) may edit or delete a beat: 404 when gone, 403 for anyone else.
core::Result<void>
check_may_change(const std::optional<Beat>& beat, const http::Principal& who)
{
    if (!beat || beat->status == "deleted") {
        return core::not_found("beat");
    }
    if (beat->producer_id != who.user_id && !who.is_admin()) {
        return core::forbidden("only the beat's producer or an admin may change it");
    }
    return {};
}

std::string
tags_json(const std::vector<std::string>& tags)
{
    boost::json::array a;
    for (const auto& t : tags) {
        a.push_back(boost::json::value(t));
    }
    return boost::json::serialize(a);
}

// Keeps the search index in step with a beat: only listed beats are in it, each at the rowid
// the beat records. Returns the words of what left or entered the index (nothing when neither
// version is listed), for the search cache.
std::optional<IndexedWords>
index_for_search(core::Tx& tx, const Beat& b)
{
    std::optional<IndexedWords> touched;
    std::optional<std::int64_t> row;
    {
        auto q = tx.query("SELECT search_rowid FROM beats_beats WHERE id = ?");
        q.bind(b.id);
        if (q.step() && !q.is_null(0)) {
            row = q.int64(0);
        }
    }
    if (row) {
        {
            auto old = tx.query("SELECT title, artist, tags, genre, mood FROM beats_search WHERE rowid = ?");
            old.bind(*row);
            if (old.step()) {
                touched.emplace();
                for (int column = 0; column < 5; ++column) {
                    touched->add(old.opt_text(column).value_or(""));
                }
            }
        }
        tx.query("DELETE FROM beats_search WHERE rowid = ?").bind(*row).exec();
        row.reset();
    }
    if (b.status == "ready") {
        const std::string tags = tags_text(b.tags);
        tx.query("INSERT INTO beats_search (title, artist, tags, genre, mood, beat_id) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(b.title, b.artist, tags, b.genre.value_or(""), b.mood.value_or(""), b.id)
            .exec();
        row = tx.last_insert_rowid();
        if (!touched) {
            touched.emplace();
        }
        for (const auto& text : {b.title, b.artist, tags, b.genre.value_or(""), b.mood.value_or("")}) {
            touched->add(text);
        }
    }
    tx.query("UPDATE beats_beats SET search_rowid = ? WHERE id = ?").bind(row, b.id).exec();
    if (touched) {
        touched->finish();
    }
    return touched;
}

// In the store: what buyers can find, stream and count on the producer's profile.
bool
listed(const std::string& status)
{
    return status == "ready";
}

core::Error
not_ready(const Beat& b)
{
    boost::json::object details{{"status", b.status}};
    return core::Error{core::Code::kConflict, "not_ready",
                       b.status == "failed" ? "processing this beat failed: " + b.failure.value_or("unknown reason")
                                            : "the beat is still processing",
                       std::move(details)};
}

std::string
extension_for(const ProbeInfo& probe)
{
    static const std::map<std::string, std::string> by_format = {
        {"wav", "wav"}, {"mp3", "mp3"}, {"flac", "flac"}, {"ogg", "ogg"}, {"aiff", "aiff"}, {"w64", "w64"},
        {"caf", "caf"}, {"mov,mp4,m4a,3gp,3g2,mj2", "m4a"}};
    auto it = by_format.find(probe.format);
    return it == by_format.end() ? "audio" : it->second;
}

}  // namespace

std::string
audio_mime(const std::string& ext)
{
    static const std::map<std::string, std::string> types = {
        {"wav", "audio/wav"}, {"mp3", "audio/mpeg"}, {"flac", "audio/flac"}, {"ogg", "audio/ogg"},
        {"aiff", "audio/aiff"}, {"m4a", "audio/mp4"}};
    auto it = types.find(ext);
    return it == types.end() ? "application/octet-stream" : it->second;
}

Beat
read_beat(core::Query& q)
{
    Beat b;
    b.id = q.text(0);
    b.producer_id = q.text(1);
    b.title = q.text(2);
    b.artist = q.text(3);
    b.price_cents = q.int64(4);
    b.currency = q.text(5);
    b.genre = q.opt_text(6);
    if (!q.is_null(7)) {
        b.bpm = q.int64(7);
    }
    b.key = q.opt_text(8);
    b.mood = q.opt_text(9);
    const auto tags = boost::json::parse(q.text(10));  // named: a temporary would die before the loop
    for (const auto& t : tags.as_array()) {
        b.tags.emplace_back(t.as_string());
    }
    b.description = q.text(11);
    b.licenses = licenses_from_json(boost::json::parse(q.text(12)));
    b.status = q.text(13);
    b.failure = q.opt_text(14);
    b.original_sha256 = q.text(15);
    b.original_ext = q.text(16);
    if (!q.is_null(17)) {
        b.duration_ms = q.int64(17);
    }
    if (!q.is_null(18)) {
        b.lufs = q.real(18);
    }
    b.peaks_json = q.opt_text(19).value_or("");
    b.preview_path = q.opt_text(20);
    b.plays = q.int64(21);
    b.rating_sum = q.int64(22);
    b.rating_count = q.int64(23);
    b.created_ms = q.int64(24);
    b.updated_ms = q.int64(25);
    b.stems_sha256 = q.opt_text(26);
    b.cover = q.opt_text(27);
    return b;
}

Service::Service(core::Db& db, Storage& storage, MediaClient& media, users::UsersModule& users, const std::string& secret)
    : db_(db), storage_(storage), media_(media), users_(users), secret_(secret)
{
    register_rank_function(db_);
}

core::Result<ProbeInfo>
Service::accept_audio(http::UploadedFile& file) const
{
    if (file.size == 0) {
        return core::Error{core::Code::kUnsupportedMedia, "unsupported_media", "the file is empty", {}};
    }
    return media_.probe(file.path);
}

core::Result<Beat>
Service::upload(const http::Principal& who, http::Upload& form)
{
    boost::json::object fields;
    for (const auto& [name, value] : form.fields) {
        fields[name] = value;
    }
    boost::json::object problems;
    auto meta = read_changes(fields, true, problems);
    if (!meta.title && !problems.contains("title")) {
        problems["title"] = "is required";
    }
    if (!meta.price_cents && !problems.contains("price") && !problems.contains("price_cents")) {
        problems["price"] = "is required (price or price_cents)";
    }
    http::UploadedFile* file = form.file("file");
    if (file == nullptr) {
        problems["file"] = "is required: send the audio as the multipart field 'file'";
    }
    if (!problems.empty()) {
        return core::invalid_fields(std::move(problems));
    }
    http::UploadedFile* cover_file = form.file("cover");
    std::optional<std::string> cover;
    if (cover_file != nullptr) {
        auto checked = check_cover(*cover_file);
        if (!checked) {
            return checked.error();
        }
        cover = *checked;
    }
    if (!meta.artist) {
        auto me = users_.find(who.user_id);
        meta.artist = me ? me->username : "unknown";
    }
    if (storage_.low_on_space()) {
        return core::insufficient_storage();  // its preview would have no room either
    }
    auto probe = accept_audio(*file);
    if (!probe) {
        return probe.error();
    }
    std::optional<bool> cover_created;
    if (cover) {
        auto stored = store_cover(*cover_file, *cover);
        if (!stored) {
            return stored.error();
        }
        cover_created = *stored;
    }
    auto beat = create(who.user_id, file->path, file->sha256, *probe, meta, cover,
                       cover_file != nullptr ? static_cast<std::int64_t>(cover_file->size) : 0);
    if (beat) {
        file->keep();  // it now lives in the store under its hash (or was a duplicate, removed)
    } else if (cover_created.value_or(false)) {
        std::error_code ec;  // no beat refers to it: leave nothing behind
        std::filesystem::remove(storage_.cover(*cover), ec);
    }
    return beat;
}

core::Result<Beat>
Service::create(const std::string& producer_id, const std::string& temp_audio, const std::string& sha256,
                const ProbeInfo& probe, const BeatChanges& meta, const std::optional<std::string>& cover,
                std::int64_t cover_size)
{
    const std::string ext = extension_for(probe);
    const std::string target = storage_.original(sha256, ext);
    auto created_file = storage_.adopt(temp_audio, target);
    if (!created_file) {
        return created_file.error();
    }
    const auto now = core::clock::now_ms();
    Beat b;
    b.id = core::new_id();
    b.producer_id = producer_id;
    b.title = *meta.title;
    b.artist = meta.artist.value_or("unknown");
    b.price_cents = *meta.price_cents;
    b.genre = meta.genre;
    b.bpm = meta.bpm;
    b.key = meta.key;
    b.mood = meta.mood;
    b.tags = meta.tags.value_or(std::vector<std::string>{});
    b.description = meta.description.value_or("");
    b.licenses = meta.licenses && !meta.licenses->empty() ? *meta.licenses : default_licenses(b.price_cents, b.currency);
    b.status = "processing";
    b.original_sha256 = sha256;
    b.original_ext = ext;
    b.duration_ms = probe.duration_ms > 0 ? std::optional<std::int64_t>(probe.duration_ms) : std::nullopt;
    b.created_ms = now;
    b.updated_ms = now;
    try {
        db_.write([&](core::Tx& tx) {
            hold_file(tx, sha256, ext, static_cast<std::int64_t>(std::filesystem::file_size(target)));
            tx.query("INSERT INTO beats_beats (id, producer_id, title, artist, price_cents, currency, genre, bpm, "
                     "musical_key, mood, tags, description, licenses, status, original_sha256, original_ext, "
                     "original_format, duration_ms, created_ms, updated_ms) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(b.id, b.producer_id, b.title, b.artist, b.price_cents, b.currency, b.genre, b.bpm, b.key, b.mood,
                      tags_json(b.tags), b.description, boost::json::serialize(licenses_json(b.licenses)), b.status,
                      sha256, ext, probe.format, b.duration_ms, now, now)
                .exec();
            if (cover) {
                hold_cover(tx, b, cover, cover_size);
            }
            tx.enqueue(kProcessJob, {{"beat_id", b.id}});
            tx.publish(kBeatCreated, {{"beat_id", b.id}, {"producer_id", producer_id}, {"title", b.title}});
        });
    } catch (...) {
        if (*created_file) {
            std::error_code ec;
            std::filesystem::remove(target, ec);  // nothing refers to it: leave nothing behind
        }
        throw;
    }
    core::log::info("beats", "beat uploaded", {{"beat_id", b.id}, {"producer_id", producer_id}, {"sha256", sha256}});
    return b;
}

core::Result<void>
Service::process(const std::string& beat_id, int attempt, int max_attempts)
{
    auto beat = get(beat_id);
    if (!beat || beat->status != "processing") {
        return {};  // deleted meanwhile, or already done by an earlier run
    }
    std::optional<std::string> tag;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT sha256, ext FROM beats_voice_tags WHERE producer_id = ?");
        q.bind(beat->producer_id);
        if (q.step()) {
            tag = storage_.voice_tag(q.text(0), q.text(1));
        }
    });
    const std::string preview_path = storage_.preview(beat_id);
    auto result = media_.preview(storage_.original(beat->original_sha256, beat->original_ext), preview_path, tag);
    if (!result && (core::says_storage_full(result.error().message) || storage_.low_on_space())) {
        return core::insufficient_storage();  // not the beat's fault: the job runner waits for room
    }
    if (!result && result.error().code != core::Code::kUnsupportedMedia && attempt < max_attempts) {
        return result.error();  // retried by the job runner
    }
    const auto now = core::clock::now_ms();
    auto written = db_.write([&](core::Tx& tx) -> core::Result<void> {
        auto current = load(tx.query(kSelectById).bind(beat_id));
        if (!current || current->status != "processing") {
            return {};
        }
        std::optional<IndexedWords> touched;
        if (!result) {
            tx.query("UPDATE beats_beats SET status = 'failed', failure = ?, updated_ms = ? WHERE id = ?")
                .bind(result.error().message, now, beat_id)
                .exec();
            tx.publish(kBeatFailed, {{"beat_id", beat_id}, {"producer_id", beat->producer_id}, {"title", beat->title},
                                     {"reason", result.error().message}});
        } else {
            boost::json::array peaks;
            for (double p : result->peaks) {
                peaks.push_back(std::round(p * 1000.0) / 1000.0);
            }
            tx.query("UPDATE beats_beats SET status = 'ready', failure = NULL, duration_ms = ?, lufs = ?, peaks = ?, "
                     "preview_path = ?, updated_ms = ? WHERE id = ?")
                .bind(result->capped && beat->duration_ms ? *beat->duration_ms : result->duration_ms, result->lufs,
                      boost::json::serialize(peaks), storage_.relative(preview_path), now, beat_id)
                .exec();
            current->status = "ready";
            touched = index_for_search(tx, *current);
            users_.count_beats(tx, beat->producer_id, +1);
            tx.publish(kBeatReady, {{"beat_id", beat_id}, {"producer_id", beat->producer_id}, {"title", beat->title},
                                    {"artist", beat->artist}});
        }
        tx.after_commit([this, beat_id, touched] {
            forget(beat_id);
            search_changed(touched);
        });
        return {};
    });
    if (written && result) {
        core::log::info("beats", "beat ready", {{"beat_id", beat_id}, {"duration_ms", result->duration_ms}});
    }
    return written;
}

core::Result<Beat>
Service::get(const std::string& beat_id) const
{
    std::optional<Beat> beat;
    db_.read([&](core::Conn& conn) { beat = load(conn.query(kSelectById).bind(beat_id)); });
    if (!beat || beat->status == "deleted") {
        return core::not_found("beat");
    }
    return std::move(*beat);
}

core::Result<Beat>
Service::changeable(core::Tx& tx, const http::Principal& who, const std::string& beat_id)
{
    auto beat = load(tx.query(kSelectById).bind(beat_id));
    if (auto allowed = check_may_change(beat, who); !allowed) {
        return allowed.error();
    }
    return *beat;
}

void
Service::forget(const std::string& beat_id)
{
    cache_.drop(beat_id);
    previews_.drop(beat_id);
}

core::Result<void>
Service::may_change(const http::Principal& who, const std::string& beat_id) const
{
    std::optional<Beat> beat;
    db_.read([&](core::Conn& conn) { beat = load(conn.query(kSelectById).bind(beat_id)); });
    return check_may_change(beat, who);
}

core::Result<std::shared_ptr<const std::string>>
Service::beat_json_cached(const std::string& beat_id)
{
    return cache_.get_or_make(beat_id, [&]() -> core::Result<std::shared_ptr<const std::string>> {
        auto beat = get(beat_id);
        if (!beat) {
            return beat.error();
        }
        return std::make_shared<const std::string>(boost::json::serialize(beat_json(*beat)));
    });
}

core::Result<Beat>
Service::update(const http::Principal& who, const std::string& beat_id, const BeatChanges& c)
{
    return db_.write([&](core::Tx& tx) -> core::Result<Beat> {
        auto beat = changeable(tx, who, beat_id);
        if (!beat) {
            return beat.error();
        }
        if (c.title) beat->title = *c.title;
        if (c.artist) beat->artist = *c.artist;
        if (c.genre) beat->genre = c.genre->empty() ? std::nullopt : c.genre;
        if (c.bpm) beat->bpm = c.bpm;
        if (c.key) beat->key = c.key->empty() ? std::nullopt : c.key;
        if (c.mood) beat->mood = c.mood->empty() ? std::nullopt : c.mood;
        if (c.tags) beat->tags = *c.tags;
        if (c.description) beat->description = *c.description;
        if (c.price_cents) {
            beat->price_cents = *c.price_cents;
            // The default single license follows the price; custom licenses are set explicitly.
            if (!c.licenses && beat->licenses.size() == 1 && beat->licenses[0].type == "basic") {
                beat->licenses[0].price_cents = *c.price_cents;
            }
        }
        if (c.licenses) {
            beat->licenses = c.licenses->empty() ? default_licenses(beat->price_cents, beat->currency) : *c.licenses;
        }
        beat->updated_ms = core::clock::now_ms();
        tx.query("UPDATE beats_beats SET title = ?, artist = ?, price_cents = ?, genre = ?, bpm = ?, musical_key = ?, "
                 "mood = ?, tags = ?, description = ?, licenses = ?, updated_ms = ? WHERE id = ?")
            .bind(beat->title, beat->artist, beat->price_cents, beat->genre, beat->bpm, beat->key, beat->mood,
                  tags_json(beat->tags), beat->description, boost::json::serialize(licenses_json(beat->licenses)),
                  beat->updated_ms, beat_id)
            .exec();
        auto touched = index_for_search(tx, *beat);
        tx.after_commit([this, beat_id, touched] {
            forget(beat_id);
            search_changed(touched);
        });
        return std::move(*beat);
    });
}

void
Service::drop_files(core::Tx& tx, const Beat& beat)
{
    // Buyers keep their downloads: the original stays while anyone holds a license.
    bool licensed = false;
    {
        std::lock_guard lock(rights_mutex_);
        licensed = rights_ && !rights_("*", beat.id).empty();
    }
    std::vector<std::string> remove;
    if (beat.preview_path) {
        remove.push_back(storage_.absolute(*beat.preview_path));
    }
    if (!licensed) {
        if (release_file(tx, beat.original_sha256)) {
            remove.push_back(storage_.original(beat.original_sha256, beat.original_ext));
        }
        if (beat.stems_sha256 && release_file(tx, *beat.stems_sha256)) {
            remove.push_back(storage_.stems(*beat.stems_sha256));
        }
    }
    if (beat.cover && release_file(tx, beat.cover->substr(0, beat.cover->find('.')))) {
        remove.push_back(storage_.cover(*beat.cover));
    }
    tx.after_commit([remove] {
        for (const auto& path : remove) {
            std::error_code ec;
            std::filesystem::remove(path, ec);
        }
    });
}

core::Result<void>
Service::remove(const http::Principal& who, const std::string& beat_id)
{
    return db_.write([&](core::Tx& tx) -> core::Result<void> {
        auto beat = changeable(tx, who, beat_id);
        if (!beat) {
            return beat.error();
        }
        if (beat->producer_id != who.user_id) {  // an admin removing someone else's beat
            core::record_audit(tx, {.actor_id = who.user_id,
                                    .action = "beat.delete",
                                    .target_type = "beat",
                                    .target_id = beat_id,
                                    .details = {{"producer_id", beat->producer_id}, {"title", beat->title}}});
        }
        take_out(tx, *beat);
        return {};
    });
}

core::Result<void>
Service::take_down(core::Tx& tx, const std::string& beat_id)
{
    auto beat = load(tx.query(kSelectById).bind(beat_id));
    if (!beat || beat->status == "deleted") {
        return core::not_found("beat");
    }
    take_out(tx, *beat);
    return {};
}

// The beat leaves the store; license holders keep their downloads (drop_files keeps what they need).
void
Service::take_out(core::Tx& tx, Beat& beat)
{
    const auto now = core::clock::now_ms();
    tx.query("UPDATE beats_beats SET status = 'deleted', deleted_ms = ?, updated_ms = ? WHERE id = ?")
        .bind(now, now, beat.id)
        .exec();
    count_if_listed(tx, beat, "deleted");
    beat.status = "deleted";
    auto touched = index_for_search(tx, beat);
    drop_files(tx, beat);
    tx.publish(kBeatDeleted, {{"beat_id", beat.id}, {"producer_id", beat.producer_id}});
    tx.after_commit([this, beat_id = beat.id, touched] {
        forget(beat_id);
        search_changed(touched);
    });
}

void
Service::count_if_listed(core::Tx& tx, const Beat& before, const std::string& status_after)
{
    if (listed(before.status) != listed(status_after)) {
        users_.count_beats(tx, before.producer_id, listed(status_after) ? +1 : -1);
    }
}

core::Result<void>
Service::remove_all_of(const std::string& producer_id, core::Tx& tx)
{
    std::vector<Beat> beats;
    {
        auto q = tx.query(select_beat_sql("WHERE producer_id = ? AND status != 'deleted'"));
        q.bind(producer_id);
        while (q.step()) {
            beats.push_back(read_beat(q));
        }
    }
    const auto now = core::clock::now_ms();
    for (auto& beat : beats) {
        tx.query("UPDATE beats_beats SET status = 'deleted', deleted_ms = ?, updated_ms = ? WHERE id = ?")
            .bind(now, now, beat.id)
            .exec();
        beat.status = "deleted";
        auto touched = index_for_search(tx, beat);
        drop_files(tx, beat);
        tx.publish(kBeatDeleted, {{"beat_id", beat.id}, {"producer_id", producer_id}});
        tx.after_commit([this, id = beat.id, touched] {
            forget(id);
            search_changed(touched);
        });
    }
    return {};
}

core::Result<Beat>
Service::playable(const std::string& beat_id) const
{
    auto beat = get(beat_id);
    if (!beat) {
        return beat.error();
    }
    if (beat->status != "ready" && beat->status != "sold") {
        return not_ready(*beat);
    }
    return beat;
}

core::Result<FileToSend>
Service::preview(const std::string& beat_id) const
{
    // Every range request of every player lands here: read only the two columns it needs,
    // and each range of the same preview asks again: the path is kept until the beat changes.
    auto path = previews_.get_or_make(beat_id, [&]() -> core::Result<std::shared_ptr<const std::string>> {
        std::optional<std::pair<std::string, std::optional<std::string>>> row;
        db_.read([&](core::Conn& conn) {
            auto q = conn.query("SELECT status, preview_path FROM beats_beats WHERE id = ?");
            q.bind(beat_id);
            if (q.step()) {
                row.emplace(q.text(0), q.opt_text(1));
            }
        });
        if (!row || row->first == "deleted") {
            return core::not_found("beat");
        }
        if ((row->first != "ready" && row->first != "sold") || !row->second) {
            return playable(beat_id).error();  // the full story (processing, failed) for the 409
        }
        return std::make_shared<const std::string>(storage_.absolute(*row->second));
    });
    if (!path) {
        return path.error();
    }
    return FileToSend{**path, "audio/mpeg", ""};
}

void
Service::set_download_rights(DownloadRights rights)
{
    std::lock_guard lock(rights_mutex_);
    rights_ = std::move(rights);
}

core::Result<FileToSend>
Service::download(const http::Principal& who, const std::string& beat_id, const std::optional<std::string>& format)
{
    std::optional<Beat> beat;
    db_.read([&](core::Conn& conn) { beat = load(conn.query(kSelectById).bind(beat_id)); });
    if (!beat) {
        return core::not_found("beat");
    }
    const bool owner = beat->producer_id == who.user_id;
    std::vector<std::string> formats;
    if (owner) {
        formats = {"original"};
    } else {
        std::lock_guard lock(rights_mutex_);
        if (rights_) {
            formats = rights_(who.user_id, beat_id);
        }
    }
    if (formats.empty()) {
        if (beat->status == "deleted") {
            return core::not_found("beat");
        }
        return core::forbidden("downloads are for the producer and for buyers whose license covers them");
    }
    const std::string original = storage_.original(beat->original_sha256, beat->original_ext);
    const std::string original_name = beat->title + "." + beat->original_ext;
    if (owner) {
        if (!format || *format == "original" || *format == "wav" || *format == beat->original_ext) {
            return FileToSend{original, audio_mime(beat->original_ext), original_name};
        }
        formats = {"mp3", "stems"};
    }
    auto covered = [&](const std::string& f) { return std::find(formats.begin(), formats.end(), f) != formats.end(); };
    // The best format the license covers, unless one was asked for.
    std::string chosen = format.value_or(covered("wav") ? "wav" : "mp3");
    if (!covered(chosen)) {
        return core::forbidden("your license does not cover " + chosen);
    }
    if (chosen == "wav") {
        return FileToSend{original, audio_mime(beat->original_ext), original_name};
    }
    if (chosen == "stems") {
        if (!beat->stems_sha256) {
            return core::invalid_field("format", "no stems were uploaded for this beat");
        }
        return FileToSend{storage_.stems(*beat->stems_sha256), "application/zip", beat->title + " (stems).zip"};
    }
    auto mp3 = untagged_mp3(*beat);
    if (!mp3) {
        return mp3.error();
    }
    return FileToSend{*mp3, "audio/mpeg", beat->title + ".mp3"};
}

core::Result<std::string>
Service::untagged_mp3(const Beat& beat)
{
    const std::string mp3 = storage_.download(beat.original_sha256, 320000);
    if (!std::filesystem::exists(mp3)) {
        const std::string scratch = storage_.scratch("dl-" + core::new_id() + ".mp3");
        if (auto made = media_.transcode(storage_.original(beat.original_sha256, beat.original_ext), scratch, 320000);
            !made) {
            return made.error();
        }
        if (auto kept = storage_.adopt(scratch, mp3); !kept) {
            return kept.error();
        }
    }
    return mp3;
}

std::optional<Beat>
Service::find_beat(const std::string& beat_id) const
{
    std::optional<Beat> beat;
    db_.read([&](core::Conn& conn) { beat = load(conn.query(kSelectById).bind(beat_id)); });
    return beat;
}

core::Result<void>
Service::set_voice_tag(const http::Principal& who, http::Upload& form)
{
    http::UploadedFile* file = form.file("file");
    if (file == nullptr) {
        return core::invalid_field("file", "is required: send the voice tag as the multipart field 'file'");
    }
    auto probe = accept_audio(*file);
    if (!probe) {
        return probe.error();
    }
    if (probe->duration_ms > 15000) {
        return core::invalid_field("file", "a voice tag may be at most 15 seconds long");
    }
    const std::string ext = extension_for(*probe);
    auto stored = storage_.adopt(file->path, storage_.voice_tag(file->sha256, ext));
    if (!stored) {
        return stored.error();
    }
    file->keep();
    db_.write([&](core::Tx& tx) {
        tx.query("INSERT INTO beats_voice_tags (producer_id, sha256, ext, updated_ms) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (producer_id) DO UPDATE SET sha256 = excluded.sha256, ext = excluded.ext, "
                 "updated_ms = excluded.updated_ms")
            .bind(who.user_id, file->sha256, ext, core::clock::now_ms())
            .exec();
    });
    return {};
}

std::optional<std::int64_t>
Service::voice_tag_updated_ms(const std::string& producer_id) const
{
    std::optional<std::int64_t> updated;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT updated_ms FROM beats_voice_tags WHERE producer_id = ?");
        q.bind(producer_id);
        if (q.step()) {
            updated = q.int64(0);
        }
    });
    return updated;
}

core::Result<void>
Service::remove_voice_tag(const http::Principal& who)
{
    db_.write([&](core::Tx& tx) { tx.query("DELETE FROM beats_voice_tags WHERE producer_id = ?").bind(who.user_id).exec(); });
    return {};
}

std::optional<BeatInfo>
Service::info(const std::string& beat_id) const
{
    std::optional<Beat> beat;
    db_.read([&](core::Conn& conn) { beat = load(conn.query(kSelectById).bind(beat_id)); });
    if (!beat) {
        return std::nullopt;
    }
    return BeatInfo{beat->id, beat->producer_id, beat->title, beat->artist, beat->status, beat->price_cents,
                    beat->currency, beat->licenses, beat->original_sha256};
}

std::optional<BeatInfo>
Service::info(core::Tx& tx, const std::string& beat_id) const
{
    // Only what a sale needs: this runs on the single writer for every purchase.
    auto q = tx.query("SELECT id, producer_id, title, artist, status, price_cents, currency, licenses, original_sha256 "
                      "FROM beats_beats WHERE id = ?");
    q.bind(beat_id);
    if (!q.step()) {
        return std::nullopt;
    }
    return BeatInfo{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.int64(5), q.text(6),
                    licenses_from_json(boost::json::parse(q.text(7))), q.text(8)};
}

core::Result<void>
Service::set_sold(core::Tx& tx, const std::string& beat_id, bool sold)
{
    auto beat = load(tx.query(kSelectById).bind(beat_id));
    const std::string from = sold ? "ready" : "sold";
    const std::string to = sold ? "sold" : "ready";
    if (!beat || beat->status != from) {
        return core::conflict(sold ? "not_for_sale" : "not_sold",
                              sold ? "the beat is no longer for sale" : "the beat is not sold");
    }
    tx.query("UPDATE beats_beats SET status = ?, updated_ms = ? WHERE id = ?")
        .bind(to, core::clock::now_ms(), beat_id)
        .exec();
    count_if_listed(tx, *beat, to);
    beat->status = to;
    auto touched = index_for_search(tx, *beat);
    tx.after_commit([this, beat_id, touched] {
        forget(beat_id);
        search_changed(touched);
    });
    return {};
}

core::Result<void>
Service::rate(core::Tx& tx, const std::string& beat_id, int delta_sum, int delta_count)
{
    if (tx.query("UPDATE beats_beats SET rating_sum = MAX(0, rating_sum + ?), rating_count = MAX(0, rating_count + ?) "
                 "WHERE id = ?")
            .bind(delta_sum, delta_count, beat_id)
            .exec() == 0) {
        return core::not_found("beat");
    }
    tx.after_commit([this, beat_id] { forget(beat_id); });
    return {};
}

bool
Service::empty() const
{
    bool empty = true;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT 1 FROM beats_beats LIMIT 1");
        empty = !q.step();
    });
    return empty;
}

}  // namespace bb::beats
