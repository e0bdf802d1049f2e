#pragma once
// One thread of bench/ws's load client: an epoll loop over the WebSocket connections it was
// given, which finds the send timestamp in every frame received and records send -> receipt.
// One loop can also be the sender: it floods (a bounded number in flight, topped up by its own
// echoes) or paces (a timerfd on an absolute schedule) {"message": "@@<send us>@<seq> bench"}.
// Plain epoll and recv into one buffer per thread: a delivery costs the client one recv, so the
// client is not what limits the server.
#include "histogram.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bench {

// Microseconds on CLOCK_MONOTONIC (the clock bench/ws's Node client used too).
std::int64_t now_us();

struct Conn {
    int fd = -1;
    std::string partial;  // an incomplete frame
    std::string out;      // bytes the socket did not take yet (the sender's)
    std::atomic<bool> open{true};
};

// Send -> receipt of each paced message at its first and its last member: how long the server took
// to get a message out, and how long its fan-out took. Shared by the loops.
class Spread {
public:
    static constexpr std::size_t kMessages = 1 << 14;
    void note(std::uint64_t seq, std::int64_t latency_us);
    void reset();
    // Quantiles (ms) over messages of the first member's latency and of last minus first.
    struct Summary {
        double first_p50_ms = 0, first_p99_ms = 0, last_p50_ms = 0, last_p99_ms = 0, spread_p50_ms = 0,
               spread_p99_ms = 0;
    };
    Summary summary(std::uint64_t messages) const;

private:
    std::unique_ptr<std::atomic<std::int64_t>[]> first_{new std::atomic<std::int64_t>[kMessages]};
    std::unique_ptr<std::atomic<std::int64_t>[]> last_{new std::atomic<std::int64_t>[kMessages]};
};

struct Sent {
    std::uint64_t sent = 0;
    std::int64_t t0_us = 0;
    std::int64_t last_send_us = 0;
};

class Loop {
public:
    explicit Loop(Spread& spread);
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    // From the opening thread: the loop reads this connection from now on.
    void adopt(std::unique_ptr<Conn> conn);
    // Blocks until the run is over. Only on the loop that holds the sender's connection (its first).
    Sent flood(std::int64_t duration_us, int window);
    Sent paced(std::int64_t duration_us, double rate);
    // Stops the thread and closes every connection.
    void stop();

    // Counters since the last reset (call reset and read only while nothing is being sent).
    void reset();
    std::uint64_t received() const { return received_.load(std::memory_order_relaxed); }
    std::uint64_t other() const { return other_.load(std::memory_order_relaxed); }
    std::int64_t last_us() const { return last_us_.load(std::memory_order_relaxed); }
    std::size_t open_count() const;
    std::map<int, int> closes() const;  // close code (1006: no close frame) -> connections
    std::string other_sample() const;
    const Histogram& histogram() const { return hist_; }
    void track_spread(bool on) { track_spread_.store(on); }

private:
    enum class Mode { kNone, kFlood, kPaced };
    void run();
    Sent send_run(Mode mode, std::int64_t duration_us, int window, double rate);
    void on_readable(Conn& conn);
    void on_writable(Conn& conn);
    void received(Conn& conn, const char* data, std::size_t size, std::int64_t now);
    // Returns the bytes of data used by whole frames.
    std::size_t parse(Conn& conn, const char* data, std::size_t size, std::int64_t now);
    void on_text(Conn& conn, const char* payload, std::size_t size, std::int64_t now);
    void closed(Conn& conn, int code);
    void send_frame(Conn& conn, std::uint8_t opcode, const char* payload, std::size_t size);
    void start_sending();
    void send_message(std::int64_t now);
    void pump();  // flood: tops the window up
    void on_timer();
    void arm_timer(std::int64_t at_us);
    void finish_sending();

    Spread& spread_;
    int epoll_ = -1;
    int wake_ = -1;   // eventfd: a command from the controller
    int timer_ = -1;  // timerfd: the sender's schedule
    std::atomic<bool> stopping_{false};
    std::vector<std::unique_ptr<Conn>> conns_;  // touched by the controller only (adopt, stop)
    Conn* sender_ = nullptr;
    std::thread thread_;

    std::atomic<std::uint64_t> received_{0};
    std::atomic<std::uint64_t> other_{0};
    std::atomic<std::int64_t> last_us_{0};
    std::atomic<bool> track_spread_{false};
    Histogram hist_;
    mutable std::mutex rare_mutex_;  // closes and the sample: rare events
    std::map<int, int> closes_;
    std::string other_sample_;

    // The sending run, under send_mutex_ for the hand-over; the loop alone touches it meanwhile.
    std::mutex send_mutex_;
    std::condition_variable send_done_;
    Mode requested_ = Mode::kNone;
    Mode mode_ = Mode::kNone;
    bool done_ = false;
    std::int64_t duration_us_ = 0;
    int window_ = 0;
    double rate_ = 0;
    Sent result_;
    std::uint64_t echoes_at_start_ = 0;
    std::uint64_t echoes_ = 0;
};

}  // namespace bench
