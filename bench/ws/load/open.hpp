#pragma once
// Opening WebSocket connections for bench/ws's load client: non-blocking connects and HTTP
// upgrades, a bounded number at a time, each handed to a Loop once the server answered 101.
#include "loop.hpp"

#include <netinet/in.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

struct Url {
    sockaddr_in address{};
    std::string host;    // host:port, for the Host header
    std::string target;  // path and query
};

// ws://<IPv4 or localhost>:<port>/<path>; nullopt for anything else.
std::optional<Url> parse_url(std::string_view url);

struct Opened {
    int opened = 0;
    int failed = 0;
    std::map<std::string, int> errors;  // why -> connections
    double seconds = 0;
};

// Opens `count` connections, at most `concurrency` handshakes at a time, handing them to `loops`
// in turn.
Opened open_connections(const Url& url, int count, int concurrency, const std::vector<Loop*>& loops);

}  // namespace bench
