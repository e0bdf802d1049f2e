// Lists: getAlbumList2, getRandomSongs, getSongsByGenre and search3.
#include "modules/subsonic/api.hpp"

#include "modules/beats/beats.hpp"

#include <algorithm>
#include <array>
#include <random>

namespace bb::subsonic {
namespace {

constexpr std::int64_t kMaxList = 500;

std::string
lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

template <class T>
std::vector<T>
slice(const std::vector<T>& all, std::int64_t offset, std::int64_t size)
{
    std::vector<T> out;
    for (auto i = offset; i < static_cast<std::int64_t>(all.size()) && i < offset + size; ++i) {
        out.push_back(all[static_cast<std::size_t>(i)]);
    }
    return out;
}

// fromYear/toYear as the specification reads them: a range either way round.
Checked<std::pair<int, int>>
years(const Params& params, bool needed)
{
    auto from = optional_integer(params, "fromYear", 0, 9999);
    auto to = optional_integer(params, "toYear", 0, 9999);
    if (!from) {
        return from.error();
    }
    if (!to) {
        return to.error();
    }
    if (needed && !*from) {
        return missing("fromYear");
    }
    if (needed && !*to) {
        return missing("toYear");
    }
    return std::pair<int, int>{static_cast<int>(from->value_or(0)), static_cast<int>(to->value_or(9999))};
}

}  // namespace

Outcome
Api::get_album_list2(Call& call)
{
    auto type = required(call.params, "type");
    auto size = integer(call.params, "size", 10, 1, kMaxList);
    auto offset = integer(call.params, "offset", 0, 0, INT32_MAX);
    if (!type) {
        return type.error();
    }
    if (!size) {
        return size.error();
    }
    if (!offset) {
        return offset.error();
    }
    std::vector<Album> albums = *catalog.albums();
    auto by = [&](auto less) { std::stable_sort(albums.begin(), albums.end(), less); };
    if (*type == "newest") {
        by([](const Album& a, const Album& b) { return a.changed_ms > b.changed_ms; });
    } else if (*type == "random") {
        std::shuffle(albums.begin(), albums.end(), std::mt19937(std::random_device{}()));
    } else if (*type == "alphabeticalByName") {
        by([](const Album& a, const Album& b) { return lower(a.name) < lower(b.name); });
    } else if (*type == "alphabeticalByArtist") {
        by([](const Album& a, const Album& b) {
            return std::pair(lower(a.artist), a.key.year) < std::pair(lower(b.artist), b.key.year);
        });
    } else if (*type == "frequent") {
        by([](const Album& a, const Album& b) { return a.plays > b.plays; });
    } else if (*type == "highest") {
        std::erase_if(albums, [](const Album& a) { return a.rating_count == 0; });
        by([](const Album& a, const Album& b) { return a.rating_sum * b.rating_count > b.rating_sum * a.rating_count; });
    } else if (*type == "starred") {
        std::erase_if(albums, [&](const Album& a) { return !call.starred(a.id); });
    } else if (*type == "recent") {
        std::vector<Album> played;
        for (const auto& t : beats.tracks_by_id(beats.recently_played(call.caller.user_id, 200), call.caller.user_id)) {
            const AlbumKey key{t.producer_id, year_of(t.created_ms)};
            auto it = std::find_if(albums.begin(), albums.end(), [&](const Album& a) { return a.key == key; });
            if (it != albums.end() && std::none_of(played.begin(), played.end(), [&](const Album& a) { return a.key == key; })) {
                played.push_back(*it);
            }
        }
        albums = std::move(played);
    } else if (*type == "byYear") {
        auto range = years(call.params, true);
        if (!range) {
            return range.error();
        }
        const auto [from, to] = *range;
        std::erase_if(albums, [&](const Album& a) { return a.key.year < std::min(from, to) || a.key.year > std::max(from, to); });
        by([&](const Album& a, const Album& b) { return from <= to ? a.key.year < b.key.year : a.key.year > b.key.year; });
    } else if (*type == "byGenre") {
        auto genre = required(call.params, "genre");
        if (!genre) {
            return genre.error();
        }
        std::erase_if(albums, [&](const Album& a) { return !a.genre || lower(*a.genre) != lower(*genre); });
    } else {
        return invalid("type", "must be random, newest, highest, frequent, recent, alphabeticalByName, "
                               "alphabeticalByArtist, starred, byYear or byGenre");
    }
    Element list("albumList2");
    list.list("album");
    for (const auto& album : slice(albums, *offset, *size)) {
        list.item(call.album("album", album));
    }
    return Answer::of(std::move(list));
}

Outcome
Api::get_random_songs(Call& call)
{
    auto size = integer(call.params, "size", 10, 1, kMaxList);
    auto range = years(call.params, false);
    if (!size) {
        return size.error();
    }
    if (!range) {
        return range.error();
    }
    beats::TrackQuery q;
    q.order = beats::TrackQuery::Order::kRandom;
    q.limit = static_cast<int>(*size);
    q.genre = call.params.get("genre");
    if (call.params.has("fromYear")) {
        q.created_from_ms = year_start_ms(std::min(range->first, range->second));
    }
    if (call.params.has("toYear")) {
        q.created_before_ms = year_start_ms(std::max(range->first, range->second) + 1);
    }
    Element songs("randomSongs");
    songs.list("song");
    for (const auto& t : beats.tracks(q)) {
        songs.item(call.song("song", t));
    }
    return Answer::of(std::move(songs));
}

Outcome
Api::get_songs_by_genre(Call& call)
{
    auto genre = required(call.params, "genre");
    auto count = integer(call.params, "count", 10, 1, kMaxList);
    auto offset = integer(call.params, "offset", 0, 0, INT32_MAX);
    if (!genre) {
        return genre.error();
    }
    if (!count) {
        return count.error();
    }
    if (!offset) {
        return offset.error();
    }
    beats::TrackQuery q;
    q.genre = *genre;
    q.limit = static_cast<int>(*count);
    q.offset = static_cast<int>(*offset);
    Element songs("songsByGenre");
    songs.list("song");
    for (const auto& t : beats.tracks(q)) {
        songs.item(call.song("song", t));
    }
    return Answer::of(std::move(songs));
}

Outcome
Api::search3(Call& call)
{
    auto query = call.params.get("query");
    if (!query) {
        return missing("query");
    }
    std::array<Checked<std::int64_t>, 6> paging = {
        integer(call.params, "artistCount", 20, 0, kMaxList), integer(call.params, "artistOffset", 0, 0, INT32_MAX),
        integer(call.params, "albumCount", 20, 0, kMaxList),  integer(call.params, "albumOffset", 0, 0, INT32_MAX),
        integer(call.params, "songCount", 20, 0, kMaxList),   integer(call.params, "songOffset", 0, 0, INT32_MAX)};
    for (const auto& p : paging) {
        if (!p) {
            return p.error();
        }
    }
    // Players list everything with an empty query (some send two quotes).
    std::string text = *query;
    if (text == "\"\"") {
        text.clear();
    }
    const std::string needle = lower(text);
    auto matches = [&](const std::string& name) { return needle.empty() || lower(name).find(needle) != std::string::npos; };

    Element result("searchResult3");
    result.list("artist").list("album").list("song");
    std::vector<Artist> artists;
    for (auto& a : catalog.artists()) {
        if (matches(a.name)) {
            artists.push_back(std::move(a));
        }
    }
    for (const auto& a : slice(artists, *paging[1], *paging[0])) {
        result.item(call.artist("artist", a));
    }
    std::vector<Album> albums;
    for (const auto& a : *catalog.albums()) {
        if (matches(a.name)) {
            albums.push_back(a);
        }
    }
    for (const auto& a : slice(albums, *paging[3], *paging[2])) {
        result.item(call.album("album", a));
    }
    beats::TrackQuery songs;
    if (!needle.empty()) {
        songs.text = text;
    } else {
        songs.order = beats::TrackQuery::Order::kId;
    }
    songs.limit = static_cast<int>(*paging[4]);
    songs.offset = static_cast<int>(*paging[5]);
    if (songs.limit > 0) {
        for (const auto& t : beats.tracks(songs)) {
            result.item(call.song("song", t));
        }
    }
    return Answer::of(std::move(result));
}

}  // namespace bb::subsonic
