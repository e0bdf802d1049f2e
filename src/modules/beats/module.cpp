#include "core/config.hpp"
#include "core/event_bus.hpp"
#include "core/jobs.hpp"
#include "core/log.hpp"
#include "http/router.hpp"
#include "modules/beats/beats.hpp"
#include "modules/beats/demo.hpp"
#include "modules/beats/media.hpp"
#include "modules/beats/routes.hpp"
#include "modules/beats/service.hpp"
#include "modules/users/users.hpp"

#include <thread>

namespace bb::beats {

constexpr int kProcessAttempts = 3;

struct BeatsModule::Impl {
    core::Services& services;
    users::UsersModule& users;
    Storage storage;
    MediaClient media;
    Service service;
    std::thread demo;

    Impl(core::Services& s, users::UsersModule& u)
        : services(s), users(u), storage(s.config.data_dir), service(s.db, storage, media, u, s.secret)
    {
    }
};

BeatsModule::BeatsModule(core::Services& services, users::UsersModule& users)
    : impl_(std::make_unique<Impl>(services, users))
{
}

BeatsModule::~BeatsModule()
{
    if (impl_->demo.joinable()) {
        impl_->demo.join();
    }
}

void
BeatsModule::register_routes(http::Router& router)
{
    beats::register_routes(router, impl_->service);
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

std::optional<BeatInfo>
BeatsModule::find(const std::string& beat_id) const
{
    return impl_->service.info(beat_id);
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
BeatsModule::rate(core::Tx& tx, const std::string& beat_id, int delta_sum, int delta_count)
{
    return impl_->service.rate(tx, beat_id, delta_sum, delta_count);
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
