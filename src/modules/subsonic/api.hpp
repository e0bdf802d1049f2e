#pragma once
// The Subsonic methods (Subsonic 1.16.1 and the OpenSubsonic extensions players ask for), each
// a handler of one authenticated call. Everything is read and changed through the other
// modules' public headers: beats (the catalogue and its audio), playlists, users.
#include "modules/subsonic/call.hpp"
#include "modules/subsonic/catalog.hpp"
#include "modules/subsonic/stars.hpp"

#include <map>
#include <set>
#include <string_view>

namespace bb::beats {
class BeatsModule;
}
namespace bb::playlists {
class PlaylistsModule;
}
namespace bb::users {
class UsersModule;
}

namespace bb::subsonic {

class Api;

// One call: its request, parameters and caller, plus what it learns of the caller on the way
// (purchases, stars, producers' names), read at most once.
class Call {
public:
    Call(Api& api, const http::Request& req, const Params& params, const Caller& caller)
        : req(req), params(params), caller(caller), api_(api)
    {
    }

    const http::Request& req;
    const Params& params;
    const Caller& caller;

    bool hears_full(const beats::Track& track);  // the producer or a buyer: the untagged track
    std::optional<std::int64_t> starred(const std::string& item_id);
    std::string producer_name(const std::string& producer_id);

    Element song(const char* tag, const beats::Track& track);  // Child
    Element album(const char* tag, const Album& album);        // AlbumID3
    Element album_dir(const Album& album);                     // Child with isDir
    Element artist(const char* tag, const Artist& artist);     // ArtistID3
    Element index_artist(const Artist& artist);                // Artist (folders)

private:
    Api& api_;
    std::optional<std::set<std::string>> bought_;
    std::optional<std::map<std::string, std::int64_t>> stars_;
    std::map<std::string, std::string> names_;
};

class Api {
public:
    Api(users::UsersModule& users, beats::BeatsModule& beats, playlists::PlaylistsModule& playlists, Stars& stars);

    // The method's name without ".view"; one this server does not have answers fault 0 naming it.
    Outcome handle(std::string_view method, Call& call);

    users::UsersModule& users;
    beats::BeatsModule& beats;
    playlists::PlaylistsModule& playlists;
    Stars& stars;
    Catalog catalog;

    // system.cpp
    Outcome ping(Call& call);
    Outcome get_license(Call& call);
    Outcome get_extensions(Call& call);
    Outcome get_music_folders(Call& call);
    Outcome get_user(Call& call);
    // browse.cpp
    Outcome get_indexes(Call& call);
    Outcome get_music_directory(Call& call);
    Outcome get_artists(Call& call);
    Outcome get_artist(Call& call);
    Outcome get_album(Call& call);
    Outcome get_song(Call& call);
    Outcome get_genres(Call& call);
    // lists.cpp
    Outcome get_album_list2(Call& call);
    Outcome get_random_songs(Call& call);
    Outcome get_songs_by_genre(Call& call);
    Outcome search3(Call& call);
    // media.cpp
    Outcome stream(Call& call);
    Outcome download(Call& call);
    Outcome get_cover_art(Call& call);
    // playlist_calls.cpp
    Outcome get_playlists(Call& call);
    Outcome get_playlist(Call& call);
    Outcome create_playlist(Call& call);
    Outcome update_playlist(Call& call);
    Outcome delete_playlist(Call& call);
    // annotation.cpp
    Outcome star(Call& call);
    Outcome unstar(Call& call);
    Outcome get_starred2(Call& call);
    Outcome scrobble(Call& call);
    Outcome get_now_playing(Call& call);
};

}  // namespace bb::subsonic
