#pragma once
// Moderation's rules: who may report what, and what each admin action changes, each in one
// transaction with its audit entry.
#include "core/db.hpp"
#include "core/error.hpp"
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

namespace bb::moderation {

struct NewReport {
    std::string target_type;  // beat | user
    std::string target_id;
    std::string reason;       // copyright | offensive | spam | scam | other
    std::string details;
};

class Service {
public:
    Service(core::Db& db, users::UsersModule& users, beats::BeatsModule& beats, mail::MailModule& mail,
            const std::string& secret);

    core::Result<boost::json::object> report(const http::Principal& who, const NewReport& report);
    core::Result<boost::json::object> reports(const std::optional<std::string>& status, int limit,
                                              const std::optional<std::string>& cursor) const;
    core::Result<boost::json::object> dismiss(const http::Principal& admin, const std::string& report_id,
                                              const std::string& note);
    core::Result<boost::json::object> take_down(const http::Principal& admin, const std::string& beat_id,
                                                const std::string& reason);
    core::Result<boost::json::object> suspend(const http::Principal& admin, const std::string& user_id,
                                              const std::string& reason);
    core::Result<boost::json::object> reinstate(const http::Principal& admin, const std::string& user_id,
                                                const std::string& reason);

private:
    // Closes the open reports on a target as acted on; returns how many.
    std::int64_t close_reports(core::Tx& tx, const std::string& type, const std::string& id, const std::string& admin_id,
                               const std::string& resolution);
    boost::json::object report_json(core::Query& q) const;

    core::Db& db_;
    users::UsersModule& users_;
    beats::BeatsModule& beats_;
    mail::MailModule& mail_;
    const std::string& secret_;
};

}  // namespace bb::moderation
