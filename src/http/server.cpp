#include "http/server.hpp"

#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "http/wire.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <atomic>
#include <list>
#include <mutex>
#include <thread>

namespace bb::http {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace {

// A socket bound to its connection's strand (a concrete executor: no type erasure per operation).
using Strand = net::strand<net::io_context::executor_type>;
using Socket = net::basic_stream_socket<tcp, Strand>;

std::int64_t
steady_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::int64_t kBlockingQueueLimit = 4096;

std::string
client_address(const Socket& socket)
{
    boost::system::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    return ec ? std::string("unknown") : endpoint.address().to_string();
}

}  // namespace

class Session;

struct Server::Impl {
    Options options;
    const Router& router;
    core::Metrics& metrics;
    Pipeline pipeline;
    // Declared before the io_context: sessions destroyed with it still touch these.
    std::atomic<bool> draining{false};
    std::atomic<std::int64_t> connections{0};
    std::atomic<std::int64_t> in_flight{0};
    std::atomic<std::int64_t> blocking_queued{0};
    std::mutex sessions_mutex;
    std::list<std::weak_ptr<Session>> sessions;
    std::chrono::steady_clock::time_point drain_deadline;
    net::io_context ioc;
    tcp::acceptor acceptor{ioc};
    net::signal_set signals{ioc, SIGINT, SIGTERM};
    net::thread_pool blocking;
    net::steady_timer drain_timer{ioc};
    net::steady_timer sweep_timer{ioc};

    Impl(Options o, const Router& r, core::Metrics& m)
        : options(std::move(o)),
          router(r),
          metrics(m),
          pipeline(r, m, {options.cors_origins, options.access_log}),
          ioc(options.threads),
          blocking(static_cast<std::size_t>(options.blocking_threads))
    {
    }

    void do_accept();
    void sweep();
    void begin_drain();
    void check_drained();
    std::string resolve_client(const std::string& peer, std::string_view forwarded_for) const;
};

// One connection, following Beast's chat-multi: a strand per connection, each async operation
// holding shared_from_this(), do_x/on_x pairs, a timeout on every read.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Socket socket, Server::Impl& server)
        : stream_(std::move(socket)), server_(server), peer_(client_address(stream_))
    {
    }

    ~Session() { server_.connections.fetch_sub(1); }

    void run()
    {
        net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read_header, shared_from_this()));
    }

    // Called on drain: an idle connection is closed; a busy one closes after its answer.
    void close_if_idle()
    {
        net::post(stream_.get_executor(), [self = shared_from_this()] {
            if (!self->busy_) {
                beast::error_code ec;
                self->stream_.shutdown(tcp::socket::shutdown_both, ec);
                self->stream_.close(ec);
            }
        });
    }

    // Called by the sweeper: a read or write that outlived its deadline ends the connection.
    // Cheaper than a timer per operation; the resolution is the sweep interval (1 s).
    void close_if_overdue(std::int64_t now_ms)
    {
        const auto deadline = deadline_ms_.load(std::memory_order_relaxed);
        if (deadline != 0 && deadline < now_ms) {
            net::post(stream_.get_executor(), [self = shared_from_this()] {
                beast::error_code ec;
                self->stream_.close(ec);
            });
        }
    }

private:
    void do_read_header()
    {
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        parser_->body_limit(boost::none);
        expire_after(requests_ == 0 ? server_.options.read_timeout : server_.options.idle_timeout);
        busy_ = false;
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 beast::bind_front_handler(&Session::on_read_header, shared_from_this()));
    }

    void on_read_header(beast::error_code ec, std::size_t)
    {
        if (ec == bhttp::error::header_limit) {
            return reply_and_close(core::Error{core::Code::kHeaderTooLarge, "header_too_large",
                                               "the request header is larger than 16 KiB", {}});
        }
        if (ec) {
            return fail(ec);
        }
        busy_ = true;
        ++requests_;
        started_ = std::chrono::steady_clock::now();
        server_.in_flight.fetch_add(1);
        counted_ = true;
        if (!build_request()) {
            return reply_and_close(core::bad_request("bad_target", "the request target is not a valid URL path"));
        }
        auto routed = server_.pipeline.route(req_, server_.draining.load());
        route_ = routed.route;
        if (routed.early) {
            return respond(std::move(*routed.early));
        }
        const std::int64_t limit = route_->body_limit > 0 ? route_->body_limit : server_.options.max_json_body;
        if (auto length = parser_->content_length(); length && *length > static_cast<std::uint64_t>(limit)) {
            // Refused before reading it: the rest of the body is not worth the bandwidth.
            keep_alive_ = false;
            return respond(Response::error(too_large(limit)));
        }
        parser_->body_limit(static_cast<std::uint64_t>(limit));
        expire_after(server_.options.read_timeout);
        if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
            auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
            return bhttp::async_write(stream_, *cont,
                                      [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
                                          if (ec) {
                                              return self->fail(ec);
                                          }
                                          self->do_read_body();
                                      });
        }
        do_read_body();
    }

    void do_read_body()
    {
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_read_body, shared_from_this()));
    }

    void on_read_body(beast::error_code ec, std::size_t)
    {
        if (ec == bhttp::error::body_limit) {
            keep_alive_ = false;
            const std::int64_t limit = route_->body_limit > 0 ? route_->body_limit : server_.options.max_json_body;
            return respond(Response::error(too_large(limit)));
        }
        if (ec) {
            return fail(ec);
        }
        req_.body = parser_->get().body();
        if (route_->exec == Exec::kInline) {
            return respond(server_.pipeline.handle(route_, req_));
        }
        if (server_.blocking_queued.fetch_add(1) >= kBlockingQueueLimit) {
            server_.blocking_queued.fetch_sub(1);
            return respond(Response::error(core::unavailable("the server is busy; try again shortly")));
        }
        net::post(server_.blocking, [self = shared_from_this()] {
            self->server_.blocking_queued.fetch_sub(1);
            auto res = self->server_.pipeline.handle(self->route_, self->req_);
            net::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
                self->respond(std::move(res));
            });
        });
    }

    bool build_request()
    {
        auto& msg = parser_->get();
        req_ = Request{};
        req_.method = msg.method_string();
        req_.target = msg.target();
        auto url = boost::urls::parse_origin_form(req_.target);
        if (!url) {
            return false;
        }
        req_.path = url->path();
        if (req_.path.empty()) {
            req_.path = "/";
        }
        for (auto param : url->params()) {
            req_.query.emplace_back(param.key, param.value);
        }
        for (const auto& field : msg) {
            req_.headers.emplace_back(field.name_string(), field.value());
        }
        req_.client_addr = server_.resolve_client(peer_, msg["X-Forwarded-For"]);
        keep_alive_ = msg.keep_alive();
        http10_ = msg.version() == 10;
        return true;
    }

    static core::Error too_large(std::int64_t limit)
    {
        return core::Error{core::Code::kTooLarge, "body_too_large",
                           "the request body is larger than " + std::to_string(limit) + " bytes", {}};
    }

    void reply_and_close(const core::Error& error)
    {
        keep_alive_ = false;
        if (!busy_) {
            req_ = Request{};  // the header never arrived whole: answer with a fresh identity
        }
        if (req_.request_id.empty()) {
            req_.request_id = core::new_id();
        }
        if (!counted_) {
            busy_ = true;
            started_ = std::chrono::steady_clock::now();
            server_.in_flight.fetch_add(1);
            counted_ = true;
        }
        respond(Response::error(error));
    }

    void respond(Response res)
    {
        server_.pipeline.finish(req_, route_, res, started_);
        const bool keep_alive = keep_alive_ && !server_.draining.load();
        out_ = to_wire(res, {.keep_alive = keep_alive, .head = req_.method == "HEAD", .http10 = http10_});
        expire_after(server_.options.read_timeout);  // a client that stops reading is cut off too
        net::async_write(stream_, net::buffer(out_), [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
            self->done_request();
            if (ec) {
                return self->fail(ec);
            }
            if (!keep_alive) {
                beast::error_code ignored;
                self->deadline_ms_ = 0;
                self->stream_.shutdown(tcp::socket::shutdown_send, ignored);
                return;
            }
            self->do_read_header();
        });
    }

    void expire_after(std::chrono::seconds timeout)
    {
        deadline_ms_.store(steady_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count(),
                           std::memory_order_relaxed);
    }

    void done_request()
    {
        if (counted_) {
            counted_ = false;
            server_.in_flight.fetch_sub(1);
        }
        route_ = nullptr;
    }

    void fail(beast::error_code ec)
    {
        done_request();
        if (ec == net::error::operation_aborted || ec == net::error::bad_descriptor || ec == bhttp::error::end_of_stream ||
            ec == net::error::eof || ec == net::error::connection_reset) {
            return;
        }
        core::log::debug("http", "connection error", {{"error", ec.message()}});
    }

    Socket stream_;
    std::atomic<std::int64_t> deadline_ms_{0};
    Server::Impl& server_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    Request req_;
    const Route* route_ = nullptr;
    bool keep_alive_ = true;
    bool busy_ = false;
    bool counted_ = false;
    std::uint64_t requests_ = 0;
    std::chrono::steady_clock::time_point started_;
    std::string peer_;  // the socket's remote address, read once
    std::string out_;   // the answer being written (one write in flight at a time)
    bool http10_ = false;
};

std::string
Server::Impl::resolve_client(const std::string& peer, std::string_view forwarded_for) const
{
    if (forwarded_for.empty() ||
        std::find(options.trusted_proxies.begin(), options.trusted_proxies.end(), peer) == options.trusted_proxies.end()) {
        return peer;
    }
    // The right-most address that is not one of our proxies is the client.
    std::string_view rest = forwarded_for;
    while (!rest.empty()) {
        auto comma = rest.rfind(',');
        std::string_view item = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (item.empty()) {
            continue;
        }
        if (std::find(options.trusted_proxies.begin(), options.trusted_proxies.end(), item) ==
            options.trusted_proxies.end()) {
            return std::string(item);
        }
    }
    return peer;
}

void
Server::Impl::do_accept()
{
    acceptor.async_accept(net::make_strand(ioc.get_executor()), [this](beast::error_code ec, Socket socket) {
        if (ec) {
            if (ec != net::error::operation_aborted && acceptor.is_open()) {
                core::log::warn("http", "accept failed", {{"error", ec.message()}});
                do_accept();
            }
            return;
        }
        if (connections.load() >= options.max_connections) {
            beast::error_code ignored;
            socket.close(ignored);  // over the cap: refuse at once rather than queue
        } else {
            connections.fetch_add(1);
            auto session = std::make_shared<Session>(std::move(socket), *this);
            {
                std::lock_guard lock(sessions_mutex);
                sessions.push_back(session);  // the sweeper prunes dead entries
            }
            session->run();
        }
        do_accept();
    });
}

void
Server::Impl::sweep()
{
    sweep_timer.expires_after(std::chrono::seconds(1));
    sweep_timer.async_wait([this](beast::error_code ec) {
        if (ec) {
            return;
        }
        const auto now = steady_ms();
        {
            std::lock_guard lock(sessions_mutex);
            std::erase_if(sessions, [](const auto& w) { return w.expired(); });
            for (auto& w : sessions) {
                if (auto s = w.lock()) {
                    s->close_if_overdue(now);
                }
            }
        }
        sweep();
    });
}

void
Server::Impl::begin_drain()
{
    if (draining.exchange(true)) {
        return;
    }
    core::log::info("http", "draining", {{"in_flight", in_flight.load()}, {"connections", connections.load()}});
    beast::error_code ignored;
    acceptor.close(ignored);
    std::vector<std::shared_ptr<Session>> live;
    {
        std::lock_guard lock(sessions_mutex);
        for (auto& w : sessions) {
            if (auto s = w.lock()) {
                live.push_back(std::move(s));
            }
        }
    }
    for (auto& s : live) {
        s->close_if_idle();
    }
    drain_deadline = std::chrono::steady_clock::now() + options.drain_timeout;
    check_drained();
}

void
Server::Impl::check_drained()
{
    if ((in_flight.load() == 0 && connections.load() == 0) || std::chrono::steady_clock::now() >= drain_deadline) {
        if (in_flight.load() > 0) {
            core::log::warn("http", "drain timed out", {{"in_flight", in_flight.load()}});
        }
        sweep_timer.cancel();
        ioc.stop();
        return;
    }
    if (in_flight.load() == 0) {
        // Only idle keep-alive connections remain: close them again (one may have raced the first close).
        std::lock_guard lock(sessions_mutex);
        for (auto& w : sessions) {
            if (auto s = w.lock()) {
                s->close_if_idle();
            }
        }
    }
    drain_timer.expires_after(std::chrono::milliseconds(50));
    drain_timer.async_wait([this](beast::error_code) { check_drained(); });
}

Server::Server(Options options, const Router& router, core::Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics))
{
}

Server::~Server()
{
    impl_->blocking.join();
}

std::string
Server::bind()
{
    const auto& listen = impl_->options.listen;
    const auto colon = listen.rfind(':');
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));
    beast::error_code ec;
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
        return "cannot resolve listen address " + listen + ": " + ec.message();
    }
    tcp::endpoint endpoint = results.begin()->endpoint();
    auto& acceptor = impl_->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return "cannot listen on " + listen + ": " + ec.message();
    }
    return {};
}

std::uint16_t
Server::port() const
{
    beast::error_code ec;
    return impl_->acceptor.local_endpoint(ec).port();
}

std::int64_t
Server::open_connections() const
{
    return impl_->connections.load();
}

void
Server::run()
{
    auto& impl = *impl_;
    impl.signals.async_wait([&impl](beast::error_code ec, int signal) {
        if (!ec) {
            core::log::info("http", "signal received", {{"signal", signal}});
            impl.begin_drain();
        }
    });
    beast::error_code ec;
    auto local = impl.acceptor.local_endpoint(ec);
    core::log::info("http", "listening", {{"address", local.address().to_string()}, {"port", local.port()}});
    impl.do_accept();
    impl.sweep();
    std::vector<std::thread> threads;
    for (int i = 1; i < impl.options.threads; ++i) {
        threads.emplace_back([&impl] { impl.ioc.run(); });
    }
    impl.ioc.run();
    for (auto& t : threads) {
        t.join();
    }
    impl.blocking.join();
}

void
Server::shutdown()
{
    net::post(impl_->ioc, [impl = impl_.get()] { impl->begin_drain(); });
}

}  // namespace bb::http
