#include "core/config.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

extern char** environ;

namespace bb::core {
namespace {

using Apply = std::function<Result<void>(Config&, const std::string&)>;

struct Setting {
    std::string name;  // snake_case; flag and env names derive from it
    std::string help;
    Apply apply;
};

// A setting's parser says only what is wrong; apply() adds which setting and where it came from.
Error
problem(std::string why)
{
    return Error{Code::kBadRequest, "bad_config", std::move(why), {}};
}

template <class T>
Apply
integer(T Config::*field, std::int64_t min, std::int64_t max)
{
    return [=](Config& c, const std::string& v) -> Result<void> {
        std::int64_t n = 0;
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || ptr != v.data() + v.size()) {
            return problem(fmt::format("'{}' is not a whole number", v));
        }
        if (n < min || n > max) {
            return problem(fmt::format("{} is outside {}..{}", n, min, max));
        }
        c.*field = static_cast<T>(n);
        return {};
    };
}

Apply
text(std::string Config::*field)
{
    return [=](Config& c, const std::string& v) -> Result<void> {
        c.*field = v;
        return {};
    };
}

Apply
list(std::vector<std::string> Config::*field)
{
    return [=](Config& c, const std::string& v) -> Result<void> {
        (c.*field).clear();
        std::stringstream in(v);
        std::string item;
        while (std::getline(in, item, ',')) {
            item.erase(0, item.find_first_not_of(' '));
            item.erase(item.find_last_not_of(' ') + 1);
            if (!item.empty()) {
                (c.*field).push_back(item);
            }
        }
        return {};
    };
}

Apply
boolean(bool Config::*field)
{
    return [=](Config& c, const std::string& v) -> Result<void> {
        if (v == "true" || v == "1" || v == "on" || v == "yes") {
            c.*field = true;
        } else if (v == "false" || v == "0" || v == "off" || v == "no") {
            c.*field = false;
        } else {
            return problem(fmt::format("'{}' is not true or false", v));
        }
        return {};
    };
}

Result<void>
apply_smtp_url(Config& c, const std::string& v)
{
    if (!v.empty() && !v.starts_with("smtp://") && !v.starts_with("smtps://")) {
        return problem(fmt::format("'{}' is not smtp://HOST[:PORT] or smtps://HOST[:PORT]", v));
    }
    const auto authority = v.substr(v.find("://") + 3);
    if (!v.empty() && (authority.empty() || authority.substr(0, authority.find('/')).find('@') != std::string::npos)) {
        return problem("give the server as smtp://HOST[:PORT]; the login goes in smtp_username and smtp_password");
    }
    c.smtp_url = v;
    return {};
}

Result<void>
apply_mail_from(Config& c, const std::string& v)
{
    const auto open = v.rfind('<');
    const auto address = open == std::string::npos ? v : v.substr(open + 1, v.size() - open - 2);
    const auto at = address.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= address.size() ||
        (open != std::string::npos && v.back() != '>') || v.find_first_of("\r\n") != std::string::npos) {
        return problem(fmt::format("'{}' is not an address or \"Name <address>\"", v));
    }
    c.mail_from = v;
    return {};
}

// "12.5" -> 1250 basis points: a percentage with at most two decimals, 0 to 50.
Result<void>
apply_fee_percent(Config& c, const std::string& v)
{
    const auto dot = v.find('.');
    const std::string whole = v.substr(0, dot);
    std::string fraction = dot == std::string::npos ? "" : v.substr(dot + 1);
    const auto digits = [](const std::string& s) {
        return std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isdigit(ch); });
    };
    if (whole.empty() || whole.size() > 3 || !digits(whole) || fraction.size() > 2 || !digits(fraction) ||
        (dot != std::string::npos && fraction.empty())) {
        return problem(fmt::format("'{}' is not a percentage such as 10 or 12.5", v));
    }
    fraction.resize(2, '0');
    const int bp = std::stoi(whole) * 100 + std::stoi(fraction);
    if (bp > 5000) {
        return problem(fmt::format("{} % is more than 50 %", v));
    }
    c.platform_fee_bp = bp;
    return {};
}

Result<void>
apply_listen(Config& c, const std::string& v)
{
    const auto colon = v.rfind(':');
    int port = -1;
    if (colon != std::string::npos && colon > 0) {
        auto [ptr, ec] = std::from_chars(v.data() + colon + 1, v.data() + v.size(), port);
        if (ec != std::errc() || ptr != v.data() + v.size()) {
            port = -1;
        }
    }
    if (port < 0 || port > 65535) {
        return problem(fmt::format("'{}' is not HOST:PORT", v));
    }
    c.listen = v;
    return {};
}

const std::vector<Setting>&
settings()
{
    static const std::vector<Setting> all = {
        {"listen", "address to serve on, HOST:PORT (default 127.0.0.1:8080)", apply_listen},
        {"data_dir", "where the database, media and secret live (default ./data)", text(&Config::data_dir)},
        {"log_format", "json or text (default json)",
         [](Config& c, const std::string& v) -> Result<void> {
             if (v == "json") {
                 c.log_format = log::Format::kJson;
             } else if (v == "text") {
                 c.log_format = log::Format::kText;
             } else {
                 return problem(fmt::format("'{}' is not json or text", v));
             }
             return {};
         }},
        {"log_level", "debug, info, warn or error (default info)",
         [](Config& c, const std::string& v) -> Result<void> {
             static const std::map<std::string, log::Level> levels = {
                 {"debug", log::Level::kDebug}, {"info", log::Level::kInfo},
                 {"warn", log::Level::kWarn}, {"error", log::Level::kError}};
             auto it = levels.find(v);
             if (it == levels.end()) {
                 return problem(fmt::format("'{}' is not debug, info, warn or error", v));
             }
             c.log_level = it->second;
             return {};
         }},
        {"access_log", "log every request (default true)", boolean(&Config::access_log)},
        {"threads", "network threads, 0 = one per core", integer(&Config::threads, 0, 256)},
        {"blocking_threads", "threads for handlers that write or hash (default 32)",
         integer(&Config::blocking_threads, 1, 1024)},
        {"job_workers", "background job workers, 0 = one per core", integer(&Config::job_workers, 0, 256)},
        {"max_connections", "open connections at most (default 10000)", integer(&Config::max_connections, 1, 1000000)},
        {"read_timeout_s", "seconds a request may take to arrive (default 30)", integer(&Config::read_timeout_s, 1, 3600)},
        {"idle_timeout_s", "seconds an idle keep-alive connection stays open (default 75)",
         integer(&Config::idle_timeout_s, 1, 3600)},
        {"max_json_body", "largest JSON body in bytes (default 1 MiB)",
         integer(&Config::max_json_body, 1024, std::int64_t{1} << 30)},
        {"max_upload", "largest upload in bytes (default 200 MiB)",
         integer(&Config::max_upload, 1024, std::int64_t{1} << 40)},
        {"max_duration_s", "longest audio accepted, in seconds (default 1200 = 20 minutes)",
         integer(&Config::max_duration_s, 1, 24 * 3600)},
        {"preview_max_s", "a preview (and its waveform) covers at most this many seconds (default 300)",
         integer(&Config::preview_max_s, 1, 24 * 3600)},
        {"media_workers", "FFmpeg worker processes at once for processing, 0 = one per core (one more is kept for "
         "uploads)",
         integer(&Config::media_workers, 0, 256)},
        {"min_free_mb", "free disk (MiB) under which /readyz answers 503 and uploads 507 (default 100)",
         integer(&Config::min_free_mb, 0, 1 << 24)},
        {"auth_rate", "signups and logins per client address per minute, 0 = off (default 30)",
         integer(&Config::auth_rate, 0, 1000000)},
        {"ws_rate", "messages one WebSocket connection, or one user through POST /api/chat/send, may send per 10 s, "
         "0 = off (default 100)",
         integer(&Config::ws_rate, 0, 1000000)},
        {"ws_per_user", "WebSockets one user may hold open, 0 = no limit (default 20)",
         integer(&Config::ws_per_user, 0, 100000)},
        {"cors_origins", "comma list of origins allowed by CORS and for WebSockets", list(&Config::cors_origins)},
        {"trusted_proxies", "comma list of proxy addresses whose X-Forwarded-For is believed",
         list(&Config::trusted_proxies)},
        {"token_ttl_s", "token lifetime in seconds (default 7 days)", integer(&Config::token_ttl_s, 60, 365 * 24 * 3600)},
        {"hash_concurrency", "password hashes at once, 0 = one per core", integer(&Config::hash_concurrency, 0, 64)},
        {"hash_queue", "password hashes allowed to wait (default 64)", integer(&Config::hash_queue, 0, 100000)},
        {"assets_dir", "serve the web UI from this folder instead of the binary (development)",
         text(&Config::assets_dir)},
        {"demo", "fill an empty store with the demo catalogue on start (default false)", boolean(&Config::demo)},
        {"public_url", "this server's address as buyers' browsers reach it (default http://127.0.0.1:8080)",
         text(&Config::public_url)},
        {"stripe_secret_key", "Stripe secret key; enables the stripe payment provider", text(&Config::stripe_secret_key)},
        {"stripe_webhook_secret", "Stripe webhook signing secret (whsec_...)", text(&Config::stripe_webhook_secret)},
        {"stripe_api_base", "Stripe's API address (default https://api.stripe.com; tests use a stand-in)",
         text(&Config::stripe_api_base)},
        {"allow_test_payments",
         "keep the test payment provider (free licenses with tok_visa) on although Stripe is configured: staging "
         "only (default false)",
         boolean(&Config::allow_test_payments)},
        {"smtp_url", "SMTP server for mail, smtp://HOST:PORT (STARTTLS) or smtps://HOST:PORT; unset: mail is held",
         apply_smtp_url},
        {"smtp_username", "SMTP login name (AUTH); unset: no login", text(&Config::smtp_username)},
        {"smtp_password", "SMTP password", text(&Config::smtp_password)},
        {"smtp_starttls", "require STARTTLS on smtp:// (default true; false only for a server on loopback)",
         boolean(&Config::smtp_starttls)},
        {"smtp_ca_file", "a PEM file of CA certificates to trust for the SMTP server (default: the system's)",
         text(&Config::smtp_ca_file)},
        {"smtp_timeout_s", "seconds one SMTP exchange may take (default 30)", integer(&Config::smtp_timeout_s, 1, 600)},
        {"mail_from", "sender of mail, an address or \"Name <address>\" (default Backbeat <no-reply@backbeat.local>)",
         apply_mail_from},
        {"platform_fee_percent", "the platform's cut of each sale in percent, up to two decimals (default 10)",
         apply_fee_percent},
        {"stripe_connect_webhook_secret", "signing secret of the Stripe Connect webhook (account.updated)",
         text(&Config::stripe_connect_webhook_secret)},
        {"offer_window_s", "seconds an offer waits for an answer, and an accepted one for its checkout (default 48 h)",
         integer(&Config::offer_window_s, 1, 90 * 24 * 3600)},
    };
    return all;
}

std::string
flag_name(const std::string& name)
{
    std::string out = name;
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
}

std::string
env_name(const std::string& name)
{
    std::string out = "BACKBEAT_" + name;
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
    return out;
}

const Setting*
find_setting(const std::string& name)
{
    for (const auto& s : settings()) {
        if (s.name == name) {
            return &s;
        }
    }
    return nullptr;
}

Result<void>
apply(Config& c, const Setting& s, const std::string& value, const std::string& where)
{
    auto r = s.apply(c, value);
    if (!r) {
        auto e = r.error();
        e.message = fmt::format("invalid value for {} ({}): {}", s.name, where, e.message);
        return e;
    }
    return {};
}

Result<void>
apply_file(Config& c, const std::string& path)
{
    std::ifstream in(path);
    if (!in) {
        return problem(fmt::format("cannot read config file {}", path));
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    boost::system::error_code ec;
    auto value = boost::json::parse(buffer.str(), ec);
    if (ec || !value.is_object()) {
        return problem(fmt::format("config file {} is not a JSON object", path));
    }
    for (const auto& [key, v] : value.as_object()) {
        const Setting* s = find_setting(std::string(key));
        if (s == nullptr) {
            return problem(fmt::format("config file {} has an unknown key '{}'", path, std::string_view(key)));
        }
        std::string text;
        if (v.is_string()) {
            text = v.as_string();
        } else if (v.is_array()) {
            for (const auto& item : v.as_array()) {
                text += (text.empty() ? "" : ",") + (item.is_string() ? std::string(item.as_string())
                                                                      : boost::json::serialize(item));
            }
        } else {
            text = boost::json::serialize(v);
        }
        if (auto r = apply(c, *s, text, path); !r) {
            return r;
        }
    }
    return {};
}

}  // namespace

Result<CommandLine>
parse_command_line(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                   const std::vector<std::string>& command_flags)
{
    CommandLine out;
    std::map<std::string, std::string> flags;  // settings given as flags, by setting name
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.rfind("--", 0) != 0) {
            out.command.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2);
        std::optional<std::string> value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        }
        std::replace(name.begin(), name.end(), '-', '_');
        const bool is_setting = find_setting(name) != nullptr || name == "config";
        const bool is_command_flag = std::find(command_flags.begin(), command_flags.end(), name) != command_flags.end();
        if (!is_setting && !is_command_flag) {
            return problem(fmt::format("unknown flag {} (see backbeat --help)", arg));
        }
        if (!value) {
            // A flag with no value is a switch (--admin); otherwise the next word is its value.
            if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
                value = args[++i];
            } else if (is_command_flag) {
                value = "true";
            } else {
                return problem(fmt::format("flag --{} needs a value", flag_name(name)));
            }
        }
        (is_setting ? flags : out.options)[name] = *value;
    }

    std::string file;
    if (auto it = env.find("BACKBEAT_CONFIG"); it != env.end()) {
        file = it->second;
    }
    if (auto it = flags.find("config"); it != flags.end()) {
        file = it->second;
        flags.erase(it);
    }
    if (!file.empty()) {
        out.config.config_file = file;
        if (auto r = apply_file(out.config, file); !r) {
            return r.error();
        }
    }
    for (const auto& s : settings()) {
        if (auto it = env.find(env_name(s.name)); it != env.end()) {
            if (auto r = apply(out.config, s, it->second, env_name(s.name)); !r) {
                return r.error();
            }
        }
    }
    for (const auto& [name, value] : flags) {
        if (auto r = apply(out.config, *find_setting(name), value, "--" + flag_name(name)); !r) {
            return r.error();
        }
    }
    return out;
}

std::map<std::string, std::string>
environment()
{
    std::map<std::string, std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        if (auto eq = entry.find('='); eq != std::string_view::npos && entry.rfind("BACKBEAT_", 0) == 0) {
            out.emplace(entry.substr(0, eq), entry.substr(eq + 1));
        }
    }
    return out;
}

std::string
settings_help()
{
    std::string out;
    for (const auto& s : settings()) {
        out += fmt::format("  --{:<20} {:<28} {}\n", flag_name(s.name), env_name(s.name), s.help);
    }
    out += fmt::format("  --{:<20} {:<28} {}\n", "config", "BACKBEAT_CONFIG", "a JSON file of settings (keys as above, snake_case)");
    return out;
}

}  // namespace bb::core
