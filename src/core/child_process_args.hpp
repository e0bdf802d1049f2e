#pragma once
// Private to core/child_process.cpp and its tests: how ChildLimits travel on the child's command
// line. The parent appends them; the child takes them out again before parsing its own arguments.
#include "core/child_process.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bb::core::detail {

// {"--rlimit-as", "N", "--rlimit-cpu", "N", "--rlimit-nofile", "N"}
std::vector<std::string> child_limit_args(const ChildLimits& limits);

struct ParsedChildLimits {
    std::optional<std::int64_t> address_space_bytes;
    std::optional<std::int64_t> cpu_seconds;
    std::optional<std::int64_t> open_files;
    std::string error;  // non-empty when a flag is present but its value is missing or not a positive integer

    bool any() const { return address_space_bytes || cpu_seconds || open_files; }
};

// Removes every "--rlimit-as N" / "--rlimit-as=N" (and -cpu, -nofile) from args; the rest keep
// their order. A repeated flag keeps its last value.
ParsedChildLimits take_child_limit_args(std::vector<std::string>& args);

}  // namespace bb::core::detail
