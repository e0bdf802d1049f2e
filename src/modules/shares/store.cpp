#include "modules/shares/store.hpp"

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"

namespace bb::shares {
namespace {

// A stream request carries its play's id; a listener who paused for a long while asks again.
constexpr std::int64_t kTicketMs = 6LL * 3600 * 1000;

constexpr const char* kColumns =
    "id, owner_id, kind, target_id, note, expires_ms, max_plays, plays, allow_download, revoked_ms, created_ms, "
    "last_played_ms";

Share
read_share(core::Query& q)
{
    Share s;
    s.id = q.text(0);
    s.owner_id = q.text(1);
    s.kind = q.text(2);
    s.target_id = q.text(3);
    s.note = q.text(4);
    s.expires_ms = q.int64(5);
    if (!q.is_null(6)) {
        s.max_plays = q.int64(6);
    }
    s.plays = q.int64(7);
    s.allow_download = q.int64(8) != 0;
    if (!q.is_null(9)) {
        s.revoked_ms = q.int64(9);
    }
    s.created_ms = q.int64(10);
    if (!q.is_null(11)) {
        s.last_played_ms = q.int64(11);
    }
    return s;
}

std::optional<Share>
load(core::Query q)
{
    return q.step() ? std::optional(read_share(q)) : std::nullopt;
}

}  // namespace

std::string
Share::status(std::int64_t now_ms) const
{
    if (revoked_ms) {
        return "revoked";
    }
    if (expires_ms <= now_ms) {
        return "expired";
    }
    if (max_plays && plays >= *max_plays) {
        return "used_up";
    }
    return "active";
}

core::Error
gone(const Share& share, std::int64_t now_ms)
{
    const std::string status = share.status(now_ms);
    const std::string message = status == "revoked" ? "this link was revoked by the person who shared it"
                                : status == "expired" ? "this link has expired"
                                                      : "this link has no plays left";
    return core::Error{core::Code::kGone, "share_" + status, message, {{"status", status}}};
}

Share
Store::create(Share share)
{
    share.id = core::crypto::base64url(core::crypto::random_bytes(16));
    share.created_ms = core::clock::now_ms();
    db_.write([&](core::Tx& tx) {
        tx.query("INSERT INTO shares_links (id, owner_id, kind, target_id, note, expires_ms, max_plays, plays, "
                 "allow_download, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)")
            .bind(share.id, share.owner_id, share.kind, share.target_id, share.note, share.expires_ms, share.max_plays,
                  share.allow_download ? 1 : 0, share.created_ms)
            .exec();
    });
    return share;
}

std::optional<Share>
Store::find(const std::string& id) const
{
    std::optional<Share> found;
    db_.read([&](core::Conn& conn) {
        found = load(std::move(conn.query(std::string("SELECT ") + kColumns + " FROM shares_links WHERE id = ?").bind(id)));
    });
    return found;
}

core::Result<SharePage>
Store::owned_by(const std::string& owner_id, int limit, const std::optional<std::string>& cursor) const
{
    std::int64_t before_ms = 0;
    std::string before_id;
    if (cursor) {
        auto position = core::decode_cursor(*cursor, secret_);
        if (!position || !position->contains("ms") || !position->at("ms").is_int64() || !position->contains("id") ||
            !position->at("id").is_string()) {
            return core::bad_request("invalid_cursor", "the cursor was not issued by this server");
        }
        before_ms = position->at("ms").as_int64();
        before_id = std::string(position->at("id").as_string());
    }
    SharePage page;
    db_.read([&](core::Conn& conn) {
        const std::string after = cursor ? " AND (created_ms < ?2 OR (created_ms = ?2 AND id < ?3))" : "";
        auto q = conn.query(std::string("SELECT ") + kColumns + " FROM shares_links WHERE owner_id = ?1" + after +
                            " ORDER BY created_ms DESC, id DESC LIMIT ?4");
        q.bind_at(1, owner_id);
        if (cursor) {
            q.bind_at(2, before_ms);
            q.bind_at(3, before_id);
        }
        q.bind_at(4, limit + 1);
        while (q.step()) {
            page.shares.push_back(read_share(q));
        }
    });
    if (static_cast<int>(page.shares.size()) > limit) {
        page.shares.pop_back();
        const Share& last = page.shares.back();
        page.next_cursor = core::encode_cursor({{"ms", last.created_ms}, {"id", last.id}}, secret_);
    }
    return page;
}

core::Result<Share>
Store::revoke(const std::string& id, const std::string& user_id, bool is_admin)
{
    return db_.write([&](core::Tx& tx) -> core::Result<Share> {
        auto share = load(std::move(tx.query(std::string("SELECT ") + kColumns + " FROM shares_links WHERE id = ?").bind(id)));
        // Someone else's link does not exist for them.
        if (!share || (share->owner_id != user_id && !is_admin)) {
            return core::not_found("share");
        }
        if (!share->revoked_ms) {
            share->revoked_ms = core::clock::now_ms();
            tx.query("UPDATE shares_links SET revoked_ms = ? WHERE id = ?").bind(*share->revoked_ms, id).exec();
        }
        return *share;
    });
}

void
Store::revoke_all_of(core::Tx& tx, const std::string& owner_id, std::int64_t when_ms)
{
    tx.query("UPDATE shares_links SET revoked_ms = ? WHERE owner_id = ? AND revoked_ms IS NULL")
        .bind(when_ms, owner_id)
        .exec();
}

core::Result<Share>
Store::usable(const std::string& id) const
{
    auto share = find(id);
    if (!share) {
        return core::not_found("share");
    }
    const auto now = core::clock::now_ms();
    if (share->status(now) != "active") {
        return gone(*share, now);
    }
    return *share;
}

core::Result<Play>
Store::take_play(const std::string& id, const std::string& beat_id,
                 const std::function<core::Result<void>(core::Tx&)>& also)
{
    const auto now = core::clock::now_ms();
    Play play{core::new_id(), beat_id, "play", now};
    return db_.write([&](core::Tx& tx) -> core::Result<Play> {
        const int taken = tx.query("UPDATE shares_links SET plays = plays + 1, last_played_ms = ? WHERE id = ? AND "
                                   "revoked_ms IS NULL AND expires_ms > ? AND (max_plays IS NULL OR plays < max_plays)")
                              .bind(now, id, now)
                              .exec();
        if (taken == 0) {
            auto share = load(std::move(tx.query(std::string("SELECT ") + kColumns + " FROM shares_links WHERE id = ?").bind(id)));
            if (!share) {
                return core::not_found("share");
            }
            return gone(*share, now);
        }
        if (auto logged = also(tx); !logged) {
            return logged.error();  // rolls the count back too
        }
        tx.query("INSERT INTO shares_plays (id, share_id, beat_id, kind, created_ms) VALUES (?, ?, ?, 'play', ?)")
            .bind(play.id, id, beat_id, now)
            .exec();
        return play;
    });
}

void
Store::log_download(const std::string& id, const std::string& beat_id)
{
    db_.write([&](core::Tx& tx) {
        tx.query("INSERT INTO shares_plays (id, share_id, beat_id, kind, created_ms) VALUES (?, ?, ?, 'download', ?)")
            .bind(core::new_id(), id, beat_id, core::clock::now_ms())
            .exec();
    });
}

bool
Store::valid_ticket(const std::string& share_id, const std::string& play_id, const std::string& beat_id) const
{
    bool valid = false;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT 1 FROM shares_plays WHERE id = ? AND share_id = ? AND beat_id = ? AND "
                            "kind = 'play' AND created_ms > ?");
        q.bind(play_id, share_id, beat_id, core::clock::now_ms() - kTicketMs);
        valid = q.step();
    });
    return valid;
}

std::vector<Play>
Store::plays(const std::string& share_id, int limit) const
{
    std::vector<Play> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT id, beat_id, kind, created_ms FROM shares_plays WHERE share_id = ? "
                            "ORDER BY created_ms DESC, id DESC LIMIT ?");
        q.bind(share_id, limit);
        while (q.step()) {
            out.push_back({q.text(0), q.text(1), q.text(2), q.int64(3)});
        }
    });
    return out;
}

}  // namespace bb::shares
