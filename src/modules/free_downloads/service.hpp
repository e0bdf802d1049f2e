#pragma once
// Free downloads' rules: a producer's offer per beat, a claim (an email address, or a follow by a
// signed-in user), and the download link it earns (256 random bits, stored hashed, 48 hours).
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/rate_limiter.hpp"
#include "http/request.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace bb::users {
class UsersModule;
}
namespace bb::beats {
class BeatsModule;
}
namespace bb::mail {
class MailModule;
}

namespace bb::free_downloads {

struct Offer {
    std::string beat_id;
    std::string producer_id;
    std::string gate;      // email | follow
    std::string delivery;  // email | instant
};

// What a claim answers: a link at once, or the word that it is on its way by mail.
struct Claimed {
    std::string delivery;
    std::optional<std::string> download_url;
};

class Service {
public:
    Service(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, mail::MailModule& mail,
            std::string public_url, const std::string& secret);

    std::optional<Offer> offer(const std::string& beat_id) const;
    core::Result<Offer> set_offer(const http::Principal& who, const std::string& beat_id, const std::string& gate,
                                  const std::string& delivery);
    core::Result<void> remove_offer(const http::Principal& who, const std::string& beat_id);
    // email: the address given (gate email); who: the signed-in caller (gate follow).
    core::Result<Claimed> claim(const std::string& beat_id, const std::optional<std::string>& email,
                                const std::optional<http::Principal>& who);
    // The beat a link is good for, while it is (404 once expired, withdrawn or gone).
    core::Result<std::string> redeem(const std::string& token);
    core::Result<boost::json::object> leads(const std::string& producer_id, int limit,
                                            const std::optional<std::string>& cursor) const;

private:
    core::Db& db_;
    users::UsersModule& users_;
    beats::BeatsModule& beats_;
    mail::MailModule& mail_;
    std::string public_url_;
    const std::string& secret_;
    core::RateLimiter per_address_;
};

}  // namespace bb::free_downloads
