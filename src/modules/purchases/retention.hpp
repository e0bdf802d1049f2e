#pragma once
// How long what guards against repeats is kept. An idempotency key answers its replays for 48 h
// (the API promises at least 24 h); a Stripe event id is remembered for 30 days (Stripe retries a
// webhook for up to three). Older ones are deleted a bounded batch at a time, from inside writes
// that happen anyway, so tidying needs no thread or timer of its own and never holds the writer long.
#include "core/db.hpp"

#include <cstdint>

namespace bb::purchases {

class Retention {
public:
    // Deletes up to one batch of expired keys and event ids, at most once an hour (once a minute
    // while a backlog remains). Call on the writer thread, inside a write.
    void tidy(core::Tx& tx, std::int64_t now_ms);

private:
    std::int64_t next_ms_ = 0;
};

}  // namespace bb::purchases
