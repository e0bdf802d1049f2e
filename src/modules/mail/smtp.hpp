#pragma once
// Hands one message to an SMTP server through libcurl (blocking: the job runner's threads call
// it). smtp://host:port upgrades with STARTTLS, which is required unless starttls is off (a
// server on loopback, say); smtps:// speaks TLS from the start. The server's certificate is
// verified (against ca_file when given, else the system's roots). AUTH when a username is set.
#include <chrono>
#include <string>

namespace bb::mail {

struct SmtpSettings {
    std::string url;  // smtp://mail.example.com:587 or smtps://mail.example.com:465
    std::string username;
    std::string password;
    bool starttls = true;
    std::string ca_file;
    std::string helo_domain = "backbeat.local";
    std::chrono::milliseconds timeout{30000};  // the whole exchange, connection included
};

struct SmtpOutcome {
    enum class Kind {
        kSent,
        kTransient,  // try again later: no connection, a timeout, a 4xx, TLS or login trouble
        kPermanent,  // the server refused this mail for good (5xx to the sender, recipient or data)
    };
    Kind kind = Kind::kTransient;
    std::string detail;  // what went wrong, for the log and the mail's last_error (no secrets)
};

// Must run once, on the main thread, before any send (libcurl's global init is not thread-safe).
void smtp_init();

SmtpOutcome smtp_send(const SmtpSettings& settings, const std::string& from, const std::string& to,
                      const std::string& message);

}  // namespace bb::mail
