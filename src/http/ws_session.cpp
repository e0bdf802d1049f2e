#include "http/ws_session.hpp"

#include "core/log.hpp"
#include "http/ws_hub.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <chrono>
#include <vector>

namespace bb::http {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

std::atomic<std::uint64_t> g_next_id{1};

// One WebSocket connection, following Beast's chat-multi websocket_session: one read and one
// write in flight, a queue of shared frames between them, everything on the connection's strand.
class WsSession : public WsConnection, public std::enable_shared_from_this<WsSession> {
public:
    WsSession(WsSocket socket, std::shared_ptr<WsHandler> handler, Principal principal, WsHub& hub,
              net::thread_pool& callbacks, const WsSettings& settings)
        : ws_(std::move(socket)),
          handler_(std::move(handler)),
          principal_(std::move(principal)),
          hub_(hub),
          callbacks_(net::make_strand(callbacks.get_executor())),
          settings_(settings),
          id_(g_next_id.fetch_add(1))
    {
    }

    void run(beast::http::request<beast::http::string_body> upgrade)
    {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));  // pings, idle close
        ws_.read_message_max(settings_.max_message);
        auto request = std::make_shared<beast::http::request<beast::http::string_body>>(std::move(upgrade));
        ws_.async_accept(*request, [self = shared_from_this(), request](beast::error_code ec) { self->on_accept(ec); });
    }

    void send(std::shared_ptr<const std::string> text) override
    {
        net::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
            self->queue(std::move(text));
        });
    }

    void close(int code, std::string reason) override
    {
        net::post(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
            self->begin_close(static_cast<websocket::close_code>(code), std::move(reason));
        });
    }

    const Principal& principal() const override { return principal_; }
    std::uint64_t id() const override { return id_; }

private:
    void on_accept(beast::error_code ec)
    {
        if (ec) {
            return;
        }
        open_ = true;
        hub_.opened();
        hub_.join(WsHub::kEveryone, shared_from_this());
        net::post(callbacks_, [self = shared_from_this()] { self->handler_->on_open(self); });
        do_read();
    }

    void do_read()
    {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec)
    {
        if (ec) {
            return finished();
        }
        if (!within_rate()) {
            buffer_.consume(buffer_.size());
            return begin_close(websocket::close_code::policy_error, "too many messages");
        }
        auto text = std::make_shared<std::string>(beast::buffers_to_string(buffer_.data()));
        buffer_.consume(buffer_.size());
        net::post(callbacks_, [self = shared_from_this(), text] { self->handler_->on_message(self, *text); });
        do_read();
    }

    bool within_rate()
    {
        if (settings_.messages_per_10s <= 0) {
            return true;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now - window_start_ > std::chrono::seconds(10)) {
            window_start_ = now;
            window_count_ = 0;
        }
        return ++window_count_ <= settings_.messages_per_10s;
    }

    void queue(std::shared_ptr<const std::string> text)
    {
        if (!open_ || closing_) {
            return;
        }
        if (queue_.size() >= settings_.max_queue) {
            // Too far behind: cut it off rather than hold frames for it without bound.
            return begin_close(websocket::close_code::policy_error, "too slow: messages are piling up");
        }
        queue_.push_back(std::move(text));
        if (queue_.size() == 1) {
            do_write();
        }
    }

    void do_write()
    {
        ws_.text(true);
        ws_.async_write(net::buffer(*queue_.front()),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(beast::error_code ec)
    {
        if (ec) {
            queue_.clear();
            return;  // the read side notices and finishes
        }
        queue_.erase(queue_.begin());
        if (!queue_.empty()) {
            return do_write();
        }
        if (pending_close_) {
            send_close();
        }
    }

    void begin_close(websocket::close_code code, std::string reason)
    {
        if (closing_ || !open_) {
            return;
        }
        closing_ = true;
        close_reason_ = websocket::close_reason(code, reason);
        if (!queue_.empty()) {
            // One write-type operation at a time: close after the queue. A reader cut off for
            // being slow gets only the frame already being written; others get everything sent
            // before the close (a room's "forum.closed", say).
            if (code == websocket::close_code::policy_error) {
                queue_.erase(queue_.begin() + 1, queue_.end());
            }
            pending_close_ = true;
            return;
        }
        send_close();
    }

    void send_close()
    {
        ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code) {});
    }

    void finished()
    {
        if (!open_) {
            return;
        }
        open_ = false;
        hub_.leave_all(*this);
        hub_.closed();
        net::post(callbacks_, [self = shared_from_this()] { self->handler_->on_close(self); });
    }

    websocket::stream<WsSocket> ws_;
    beast::flat_buffer buffer_;
    std::vector<std::shared_ptr<const std::string>> queue_;  // a deque allocates ~600 bytes even when empty
    std::shared_ptr<WsHandler> handler_;
    Principal principal_;
    WsHub& hub_;
    net::strand<net::thread_pool::executor_type> callbacks_;
    WsSettings settings_;
    std::uint64_t id_;
    bool open_ = false;
    bool closing_ = false;
    bool pending_close_ = false;
    websocket::close_reason close_reason_;
    std::chrono::steady_clock::time_point window_start_ = std::chrono::steady_clock::now();
    int window_count_ = 0;
};

}  // namespace

void
start_ws_session(WsSocket socket, beast::http::request<beast::http::string_body> upgrade,
                 std::shared_ptr<WsHandler> handler, Principal principal, WsHub& hub, net::thread_pool& callbacks,
                 const WsSettings& settings)
{
    std::make_shared<WsSession>(std::move(socket), std::move(handler), std::move(principal), hub, callbacks, settings)
        ->run(std::move(upgrade));
}

}  // namespace bb::http
