#include "http/server.hpp"

#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "http/multipart_body.hpp"
#include "http/wire.hpp"
#include "http/ws_hub.hpp"
#include "http/ws_session.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>

#include <atomic>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>
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
    WsHub& hub;
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
    net::thread_pool reads;
    net::steady_timer drain_timer{ioc};
    net::steady_timer sweep_timer{ioc};
    int sweeps = 0;

    Impl(Options o, const Router& r, core::Metrics& m, WsHub& h)
        : options(std::move(o)),
          router(r),
          metrics(m),
          hub(h),
          pipeline(r, m, {options.cors_origins, options.access_log}),
          ioc(options.threads),
          blocking(static_cast<std::size_t>(options.blocking_threads)),
          reads(static_cast<std::size_t>(options.read_threads))
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

    ~Session()
    {
        if (file_fd_ >= 0) {
            ::close(file_fd_);
        }
        server_.connections.fetch_sub(1);
    }

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
        if (is_malformed(ec)) {
            return reply_and_close(core::bad_request("malformed_request", "the request is not valid HTTP/1.1"));
        }
        if (ec) {
            return fail(ec);
        }
        busy_ = true;
        ++requests_;
        started_ = std::chrono::steady_clock::now();
        server_.in_flight.fetch_add(1);
        counted_ = true;
        if (!build_request(parser_->get())) {
            return reply_and_close(core::bad_request("bad_target", "the request target is not a valid URL path"));
        }
        auto routed = server_.pipeline.route(req_, server_.draining.load());
        route_ = routed.route;
        if (routed.early) {
            return respond(std::move(*routed.early));
        }
        if (route_->upgrade) {
            return upgrade();
        }
        const std::int64_t limit = body_limit();
        if (auto length = parser_->content_length(); length && *length > static_cast<std::uint64_t>(limit)) {
            // Refused before reading it: the rest of the body is not worth the bandwidth.
            keep_alive_ = false;
            return respond(Response::error(too_large(limit)));
        }
        if (route_->body == Body::kMultipart) {
            auto boundary = MultipartParser::boundary_of(parser_->get()[bhttp::field::content_type]);
            if (!boundary) {
                keep_alive_ = false;  // the body stays unread
                return respond(Response::error(boundary.error()));
            }
            upload_parser_.emplace(std::move(*parser_));
            parser_.reset();
            upload_parser_->get().body().parser = std::make_unique<MultipartParser>(
                *boundary, MultipartParser::Options{.temp_dir = server_.options.upload_dir});
            upload_parser_->body_limit(static_cast<std::uint64_t>(limit));
            rebuild_views();
        } else {
            parser_->body_limit(static_cast<std::uint64_t>(limit));
        }
        expire_after(server_.options.read_timeout);
        const auto& header = upload_parser_ ? upload_parser_->get().base() : parser_->get().base();
        if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
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

    // A WebSocket route: refused with an ordinary HTTP answer, or handed to a WebSocket session
    // (this HTTP session ends here; the socket lives on in the WebSocket one).
    void upgrade()
    {
        keep_alive_ = false;
        if (!boost::beast::websocket::is_upgrade(parser_->get())) {
            return respond(Response::error(core::Error{core::Code::kBadRequest, "websocket_expected",
                                                       "this address takes a WebSocket upgrade", {}}));
        }
        auto handler = server_.pipeline.upgrade(route_, req_);
        if (!handler) {
            return respond(Response::error(handler.error()));
        }
        const Principal principal = req_.principal.value_or(Principal{});
        if (!principal.user_id.empty() && !server_.hub.admit(principal.user_id, server_.options.ws_per_user)) {
            return respond(Response::error(
                {core::Code::kRateLimited, "too_many_sockets",
                 "you have " + std::to_string(server_.options.ws_per_user) + " WebSockets open already; close one first",
                 {{"retry_after_s", 5}, {"limit", server_.options.ws_per_user}}}));
        }
        deadline_ms_ = 0;
        done_request();
        start_ws_session(std::move(stream_), parser_->release(), std::move(*handler), principal, server_.hub,
                         server_.blocking,
                         {.max_queue = server_.options.ws_max_queue, .messages_per_10s = server_.options.ws_messages_per_10s});
    }

    std::int64_t body_limit() const
    {
        if (route_->body_limit > 0) {
            return route_->body_limit;
        }
        return route_->body == Body::kMultipart ? server_.options.max_upload : server_.options.max_json_body;
    }

    // After the parser changed type the message moved: point the request's views at it again.
    void rebuild_views()
    {
        auto params = std::move(req_.params);
        auto request_id = std::move(req_.request_id);
        build_request(upload_parser_->get());
        req_.params = std::move(params);
        req_.request_id = std::move(request_id);
    }

    void do_read_body()
    {
        if (upload_parser_) {
            // Uploads stream slowly: each piece that arrives extends the deadline.
            return bhttp::async_read_some(stream_, buffer_, *upload_parser_,
                                          beast::bind_front_handler(&Session::on_read_upload, shared_from_this()));
        }
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_read_body, shared_from_this()));
    }

    void on_read_upload(beast::error_code ec, std::size_t)
    {
        auto& body = upload_parser_->get().body();
        if (!ec && !upload_parser_->is_done()) {
            expire_after(server_.options.read_timeout);
            return do_read_body();
        }
        if (ec == bhttp::error::body_limit) {
            keep_alive_ = false;
            return respond(Response::error(too_large(body_limit())));
        }
        if (body.error) {
            keep_alive_ = false;
            return respond(Response::error(*body.error));
        }
        if (is_malformed(ec)) {
            return reply_and_close(core::bad_request("malformed_request", "the request body is not valid HTTP/1.1"));
        }
        if (ec) {
            upload_parser_.reset();  // removes the partial files
            return fail(ec);
        }
        if (auto finished = body.parser->finish(); !finished) {
            keep_alive_ = false;
            return respond(Response::error(finished.error()));
        }
        req_.upload = std::make_shared<Upload>(std::move(body.parser->upload()));
        run_handler();
    }

    void on_read_body(beast::error_code ec, std::size_t)
    {
        if (ec == bhttp::error::body_limit) {
            keep_alive_ = false;
            return respond(Response::error(too_large(body_limit())));
        }
        if (is_malformed(ec)) {
            return reply_and_close(core::bad_request("malformed_request", "the request body is not valid HTTP/1.1"));
        }
        if (ec) {
            return fail(ec);
        }
        req_.body = parser_->get().body();
        run_handler();
    }

    void run_handler()
    {
        if (route_->exec == Exec::kInline) {
            return respond(server_.pipeline.handle(route_, req_));
        }
        if (auto fast = server_.pipeline.try_fast_path(route_, req_)) {
            return respond(std::move(*fast));
        }
        // The request has arrived whole: the read timeout is over. While the handler works (an
        // upload's probe, a call to Stripe) the client waits for an answer, which sets the next
        // deadline; a handler bounds its own time.
        deadline_ms_ = 0;
        if (route_->deferred && server_.pipeline.try_deferred(route_, req_, answer_later())) {
            return;
        }
        if (server_.blocking_queued.fetch_add(1) >= kBlockingQueueLimit) {
            server_.blocking_queued.fetch_sub(1);
            return respond(Response::error(core::unavailable("the server is busy; try again shortly")));
        }
        auto& pool = route_->exec == Exec::kRead ? server_.reads : server_.blocking;
        net::post(pool, [self = shared_from_this()] {
            self->server_.blocking_queued.fetch_sub(1);
            auto res = self->server_.pipeline.handle(self->route_, self->req_);
            net::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
                self->respond(std::move(res));
            });
        });
    }

    // For work that answers later from another thread (say the DB writer): the answer comes back
    // to this connection's strand, and no pool thread is held while it waits.
    Respond answer_later()
    {
        return [self = shared_from_this()](Reply reply) {
            net::post(self->stream_.get_executor(), [self, reply = std::move(reply)]() mutable {
                self->respond(reply ? std::move(*reply) : Response::error(reply.error()));
            });
        };
    }

    template <class Header>
    bool build_request(const Header& msg)
    {
        // Cleared rather than replaced: the vectors keep their capacity from the last request.
        req_.headers.clear();
        req_.query.clear();
        req_.params.clear();
        req_.body = {};
        req_.request_id.clear();
        req_.principal.reset();
        req_.upload.reset();
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

    // A parse error (as opposed to a closed or timed-out connection) deserves a 400 before closing.
    static bool is_malformed(beast::error_code ec)
    {
        return ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
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
            req_.request_id = core::new_request_id();
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
        keep_alive_ = keep_alive_ && !server_.draining.load();
        const bool head = req_.method == "HEAD";
        std::optional<std::uint64_t> file_length;
        if (res.file) {
            file_fd_ = ::open(res.file->path.c_str(), O_RDONLY | O_CLOEXEC);
            if (file_fd_ < 0) {  // removed between the handler and now
                res = Response::error(core::not_found("file"));
            } else {
                file_offset_ = static_cast<off_t>(res.file->offset);
                file_left_ = head ? 0 : res.file->length;
                file_length = res.file->length;
            }
        }
        out_ = to_wire(res, {.keep_alive = keep_alive_, .head = head, .http10 = http10_, .content_length = file_length});
        expire_after(server_.options.read_timeout);  // a client that stops reading is cut off too
        net::async_write(stream_, net::buffer(out_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                return self->finish_response(ec);
            }
            self->send_file();
        });
    }

    // sendfile(2) from the page cache to the socket; when the socket buffer is full, wait until
    // it drains. A slow reader holds only the kernel's buffer, never ours.
    void send_file()
    {
        std::uint64_t sent_this_turn = 0;
        while (file_left_ > 0) {
            if (sent_this_turn >= (std::uint64_t{4} << 20)) {
                // Let other connections on this thread have a turn.
                return net::post(stream_.get_executor(), [self = shared_from_this()] { self->send_file(); });
            }
            beast::error_code ignored;
            stream_.native_non_blocking(true, ignored);
            const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(file_left_, 1 << 20));
            const ssize_t n = ::sendfile(stream_.native_handle(), file_fd_, &file_offset_, chunk);
            if (n > 0) {
                file_left_ -= static_cast<std::uint64_t>(n);
                sent_this_turn += static_cast<std::uint64_t>(n);
                expire_after(server_.options.read_timeout);
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return stream_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](beast::error_code ec) {
                    if (ec) {
                        return self->finish_response(ec);
                    }
                    self->send_file();
                });
            }
            // The file shrank or the peer went away: the answer cannot be completed.
            return finish_response(n == 0 ? net::error::make_error_code(net::error::eof)
                                          : beast::error_code(errno, boost::system::system_category()));
        }
        finish_response({});
    }

    void finish_response(beast::error_code ec)
    {
        if (file_fd_ >= 0) {
            ::close(file_fd_);
            file_fd_ = -1;
        }
        file_left_ = 0;
        upload_parser_.reset();
        req_.upload.reset();
        done_request();
        if (ec) {
            return fail(ec);
        }
        if (!keep_alive_) {
            beast::error_code ignored;
            stream_.shutdown(tcp::socket::shutdown_send, ignored);
            // Lingering close: read and drop what the client is still sending (an upload we
            // refused), so closing does not reset the connection before it reads our answer.
            expire_after(std::chrono::seconds(2));
            return do_discard();
        }
        do_read_header();
    }

    void do_discard()
    {
        discard_.resize(16 * 1024);
        stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                self->deadline_ms_ = 0;
                return;  // EOF, or the deadline closed it
            }
            self->do_discard();
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
    std::optional<bhttp::request_parser<MultipartBody>> upload_parser_;
    int file_fd_ = -1;
    off_t file_offset_ = 0;
    std::uint64_t file_left_ = 0;
    Request req_;
    const Route* route_ = nullptr;
    bool keep_alive_ = true;
    bool busy_ = false;
    bool counted_ = false;
    std::uint64_t requests_ = 0;
    std::chrono::steady_clock::time_point started_;
    std::string peer_;  // the socket's remote address, read once
    std::string out_;   // the answer being written (one write in flight at a time)
    std::string discard_;  // what a refused client still sends, dropped
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
            beast::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);  // answers leave at once, not batched by Nagle
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
        if (++sweeps % 5 == 0) {
            sweep_ws_sessions(hub);  // pings and timeouts are minutes and seconds long: every 5 s will do
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
    hub.close_all(1001, "the server is shutting down");
    drain_deadline = std::chrono::steady_clock::now() + options.drain_timeout;
    check_drained();
}

void
Server::Impl::check_drained()
{
    if ((in_flight.load() == 0 && connections.load() == 0 && hub.connections() == 0) ||
        std::chrono::steady_clock::now() >= drain_deadline) {
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

Server::Server(Options options, const Router& router, core::Metrics& metrics, WsHub& hub)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics, hub))
{
}

Server::~Server()
{
    impl_->blocking.join();
    impl_->reads.join();
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
    impl.reads.join();
}

void
Server::shutdown()
{
    net::post(impl_->ioc, [impl = impl_.get()] { impl->begin_drain(); });
}

}  // namespace bb::http
