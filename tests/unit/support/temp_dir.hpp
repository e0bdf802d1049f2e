#pragma once
// Test helpers: a unique temporary directory removed on scope exit, and a migrated file database
// inside one. A file rather than :memory: because Db opens separate read-only connections, which
// must see the writer's data.
#include "core/crypto.hpp"
#include "core/db.hpp"
#include "core/embedded.hpp"
#include "core/log.hpp"
#include "core/migrations.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

namespace bb::test {

class TempDir {
public:
    TempDir()
    {
        std::random_device rd;
        std::mt19937_64 rng((std::uint64_t{rd()} << 32) ^ rd());
        for (int attempt = 0; attempt < 100; ++attempt) {
            auto candidate = std::filesystem::temp_directory_path() / ("bb_unit_" + std::to_string(rng()));
            if (std::filesystem::create_directory(candidate)) {
                path_ = candidate;
                return;
            }
        }
        throw std::runtime_error("could not create a temporary directory");
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

// Keeps expected warnings (failed deliveries, applied migrations) out of the test output.
inline void
quiet_logs()
{
    core::log::configure(core::log::Format::kText, core::log::Level::kError);
}

inline std::unique_ptr<core::Db>
open_db(const std::string& path)
{
    return std::make_unique<core::Db>(core::Db::Options{.path = path, .readers = 2});
}

// Opens path and applies the embedded migrations, failing the test if they do not apply.
inline std::unique_ptr<core::Db>
open_migrated_db(const std::string& path)
{
    quiet_logs();
    core::crypto::init();
    auto db = open_db(path);
    auto migrations = core::parse_migrations(bb::embedded::migrations());
    REQUIRE(migrations.has_value());
    auto applied = core::migrate(*db, *migrations);
    REQUIRE(applied.has_value());
    return db;
}

}  // namespace bb::test
