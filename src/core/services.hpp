#pragma once
// What the core hands every module's constructor: plain references, no registry, no locator.
#include <string>

namespace bb::http {
class WsHub;
}

namespace bb::core {

struct Config;
class Db;
class EventBus;
class JobRunner;
class Metrics;

struct Services {
    const Config& config;
    Db& db;
    EventBus& bus;
    JobRunner& jobs;
    Metrics& metrics;
    const std::string& secret;  // signs tokens; kept in the data dir with mode 0600
    http::WsHub& hub;           // who is connected over WebSocket, by user, session and room
};

}  // namespace bb::core
