#include "core/config.hpp"

#include "../support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

using bb::core::CommandLine;
using bb::core::parse_command_line;
using Env = std::map<std::string, std::string>;
using Args = std::vector<std::string>;

const std::vector<std::string> kCommandFlags = {"username", "email", "admin"};

CommandLine
parse_ok(const Args& args, const Env& env = {})
{
    auto r = parse_command_line(args, env, kCommandFlags);
    if (!r) {
        FAIL("unexpected error: " << r.error().message);
    }
    return *r;
}

std::string
parse_error(const Args& args, const Env& env = {})
{
    auto r = parse_command_line(args, env, kCommandFlags);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == bb::core::Code::kBadRequest);
    return r.error().message;
}

bool
contains(const std::string& haystack, const std::string& needle)
{
    return haystack.find(needle) != std::string::npos;
}

void
write_file(const std::string& path, const std::string& text)
{
    std::ofstream out(path);
    out << text;
}

}  // namespace

TEST_SUITE("core/config") {

TEST_CASE("defaults when nothing is given") {
    auto cl = parse_ok({});
    CHECK(cl.command.empty());
    CHECK(cl.options.empty());
    CHECK(cl.config.listen == "127.0.0.1:8080");
    CHECK(cl.config.data_dir == "./data");
    CHECK(cl.config.config_file.empty());
    CHECK(cl.config.log_format == bb::core::log::Format::kJson);
    CHECK(cl.config.log_level == bb::core::log::Level::kInfo);
    CHECK(cl.config.access_log);
    CHECK(cl.config.threads == 0);
    CHECK(cl.config.blocking_threads == 32);
    CHECK(cl.config.max_json_body == (1 << 20));
    CHECK(cl.config.auth_rate == 30);
    CHECK(cl.config.token_ttl_s == 7 * 24 * 3600);
    CHECK(cl.config.cors_origins.empty());
    CHECK(cl.config.trusted_proxies.empty());
}

TEST_CASE("--flag=value and --flag value are the same") {
    auto eq = parse_ok({"--auth-rate=7", "--data-dir=/tmp/x"});
    auto sp = parse_ok({"--auth-rate", "7", "--data-dir", "/tmp/x"});
    CHECK(eq.config.auth_rate == 7);
    CHECK(sp.config.auth_rate == 7);
    CHECK(eq.config.data_dir == "/tmp/x");
    CHECK(sp.config.data_dir == "/tmp/x");
    // Underscores are accepted in flag names too.
    CHECK(parse_ok({"--auth_rate=9"}).config.auth_rate == 9);
    // A value may contain '='.
    CHECK(parse_ok({"--data-dir=/a=b"}).config.data_dir == "/a=b");
}

TEST_CASE("typed settings: enums, booleans, 64-bit numbers") {
    auto cl = parse_ok({"--log-format", "text", "--log-level=debug", "--access-log=off", "--max-upload",
                        "1099511627776", "--max-json-body=2048"});
    CHECK(cl.config.log_format == bb::core::log::Format::kText);
    CHECK(cl.config.log_level == bb::core::log::Level::kDebug);
    CHECK_FALSE(cl.config.access_log);
    CHECK(cl.config.max_upload == (std::int64_t{1} << 40));
    CHECK(cl.config.max_json_body == 2048);
    CHECK(contains(parse_error({"--log-level=loud"}), "log_level"));
    CHECK(contains(parse_error({"--access-log=maybe"}), "access_log"));
}

TEST_CASE("precedence: flags > environment > file > defaults") {
    bb::test::TempDir dir;
    const auto file = dir.file("backbeat.json");
    write_file(file, R"({"auth_rate": 11, "threads": 3, "data_dir": "/from/file", "hash_queue": 5})");

    SUBCASE("file over defaults") {
        auto cl = parse_ok({"--config", file});
        CHECK(cl.config.config_file == file);
        CHECK(cl.config.auth_rate == 11);
        CHECK(cl.config.threads == 3);
        CHECK(cl.config.data_dir == "/from/file");
        CHECK(cl.config.hash_queue == 5);
        CHECK(cl.config.blocking_threads == 32);  // untouched default
    }
    SUBCASE("environment over file, flags over environment") {
        Env env{{"BACKBEAT_AUTH_RATE", "22"}, {"BACKBEAT_THREADS", "4"}, {"BACKBEAT_CONFIG", file}};
        auto cl = parse_ok({"--threads=5"}, env);
        CHECK(cl.config.config_file == file);
        CHECK(cl.config.threads == 5);      // flag
        CHECK(cl.config.auth_rate == 22);   // env
        CHECK(cl.config.hash_queue == 5);   // file
        CHECK(cl.config.data_dir == "/from/file");
        CHECK(cl.config.blocking_threads == 32);  // default
    }
    SUBCASE("--config beats BACKBEAT_CONFIG") {
        const auto other = dir.file("other.json");
        write_file(other, R"({"auth_rate": 44})");
        auto cl = parse_ok({"--config=" + other}, {{"BACKBEAT_CONFIG", file}});
        CHECK(cl.config.config_file == other);
        CHECK(cl.config.auth_rate == 44);
        CHECK(cl.config.threads == 0);
    }
    SUBCASE("environment variables that are not settings are ignored") {
        auto cl = parse_ok({}, {{"BACKBEAT_NOT_A_SETTING", "1"}, {"HOME", "/root"}});
        CHECK(cl.config.auth_rate == 30);
    }
}

TEST_CASE("config file problems name the file and the key") {
    bb::test::TempDir dir;
    const auto file = dir.file("c.json");

    SUBCASE("missing file") {
        CHECK(contains(parse_error({"--config", dir.file("absent.json")}), "absent.json"));
    }
    SUBCASE("not JSON") {
        write_file(file, "{ nope");
        CHECK(contains(parse_error({"--config", file}), "c.json"));
    }
    SUBCASE("not an object") {
        write_file(file, "[1, 2]");
        CHECK(contains(parse_error({"--config", file}), "c.json"));
    }
    SUBCASE("unknown key") {
        write_file(file, R"({"auth_rate": 1, "colour": "blue"})");
        const auto message = parse_error({"--config", file});
        CHECK(contains(message, "colour"));
    }
    SUBCASE("bad value names the setting and the file") {
        write_file(file, R"({"threads": "many"})");
        const auto message = parse_error({"--config", file});
        CHECK(contains(message, "threads"));
        CHECK(contains(message, file));
        CHECK(contains(message, "many"));
    }
    SUBCASE("lists and booleans in their JSON forms") {
        write_file(file, R"({"cors_origins": ["https://a.test", "https://b.test"], "access_log": false,
                             "trusted_proxies": "10.0.0.1, 10.0.0.2"})");
        auto cl = parse_ok({"--config", file});
        CHECK(cl.config.cors_origins == std::vector<std::string>{"https://a.test", "https://b.test"});
        CHECK(cl.config.trusted_proxies == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
        CHECK_FALSE(cl.config.access_log);
    }
}

TEST_CASE("an unknown flag is an error that names it") {
    const auto message = parse_error({"--colour=blue"});
    CHECK(message.rfind("unknown flag --colour", 0) == 0);
    CHECK(contains(parse_error({"serve", "--nope"}), "--nope"));
}

TEST_CASE("a bad number names the setting and where it came from") {
    SUBCASE("flag") {
        const auto message = parse_error({"--threads=lots"});
        CHECK(contains(message, "threads"));
        CHECK(contains(message, "--threads"));
        CHECK(contains(message, "lots"));
    }
    SUBCASE("environment") {
        const auto message = parse_error({}, {{"BACKBEAT_AUTH_RATE", "12abc"}});
        CHECK(contains(message, "auth_rate"));
        CHECK(contains(message, "BACKBEAT_AUTH_RATE"));
    }
    SUBCASE("out of range") {
        const auto message = parse_error({"--threads", "100000"});
        CHECK(contains(message, "threads"));
        CHECK(contains(message, "0..256"));
        CHECK(contains(parse_error({"--blocking-threads=0"}), "blocking_threads"));
        CHECK(contains(parse_error({"--auth-rate=-1"}), "auth_rate"));
    }
    SUBCASE("empty") {
        CHECK(contains(parse_error({"--threads="}), "threads"));
    }
}

TEST_CASE("a setting flag without a value is an error") {
    CHECK(contains(parse_error({"--threads"}), "--threads"));
    CHECK(contains(parse_error({"--threads", "--auth-rate=3"}), "--threads"));
}

TEST_CASE("listen must be HOST:PORT") {
    CHECK(parse_ok({"--listen=0.0.0.0:9000"}).config.listen == "0.0.0.0:9000");
    CHECK(parse_ok({"--listen", "[::1]:8081"}).config.listen == "[::1]:8081");
    CHECK(parse_ok({"--listen=localhost:0"}).config.listen == "localhost:0");
    for (const char* bad : {"8080", ":8080", "localhost:", "localhost:http", "localhost:65536", "localhost:-1",
                            "localhost:80x", ""}) {
        CAPTURE(bad);
        const auto message = parse_error({std::string("--listen=") + bad});
        CHECK(contains(message, "listen"));
    }
}

TEST_CASE("command words and command flags are collected") {
    auto cl = parse_ok({"user", "create", "--username", "alice", "--email=a@example.com", "--admin", "--threads=2"});
    CHECK(cl.command == std::vector<std::string>{"user", "create"});
    CHECK(cl.options.size() == 3);
    CHECK(cl.options.at("username") == "alice");
    CHECK(cl.options.at("email") == "a@example.com");
    CHECK(cl.options.at("admin") == "true");  // a switch
    CHECK(cl.config.threads == 2);
    // A switch at the very end, and command flags never leak into the settings.
    auto end = parse_ok({"user", "create", "--admin"});
    CHECK(end.options.at("admin") == "true");
    CHECK(end.config.threads == 0);
}

TEST_CASE("command flags are not settings, and settings are not command flags") {
    // --username is only known because the caller listed it.
    auto r = parse_command_line({"--username=x"}, {}, {});
    REQUIRE_FALSE(r.has_value());
    CHECK(contains(r.error().message, "--username"));
    // Settings do not end up in options.
    auto cl = parse_ok({"--auth-rate=3"});
    CHECK(cl.options.empty());
}

TEST_CASE("list settings split on commas and trim spaces") {
    auto cl = parse_ok({"--cors-origins", "a, b"});
    CHECK(cl.config.cors_origins == std::vector<std::string>{"a", "b"});
    auto messy = parse_ok({}, {{"BACKBEAT_CORS_ORIGINS", " https://x.test ,, https://y.test ,"}});
    CHECK(messy.config.cors_origins == std::vector<std::string>{"https://x.test", "https://y.test"});
    // A later source replaces the list rather than appending to it.
    auto replaced = parse_ok({"--cors-origins=c"}, {{"BACKBEAT_CORS_ORIGINS", "a,b"}});
    CHECK(replaced.config.cors_origins == std::vector<std::string>{"c"});
    CHECK(parse_ok({"--cors-origins="}).config.cors_origins.empty());
}

TEST_CASE("settings_help lists every flag with its environment variable") {
    const auto help = bb::core::settings_help();
    CHECK(contains(help, "--auth-rate"));
    CHECK(contains(help, "BACKBEAT_AUTH_RATE"));
    CHECK(contains(help, "--cors-origins"));
    CHECK(contains(help, "BACKBEAT_CONFIG"));
}

}  // TEST_SUITE
