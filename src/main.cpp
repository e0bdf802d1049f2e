// backbeat: the one binary. Lists the modules (in dependency order) and runs a command.
#include "core/app.hpp"
#include "core/config.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "modules/users/users.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage = R"(backbeat: a beats marketplace and music streaming server in one binary.

Usage:
  backbeat [serve] [settings]            run the server (the default command)
  backbeat migrate [settings]            create or upgrade the database, then exit
  backbeat user create --username U --email E --password P [--admin] [settings]
                                         create an account (works while the server runs)
  backbeat --version | --help

Settings (flag, environment variable, meaning); a JSON file given by --config may set any of
them by its snake_case name. Flags beat the environment, which beats the file.
)";

void
add_modules(bb::core::App& app)
{
    app.modules().add<bb::users::UsersModule>(app.services());
}

int
create_user(bb::core::App& app, const std::map<std::string, std::string>& options)
{
    auto option = [&](const char* name) {
        auto it = options.find(name);
        return it == options.end() ? std::string() : it->second;
    };
    for (const char* required : {"username", "email", "password"}) {
        if (option(required).empty()) {
            std::fprintf(stderr, "backbeat: user create needs --%s\n", required);
            return 2;
        }
    }
    auto& users = app.modules().modules().front();
    (void)users;
    auto& module = static_cast<bb::users::UsersModule&>(*app.modules().modules().front());
    auto created = module.create({option("username"), option("email"), option("password"), option("admin") == "true"});
    if (!created) {
        std::fprintf(stderr, "backbeat: %s\n", created.error().message.c_str());
        return 1;
    }
    boost::json::object out{{"user_id", created->user_id}, {"username", created->username}, {"role", created->role}};
    std::printf("%s\n", boost::json::serialize(out).c_str());
    return 0;
}

}  // namespace

int
main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    for (const auto& arg : args) {
        if (arg == "--version" || arg == "-V") {
            std::printf("backbeat %s\n", BACKBEAT_VERSION);
            return 0;
        }
        if (arg == "--help" || arg == "-h") {
            std::printf("%s%s", kUsage, bb::core::settings_help().c_str());
            return 0;
        }
    }
    auto cli = bb::core::parse_command_line(args, bb::core::environment(), {"username", "email", "password", "admin"});
    if (!cli) {
        std::fprintf(stderr, "backbeat: %s\n", cli.error().message.c_str());
        return 2;
    }
    const auto& command = cli->command;
    const bool serve = command.empty() || command == std::vector<std::string>{"serve"};
    const bool migrate = command == std::vector<std::string>{"migrate"};
    const bool user_create = command == std::vector<std::string>{"user", "create"};
    if (!serve && !migrate && !user_create) {
        std::fprintf(stderr, "backbeat: unknown command '%s' (see backbeat --help)\n", fmt::format("{}", fmt::join(command, " ")).c_str());
        return 2;
    }
    if (!serve && !cli->options.empty() && !user_create) {
        std::fprintf(stderr, "backbeat: --%s is only for 'user create'\n", cli->options.begin()->first.c_str());
        return 2;
    }
    if (serve && !cli->options.empty()) {
        std::fprintf(stderr, "backbeat: --%s is only for 'user create'\n", cli->options.begin()->first.c_str());
        return 2;
    }

    bb::core::crypto::init();
    bb::core::log::configure(cli->config.log_format, cli->config.log_level);
    bb::core::App app(cli->config);
    if (auto error = app.open(); !error.empty()) {
        bb::core::log::error("core", error);
        std::fprintf(stderr, "backbeat: %s\n", error.c_str());
        return 1;
    }
    add_modules(app);
    if (migrate) {
        return 0;
    }
    if (user_create) {
        return create_user(app, cli->options);
    }
    return app.serve();
}
