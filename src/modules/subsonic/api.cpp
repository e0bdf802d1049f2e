#include "modules/subsonic/api.hpp"

#include "core/clock.hpp"
#include "modules/beats/beats.hpp"
#include "modules/users/users.hpp"

#include <unordered_map>

namespace bb::subsonic {
namespace {

constexpr int kPreviewKbps = 128;
constexpr int kFullKbps = 320;

std::int64_t
seconds(std::int64_t ms)
{
    return (ms + 500) / 1000;
}

std::optional<double>
average(std::int64_t sum, std::int64_t count)
{
    if (count <= 0) {
        return std::nullopt;
    }
    return std::clamp(static_cast<double>(sum) / static_cast<double>(count), 1.0, 5.0);
}

using Handler = Outcome (Api::*)(Call&);

const std::unordered_map<std::string_view, Handler>&
handlers()
{
    static const std::unordered_map<std::string_view, Handler> table = {
        {"ping", &Api::ping},
        {"getLicense", &Api::get_license},
        {"getOpenSubsonicExtensions", &Api::get_extensions},
        {"getMusicFolders", &Api::get_music_folders},
        {"getUser", &Api::get_user},
        {"getIndexes", &Api::get_indexes},
        {"getMusicDirectory", &Api::get_music_directory},
        {"getArtists", &Api::get_artists},
        {"getArtist", &Api::get_artist},
        {"getAlbum", &Api::get_album},
        {"getSong", &Api::get_song},
        {"getGenres", &Api::get_genres},
        {"getAlbumList2", &Api::get_album_list2},
        {"getRandomSongs", &Api::get_random_songs},
        {"getSongsByGenre", &Api::get_songs_by_genre},
        {"search3", &Api::search3},
        {"stream", &Api::stream},
        {"download", &Api::download},
        {"getCoverArt", &Api::get_cover_art},
        {"getPlaylists", &Api::get_playlists},
        {"getPlaylist", &Api::get_playlist},
        {"createPlaylist", &Api::create_playlist},
        {"updatePlaylist", &Api::update_playlist},
        {"deletePlaylist", &Api::delete_playlist},
        {"star", &Api::star},
        {"unstar", &Api::unstar},
        {"getStarred2", &Api::get_starred2},
        {"scrobble", &Api::scrobble},
        {"getNowPlaying", &Api::get_now_playing},
    };
    return table;
}

}  // namespace

Api::Api(users::UsersModule& users, beats::BeatsModule& beats, playlists::PlaylistsModule& playlists, Stars& stars)
    : users(users), beats(beats), playlists(playlists), stars(stars), catalog(beats, users)
{
}

Outcome
Api::handle(std::string_view method, Call& call)
{
    auto it = handlers().find(method);
    if (it == handlers().end()) {
        return Fault{0, "Unknown method: " + std::string(method)};
    }
    return (this->*(it->second))(call);
}

bool
Call::hears_full(const beats::Track& track)
{
    if (track.producer_id == caller.user_id) {
        return true;
    }
    if (!bought_) {
        auto ids = api_.users.purchased_beats(caller.user_id);
        bought_.emplace(ids.begin(), ids.end());
    }
    return bought_->count(track.beat_id) > 0;
}

std::optional<std::int64_t>
Call::starred(const std::string& item_id)
{
    if (!stars_) {
        stars_.emplace();
        for (const auto& s : api_.stars.of(caller.user_id)) {
            (*stars_)[s.item_id] = s.created_ms;
        }
    }
    auto it = stars_->find(item_id);
    return it == stars_->end() ? std::nullopt : std::optional(it->second);
}

std::string
Call::producer_name(const std::string& producer_id)
{
    auto [it, fresh] = names_.try_emplace(producer_id);
    if (fresh) {
        it->second = api_.catalog.producer_name(producer_id);
    }
    return it->second;
}

Element
Call::song(const char* tag, const beats::Track& t)
{
    const AlbumKey key{t.producer_id, year_of(t.created_ms)};
    Element e(tag);
    e.set("id", t.beat_id)
        .set("parent", album_id(key))
        .set("isDir", false)
        .set("title", t.title)
        .set("album", producer_name(t.producer_id) + " " + std::to_string(key.year))
        .set("artist", t.artist)
        .set("year", key.year)
        .set_if("genre", t.genre)
        .set("coverArt", t.beat_id)
        .set("contentType", "audio/mpeg")
        .set("suffix", "mp3")
        .set("duration", seconds(t.duration_ms))
        .set("bitRate", hears_full(t) ? kFullKbps : kPreviewKbps)
        .set_if("averageRating", average(t.rating_sum, t.rating_count))
        .set("playCount", t.plays)
        .set("created", core::clock::rfc3339(t.created_ms));
    if (auto when = starred(t.beat_id)) {
        e.set("starred", core::clock::rfc3339(*when));
    }
    e.set("albumId", album_id(key)).set("artistId", artist_id(t.producer_id)).set("type", "music");
    return e;
}

Element
Call::album(const char* tag, const Album& a)
{
    Element e(tag);
    e.set("id", a.id)
        .set("name", a.name)
        .set("artist", a.artist)
        .set("artistId", artist_id(a.key.producer_id))
        .set("coverArt", a.id)
        .set("songCount", a.songs)
        .set("duration", seconds(a.duration_ms))
        .set("playCount", a.plays)
        .set("created", core::clock::rfc3339(a.created_ms));
    if (auto when = starred(a.id)) {
        e.set("starred", core::clock::rfc3339(*when));
    }
    e.set("year", a.key.year).set_if("genre", a.genre);
    return e;
}

Element
Call::album_dir(const Album& a)
{
    Element e("child");
    e.set("id", a.id)
        .set("parent", artist_id(a.key.producer_id))
        .set("isDir", true)
        .set("title", a.name)
        .set("album", a.name)
        .set("artist", a.artist)
        .set("year", a.key.year)
        .set_if("genre", a.genre)
        .set("coverArt", a.id)
        .set("duration", seconds(a.duration_ms))
        .set_if("averageRating", average(a.rating_sum, a.rating_count))
        .set("playCount", a.plays)
        .set("created", core::clock::rfc3339(a.created_ms));
    if (auto when = starred(a.id)) {
        e.set("starred", core::clock::rfc3339(*when));
    }
    e.set("albumId", a.id).set("artistId", artist_id(a.key.producer_id));
    return e;
}

Element
Call::artist(const char* tag, const Artist& a)
{
    Element e(tag);
    e.set("id", a.id).set("name", a.name).set("coverArt", a.id).set("albumCount", a.albums);
    if (auto when = starred(a.id)) {
        e.set("starred", core::clock::rfc3339(*when));
    }
    return e;
}

Element
Call::index_artist(const Artist& a)
{
    Element e("artist");
    e.set("id", a.id).set("name", a.name);
    if (auto when = starred(a.id)) {
        e.set("starred", core::clock::rfc3339(*when));
    }
    return e;
}

}  // namespace bb::subsonic
