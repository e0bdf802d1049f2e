#include "core/child_process.hpp"

#include "core/child_process_args.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace bb::core {

namespace {

constexpr std::size_t kMaxStdout = std::size_t{4} << 20;
constexpr std::size_t kStderrTail = 4096;
constexpr const char* kSelf = "/proc/self/exe";
constexpr const char* kFlagAs = "--rlimit-as";
constexpr const char* kFlagCpu = "--rlimit-cpu";
constexpr const char* kFlagNofile = "--rlimit-nofile";

using Clock = std::chrono::steady_clock;

// The process-wide cap on running children; its size can change while children run. A job's
// child waits its turn for one of `limit_` slots. A child a request waits for (a bounded
// slot_wait) may also take one of kReserved more, so uploads are not queued behind long
// previews; it waits at most its bound, and when kMaxWaiting such requests wait already it is
// turned away at once, so waiting uploads never hold many request threads.
class ChildSlots {
public:
    static constexpr int kReserved = 1;
    static constexpr int kMaxWaiting = 4;

    ChildSlots() : limit_(std::max(1, static_cast<int>(std::thread::hardware_concurrency()))) {}

    void set_limit(int n)
    {
        {
            std::lock_guard lock(mutex_);
            limit_ = std::max(1, n);
        }
        cv_.notify_all();
    }

    void acquire()
    {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return running_ < limit_; });
        ++running_;
    }

    // False when no slot came within `wait`.
    bool acquire_within(std::chrono::milliseconds wait)
    {
        std::unique_lock lock(mutex_);
        auto free = [&] { return running_ < limit_ + kReserved; };
        if (!free() && waiting_ >= kMaxWaiting) {
            return false;
        }
        ++waiting_;
        const bool got = cv_.wait_for(lock, wait, free);
        --waiting_;
        if (got) {
            ++running_;
        }
        return got;
    }

    void release()
    {
        {
            std::lock_guard lock(mutex_);
            --running_;
        }
        cv_.notify_all();  // a job and a request may both wait, for different counts
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    int limit_;
    int running_ = 0;
    int waiting_ = 0;
};

ChildSlots&
child_slots()
{
    static ChildSlots slots;
    return slots;
}

class SlotGuard {
public:
    explicit SlotGuard(std::optional<std::chrono::milliseconds> wait)
    {
        if (wait) {
            held_ = child_slots().acquire_within(*wait);
        } else {
            child_slots().acquire();
            held_ = true;
        }
    }
    ~SlotGuard()
    {
        if (held_) {
            child_slots().release();
        }
    }
    SlotGuard(const SlotGuard&) = delete;
    SlotGuard& operator=(const SlotGuard&) = delete;
    bool held() const { return held_; }

private:
    bool held_ = false;
};

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept
    {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~Fd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset()
    {
        if (fd_ >= 0) {
            ::close(fd_);  // never retried on EINTR: on Linux the descriptor is gone either way
            fd_ = -1;
        }
    }

private:
    int fd_ = -1;
};

struct Pipe {
    Fd read;
    Fd write;
};

std::string
errno_text(const char* what, int err)
{
    return std::string(what) + ": " + std::strerror(err);
}

// Both ends close-on-exec and numbered 3 or above, so the dup2 onto 1 and 2 in the child can never
// clobber the other pipe (possible only when the parent itself runs with stdio closed).
bool
make_pipe(Pipe& p, std::string& error)
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        error = errno_text("pipe2", errno);
        return false;
    }
    Fd ends[2]{Fd(fds[0]), Fd(fds[1])};
    for (auto& end : ends) {
        if (end.get() < 3) {
            int moved = ::fcntl(end.get(), F_DUPFD_CLOEXEC, 3);
            if (moved < 0) {
                error = errno_text("fcntl", errno);
                return false;
            }
            end = Fd(moved);
        }
    }
    p.read = std::move(ends[0]);
    p.write = std::move(ends[1]);
    return true;
}

const std::string&
program_name()
{
    static const std::string name = [] {
        char buf[4096];
        ssize_t n = ::readlink(kSelf, buf, sizeof buf - 1);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("backbeat");
    }();
    return name;
}

int
poll_timeout_ms(Clock::time_point deadline)
{
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<std::int64_t>(left, 0, 60'000));
}

class Spawner {
public:
    Spawner()
    {
        ::posix_spawn_file_actions_init(&actions_);
        ::posix_spawnattr_init(&attr_);
    }
    ~Spawner()
    {
        ::posix_spawn_file_actions_destroy(&actions_);
        ::posix_spawnattr_destroy(&attr_);
    }
    Spawner(const Spawner&) = delete;
    Spawner& operator=(const Spawner&) = delete;

    // stdin is /dev/null; stdout and stderr are the pipes; every other descriptor is closed even
    // if some library in the server forgot O_CLOEXEC. Signal mask and dispositions start clean
    // (the server may block or ignore signals such as SIGPIPE; an exec'd child must not inherit that).
    int spawn(pid_t& pid, const std::vector<std::string>& argv_strings, int out_fd, int err_fd)
    {
        int rc = ::posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
        if (rc == 0) {
            rc = ::posix_spawn_file_actions_adddup2(&actions_, out_fd, 1);
        }
        if (rc == 0) {
            rc = ::posix_spawn_file_actions_adddup2(&actions_, err_fd, 2);
        }
        if (rc == 0) {
            rc = ::posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
        }
        sigset_t none;
        sigset_t all;
        sigemptyset(&none);
        sigfillset(&all);
        if (rc == 0) {
            rc = ::posix_spawnattr_setsigmask(&attr_, &none);
        }
        if (rc == 0) {
            rc = ::posix_spawnattr_setsigdefault(&attr_, &all);
        }
        if (rc == 0) {
            rc = ::posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        }
        if (rc != 0) {
            return rc;
        }
        std::vector<char*> argv;
        argv.reserve(argv_strings.size() + 1);
        for (const auto& a : argv_strings) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        return ::posix_spawn(&pid, kSelf, &actions_, &attr_, argv.data(), environ);
    }

private:
    posix_spawn_file_actions_t actions_;
    posix_spawnattr_t attr_;
};

// Reads whatever is ready on fd. Returns false at end of file (or on an error that ends the stream).
bool
drain(int fd, std::string& sink, std::size_t cap, bool keep_tail)
{
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            if (keep_tail) {
                sink.append(buf, static_cast<std::size_t>(n));
                if (sink.size() > 2 * cap) {
                    sink.erase(0, sink.size() - cap);
                }
            } else if (sink.size() < cap) {
                sink.append(buf, std::min(static_cast<std::size_t>(n), cap - sink.size()));
            }
            return true;  // one read per poll wakeup keeps both pipes moving
        }
        if (n == 0) {
            return false;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

int
wait_blocking(pid_t pid, int& status)
{
    for (;;) {
        pid_t r = ::waitpid(pid, &status, 0);
        if (r == pid) {
            return 0;
        }
        if (r < 0 && errno != EINTR) {
            return errno;
        }
    }
}

// After the child closed its pipes it normally exits at once; give it until the deadline.
bool
wait_until(pid_t pid, int& status, Clock::time_point deadline, int& wait_error)
{
    auto pause = std::chrono::microseconds(200);
    for (;;) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return true;
        }
        if (r < 0 && errno != EINTR) {
            wait_error = errno;
            return true;
        }
        auto now = Clock::now();
        if (now >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
        pause = std::min(pause * 2, std::chrono::microseconds(20'000));
    }
}

void
append_tail(std::string& tail, const std::string& line)
{
    if (!tail.empty() && tail.back() != '\n') {
        tail.push_back('\n');
    }
    tail += line;
}

}  // namespace

namespace detail {

std::vector<std::string>
child_limit_args(const ChildLimits& limits)
{
    return {kFlagAs,
            std::to_string(limits.address_space_bytes),
            kFlagCpu,
            std::to_string(limits.cpu_seconds),
            kFlagNofile,
            std::to_string(limits.open_files)};
}

ParsedChildLimits
take_child_limit_args(std::vector<std::string>& args)
{
    ParsedChildLimits parsed;
    auto slot_for = [&](std::string_view flag) -> std::optional<std::int64_t>* {
        if (flag == kFlagAs) {
            return &parsed.address_space_bytes;
        }
        if (flag == kFlagCpu) {
            return &parsed.cpu_seconds;
        }
        if (flag == kFlagNofile) {
            return &parsed.open_files;
        }
        return nullptr;
    };
    std::vector<std::string> rest;
    rest.reserve(args.size());
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        std::string_view flag = arg.substr(0, arg.find('='));
        auto* slot = slot_for(flag);
        if (slot == nullptr) {
            rest.push_back(std::move(args[i]));
            continue;
        }
        std::string_view value;
        if (flag.size() < arg.size()) {
            value = arg.substr(flag.size() + 1);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            parsed.error = std::string(flag) + " needs a value";
            continue;
        }
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc() || end != value.data() + value.size() || n <= 0) {
            parsed.error = std::string(flag) + " needs a positive integer, got '" + std::string(value) + "'";
            continue;
        }
        *slot = n;
    }
    args = std::move(rest);
    return parsed;
}

}  // namespace detail

ChildResult
run_child(const std::vector<std::string>& args, const ChildLimits& limits)
{
    ChildResult result;
    SlotGuard slot(limits.slot_wait);  // the wall clock starts once we hold a slot, not while queueing for one
    if (!slot.held()) {
        result.busy = true;
        return result;
    }
    const auto deadline = Clock::now() + limits.wall;

    Pipe out;
    Pipe err;
    std::string error;
    if (!make_pipe(out, error) || !make_pipe(err, error)) {
        result.err_tail = error;
        return result;
    }

    std::vector<std::string> argv;
    argv.reserve(args.size() + 7);
    argv.push_back(program_name());
    argv.insert(argv.end(), args.begin(), args.end());
    auto limit_args = detail::child_limit_args(limits);
    argv.insert(argv.end(), limit_args.begin(), limit_args.end());

    pid_t pid = -1;
    int rc = Spawner().spawn(pid, argv, out.write.get(), err.write.get());
    out.write.reset();  // the child holds its own copies; ours would keep the pipes from ever reaching EOF
    err.write.reset();
    if (rc != 0) {
        result.err_tail = errno_text("posix_spawn", rc);
        return result;
    }

    bool out_open = true;
    bool err_open = true;
    while (out_open || err_open) {
        if (Clock::now() >= deadline) {
            result.timed_out = true;
            break;
        }
        pollfd fds[2];
        nfds_t count = 0;
        if (out_open) {
            fds[count++] = {out.read.get(), POLLIN, 0};
        }
        if (err_open) {
            fds[count++] = {err.read.get(), POLLIN, 0};
        }
        int ready = ::poll(fds, count, poll_timeout_ms(deadline));
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            append_tail(result.err_tail, errno_text("poll", errno));
            result.timed_out = true;  // we can no longer supervise it: end it like a timeout
            break;
        }
        for (nfds_t i = 0; i < count; ++i) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) == 0) {
                continue;
            }
            if (fds[i].fd == out.read.get()) {
                out_open = drain(fds[i].fd, result.out, kMaxStdout, false);
            } else {
                err_open = drain(fds[i].fd, result.err_tail, kStderrTail, true);
            }
        }
    }

    int status = 0;
    int wait_error = 0;
    if (!result.timed_out && !wait_until(pid, status, deadline, wait_error)) {
        result.timed_out = true;
    }
    if (result.timed_out) {
        ::kill(pid, SIGKILL);
        wait_error = wait_blocking(pid, status);
    }
    if (result.err_tail.size() > kStderrTail) {
        result.err_tail.erase(0, result.err_tail.size() - kStderrTail);
    }
    if (wait_error != 0) {
        // ECHILD: someone set SIGCHLD to SIG_IGN, so the kernel reaped it and the status is lost.
        append_tail(result.err_tail, errno_text("waitpid", wait_error));
        return result;
    }
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    }
    return result;
}

void
set_max_children(int n)
{
    child_slots().set_limit(n);
}

void
apply_child_limits(std::vector<std::string>& args)
{
    auto parsed = detail::take_child_limit_args(args);
    auto die = [](const std::string& message) {
        // Running untrusted input without the limits the parent asked for is worse than not running.
        std::fprintf(stderr, "backbeat: child limits: %s\n", message.c_str());
        std::fflush(stderr);
        std::_Exit(2);
    };
    if (!parsed.error.empty()) {
        die(parsed.error);
    }
    if (!parsed.any()) {
        return;  // started by hand, not by run_child
    }
    auto limit = [&](int resource, const char* name, std::int64_t value) {
        rlimit current{};
        if (::getrlimit(resource, &current) != 0) {
            die(errno_text(name, errno));
        }
        // Never above the current hard limit: that would fail, and the limit is already stricter.
        rlim_t v = static_cast<rlim_t>(value);
        if (current.rlim_max != RLIM_INFINITY) {
            v = std::min(v, current.rlim_max);
        }
        rlimit wanted{v, v};
        if (::setrlimit(resource, &wanted) != 0) {
            die(errno_text(name, errno));
        }
    };
    if (parsed.address_space_bytes) {
        limit(RLIMIT_AS, "RLIMIT_AS", *parsed.address_space_bytes);
    }
    if (parsed.cpu_seconds) {
        limit(RLIMIT_CPU, "RLIMIT_CPU", *parsed.cpu_seconds);
    }
    if (parsed.open_files) {
        limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", *parsed.open_files);
    }
    // A crashing decoder must not write a core file of untrusted input; and the worker should not
    // outlive the server (run_child's thread waits for it, so the parent thread lives as long).
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Background work: transcoding yields the CPU to the requests people are waiting for.
    ::setpriority(PRIO_PROCESS, 0, 10);
}

}  // namespace bb::core
