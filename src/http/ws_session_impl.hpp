#pragma once
// The WebSocket connection behind start_ws_session, shared by the files that implement it:
// ws_session.cpp (handshake, lifetime, the sweeper), ws_session_read.cpp (reading and parsing
// what the peer sends), ws_session_write.cpp (the bounded queue and writing frames) and
// ws_cork.cpp (frames held for the end of a commit). Private to src/http.
//
// Beast answers the handshake; after that the frames are ours (ws_frame.hpp), so that:
//  - a frame is written by the thread that sends it, straight to the socket, with no post, no
//    allocation and no strand hop, when nothing is queued before it;
//  - a reader that is behind gets its frames queued and written all at once (one sendmsg for up
//    to kBatch frames) when the socket becomes writable; past max_queue it is cut off (1008);
//  - an idle connection holds no read or write buffer: reads wait for readiness, then recv into a
//    per-thread buffer, and only a partial frame is kept.
// The read side runs on the connection's strand; the write side is shared with any thread under
// mutex_, which also guards the socket's closing (so nobody writes to a reused descriptor).
#include "http/ws_frame.hpp"
#include "http/ws_session.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <sys/uio.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bb::http {

inline std::int64_t
ws_now_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

class WsSession : public WsConnection, public std::enable_shared_from_this<WsSession> {
public:
    static constexpr std::size_t kBatch = 32;  // frames gathered into one sendmsg

    WsSession(WsSocket socket, std::shared_ptr<WsHandler> handler, Principal principal, WsHub& hub,
              boost::asio::thread_pool& callbacks, const WsSettings& settings);
    ~WsSession() override;  // gives the user's socket back to the hub (admitted before the handshake)

    void run(boost::beast::http::request<boost::beast::http::string_body> upgrade);

    void send(std::shared_ptr<const std::string> text) override { queue(ws::Opcode::kText, std::move(text)); }
    void close(int code, std::string reason) override;
    const Principal& principal() const override { return principal_; }
    std::uint64_t id() const override { return id_; }

    // The sweeper (every few seconds): keepalive pings, the idle timeout, and a close the peer
    // never answered.
    void check(std::int64_t now);

    // What this thread's cork (WsCork) holds: the sessions with frames waiting for its end, and
    // how many frames that is.
    struct Corked {
        std::vector<std::shared_ptr<WsSession>> sessions;
        std::size_t frames = 0;
    };
    // This thread's cork; null when none.
    static Corked*& corked();
    // Writes what a cork held (on any thread).
    void uncork();
    // Where work for this connection may run: any of the server's network threads.
    boost::asio::io_context::executor_type io_executor() { return socket_.get_executor().get_inner_executor(); }

private:
    enum class State : std::uint8_t { kOpen, kClosing, kClosed };

    struct Out {
        std::shared_ptr<const std::string> payload;
        ws::Opcode op;
    };

    // ---- lifetime (ws_session.cpp) ----
    void on_accept();
    void finished();
    void guarded(const std::function<void()>& callback);  // runs a handler callback; never throws

    // ---- read side, on the strand (ws_session_read.cpp) ----
    void do_read();
    void on_readable(boost::beast::error_code ec);
    void received(char* data, std::size_t size);  // parses, with any partial frame kept from before
    void on_frame(const ws::Frame& frame);
    void fail(std::uint16_t code, std::string_view reason);  // the peer broke a rule
    bool within_rate();

    // ---- write side, any thread (ws_session_write.cpp); "locked" ones require mutex_ ----
    void queue(ws::Opcode op, std::shared_ptr<const std::string> payload);
    void push(ws::Opcode op, std::shared_ptr<const std::string> payload);  // locked
    void flush();                                                          // locked
    ssize_t write_vector(iovec* iov, int count);                           // locked
    void wait_writable();                                                  // locked
    void written(ws::Opcode op);                                           // locked
    // Locked. A reader too far behind (drop_unsent) loses what is queued; otherwise the close
    // frame goes after it.
    void begin_close(std::uint16_t code, std::string_view reason, bool drop_unsent = false);
    void shutdown_socket();                                                // locked

    WsSocket socket_;
    std::shared_ptr<WsHandler> handler_;
    Principal principal_;
    WsHub& hub_;
    boost::asio::strand<boost::asio::thread_pool::executor_type> callbacks_;
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

}  // namespace bb::http
