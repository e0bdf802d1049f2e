#include "modules/beats/routes.hpp"

#include "core/clock.hpp"
#include "core/disk.hpp"
#include "core/log.hpp"
#include "http/file_response.hpp"
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "http/router.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace bb::beats {
namespace {

using http::Auth;
using http::Body;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

Response
json_text(int status, const std::string& json)
{
    return Response::text(status, json, "application/json; charset=utf-8");
}

boost::json::object
playback_json(const PlaybackEvent& e)
{
    return {{"event_id", e.id},
            {"beat_id", e.beat_id},
            {"action", e.action},
            {"position_ms", e.position_ms},
            {"created_at", core::clock::rfc3339(e.created_ms)}};
}

// A page of typed items as the list answer: {"<key>": [to_json(item)...], "next_cursor": ...}.
template <class Items, class ToJson>
boost::json::object
page_json(const char* key, const Items& items, const std::optional<std::string>& next, ToJson to_json)
{
    boost::json::array out;
    for (const auto& item : items) {
        out.push_back(to_json(item));
    }
    return {{key, std::move(out)}, {"next_cursor", next ? boost::json::value(*next) : boost::json::value(nullptr)}};
}

core::Result<SearchQuery>
read_search(const Request& req)
{
    http::QueryInput in(req);
    SearchQuery q;
    q.q = in.text("q");
    q.genre = in.text("genre", 50);
    q.mood = in.text("mood", 50);
    q.key = in.text("key", 20);
    q.bpm_min = in.integer("bpm_min", 0, 1000);
    q.bpm_max = in.integer("bpm_max", 0, 1000);
    q.price_max_cents = in.integer("price_max_cents", 0, INT64_MAX);
    q.producer = in.text("producer", 64);
    q.sort = in.one_of("sort", {"new", "popular", "price_asc", "price_desc", "relevance"}).value_or("");
    q.limit = in.limit();
    q.cursor = in.text("cursor", 1000);
    if (auto e = in.error()) {
        return *e;
    }
    return q;
}

Reply
delete_beat(Service& service, const Request& req)
{
    const std::string id(req.param("beat_id"));
    if (auto done = service.remove(req.user(), id); !done) {
        return done.error();
    }
    return Response::json(200, {{"beat_id", id}, {"deleted", true}});
}

void
add_schemas(http::Router& router)
{
    router.schema("License", R"({"type": "object", "required": ["type", "price_cents", "files"], "properties": {
        "type": {"enum": ["basic", "premium", "unlimited", "exclusive"]}, "price_cents": {"type": "integer"},
        "price": {"type": "number"}, "currency": {"type": "string"},
        "files": {"type": "array", "items": {"enum": ["mp3", "wav", "stems"]}}, "terms": {"type": "string"}}})");
    router.schema("Beat", R"({"type": "object", "required": ["beat_id", "title", "artist", "producer_id", "price",
        "price_cents", "currency", "status", "file_url", "stream_url", "licenses"], "properties": {
        "beat_id": {"type": "string"}, "title": {"type": "string"}, "artist": {"type": "string"},
        "producer_id": {"type": "string"}, "price": {"type": "number"}, "price_cents": {"type": "integer"},
        "currency": {"type": "string"}, "genre": {"type": ["string", "null"]}, "bpm": {"type": ["integer", "null"]},
        "key": {"type": ["string", "null"]}, "mood": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}}, "description": {"type": "string"},
        "duration_ms": {"type": ["integer", "null"]},
        "status": {"enum": ["processing", "ready", "failed", "sold", "deleted"]},
        "failure_reason": {"type": "string"}, "file_url": {"type": "string"}, "stream_url": {"type": "string"},
        "licenses": {"type": "array", "items": {"$ref": "#/components/schemas/License"}},
        "plays": {"type": "integer"}, "rating_avg": {"type": ["number", "null"]}, "rating_count": {"type": "integer"},
        "loudness_lufs": {"type": ["number", "null"]},
        "has_stems": {"type": "boolean", "description": "stems were uploaded: licenses with 'stems' may download them"},
        "cover_url": {"type": ["string", "null"], "description": "the cover image; the URL changes with the image"},
        "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}})");
    router.schema("BeatUpload", R"({"type": "object", "required": ["file", "title"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "the audio: WAV, MP3, FLAC, OGG, AIFF or M4A"},
        "title": {"type": "string"}, "artist": {"type": "string"}, "price": {"type": "number"},
        "price_cents": {"type": "integer"}, "genre": {"type": "string"}, "bpm": {"type": "integer"},
        "key": {"type": "string"}, "mood": {"type": "string"}, "tags": {"type": "string", "description": "comma list"},
        "description": {"type": "string"}, "licenses": {"type": "string", "description": "a JSON array of License"},
        "cover": {"type": "string", "format": "binary", "description": "optional cover art: PNG, JPEG or WebP, at most 5 MiB"}}})");
    router.schema("BeatPatch", R"({"type": "object", "properties": {"title": {"type": "string"},
        "artist": {"type": "string"}, "price": {"type": "number"}, "price_cents": {"type": "integer"},
        "genre": {"type": "string"}, "bpm": {"type": "integer"}, "key": {"type": "string"}, "mood": {"type": "string"},
        "tags": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
        "description": {"type": "string"},
        "licenses": {"type": "array", "items": {"$ref": "#/components/schemas/License"}}}})");
    router.schema("BeatList", R"({"type": "object", "required": ["beats", "next_cursor"], "properties": {
        "beats": {"type": "array", "items": {"$ref": "#/components/schemas/Beat"}},
        "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("BeatDeleted", R"({"type": "object", "properties": {"beat_id": {"type": "string"},
        "deleted": {"const": true}}})");
    router.schema("StreamInfo", R"({"type": "object", "required": ["beat_id", "stream_url", "mime"], "properties": {
        "beat_id": {"type": "string"}, "stream_url": {"type": "string"}, "mime": {"type": "string"},
        "duration_ms": {"type": ["integer", "null"]}}})");
    router.schema("Waveform", R"({"type": "object", "required": ["peaks"], "properties": {
        "peaks": {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}},
        "duration_ms": {"type": ["integer", "null"]}}})");
    router.schema("CoverUpload", R"({"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "a PNG, JPEG or WebP image, at most 5 MiB"}}})");
    router.schema("StemsUpload", R"({"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "one ZIP archive of the beat's track-outs"}}})");
    router.schema("VoiceTagUpload", R"({"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "a short spoken tag, at most 15 s"}}})");
    router.schema("VoiceTagSet", R"({"type": "object", "required": ["voice_tag"], "properties": {
        "voice_tag": {"type": "boolean"}, "updated_at": {"type": "string", "format": "date-time"}}})");
    router.schema("PlaybackRequest", R"({"type": "object", "required": ["beat_id", "action"], "properties": {
        "beat_id": {"type": "string"}, "action": {"enum": ["play", "pause", "stop"]},
        "position_ms": {"type": "integer", "minimum": 0}}})");
    router.schema("PlaybackEvent", R"({"type": "object", "required": ["event_id", "beat_id", "action", "position_ms",
        "created_at"], "properties": {"event_id": {"type": "string"}, "beat_id": {"type": "string"},
        "action": {"type": "string"}, "position_ms": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"}}})");
    router.schema("PlaybackState", R"({"type": "object", "required": ["beat_id"], "properties": {
        "beat_id": {"type": ["string", "null"]}, "action": {"type": ["string", "null"]},
        "position_ms": {"type": ["integer", "null"]}, "updated_at": {"type": ["string", "null"]}}})");
    router.schema("PlaybackHistory", R"({"type": "object", "required": ["history", "next_cursor"], "properties": {
        "history": {"type": "array", "items": {"$ref": "#/components/schemas/PlaybackEvent"}},
        "next_cursor": {"type": ["string", "null"]}}})");
}

// An upload's answer; an exception (a write that found the disk full) is answered too, since the
// intake thread has no pipeline around it.
Reply
upload_reply(Service& service, const http::Principal& who, http::Upload& form)
{
    try {
        auto beat = service.upload(who, form);
        if (!beat) {
            return beat.error();
        }
        return Response::json(201, beat_json(*beat));
    } catch (const std::exception& e) {
        core::log::error("beats", "upload failed", {{"error", e.what()}});
        return core::is_storage_full(e) ? core::insufficient_storage() : core::internal();
    }
}

}  // namespace

void
register_routes(http::Router& router, Service& service, UploadIntake& intake)
{
    add_schemas(router);

    router.add({.method = "POST", .path = "/api/beats/upload", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .body = Body::kMultipart,
                .doc = {.summary = "Upload a beat (multipart: the audio as 'file' plus its details); 503 media_busy "
                                   "with Retry-After when too many uploads wait for a media worker",
                        .tag = "beats", .form = "BeatUpload",
                        .responses = {{201, "Beat"}, {413, "Error"}, {415, "Error"}, {422, "Error"}, {503, "Error"},
                                      {507, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    return upload_reply(service, req.user(), *req.upload);
                },
                // Checked on the upload intake's own threads, not the shared pool.
                .deferred = [&service, &intake](const Request& req, const http::Respond& respond) {
                    auto task = [&service, who = req.user(), form = req.upload, respond] {
                        respond(upload_reply(service, who, *form));
                    };
                    if (!intake.submit(std::move(task))) {
                        respond(core::Error{core::Code::kUnavailable, "media_busy",
                                            "too many uploads are waiting for a media worker; try again in a few seconds",
                                            {{"retry_after_s", 5}}});
                    }
                    return true;
                }});

    router.add({.method = "GET", .path = "/api/beats", .exec = Exec::kRead,
                .doc = {.summary = "Search and browse the store", .tag = "beats", .responses = {{200, "BeatList"}},
                        .query = {"q", "genre", "mood", "key", "bpm_min", "bpm_max", "price_max_cents", "producer",
                                  "sort", "limit", "cursor"}},
                .handler = [&service](const Request& req) -> Reply {
                    auto q = read_search(req);
                    if (!q) {
                        return q.error();
                    }
                    auto json = service.search_json(*q);
                    if (!json) {
                        return json.error();
                    }
                    return json_text(200, **json);
                },
                // A repeated search is answered from the cache without leaving the network thread.
                .fast_path = [&service](const Request& req) -> std::optional<Reply> {
                    auto q = read_search(req);
                    std::shared_ptr<const std::string> hit;
                    if (q && (hit = service.search_json_cached(*q))) {
                        return Reply(json_text(200, *hit));
                    }
                    return std::nullopt;
                }});

    router.add({.method = "GET", .path = "/api/beats/mine", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "My beats in every state but deleted (processing, failed and sold too), newest first",
                        .tag = "beats", .responses = {{200, "BeatList"}}, .query = {"limit", "cursor"}},
                .handler = [&service](const Request& req) -> Reply {
                    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor)
                                                     -> core::Result<boost::json::object> {
                        auto page = service.list_own(req.user().user_id, limit, cursor);
                        if (!page) {
                            return page.error();
                        }
                        return page_json("beats", page->beats, page->next_cursor, beat_json);
                    });
                }});

    router.add({.method = "GET", .path = "/api/beats/{beat_id}",
                .doc = {.summary = "A beat", .tag = "beats", .responses = {{200, "Beat"}, {404, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto json = service.beat_json_cached(std::string(req.param("beat_id")));
                    if (!json) {
                        return json.error();
                    }
                    return json_text(200, **json);
                }});

    router.add({.method = "PATCH", .path = "/api/beats/{beat_id}", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Edit a beat's details and prices (its producer)", .tag = "beats",
                        .request = "BeatPatch", .responses = {{200, "Beat"}, {403, "Error"}, {422, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    boost::json::object problems;
                    auto changes = read_changes(in->object(), false, problems);
                    const std::string beat_id(req.param("beat_id"));
                    if (!problems.empty()) {
                        // Someone else's beat is 403 whatever the body says, as for a valid one.
                        if (auto allowed = service.may_change(req.user(), beat_id); !allowed) {
                            return allowed.error();
                        }
                        return core::invalid_fields(std::move(problems));
                    }
                    auto beat = service.update(req.user(), beat_id, changes);
                    if (!beat) {
                        return beat.error();
                    }
                    return Response::json(200, beat_json(*beat));
                }});

    for (const char* path : {"/api/beats/{beat_id}", "/api/beats/{beat_id}/delete"}) {
        router.add({.method = "DELETE", .path = path, .auth = Auth::kRequired, .exec = Exec::kBlocking,
                    .doc = {.summary = "Take a beat out of the store (its producer or an admin)", .tag = "beats",
                            .responses = {{200, "BeatDeleted"}, {403, "Error"}, {404, "Error"}}},
                    .handler = [&service](const Request& req) { return delete_beat(service, req); }});
    }

    router.add({.method = "GET", .path = "/api/beats/stream/{beat_id}",
                .doc = {.summary = "Where to stream a beat's preview", .tag = "beats",
                        .responses = {{200, "StreamInfo"}, {409, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto beat = service.playable(std::string(req.param("beat_id")));
                    if (!beat) {
                        return beat.error();
                    }
                    return Response::json(200, {{"beat_id", beat->id},
                                                {"stream_url", "/api/beats/" + beat->id + "/preview.mp3"},
                                                {"mime", "audio/mpeg"},
                                                {"duration_ms", beat->duration_ms ? boost::json::value(*beat->duration_ms)
                                                                                  : boost::json::value(nullptr)}});
                }});

    router.add({.method = "GET", .path = "/api/beats/{beat_id}/preview.mp3",
                .doc = {.summary = "The preview audio (Range, ETag, If-None-Match, If-Range)", .tag = "beats",
                        .responses = {{200, ""}, {206, ""}, {304, ""}, {416, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto file = service.preview(std::string(req.param("beat_id")));
                    if (!file) {
                        return file.error();
                    }
                    return http::serve_file(req, file->path, {.mime = file->mime});
                }});

    router.add({.method = "GET", .path = "/api/beats/{beat_id}/waveform",
                .doc = {.summary = "Peaks for drawing the player", .tag = "beats",
                        .responses = {{200, "Waveform"}, {409, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto beat = service.playable(std::string(req.param("beat_id")));
                    if (!beat) {
                        return beat.error();
                    }
                    std::string body = "{\"peaks\":" + (beat->peaks_json.empty() ? "[]" : beat->peaks_json) +
                                       ",\"duration_ms\":" +
                                       (beat->duration_ms ? std::to_string(*beat->duration_ms) : "null") + "}";
                    return json_text(200, body).with_header("Cache-Control", "public, max-age=300");
                }});

    router.add({.method = "GET", .path = "/api/beats/{beat_id}/download", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "The full-quality file (its producer, or buyers whose license covers it)",
                        .tag = "beats", .responses = {{200, ""}, {403, "Error"}}, .query = {"format"}},
                .handler = [&service](const Request& req) -> Reply {
                    http::QueryInput in(req);
                    auto format = in.one_of("format", {"mp3", "wav", "stems", "original"});
                    if (auto e = in.error()) {
                        return *e;
                    }
                    auto file = service.download(req.user(), std::string(req.param("beat_id")), format);
                    if (!file) {
                        return file.error();
                    }
                    return http::serve_file(req, file->path,
                                            {.mime = file->mime, .cache_control = "private, no-store",
                                             .download_name = file->download_name});
                }});

    router.add({.method = "PUT", .path = "/api/users/profile/voice-tag", .auth = Auth::kRequired,
                .exec = Exec::kBlocking, .body = Body::kMultipart, .body_limit = 10 << 20,
                .doc = {.summary = "Set my voice tag, mixed into my previews every 30 s", .tag = "beats",
                        .form = "VoiceTagUpload", .responses = {{200, "VoiceTagSet"}, {415, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    if (auto done = service.set_voice_tag(req.user(), *req.upload); !done) {
                        return done.error();
                    }
                    return Response::json(200, {{"voice_tag", true}});
                }});
    router.add({.method = "PUT", .path = "/api/beats/{beat_id}/stems", .auth = Auth::kRequired,
                .exec = Exec::kBlocking, .body = Body::kMultipart,
                .doc = {.summary = "Set a beat's stems (its producer): one ZIP archive, downloaded with ?format=stems",
                        .tag = "beats", .form = "StemsUpload",
                        .responses = {{200, "Beat"}, {403, "Error"}, {404, "Error"}, {413, "Error"}, {415, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto beat = service.set_stems(req.user(), std::string(req.param("beat_id")), *req.upload);
                    if (!beat) {
                        return beat.error();
                    }
                    return Response::json(200, beat_json(*beat));
                }});
    router.add({.method = "PUT", .path = "/api/beats/{beat_id}/cover", .auth = Auth::kRequired,
                .exec = Exec::kBlocking, .body = Body::kMultipart, .body_limit = 6 << 20,
                .doc = {.summary = "Set a beat's cover art (its producer)", .tag = "beats", .form = "CoverUpload",
                        .responses = {{200, "Beat"}, {403, "Error"}, {404, "Error"}, {413, "Error"}, {415, "Error"},
                                      {422, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto beat = service.set_cover(req.user(), std::string(req.param("beat_id")), *req.upload);
                    if (!beat) {
                        return beat.error();
                    }
                    return Response::json(200, beat_json(*beat));
                }});
    router.add({.method = "GET", .path = "/api/beats/{beat_id}/cover", .exec = Exec::kRead,
                .doc = {.summary = "A beat's cover art (its own image type)", .tag = "beats",
                        .responses = {{200, ""}, {304, ""}, {404, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto file = service.cover(std::string(req.param("beat_id")));
                    if (!file) {
                        return file.error();
                    }
                    // cover_url carries the image's hash: the same URL is always the same image.
                    return http::serve_file(req, file->path,
                                            {.mime = file->mime, .cache_control = "public, max-age=31536000, immutable"});
                }});
    router.add({.method = "DELETE", .path = "/api/beats/{beat_id}/stems", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Remove a beat's stems (its producer)", .tag = "beats",
                        .responses = {{200, "Beat"}, {403, "Error"}, {404, "Error"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto beat = service.remove_stems(req.user(), std::string(req.param("beat_id")));
                    if (!beat) {
                        return beat.error();
                    }
                    return Response::json(200, beat_json(*beat));
                }});
    router.add({.method = "GET", .path = "/api/users/profile/voice-tag", .auth = Auth::kRequired,
                .doc = {.summary = "Whether I have a voice tag, and since when", .tag = "beats",
                        .responses = {{200, "VoiceTagSet"}}},
                .handler = [&service](const Request& req) -> Reply {
                    boost::json::object state{{"voice_tag", false}};
                    if (auto updated = service.voice_tag_updated_ms(req.user().user_id)) {
                        state["voice_tag"] = true;
                        state["updated_at"] = core::clock::rfc3339(*updated);
                    }
                    return Response::json(200, state);
                }});
    router.add({.method = "DELETE", .path = "/api/users/profile/voice-tag", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Remove my voice tag", .tag = "beats", .responses = {{200, "VoiceTagSet"}}},
                .handler = [&service](const Request& req) -> Reply {
                    if (auto done = service.remove_voice_tag(req.user()); !done) {
                        return done.error();
                    }
                    return Response::json(200, {{"voice_tag", false}});
                }});

    router.add({.method = "POST", .path = "/api/playback", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Log play, pause or stop (a play counts once per user per beat per 30 s)",
                        .tag = "playback", .request = "PlaybackRequest", .responses = {{201, "PlaybackEvent"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto in = http::JsonInput::parse(req);
                    if (!in) {
                        return in.error();
                    }
                    auto beat_id = in->string("beat_id", true, 1, 64);
                    auto action = in->string("action", true);
                    auto position = in->integer("position_ms", false, 0, 24LL * 3600 * 1000);
                    if (action && *action != "play" && *action != "pause" && *action != "stop") {
                        in->fail("action", "must be play, pause or stop");
                    }
                    if (auto e = in->error()) {
                        return *e;
                    }
                    auto event = service.record_playback(req.user(), *beat_id, *action, position.value_or(0));
                    if (!event) {
                        return event.error();
                    }
                    return Response::json(201, playback_json(*event));
                }});
    router.add({.method = "GET", .path = "/api/playback/state", .auth = Auth::kRequired,
                .doc = {.summary = "What I am playing", .tag = "playback", .responses = {{200, "PlaybackState"}}},
                .handler = [&service](const Request& req) -> Reply {
                    auto state = service.playback_state(req.user().user_id);
                    if (!state) {
                        return Response::json(200, {{"beat_id", nullptr}, {"action", nullptr}, {"position_ms", nullptr},
                                                    {"updated_at", nullptr}});
                    }
                    return Response::json(200, {{"beat_id", state->beat_id},
                                                {"action", state->action},
                                                {"position_ms", state->position_ms},
                                                {"updated_at", core::clock::rfc3339(state->created_ms)}});
                }});
    router.add({.method = "GET", .path = "/api/playback/history", .auth = Auth::kRequired,
                .doc = {.summary = "My playback log, newest first", .tag = "playback",
                        .responses = {{200, "PlaybackHistory"}}, .query = {"limit", "cursor"}},
                .handler = [&service](const Request& req) -> Reply {
                    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor)
                                                     -> core::Result<boost::json::object> {
                        auto page = service.playback_history(req.user().user_id, limit, cursor);
                        if (!page) {
                            return page.error();
                        }
                        return page_json("history", page->first, page->second, playback_json);
                    });
                }});
}

}  // namespace bb::beats
