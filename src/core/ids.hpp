#pragma once
// Opaque, time-ordered ids (UUIDv7). Within one process each id sorts after the previous one,
// so "everything after id X" is well defined for cursors and ?since=.
#include <string>

namespace bb::core {

std::string new_id();

// This process's id, made once: it names the owner of work in flight (a checkout being created),
// so that another process on the same database, or this one after a restart, can tell whose it is.
const std::string& instance_id();

// A request id: unique, cheap (no lock, no system call), but not time-ordered across threads.
std::string new_request_id();

}  // namespace bb::core
