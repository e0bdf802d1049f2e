#include "core/module.hpp"

#include "core/log.hpp"

namespace bb::core {

void
ModuleRegistry::wire(http::Router& router, EventBus& bus, JobRunner& jobs)
{
    for (auto& m : modules_) {
        m->register_routes(router);
        m->subscribe(bus);
        m->register_jobs(jobs);
    }
}

void
ModuleRegistry::start_all()
{
    for (; started_ < modules_.size(); ++started_) {
        modules_[started_]->start();
        log::debug("core", "module started", {{"module", modules_[started_]->name()}});
    }
}

void
ModuleRegistry::stop_all()
{
    while (started_ > 0) {
        --started_;
        modules_[started_]->stop();
    }
}

}  // namespace bb::core
