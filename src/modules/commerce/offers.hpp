#pragma once
// Offers on a beat's license. A buyer offers a price where the producer takes offers; whoever's turn
// it is accepts, declines or counters, until the offer's window closes (each move opens a new one).
// An accepted offer goes into the buyer's cart at its price, for that buyer only, until its window
// closes. Every move tells the other side live (an event the notifications module turns into a
// notification) and by mail; a job closes expired offers and tells both.
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/jobs.hpp"
#include "http/request.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace bb::users {
class UsersModule;
}
namespace bb::beats {
class BeatsModule;
}
namespace bb::mail {
class MailModule;
}

namespace bb::commerce {

inline constexpr const char* kOfferExpiryJob = "commerce.offer_expiry";

struct OfferMove {
    std::string action;  // accept | decline | counter | withdraw
    std::optional<std::int64_t> amount_cents;
    std::string message;
};

class Offers {
public:
    Offers(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, mail::MailModule& mail,
           std::string public_url, std::int64_t window_ms, const std::string& secret);

    core::Result<boost::json::object> settings(const std::string& beat_id) const;
    core::Result<boost::json::object> set_settings(const http::Principal& who, const std::string& beat_id, bool accept,
                                                   std::int64_t minimum_cents);
    core::Result<boost::json::object> make(const http::Principal& who, const std::string& beat_id,
                                           const std::string& license, std::int64_t amount_cents,
                                           const std::string& message);
    core::Result<boost::json::object> move(const http::Principal& who, const std::string& offer_id, const OfferMove& m);
    core::Result<boost::json::object> get(const http::Principal& who, const std::string& offer_id) const;
    core::Result<boost::json::object> list(const http::Principal& who, const std::string& role, int limit,
                                           const std::optional<std::string>& cursor) const;
    // The job: closes the offer if its window is still the one the job was set for.
    core::Result<void> expire(const core::Job& job);

    // A live accepted offer's price for this buyer: {offer_id, cents}.
    template <class Source>
    std::optional<std::pair<std::string, std::int64_t>> accepted(Source& src, const std::string& buyer_id,
                                                                 const std::string& beat_id, const std::string& license,
                                                                 std::int64_t now_ms) const;
    // In the transaction of the purchase that paid it.
    void purchased(core::Tx& tx, const std::string& offer_id, const std::string& purchase_id);

private:
    struct Row;
    template <class Source>
    std::optional<Row> load(Source& src, const std::string& offer_id) const;
    boost::json::object to_json(const Row& r, std::int64_t now_ms) const;
    // Records the move, announces it (event + mail to whoever did not make it) and sets the expiry job.
    void announce(core::Tx& tx, const Row& r, const std::string& actor_id, const std::string& action,
                  const std::string& message);

    core::Db& db_;
    users::UsersModule& users_;
    beats::BeatsModule& beats_;
    mail::MailModule& mail_;
    std::string public_url_;
    std::int64_t window_ms_;
    const std::string& secret_;
};

}  // namespace bb::commerce
