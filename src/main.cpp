// backbeat: the one binary. Lists the modules (in dependency order) and runs a command.
#include "core/app.hpp"
#include "core/child_process.hpp"
#include "core/config.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "modules/agreements/agreements.hpp"
#include "modules/beats/beats.hpp"
#include "modules/chat/chat.hpp"
#include "modules/commerce/commerce.hpp"
#include "modules/forums/forums.hpp"
#include "modules/free_downloads/free_downloads.hpp"
#include "modules/mail/mail.hpp"
#include "modules/moderation/moderation.hpp"
#include "modules/notifications/notifications.hpp"
#include "modules/payouts/payouts.hpp"
#include "modules/playlists/playlists.hpp"
#include "modules/purchases/purchases.hpp"
#include "modules/reviews/reviews.hpp"
#include "modules/shares/shares.hpp"
#include "modules/subsonic/subsonic.hpp"
#include "modules/users/users.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage = R"(backbeat: a beats marketplace and music streaming server in one binary.

Usage:
  backbeat [serve] [settings]            run the server (the default command)
  backbeat migrate [settings]            create or upgrade the database, then exit
  backbeat demo [settings]               add the demo catalogue (producers and ~30 synthesized beats)
  backbeat user create --username U --email E --password P [--admin] [settings]
                                         create an account (works while the server runs)
  backbeat --version | --help

Settings (flag, environment variable, meaning); a JSON file given by --config may set any of
them by its snake_case name. Flags beat the environment, which beats the file.
)";

struct Modules {
    bb::users::UsersModule& users;
    bb::beats::BeatsModule& beats;
};

// The one list of modules, in dependency order (started in this order, stopped in reverse).
Modules
add_modules(bb::core::App& app)
{
    auto& mail = app.modules().add<bb::mail::MailModule>(app.services());
    auto& users = app.modules().add<bb::users::UsersModule>(app.services(), mail);
    auto& beats = app.modules().add<bb::beats::BeatsModule>(app.services(), users);
    auto& playlists = app.modules().add<bb::playlists::PlaylistsModule>(app.services(), beats);
    auto& purchases = app.modules().add<bb::purchases::PurchasesModule>(app.services(), users, beats);
    app.modules().add<bb::chat::ChatModule>(app.services(), users);
    app.modules().add<bb::reviews::ReviewsModule>(app.services(), users, beats);
    app.modules().add<bb::forums::ForumsModule>(app.services(), users, beats);
    app.modules().add<bb::commerce::CommerceModule>(app.services(), users, beats, purchases, mail);
    app.modules().add<bb::notifications::NotificationsModule>(app.services(), users);
    app.modules().add<bb::subsonic::SubsonicModule>(app.services(), users, beats, playlists);
    app.modules().add<bb::shares::SharesModule>(app.services(), users, beats, playlists);
    app.modules().add<bb::agreements::AgreementsModule>(app.services(), users, beats, mail);
    app.modules().add<bb::moderation::ModerationModule>(app.services(), users, beats, mail);
    app.modules().add<bb::free_downloads::FreeDownloadsModule>(app.services(), users, beats, mail);
    app.modules().add<bb::payouts::PayoutsModule>(app.services(), users, beats, mail);
    return {users, beats};
}

int
create_user(bb::users::UsersModule& users, const std::map<std::string, std::string>& options)
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
    auto created = users.create({option("username"), option("email"), option("password"), option("admin") == "true"});
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
    if (!args.empty() && args.front() == "media-worker") {
        // The child that decodes untrusted media: limits first, then the work; no server state.
        args.erase(args.begin());
        bb::core::apply_child_limits(args);
        return bb::beats::run_media_worker(std::move(args));
    }
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
    const bool demo = command == std::vector<std::string>{"demo"};
    if (!serve && !migrate && !user_create && !demo) {
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

    // sendfile(2) to a peer that hung up raises SIGPIPE; the error code is what we want instead.
    std::signal(SIGPIPE, SIG_IGN);
    bb::core::crypto::init();
    bb::core::log::configure(cli->config.log_format, cli->config.log_level);
    bb::core::App app(cli->config);
    if (auto error = app.open(); !error.empty()) {
        bb::core::log::error("core", error);
        std::fprintf(stderr, "backbeat: %s\n", error.c_str());
        return 1;
    }
    auto modules = add_modules(app);
    if (migrate) {
        return 0;
    }
    if (user_create) {
        return create_user(modules.users, cli->options);
    }
    if (demo) {
        auto made = modules.beats.create_demo_catalogue(30);
        if (!made) {
            std::fprintf(stderr, "backbeat: %s\n", made.error().message.c_str());
            return 1;
        }
        std::printf("%d demo beats added; they are processed when the server runs\n", *made);
        return 0;
    }
    return app.serve();
}
