// star, unstar, getStarred2, scrobble (into the beats module's playback log, so producers' play
// counts and analytics see it) and getNowPlaying.
#include "modules/subsonic/api.hpp"

#include "core/clock.hpp"
#include "modules/beats/beats.hpp"
#include "modules/users/users.hpp"

namespace bb::subsonic {
namespace {

constexpr std::int64_t kNowPlayingMs = 10 * 60 * 1000;

// The kind of a Subsonic id, when it names something that exists.
std::optional<std::string>
kind_of(Api& api, Call& call, const std::string& id)
{
    if (auto producer = producer_of(id)) {
        return api.catalog.artist(*producer) ? std::optional<std::string>("artist") : std::nullopt;
    }
    if (auto key = album_key(id)) {
        return api.catalog.album(*key) ? std::optional<std::string>("album") : std::nullopt;
    }
    return api.beats.tracks_by_id({id}, call.caller.user_id).empty() ? std::nullopt : std::optional<std::string>("song");
}

std::vector<std::string>
ids_of(const Params& params)
{
    std::vector<std::string> ids;
    for (const char* name : {"id", "albumId", "artistId"}) {
        for (auto& v : params.all(name)) {
            ids.push_back(std::move(v));
        }
    }
    return ids;
}

}  // namespace

Outcome
Api::star(Call& call)
{
    const auto ids = ids_of(call.params);
    if (ids.empty()) {
        return missing("id");
    }
    std::vector<Starred> items;
    const auto now = core::clock::now_ms();
    for (const auto& id : ids) {
        auto kind = kind_of(*this, call, id);
        if (!kind) {
            return not_found("Item " + id);
        }
        items.push_back({id, *kind, now});
    }
    stars.star(call.caller.user_id, items);
    return Answer::ok();
}

Outcome
Api::unstar(Call& call)
{
    const auto ids = ids_of(call.params);
    if (ids.empty()) {
        return missing("id");
    }
    stars.unstar(call.caller.user_id, ids);
    return Answer::ok();
}

Outcome
Api::get_starred2(Call& call)
{
    Element starred("starred2");
    starred.list("artist").list("album").list("song");
    std::vector<Element> artists;
    std::vector<Element> albums;
    std::vector<std::string> song_ids;
    for (const auto& s : stars.of(call.caller.user_id)) {
        if (s.kind == "artist") {
            if (auto producer = producer_of(s.item_id); producer) {
                if (auto a = catalog.artist(*producer)) {
                    artists.push_back(call.artist("artist", *a));
                }
            }
        } else if (s.kind == "album") {
            if (auto key = album_key(s.item_id); key) {
                if (auto a = catalog.album(*key)) {
                    albums.push_back(call.album("album", *a));
                }
            }
        } else {
            song_ids.push_back(s.item_id);
        }
    }
    for (auto& e : artists) {
        starred.item(std::move(e));
    }
    for (auto& e : albums) {
        starred.item(std::move(e));
    }
    for (const auto& t : beats.tracks_by_id(song_ids, call.caller.user_id)) {
        starred.item(call.song("song", t));
    }
    return Answer::of(std::move(starred));
}

Outcome
Api::scrobble(Call& call)
{
    const auto ids = call.params.all("id");
    auto submission = boolean(call.params, "submission");
    if (ids.empty()) {
        return missing("id");
    }
    if (!submission) {
        return submission.error();
    }
    for (const auto& id : ids) {
        if (beats.tracks_by_id({id}, call.caller.user_id).empty()) {
            return not_found("Song");
        }
    }
    for (const auto& id : ids) {
        if (submission->value_or(true)) {
            if (auto logged = beats.log_play(call.caller.user_id, id); !logged) {
                return not_found("Song");
            }
        } else {
            stars.now_playing(call.caller.user_id, call.caller.player, id);
        }
    }
    return Answer::ok();
}

Outcome
Api::get_now_playing(Call& call)
{
    // What others listen to is theirs: a user sees their own players (an admin everyone's).
    const auto now = core::clock::now_ms();
    Element list("nowPlaying");
    list.list("entry");
    int player_id = 0;
    for (const auto& p : stars.playing_since(now - kNowPlayingMs)) {
        ++player_id;
        if (p.user_id != call.caller.user_id && !call.caller.admin()) {
            continue;
        }
        auto found = beats.tracks_by_id({p.beat_id}, p.user_id);
        if (found.empty()) {
            continue;
        }
        auto user = users.find(p.user_id);
        Element entry = call.song("entry", found.front());
        entry.set("username", user ? user->username : "")
            .set("minutesAgo", (now - p.updated_ms) / 60000)
            .set("playerId", player_id)
            .set("playerName", p.player);
        list.item(std::move(entry));
    }
    return Answer::of(std::move(list));
}

}  // namespace bb::subsonic
