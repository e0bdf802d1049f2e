#pragma once
// How full the disk is. A full disk must end a write with 507, not crash the server or leave work
// stuck: these say whether a failure was for lack of space, and how much space is left.
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bb::core {

// Thrown by Db::write when the batch holding the write could not commit for lack of space.
struct StorageFull : std::runtime_error {
    StorageFull() : std::runtime_error("database or disk is full") {}
};

// SQLite's SQLITE_FULL, ENOSPC or EDQUOT from the file system, or StorageFull.
bool is_storage_full(const std::exception& e);
// A failure reported as text (a media worker's message) that says the disk is full.
bool says_storage_full(std::string_view message);

// Bytes an unprivileged writer may still use on the file system holding `path`; none when unknown.
std::optional<std::int64_t> free_bytes(const std::string& path);

}  // namespace bb::core
