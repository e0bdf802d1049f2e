// Playlists (seed 001's playback service): a user's ordered lists of beats, private or public.
// A private playlist of someone else is 404, so its existence is not revealed.
#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "http/json_input.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "modules/beats/beats.hpp"
#include "modules/playlists/playlists.hpp"

#include <algorithm>
#include <set>

namespace bb::playlists {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;
using http::Response;

struct Playlist {
    std::string id;
    std::string owner_id;
    std::string name;
    std::string description;
    bool is_public = false;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
};

struct Track {
    std::string beat_id;
    std::int64_t position = 0;
    std::int64_t added_ms = 0;
};

constexpr const char* kSelectPlaylist =
    "SELECT id, owner_id, name, description, public, created_ms, updated_ms FROM playlists_playlists WHERE id = ?";

Playlist
read_playlist(core::Query& q)
{
    return {q.text(0), q.text(1), q.text(2), q.text(3), q.int64(4) != 0, q.int64(5), q.int64(6)};
}

}  // namespace

struct PlaylistsModule::Impl {
    core::Db& db;
    beats::BeatsModule& beats;
    const std::string& secret;

    std::optional<Playlist> find(core::Conn& conn, const std::string& id)
    {
        auto q = conn.query(kSelectPlaylist);
        q.bind(id);
        return q.step() ? std::optional(read_playlist(q)) : std::nullopt;
    }

    std::optional<Playlist> find(core::Tx& tx, const std::string& id)
    {
        auto q = tx.query(kSelectPlaylist);
        q.bind(id);
        return q.step() ? std::optional(read_playlist(q)) : std::nullopt;
    }

    // Reading: public or mine; otherwise it does not exist for you.
    static core::Result<Playlist> visible_to(const std::string& viewer_id, const std::optional<Playlist>& p)
    {
        if (!p || (!p->is_public && (viewer_id.empty() || viewer_id != p->owner_id))) {
            return core::not_found("playlist");
        }
        return *p;
    }

    core::Result<Playlist> visible(const Request& req, const std::optional<Playlist>& p)
    {
        return visible_to(req.principal ? req.principal->user_id : "", p);
    }

    // Changing: mine (or admin, which goes into the audit log as `action`); a public one of someone
    // else is 403, a private one 404.
    static core::Result<Playlist> owned_by(core::Tx& tx, const std::string& user_id, bool admin,
                                           const std::optional<Playlist>& p, std::string_view action)
    {
        auto seen = visible_to(user_id, p);
        if (!seen && !admin) {
            return seen.error();
        }
        if (!p) {
            return core::not_found("playlist");
        }
        if (p->owner_id != user_id && !admin) {
            return core::forbidden("only the playlist's owner may change it");
        }
        if (p->owner_id != user_id) {
            core::record_audit(tx, {.actor_id = user_id, .action = std::string(action),
                                    .target_type = "playlist", .target_id = p->id,
                                    .details = {{"owner_id", p->owner_id}}});
        }
        return *p;
    }

    core::Result<Playlist> owned(core::Tx& tx, const Request& req, const std::optional<Playlist>& p,
                                 std::string_view action)
    {
        return owned_by(tx, req.user().user_id, req.user().is_admin(), p, action);
    }

    boost::json::object to_json(const Playlist& p)
    {
        std::vector<Track> tracks;
        db.read([&](core::Conn& conn) {
            auto q = conn.query("SELECT beat_id, position, added_ms FROM playlists_tracks WHERE playlist_id = ? "
                                "ORDER BY position");
            q.bind(p.id);
            while (q.step()) {
                tracks.push_back({q.text(0), q.int64(1), q.int64(2)});
            }
        });
        boost::json::array items;
        for (const auto& t : tracks) {
            auto beat = beats.find(t.beat_id);
            items.push_back({{"beat_id", t.beat_id},
                             {"title", beat ? beat->title : ""},
                             {"artist", beat ? beat->artist : ""},
                             {"available", beat && (beat->status == "ready" || beat->status == "sold")},
                             {"position", t.position},
                             {"added_at", core::clock::rfc3339(t.added_ms)}});
        }
        return {{"playlist_id", p.id},
                {"owner_id", p.owner_id},
                {"name", p.name},
                {"description", p.description},
                {"public", p.is_public},
                {"tracks", std::move(items)},
                {"created_at", core::clock::rfc3339(p.created_ms)},
                {"updated_at", core::clock::rfc3339(p.updated_ms)}};
    }

    Reply reply_playlist(const std::string& id, int status)
    {
        std::optional<Playlist> p;
        db.read([&](core::Conn& conn) { p = find(conn, id); });
        if (!p) {
            return core::not_found("playlist");
        }
        return Response::json(status, to_json(*p));
    }

    Reply create(const Request& req)
    {
        auto in = http::JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        auto name = in->string("name", true, 1, 100);
        auto description = in->string("description", false, 0, 2000);
        auto is_public = in->boolean("public", false);
        if (auto e = in->error()) {
            return *e;
        }
        const auto now = core::clock::now_ms();
        Playlist p{core::new_id(), req.user().user_id, *name, description.value_or(""), is_public.value_or(false), now, now};
        db.write([&](core::Tx& tx) {
            tx.query("INSERT INTO playlists_playlists (id, owner_id, name, description, public, created_ms, updated_ms) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(p.id, p.owner_id, p.name, p.description, p.is_public, now, now)
                .exec();
            tx.publish(kPlaylistCreated, {{"playlist_id", p.id}, {"owner_id", p.owner_id}, {"name", p.name},
                                          {"public", p.is_public}});
        });
        return Response::json(201, to_json(p));
    }

    Reply list_mine(const Request& req)
    {
        auto paging = http::read_page(req);
        if (!paging) {
            return paging.error();
        }
        const auto& [limit, cursor] = *paging;
        auto after_cursor = core::page_before(cursor, secret);
        if (!after_cursor) {
            return after_cursor.error();
        }
        const std::string before = *after_cursor;
        std::vector<Playlist> found;
        db.read([&](core::Conn& conn) {
            auto q = conn.query("SELECT id, owner_id, name, description, public, created_ms, updated_ms FROM "
                                "playlists_playlists WHERE owner_id = ? AND id < ? ORDER BY id DESC LIMIT ?");
            q.bind(req.user().user_id, before, limit + 1);
            while (q.step()) {
                found.push_back(read_playlist(q));
            }
        });
        boost::json::value next = nullptr;
        if (static_cast<int>(found.size()) > limit) {
            found.pop_back();
            next = core::encode_cursor({{"before", found.back().id}}, secret);
        }
        boost::json::array items;
        for (const auto& p : found) {
            items.push_back(to_json(p));
        }
        return Response::json(200, {{"playlists", std::move(items)}, {"next_cursor", next}});
    }

    Reply get(const Request& req)
    {
        std::optional<Playlist> p;
        db.read([&](core::Conn& conn) { p = find(conn, std::string(req.param("playlist_id"))); });
        auto seen = visible(req, p);
        if (!seen) {
            return seen.error();
        }
        return Response::json(200, to_json(*seen));
    }

    Reply update(const Request& req)
    {
        auto in = http::JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        auto name = in->string("name", false, 1, 100);
        auto description = in->string("description", false, 0, 2000);
        auto is_public = in->boolean("public", false);
        if (auto e = in->error()) {
            return *e;
        }
        const std::string id(req.param("playlist_id"));
        auto done = db.write([&](core::Tx& tx) -> core::Result<void> {
            auto p = owned(tx, req, find(tx, id), "playlist.update");
            if (!p) {
                return p.error();
            }
            tx.query("UPDATE playlists_playlists SET name = ?, description = ?, public = ?, updated_ms = ? WHERE id = ?")
                .bind(name.value_or(p->name), description.value_or(p->description), is_public.value_or(p->is_public),
                      core::clock::now_ms(), id)
                .exec();
            return {};
        });
        if (!done) {
            return done.error();
        }
        return reply_playlist(id, 200);
    }

    Reply remove(const Request& req)
    {
        const std::string id(req.param("playlist_id"));
        auto done = db.write([&](core::Tx& tx) -> core::Result<void> {
            auto p = owned(tx, req, find(tx, id), "playlist.delete");
            if (!p) {
                return p.error();
            }
            tx.query("DELETE FROM playlists_playlists WHERE id = ?").bind(id).exec();
            return {};
        });
        if (!done) {
            return done.error();
        }
        return Response::json(200, {{"playlist_id", id}, {"deleted", true}});
    }

    Reply add_track(const Request& req)
    {
        auto in = http::JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        auto beat_id = in->string("beat_id", true, 1, 64);
        if (auto e = in->error()) {
            return *e;
        }
        auto beat = beats.find(*beat_id);
        if (!beat || beat->status == "deleted") {
            return core::invalid_field("beat_id", "is not a beat in the store");
        }
        const std::string id(req.param("playlist_id"));
        auto done = db.write([&](core::Tx& tx) -> core::Result<void> {
            auto p = owned(tx, req, find(tx, id), "playlist.add_track");
            if (!p) {
                return p.error();
            }
            auto dup = tx.query("SELECT 1 FROM playlists_tracks WHERE playlist_id = ? AND beat_id = ?");
            dup.bind(id, *beat_id);
            if (dup.step()) {
                return core::conflict("already_in_playlist", "that beat is already in this playlist");
            }
            const auto now = core::clock::now_ms();
            tx.query("INSERT INTO playlists_tracks (playlist_id, beat_id, position, added_ms) VALUES (?, ?, "
                     "(SELECT COALESCE(MAX(position), 0) + 1 FROM playlists_tracks WHERE playlist_id = ?), ?)")
                .bind(id, *beat_id, id, now)
                .exec();
            tx.query("UPDATE playlists_playlists SET updated_ms = ? WHERE id = ?").bind(now, id).exec();
            return {};
        });
        if (!done) {
            return done.error();
        }
        return reply_playlist(id, 201);
    }

    Reply remove_track(const Request& req)
    {
        const std::string id(req.param("playlist_id"));
        const std::string beat_id(req.param("beat_id"));
        auto done = db.write([&](core::Tx& tx) -> core::Result<void> {
            auto p = owned(tx, req, find(tx, id), "playlist.remove_track");
            if (!p) {
                return p.error();
            }
            if (tx.query("DELETE FROM playlists_tracks WHERE playlist_id = ? AND beat_id = ?").bind(id, beat_id).exec() == 0) {
                return core::not_found("track");
            }
            tx.query("UPDATE playlists_playlists SET updated_ms = ? WHERE id = ?").bind(core::clock::now_ms(), id).exec();
            return {};
        });
        if (!done) {
            return done.error();
        }
        return reply_playlist(id, 200);
    }

    Reply reorder(const Request& req)
    {
        auto in = http::JsonInput::parse(req);
        if (!in) {
            return in.error();
        }
        const auto* ids = in->object().if_contains("beat_ids");
        std::vector<std::string> order;
        if (ids == nullptr || !ids->is_array()) {
            return core::invalid_field("beat_ids", "must be an array of beat ids");
        }
        for (const auto& v : ids->as_array()) {
            if (!v.is_string()) {
                return core::invalid_field("beat_ids", "must be an array of beat ids");
            }
            order.emplace_back(v.as_string());
        }
        const std::string id(req.param("playlist_id"));
        auto done = db.write([&](core::Tx& tx) -> core::Result<void> {
            auto p = owned(tx, req, find(tx, id), "playlist.reorder");
            if (!p) {
                return p.error();
            }
            std::set<std::string> current;
            auto q = tx.query("SELECT beat_id FROM playlists_tracks WHERE playlist_id = ?");
            q.bind(id);
            while (q.step()) {
                current.insert(q.text(0));
            }
            if (std::set<std::string>(order.begin(), order.end()) != current || order.size() != current.size()) {
                return core::invalid_field("beat_ids", "must list every track of the playlist exactly once");
            }
            for (std::size_t i = 0; i < order.size(); ++i) {
                tx.query("UPDATE playlists_tracks SET position = ? WHERE playlist_id = ? AND beat_id = ?")
                    .bind(static_cast<std::int64_t>(i + 1), id, order[i])
                    .exec();
            }
            tx.query("UPDATE playlists_playlists SET updated_ms = ? WHERE id = ?").bind(core::clock::now_ms(), id).exec();
            return {};
        });
        if (!done) {
            return done.error();
        }
        return reply_playlist(id, 200);
    }
};

namespace {

std::vector<std::string>
track_ids(core::Conn& conn, const std::string& playlist_id)
{
    std::vector<std::string> ids;
    auto q = conn.query("SELECT beat_id FROM playlists_tracks WHERE playlist_id = ? ORDER BY position");
    q.bind(playlist_id);
    while (q.step()) {
        ids.push_back(q.text(0));
    }
    return ids;
}

PlaylistInfo
info_of(const Playlist& p, std::vector<std::string> beat_ids)
{
    return {p.id, p.owner_id, p.name, p.description, p.is_public, p.created_ms, p.updated_ms, std::move(beat_ids)};
}

// The whole list in a new order: positions 1..n.
void
replace_tracks(core::Tx& tx, const std::string& playlist_id, const std::vector<std::string>& beat_ids, std::int64_t now)
{
    tx.query("DELETE FROM playlists_tracks WHERE playlist_id = ?").bind(playlist_id).exec();
    for (std::size_t i = 0; i < beat_ids.size(); ++i) {
        tx.query("INSERT INTO playlists_tracks (playlist_id, beat_id, position, added_ms) VALUES (?, ?, ?, ?)")
            .bind(playlist_id, beat_ids[i], static_cast<std::int64_t>(i + 1), now)
            .exec();
    }
}

}  // namespace

std::vector<PlaylistInfo>
PlaylistsModule::owned_by(const std::string& user_id) const
{
    std::vector<PlaylistInfo> out;
    impl_->db.read([&](core::Conn& conn) {
        std::vector<Playlist> found;
        auto q = conn.query("SELECT id, owner_id, name, description, public, created_ms, updated_ms FROM "
                            "playlists_playlists WHERE owner_id = ? ORDER BY id DESC");
        q.bind(user_id);
        while (q.step()) {
            found.push_back(read_playlist(q));
        }
        for (const auto& p : found) {
            out.push_back(info_of(p, track_ids(conn, p.id)));
        }
    });
    return out;
}

core::Result<PlaylistInfo>
PlaylistsModule::get(const std::string& viewer_id, const std::string& playlist_id) const
{
    std::optional<PlaylistInfo> out;
    core::Result<Playlist> seen = core::not_found("playlist");
    impl_->db.read([&](core::Conn& conn) {
        seen = Impl::visible_to(viewer_id, impl_->find(conn, playlist_id));
        if (seen) {
            out = info_of(*seen, track_ids(conn, playlist_id));
        }
    });
    if (!seen) {
        return seen.error();
    }
    return *out;
}

// Beats a list may name: any that is in the catalogue and not deleted.
static core::Result<void>
check_beats(beats::BeatsModule& beats, const std::vector<std::string>& beat_ids)
{
    std::set<std::string> unique(beat_ids.begin(), beat_ids.end());
    if (unique.size() != beat_ids.size()) {
        return core::invalid_field("beat_ids", "names a beat twice");
    }
    for (const auto& id : beat_ids) {
        auto beat = beats.find(id);
        if (!beat || beat->status == "deleted") {
            return core::invalid_field("beat_ids", "'" + id + "' is not a beat in the store");
        }
    }
    return {};
}

core::Result<PlaylistInfo>
PlaylistsModule::create(const std::string& owner_id, const std::string& name, const std::vector<std::string>& beat_ids)
{
    if (name.empty() || name.size() > 100) {
        return core::invalid_field("name", "must be 1 to 100 characters");
    }
    if (auto ok = check_beats(impl_->beats, beat_ids); !ok) {
        return ok.error();
    }
    const auto now = core::clock::now_ms();
    Playlist p{core::new_id(), owner_id, name, "", false, now, now};
    impl_->db.write([&](core::Tx& tx) {
        tx.query("INSERT INTO playlists_playlists (id, owner_id, name, description, public, created_ms, updated_ms) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(p.id, p.owner_id, p.name, p.description, p.is_public, now, now)
            .exec();
        replace_tracks(tx, p.id, beat_ids, now);
        tx.publish(kPlaylistCreated, {{"playlist_id", p.id}, {"owner_id", p.owner_id}, {"name", p.name},
                                      {"public", p.is_public}});
    });
    return info_of(p, beat_ids);
}

core::Result<PlaylistInfo>
PlaylistsModule::edit(const std::string& user_id, bool is_admin, const std::string& playlist_id,
                      const PlaylistEdit& edit)
{
    if (edit.name && (edit.name->empty() || edit.name->size() > 100)) {
        return core::invalid_field("name", "must be 1 to 100 characters");
    }
    if (edit.description && edit.description->size() > 2000) {
        return core::invalid_field("description", "must be at most 2000 characters");
    }
    if (edit.beat_ids) {
        if (auto ok = check_beats(impl_->beats, *edit.beat_ids); !ok) {
            return ok.error();
        }
    }
    auto done = impl_->db.write([&](core::Tx& tx) -> core::Result<void> {
        auto p = Impl::owned_by(tx, user_id, is_admin, impl_->find(tx, playlist_id), "playlist.update");
        if (!p) {
            return p.error();
        }
        const auto now = core::clock::now_ms();
        tx.query("UPDATE playlists_playlists SET name = ?, description = ?, public = ?, updated_ms = ? WHERE id = ?")
            .bind(edit.name.value_or(p->name), edit.description.value_or(p->description),
                  edit.is_public.value_or(p->is_public), now, playlist_id)
            .exec();
        if (edit.beat_ids) {
            replace_tracks(tx, playlist_id, *edit.beat_ids, now);
        }
        return {};
    });
    if (!done) {
        return done.error();
    }
    std::optional<PlaylistInfo> out;  // an admin may have changed a private one: no visibility rule here
    impl_->db.read([&](core::Conn& conn) {
        if (auto p = impl_->find(conn, playlist_id)) {
            out = info_of(*p, track_ids(conn, playlist_id));
        }
    });
    if (!out) {
        return core::not_found("playlist");
    }
    return *out;
}

core::Result<void>
PlaylistsModule::remove(const std::string& user_id, bool is_admin, const std::string& playlist_id)
{
    return impl_->db.write([&](core::Tx& tx) -> core::Result<void> {
        auto p = Impl::owned_by(tx, user_id, is_admin, impl_->find(tx, playlist_id), "playlist.delete");
        if (!p) {
            return p.error();
        }
        tx.query("DELETE FROM playlists_playlists WHERE id = ?").bind(playlist_id).exec();
        return {};
    });
}

PlaylistsModule::PlaylistsModule(core::Services& services, beats::BeatsModule& beats)
    : impl_(std::make_unique<Impl>(Impl{services.db, beats, services.secret}))
{
}

PlaylistsModule::~PlaylistsModule() = default;

void
PlaylistsModule::register_routes(http::Router& router)
{
    router.schema("Playlist", R"({"type": "object", "required": ["playlist_id", "owner_id", "name", "public", "tracks"],
        "properties": {"playlist_id": {"type": "string"}, "owner_id": {"type": "string"}, "name": {"type": "string"},
        "description": {"type": "string"}, "public": {"type": "boolean"},
        "tracks": {"type": "array", "items": {"type": "object", "properties": {"beat_id": {"type": "string"},
            "title": {"type": "string"}, "artist": {"type": "string"}, "available": {"type": "boolean"},
            "position": {"type": "integer"}, "added_at": {"type": "string", "format": "date-time"}}}},
        "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}})");
    router.schema("PlaylistInput", R"({"type": "object", "properties": {"name": {"type": "string", "maxLength": 100},
        "description": {"type": "string"}, "public": {"type": "boolean"}}})");
    router.schema("PlaylistList", R"({"type": "object", "required": ["playlists", "next_cursor"], "properties": {
        "playlists": {"type": "array", "items": {"$ref": "#/components/schemas/Playlist"}},
        "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("PlaylistTrackInput", R"({"type": "object", "required": ["beat_id"],
        "properties": {"beat_id": {"type": "string"}}})");
    router.schema("PlaylistOrder", R"({"type": "object", "required": ["beat_ids"],
        "properties": {"beat_ids": {"type": "array", "items": {"type": "string"}}}})");
    router.schema("PlaylistDeleted", R"({"type": "object", "properties": {"playlist_id": {"type": "string"},
        "deleted": {"const": true}}})");

    Impl& m = *impl_;
    const std::string one = "/api/playlists/{playlist_id}";
    router.add({.method = "POST", .path = "/api/playlists", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Create a playlist", .tag = "playlists", .request = "PlaylistInput",
                        .responses = {{201, "Playlist"}}},
                .handler = [&m](const Request& req) { return m.create(req); }});
    router.add({.method = "GET", .path = "/api/playlists", .auth = Auth::kRequired,
                .doc = {.summary = "My playlists", .tag = "playlists", .responses = {{200, "PlaylistList"}},
                        .query = {"limit", "cursor"}},
                .handler = [&m](const Request& req) { return m.list_mine(req); }});
    router.add({.method = "GET", .path = one,
                .doc = {.summary = "A playlist (public, or mine)", .tag = "playlists",
                        .responses = {{200, "Playlist"}, {404, "Error"}}},
                .handler = [&m](const Request& req) { return m.get(req); }});
    router.add({.method = "PUT", .path = one, .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Rename, describe, publish or hide my playlist", .tag = "playlists",
                        .request = "PlaylistInput", .responses = {{200, "Playlist"}}},
                .handler = [&m](const Request& req) { return m.update(req); }});
    router.add({.method = "DELETE", .path = one, .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Delete my playlist", .tag = "playlists", .responses = {{200, "PlaylistDeleted"}}},
                .handler = [&m](const Request& req) { return m.remove(req); }});
    router.add({.method = "POST", .path = one + "/tracks", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Add a beat to my playlist", .tag = "playlists", .request = "PlaylistTrackInput",
                        .responses = {{201, "Playlist"}, {409, "Error"}}},
                .handler = [&m](const Request& req) { return m.add_track(req); }});
    router.add({.method = "PUT", .path = one + "/tracks", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Reorder my playlist", .tag = "playlists", .request = "PlaylistOrder",
                        .responses = {{200, "Playlist"}, {422, "Error"}}},
                .handler = [&m](const Request& req) { return m.reorder(req); }});
    router.add({.method = "DELETE", .path = one + "/tracks/{beat_id}", .auth = Auth::kRequired, .exec = Exec::kBlocking,
                .doc = {.summary = "Remove a beat from my playlist", .tag = "playlists", .responses = {{200, "Playlist"}}},
                .handler = [&m](const Request& req) { return m.remove_track(req); }});
}

}  // namespace bb::playlists
