#include "modules/shares/routes.hpp"

#include "core/clock.hpp"
#include "http/file_response.hpp"
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "modules/beats/beats.hpp"
#include "modules/playlists/playlists.hpp"
#include "modules/users/users.hpp"

#include <algorithm>
#include <memory>

namespace bb::shares {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

constexpr std::int64_t kDefaultLifetimeS = 7 * 24 * 3600;
constexpr std::int64_t kMaxLifetimeS = 365 * 24 * 3600;
constexpr int kPlaysShown = 50;

boost::json::value
time_or_null(const std::optional<std::int64_t>& ms)
{
    return ms ? boost::json::value(core::clock::rfc3339(*ms)) : boost::json::value(nullptr);
}

}  // namespace

namespace {

struct Routes {
    Store& store;
    users::UsersModule& users;
    beats::BeatsModule& beats;
    playlists::PlaylistsModule& playlists;

    std::string prefix(const Share& s) const { return "/api/s/" + s.id; }

    // The beats a link plays: the one beat, or the playlist's beats that are in the store.
    core::Result<std::vector<beats::Track>> tracks(const Share& s) const
    {
        std::vector<std::string> ids{s.target_id};
        if (s.kind == "playlist") {
            auto p = playlists.get(s.owner_id, s.target_id);
            if (!p) {
                return core::Error{core::Code::kGone, "share_unavailable", "what was shared is no longer there", {}};
            }
            ids = p->beat_ids;
        }
        auto found = beats.tracks_by_id(ids, "");
        if (s.kind == "beat" && found.empty()) {
            return core::Error{core::Code::kGone, "share_unavailable", "what was shared is no longer there", {}};
        }
        return found;
    }

    std::string title(const Share& s) const
    {
        if (s.kind == "playlist") {
            auto p = playlists.get(s.owner_id, s.target_id);
            return p ? p->name : "";
        }
        auto beat = beats.find(s.target_id);
        return beat ? beat->title : "";
    }

    boost::json::object owner_json(const Share& s) const
    {
        const auto now = core::clock::now_ms();
        boost::json::object out{{"share_id", s.id},
                                {"url", "/s/" + s.id},
                                {"kind", s.kind},
                                {s.kind == "beat" ? "beat_id" : "playlist_id", s.target_id},
                                {"title", title(s)},
                                {"note", s.note},
                                {"expires_at", core::clock::rfc3339(s.expires_ms)},
                                {"max_plays", s.max_plays ? boost::json::value(*s.max_plays) : nullptr},
                                {"plays", s.plays},
                                {"allow_download", s.allow_download},
                                {"status", s.status(now)},
                                {"created_at", core::clock::rfc3339(s.created_ms)},
                                {"last_played_at", time_or_null(s.last_played_ms)},
                                {"revoked_at", time_or_null(s.revoked_ms)}};
        return out;
    }

    // What may be shared: a producer's own beat (in the store or sold) or an owner's playlist.
    core::Result<std::pair<std::string, std::string>> target(const Request& req, http::JsonInput& in) const
    {
        auto beat_id = in.string("beat_id", false, 1, 64);
        auto playlist_id = in.string("playlist_id", false, 1, 64);
        if (beat_id.has_value() == playlist_id.has_value()) {
            in.fail(beat_id ? "playlist_id" : "beat_id", "give exactly one of beat_id and playlist_id");
        }
        if (auto e = in.error()) {
            return *e;
        }
        const auto& who = req.user();
        if (beat_id) {
            auto beat = beats.find(*beat_id);
            if (!beat || beat->status == "deleted") {
                return core::not_found("beat");
            }
            if (beat->producer_id != who.user_id && !who.is_admin()) {
                return core::forbidden("only the beat's producer may share it");
            }
            if (beat->status != "ready" && beat->status != "sold") {
                return core::conflict("not_ready", "the beat is not ready to be played");
            }
            return std::pair<std::string, std::string>{"beat", *beat_id};
        }
        auto p = playlists.get(who.user_id, *playlist_id);
        if (!p) {
            return p.error();
        }
        if (p->owner_id != who.user_id && !who.is_admin()) {
            return core::forbidden("only the playlist's owner may share it");
        }
        return std::pair<std::string, std::string>{"playlist", *playlist_id};
    }

    Reply create(const Request& req) const
    {
        auto in = http::JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        auto what = target(req, *in);
        if (!what) {
            return what.error();
        }
        auto lifetime = in->integer("expires_in_s", false, 1, kMaxLifetimeS);
        auto max_plays = in->integer("max_plays", false, 1, 1'000'000);
        auto download = in->boolean("allow_download", false);
        auto note = in->string("note", false, 0, 500);
        if (auto e = in->error()) {
            return *e;
        }
        Share s;
        s.owner_id = req.user().user_id;
        s.kind = what->first;
        s.target_id = what->second;
        s.note = note.value_or("");
        s.expires_ms = core::clock::now_ms() + lifetime.value_or(kDefaultLifetimeS) * 1000;
        s.max_plays = max_plays;
        s.allow_download = download.value_or(false);
        return Response::json(201, owner_json(store.create(std::move(s))));
    }

    Reply list(const Request& req) const
    {
        return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor)
                                         -> core::Result<boost::json::object> {
            auto page = store.owned_by(req.user().user_id, limit, cursor);
            if (!page) {
                return page.error();
            }
            boost::json::array items;
            for (const auto& s : page->shares) {
                items.push_back(owner_json(s));
            }
            return boost::json::object{{"shares", std::move(items)},
                                       {"next_cursor", page->next_cursor ? boost::json::value(*page->next_cursor)
                                                                         : boost::json::value(nullptr)}};
        });
    }

    Reply plays(const Request& req) const
    {
        auto s = store.find(std::string(req.param("share_id")));
        if (!s || (s->owner_id != req.user().user_id && !req.user().is_admin())) {
            return core::not_found("share");
        }
        boost::json::array items;
        for (const auto& p : store.plays(s->id, kPlaysShown)) {
            items.push_back({{"play_id", p.id}, {"beat_id", p.beat_id}, {"kind", p.kind},
                             {"created_at", core::clock::rfc3339(p.created_ms)}});
        }
        return Response::json(200, {{"share_id", s->id}, {"plays", s->plays}, {"log", std::move(items)}});
    }

    Reply revoke(const Request& req) const
    {
        auto s = store.revoke(std::string(req.param("share_id")), req.user().user_id, req.user().is_admin());
        if (!s) {
            return s.error();
        }
        return Response::json(200, owner_json(*s));
    }

    // Anyone with the link.
    Reply open(const Request& req) const
    {
        auto s = store.usable(std::string(req.param("share_id")));
        if (!s) {
            return s.error();
        }
        auto found = tracks(*s);
        if (!found) {
            return found.error();
        }
        boost::json::array items;
        for (const auto& t : *found) {
            items.push_back({{"beat_id", t.beat_id},
                             {"title", t.title},
                             {"artist", t.artist},
                             {"genre", t.genre ? boost::json::value(*t.genre) : nullptr},
                             {"bpm", t.bpm ? boost::json::value(*t.bpm) : nullptr},
                             {"duration_ms", t.duration_ms}});
        }
        auto owner = users.find(s->owner_id);
        return Response::json(200, {{"share_id", s->id},
                                    {"kind", s->kind},
                                    {"title", title(*s)},
                                    {"note", s->note},
                                    {"shared_by", owner ? owner->username : ""},
                                    {"expires_at", core::clock::rfc3339(s->expires_ms)},
                                    {"plays_left", s->max_plays ? boost::json::value(*s->max_plays - s->plays) : nullptr},
                                    {"allow_download", s->allow_download},
                                    {"tracks", std::move(items)}})
            .with_header("Cache-Control", "no-store");
    }

    // The link's share, when `beat_id` is one of its tracks.
    core::Result<Share> with_track(const Request& req) const
    {
        auto s = store.usable(std::string(req.param("share_id")));
        if (!s) {
            return s.error();
        }
        auto found = tracks(*s);
        if (!found) {
            return found.error();
        }
        const std::string beat_id(req.param("beat_id"));
        if (std::none_of(found->begin(), found->end(), [&](const beats::Track& t) { return t.beat_id == beat_id; })) {
            return core::not_found("track");
        }
        return *s;
    }

    Reply play(const Request& req) const
    {
        auto s = with_track(req);
        if (!s) {
            return s.error();
        }
        const std::string beat_id(req.param("beat_id"));
        auto played = store.take_play(s->id, beat_id, [&](core::Tx& tx) { return beats.log_play(tx, "share:" + s->id, beat_id); });
        if (!played) {
            return played.error();
        }
        boost::json::value left = nullptr;
        if (s->max_plays) {
            left = std::max<std::int64_t>(0, *s->max_plays - s->plays - 1);
        }
        return Response::json(201, {{"play_id", played->id},
                                    {"beat_id", beat_id},
                                    {"stream_url", prefix(*s) + "/stream/" + beat_id + "?play=" + played->id},
                                    {"plays_left", left}});
    }

    Reply stream(const Request& req) const
    {
        auto s = with_track(req);
        if (!s) {
            return s.error();
        }
        const std::string beat_id(req.param("beat_id"));
        const std::string ticket(req.query_param("play").value_or(""));
        if (!store.valid_ticket(s->id, ticket, beat_id)) {
            return core::forbidden("start a play first: POST " + prefix(*s) + "/tracks/" + beat_id + "/plays");
        }
        auto file = beats.stream("share:" + s->id, beat_id, {});
        if (!file) {
            return file.error();
        }
        return http::serve_file(req, file->path, {.mime = file->mime, .cache_control = "private, no-store"});
    }

    Reply download(const Request& req) const
    {
        auto s = with_track(req);
        if (!s) {
            return s.error();
        }
        if (!s->allow_download) {
            return core::forbidden("this link does not allow downloads");
        }
        const std::string beat_id(req.param("beat_id"));
        auto file = beats.shared_mp3(beat_id);
        if (!file) {
            return file.error();
        }
        store.log_download(s->id, beat_id);
        return http::serve_file(req, file->path,
                                {.mime = file->mime, .cache_control = "private, no-store", .download_name = file->download_name});
    }
};

void
add_schemas(http::Router& router)
{
    router.schema("ShareInput", R"js({"type": "object", "properties": {
        "beat_id": {"type": "string", "description": "one of beat_id (your beat) and playlist_id (your playlist)"},
        "playlist_id": {"type": "string"},
        "expires_in_s": {"type": "integer", "minimum": 1, "maximum": 31536000, "description": "default 7 days"},
        "max_plays": {"type": "integer", "minimum": 1, "description": "none: no limit"},
        "allow_download": {"type": "boolean", "description": "listeners may download the untagged 320 kbit/s MP3"},
        "note": {"type": "string", "maxLength": 500}}})js");
    router.schema("Share", R"js({"type": "object", "required": ["share_id", "url", "kind", "title", "expires_at",
        "plays", "allow_download", "status", "created_at"], "properties": {
        "share_id": {"type": "string"}, "url": {"type": "string", "description": "the page to send: /s/{share_id}"},
        "kind": {"enum": ["beat", "playlist"]}, "beat_id": {"type": "string"}, "playlist_id": {"type": "string"},
        "title": {"type": "string"}, "note": {"type": "string"},
        "expires_at": {"type": "string", "format": "date-time"}, "max_plays": {"type": ["integer", "null"]},
        "plays": {"type": "integer"}, "allow_download": {"type": "boolean"},
        "status": {"enum": ["active", "expired", "revoked", "used_up"]},
        "created_at": {"type": "string", "format": "date-time"},
        "last_played_at": {"type": ["string", "null"], "format": "date-time"},
        "revoked_at": {"type": ["string", "null"], "format": "date-time"}}})js");
    router.schema("ShareList", R"js({"type": "object", "required": ["shares", "next_cursor"], "properties": {
        "shares": {"type": "array", "items": {"$ref": "#/components/schemas/Share"}},
        "next_cursor": {"type": ["string", "null"]}}})js");
    router.schema("SharePlays", R"js({"type": "object", "required": ["share_id", "plays", "log"], "properties": {
        "share_id": {"type": "string"}, "plays": {"type": "integer"},
        "log": {"type": "array", "items": {"type": "object", "properties": {"play_id": {"type": "string"},
            "beat_id": {"type": "string"}, "kind": {"enum": ["play", "download"]},
            "created_at": {"type": "string", "format": "date-time"}}}}}})js");
    router.schema("SharedItems", R"js({"type": "object", "required": ["share_id", "kind", "title", "tracks"], "properties": {
        "share_id": {"type": "string"}, "kind": {"enum": ["beat", "playlist"]}, "title": {"type": "string"},
        "note": {"type": "string"}, "shared_by": {"type": "string"},
        "expires_at": {"type": "string", "format": "date-time"}, "plays_left": {"type": ["integer", "null"]},
        "allow_download": {"type": "boolean"},
        "tracks": {"type": "array", "items": {"type": "object", "properties": {"beat_id": {"type": "string"},
            "title": {"type": "string"}, "artist": {"type": "string"}, "genre": {"type": ["string", "null"]},
            "bpm": {"type": ["integer", "null"]}, "duration_ms": {"type": "integer"}}}}}})js");
    router.schema("SharePlay", R"js({"type": "object", "required": ["play_id", "beat_id", "stream_url"], "properties": {
        "play_id": {"type": "string"}, "beat_id": {"type": "string"},
        "stream_url": {"type": "string", "description": "the preview, for this play (Range works)"},
        "plays_left": {"type": ["integer", "null"]}}})js");
}

}  // namespace

void
register_routes(http::Router& router, Store& store, users::UsersModule& users, beats::BeatsModule& beats,
                playlists::PlaylistsModule& playlists)
{
    add_schemas(router);
    // The handlers share one Routes, kept alive by the router's copies of them.
    auto r = std::make_shared<const Routes>(Routes{store, users, beats, playlists});
    router.add({.method = "POST", .path = "/api/shares", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Share my beat or playlist by link: an expiry, a play limit, a download right",
                        .tag = "shares", .request = "ShareInput",
                        .responses = {{201, "Share"}, {403, "Error"}, {404, "Error"}, {422, "Error"}}},
                .handler = [r](const Request& req) { return r->create(req); }});
    router.add({.method = "GET", .path = "/api/shares", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "My share links, newest first", .tag = "shares", .responses = {{200, "ShareList"}},
                        .query = {"limit", "cursor"}},
                .handler = [r](const Request& req) { return r->list(req); }});
    router.add({.method = "DELETE", .path = "/api/shares/{share_id}", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Revoke a share link: it answers 410 from now on", .tag = "shares",
                        .responses = {{200, "Share"}, {404, "Error"}}},
                .handler = [r](const Request& req) { return r->revoke(req); }});
    router.add({.method = "GET", .path = "/api/shares/{share_id}/plays", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "A share link's plays and downloads, newest first", .tag = "shares",
                        .responses = {{200, "SharePlays"}, {404, "Error"}}},
                .handler = [r](const Request& req) { return r->plays(req); }});

    // Anyone with the link (no account): 410 once it expired, was revoked or used its plays.
    const std::string link = "/api/s/{share_id}";
    router.add({.method = "GET", .path = link, .exec = Exec::kBlocking,
                .doc = {.summary = "What a share link holds", .tag = "shares",
                        .responses = {{200, "SharedItems"}, {404, "Error"}, {410, "Error"}}},
                .handler = [r](const Request& req) { return r->open(req); }});
    router.add({.method = "POST", .path = link + "/tracks/{beat_id}/plays", .exec = Exec::kBlocking,
                .doc = {.summary = "Start a play through a share link (counted and logged)", .tag = "shares",
                        .responses = {{201, "SharePlay"}, {404, "Error"}, {410, "Error"}}},
                .handler = [r](const Request& req) { return r->play(req); }});
    router.add({.method = "GET", .path = link + "/stream/{beat_id}", .exec = Exec::kBlocking,
                .doc = {.summary = "The preview of a shared beat, for a play started through the link", .tag = "shares",
                        .responses = {{200, ""}, {206, ""}, {403, "Error"}, {410, "Error"}}, .query = {"play"}},
                .handler = [r](const Request& req) { return r->stream(req); }});
    router.add({.method = "GET", .path = link + "/download/{beat_id}", .exec = Exec::kBlocking,
                .doc = {.summary = "Download a shared beat (untagged MP3) when the link allows it", .tag = "shares",
                        .responses = {{200, ""}, {403, "Error"}, {410, "Error"}}},
                .handler = [r](const Request& req) { return r->download(req); }});
}

}  // namespace bb::shares
