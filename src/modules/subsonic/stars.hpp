#pragma once
// What a user starred (songs, albums, artists by their Subsonic ids) and what each user's
// players are playing now (a scrobble with submission=false).
#include "core/db.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bb::subsonic {

struct Starred {
    std::string item_id;
    std::string kind;  // song | album | artist
    std::int64_t created_ms = 0;
};

struct Playing {
    std::string user_id;
    std::string player;
    std::string beat_id;
    std::int64_t updated_ms = 0;
};

class Stars {
public:
    explicit Stars(core::Db& db) : db_(db) {}

    void star(const std::string& user_id, const std::vector<Starred>& items);
    void unstar(const std::string& user_id, const std::vector<std::string>& item_ids);
    std::vector<Starred> of(const std::string& user_id) const;  // newest first

    void now_playing(const std::string& user_id, const std::string& player, const std::string& beat_id);
    std::vector<Playing> playing_since(std::int64_t since_ms) const;  // newest first

    void remove_all(core::Tx& tx, const std::string& user_id);

private:
    core::Db& db_;
};

}  // namespace bb::subsonic
