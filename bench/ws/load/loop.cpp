#include "loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>
#include <utility>

namespace bench {

std::int64_t
now_us()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

// ---- Spread ----

void
Spread::note(std::uint64_t seq, std::int64_t latency_us)
{
    if (seq >= kMessages) {
        return;
    }
    auto& first = first_[seq];
    for (auto seen = first.load(std::memory_order_relaxed); latency_us < seen;) {
        if (first.compare_exchange_weak(seen, latency_us, std::memory_order_relaxed)) {
            break;
        }
    }
    auto& last = last_[seq];
    for (auto seen = last.load(std::memory_order_relaxed); latency_us > seen;) {
        if (last.compare_exchange_weak(seen, latency_us, std::memory_order_relaxed)) {
            break;
        }
    }
}

void
Spread::reset()
{
    for (std::size_t i = 0; i < kMessages; ++i) {
        first_[i].store(std::numeric_limits<std::int64_t>::max(), std::memory_order_relaxed);
        last_[i].store(-1, std::memory_order_relaxed);
    }
}

Spread::Summary
Spread::summary(std::uint64_t messages) const
{
    std::vector<double> first, last, spread;
    for (std::size_t i = 0; i < std::min<std::uint64_t>(messages, kMessages); ++i) {
        const auto a = first_[i].load(std::memory_order_relaxed);
        const auto b = last_[i].load(std::memory_order_relaxed);
        if (b >= 0) {
            first.push_back(a / 1000.0);
            last.push_back(b / 1000.0);
            spread.push_back((b - a) / 1000.0);
        }
    }
    const auto at = [](std::vector<double>& v, double q) {
        if (v.empty()) {
            return 0.0;
        }
        std::sort(v.begin(), v.end());
        return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
    };
    return {at(first, 0.5), at(first, 0.99), at(last, 0.5), at(last, 0.99), at(spread, 0.5), at(spread, 0.99)};
}

// ---- Loop ----

Loop::Loop(Spread& spread) : spread_(spread)
{
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &wake_;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    ev.data.ptr = &timer_;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, timer_, &ev);
    thread_ = std::thread([this] { run(); });
}

Loop::~Loop()
{
    stop();
    ::close(timer_);
    ::close(wake_);
    ::close(epoll_);
}

void
Loop::adopt(std::unique_ptr<Conn> conn)
{
    if (sender_ == nullptr) {
        sender_ = conn.get();  // only the sender's loop sends, from its first connection
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = conn.get();
    epoll_ctl(epoll_, EPOLL_CTL_ADD, conn->fd, &ev);
    conns_.push_back(std::move(conn));
}

void
Loop::stop()
{
    if (!thread_.joinable()) {
        return;
    }
    stopping_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
    thread_.join();
    for (auto& conn : conns_) {
        if (conn->fd >= 0) {
            ::close(conn->fd);
            conn->fd = -1;
        }
    }
    conns_.clear();
}

void
Loop::reset()
{
    received_ = 0;
    other_ = 0;
    last_us_ = 0;
    hist_.reset();
    std::lock_guard lock(rare_mutex_);
    closes_.clear();
    other_sample_.clear();
}

std::size_t
Loop::open_count() const
{
    return static_cast<std::size_t>(
        std::count_if(conns_.begin(), conns_.end(), [](const auto& c) { return c->open.load(); }));
}

std::map<int, int>
Loop::closes() const
{
    std::lock_guard lock(rare_mutex_);
    return closes_;
}

std::string
Loop::other_sample() const
{
    std::lock_guard lock(rare_mutex_);
    return other_sample_;
}

void
Loop::run()
{
    std::array<epoll_event, 256> events;
    while (!stopping_.load()) {
        const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), -1);
        for (int i = 0; i < n; ++i) {
            void* tag = events[i].data.ptr;
            if (tag == &wake_) {
                std::uint64_t count;
                [[maybe_unused]] auto r = ::read(wake_, &count, sizeof count);
                start_sending();
            } else if (tag == &timer_) {
                std::uint64_t expirations;
                [[maybe_unused]] auto r = ::read(timer_, &expirations, sizeof expirations);
                on_timer();
            } else {
                auto& conn = *static_cast<Conn*>(tag);
                if (events[i].events & EPOLLOUT) {
                    on_writable(conn);
                }
                if (conn.fd >= 0 && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
                    on_readable(conn);
                }
            }
        }
    }
}

void
Loop::on_readable(Conn& conn)
{
    thread_local std::array<char, 64 * 1024> chunk;
    for (;;) {
        const auto n = ::recv(conn.fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return closed(conn, 1006);  // ended without a close frame
        }
        received(conn, chunk.data(), static_cast<std::size_t>(n), now_us());
        if (conn.fd < 0 || static_cast<std::size_t>(n) < chunk.size()) {
            return;
        }
    }
}

void
Loop::received(Conn& conn, const char* data, std::size_t size, std::int64_t now)
{
    if (conn.partial.empty()) {
        const auto used = parse(conn, data, size, now);
        if (conn.fd >= 0 && used < size) {
            conn.partial.assign(data + used, size - used);
        }
        return;
    }
    conn.partial.append(data, size);
    const auto used = parse(conn, conn.partial.data(), conn.partial.size(), now);
    if (conn.fd >= 0) {
        conn.partial.erase(0, used);
    }
}

std::size_t
Loop::parse(Conn& conn, const char* data, std::size_t size, std::int64_t now)
{
    std::size_t at = 0;
    while (conn.fd >= 0 && size - at >= 2) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(data + at);
        const std::uint8_t opcode = p[0] & 0x0f;
        std::uint64_t length = p[1] & 0x7f;
        std::size_t header = 2;
        if (length == 126) {
            if (size - at < 4) {
                break;
            }
            length = (std::uint64_t{p[2]} << 8) | p[3];
            header = 4;
        } else if (length == 127) {
            if (size - at < 10) {
                break;
            }
            length = 0;
            for (int i = 2; i < 10; ++i) {
                length = (length << 8) | p[i];
            }
            header = 10;
        }
        if (p[1] & 0x80) {
            header += 4;  // a server must not mask; it would not carry our marker readably anyway
        }
        if (size - at < header + length) {
            break;
        }
        const char* payload = data + at + header;
        at += header + length;
        switch (opcode) {
        case 0x1:
            on_text(conn, payload, length, now);
            break;
        case 0x8: {
            int code = 1005;
            if (length >= 2) {
                code = (static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]);
            }
            closed(conn, code);
            break;
        }
        case 0x9:
            send_frame(conn, 0xA, payload, length);
            break;
        default:
            break;  // pong, binary, continuation: not what this benchmark sends
        }
    }
    return at;
}

void
Loop::on_text(Conn& conn, const char* payload, std::size_t size, std::int64_t now)
{
    const auto* mark = static_cast<const char*>(memmem(payload, size, "@@", 2));
    if (mark == nullptr) {
        other_.store(other_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        std::lock_guard lock(rare_mutex_);
        if (other_sample_.empty()) {
            other_sample_.assign(payload, std::min<std::size_t>(size, 300));
        }
        return;
    }
    const char* end = payload + size;
    const char* c = mark + 2;
    std::int64_t sent_us = 0;
    for (; c < end && *c >= '0' && *c <= '9'; ++c) {
        sent_us = sent_us * 10 + (*c - '0');
    }
    hist_.record(now - sent_us);
    received_.store(received_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    last_us_.store(now, std::memory_order_relaxed);
    if (track_spread_.load(std::memory_order_relaxed) && c < end && *c == '@') {
        std::uint64_t seq = 0;
        for (++c; c < end && *c >= '0' && *c <= '9'; ++c) {
            seq = seq * 10 + static_cast<std::uint64_t>(*c - '0');
        }
        spread_.note(seq, now - sent_us);
    }
    if (&conn == sender_) {
        ++echoes_;
        if (mode_ == Mode::kFlood) {
            pump();
        }
    }
}

void
Loop::closed(Conn& conn, int code)
{
    if (conn.fd < 0) {
        return;
    }
    ::close(conn.fd);  // also leaves the epoll set
    conn.fd = -1;
    conn.open = false;
    std::string().swap(conn.partial);
    std::lock_guard lock(rare_mutex_);
    ++closes_[code];
}

// A final, masked frame (clients must mask, RFC 6455 5.3).
void
Loop::send_frame(Conn& conn, std::uint8_t opcode, const char* payload, std::size_t size)
{
    static constexpr std::uint8_t kMask[4] = {0x3a, 0x5c, 0x91, 0xe7};
    std::string frame;
    frame.reserve(size + 14);
    frame.push_back(static_cast<char>(0x80 | opcode));
    if (size < 126) {
        frame.push_back(static_cast<char>(0x80 | size));
    } else if (size < 65536) {
        frame.push_back(static_cast<char>(0x80 | 126));
        frame.push_back(static_cast<char>(size >> 8));
        frame.push_back(static_cast<char>(size & 0xff));
    } else {
        frame.push_back(static_cast<char>(0x80 | 127));
        for (int i = 7; i >= 0; --i) {
            frame.push_back(static_cast<char>((static_cast<std::uint64_t>(size) >> (8 * i)) & 0xff));
        }
    }
    frame.append(reinterpret_cast<const char*>(kMask), 4);
    for (std::size_t i = 0; i < size; ++i) {
        frame.push_back(static_cast<char>(payload[i] ^ kMask[i % 4]));
    }
    if (!conn.out.empty()) {
        conn.out += frame;  // behind what is waiting for EPOLLOUT
        return;
    }
    const auto n = ::send(conn.fd, frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(frame.size())) {
        return;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        return closed(conn, 1006);
    }
    conn.out.assign(frame, n < 0 ? 0 : static_cast<std::size_t>(n));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = &conn;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, conn.fd, &ev);
}

void
Loop::on_writable(Conn& conn)
{
    const auto n = ::send(conn.fd, conn.out.data(), conn.out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        return closed(conn, 1006);
    }
    conn.out.erase(0, n < 0 ? 0 : static_cast<std::size_t>(n));
    if (conn.out.empty()) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &conn;
        epoll_ctl(epoll_, EPOLL_CTL_MOD, conn.fd, &ev);
    }
}

// ---- sending ----

Sent
Loop::flood(std::int64_t duration_us, int window)
{
    return send_run(Mode::kFlood, duration_us, window, 0);
}

Sent
Loop::paced(std::int64_t duration_us, double rate)
{
    return send_run(Mode::kPaced, duration_us, 0, rate);
}

// Hands the run to the loop's thread and waits for its end.
Sent
Loop::send_run(Mode mode, std::int64_t duration_us, int window, double rate)
{
    std::unique_lock lock(send_mutex_);
    requested_ = mode;
    duration_us_ = duration_us;
    window_ = window;
    rate_ = rate;
    done_ = false;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
    send_done_.wait(lock, [this] { return done_; });
    return result_;
}

void
Loop::start_sending()
{
    {
        std::lock_guard lock(send_mutex_);
        if (requested_ == Mode::kNone || sender_ == nullptr) {
            return;
        }
        mode_ = std::exchange(requested_, Mode::kNone);
    }
    result_ = {};
    result_.t0_us = now_us();
    result_.last_send_us = result_.t0_us;
    echoes_at_start_ = echoes_;
    if (mode_ == Mode::kFlood) {
        arm_timer(result_.t0_us + duration_us_ + 5000);  // ends the run even if nothing comes back
        pump();
    } else {
        on_timer();
    }
}

void
Loop::pump()
{
    while (result_.sent - (echoes_ - echoes_at_start_) < static_cast<std::uint64_t>(window_)) {
        const auto now = now_us();
        if (now >= result_.t0_us + duration_us_ || sender_->fd < 0) {
            return finish_sending();
        }
        send_message(now);
    }
}

// {"message": "@@<send time, us>@<seq> bench"}: the receivers find the marker in the raw frame.
void
Loop::send_message(std::int64_t now)
{
    const auto text = "{\"message\":\"@@" + std::to_string(now) + "@" + std::to_string(result_.sent) + " bench\"}";
    send_frame(*sender_, 0x1, text.data(), text.size());
    ++result_.sent;
    result_.last_send_us = now;
}

// Paced: sends whatever is due (late sends catch up, as a fixed schedule does) and sleeps until
// the next one. Flood: the end of the run.
void
Loop::on_timer()
{
    if (mode_ == Mode::kFlood) {
        return finish_sending();
    }
    if (mode_ != Mode::kPaced) {
        return;
    }
    const auto total = static_cast<std::uint64_t>(static_cast<double>(duration_us_) / 1e6 * rate_ + 0.5);
    const double interval_us = 1e6 / rate_;
    for (;;) {
        if (result_.sent >= total || sender_->fd < 0) {
            return finish_sending();
        }
        const auto due = result_.t0_us + static_cast<std::int64_t>(static_cast<double>(result_.sent) * interval_us);
        const auto now = now_us();
        if (now < due) {
            return arm_timer(due);
        }
        send_message(now);
    }
}

void
Loop::arm_timer(std::int64_t at_us)
{
    itimerspec spec{};
    spec.it_value.tv_sec = at_us / 1'000'000;
    spec.it_value.tv_nsec = (at_us % 1'000'000) * 1000;
    timerfd_settime(timer_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void
Loop::finish_sending()
{
    if (mode_ == Mode::kNone) {
        return;
    }
    mode_ = Mode::kNone;
    arm_timer(0);  // disarms
    std::lock_guard lock(send_mutex_);
    done_ = true;
    send_done_.notify_all();
}

}  // namespace bench
