#pragma once
// The share links and their play log. A link is usable while it is not revoked, not expired and
// has plays left; each play is counted in the same transaction that logs it, so a limit of N
// gives exactly N plays however many listeners race for the last one.
#include "core/db.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bb::shares {

struct Share {
    std::string id;
    std::string owner_id;
    std::string kind;  // beat | playlist
    std::string target_id;
    std::string note;
    std::int64_t expires_ms = 0;
    std::optional<std::int64_t> max_plays;
    std::int64_t plays = 0;
    bool allow_download = false;
    std::optional<std::int64_t> revoked_ms;
    std::int64_t created_ms = 0;
    std::optional<std::int64_t> last_played_ms;

    std::string status(std::int64_t now_ms) const;  // active | expired | revoked | used_up
};

struct Play {
    std::string id;
    std::string beat_id;
    std::string kind;  // play | download
    std::int64_t created_ms = 0;
};

struct SharePage {
    std::vector<Share> shares;
    std::optional<std::string> next_cursor;
};

class Store {
public:
    Store(core::Db& db, const std::string& secret) : db_(db), secret_(secret) {}

    Share create(Share share);  // fills id and created_ms
    std::optional<Share> find(const std::string& id) const;
    core::Result<SharePage> owned_by(const std::string& owner_id, int limit, const std::optional<std::string>& cursor) const;
    core::Result<Share> revoke(const std::string& id, const std::string& user_id, bool is_admin);
    void revoke_all_of(core::Tx& tx, const std::string& owner_id, std::int64_t when_ms);
    // The link as a listener may use it now: 404 unknown, 410 revoked, expired or used up.
    core::Result<Share> usable(const std::string& id) const;
    // Counts and logs a play, with `also` (the catalogue's playback log) in the same transaction.
    core::Result<Play> take_play(const std::string& id, const std::string& beat_id,
                                 const std::function<core::Result<void>(core::Tx&)>& also);
    void log_download(const std::string& id, const std::string& beat_id);
    // The play a stream request names, when it is this link's and this beat's and recent.
    bool valid_ticket(const std::string& share_id, const std::string& play_id, const std::string& beat_id) const;
    std::vector<Play> plays(const std::string& share_id, int limit) const;

private:
    core::Db& db_;
    const std::string& secret_;
};

core::Error gone(const Share& share, std::int64_t now_ms);

}  // namespace bb::shares
