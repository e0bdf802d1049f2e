#pragma once
// The money ledger. Each sale line (what the buyer paid for one beat) is divided: the platform's
// fee (fee basis points of it, rounded half up to the cent) and the rest by the beat's split at the
// time of the sale (largest remainder, so the parts add up to the cent). A refund writes the
// opposite of that purchase's entries; a payout takes what it pays out of the balance, and a failed
// one puts it back. A balance is the sum of a user's entries.
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/event_bus.hpp"
#include "modules/payouts/splits.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bb::payouts {

inline constexpr const char* kPlatform = "platform";

struct Division {
    std::int64_t fee_cents = 0;
    std::vector<std::int64_t> parts;  // per share, in the shares' order
};
// One sale line divided: the fee first, the rest by the shares.
Division divide(std::int64_t amount_cents, std::int64_t fee_bp, const std::vector<Share>& shares);

class Ledger {
public:
    Ledger(core::Db& db, Splits& splits, std::int64_t fee_bp, const std::string& secret);

    core::Result<void> on_sale(const core::Event& e, core::Tx& tx);
    core::Result<void> on_refund(const core::Event& e, core::Tx& tx);

    // {currency, earned_cents, refunded_cents, balance_cents, in_transit_cents, paid_cents}
    boost::json::object summary(const std::string& user_id) const;
    core::Result<boost::json::object> entries(const std::string& user_id, int limit,
                                              const std::optional<std::string>& cursor) const;
    std::int64_t fee_bp() const { return fee_bp_; }

private:
    void add(core::Tx& tx, const std::string& user_id, const std::string& kind, std::int64_t cents,
             const std::string& currency, const std::optional<std::string>& purchase_id,
             const std::optional<std::string>& beat_id, std::optional<std::int64_t> share_bp);

    core::Db& db_;
    Splits& splits_;
    std::int64_t fee_bp_;
    const std::string& secret_;
};

}  // namespace bb::payouts
