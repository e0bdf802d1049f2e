#include "http/ws_session.hpp"

#include "http/ws_frame.hpp"
#include "http/ws_hub.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace bb::http {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

std::atomic<std::uint64_t> g_next_id{1};

constexpr std::size_t kBatch = 32;             // frames gathered into one sendmsg
constexpr std::size_t kReadChunk = 64 * 1024;  // one recv; the buffer is per thread, not per connection

std::int64_t
now_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

const std::shared_ptr<const std::string>&
empty_payload()
{
    static const auto empty = std::make_shared<const std::string>();
    return empty;
}

// One WebSocket connection. Beast answers the handshake; after that the frames are ours
// (ws_frame.hpp), so that:
//  - a frame is written by the thread that sends it, straight to the socket, with no post, no
//    allocation and no strand hop, when nothing is queued before it (the common case: a broadcast
//    is one sendmsg per member on the broadcasting thread);
//  - a reader that is behind gets its frames queued and written all at once (one sendmsg for up
//    to kBatch frames) when the socket becomes writable; past max_queue it is cut off (1008);
//  - an idle connection holds no read or write buffer: reads wait for readiness, then recv into a
//    per-thread buffer, and only a partial frame is kept.
// The read side runs on the connection's strand; the write side is shared with any thread under
// mutex_, which also guards the socket's closing (so nobody writes to a reused descriptor).
class WsSession : public WsConnection, public std::enable_shared_from_this<WsSession> {
public:
    WsSession(WsSocket socket, std::shared_ptr<WsHandler> handler, Principal principal, WsHub& hub,
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

    void run(beast::http::request<beast::http::string_body> upgrade)
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

    void send(std::shared_ptr<const std::string> text) override { queue(ws::Opcode::kText, std::move(text)); }

    void close(int code, std::string reason) override
    {
        std::lock_guard lock(mutex_);
        begin_close(static_cast<std::uint16_t>(code), reason);
    }

    const Principal& principal() const override { return principal_; }
    std::uint64_t id() const override { return id_; }

    // The sweeper (every few seconds): keepalive pings, the idle timeout, and a close the peer
    // never answered.
    void check(std::int64_t now)
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

private:
    enum class State : std::uint8_t { kOpen, kClosing, kClosed };

    struct Out {
        std::shared_ptr<const std::string> payload;
        ws::Opcode op;
    };

    void on_accept()
    {
        last_read_ms_ = now_ms();
        {
            std::lock_guard lock(mutex_);
            fd_ = socket_.native_handle();
        }
        hub_.opened();
        hub_.join(WsHub::kEveryone, shared_from_this());
        net::post(callbacks_, [self = shared_from_this()] { self->handler_->on_open(self); });
        do_read();
    }

    // ---- read side (the strand) ----

    void do_read()
    {
        socket_.async_wait(net::socket_base::wait_read,
                           [self = shared_from_this()](beast::error_code ec) { self->on_readable(ec); });
    }

    void on_readable(beast::error_code ec)
    {
        if (ec) {
            return finished();
        }
        thread_local std::array<char, kReadChunk> chunk;
        for (;;) {
            int fd;
            {
                std::lock_guard lock(mutex_);
                fd = fd_;
            }
            if (fd < 0) {
                return finished();
            }
            const auto n = ::recv(fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return finished();  // the peer closed, or the connection broke
            }
            last_read_ms_.store(now_ms(), std::memory_order_relaxed);
            received(chunk.data(), static_cast<std::size_t>(n));
            if (static_cast<std::size_t>(n) < chunk.size()) {
                break;
            }
        }
        do_read();
    }

    // Parses what arrived, with any partial frame kept from before.
    void received(char* data, std::size_t size)
    {
        if (discarding_) {
            return;  // after a protocol error: only the end of the connection matters now
        }
        if (!partial_.empty()) {
            partial_.append(data, size);
            data = partial_.data();
            size = partial_.size();
        }
        std::size_t offset = 0;
        while (!discarding_) {
            ws::Frame frame;
            std::size_t used = 0;
            std::uint16_t code = 0;
            const auto parsed = ws::parse_frame(data + offset, size - offset, settings_.max_message, frame, used, code);
            if (parsed == ws::Parsed::kNeedMore) {
                break;
            }
            if (parsed == ws::Parsed::kError) {
                fail(code, code == ws::kCloseTooBig ? "message too big" : "protocol error");
                break;
            }
            offset += used;
            on_frame(frame);
        }
        if (discarding_ || offset == size) {
            std::string().swap(partial_);  // an idle connection keeps no buffer
        } else if (data == partial_.data()) {
            partial_.erase(0, offset);
        } else {
            partial_.assign(data + offset, size - offset);
        }
    }

    void on_frame(const ws::Frame& frame)
    {
        switch (frame.op) {
        case ws::Opcode::kPing:
            return queue(ws::Opcode::kPong, std::make_shared<const std::string>(frame.payload));
        case ws::Opcode::kPong:
            return;  // last_read_ms_ already moved
        case ws::Opcode::kClose: {
            std::uint16_t code = ws::kCloseNormal;  // echo the peer's code, as RFC 6455 5.5.1 asks
            if (frame.payload.size() >= 2) {
                code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(frame.payload[0]) << 8) |
                                                  static_cast<std::uint8_t>(frame.payload[1]));
            }
            std::lock_guard lock(mutex_);
            close_received_ = true;
            if (state_ == State::kOpen) {
                begin_close(code, "");
            } else if (close_sent_) {
                shutdown_socket();
            }
            return;
        }
        case ws::Opcode::kContinuation:
            if (!in_message_) {
                return fail(ws::kCloseProtocolError, "continuation without a message");
            }
            break;
        default:  // text or binary
            if (in_message_) {
                return fail(ws::kCloseProtocolError, "a new message inside a fragmented one");
            }
            in_message_ = true;
            message_text_ = frame.op == ws::Opcode::kText;
            break;
        }
        if (message_.size() + frame.payload.size() > settings_.max_message) {
            return fail(ws::kCloseTooBig, "message too big");
        }
        if (!frame.fin) {
            message_.append(frame.payload);
            return;
        }
        in_message_ = false;
        std::shared_ptr<std::string> text;
        if (message_.empty()) {
            text = std::make_shared<std::string>(frame.payload);
        } else {
            message_.append(frame.payload);
            text = std::make_shared<std::string>(std::move(message_));
            std::string().swap(message_);
        }
        if (message_text_ && !ws::valid_utf8(*text)) {
            return fail(ws::kCloseBadData, "text is not UTF-8");
        }
        if (!within_rate()) {
            return fail(ws::kClosePolicy, "too many messages");
        }
        net::post(callbacks_, [self = shared_from_this(), text] { self->handler_->on_message(self, *text); });
    }

    // The peer broke a rule: tell it why and read nothing more from it.
    void fail(std::uint16_t code, std::string_view reason)
    {
        discarding_ = true;
        std::string().swap(message_);
        in_message_ = false;
        std::lock_guard lock(mutex_);
        begin_close(code, reason);
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

    void finished()
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
        net::post(callbacks_, [self = shared_from_this()] { self->handler_->on_close(self); });
    }

    // ---- write side (any thread, under mutex_) ----

    void queue(ws::Opcode op, std::shared_ptr<const std::string> payload)
    {
        std::lock_guard lock(mutex_);
        if (state_ != State::kOpen) {
            return;  // nothing goes after the close frame
        }
        push(op, std::move(payload));
    }

    // Requires mutex_. Writes at once when nothing waits before this frame.
    void push(ws::Opcode op, std::shared_ptr<const std::string> payload)
    {
        if (fd_ < 0) {
            return;
        }
        if (head_ == queue_.size() && !waiting_) {
            if (corked() != nullptr && op == ws::Opcode::kText) {
                queue_.push_back({std::move(payload), op});
                corked()->push_back(shared_from_this());  // written when the cork ends
                return;
            }
            std::uint8_t header[ws::kMaxHeader];
            const auto header_size = ws::write_header(header, op, payload->size());
            iovec iov[2] = {{header, header_size}, {const_cast<char*>(payload->data()), payload->size()}};
            const auto total = header_size + payload->size();
            const auto n = write_vector(iov, 2);
            if (n == static_cast<ssize_t>(total)) {
                return written(op);
            }
            if (n < 0) {
                return;  // broken: write_vector shut the socket; the read side finishes
            }
            queue_.push_back({std::move(payload), op});
            offset_ = static_cast<std::size_t>(n);
            return wait_writable();
        }
        if (queue_.size() - head_ >= settings_.max_queue && op == ws::Opcode::kText) {
            // Too far behind: cut it off rather than hold frames for it without bound.
            return begin_close(ws::kClosePolicy, "too slow: messages are piling up");
        }
        queue_.push_back({std::move(payload), op});
        if (!waiting_) {
            if (corked() != nullptr && queue_.size() - head_ < kBatch) {
                return;  // held by this thread's cork; a full batch goes now
            }
            flush();
        }
    }

public:
    // This thread's cork (WsCork): the sessions holding frames until it ends; null when none.
    static std::vector<std::shared_ptr<WsSession>>*& corked()
    {
        thread_local std::vector<std::shared_ptr<WsSession>>* sessions = nullptr;
        return sessions;
    }

    void uncork()
    {
        std::lock_guard lock(mutex_);
        if (!waiting_) {
            flush();
        }
    }

private:

    // Requires mutex_. Writes as much of the queue as the socket takes, kBatch frames per call.
    void flush()
    {
        while (head_ < queue_.size() && fd_ >= 0) {
            std::uint8_t headers[kBatch][ws::kMaxHeader];
            iovec iov[2 * kBatch];
            std::size_t count = 0;
            std::size_t total = 0;
            std::size_t frames = 0;
            for (std::size_t i = head_; i < queue_.size() && frames < kBatch; ++i, ++frames) {
                const auto& out = queue_[i];
                const auto header_size = ws::write_header(headers[frames], out.op, out.payload->size());
                std::size_t skip = i == head_ ? offset_ : 0;  // the part of the first frame already sent
                if (skip < header_size) {
                    iov[count++] = {headers[frames] + skip, header_size - skip};
                    total += header_size - skip;
                    skip = 0;
                } else {
                    skip -= header_size;
                }
                if (out.payload->size() > skip) {
                    iov[count++] = {const_cast<char*>(out.payload->data()) + skip, out.payload->size() - skip};
                    total += out.payload->size() - skip;
                }
            }
            const auto n = write_vector(iov, static_cast<int>(count));
            if (n < 0) {
                return;
            }
            auto left = static_cast<std::size_t>(n);
            while (head_ < queue_.size()) {
                const auto& out = queue_[head_];
                std::uint8_t scratch[ws::kMaxHeader];
                const auto size = ws::write_header(scratch, out.op, out.payload->size()) + out.payload->size();
                if (left < size - offset_) {
                    offset_ += left;
                    break;
                }
                left -= size - offset_;
                offset_ = 0;
                const auto op = out.op;
                ++head_;
                written(op);
            }
            if (static_cast<std::size_t>(n) < total) {
                return wait_writable();
            }
        }
        if (head_ == queue_.size()) {
            head_ = 0;
            queue_.clear();
            if (queue_.capacity() > 16) {
                queue_.shrink_to_fit();  // a burst's queue is not kept for the connection's life
            }
        }
    }

    // Requires mutex_. One non-blocking sendmsg; -1 when the connection broke.
    ssize_t write_vector(iovec* iov, int count)
    {
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<std::size_t>(count);
        for (;;) {
            const auto n = ::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n >= 0) {
                return n;
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return 0;
            }
            queue_.clear();
            head_ = 0;
            offset_ = 0;
            shutdown_socket();  // the read side sees the end and finishes
            return -1;
        }
    }

    // Requires mutex_.
    void wait_writable()
    {
        if (waiting_) {
            return;
        }
        waiting_ = true;  // from now on frames queue behind the unwritten part
        // The socket object is only touched on the strand (any thread may get here).
        net::post(socket_.get_executor(), [self = shared_from_this()] {
            std::lock_guard lock(self->mutex_);
            if (self->fd_ < 0) {
                self->waiting_ = false;
                return;
            }
            self->socket_.async_wait(net::socket_base::wait_write, [self](beast::error_code ec) {
                std::lock_guard lock(self->mutex_);
                self->waiting_ = false;
                if (!ec) {
                    self->flush();
                }
            });
        });
    }

    // Requires mutex_. A frame left completely.
    void written(ws::Opcode op)
    {
        if (op != ws::Opcode::kClose) {
            return;
        }
        close_sent_ = true;
        if (close_received_) {
            shutdown_socket();  // the closing handshake is complete
        } else {
            // Then read (or, after a protocol error, discard) until the peer's close frame or its
            // end; the sweeper ends a peer that never answers.
            ::shutdown(fd_, SHUT_WR);
        }
    }

    // Requires mutex_. Queues a close frame after what is queued (a slow reader's backlog is
    // dropped, except a frame already half written).
    void begin_close(std::uint16_t code, std::string_view reason)
    {
        if (state_ != State::kOpen) {
            return;
        }
        state_ = State::kClosing;
        closing_since_ms_ = now_ms();
        if (code == ws::kClosePolicy && head_ < queue_.size()) {
            queue_.resize(offset_ > 0 ? head_ + 1 : head_);
        }
        push(ws::Opcode::kClose, std::make_shared<const std::string>(ws::close_body(code, reason)));
    }

    // Requires mutex_. Ends the TCP connection; the pending read completes and finishes.
    void shutdown_socket()
    {
        if (fd_ >= 0) {
            ::shutdown(fd_, SHUT_RDWR);
        }
    }

    WsSocket socket_;
    std::shared_ptr<WsHandler> handler_;
    Principal principal_;
    WsHub& hub_;
    net::strand<net::thread_pool::executor_type> callbacks_;
    WsSettings settings_;
    std::uint64_t id_;
    std::atomic<std::int64_t> last_read_ms_{0};

    // Read side (the strand).
    std::string partial_;  // an incomplete frame
    std::string message_;  // a fragmented message so far
    bool in_message_ = false;
    bool message_text_ = false;
    bool discarding_ = false;
    std::chrono::steady_clock::time_point window_start_ = std::chrono::steady_clock::now();
    int window_count_ = 0;

    // Write side, under mutex_.
    std::mutex mutex_;
    int fd_ = -1;
    std::vector<Out> queue_;  // frames not yet (fully) written, from head_; a deque allocates even when empty
    std::size_t head_ = 0;
    std::size_t offset_ = 0;  // bytes of queue_[head_] (header included) already written
    State state_ = State::kOpen;
    bool waiting_ = false;  // an async_wait for writability is pending
    bool close_sent_ = false;
    bool close_received_ = false;
    bool done_ = false;
    std::int64_t closing_since_ms_ = 0;
    std::int64_t pinged_ms_ = 0;
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

WsCork::WsCork() : outermost_(WsSession::corked() == nullptr)
{
    if (outermost_) {
        WsSession::corked() = new std::vector<std::shared_ptr<WsSession>>();
    }
}

WsCork::~WsCork()
{
    if (!outermost_) {
        return;
    }
    std::unique_ptr<std::vector<std::shared_ptr<WsSession>>> held(WsSession::corked());
    WsSession::corked() = nullptr;
    for (const auto& session : *held) {
        session->uncork();
    }
}

void
sweep_ws_sessions(WsHub& hub)
{
    const auto now = now_ms();
    for (const auto& conn : hub.members(WsHub::kEveryone)) {
        if (auto* session = dynamic_cast<WsSession*>(conn.get())) {
            session->check(now);
        }
    }
}

}  // namespace bb::http
