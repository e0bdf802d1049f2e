// A WebSocket connection's write side, shared by any thread under the session's mutex: a frame
// goes straight to the socket when nothing waits before it; otherwise it joins a bounded queue
// that is written kBatch frames per sendmsg once the socket is writable (ws_session_impl.hpp).
#include "http/ws_session_impl.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>

#include <sys/socket.h>

#include <cerrno>

namespace bb::http {
namespace net = boost::asio;
namespace beast = boost::beast;

void
WsSession::queue(ws::Opcode op, std::shared_ptr<const std::string> payload)
{
    std::lock_guard lock(mutex_);
    if (state_ != State::kOpen) {
        return;  // nothing goes after the close frame
    }
    push(op, std::move(payload));
}

// Requires mutex_. Writes at once when nothing waits before this frame.
void
WsSession::push(ws::Opcode op, std::shared_ptr<const std::string> payload)
{
    if (fd_ < 0) {
        return;
    }
    if (head_ == queue_.size() && !waiting_) {
        if (corked() != nullptr && op == ws::Opcode::kText) {
            queue_.push_back({std::move(payload), op});
            corked()->sessions.push_back(shared_from_this());  // written when the cork ends
            ++corked()->frames;
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
        return begin_close(ws::kClosePolicy, "too slow: messages are piling up", true);
    }
    queue_.push_back({std::move(payload), op});
    if (!waiting_) {
        if (corked() != nullptr && queue_.size() - head_ < kBatch) {
            ++corked()->frames;
            return;  // held by this thread's cork; a full batch goes now
        }
        flush();
    }
}

void
WsSession::uncork()
{
    std::lock_guard lock(mutex_);
    if (!waiting_) {
        flush();
    }
}

// Requires mutex_. Writes as much of the queue as the socket takes, kBatch frames per call.
void
WsSession::flush()
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
ssize_t
WsSession::write_vector(iovec* iov, int count)
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
void
WsSession::wait_writable()
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
void
WsSession::written(ws::Opcode op)
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
void
WsSession::begin_close(std::uint16_t code, std::string_view reason, bool drop_unsent)
{
    if (state_ != State::kOpen) {
        return;
    }
    state_ = State::kClosing;
    closing_since_ms_ = ws_now_ms();
    if (drop_unsent && head_ < queue_.size()) {
        queue_.resize(offset_ > 0 ? head_ + 1 : head_);
    }
    push(ws::Opcode::kClose, std::make_shared<const std::string>(ws::close_body(code, reason)));
}

// Requires mutex_. Ends the TCP connection; the pending read completes and finishes.
void
WsSession::shutdown_socket()
{
    if (fd_ >= 0) {
        ::shutdown(fd_, SHUT_RDWR);
    }
}

}  // namespace bb::http
