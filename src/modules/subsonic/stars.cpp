#include "modules/subsonic/stars.hpp"

#include "core/clock.hpp"

namespace bb::subsonic {

void
Stars::star(const std::string& user_id, const std::vector<Starred>& items)
{
    db_.write([&](core::Tx& tx) {
        for (const auto& item : items) {
            tx.query("INSERT INTO subsonic_stars (user_id, item_id, kind, created_ms) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (user_id, item_id) DO NOTHING")
                .bind(user_id, item.item_id, item.kind, item.created_ms)
                .exec();
        }
    });
}

void
Stars::unstar(const std::string& user_id, const std::vector<std::string>& item_ids)
{
    db_.write([&](core::Tx& tx) {
        for (const auto& id : item_ids) {
            tx.query("DELETE FROM subsonic_stars WHERE user_id = ? AND item_id = ?").bind(user_id, id).exec();
        }
    });
}

std::vector<Starred>
Stars::of(const std::string& user_id) const
{
    std::vector<Starred> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT item_id, kind, created_ms FROM subsonic_stars WHERE user_id = ? "
                            "ORDER BY created_ms DESC, item_id");
        q.bind(user_id);
        while (q.step()) {
            out.push_back({q.text(0), q.text(1), q.int64(2)});
        }
    });
    return out;
}

void
Stars::now_playing(const std::string& user_id, const std::string& player, const std::string& beat_id)
{
    db_.write([&](core::Tx& tx) {
        tx.query("INSERT INTO subsonic_now_playing (user_id, player, beat_id, updated_ms) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (user_id, player) DO UPDATE SET beat_id = excluded.beat_id, "
                 "updated_ms = excluded.updated_ms")
            .bind(user_id, player, beat_id, core::clock::now_ms())
            .exec();
    });
}

std::vector<Playing>
Stars::playing_since(std::int64_t since_ms) const
{
    std::vector<Playing> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT user_id, player, beat_id, updated_ms FROM subsonic_now_playing "
                            "WHERE updated_ms >= ? ORDER BY updated_ms DESC");
        q.bind(since_ms);
        while (q.step()) {
            out.push_back({q.text(0), q.text(1), q.text(2), q.int64(3)});
        }
    });
    return out;
}

void
Stars::remove_all(core::Tx& tx, const std::string& user_id)
{
    tx.query("DELETE FROM subsonic_stars WHERE user_id = ?").bind(user_id).exec();
    tx.query("DELETE FROM subsonic_now_playing WHERE user_id = ?").bind(user_id).exec();
}

}  // namespace bb::subsonic
