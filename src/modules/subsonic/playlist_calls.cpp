// Playlists: the caller's own (through the playlists module, with its rules) and one that is
// made, not stored: "purchases", the beats the caller bought.
#include "modules/subsonic/api.hpp"

#include "core/clock.hpp"
#include "modules/beats/beats.hpp"
#include "modules/playlists/playlists.hpp"
#include "modules/users/users.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace bb::subsonic {
namespace {

constexpr const char* kPurchases = "purchases";

Fault
fault_of(const core::Error& e)
{
    switch (e.code) {
    case core::Code::kNotFound: return not_found("Playlist");
    case core::Code::kForbidden: return not_allowed(e.message);
    default: {
        std::string message = e.message;
        for (const auto& [field, problem] : e.details) {
            if (field == "fields" && problem.is_object()) {
                for (const auto& [name, text] : problem.as_object()) {
                    message = std::string(name) + " " + std::string(text.as_string());
                }
            }
        }
        return Fault{0, message};
    }
    }
}

// A playlist element (Playlist, or PlaylistWithSongs with its entries).
Element
playlist_element(Api& api, Call& call, const playlists::PlaylistInfo& p, bool with_songs)
{
    auto songs = api.beats.tracks_by_id(p.beat_ids, call.caller.user_id);
    std::int64_t duration_ms = 0;
    for (const auto& s : songs) {
        duration_ms += s.duration_ms;
    }
    Element e("playlist");
    e.set("id", p.playlist_id).set("name", p.name);
    if (!p.description.empty()) {
        e.set("comment", p.description);
    }
    e.set("owner", call.producer_name(p.owner_id))
        .set("public", p.is_public)
        .set("songCount", static_cast<std::int64_t>(songs.size()))
        .set("duration", (duration_ms + 500) / 1000)
        .set("created", core::clock::rfc3339(p.created_ms))
        .set("changed", core::clock::rfc3339(p.updated_ms));
    if (!songs.empty()) {
        e.set("coverArt", songs.front().beat_id);
    }
    if (with_songs) {
        e.list("entry");
        for (const auto& s : songs) {
            e.item(call.song("entry", s));
        }
    }
    return e;
}

playlists::PlaylistInfo
purchases_of(Api& api, const Caller& caller)
{
    playlists::PlaylistInfo p;
    p.playlist_id = kPurchases;
    p.owner_id = caller.user_id;
    p.name = "My purchases";
    p.description = "The beats you bought";
    p.beat_ids = api.users.purchased_beats(caller.user_id);
    p.created_ms = p.updated_ms = core::clock::now_ms();
    return p;
}

}  // namespace

Outcome
Api::get_playlists(Call& call)
{
    std::string owner = call.caller.user_id;
    if (auto name = call.params.get("username"); name && !name->empty()) {
        auto user = users.find(*name);
        if (!user) {
            return not_found("User");
        }
        if (user->user_id != call.caller.user_id && !call.caller.admin()) {
            return not_allowed("You may only list your own playlists");
        }
        owner = user->user_id;
    }
    Element list("playlists");
    list.list("playlist");
    if (owner == call.caller.user_id) {
        list.item(playlist_element(*this, call, purchases_of(*this, call.caller), false));
    }
    for (const auto& p : playlists.owned_by(owner)) {
        list.item(playlist_element(*this, call, p, false));
    }
    return Answer::of(std::move(list));
}

Outcome
Api::get_playlist(Call& call)
{
    auto id = required(call.params, "id");
    if (!id) {
        return id.error();
    }
    if (*id == kPurchases) {
        return Answer::of(playlist_element(*this, call, purchases_of(*this, call.caller), true));
    }
    auto p = playlists.get(call.caller.user_id, *id);
    if (!p) {
        return fault_of(p.error());
    }
    return Answer::of(playlist_element(*this, call, *p, true));
}

Outcome
Api::create_playlist(Call& call)
{
    const auto id = call.params.get("playlistId");
    const auto name = call.params.get("name");
    std::vector<std::string> songs;
    for (auto& song : call.params.all("songId")) {
        if (std::find(songs.begin(), songs.end(), song) == songs.end()) {
            songs.push_back(std::move(song));
        }
    }
    core::Result<playlists::PlaylistInfo> made = core::internal();
    if (id && !id->empty()) {
        if (*id == kPurchases) {
            return not_allowed("The purchases playlist is made from what you bought");
        }
        // With an id, the playlist's songs are replaced (and it may be renamed).
        made = playlists.edit(call.caller.user_id, call.caller.admin(), *id,
                              {.name = name && !name->empty() ? name : std::nullopt, .beat_ids = songs});
    } else if (name && !name->empty()) {
        made = playlists.create(call.caller.user_id, *name, songs);
    } else {
        return missing("name");
    }
    if (!made) {
        return fault_of(made.error());
    }
    return Answer::of(playlist_element(*this, call, *made, true));
}

Outcome
Api::update_playlist(Call& call)
{
    auto id = required(call.params, "playlistId");
    auto is_public = boolean(call.params, "public");
    if (!id) {
        return id.error();
    }
    if (!is_public) {
        return is_public.error();
    }
    if (*id == kPurchases) {
        return not_allowed("The purchases playlist is made from what you bought");
    }
    auto current = playlists.get(call.caller.user_id, *id);
    if (!current) {
        return fault_of(current.error());
    }
    playlists::PlaylistEdit edit;
    edit.name = call.params.get("name");
    edit.description = call.params.get("comment");
    edit.is_public = *is_public;
    const auto removals = call.params.all("songIndexToRemove");
    const auto additions = call.params.all("songIdToAdd");
    if (!removals.empty() || !additions.empty()) {
        std::set<std::size_t> drop;
        for (const auto& text : removals) {
            std::size_t index = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
            if (ec != std::errc() || end != text.data() + text.size() || index >= current->beat_ids.size()) {
                return invalid("songIndexToRemove", "must be the index of a song in the playlist");
            }
            drop.insert(index);
        }
        std::vector<std::string> next;
        for (std::size_t i = 0; i < current->beat_ids.size(); ++i) {
            if (drop.count(i) == 0) {
                next.push_back(current->beat_ids[i]);
            }
        }
        for (const auto& song : additions) {
            if (std::find(next.begin(), next.end(), song) == next.end()) {
                next.push_back(song);
            }
        }
        edit.beat_ids = std::move(next);
    }
    auto done = playlists.edit(call.caller.user_id, call.caller.admin(), *id, edit);
    if (!done) {
        return fault_of(done.error());
    }
    return Answer::ok();
}

Outcome
Api::delete_playlist(Call& call)
{
    auto id = required(call.params, "id");
    if (!id) {
        return id.error();
    }
    if (*id == kPurchases) {
        return not_allowed("The purchases playlist is made from what you bought");
    }
    if (auto done = playlists.remove(call.caller.user_id, call.caller.admin(), *id); !done) {
        return fault_of(done.error());
    }
    return Answer::ok();
}

}  // namespace bb::subsonic
