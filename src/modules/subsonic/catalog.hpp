#pragma once
// How the store looks to a music player. Producers are artists ("ar-<user id>"). A producer's
// beats of one calendar year (UTC, by upload) are an album ("al-<user id>-<year>", named
// "<producer> <year>"), tracks numbered in upload order. Beats are songs under their own id.
// The album list is computed from the listed beats and kept for a few seconds, or until a beat
// enters or leaves the store.
#include "modules/beats/beats.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace bb::users {
class UsersModule;
}

namespace bb::subsonic {

struct AlbumKey {
    std::string producer_id;
    int year = 0;
    auto operator<=>(const AlbumKey&) const = default;
};

struct Album {
    AlbumKey key;
    std::string id;
    std::string name;
    std::string artist;  // the producer's username
    std::int64_t songs = 0;
    std::int64_t duration_ms = 0;
    std::int64_t plays = 0;
    std::int64_t created_ms = 0;  // its first beat's upload
    std::int64_t changed_ms = 0;  // its last beat's upload
    std::int64_t rating_sum = 0;
    std::int64_t rating_count = 0;
    std::optional<std::string> genre;  // its most common genre
};

struct Artist {
    std::string producer_id;
    std::string id;
    std::string name;
    std::int64_t albums = 0;
};

std::string artist_id(const std::string& producer_id);
std::string album_id(const AlbumKey& key);
std::optional<std::string> producer_of(const std::string& artist_id);
std::optional<AlbumKey> album_key(const std::string& album_id);
int year_of(std::int64_t unix_ms);
std::int64_t year_start_ms(int year);

class Catalog {
public:
    Catalog(beats::BeatsModule& beats, users::UsersModule& users);

    std::shared_ptr<const std::vector<Album>> albums();  // every album, newest first
    std::vector<Artist> artists();                       // by name
    std::optional<Album> album(const AlbumKey& key);
    std::optional<Artist> artist(const std::string& producer_id);
    std::vector<beats::Track> songs(const AlbumKey& key) const;  // in track order
    std::string album_name(const AlbumKey& key) const;
    std::string producer_name(const std::string& producer_id) const;
    void forget();  // the catalogue changed

private:
    beats::BeatsModule& beats_;
    users::UsersModule& users_;
    std::mutex mutex_;
    std::shared_ptr<const std::vector<Album>> albums_;
    std::chrono::steady_clock::time_point albums_at_;
};

}  // namespace bb::subsonic
