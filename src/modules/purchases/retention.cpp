#include "modules/purchases/retention.hpp"

namespace bb::purchases {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kKeysKeptMs = 48 * kHour;
constexpr std::int64_t kEventsKeptMs = 30 * 24 * kHour;
constexpr int kBatch = 1000;

}  // namespace

void
Retention::tidy(core::Tx& tx, std::int64_t now_ms)
{
    if (now_ms < next_ms_) {
        return;
    }
    // Whatever its status: no request is still being answered after 48 h, and a key a crash left
    // marked "in progress" would otherwise refuse its retries for good.
    const int keys = tx.query("DELETE FROM purchases_idempotency WHERE (user_id, key) IN (SELECT user_id, key "
                              "FROM purchases_idempotency WHERE created_ms < ? ORDER BY created_ms LIMIT ?)")
                         .bind(now_ms - kKeysKeptMs, kBatch)
                         .exec();
    const int events = tx.query("DELETE FROM purchases_webhook_events WHERE event_id IN (SELECT event_id "
                                "FROM purchases_webhook_events WHERE received_ms < ? ORDER BY received_ms LIMIT ?)")
                           .bind(now_ms - kEventsKeptMs, kBatch)
                           .exec();
    next_ms_ = now_ms + (keys == kBatch || events == kBatch ? kMinute : kHour);
}

}  // namespace bb::purchases
