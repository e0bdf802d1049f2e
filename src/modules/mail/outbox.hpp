#pragma once
// The mail queue: stored messages (mail_messages) and the job that sends one. A message is stored
// whole, as sent, so a retry sends the same bytes; its body is dropped once the server took it
// (links in it are secrets), leaving the record.
#include "core/circuit_breaker.hpp"
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/jobs.hpp"
#include "modules/mail/mail.hpp"
#include "modules/mail/smtp.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <utility>
#include <vector>
#include <string>

namespace bb::mail {

inline constexpr const char* kSendJob = "mail.send";
// With backoff capped at 5 minutes, a mail is tried for about three and a half days.
inline constexpr int kSendAttempts = 1000;

class Outbox {
public:
    Outbox(core::Db& db, std::optional<SmtpSettings> smtp, std::string from);

    core::Result<std::string> queue(core::Tx& tx, const Mail& mail, std::string_view field);
    // The job: sends one stored mail. A failure that may pass is returned (the runner retries);
    // a permanent refusal marks the mail failed and ends the job.
    core::Result<void> send(const core::Job& job);
    // At start with an SMTP server: mails held while there was none get their jobs.
    int release_held();
    // Admin: a failed mail is queued again (and the audit log says who did it).
    core::Result<boost::json::object> retry(const std::string& mail_id, const std::string& admin_id);
    core::Result<boost::json::object> list(const std::optional<std::string>& status, int limit,
                                           const std::optional<std::string>& cursor, const std::string& secret) const;
    bool configured() const { return smtp_.has_value(); }
    void attach_from(std::string prefix, AttachmentSource source) { sources_.emplace_back(std::move(prefix), std::move(source)); }
    std::string describe() const;

private:
    // The MIME message of a stored mail, its attachments made now.
    template <class Stored>
    core::Result<std::string> build(const std::string& id, const Stored& stored) const;

    core::Db& db_;
    std::optional<SmtpSettings> smtp_;
    std::string from_;
    std::string domain_;  // of the sender address: Message-IDs end in it
    core::CircuitBreaker breaker_;
    std::vector<std::pair<std::string, AttachmentSource>> sources_;  // set at start, read by the job threads
};

}  // namespace bb::mail
