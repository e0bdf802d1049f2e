#pragma once
// Routes by method and path pattern ("/api/users/{user_id}"). Literal segments win over
// parameters. Each route carries what the server must do around it (auth, where it runs, body
// limit, rate limit) and its OpenAPI description, so the spec is generated from the routes
// themselves and cannot drift from them.
#include "core/error.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/websocket.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bb::core {
class RateLimiter;
}

namespace bb::http {

enum class Auth {
    kPublic,    // no token needed; a valid one still sets the principal
    kRequired,  // 401 without a valid token
};

enum class Exec {
    kInline,    // runs on a network thread: quick, never blocks (cached or point reads)
    kBlocking,  // runs on the blocking pool (writes, hashing), unless `deferred` takes it
    kRead,      // runs on the read pool, one thread per database read connection (heavy reads)
};

enum class Body {
    kJson,       // read whole into memory, up to the JSON limit
    kMultipart,  // streamed through the multipart parser to disk, up to the upload limit
};

using Handler = std::function<Reply(const Request&)>;
// Sends a reply later, from any thread. Called exactly once.
using Respond = std::function<void(Reply)>;

struct Doc {
    std::string summary;
    std::string tag;
    std::string request;  // schema name of the JSON body, if any
    std::string form;     // schema name of a multipart/form-data body, if any
    std::vector<std::pair<int, std::string>> responses;  // status -> schema name ("" = none)
    std::vector<std::string> query;  // query parameter names
};

// Written with designated initializers, handler last: {.method, .path, .auth, ..., .doc, .handler}.
struct Route {
    std::string method;
    std::string path;
    Auth auth = Auth::kPublic;
    Exec exec = Exec::kInline;
    Body body = Body::kJson;
    std::int64_t body_limit = 0;           // 0 = the server's limit for that kind of body
    core::RateLimiter* limiter = nullptr;  // per client address
    Doc doc;
    Handler handler;
    // For kBlocking and kRead routes: tried first on the network thread (say, a cache lookup);
    // when it answers nothing, the request goes on to `handler` on its pool.
    std::function<std::optional<Reply>(const Request&)> fast_path;
    // For kBlocking routes: tried on the network thread once auth passed. It may take the request
    // by queueing work that holds no thread while it waits (a write for the DB writer's next group
    // commit) and calls respond when done, and return true; false sends the request on to
    // `handler` on the blocking pool. It must not block.
    std::function<bool(const Request&, const Respond&)> deferred;
    // A WebSocket route: GET with an upgrade. The token may also come as ?token= (browsers cannot
    // set headers on a WebSocket); a browser Origin that is neither ours nor allowed is refused.
    WsUpgrade upgrade;
};

class Router {
public:
    Router();
    ~Router();

    void add(Route route);
    // Components for the OpenAPI spec; json is a JSON Schema object as text.
    void schema(const std::string& name, std::string_view json);

    struct Match {
        const Route* route = nullptr;
        std::vector<std::pair<std::string, std::string>> params;
        std::string allow;  // when the path exists but not for this method: "GET, POST"
    };
    Match match(std::string_view method, std::string_view path) const;

    // Turns a bearer token into a principal (set by the users module).
    using Authenticator = std::function<core::Result<Principal>(std::string_view token)>;
    void set_authenticator(Authenticator fn) { authenticator_ = std::move(fn); }
    const Authenticator& authenticator() const { return authenticator_; }

    // Answers GET/HEAD requests that match no route (the web UI).
    void set_fallback(Handler fn) { fallback_ = std::move(fn); }
    const Handler& fallback() const { return fallback_; }

    boost::json::object openapi(std::string_view version) const;
    const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

private:
    struct Node;
    std::unique_ptr<Node> root_;
    std::vector<std::unique_ptr<Route>> routes_;
    std::map<std::string, boost::json::value> schemas_;
    Authenticator authenticator_;
    Handler fallback_;
};

}  // namespace bb::http
