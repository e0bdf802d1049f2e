#pragma once
// What the checkout sweep ends (Service::sweep): pending purchases whose owner's lease ran out
// before the provider's answer was recorded (a crash mid-checkout), and pending checkouts still
// unsettled kExpiredGraceMs after their end (Stripe's expired event never came).
#include "core/db.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace bb::purchases {

struct Unfinished {
    std::vector<std::string> interrupted;
    std::vector<std::string> expired;
    bool empty() const { return interrupted.empty() && expired.empty(); }
};

// At most `limit` of each, oldest first. Read first (nothing to end is the usual case, and costs
// no write), then again inside the write that ends them.
Unfinished find_unfinished(core::Conn& conn, std::int64_t now_ms, int limit);
Unfinished find_unfinished(core::Tx& tx, std::int64_t now_ms, int limit);

}  // namespace bb::purchases
