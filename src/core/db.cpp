#include "core/db.hpp"

#include "core/checkpointer.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/wal_sync.hpp"

#include <SQLiteCpp/Exception.h>
#include <boost/json/serialize.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <semaphore>
#include <stdexcept>
#include <thread>

namespace bb::core {

Query::~Query()
{
    if (stmt_ != nullptr) {
        try {
            stmt_->reset();
            stmt_->clearBindings();
        } catch (...) {
            // A failed step already reported its error; resetting only repeats it.
        }
    }
}

std::optional<std::string>
Query::opt_text(int index)
{
    auto column = stmt_->getColumn(index);
    if (column.isNull()) {
        return std::nullopt;
    }
    return column.getString();
}

Conn::Conn(const std::string& path, bool read_only, int busy_timeout_ms)
    : db_(path, read_only ? SQLite::OPEN_READONLY : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE), busy_timeout_ms)
{
    db_.exec("PRAGMA foreign_keys = ON");
    if (!read_only) {
        db_.exec("PRAGMA journal_mode = WAL");
        // NORMAL: the commit itself does not fsync. Durability comes from WalSync, which fsyncs the
        // WAL on its own thread before any write of the batch is acknowledged (see wal_sync.hpp),
        // so the writer goes on with the next batch meanwhile. Checkpoints still sync as FULL does.
        db_.exec("PRAGMA synchronous = NORMAL");
        db_.exec("PRAGMA journal_size_limit = 67108864");
        // Each write runs in a savepoint, so every page it first touches is copied to the
        // statement journal; past 64 KiB SQLite spills that to a temp file, a pwrite per page on
        // the writer. In memory it is a memcpy. It only serves rollbacks inside the open
        // transaction: durability is the WAL's.
        db_.exec("PRAGMA temp_store = MEMORY");
    }
}

Query
Conn::query(std::string_view sql)
{
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        it = cache_.emplace(std::string(sql), std::make_unique<SQLite::Statement>(db_, std::string(sql))).first;
    }
    return Query(*it->second);
}

void
Tx::publish(Topic topic, const boost::json::object& payload)
{
    query("INSERT INTO core_outbox (id, topic, payload, created_ms) VALUES (?, ?, ?, ?)")
        .bind(new_id(), topic.name, boost::json::serialize(payload), clock::now_ms())
        .exec();
    published_ = true;
}

void
Tx::enqueue(std::string_view kind, const boost::json::object& payload, std::int64_t run_after_ms)
{
    const auto now = clock::now_ms();
    query("INSERT INTO core_jobs (id, kind, payload, status, attempts, run_after_ms, created_ms, updated_ms) "
          "VALUES (?, ?, ?, 'queued', 0, ?, ?, ?)")
        .bind(new_id(), kind, boost::json::serialize(payload), run_after_ms, now, now)
        .exec();
    enqueued_ = true;
}

Result<void>
Tx::nested(const std::function<Result<void>()>& fn)
{
    const auto hooks = after_commit_.size();
    const auto visible = once_visible_.size();
    const bool published = published_;
    const bool enqueued = enqueued_;
    query("SAVEPOINT nested").exec();
    Result<void> result;
    try {
        result = fn();
    } catch (const std::exception& e) {
        result = internal(e.what());
    }
    if (!result) {
        query("ROLLBACK TO nested").exec();
        after_commit_.resize(hooks);
        once_visible_.resize(visible);
        published_ = published;
        enqueued_ = enqueued;
    }
    query("RELEASE nested").exec();
    return result;
}

bool
is_unique_violation(const std::exception& e)
{
    const auto* sql = dynamic_cast<const SQLite::Exception*>(&e);
    return sql != nullptr && (sql->getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE ||
                              sql->getExtendedErrorCode() == SQLITE_CONSTRAINT_PRIMARYKEY);
}

// A write whose caller waits on the semaphore until the batch is done.
struct Db::WaitingWrite final : Work {
    explicit WaitingWrite(const std::function<bool(Tx&)>& f) : fn(f) {}
    bool run(Tx& tx) override { return fn(tx); }
    void finish(std::string f) override
    {
        failure = std::move(f);
        done.release();
    }
    const std::function<bool(Tx&)>& fn;
    std::binary_semaphore done{0};
    std::string failure;  // set when the batch could not commit
};

struct Db::Checkpoint final : Work {
    Checkpoint() { kind = Kind::kCheckpoint; }
    bool run(Tx&) override { return true; }
    void finish(std::string) override { done.release(); }
    std::binary_semaphore done{0};
};

struct Db::State {
    Options options;
    std::unique_ptr<Conn> writer;
    std::unique_ptr<Checkpointer> checkpointer;  // after the writer: stops before it closes
    std::unique_ptr<WalSync> wal_sync;           // acknowledges commits once they are durable
    std::mutex queue_mutex;
    std::condition_variable queue_cv;
    std::deque<Work*> queue;
    bool closing = false;
    std::thread thread;
    std::atomic<std::int64_t> commits{0};

    std::mutex readers_mutex;
    std::condition_variable readers_cv;
    std::vector<std::unique_ptr<Conn>> readers;
    std::vector<Conn*> idle_readers;
};

Db::Db(Options options) : state_(std::make_unique<State>())
{
    state_->options = std::move(options);
    state_->writer = std::make_unique<Conn>(state_->options.path, false, state_->options.busy_timeout_ms);
    state_->checkpointer = std::make_unique<Checkpointer>(state_->options.path, state_->writer->raw());
    // A read opens (and if need be creates) the WAL, which WalSync then holds its own descriptor on.
    state_->writer->exec("SELECT COUNT(*) FROM sqlite_master");
    state_->wal_sync = std::make_unique<WalSync>(state_->options.path);
    for (int i = 0; i < state_->options.readers; ++i) {
        state_->readers.push_back(std::make_unique<Conn>(state_->options.path, true, state_->options.busy_timeout_ms));
        state_->idle_readers.push_back(state_->readers.back().get());
    }
    state_->thread = std::thread([this] { writer_loop(); });
}

Db::~Db()
{
    close();
}

void
Db::close()
{
    {
        std::lock_guard lock(state_->queue_mutex);
        if (state_->closing) {
            return;
        }
        state_->closing = true;
    }
    state_->queue_cv.notify_all();
    if (state_->thread.joinable()) {
        state_->thread.join();
    }
    state_->wal_sync.reset();  // acknowledges the last batches
    state_->checkpointer.reset();
}

int
Db::readers() const
{
    return state_->options.readers;
}

std::int64_t
Db::commits() const
{
    return state_->commits.load();
}

std::int64_t
Db::syncs() const
{
    return state_->wal_sync ? state_->wal_sync->syncs() : 0;
}

void
Db::enqueue(Work* work)
{
    {
        std::lock_guard lock(state_->queue_mutex);
        if (state_->closing) {
            throw std::runtime_error("database is closed");
        }
        state_->queue.push_back(work);
    }
    state_->queue_cv.notify_one();
}

void
Db::submit(const std::function<bool(Tx&)>& fn)
{
    WaitingWrite write(fn);
    enqueue(&write);
    write.done.acquire();
    if (write.failure == kStorageFull) {
        throw StorageFull();
    }
    if (!write.failure.empty()) {
        throw std::runtime_error("database write failed: " + write.failure);
    }
}

void
Db::checkpoint()
{
    Checkpoint work;
    try {
        enqueue(&work);
    } catch (const std::runtime_error&) {
        return;  // closed: nothing left to checkpoint for
    }
    work.done.acquire();
}

void
Db::writer_loop()
{
    std::vector<Work*> batch;
    for (;;) {
        {
            std::unique_lock lock(state_->queue_mutex);
            state_->queue_cv.wait(lock, [&] { return state_->closing || !state_->queue.empty(); });
            if (state_->queue.empty()) {
                return;  // closing and drained
            }
            while (!state_->queue.empty() && batch.size() < static_cast<std::size_t>(state_->options.max_batch)) {
                batch.push_back(state_->queue.front());
                state_->queue.pop_front();
            }
        }
        run_batch(batch);
        batch.clear();
    }
}

void
Db::run_batch(std::vector<Work*>& batch)
{
    Conn& conn = *state_->writer;
    std::vector<Work*> writes;
    for (Work* w : batch) {
        if (w->kind == Work::Kind::kCheckpoint) {
            try {
                conn.exec("PRAGMA wal_checkpoint(TRUNCATE)");
            } catch (const std::exception& e) {
                log::warn("db", "checkpoint failed", {{"error", e.what()}});
            }
            w->finish({});
        } else {
            writes.push_back(w);
        }
    }
    if (writes.empty()) {
        return;
    }
    std::vector<std::function<void()>> hooks;
    std::vector<std::function<void()>> visible;
    bool published = false;
    bool enqueued = false;
    // Transaction control goes through the statement cache too: at a few statements per write,
    // parsing them again each time was a visible share of the writer's time.
    try {
        conn.query("BEGIN IMMEDIATE").exec();
        for (Work* w : writes) {
            conn.query("SAVEPOINT write_item").exec();
            Tx tx(conn);
            if (w->run(tx)) {
                conn.query("RELEASE write_item").exec();
                for (auto& hook : tx.after_commit_) {
                    hooks.push_back(std::move(hook));
                }
                for (auto& hook : tx.once_visible_) {
                    visible.push_back(std::move(hook));
                }
                published = published || tx.published_;
                enqueued = enqueued || tx.enqueued_;
            } else {
                if (sqlite3_get_autocommit(conn.raw().getHandle()) != 0) {
                    // SQLite rolled the whole transaction back itself (it may, on a full disk): the
                    // writes before this one are gone too, so the batch fails as a whole.
                    if ((conn.raw().getErrorCode() & 0xff) == SQLITE_FULL) {
                        throw StorageFull();
                    }
                    throw std::runtime_error(std::string("the transaction was rolled back: ") + conn.raw().getErrorMsg());
                }
                conn.query("ROLLBACK TO write_item").exec();
                conn.query("RELEASE write_item").exec();
            }
        }
        conn.query("COMMIT").exec();
        state_->commits.fetch_add(1, std::memory_order_relaxed);
    } catch (const std::exception& e) {
        log::error("db", "write batch failed", {{"error", e.what()}, {"writes", writes.size()}});
        try {
            conn.exec("ROLLBACK");
        } catch (...) {
            // Nothing was open; the error above is the one that matters.
        }
        finish_all(writes, is_storage_full(e) ? kStorageFull : e.what());
        return;
    }
    run_hooks(visible);
    // The batch is committed but not yet durable: everything else that tells anyone about it waits
    // for the WAL's fsync, on the sync thread, while this thread runs the next batch.
    state_->wal_sync->after_sync([this, hooks = std::move(hooks), writes = std::move(writes), published, enqueued] {
        acknowledge(hooks, writes, published, enqueued);
    });
}

// Runs on the sync thread, in commit order, once the batch is durable. Hooks (cache invalidation,
// wake-ups) run before callers resume, so a caller's next read already sees their effect.
void
Db::acknowledge(const std::vector<std::function<void()>>& hooks, const std::vector<Work*>& writes, bool published,
                bool enqueued)
{
    run_hooks(hooks);
    if (published && on_published_) {
        on_published_();
    }
    if (enqueued && on_enqueued_) {
        on_enqueued_();
    }
    finish_all(writes, {});
}

// Runs each hook, inside around_hooks_ (the WebSocket cork) when there are any.
void
Db::run_hooks(const std::vector<std::function<void()>>& hooks)
{
    if (hooks.empty()) {
        return;
    }
    const std::function<void()> run = [&hooks] {
        for (const auto& hook : hooks) {
            try {
                hook();
            } catch (const std::exception& e) {
                log::error("db", "after-commit hook failed", {{"error", e.what()}});
            }
        }
    };
    if (around_hooks_) {
        around_hooks_(run);
    } else {
        run();
    }
}

void
Db::finish_all(const std::vector<Work*>& writes, const std::string& failure)
{
    for (Work* w : writes) {
        try {
            w->finish(failure);
        } catch (const std::exception& e) {
            log::error("db", "write completion failed", {{"error", e.what()}});
        }
    }
}

void
Db::on_each_reader(const std::function<void(Conn&)>& fn)
{
    for (auto& reader : state_->readers) {
        std::unique_lock lock(state_->readers_mutex);
        auto is_idle = [&] {
            return std::find(state_->idle_readers.begin(), state_->idle_readers.end(), reader.get()) !=
                   state_->idle_readers.end();
        };
        state_->readers_cv.wait(lock, is_idle);
        // Held while fn runs, so no reader is handed out meanwhile.
        fn(*reader);
    }
}

Conn&
Db::acquire_reader()
{
    std::unique_lock lock(state_->readers_mutex);
    state_->readers_cv.wait(lock, [&] { return !state_->idle_readers.empty(); });
    Conn* conn = state_->idle_readers.back();
    state_->idle_readers.pop_back();
    return *conn;
}

void
Db::release_reader(Conn& conn)
{
    {
        std::lock_guard lock(state_->readers_mutex);
        state_->idle_readers.push_back(&conn);
    }
    state_->readers_cv.notify_one();
}

}  // namespace bb::core
