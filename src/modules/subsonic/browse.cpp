// Browsing by folders (getIndexes, getMusicDirectory) and by tags (getArtists, getArtist,
// getAlbum, getSong), and getGenres.
#include "modules/subsonic/api.hpp"

#include "core/clock.hpp"
#include "modules/beats/beats.hpp"

#include <algorithm>
#include <cctype>

namespace bb::subsonic {
namespace {

std::string
index_name(const std::string& name)
{
    const unsigned char first = name.empty() ? '#' : static_cast<unsigned char>(name.front());
    return std::isalpha(first) ? std::string(1, static_cast<char>(std::toupper(first))) : "#";
}

// Artists grouped by their first letter, as both index answers want them.
template <class MakeArtist>
void
add_indexes(Element& parent, const std::vector<Artist>& artists, MakeArtist make)
{
    parent.list("index");
    std::optional<Element> current;
    std::string current_name;
    for (const auto& a : artists) {
        const std::string name = index_name(a.name);
        if (!current || current_name != name) {
            current_name = name;
            if (current) {
                parent.item(std::move(*current));
            }
            current.emplace("index");
            current->set("name", name).list("artist");
        }
        current->item(make(a));
    }
    if (current) {
        parent.item(std::move(*current));
    }
}

// Index letters sort "#" last; artists() is sorted by name, which puts digits first.
std::vector<Artist>
in_index_order(std::vector<Artist> artists)
{
    std::stable_sort(artists.begin(), artists.end(), [](const Artist& a, const Artist& b) {
        return (index_name(a.name) == "#") < (index_name(b.name) == "#");
    });
    return artists;
}

Checked<bool>
check_folder(const Params& params)
{
    auto folder = optional_integer(params, "musicFolderId", INT32_MIN, INT32_MAX);
    if (!folder) {
        return folder.error();
    }
    if (*folder && **folder != 1) {
        return not_found("Music folder");
    }
    return true;
}

}  // namespace

Outcome
Api::get_indexes(Call& call)
{
    if (auto ok = check_folder(call.params); !ok) {
        return ok.error();
    }
    auto since = integer(call.params, "ifModifiedSince", 0, 0, INT64_MAX);
    if (!since) {
        return since.error();
    }
    auto albums = catalog.albums();
    std::int64_t changed = 0;
    for (const auto& a : *albums) {
        changed = std::max(changed, a.changed_ms);
    }
    Element indexes("indexes");
    indexes.set("lastModified", changed).set("ignoredArticles", "");
    if (changed > *since) {
        add_indexes(indexes, in_index_order(catalog.artists()), [&](const Artist& a) { return call.index_artist(a); });
    }
    return Answer::of(std::move(indexes));
}

Outcome
Api::get_music_directory(Call& call)
{
    auto id = required(call.params, "id");
    if (!id) {
        return id.error();
    }
    Element dir("directory");
    dir.set("id", *id).list("child");
    if (auto producer = producer_of(*id)) {
        auto artist = catalog.artist(*producer);
        if (!artist) {
            return not_found("Directory");
        }
        dir.set("name", artist->name);
        if (auto when = call.starred(artist->id)) {
            dir.set("starred", core::clock::rfc3339(*when));
        }
        for (const auto& album : *catalog.albums()) {
            if (album.key.producer_id == *producer) {
                dir.item(call.album_dir(album));
            }
        }
        return Answer::of(std::move(dir));
    }
    auto key = album_key(*id);
    auto album = key ? catalog.album(*key) : std::nullopt;
    if (!album) {
        return not_found("Directory");
    }
    dir.set("parent", artist_id(key->producer_id)).set("name", album->name);
    if (auto when = call.starred(album->id)) {
        dir.set("starred", core::clock::rfc3339(*when));
    }
    dir.set("playCount", album->plays);
    for (const auto& song : catalog.songs(*key)) {
        dir.item(call.song("child", song));
    }
    return Answer::of(std::move(dir));
}

Outcome
Api::get_artists(Call& call)
{
    if (auto ok = check_folder(call.params); !ok) {
        return ok.error();
    }
    Element artists("artists");
    artists.set("ignoredArticles", "");
    add_indexes(artists, in_index_order(catalog.artists()), [&](const Artist& a) { return call.artist("artist", a); });
    return Answer::of(std::move(artists));
}

Outcome
Api::get_artist(Call& call)
{
    auto id = required(call.params, "id");
    if (!id) {
        return id.error();
    }
    auto producer = producer_of(*id);
    auto artist = producer ? catalog.artist(*producer) : std::nullopt;
    if (!artist) {
        return not_found("Artist");
    }
    Element e = call.artist("artist", *artist);
    e.list("album");
    for (const auto& album : *catalog.albums()) {
        if (album.key.producer_id == *producer) {
            e.item(call.album("album", album));
        }
    }
    return Answer::of(std::move(e));
}

Outcome
Api::get_album(Call& call)
{
    auto id = required(call.params, "id");
    if (!id) {
        return id.error();
    }
    auto key = album_key(*id);
    auto album = key ? catalog.album(*key) : std::nullopt;
    if (!album) {
        return not_found("Album");
    }
    Element e = call.album("album", *album);
    e.list("song");
    for (const auto& song : catalog.songs(*key)) {
        e.item(call.song("song", song));
    }
    return Answer::of(std::move(e));
}

Outcome
Api::get_song(Call& call)
{
    auto id = required(call.params, "id");
    if (!id) {
        return id.error();
    }
    auto found = beats.tracks_by_id({*id}, call.caller.user_id);
    if (found.empty()) {
        return not_found("Song");
    }
    return Answer::of(call.song("song", found.front()));
}

Outcome
Api::get_genres(Call&)
{
    auto albums = catalog.albums();
    auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        return s;
    };
    Element genres("genres");
    genres.list("genre");
    for (const auto& g : beats.genres()) {
        const auto albums_of_genre = std::count_if(albums->begin(), albums->end(), [&](const Album& a) {
            return a.genre && lower(*a.genre) == lower(g.genre);
        });
        genres.item(Element("genre").set("songCount", g.beats).set("albumCount", std::int64_t{albums_of_genre}).value(g.genre));
    }
    return Answer::of(std::move(genres));
}

}  // namespace bb::subsonic
