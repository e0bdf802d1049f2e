// A WebSocket connection's read side, on its strand: wait for readiness, recv into a per-thread
// buffer, parse frames (ws_frame.hpp), hand whole messages to the handler (ws_session_impl.hpp).
#include "http/ws_session_impl.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>

#include <sys/socket.h>

#include <array>
#include <cerrno>

namespace bb::http {
namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;  // one recv; the buffer is per thread, not per connection

}  // namespace

void
WsSession::do_read()
{
    socket_.async_wait(net::socket_base::wait_read,
                       [self = shared_from_this()](beast::error_code ec) { self->on_readable(ec); });
}

void
WsSession::on_readable(beast::error_code ec)
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
        last_read_ms_.store(ws_now_ms(), std::memory_order_relaxed);
        received(chunk.data(), static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < chunk.size()) {
            break;
        }
    }
    do_read();
}

// Parses what arrived, with any partial frame kept from before.
void
WsSession::received(char* data, std::size_t size)
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

void
WsSession::on_frame(const ws::Frame& frame)
{
    switch (frame.op) {
    case ws::Opcode::kPing:
        return queue(ws::Opcode::kPong, std::make_shared<const std::string>(frame.payload));
    case ws::Opcode::kPong:
        return;  // last_read_ms_ already moved
    case ws::Opcode::kClose: {
        const auto code = ws::close_reply(frame.payload);
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
        // Read nothing more, but close only after the messages taken before this one were handled
        // (on the callbacks strand, in order): each one stored gets its acknowledgement first.
        discarding_ = true;
        return net::post(callbacks_, [self = shared_from_this()] {
            std::lock_guard lock(self->mutex_);
            self->begin_close(ws::kClosePolicy, "too many messages");
        });
    }
    net::post(callbacks_, [self = shared_from_this(), text] {
        self->guarded([&] { self->handler_->on_message(self, *text); });
    });
}

// The peer broke a rule: tell it why and read nothing more from it.
void
WsSession::fail(std::uint16_t code, std::string_view reason)
{
    discarding_ = true;
    std::string().swap(message_);
    in_message_ = false;
    std::lock_guard lock(mutex_);
    begin_close(code, reason);
}

bool
WsSession::within_rate()
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

}  // namespace bb::http
