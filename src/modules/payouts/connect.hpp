#pragma once
// Stripe Connect, as payouts use it: an Express connected account per payee (Stripe onboards
// them on its own pages), and transfers from the platform's balance to those accounts. Blocking
// calls (the blocking pool and jobs make them). Every POST carries an Idempotency-Key derived from
// our own ids, so a retried call never makes a second account or a second transfer.
#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace bb::payouts {

struct ConnectSettings {
    std::string secret_key;
    std::string api_base = "https://api.stripe.com";
    std::chrono::milliseconds timeout{10000};
};

struct ConnectAccount {
    std::string id;              // acct_...
    bool transfers_active = false;
    bool details_submitted = false;
};

struct TransferOutcome {
    enum class Kind {
        kDone,
        kRefused,      // Stripe said no for good (no such account, capability off, balance too low)
        kUnavailable,  // no answer worth trusting: try again with the same key
    };
    Kind kind = Kind::kUnavailable;
    std::string transfer_id;
    std::string message;
};

class StripeConnect {
public:
    explicit StripeConnect(ConnectSettings settings);
    bool configured() const { return !settings_.secret_key.empty(); }

    core::Result<ConnectAccount> create_account(const std::string& user_id, const std::string& email);
    core::Result<std::string> onboarding_link(const std::string& account_id, const std::string& refresh_url,
                                              const std::string& return_url);
    core::Result<ConnectAccount> account(const std::string& account_id);
    TransferOutcome transfer(const std::string& payout_id, const std::string& account_id, std::int64_t amount_cents,
                             const std::string& currency);

private:
    ConnectSettings settings_;
};

}  // namespace bb::payouts
