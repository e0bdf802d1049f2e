#pragma once
// Paying people out through Stripe Connect: each payee's connected account (onboarded on Stripe's
// pages, its state kept current by Stripe's signed account.updated events or a refresh), and payout
// runs. A run takes every balance of at least $1 whose owner can receive transfers, writes a payout
// and the ledger entry that takes it out of the balance in one transaction (so a second run, even
// at the same moment, finds nothing left to pay), then a job per payout makes the transfer with the
// payout's id as Idempotency-Key (so a retry never transfers twice). A transfer Stripe refuses puts
// the money back in the balance.
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/jobs.hpp"
#include "http/request.hpp"
#include "modules/payouts/connect.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace bb::users {
class UsersModule;
}

namespace bb::payouts {

inline constexpr const char* kTransferJob = "payouts.transfer";
inline constexpr std::int64_t kMinimumPayoutCents = 100;

class Payouts {
public:
    Payouts(core::Db& db, StripeConnect& connect, users::UsersModule& users, std::string public_url,
            std::string webhook_secret, const std::string& secret);

    boost::json::object account(const std::string& user_id) const;
    // Makes the connected account if there is none, and answers a link to Stripe's onboarding.
    core::Result<boost::json::object> onboard(const http::Principal& who);
    core::Result<boost::json::object> refresh(const http::Principal& who);
    core::Result<boost::json::object> webhook(std::string_view signature, std::string_view payload);

    core::Result<boost::json::object> run(const http::Principal& admin, const std::optional<std::string>& key);
    core::Result<boost::json::object> runs(int limit, const std::optional<std::string>& cursor) const;
    core::Result<boost::json::object> payouts_of(const std::string& user_id) const;
    core::Result<void> transfer(const core::Job& job);

private:
    boost::json::object run_json(core::Conn& conn, const std::string& run_id) const;
    void set_status(const std::string& account_id, const ConnectAccount& account);

    core::Db& db_;
    StripeConnect& connect_;
    users::UsersModule& users_;
    std::string public_url_;
    std::string webhook_secret_;
    const std::string& secret_;
};

}  // namespace bb::payouts
