#include "modules/beats/file_refs.hpp"

#include "core/clock.hpp"

namespace bb::beats {

void
hold_file(core::Tx& tx, const std::string& sha256, const std::string& ext, std::int64_t size)
{
    tx.query("INSERT INTO beats_files (sha256, ext, size, refs, created_ms) VALUES (?, ?, ?, 1, ?) "
             "ON CONFLICT (sha256) DO UPDATE SET refs = refs + 1")
        .bind(sha256, ext, size, core::clock::now_ms())
        .exec();
}

bool
release_file(core::Tx& tx, const std::string& sha256)
{
    tx.query("UPDATE beats_files SET refs = refs - 1 WHERE sha256 = ?").bind(sha256).exec();
    auto refs = tx.query("SELECT refs FROM beats_files WHERE sha256 = ?");
    refs.bind(sha256);
    if (!refs.step() || refs.int64(0) > 0) {
        return false;
    }
    tx.query("DELETE FROM beats_files WHERE sha256 = ?").bind(sha256).exec();
    return true;
}

}  // namespace bb::beats
