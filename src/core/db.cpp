#include "core/db.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"

#include <SQLiteCpp/Exception.h>
#include <boost/json/serialize.hpp>
#include <sqlite3.h>

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
        // FULL: every commit is fsynced, so an acknowledged write survives power loss. Group commit
        // pays for it once per batch instead of once per request.
        db_.exec("PRAGMA synchronous = FULL");
        db_.exec("PRAGMA journal_size_limit = 67108864");
    }
}

Query
Conn::query(std::string_view sql)
{
    auto it = cache_.find(std::string(sql));
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
    const bool published = published_;
    const bool enqueued = enqueued_;
    exec("SAVEPOINT nested");
    Result<void> result;
    try {
        result = fn();
    } catch (const std::exception& e) {
        result = internal(e.what());
    }
    if (!result) {
        exec("ROLLBACK TO nested");
        after_commit_.resize(hooks);
        published_ = published;
        enqueued_ = enqueued;
    }
    exec("RELEASE nested");
    return result;
}

bool
is_unique_violation(const std::exception& e)
{
    const auto* sql = dynamic_cast<const SQLite::Exception*>(&e);
    return sql != nullptr && (sql->getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE ||
                              sql->getExtendedErrorCode() == SQLITE_CONSTRAINT_PRIMARYKEY);
}

struct Db::Pending {
    enum class Kind { kWrite, kCheckpoint };
    Kind kind = Kind::kWrite;
    const std::function<bool(Tx&)>* fn = nullptr;
    std::binary_semaphore done{0};
    std::string failure;  // set when the batch could not commit
    // write_async: the Pending is on the heap and owns its callbacks.
    std::function<bool(Tx&)> owned_fn;
    std::function<void(const std::string&)> on_done;
    bool async = false;

    // The write has committed or failed: wake the caller, or run its callback and free this.
    void finish()
    {
        if (!async) {
            done.release();
            return;
        }
        try {
            on_done(failure);
        } catch (const std::exception& e) {
            log::error("db", "write callback failed", {{"error", e.what()}});
        }
        delete this;
    }
};

struct Db::State {
    Options options;
    std::unique_ptr<Conn> writer;
    std::mutex queue_mutex;
    std::condition_variable queue_cv;
    std::deque<Pending*> queue;
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
}

std::int64_t
Db::commits() const
{
    return state_->commits.load();
}

void
Db::submit(const std::function<bool(Tx&)>& fn)
{
    Pending pending;
    pending.fn = &fn;
    enqueue(&pending);
    pending.done.acquire();
    if (!pending.failure.empty()) {
        throw std::runtime_error("database write failed: " + pending.failure);
    }
}

void
Db::write_async(std::function<bool(Tx&)> fn, std::function<void(const std::string& failure)> done)
{
    auto* pending = new Pending;
    pending->async = true;
    pending->owned_fn = std::move(fn);
    pending->fn = &pending->owned_fn;
    pending->on_done = std::move(done);
    try {
        enqueue(pending);
    } catch (...) {
        delete pending;
        throw;
    }
}

void
Db::enqueue(Pending* pending)
{
    {
        std::lock_guard lock(state_->queue_mutex);
        if (state_->closing) {
            throw std::runtime_error("database is closed");
        }
        state_->queue.push_back(pending);
    }
    state_->queue_cv.notify_one();
}

void
Db::checkpoint()
{
    Pending pending;
    pending.kind = Pending::Kind::kCheckpoint;
    {
        std::lock_guard lock(state_->queue_mutex);
        if (state_->closing) {
            return;
        }
        state_->queue.push_back(&pending);
    }
    state_->queue_cv.notify_one();
    pending.done.acquire();
}

void
Db::writer_loop()
{
    std::vector<Pending*> batch;
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
Db::run_batch(std::vector<Pending*>& batch)
{
    Conn& conn = *state_->writer;
    std::vector<Pending*> writes;
    for (Pending* p : batch) {
        if (p->kind == Pending::Kind::kCheckpoint) {
            try {
                conn.exec("PRAGMA wal_checkpoint(TRUNCATE)");
            } catch (const std::exception& e) {
                log::warn("db", "checkpoint failed", {{"error", e.what()}});
            }
            p->done.release();
        } else {
            writes.push_back(p);
        }
    }
    if (writes.empty()) {
        return;
    }
    std::vector<std::function<void()>> hooks;
    bool published = false;
    bool enqueued = false;
    try {
        conn.exec("BEGIN IMMEDIATE");
        for (Pending* p : writes) {
            conn.exec("SAVEPOINT write_item");
            Tx tx(conn);
            if ((*p->fn)(tx)) {
                conn.exec("RELEASE write_item");
                for (auto& hook : tx.after_commit_) {
                    hooks.push_back(std::move(hook));
                }
                published = published || tx.published_;
                enqueued = enqueued || tx.enqueued_;
            } else {
                conn.exec("ROLLBACK TO write_item");
                conn.exec("RELEASE write_item");
            }
        }
        conn.exec("COMMIT");
        state_->commits.fetch_add(1, std::memory_order_relaxed);
    } catch (const std::exception& e) {
        log::error("db", "write batch failed", {{"error", e.what()}, {"writes", writes.size()}});
        try {
            conn.exec("ROLLBACK");
        } catch (...) {
            // Nothing was open; the error above is the one that matters.
        }
        for (Pending* p : writes) {
            p->failure = e.what();
            p->finish();
        }
        return;
    }
    // Hooks (cache invalidation, wake-ups) run before callers resume, so a caller's next read
    // already sees their effect.
    const std::function<void()> run_hooks = [&hooks] {
        for (auto& hook : hooks) {
            try {
                hook();
            } catch (const std::exception& e) {
                log::error("db", "after-commit hook failed", {{"error", e.what()}});
            }
        }
    };
    if (around_hooks_ && !hooks.empty()) {
        around_hooks_(run_hooks);
    } else {
        run_hooks();
    }
    if (published && on_published_) {
        on_published_();
    }
    if (enqueued && on_enqueued_) {
        on_enqueued_();
    }
    for (Pending* p : writes) {
        p->finish();
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
