// Playback log (seed 003): every play/pause/stop is recorded; a play adds to the beat's count at
// most once per user per beat per 30 s, so replaying a loop does not inflate "popular".
#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "modules/beats/service.hpp"

namespace bb::beats {
namespace {

constexpr std::int64_t kPlayWindowMs = 30'000;

PlaybackEvent
read_event(core::Query& q)
{
    return PlaybackEvent{q.text(0), q.text(1), q.text(2), q.int64(3), q.int64(4)};
}

}  // namespace

core::Result<PlaybackEvent>
Service::record_playback(const http::Principal& who, const std::string& beat_id, const std::string& action,
                         std::int64_t position_ms)
{
    auto beat = playable(beat_id);
    if (!beat) {
        return beat.error();
    }
    PlaybackEvent event{core::new_id(), beat_id, action, position_ms, core::clock::now_ms()};
    db_.write([&](core::Tx& tx) { log_event(tx, who.user_id, event); });
    return event;
}

core::Result<void>
Service::log_play(core::Tx& tx, const std::string& listener, const std::string& beat_id)
{
    auto q = tx.query("SELECT status FROM beats_beats WHERE id = ?");
    q.bind(beat_id);
    if (!q.step()) {
        return core::not_found("beat");
    }
    const std::string status = q.text(0);
    if (status != "ready" && status != "sold") {
        return core::conflict("not_ready", "the beat cannot be played");
    }
    log_event(tx, listener, {core::new_id(), beat_id, "play", 0, core::clock::now_ms()});
    return {};
}

void
Service::log_event(core::Tx& tx, const std::string& user_id, const PlaybackEvent& event)
{
    const std::string& beat_id = event.beat_id;
    bool counted = false;
    if (event.action == "play") {
        auto recent = tx.query("SELECT 1 FROM beats_playback WHERE user_id = ? AND beat_id = ? AND counted = 1 "
                               "AND created_ms > ? LIMIT 1");
        recent.bind(user_id, beat_id, event.created_ms - kPlayWindowMs);
        counted = !recent.step();
    }
    tx.query("INSERT INTO beats_playback (id, user_id, beat_id, action, position_ms, counted, created_ms) "
             "VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(event.id, user_id, beat_id, event.action, event.position_ms, counted, event.created_ms)
        .exec();
    if (counted) {
        tx.query("UPDATE beats_beats SET plays = plays + 1 WHERE id = ?").bind(beat_id).exec();
        tx.after_commit([this, beat_id] { cache_.drop(beat_id); });  // its plays; the preview stays
    }
    const core::Topic topic = event.action == "play"    ? kPlaybackStarted
                              : event.action == "pause" ? kPlaybackPaused
                                                        : kPlaybackStopped;
    tx.publish(topic, {{"event_id", event.id}, {"beat_id", beat_id}, {"user_id", user_id},
                       {"position_ms", event.position_ms}, {"counted", counted}});
}

std::optional<PlaybackEvent>
Service::playback_state(const std::string& user_id) const
{
    std::optional<PlaybackEvent> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT id, beat_id, action, position_ms, created_ms FROM beats_playback WHERE user_id = ? "
                            "ORDER BY id DESC LIMIT 1");
        q.bind(user_id);
        if (q.step()) {
            out = read_event(q);
        }
    });
    return out;
}

core::Result<std::pair<std::vector<PlaybackEvent>, std::optional<std::string>>>
Service::playback_history(const std::string& user_id, int limit, const std::optional<std::string>& cursor) const
{
    auto after_cursor = core::page_before(cursor, secret_);
    if (!after_cursor) {
        return after_cursor.error();
    }
    const std::string before = *after_cursor;
    std::vector<PlaybackEvent> events;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT id, beat_id, action, position_ms, created_ms FROM beats_playback WHERE user_id = ? "
                            "AND id < ? ORDER BY id DESC LIMIT ?");
        q.bind(user_id, before, limit + 1);
        while (q.step()) {
            events.push_back(read_event(q));
        }
    });
    std::optional<std::string> next;
    if (static_cast<int>(events.size()) > limit) {
        events.pop_back();
        next = core::encode_cursor({{"before", events.back().id}}, secret_);
    }
    return std::make_pair(std::move(events), std::move(next));
}

}  // namespace bb::beats
