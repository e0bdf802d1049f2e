#include "core/app.hpp"

#include "core/child_process.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/db.hpp"
#include "core/disk.hpp"
#include "core/embedded.hpp"
#include "core/event_bus.hpp"
#include "core/jobs.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/migrations.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "http/ws_hub.hpp"

#include <boost/json/serialize.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace bb::core {
namespace fs = std::filesystem;

namespace {

int
cores()
{
    return std::max(1u, std::thread::hardware_concurrency());
}

// The token-signing secret: made once, kept in the data dir, readable by us alone.
std::string
load_or_create_secret(const fs::path& path, std::string& error)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
        const std::string secret = crypto::hex(crypto::random_bytes(32));
        const bool ok = ::write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size()) &&
                        ::fsync(fd) == 0;
        ::close(fd);
        if (!ok) {
            error = "cannot write " + path.string();
            return {};
        }
        return secret;
    }
    std::ifstream in(path);
    std::string secret;
    if (!in || !std::getline(in, secret) || secret.size() < 32) {
        error = "cannot read the signing secret " + path.string();
        return {};
    }
    ::chmod(path.c_str(), 0600);
    return secret;
}

}  // namespace

struct App::State {
    std::string secret;
    std::unique_ptr<Db> db;
    std::unique_ptr<EventBus> bus;
    std::unique_ptr<JobRunner> jobs;
    Metrics metrics;
    http::WsHub hub;
    std::unique_ptr<Services> services;
    std::int64_t started_ms = clock::now_ms();
};

App::App(Config config) : config_(std::move(config)), state_(std::make_unique<State>()) {}

App::~App()
{
    modules_.stop_all();
    if (state_->jobs) {
        state_->jobs->stop();
    }
    if (state_->bus) {
        state_->bus->stop(std::chrono::milliseconds(0));
    }
}

std::string
App::open()
{
    // Everything the server writes (the database and its WAL, media, uploads, the secret) is ours
    // alone: files 0600, folders 0700. Children (the media worker) inherit it.
    ::umask(0077);
    set_max_children(config_.media_workers > 0 ? config_.media_workers : cores());
    std::error_code ec;
    fs::create_directories(config_.data_dir, ec);
    if (ec) {
        return "cannot create data dir " + config_.data_dir + ": " + ec.message();
    }
    // Uploads stream here; whatever a crash left behind was never acknowledged.
    fs::remove_all(fs::path(config_.data_dir) / "tmp", ec);
    fs::create_directories(fs::path(config_.data_dir) / "tmp", ec);
    if (ec) {
        return "cannot create " + (fs::path(config_.data_dir) / "tmp").string() + ": " + ec.message();
    }
    std::string error;
    state_->secret = load_or_create_secret(fs::path(config_.data_dir) / "secret.key", error);
    if (!error.empty()) {
        return error;
    }
    // A database made by an older version may be world-readable; SQLite gives its WAL and shared
    // memory files the database's own mode.
    for (const char* name : {"backbeat.db", "backbeat.db-wal", "backbeat.db-shm"}) {
        ::chmod((fs::path(config_.data_dir) / name).c_str(), 0600);
    }
    try {
        state_->db = std::make_unique<Db>(Db::Options{(fs::path(config_.data_dir) / "backbeat.db").string()});
        auto migrations = parse_migrations(embedded::migrations());
        if (!migrations) {
            return migrations.error().message;
        }
        auto applied = migrate(*state_->db, *migrations);
        if (!applied) {
            return applied.error().message;
        }
    } catch (const std::exception& e) {
        return std::string("cannot open the database: ") + e.what();
    }
    state_->bus = std::make_unique<EventBus>(*state_->db);
    state_->jobs = std::make_unique<JobRunner>(*state_->db, config_.job_workers > 0 ? config_.job_workers : cores());
    state_->db->on_published([bus = state_->bus.get()] { bus->wake(); });
    // A commit carries many writes (group commit); their broadcasts to one socket leave in one
    // write instead of one per message.
    state_->db->around_hooks([](const std::function<void()>& run) {
        http::WsCork cork;
        run();
    });
    state_->db->on_enqueued([jobs = state_->jobs.get()] { jobs->wake(); });
    state_->services = std::make_unique<Services>(
        Services{config_, *state_->db, *state_->bus, *state_->jobs, state_->metrics, state_->secret, state_->hub});
    return {};
}

Services&
App::services()
{
    return *state_->services;
}

namespace {

void
add_operations_routes(http::Router& router, const ModuleRegistry& modules, Db& db, Metrics& metrics,
                      std::int64_t started_ms, const Config& config)
{
    using http::Response;
    router.add({.method = "GET",
                .path = "/healthz",
                .doc = {.summary = "Liveness", .tag = "operations", .responses = {{200, "Status"}}},
                .handler = [](const http::Request&) -> http::Reply {
                    return Response::json(200, {{"status", "ok"}});
                }});
    router.add({.method = "GET",
                .path = "/readyz",
                .doc = {.summary = "Readiness: database open, migrations applied, free disk above min_free_mb",
                        .tag = "operations", .responses = {{200, "Status"}, {503, "Error"}}},
                .handler = [&db, &config](const http::Request&) -> http::Reply {
                    // A server that cannot save anything should get no traffic until it can.
                    const auto free = free_bytes(config.data_dir);
                    const std::int64_t min_free = std::int64_t{config.min_free_mb} << 20;
                    if (free && *free < min_free) {
                        return Error{Code::kUnavailable, "low_disk_space",
                                     "free disk space is below min_free_mb; writes may fail",
                                     {{"free_bytes", *free}, {"min_free_bytes", min_free}, {"retry_after_s", 30}}};
                    }
                    try {
                        db.read([](Conn& conn) {
                            auto q = conn.query("SELECT COUNT(*) FROM core_migrations");
                            q.step();
                        });
                        return Response::json(200, {{"status", "ready"}});
                    } catch (const std::exception& e) {
                        return unavailable(std::string("database not ready: ") + e.what());
                    }
                }});
    router.add({.method = "GET",
                .path = "/api/status",
                .doc = {.summary = "Version, uptime and each module's health", .tag = "operations",
                        .responses = {{200, "ServiceStatus"}}},
                .handler = [&modules, started_ms](const http::Request&) -> http::Reply {
                    boost::json::array list;
                    for (const auto& m : modules.modules()) {
                        auto health = m->health();
                        boost::json::object item{{"name", m->name()}, {"healthy", health.healthy}};
                        if (!health.detail.empty()) {
                            item["detail"] = health.detail;
                        }
                        list.push_back(std::move(item));
                    }
                    return Response::json(200, {{"version", BACKBEAT_VERSION},
                                                {"uptime_s", (clock::now_ms() - started_ms) / 1000},
                                                {"modules", std::move(list)}});
                }});
    router.add({.method = "GET",
                .path = "/metrics",
                .doc = {.summary = "Prometheus metrics", .tag = "operations", .responses = {{200, "text"}}},
                .handler = [&metrics](const http::Request&) -> http::Reply {
                    return Response::text(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
                }});
    router.add({.method = "GET",
                .path = "/api/openapi.json",
                .doc = {.summary = "This API's OpenAPI 3.1 description", .tag = "operations", .responses = {{200, ""}}},
                .handler = [&router](const http::Request&) -> http::Reply {
                    static const std::string spec = boost::json::serialize(router.openapi(BACKBEAT_VERSION));
                    return Response::text(200, spec, "application/json; charset=utf-8");
                }});
    router.schema("Status", R"({"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}})");
    router.schema("ServiceStatus", R"({"type": "object", "required": ["version", "uptime_s", "modules"], "properties": {
        "version": {"type": "string"}, "uptime_s": {"type": "integer"},
        "modules": {"type": "array", "items": {"type": "object", "required": ["name", "healthy"], "properties": {
            "name": {"type": "string"}, "healthy": {"type": "boolean"}, "detail": {"type": "string"}}}}}})");
}

}  // namespace

int
App::serve()
{
    auto& db = *state_->db;
    auto& bus = *state_->bus;
    auto& jobs = *state_->jobs;
    auto& metrics = state_->metrics;

    http::Router router;
    modules_.wire(router, bus, jobs);
    add_operations_routes(router, modules_, db, metrics, state_->started_ms, config_);
    auto assets = http::static_files(config_.assets_dir);
    router.add({.method = "GET", .path = "/api/docs", .handler = [assets](const http::Request& req) -> http::Reply {
                    http::Request docs = req;
                    docs.path = "/docs/index.html";
                    return assets(docs);
                }});
    router.set_fallback(assets);

    http::Server server(
        {.listen = config_.listen,
         .threads = config_.threads > 0 ? config_.threads : cores(),
         .blocking_threads = config_.blocking_threads,
         .read_threads = state_->db->readers(),
         .max_connections = config_.max_connections,
         .read_timeout = std::chrono::seconds(config_.read_timeout_s),
         .idle_timeout = std::chrono::seconds(config_.idle_timeout_s),
         .max_json_body = config_.max_json_body,
         .max_upload = config_.max_upload,
         .upload_dir = (fs::path(config_.data_dir) / "tmp").string(),
         .cors_origins = config_.cors_origins,
         .trusted_proxies = config_.trusted_proxies,
         .access_log = config_.access_log,
         .ws_messages_per_10s = config_.ws_rate,
         .ws_per_user = config_.ws_per_user},
        router, metrics, state_->hub);
    if (auto error = server.bind(); !error.empty()) {
        log::error("core", error);
        return 1;
    }
    metrics.gauge("backbeat_ws_connections", "Open WebSocket connections",
                  [hub = &state_->hub] { return static_cast<double>(hub->connections()); });
    metrics.gauge("backbeat_jobs_queued", "Jobs waiting to run", [&jobs] { return static_cast<double>(jobs.queued()); });
    metrics.gauge("backbeat_db_commits", "Write transactions committed by the writer (group commits); writes per "
                  "commit shows how well they are grouped",
                  [&db] { return static_cast<double>(db.commits()); });
    metrics.gauge("backbeat_db_syncs", "fsyncs of the WAL; each acknowledges every commit made before it began",
                  [&db] { return static_cast<double>(db.syncs()); });
    metrics.gauge("backbeat_outbox_pending", "Events not yet delivered to every subscriber",
                  [&bus] { return static_cast<double>(bus.pending()); });
    metrics.gauge("backbeat_http_connections", "Open HTTP connections",
                  [&server] { return static_cast<double>(server.open_connections()); });

    bus.start();
    jobs.start();
    modules_.start_all();

    // Keeps the WAL bounded even when auto-checkpoints cannot finish under steady reads.
    std::mutex maintenance_mutex;
    std::condition_variable maintenance_cv;
    bool stopping = false;
    std::thread maintenance([&] {
        std::unique_lock lock(maintenance_mutex);
        while (!maintenance_cv.wait_for(lock, std::chrono::seconds(60), [&] { return stopping; })) {
            lock.unlock();
            db.checkpoint();
            try {
                db.write([](Tx& tx) {
                    const auto week_ago = clock::now_ms() - 7LL * 24 * 3600 * 1000;
                    tx.query("DELETE FROM core_event_receipts WHERE event_id IN (SELECT id FROM core_outbox WHERE "
                             "delivered_ms IS NOT NULL AND delivered_ms < ?)")
                        .bind(week_ago)
                        .exec();
                    tx.query("DELETE FROM core_outbox WHERE delivered_ms IS NOT NULL AND delivered_ms < ?")
                        .bind(week_ago)
                        .exec();
                });
            } catch (const std::exception& e) {
                log::warn("core", "outbox pruning failed", {{"error", e.what()}});
            }
            lock.lock();
        }
    });

    server.run();  // returns once drained

    {
        std::lock_guard lock(maintenance_mutex);
        stopping = true;
    }
    maintenance_cv.notify_all();
    maintenance.join();
    modules_.stop_all();
    jobs.stop();
    bus.stop(std::chrono::seconds(5));
    db.checkpoint();
    db.close();
    log::info("core", "stopped");
    return 0;
}

}  // namespace bb::core
