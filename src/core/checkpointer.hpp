#pragma once
// Copies the WAL back into the database on its own thread and connection. SQLite's automatic
// checkpoint runs inside the commit that crosses the threshold, on the single writer: a burst of
// page writes and two fsyncs that every write queued behind it waits for. A passive checkpoint
// from another connection runs beside the writer instead. Durability does not change: the
// checkpoint syncs the WAL before it copies frames and the database after.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;
namespace SQLite {
class Database;
}

namespace bb::core {

class Checkpointer {
public:
    // Takes over checkpointing from `writer` (whose automatic checkpoint it replaces).
    Checkpointer(const std::string& path, SQLite::Database& writer);
    ~Checkpointer();
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

private:
    static int on_commit(void* self, sqlite3*, const char*, int wal_pages);
    void run();

    SQLite::Database& writer_;
    std::unique_ptr<SQLite::Database> conn_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool due_ = false;
    bool stopping_ = false;
    int requested_at_ = 0;  // WAL pages when a checkpoint was last asked for (writer thread only)
    std::thread thread_;
};

}  // namespace bb::core
