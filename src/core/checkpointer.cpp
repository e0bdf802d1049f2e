#include "core/checkpointer.hpp"

#include "core/log.hpp"

#include <SQLiteCpp/Database.h>
#include <sqlite3.h>

namespace bb::core {
namespace {
// 16 MiB of 4 KiB pages, four times SQLite's own threshold: each checkpoint fsyncs the database
// file, and on a shared disk that fsync delays the WAL's (which every acknowledgement waits for);
// at 1,000 pages, selling at 4,000 purchases/s checkpointed several times a second and put the
// p99 of a purchase at 60-120 ms; at 4,000 it stayed under 40 ms (bench/purchases.sh).
constexpr int kCheckpointPages = 4000;
}  // namespace

Checkpointer::Checkpointer(const std::string& path, SQLite::Database& writer)
    : writer_(writer), conn_(std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE))
{
    // FULL like the writer: the checkpoint syncs the WAL before it copies, and the database after.
    conn_->exec("PRAGMA synchronous = FULL");
    thread_ = std::thread([this] { run(); });
    // Replaces the writer's automatic checkpoint (sqlite3_wal_hook holds one callback).
    sqlite3_wal_hook(writer.getHandle(), &Checkpointer::on_commit, this);
}

// Called once the writer has stopped writing.
Checkpointer::~Checkpointer()
{
    sqlite3_wal_hook(writer_.getHandle(), nullptr, nullptr);
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

// Runs on the writer thread after each commit: only flags the work. Once per kCheckpointPages
// new pages, not on every commit past the threshold: the WAL is only rewound when a checkpoint
// has copied all of it and no reader still uses it, which under steady reads takes a while, and
// meanwhile a checkpoint per commit cost two fsyncs each (the WAL and the database) that the
// WAL's own fsync waited behind on the disk.
int
Checkpointer::on_commit(void* self, sqlite3*, const char*, int wal_pages)
{
    auto* c = static_cast<Checkpointer*>(self);
    if (wal_pages < c->requested_at_) {
        c->requested_at_ = 0;  // the WAL was rewound
    }
    if (wal_pages >= c->requested_at_ + kCheckpointPages) {
        c->requested_at_ = wal_pages;
        {
            std::lock_guard lock(c->mutex_);
            c->due_ = true;
        }
        c->cv_.notify_one();
    }
    return SQLITE_OK;
}

void
Checkpointer::run()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        cv_.wait(lock, [&] { return due_ || stopping_; });
        if (stopping_) {
            return;
        }
        due_ = false;
        lock.unlock();
        // PASSIVE: copies what no reader still needs and never blocks the writer or readers.
        const int rc = sqlite3_wal_checkpoint_v2(conn_->getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            log::warn("db", "checkpoint failed", {{"error", sqlite3_errstr(rc)}});
        }
        lock.lock();
    }
}

}  // namespace bb::core
