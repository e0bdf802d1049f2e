#pragma once
// Makes commits durable off the writer thread. The writer commits with synchronous=NORMAL (the
// commit only write()s its WAL frames) and hands the batch's acknowledgements here; this thread
// fdatasyncs the WAL file and only then runs them, in commit order. Meanwhile the writer already
// runs the next batch, so the fsync no longer stops writing, and one fsync covers every batch
// that committed while the previous one was in flight.
//
// Why an acknowledged write still survives power loss:
// - The WAL is append-only between resets, and fdatasync(wal) covers every byte written to the
//   file before it started. A batch is queued here only after its COMMIT returned (its frames,
//   commit frame included, were written), so the fsync that runs after it covers it.
// - Linux syncs the inode, not the descriptor: our own descriptor on the -wal file syncs what
//   SQLite wrote through its own. The WAL is reset in place (rewound, or truncated by
//   journal_size_limit and TRUNCATE checkpoints), never replaced while a connection holds it open;
//   we still check its inode before each sync and reopen if it changed.
// - Frames leave the WAL only through a checkpoint, and SQLite syncs the WAL before copying frames
//   into the database and syncs the database before the WAL may be rewound
//   (https://sqlite.org/pragma.html#pragma_synchronous, WAL with NORMAL: "the WAL file is
//   synchronized before each checkpoint and the database file is synchronized after each
//   checkpoint and the WAL file header is synchronized when a WAL file begins to be reused").
//   So a frame overwritten after a reset is already durable in the database file.
// - Recovery after power loss keeps the longest prefix of frames whose checksums chain; frames
//   of a batch not yet synced may be lost or torn, and only unacknowledged batches are there.
// - A failed fdatasync leaves the file's state unknown (Linux may drop the dirty pages and report
//   the error once); a later sync could then succeed over a hole that breaks the checksum chain and
//   loses every later frame on recovery. So it is fatal, as in PostgreSQL: we abort, and restart
//   recovers from what is on disk; nothing unsynced was acknowledged.
//
// What readers see: a commit is visible to readers (and to later writes) as soon as it commits,
// before it is durable, for one fsync's time. A read answered in that window may show state that a
// power loss then takes back; no write is acknowledged in that window. A write that read such
// state commits later in the same WAL, so the fsync that acknowledges it covers what it read.
// Tx::once_visible pushes in that window on purpose (a live room's broadcast), on the same terms.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace bb::core {

class WalSync {
public:
    // path: the database file; its WAL is path + "-wal" and must already exist.
    explicit WalSync(const std::string& db_path);
    // Runs what is queued (after a last sync), then stops.
    ~WalSync();
    WalSync(const WalSync&) = delete;
    WalSync& operator=(const WalSync&) = delete;

    // Runs acknowledge on the sync thread once an fsync that began after this call has finished.
    void after_sync(std::function<void()> acknowledge);

    std::int64_t syncs() const;

private:
    void run();
    void sync();
    void open_wal();

    std::string wal_path_;
    int fd_ = -1;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::atomic<std::int64_t> syncs_{0};
    std::thread thread_;
};

}  // namespace bb::core
