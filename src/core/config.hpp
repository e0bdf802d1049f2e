#pragma once
// Settings, parsed once into a typed struct. Every setting has one name that appears as a flag
// (--auth-rate), an environment variable (BACKBEAT_AUTH_RATE) and a config-file key ("auth_rate").
// Flags beat the environment, which beats the file, which beats the defaults.
#include "core/error.hpp"
#include "core/log.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bb::core {

struct Config {
    std::string listen = "127.0.0.1:8080";
    std::string data_dir = "./data";
    std::string config_file;
    log::Format log_format = log::Format::kJson;
    log::Level log_level = log::Level::kInfo;
    bool access_log = true;

    int threads = 0;           // network threads; 0 = one per core
    int blocking_threads = 32;  // threads for handlers that may block (writes, hashing)
    int job_workers = 0;       // 0 = one per core
    int max_connections = 10000;
    int read_timeout_s = 30;
    int idle_timeout_s = 75;
    std::int64_t max_json_body = 1 << 20;
    std::int64_t max_upload = std::int64_t{200} << 20;
    int max_duration_s = 20 * 60;  // longer audio is refused with 422
    int preview_max_s = 5 * 60;    // a preview stops there
    int media_workers = 0;         // FFmpeg children at once for processing; 0 = one per core
    int min_free_mb = 100;         // less free disk: /readyz says not ready, uploads are refused (507)

    int auth_rate = 30;  // signups and logins per client address per minute; 0 = off
    int ws_rate = 100;   // messages a WebSocket connection (or a user over HTTP chat) may send per 10 s; 0 = off
    int ws_per_user = 20;  // WebSockets one user may hold open; 0 = no limit
    std::vector<std::string> cors_origins;
    std::vector<std::string> trusted_proxies;
    int token_ttl_s = 7 * 24 * 3600;
    int hash_concurrency = 0;  // concurrent password hashes; 0 = one per core
    int hash_queue = 64;       // hashes allowed to wait; beyond that 503

    std::string assets_dir;  // serve the web UI from disk (development) instead of the binary
    bool demo = false;       // fill an empty store with the demo catalogue on start

    std::string public_url = "http://127.0.0.1:8080";  // where buyers return after paying
    std::string stripe_secret_key;   // set: POST /api/purchases may use provider "stripe"
    std::string stripe_webhook_secret;
    std::string stripe_api_base = "https://api.stripe.com";
    // With Stripe configured the test provider (tok_visa settles at once, no money moves) is off:
    // every license would be free. Staging may turn it back on; the README warns.
    bool allow_test_payments = false;

    std::string smtp_url;  // set: mail goes out through this server; unset: it is held
    std::string smtp_username;
    std::string smtp_password;
    bool smtp_starttls = true;  // smtp:// must upgrade with STARTTLS (smtps:// is TLS from the start)
    std::string smtp_ca_file;   // trust this CA bundle for the SMTP server instead of the system's
    int smtp_timeout_s = 30;
    std::string mail_from = "Backbeat <no-reply@backbeat.local>";

    int offer_window_s = 48 * 3600;  // an offer waits this long for an answer, an accepted one for its checkout

    int platform_fee_bp = 1000;  // the platform's cut of each sale, in basis points (10 %)
    std::string stripe_connect_webhook_secret;  // signs Stripe's Connect events (account.updated)
};

struct CommandLine {
    std::vector<std::string> command;            // e.g. {"user", "create"}; empty means serve
    std::map<std::string, std::string> options;  // the command's own flags (--username ...)
    Config config;
};

// argv without the program name; env is a lookup (getenv in production, a map in tests).
// command_flags lists the flags commands accept besides the settings ("username", "admin"...);
// a flag in neither list is an error, as is a bad value: the message names it.
Result<CommandLine> parse_command_line(const std::vector<std::string>& args,
                                       const std::map<std::string, std::string>& env,
                                       const std::vector<std::string>& command_flags);

std::map<std::string, std::string> environment();
std::string settings_help();

}  // namespace bb::core
