#include "modules/mail/outbox.hpp"

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "modules/mail/mime.hpp"
#include "modules/mail/templates.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace bb::mail {
namespace {

constexpr std::string_view kModule = "mail";

// Three failed connections in a row pause sending for ten seconds: a dead or hanging server
// then costs a job worker nothing instead of a timeout per mail.
constexpr int kBreakerFailures = 3;
constexpr auto kBreakerCooldown = std::chrono::seconds(10);

boost::json::value
time_or_null(core::Query& q, int index)
{
    return q.is_null(index) ? boost::json::value(nullptr) : boost::json::value(core::clock::rfc3339(q.int64(index)));
}

}  // namespace

Outbox::Outbox(core::Db& db, std::optional<SmtpSettings> smtp, std::string from)
    : db_(db), smtp_(std::move(smtp)), from_(std::move(from)), breaker_(kBreakerFailures, kBreakerCooldown)
{
    const auto address = address_of(from_);
    const auto at = address.find('@');
    domain_ = at == std::string::npos ? "backbeat.local" : address.substr(at + 1);
}

std::string
Outbox::describe() const
{
    if (!smtp_) {
        return "no SMTP server configured: mail is held until one is";
    }
    return "sending through " + smtp_->url + (smtp_->starttls ? " (STARTTLS)" : "") +
           (breaker_.state() == core::CircuitBreaker::State::kClosed ? "" : "; paused after failures");
}

core::Result<std::string>
Outbox::queue(core::Tx& tx, const Mail& mail, std::string_view field)
{
    if (!MailModule::is_address(mail.to)) {
        return core::invalid_field(std::string(field), "must be an email address");
    }
    auto rendered = render(mail.template_name, mail.vars);
    if (!rendered) {
        core::log::error(kModule, "mail template failed", {{"template", mail.template_name},
                                                            {"error", rendered.error().message}});
        return rendered.error();
    }
    const auto now = core::clock::now_ms();
    const std::string id = core::new_id();
    // Kept as its parts; the MIME message is built when it is sent (with its attachments made then).
    boost::json::array attachments;
    for (const auto& a : mail.attachments) {
        attachments.push_back({{"filename", a.filename}, {"content_type", a.content_type}, {"source", a.source}});
    }
    const std::string message = boost::json::serialize(boost::json::object{
        {"text", rendered->text}, {"html", rendered->html}, {"attachments", std::move(attachments)}});
    const char* status = smtp_ ? "queued" : "held";
    tx.query("INSERT INTO mail_messages (id, recipient, template, subject, message, status, attempts, created_ms) "
             "VALUES (?, ?, ?, ?, ?, ?, 0, ?)")
        .bind(id, mail.to, mail.template_name, rendered->subject, message, status, now)
        .exec();
    if (smtp_) {
        tx.enqueue(kSendJob, {{"mail_id", id}});
    }
    return id;
}

core::Result<void>
Outbox::send(const core::Job& job)
{
    const auto* field = job.payload.if_contains("mail_id");
    if (field == nullptr || !field->is_string()) {
        return {};  // nothing to send: a malformed job is not retried
    }
    const std::string id(field->as_string());
    struct Stored {
        std::string recipient, subject, parts;
        std::int64_t created_ms;
    };
    std::optional<Stored> mail;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT recipient, subject, message, created_ms FROM mail_messages WHERE id = ? AND status = 'queued'");
        q.bind(id);
        if (q.step()) {
            mail = Stored{q.text(0), q.text(1), q.text(2), q.int64(3)};
        }
    });
    if (!mail || !smtp_) {
        return {};  // sent already (a job run twice after a crash), or no longer queued
    }
    auto record = [&](const char* status, const std::string& error) {
        const auto now = core::clock::now_ms();
        db_.write([&](core::Tx& tx) {
            if (std::string_view(status) == "sent") {
                tx.query("UPDATE mail_messages SET status = 'sent', message = '', attempts = ?, last_error = NULL, "
                         "sent_ms = ? WHERE id = ?")
                    .bind(job.attempts, now, id)
                    .exec();
            } else {
                tx.query("UPDATE mail_messages SET status = ?, attempts = ?, last_error = ? WHERE id = ?")
                    .bind(status, job.attempts, error, id)
                    .exec();
            }
        });
    };
    auto message = build(id, *mail);
    if (!message) {
        const bool never = message.error().code == core::Code::kNotFound;
        record(never ? "failed" : "queued", message.error().message);
        core::log::warn(kModule, "mail could not be built", {{"mail_id", id}, {"error", message.error().message}});
        return never ? core::Result<void>{} : core::Result<void>{message.error()};
    }
    if (!breaker_.allow()) {
        record(job.attempts >= kSendAttempts ? "failed" : "queued", "paused: the SMTP server failed several times in a row");
        return core::unavailable("the SMTP server is failing; sending is paused", breaker_.retry_after_s());
    }
    const auto outcome = smtp_send(*smtp_, address_of(from_), mail->recipient, *message);
    switch (outcome.kind) {
        case SmtpOutcome::Kind::kSent:
            breaker_.record_success();
            record("sent", "");
            core::log::info(kModule, "mail sent", {{"mail_id", id}, {"attempt", job.attempts}});
            return {};
        case SmtpOutcome::Kind::kPermanent:
            breaker_.record_success();  // the server is up; it refused this one mail
            record("failed", outcome.detail);
            core::log::warn(kModule, "mail refused for good", {{"mail_id", id}, {"error", outcome.detail}});
            return {};
        case SmtpOutcome::Kind::kTransient:
            break;
    }
    breaker_.record_failure();
    // The last attempt the runner makes: the mail is failed, for an admin to send again.
    record(job.attempts >= kSendAttempts ? "failed" : "queued", outcome.detail);
    return core::unavailable("SMTP: " + outcome.detail);
}

template <class Stored>
core::Result<std::string>
Outbox::build(const std::string& id, const Stored& stored) const
{
    const auto parts = boost::json::parse(stored.parts).as_object();
    MimeMessage m{.from = from_,
                  .to = stored.recipient,
                  .subject = stored.subject,
                  .text = std::string(parts.at("text").as_string()),
                  .html = std::string(parts.at("html").as_string()),
                  .message_id = id + "@" + domain_,
                  .date_ms = stored.created_ms};
    for (const auto& v : parts.at("attachments").as_array()) {
        const auto& a = v.as_object();
        const std::string source(a.at("source").as_string());
        const auto maker = std::find_if(sources_.begin(), sources_.end(),
                                        [&](const auto& s) { return source.starts_with(s.first); });
        if (maker == sources_.end()) {
            return core::not_found("attachment source for " + source);
        }
        auto bytes = maker->second(source.substr(maker->first.size()));
        if (!bytes) {
            return bytes.error();
        }
        m.attachments.push_back({std::string(a.at("filename").as_string()), std::string(a.at("content_type").as_string()),
                                 std::move(*bytes)});
    }
    return compose(m);
}

int
Outbox::release_held()
{
    if (!smtp_) {
        return 0;
    }
    return db_.write([&](core::Tx& tx) {
        std::vector<std::string> ids;
        {
            auto q = tx.query("SELECT id FROM mail_messages WHERE status = 'held' ORDER BY id");
            while (q.step()) {
                ids.push_back(q.text(0));
            }
        }
        for (const auto& id : ids) {
            tx.query("UPDATE mail_messages SET status = 'queued' WHERE id = ?").bind(id).exec();
            tx.enqueue(kSendJob, {{"mail_id", id}});
        }
        return static_cast<int>(ids.size());
    });
}

core::Result<boost::json::object>
Outbox::retry(const std::string& mail_id, const std::string& admin_id)
{
    if (!smtp_) {
        return core::conflict("mail_not_configured", "no SMTP server is configured; the mail stays held");
    }
    return db_.write([&](core::Tx& tx) -> core::Result<boost::json::object> {
        const auto changed = tx.query("UPDATE mail_messages SET status = 'queued', last_error = NULL "
                                      "WHERE id = ? AND status = 'failed'")
                                 .bind(mail_id)
                                 .exec();
        if (changed == 0) {
            auto q = tx.query("SELECT status FROM mail_messages WHERE id = ?");
            q.bind(mail_id);
            if (!q.step()) {
                return core::not_found("mail");
            }
            return core::conflict("mail_not_failed", "only a failed mail can be retried; this one is " + q.text(0));
        }
        tx.enqueue(kSendJob, {{"mail_id", mail_id}});
        core::record_audit(tx, {.actor_id = admin_id, .action = "mail.retry", .target_type = "mail", .target_id = mail_id});
        return boost::json::object{{"mail_id", mail_id}, {"status", "queued"}};
    });
}

core::Result<boost::json::object>
Outbox::list(const std::optional<std::string>& status, int limit, const std::optional<std::string>& cursor,
             const std::string& secret) const
{
    auto before = core::page_before(cursor, secret);
    if (!before) {
        return before.error();
    }
    boost::json::array mails;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT id, recipient, template, subject, status, attempts, last_error, created_ms, sent_ms "
                            "FROM mail_messages WHERE id < ?1 AND (?2 IS NULL OR status = ?2) ORDER BY id DESC LIMIT ?3");
        q.bind(*before, status, limit + 1);
        while (q.step()) {
            mails.push_back({{"mail_id", q.text(0)},
                             {"to", q.text(1)},
                             {"template", q.text(2)},
                             {"subject", q.text(3)},
                             {"status", q.text(4)},
                             {"attempts", q.int64(5)},
                             {"last_error", q.is_null(6) ? boost::json::value(nullptr) : boost::json::value(q.text(6))},
                             {"created_at", core::clock::rfc3339(q.int64(7))},
                             {"sent_at", time_or_null(q, 8)}});
        }
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(mails.size()) > limit) {
        mails.pop_back();
        next = core::next_page_before(std::string(mails.back().as_object().at("mail_id").as_string()), secret);
    }
    return boost::json::object{{"mails", std::move(mails)}, {"next_cursor", next}};
}

}  // namespace bb::mail
