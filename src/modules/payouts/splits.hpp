#pragma once
// Collaborator splits: a beat's producer proposes shares (in basis points, adding up to exactly
// 100 %); each collaborator accepts (the producer's own share is accepted by proposing it); once
// all have, the split is active and each later sale is divided by it. Until then, and for beats
// without one, the producer gets everything. A newer proposal replaces the active split only once
// it is accepted in turn.
#include "core/db.hpp"
#include "core/error.hpp"
#include "http/request.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bb::users {
class UsersModule;
}
namespace bb::beats {
class BeatsModule;
}
namespace bb::mail {
class MailModule;
}

namespace bb::payouts {

struct Share {
    std::string user_id;
    std::int64_t share_bp = 0;  // 10000 = 100 %
};

// "33.33" -> 3333; whole percent or up to two decimals; nullopt otherwise.
std::optional<std::int64_t> percent_to_bp(const boost::json::value& v);
// 3333 -> "33.33", 5000 -> "50".
std::string percent_text(std::int64_t bp);

class Splits {
public:
    Splits(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, mail::MailModule& mail,
           std::string public_url);

    // shares as given: [{user (id or username), percent}].
    core::Result<boost::json::object> propose(const http::Principal& who, const std::string& beat_id,
                                              const boost::json::array& shares);
    core::Result<boost::json::object> answer(const http::Principal& who, const std::string& split_id, bool accept);
    core::Result<boost::json::object> of_beat(const http::Principal& who, const std::string& beat_id) const;
    core::Result<boost::json::object> mine(const http::Principal& who) const;

    // The shares a sale of this beat is divided by, in the sale's transaction.
    std::vector<Share> active(core::Tx& tx, const std::string& beat_id, const std::string& producer_id) const;

private:
    template <class Source>
    boost::json::object split_json(Source& src, const std::string& split_id) const;
    core::Result<boost::json::object> named(core::Result<boost::json::object> splits) const;

    core::Db& db_;
    users::UsersModule& users_;
    beats::BeatsModule& beats_;
    mail::MailModule& mail_;
    std::string public_url_;
};

}  // namespace bb::payouts
