#include "core/child_process.hpp"

#include "core/child_process_args.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

// run_child always starts /proc/self/exe, which here is unit_tests itself. doctest ignores
// arguments it does not know, so a child started with
//   --dt-test-case=child_process helper* --dt-no-intro=true --bb-child-helper MODE ...
// runs only the helper test case below, which does what MODE says and _exits before doctest
// prints anything. In a normal test run the helper finds no marker and does nothing.

namespace {

using bb::core::ChildLimits;
using bb::core::ChildResult;
using namespace std::chrono_literals;

constexpr const char* kMarker = "--bb-child-helper";

std::vector<std::string>
own_command_line()
{
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    std::string current;
    for (char c : all) {
        if (c == '\0') {
            args.push_back(current);
            current.clear();
        } else {
            current.push_back(c);
        }
    }
    return args;
}

void
say(const std::string& s, int fd = 1)
{
    std::size_t done = 0;
    while (done < s.size()) {
        ssize_t n = ::write(fd, s.data() + done, s.size() - done);
        if (n <= 0) {
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

std::int64_t
monotonic_ns()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::vector<std::string>
helper(std::initializer_list<std::string> args)
{
    std::vector<std::string> out = {"--dt-test-case=child_process helper*", "--dt-no-intro=true", kMarker};
    out.insert(out.end(), args);
    return out;
}

ChildResult
run_helper(std::initializer_list<std::string> args, std::chrono::milliseconds wall = 10s)
{
    ChildLimits limits;
    limits.wall = wall;
    return bb::core::run_child(helper(args), limits);
}

}  // namespace

TEST_CASE("child_process helper (does something only when started by run_child)")
{
    auto args = own_command_line();
    auto marker = std::find(args.begin(), args.end(), kMarker);
    if (marker == args.end()) {
        return;
    }
    std::vector<std::string> rest(marker + 1, args.end());
    bb::core::apply_child_limits(rest);  // what a real worker does first
    const std::string mode = rest.empty() ? "" : rest[0];
    if (mode == "echo") {
        say("out:");
        for (std::size_t i = 1; i < rest.size(); ++i) {
            say(rest[i] + (i + 1 < rest.size() ? " " : ""));
        }
        say("err:oops", 2);
        ::_exit(7);
    }
    if (mode == "limits") {
        auto get = [](int resource) {
            rlimit r{};
            ::getrlimit(resource, &r);
            return std::to_string(r.rlim_cur) + "/" + std::to_string(r.rlim_max);
        };
        say(get(RLIMIT_AS) + " " + get(RLIMIT_CPU) + " " + get(RLIMIT_NOFILE) + " " + get(RLIMIT_CORE));
        ::_exit(0);
    }
    if (mode == "fds") {
        // Every descriptor above stderr, except the one this listing itself uses.
        std::string open;
        DIR* dir = ::opendir("/proc/self/fd");
        while (dirent* entry = dir != nullptr ? ::readdir(dir) : nullptr) {
            int fd = std::atoi(entry->d_name);
            if (entry->d_name[0] != '.' && fd > 2 && fd != ::dirfd(dir)) {
                open += std::to_string(fd) + " ";
            }
        }
        say(open.empty() ? "none" : open);
        ::_exit(0);
    }
    if (mode == "stdin") {
        char c;
        say(::read(0, &c, 1) == 0 ? "eof" : "data");
        ::_exit(0);
    }
    if (mode == "sleep") {
        const auto start = monotonic_ns();
        std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(rest.at(1))));
        say(std::to_string(start) + " " + std::to_string(monotonic_ns()));
        ::_exit(0);
    }
    if (mode == "flood") {
        std::string chunk(64 * 1024, 'x');
        for (int i = 0; i < 96; ++i) {  // 6 MiB
            say(chunk);
        }
        std::string err(100 * 1024, 'e');
        say(err + "THE END", 2);
        ::_exit(0);
    }
    if (mode == "segv") {
        std::signal(SIGSEGV, SIG_DFL);  // past doctest's crash reporter
        std::raise(SIGSEGV);
    }
    if (mode == "close-and-linger") {
        ::close(1);
        ::close(2);
        std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(rest.at(1))));
        ::_exit(5);
    }
    ::_exit(99);
}

TEST_CASE("run_child: exit code, stdout and stderr")
{
    auto r = run_helper({"echo", "hello", "world"});
    CHECK(r.exit_code == 7);
    CHECK(r.signal == 0);
    CHECK_FALSE(r.timed_out);
    CHECK_FALSE(r.ok());
    CHECK(r.out == "out:hello world");
    CHECK(r.err_tail == "err:oops");
}

TEST_CASE("run_child: the child gets the limits, as soft and hard limits, and no core dumps")
{
    ChildLimits limits;
    limits.address_space_bytes = std::int64_t{1} << 30;
    limits.cpu_seconds = 17;
    limits.open_files = 32;
    auto r = bb::core::run_child(helper({"limits"}), limits);
    REQUIRE(r.ok());
    CHECK(r.out == "1073741824/1073741824 17/17 32/32 0/0");
}

TEST_CASE("run_child: no descriptor leaks into the child, and stdin is empty")
{
    // Deliberately without O_CLOEXEC, as careless library code might open it.
    int leaky = ::open("/dev/null", O_RDONLY);
    REQUIRE(leaky > 2);
    auto fds = run_helper({"fds"});
    auto in = run_helper({"stdin"});
    ::close(leaky);
    REQUIRE(fds.ok());
    CHECK(fds.out == "none");
    CHECK(in.out == "eof");
}

TEST_CASE("run_child: the wall-clock limit kills the child")
{
    const auto start = std::chrono::steady_clock::now();
    auto r = run_helper({"sleep", "20000"}, 300ms);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(r.timed_out);
    CHECK(r.signal == SIGKILL);
    CHECK_FALSE(r.ok());
    CHECK(took < 5s);
}

TEST_CASE("run_child: a child that closes its pipes but keeps running is still timed out")
{
    auto r = run_helper({"close-and-linger", "20000"}, 300ms);
    CHECK(r.timed_out);
    CHECK(r.signal == SIGKILL);
    auto quick = run_helper({"close-and-linger", "50"});
    CHECK_FALSE(quick.timed_out);
    CHECK(quick.exit_code == 5);
}

TEST_CASE("run_child: output is bounded (4 MiB stdout, the last 4 KiB of stderr)")
{
    auto r = run_helper({"flood"});
    REQUIRE(r.ok());
    CHECK(r.out.size() == std::size_t{4} << 20);
    CHECK(r.err_tail.size() == 4096);
    CHECK(r.err_tail.substr(r.err_tail.size() - 7) == "THE END");
}

TEST_CASE("run_child: a crash is reported as a signal")
{
    auto r = run_helper({"segv"});
    CHECK(r.signal == SIGSEGV);
    CHECK_FALSE(r.timed_out);
    CHECK_FALSE(r.ok());
}

TEST_CASE("run_child: at most max_children run at once")
{
    auto run_three = [](int cap) {
        bb::core::set_max_children(cap);
        std::vector<ChildResult> results(3);
        std::vector<std::thread> threads;
        for (auto& result : results) {
            threads.emplace_back([&result] { result = run_helper({"sleep", "150"}); });
        }
        for (auto& t : threads) {
            t.join();
        }
        std::vector<std::pair<std::int64_t, std::int64_t>> spans;
        for (const auto& r : results) {
            REQUIRE(r.ok());
            std::istringstream in(r.out);
            std::int64_t from = 0, to = 0;
            in >> from >> to;
            spans.emplace_back(from, to);
        }
        std::sort(spans.begin(), spans.end());
        int overlaps = 0;
        for (std::size_t i = 1; i < spans.size(); ++i) {
            overlaps += spans[i].first < spans[i - 1].second ? 1 : 0;
        }
        return overlaps;
    };
    CHECK(run_three(1) == 0);
    CHECK(run_three(3) > 0);
    bb::core::set_max_children(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

TEST_CASE("run_child: a child a request waits for takes the reserved slot, or gives up within its bound")
{
    bb::core::set_max_children(1);
    // A job's child holds the only ordinary slot.
    std::thread job([] { CHECK(run_helper({"sleep", "1500"}).ok()); });
    std::this_thread::sleep_for(200ms);
    ChildLimits interactive;
    interactive.wall = 10s;
    interactive.slot_wait = 300ms;
    // The reserved slot: a request's child starts at once beside the job's.
    const auto t0 = monotonic_ns();
    CHECK(bb::core::run_child(helper({"sleep", "10"}), interactive).ok());
    CHECK(monotonic_ns() - t0 < 1'000'000'000);
    // With the reserved slot taken too, the next one gives up after its bound instead of queueing.
    std::thread other([&] { CHECK(bb::core::run_child(helper({"sleep", "1000"}), interactive).ok()); });
    std::this_thread::sleep_for(200ms);
    const auto t1 = monotonic_ns();
    const auto refused = bb::core::run_child(helper({"sleep", "10"}), interactive);
    const auto waited_ms = (monotonic_ns() - t1) / 1'000'000;
    CHECK(refused.busy);
    CHECK_FALSE(refused.ok());
    CHECK(waited_ms >= 250);
    CHECK(waited_ms < 900);
    other.join();
    job.join();
    bb::core::set_max_children(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

TEST_CASE("child limit arguments: round trip, both spellings, and the rest left in order")
{
    ChildLimits limits;
    limits.address_space_bytes = 123456789;
    limits.cpu_seconds = 9;
    limits.open_files = 40;
    std::vector<std::string> args = {"probe", "--input", "x.wav"};
    auto flags = bb::core::detail::child_limit_args(limits);
    args.insert(args.begin() + 1, flags.begin(), flags.end());
    auto parsed = bb::core::detail::take_child_limit_args(args);
    CHECK(parsed.error.empty());
    CHECK(parsed.address_space_bytes == 123456789);
    CHECK(parsed.cpu_seconds == 9);
    CHECK(parsed.open_files == 40);
    CHECK(args == std::vector<std::string>{"probe", "--input", "x.wav"});

    std::vector<std::string> eq = {"--rlimit-cpu=5", "synth", "--rlimit-nofile", "8"};
    auto p2 = bb::core::detail::take_child_limit_args(eq);
    CHECK(p2.cpu_seconds == 5);
    CHECK(p2.open_files == 8);
    CHECK_FALSE(p2.address_space_bytes.has_value());
    CHECK(eq == std::vector<std::string>{"synth"});
}

TEST_CASE("child limit arguments: malformed values are errors, absent flags are nothing")
{
    for (std::vector<std::string> bad : {std::vector<std::string>{"--rlimit-as"},
                                         {"--rlimit-as", "lots"},
                                         {"--rlimit-cpu", "-5"},
                                         {"--rlimit-nofile", "0"},
                                         {"--rlimit-cpu=12s"}}) {
        CAPTURE(bad[0]);
        auto parsed = bb::core::detail::take_child_limit_args(bad);
        CHECK_FALSE(parsed.error.empty());
    }
    std::vector<std::string> plain = {"preview", "--input", "a", "--rlimit-asx", "3"};
    auto parsed = bb::core::detail::take_child_limit_args(plain);
    CHECK_FALSE(parsed.any());
    CHECK(parsed.error.empty());
    CHECK(plain.size() == 5);

    // Without flags apply_child_limits changes nothing (safe to call in-process).
    std::vector<std::string> args = {"probe", "--input", "f"};
    bb::core::apply_child_limits(args);
    CHECK(args == std::vector<std::string>{"probe", "--input", "f"});
}
