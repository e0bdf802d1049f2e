#pragma once
// The program: opens the data dir and database, holds the core services and the modules, and
// serves. main.cpp creates one, adds the modules in dependency order, and runs a command.
#include "core/config.hpp"
#include "core/module.hpp"
#include "core/services.hpp"

#include <memory>
#include <string>

namespace bb::core {

class App {
public:
    explicit App(Config config);
    ~App();

    // Creates the data dir, the signing secret and the database, and applies migrations.
    // Returns a one-line reason on failure.
    std::string open();
    Services& services();
    ModuleRegistry& modules() { return modules_; }

    // Serves until SIGINT/SIGTERM, then drains and shuts down in order. Returns the exit code.
    int serve();

private:
    struct State;
    Config config_;
    std::unique_ptr<State> state_;
    ModuleRegistry modules_;
};

}  // namespace bb::core
