#pragma once
// What a module declares to the core: its name, routes, event subscriptions, jobs and health.
// The registry starts modules in the order they were added and stops them in reverse.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bb::http {
class Router;
}

namespace bb::core {

class EventBus;
class JobRunner;

struct Health {
    bool healthy = true;
    std::string detail;
};

class Module {
public:
    virtual ~Module() = default;
    virtual std::string_view name() const = 0;
    virtual void register_routes(http::Router&) {}
    virtual void subscribe(EventBus&) {}
    virtual void register_jobs(JobRunner&) {}
    virtual void start() {}
    virtual void stop() {}
    virtual Health health() const { return {}; }
};

class ModuleRegistry {
public:
    template <class M, class... Args>
    M& add(Args&&... args)
    {
        auto module = std::make_unique<M>(std::forward<Args>(args)...);
        M& ref = *module;
        modules_.push_back(std::move(module));
        return ref;
    }

    void wire(http::Router& router, EventBus& bus, JobRunner& jobs);
    void start_all();
    void stop_all();
    const std::vector<std::unique_ptr<Module>>& modules() const { return modules_; }

private:
    std::vector<std::unique_ptr<Module>> modules_;
    std::size_t started_ = 0;
};

}  // namespace bb::core
