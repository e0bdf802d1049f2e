// A WebSocket connection's handshake and lifetime, and the sweeper (ws_session_impl.hpp).
#include "core/disk.hpp"
#include "core/log.hpp"
#include "http/ws_hub.hpp"
#include "http/ws_session_impl.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/serialize.hpp>

namespace bb::http {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

std::atomic<std::uint64_t> g_next_id{1};

const std::shared_ptr<const std::string>&
empty_payload()
{
    static const auto empty = std::make_shared<const std::string>();
    return empty;
}

}  // namespace

WsSession::WsSession(WsSocket socket, std::shared_ptr<WsHandler> handler, Principal principal, WsHub& hub,
                     net::thread_pool& callbacks, const WsSettings& settings)
    : socket_(std::move(socket)),
      handler_(std::move(handler)),
      principal_(std::move(principal)),
      hub_(hub),
      callbacks_(net::make_strand(callbacks.get_executor())),
      settings_(settings),
      id_(g_next_id.fetch_add(1))
{
}

WsSession::~WsSession()
{
    if (!principal_.user_id.empty()) {
        hub_.release(principal_.user_id);
    }
}

void
WsSession::run(beast::http::request<beast::http::string_body> upgrade)
{
    // Beast checks the upgrade and writes the 101 (no extensions: permessage-deflate is off);
    // the stream is dropped right after, with its buffers.
    auto ws = std::make_shared<websocket::stream<WsSocket>>(std::move(socket_));
    ws->set_option(websocket::stream_base::timeout{std::chrono::seconds(30), websocket::stream_base::none(), false});
    auto request = std::make_shared<beast::http::request<beast::http::string_body>>(std::move(upgrade));
    ws->async_accept(*request, [self = shared_from_this(), ws, request](beast::error_code ec) {
        if (ec) {
            return;
        }
        self->socket_ = std::move(ws->next_layer());
        self->on_accept();
    });
}

void
WsSession::on_accept()
{
    last_read_ms_ = ws_now_ms();
    {
        std::lock_guard lock(mutex_);
        fd_ = socket_.native_handle();
    }
    hub_.opened();
    hub_.join(WsHub::kEveryone, shared_from_this());
    net::post(callbacks_, [self = shared_from_this()] { self->guarded([&] { self->handler_->on_open(self); }); });
    do_read();
}

void
WsSession::close(int code, std::string reason)
{
    std::lock_guard lock(mutex_);
    begin_close(static_cast<std::uint16_t>(code), reason);
}

void
WsSession::check(std::int64_t now)
{
    std::lock_guard lock(mutex_);
    if (state_ == State::kClosed) {
        return;
    }
    const auto idle = now - last_read_ms_.load(std::memory_order_relaxed);
    if (state_ == State::kClosing) {
        if (now - closing_since_ms_ > settings_.close_timeout_ms) {
            shutdown_socket();
        }
    } else if (idle > settings_.idle_timeout_ms) {
        shutdown_socket();  // no answer to our ping either: the peer is gone
    } else if (idle > settings_.idle_timeout_ms / 2 && pinged_ms_ <= now - idle) {
        pinged_ms_ = now;  // one ping per silence: anything read since moves last_read_ms_ past it
        push(ws::Opcode::kPing, empty_payload());
    }
}

// The connection ended (read side): nothing more is written, and everyone lets go of it.
void
WsSession::finished()
{
    {
        std::lock_guard lock(mutex_);
        if (done_) {
            return;
        }
        done_ = true;
        state_ = State::kClosed;
        queue_.clear();
        head_ = 0;
        fd_ = -1;
        beast::error_code ignored;
        socket_.close(ignored);
    }
    hub_.leave_all(*this);
    hub_.closed();
    net::post(callbacks_, [self = shared_from_this()] { self->guarded([&] { self->handler_->on_close(self); }); });
}

// A handler's exception (a write that found the disk full) must not end the pool thread, which
// would end the process: the peer gets an error frame, as for any refused message.
void
WsSession::guarded(const std::function<void()>& callback)
{
    try {
        callback();
    } catch (const std::exception& e) {
        const bool full = core::is_storage_full(e);
        core::log::write(full ? core::log::Level::kWarn : core::log::Level::kError, "ws", "socket handler failed",
                         {{"error", e.what()}});
        const core::Error error = full ? core::insufficient_storage() : core::internal();
        send(std::make_shared<const std::string>(boost::json::serialize(
            boost::json::object{{"type", "error"}, {"code", error.slug}, {"message", error.message}})));
    }
}

void
start_ws_session(WsSocket socket, beast::http::request<beast::http::string_body> upgrade,
                 std::shared_ptr<WsHandler> handler, Principal principal, WsHub& hub, net::thread_pool& callbacks,
                 const WsSettings& settings)
{
    std::make_shared<WsSession>(std::move(socket), std::move(handler), std::move(principal), hub, callbacks, settings)
        ->run(std::move(upgrade));
}

void
sweep_ws_sessions(WsHub& hub)
{
    const auto now = ws_now_ms();
    for (const auto& conn : hub.members(WsHub::kEveryone)) {
        if (auto* session = dynamic_cast<WsSession*>(conn.get())) {
            session->check(now);
        }
    }
}

}  // namespace bb::http
