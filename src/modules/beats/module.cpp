#include "core/config.hpp"
#include "core/event_bus.hpp"
#include "core/jobs.hpp"
#include "core/log.hpp"
#include "http/file_response.hpp"
#include "http/router.hpp"
#include "modules/beats/beats.hpp"
#include "modules/beats/demo.hpp"
#include "modules/beats/media.hpp"
#include "modules/beats/routes.hpp"
#include "modules/beats/search_index.hpp"
#include "modules/beats/service.hpp"
#include "modules/users/users.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace bb::beats {

constexpr int kProcessAttempts = 3;
// Index upkeep: a round of merge steps at start and then every few minutes; each step writes
// about 1 MiB (tens of milliseconds on the writer) and the pause lets other writes in.
constexpr int kMergePages = 256;
constexpr auto kMergePause = std::chrono::milliseconds(50);
constexpr auto kMergeEvery = std::chrono::minutes(10);

struct BeatsModule::Impl {
    core::Services& services;
    users::UsersModule& users;
    Storage storage;
    MediaClient media;
    Service service;
    UploadIntake intake{2};  // uploads checked at once; one more media worker is kept for them
    std::thread demo;
    std::thread upkeep;
    std::mutex upkeep_mutex;
    std::condition_variable upkeep_cv;
    bool stopping = false;

    Impl(core::Services& s, users::UsersModule& u)
        : services(s),
          users(u),
          storage(s.config.data_dir, std::int64_t{s.config.min_free_mb} << 20),
          media(MediaSettings{.max_duration_ms = std::int64_t{s.config.max_duration_s} * 1000,
                              .preview_max_ms = std::int64_t{s.config.preview_max_s} * 1000}),
          service(s.db, storage, media, u, s.secret)
    {
    }

    // False once stop() was called.
    bool pause(std::chrono::milliseconds how_long)
    {
        std::unique_lock lock(upkeep_mutex);
        return !upkeep_cv.wait_for(lock, how_long, [&] { return stopping; });
    }

    void keep_search_index_merged()
    {
        do {
            try {
                while (merge_search_index(services.db, kMergePages) && pause(kMergePause)) {
                }
            } catch (const std::exception& e) {
                core::log::warn("beats", "search index upkeep failed; trying again later", {{"error", e.what()}});
            }
        } while (pause(kMergeEvery));
    }
};

BeatsModule::BeatsModule(core::Services& services, users::UsersModule& users)
    : impl_(std::make_unique<Impl>(services, users))
{
}

BeatsModule::~BeatsModule()
{
    stop();
    if (impl_->demo.joinable()) {
        impl_->demo.join();
    }
}

void
BeatsModule::register_routes(http::Router& router)
{
    beats::register_routes(router, impl_->service, impl_->intake);
}

void
BeatsModule::subscribe(core::EventBus& bus)
{
    bus.subscribe(users::kUserDeleted, "beats.on_user_deleted", [this](const core::Event& e, core::Tx& tx) {
        return impl_->service.remove_all_of(std::string(e.payload.at("user_id").as_string()), tx);
    });
}

void
BeatsModule::register_jobs(core::JobRunner& jobs)
{
    jobs.handle(
        kProcessJob,
        [this](const core::Job& job) {
            return impl_->service.process(std::string(job.payload.at("beat_id").as_string()), job.attempts,
                                          kProcessAttempts);
        },
        kProcessAttempts);
}

core::Health
BeatsModule::health() const
{
    return {};
}

void
BeatsModule::start()
{
    impl_->upkeep = std::thread([this] { impl_->keep_search_index_merged(); });
    if (impl_->services.config.demo && impl_->service.empty()) {
        // The store fills while the server already answers; each beat appears when processed.
        impl_->demo = std::thread([this] {
            auto made = create_demo_catalogue(30);
            if (!made) {
                core::log::error("beats", "demo catalogue failed", {{"error", made.error().message}});
            }
        });
    }
}

void
BeatsModule::stop()
{
    {
        std::lock_guard lock(impl_->upkeep_mutex);
        impl_->stopping = true;
    }
    impl_->upkeep_cv.notify_all();
    if (impl_->upkeep.joinable()) {
        impl_->upkeep.join();
    }
}

std::optional<BeatInfo>
BeatsModule::find(const std::string& beat_id) const
{
    return impl_->service.info(beat_id);
}

http::Reply
BeatsModule::tagged_mp3(const http::Request& req, const std::string& beat_id) const
{
    auto beat = impl_->service.info(beat_id);
    auto file = impl_->service.preview(beat_id);
    if (!beat || !file) {
        return file ? core::not_found("beat") : file.error();
    }
    std::string name;
    for (unsigned char c : beat->title) {
        name += c < 0x20 || c == '"' || c == '\\' || c == '/' ? '_' : static_cast<char>(c);
    }
    return http::serve_file(req, file->path,
                            {.mime = file->mime, .cache_control = "private, max-age=0", .download_name = name + " (tagged).mp3"});
}

void
BeatsModule::set_download_rights(DownloadRights rights)
{
    impl_->service.set_download_rights(std::move(rights));
}

core::Result<int>
BeatsModule::create_demo_catalogue(int beats)
{
    return beats::create_demo_catalogue(impl_->service, impl_->users, impl_->media, impl_->storage, beats);
}

std::optional<BeatInfo>
BeatsModule::find(core::Tx& tx, const std::string& beat_id) const
{
    return impl_->service.info(tx, beat_id);
}

core::Result<void>
BeatsModule::mark_sold(core::Tx& tx, const std::string& beat_id)
{
    return impl_->service.set_sold(tx, beat_id, true);
}

core::Result<void>
BeatsModule::mark_available(core::Tx& tx, const std::string& beat_id)
{
    return impl_->service.set_sold(tx, beat_id, false);
}

core::Result<void>
BeatsModule::take_down(core::Tx& tx, const std::string& beat_id)
{
    return impl_->service.take_down(tx, beat_id);
}

core::Result<void>
BeatsModule::rate(core::Tx& tx, const std::string& beat_id, int delta_sum, int delta_count)
{
    return impl_->service.rate(tx, beat_id, delta_sum, delta_count);
}

std::vector<Track>
BeatsModule::tracks(const TrackQuery& query) const
{
    return impl_->service.tracks(query);
}

std::vector<Track>
BeatsModule::tracks_by_id(const std::vector<std::string>& ids, const std::string& listener) const
{
    return impl_->service.tracks_by_id(ids, listener);
}

std::vector<GenreCount>
BeatsModule::genres() const
{
    return impl_->service.genres();
}

std::vector<double>
BeatsModule::waveform(const std::string& beat_id) const
{
    return impl_->service.waveform(beat_id);
}

std::vector<std::string>
BeatsModule::recently_played(const std::string& user_id, int limit) const
{
    return impl_->service.recently_played(user_id, limit);
}

core::Result<MediaFile>
BeatsModule::stream(const std::string& listener, const std::string& beat_id, const StreamRequest& request)
{
    return impl_->service.stream(listener, beat_id, request);
}

core::Result<MediaFile>
BeatsModule::download(const std::string& user_id, const std::string& beat_id)
{
    auto file = impl_->service.download(http::Principal{user_id, "", "user"}, beat_id, std::nullopt);
    if (!file) {
        return file.error();
    }
    const auto dot = file->download_name.rfind('.');
    const std::string suffix = dot == std::string::npos ? "" : file->download_name.substr(dot + 1);
    return MediaFile{file->path, file->mime, suffix, file->download_name, suffix == "mp3" ? 320 : 0};
}

core::Result<MediaFile>
BeatsModule::shared_mp3(const std::string& beat_id)
{
    return impl_->service.shared_mp3(beat_id);
}

core::Result<void>
BeatsModule::log_play(const std::string& listener, const std::string& beat_id)
{
    auto logged = impl_->service.record_playback(http::Principal{listener, "", "user"}, beat_id, "play", 0);
    if (!logged) {
        return logged.error();
    }
    return {};
}

core::Result<void>
BeatsModule::log_play(core::Tx& tx, const std::string& listener, const std::string& beat_id)
{
    return impl_->service.log_play(tx, listener, beat_id);
}

bool
BeatsModule::catalogue_empty() const
{
    return impl_->service.empty();
}

int
run_media_worker(std::vector<std::string> args)
{
    return media::run_worker(std::move(args));
}

}  // namespace bb::beats
