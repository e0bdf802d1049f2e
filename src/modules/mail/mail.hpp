#pragma once
// The mail module's public face. Other modules queue a templated mail inside their own write
// transaction (so a mail exists exactly when the change that needs it commits); the job runner
// sends it over SMTP after commit and retries until the server takes it, so an SMTP outage
// delays mail but loses none.
#include "core/db.hpp"
#include "core/error.hpp"
#include "core/module.hpp"
#include "core/services.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace bb::mail {

// An attachment is made when the mail is sent, not when it is queued (a mail held or waiting for
// an SMTP server costs no rendering and no storage): `source` names it for the module that
// registered the source's prefix with attach_from().
struct Attachment {
    std::string filename;      // agreement-<purchase>.pdf
    std::string content_type;  // application/pdf
    std::string source;        // "agreement:<purchase_id>/<beat_id>"
};
// Makes an attachment's bytes from the rest of its source; kNotFound means it never will.
using AttachmentSource = std::function<core::Result<std::string>(const std::string& key)>;

struct Mail {
    std::string to;             // one address
    std::string template_name;  // verify_email, password_reset, receipt, sale, offer, free_download, ...
    boost::json::object vars;   // the template's fields (each template names the ones it needs)
    std::vector<Attachment> attachments;
};

class MailModule : public core::Module {
public:
    explicit MailModule(core::Services& services);
    ~MailModule() override;

    std::string_view name() const override { return "mail"; }
    void register_routes(http::Router& router) override;
    void register_jobs(core::JobRunner& jobs) override;
    void start() override;
    core::Health health() const override;

    // Renders the mail and stores it in tx, with the job that sends it after commit (without an
    // SMTP server configured it is held until one is). Returns the mail's id. A bad address is a
    // 422 on `field`; an unknown template or a missing field is a bug (500).
    core::Result<std::string> queue(core::Tx& tx, const Mail& mail, std::string_view field = "email");
    // Registers who makes the attachments whose source starts with `prefix` (at start, before jobs run).
    void attach_from(std::string prefix, AttachmentSource source);
    // The address rules mail is sent to (one address, no display name, no line breaks).
    static bool is_address(std::string_view address);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bb::mail
