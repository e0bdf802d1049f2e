#include "modules/subsonic/catalog.hpp"

#include "modules/users/users.hpp"

#include <algorithm>
#include <charconv>

namespace bb::subsonic {
namespace {

constexpr auto kAlbumsFor = std::chrono::seconds(10);
constexpr int kAllBeats = 1'000'000;

// Days since 1970-01-01 from a civil date (Howard Hinnant's algorithm), for year boundaries.
std::int64_t
days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::string
artist_id(const std::string& producer_id)
{
    return "ar-" + producer_id;
}

std::string
album_id(const AlbumKey& key)
{
    return "al-" + key.producer_id + "-" + std::to_string(key.year);
}

std::optional<std::string>
producer_of(const std::string& id)
{
    if (!id.starts_with("ar-") || id.size() == 3) {
        return std::nullopt;
    }
    return id.substr(3);
}

std::optional<AlbumKey>
album_key(const std::string& id)
{
    const auto dash = id.rfind('-');
    if (!id.starts_with("al-") || dash == std::string::npos || dash <= 3) {
        return std::nullopt;
    }
    int year = 0;
    auto [end, ec] = std::from_chars(id.data() + dash + 1, id.data() + id.size(), year);
    if (ec != std::errc() || end != id.data() + id.size() || year < 1970 || year > 9999) {
        return std::nullopt;
    }
    return AlbumKey{id.substr(3, dash - 3), year};
}

std::int64_t
year_start_ms(int year)
{
    return days_from_civil(year, 1, 1) * 86'400'000;
}

int
year_of(std::int64_t unix_ms)
{
    int year = 1970 + static_cast<int>(unix_ms / 31'556'952'000);  // close; then exact by the boundaries
    while (year_start_ms(year) > unix_ms) {
        --year;
    }
    while (year_start_ms(year + 1) <= unix_ms) {
        ++year;
    }
    return year;
}

Catalog::Catalog(beats::BeatsModule& beats, users::UsersModule& users) : beats_(beats), users_(users) {}

std::string
Catalog::producer_name(const std::string& producer_id) const
{
    auto user = users_.find(producer_id);
    return user ? user->username : "unknown";
}

std::string
Catalog::album_name(const AlbumKey& key) const
{
    return producer_name(key.producer_id) + " " + std::to_string(key.year);
}

std::shared_ptr<const std::vector<Album>>
Catalog::albums()
{
    {
        std::lock_guard lock(mutex_);
        if (albums_ && std::chrono::steady_clock::now() - albums_at_ < kAlbumsFor) {
            return albums_;
        }
    }
    beats::TrackQuery all;
    all.order = beats::TrackQuery::Order::kOldest;
    all.limit = kAllBeats;
    std::map<AlbumKey, Album> by_key;
    std::map<AlbumKey, std::map<std::string, int>> genres;
    for (const auto& t : beats_.tracks(all)) {
        const AlbumKey key{t.producer_id, year_of(t.created_ms)};
        auto [it, fresh] = by_key.try_emplace(key);
        Album& a = it->second;
        if (fresh) {
            a.key = key;
            a.id = album_id(key);
            a.created_ms = t.created_ms;
        }
        a.changed_ms = std::max(a.changed_ms, t.created_ms);
        a.songs += 1;
        a.duration_ms += t.duration_ms;
        a.plays += t.plays;
        a.rating_sum += t.rating_sum;
        a.rating_count += t.rating_count;
        if (t.genre && !t.genre->empty()) {
            ++genres[key][*t.genre];
        }
    }
    std::map<std::string, std::string> names;
    auto out = std::make_shared<std::vector<Album>>();
    for (auto& [key, album] : by_key) {
        auto [name, fresh] = names.try_emplace(key.producer_id);
        if (fresh) {
            name->second = producer_name(key.producer_id);
        }
        album.artist = name->second;
        album.name = album.artist + " " + std::to_string(key.year);
        if (auto g = genres.find(key); g != genres.end()) {
            album.genre = std::max_element(g->second.begin(), g->second.end(), [](const auto& a, const auto& b) {
                              return a.second < b.second;
                          })->first;
        }
        out->push_back(std::move(album));
    }
    std::sort(out->begin(), out->end(), [](const Album& a, const Album& b) {
        return a.created_ms != b.created_ms ? a.created_ms > b.created_ms : a.id < b.id;
    });
    std::lock_guard lock(mutex_);
    albums_ = std::move(out);
    albums_at_ = std::chrono::steady_clock::now();
    return albums_;
}

void
Catalog::forget()
{
    std::lock_guard lock(mutex_);
    albums_.reset();
}

std::vector<Artist>
Catalog::artists()
{
    std::map<std::string, Artist> by_producer;
    for (const auto& album : *albums()) {
        auto& artist = by_producer[album.key.producer_id];
        artist.producer_id = album.key.producer_id;
        artist.id = artist_id(album.key.producer_id);
        artist.name = album.artist;
        artist.albums += 1;
    }
    std::vector<Artist> out;
    for (auto& [id, artist] : by_producer) {
        out.push_back(std::move(artist));
    }
    auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        return s;
    };
    std::sort(out.begin(), out.end(), [&](const Artist& a, const Artist& b) { return lower(a.name) < lower(b.name); });
    return out;
}

std::optional<Album>
Catalog::album(const AlbumKey& key)
{
    for (const auto& a : *albums()) {
        if (a.key == key) {
            return a;
        }
    }
    return std::nullopt;
}

std::optional<Artist>
Catalog::artist(const std::string& producer_id)
{
    for (auto& a : artists()) {
        if (a.producer_id == producer_id) {
            return a;
        }
    }
    return std::nullopt;
}

std::vector<beats::Track>
Catalog::songs(const AlbumKey& key) const
{
    beats::TrackQuery q;
    q.producer_id = key.producer_id;
    q.created_from_ms = year_start_ms(key.year);
    q.created_before_ms = year_start_ms(key.year + 1);
    q.order = beats::TrackQuery::Order::kOldest;
    q.limit = kAllBeats;
    return beats_.tracks(q);
}

}  // namespace bb::subsonic
