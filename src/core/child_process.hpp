#pragma once
// Runs this same binary as a child process in a worker mode (untrusted media is decoded there,
// never in the server's address space). The child gets resource limits, a wall-clock timeout
// after which it is SIGKILLed, and at most `max_children` run at once across the process.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bb::core {

struct ChildLimits {
    std::int64_t address_space_bytes = std::int64_t{2} << 30;  // RLIMIT_AS
    int cpu_seconds = 300;                                       // RLIMIT_CPU
    int open_files = 64;                                         // RLIMIT_NOFILE
    std::chrono::milliseconds wall{std::chrono::minutes(5)};    // then SIGKILL
    // Set for a child a request waits for: it may use the slot kept for such children, and gives
    // up (ChildResult::busy) when none came within this long. Unset: wait as long as it takes.
    std::optional<std::chrono::milliseconds> slot_wait;
};

struct ChildResult {
    int exit_code = -1;         // when it exited normally; stays -1 if it could not be started (err_tail says why)
    int signal = 0;             // when a signal ended it (SIGKILL after a timeout, SIGSEGV...)
    bool timed_out = false;
    bool busy = false;          // never started: no slot within ChildLimits::slot_wait
    std::string out;            // its stdout (bounded: 4 MiB)
    std::string err_tail;       // the last 4 KiB of its stderr, for logs
    bool ok() const { return !timed_out && signal == 0 && exit_code == 0; }
};

// args are the worker's own arguments, e.g. {"media-worker", "probe", "--input", path}. Blocks the
// calling thread (a job worker or the blocking pool, never a network thread).
ChildResult run_child(const std::vector<std::string>& args, const ChildLimits& limits);

// The global cap on concurrent children; run_child waits for a slot (the wall clock starts once
// it has one). Default: one per core; children with a slot_wait may use one more.
void set_max_children(int n);

// Called first thing by a worker mode: applies the limits the parent passed as arguments
// (--rlimit-as BYTES --rlimit-cpu S --rlimit-nofile N), removing them from args. Each becomes
// both the soft and the hard limit (never above an existing hard limit); when any is present,
// core dumps are also turned off and the child is SIGKILLed if the parent thread dies. A flag
// with a malformed value ends the process with exit 2 rather than run without its limits.
void apply_child_limits(std::vector<std::string>& args);

}  // namespace bb::core
