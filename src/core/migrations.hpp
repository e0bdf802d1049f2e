#pragma once
// Schema migrations: numbered SQL files (migrations/NNNN_<module>_<what>.sql) compiled into the
// binary, applied in order, each in its own transaction, and recorded in core_migrations.
#include "core/embedded.hpp"
#include "core/error.hpp"

#include <span>
#include <string>
#include <vector>

namespace bb::core {

class Db;

struct Migration {
    int version = 0;
    std::string name;
    std::string_view sql;
};

// Sorted by version; fails on a file name without a number or on a repeated number.
Result<std::vector<Migration>> parse_migrations(std::span<const embedded::EmbeddedFile> files);

// Applies what is missing and returns how many were applied. Refuses a database whose schema is
// newer than the newest migration this binary knows.
Result<int> migrate(Db& db, const std::vector<Migration>& migrations);

}  // namespace bb::core
