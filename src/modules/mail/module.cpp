// Mail: the queue other modules write to, the job that sends, and an admin view of what was sent.
#include "core/config.hpp"
#include "core/jobs.hpp"
#include "core/log.hpp"
#include "http/query.hpp"
#include "http/router.hpp"
#include "modules/mail/mail.hpp"
#include "modules/mail/outbox.hpp"

namespace bb::mail {
namespace {

using http::Auth;
using http::Exec;
using http::Reply;
using http::Request;

std::optional<SmtpSettings>
smtp_from(const core::Config& config)
{
    if (config.smtp_url.empty()) {
        return std::nullopt;
    }
    return SmtpSettings{.url = config.smtp_url,
                        .username = config.smtp_username,
                        .password = config.smtp_password,
                        .starttls = config.smtp_starttls,
                        .ca_file = config.smtp_ca_file,
                        .timeout = std::chrono::seconds(config.smtp_timeout_s)};
}

}  // namespace

struct MailModule::Impl {
    core::Services& services;
    Outbox outbox;

    explicit Impl(core::Services& s) : services(s), outbox(s.db, smtp_from(s.config), s.config.mail_from) {}
};

MailModule::MailModule(core::Services& services) : impl_(std::make_unique<Impl>(services))
{
    smtp_init();  // on the main thread, before any job runs
}

MailModule::~MailModule() = default;

bool
MailModule::is_address(std::string_view address)
{
    const auto at = address.find('@');
    if (address.size() > 254 || at == std::string_view::npos || at == 0 || address.find('@', at + 1) != std::string_view::npos ||
        address.find('.', at + 2) == std::string_view::npos || address.back() == '.') {
        return false;
    }
    for (unsigned char c : address) {
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';' ||
            c == ':' || c == '"' || c == '\\' || c == '[' || c == ']') {
            return false;
        }
    }
    return true;
}

core::Result<std::string>
MailModule::queue(core::Tx& tx, const Mail& mail, std::string_view field)
{
    return impl_->outbox.queue(tx, mail, field);
}

void
MailModule::attach_from(std::string prefix, AttachmentSource source)
{
    impl_->outbox.attach_from(std::move(prefix), std::move(source));
}

void
MailModule::register_jobs(core::JobRunner& jobs)
{
    jobs.handle(kSendJob, [this](const core::Job& job) { return impl_->outbox.send(job); }, kSendAttempts);
}

void
MailModule::start()
{
    if (const int released = impl_->outbox.release_held(); released > 0) {
        core::log::info("mail", "held mail released to the SMTP server", {{"count", released}});
    }
}

core::Health
MailModule::health() const
{
    return {true, impl_->outbox.describe()};
}

void
MailModule::register_routes(http::Router& router)
{
    router.schema("MailRecord", R"({"type": "object", "required": ["mail_id", "to", "template", "subject", "status"],
        "properties": {"mail_id": {"type": "string"}, "to": {"type": "string"}, "template": {"type": "string"},
        "subject": {"type": "string"}, "status": {"enum": ["queued", "held", "sent", "failed"]},
        "attempts": {"type": "integer"}, "last_error": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"}, "sent_at": {"type": ["string", "null"]}}})");
    router.schema("MailList", R"({"type": "object", "required": ["mails", "next_cursor"], "properties": {
        "mails": {"type": "array", "items": {"$ref": "#/components/schemas/MailRecord"}},
        "next_cursor": {"type": ["string", "null"]}}})");
    router.schema("MailRetried", R"({"type": "object", "properties": {"mail_id": {"type": "string"},
        "status": {"const": "queued"}}})");

    Outbox& outbox = impl_->outbox;
    const std::string& secret = impl_->services.secret;
    router.add({.method = "GET", .path = "/api/admin/mail", .auth = Auth::kRequired,
                .doc = {.summary = "Admin: mail sent and waiting, newest first (bodies are not kept once sent)",
                        .tag = "admin", .responses = {{200, "MailList"}, {403, "Error"}},
                        .query = {"status", "limit", "cursor"}},
                .handler = [&outbox, &secret](const Request& req) -> Reply {
                    if (!req.user().is_admin()) {
                        return core::forbidden("only admins may read the mail queue");
                    }
                    http::QueryInput in(req);
                    auto status = in.one_of("status", {"queued", "held", "sent", "failed"});
                    if (auto e = in.error()) {
                        return *e;
                    }
                    return http::list_reply(req, [&](int limit, const std::optional<std::string>& cursor) {
                        return outbox.list(status, limit, cursor, secret);
                    });
                }});
    router.add({.method = "POST", .path = "/api/admin/mail/{mail_id}/retry", .auth = Auth::kRequired,
                .exec = Exec::kBlocking,
                .doc = {.summary = "Admin: send a mail the SMTP server refused for good once more", .tag = "admin",
                        .responses = {{200, "MailRetried"}, {403, "Error"}, {404, "Error"}, {409, "Error"}}},
                .handler = [&outbox](const Request& req) -> Reply {
                    if (!req.user().is_admin()) {
                        return core::forbidden("only admins may retry mail");
                    }
                    return http::json_reply(200, outbox.retry(std::string(req.param("mail_id")), req.user().user_id));
                }});
}

}  // namespace bb::mail
