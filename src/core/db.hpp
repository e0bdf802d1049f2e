#pragma once
// SQLite access. One writer thread owns the only write connection: every write runs there inside
// BEGIN IMMEDIATE, and writes that arrive together share one commit (group commit), each in its
// own savepoint so one failing write never undoes another. A batch is acknowledged (callers
// resumed, after-commit hooks run) on the WAL sync thread once its commit is durable, while the
// writer goes on with the next batch (core/wal_sync.hpp). A caller either waits for its write
// (write) or is called back once it committed durably (write_async). Reads use a small pool of
// read-only connections on the caller's thread; they may see a commit a moment before it is
// durable. Prepared statements are cached per connection.
#include "core/disk.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/json/object.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace bb::core {

// A typed event topic; publishers declare theirs in their public header.
struct Topic {
    std::string_view name;
};

// A cached prepared statement in use; resets itself (releasing its read snapshot) when it dies.
class Query {
public:
    explicit Query(SQLite::Statement& stmt) : stmt_(&stmt) {}
    Query(Query&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
    Query& operator=(Query&&) = delete;
    ~Query();

    template <class... Args>
    Query& bind(const Args&... args)
    {
        int index = 1;
        (bind_one(index++, args), ...);
        return *this;
    }
    // Binds one value at a numbered placeholder (?N), for queries built with optional clauses.
    template <class T>
    Query& bind_at(int index, const T& v)
    {
        bind_one(index, v);
        return *this;
    }
    bool step() { return stmt_->executeStep(); }
    int exec() { return stmt_->exec(); }  // for writes: rows changed
    std::string text(int index) { return stmt_->getColumn(index).getString(); }
    std::optional<std::string> opt_text(int index);
    std::int64_t int64(int index) { return stmt_->getColumn(index).getInt64(); }
    double real(int index) { return stmt_->getColumn(index).getDouble(); }
    bool is_null(int index) { return stmt_->getColumn(index).isNull(); }

private:
    void bind_one(int index, std::string_view v) { stmt_->bind(index, std::string(v)); }  // text, not blob
    void bind_one(int index, const std::string& v) { stmt_->bind(index, v); }
    void bind_one(int index, const char* v) { stmt_->bind(index, v); }
    template <class T>
        requires std::is_integral_v<T>
    void bind_one(int index, T v)
    {
        stmt_->bind(index, static_cast<std::int64_t>(v));
    }
    void bind_one(int index, double v) { stmt_->bind(index, v); }
    void bind_one(int index, std::nullptr_t) { stmt_->bind(index); }
    template <class T>
    void bind_one(int index, const std::optional<T>& v)
    {
        if (v) {
            bind_one(index, *v);
        } else {
            stmt_->bind(index);
        }
    }

    SQLite::Statement* stmt_;
};

// One SQLite connection plus its statement cache. SQL should be a constant string: the cache
// keys on its text.
class Conn {
public:
    Conn(const std::string& path, bool read_only, int busy_timeout_ms);
    Query query(std::string_view sql);
    void exec(const std::string& sql) { db_.exec(sql); }
    SQLite::Database& raw() { return db_; }

private:
    // Looked up by string_view, so finding a cached statement allocates nothing.
    struct SqlHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view sql) const { return std::hash<std::string_view>()(sql); }
    };
    SQLite::Database db_;
    std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>, SqlHash, std::equal_to<>> cache_;
};

// The write transaction handed to Db::write callbacks.
class Tx {
public:
    explicit Tx(Conn& conn) : conn_(conn) {}
    Query query(std::string_view sql) { return conn_.query(sql); }
    void exec(const std::string& sql) { conn_.exec(sql); }
    std::int64_t changes() { return conn_.raw().getChanges(); }
    std::int64_t last_insert_rowid() { return conn_.raw().getLastInsertRowid(); }

    // Stores an event in the outbox, in this transaction; the bus delivers it after commit.
    void publish(Topic topic, const boost::json::object& payload);
    // Stores a job in this transaction; the job runner picks it up after commit.
    void enqueue(std::string_view kind, const boost::json::object& payload, std::int64_t run_after_ms = 0);
    // Runs after this write has committed durably (not if it rolled back). Keep it short: it runs on
    // the sync thread, which acknowledges every batch.
    void after_commit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }
    // Runs on the writer as soon as this write has committed, one fsync before it is durable: for
    // showing live readers what a query could already see (a room's members get a message without
    // waiting for the disk). Never for telling the writer it is done; that is after_commit's job.
    void once_visible(std::function<void()> fn) { once_visible_.push_back(std::move(fn)); }
    // Runs fn in a savepoint. If it fails (an error or an exception) its changes and its
    // after-commit hooks are undone, and the failure is returned; the transaction goes on.
    Result<void> nested(const std::function<Result<void>()>& fn);

private:
    friend class Db;
    Conn& conn_;
    std::vector<std::function<void()>> after_commit_;
    std::vector<std::function<void()>> once_visible_;
    bool published_ = false;
    bool enqueued_ = false;
};

template <class T>
struct IsResult : std::false_type {};
template <class T, class E>
struct IsResult<boost::system::result<T, E>> : std::true_type {};

class Db {
public:
    struct Options {
        std::string path;
        int readers = 4;
        int busy_timeout_ms = 5000;
        int max_batch = 256;
    };
    explicit Db(Options options);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    // Runs fn(Tx&) on the writer thread and returns its result once durably committed. A callback that
    // throws, or returns a failed Result, has its changes rolled back. Blocks the caller: never
    // call it from a network thread. A batch that cannot commit throws; StorageFull when the disk
    // is full (is_storage_full in disk.hpp tells a request's 507 from a 500).
    template <class F>
    auto write(F&& fn) -> std::invoke_result_t<F&, Tx&>;

    // Queues fn(Tx&), which returns a Result, and returns at once; done(Result) runs on the sync
    // thread once the batch holding the write committed durably (a write rolled back alone is
    // reported then too), or on the writer if the batch could not commit. No thread
    // waits meanwhile, so a network thread may queue writes. An exception in fn, or a batch that
    // cannot commit, reaches done as an internal error. done should only hand the result on: it
    // holds up the acknowledgement of later batches, and a blocking write from it would wait on
    // itself (so would one from an after-commit hook).
    template <class F, class Done>
    void write_async(F fn, Done done);

    // Runs fn(Conn&) with a read-only connection on this thread.
    template <class F>
    auto read(F&& fn) -> std::invoke_result_t<F&, Conn&>;

    // Runs fn on every read connection, waiting for each to be free (say, to add an SQL function).
    void on_each_reader(const std::function<void(Conn&)>& fn);

    // Called after a commit that published events / enqueued jobs.
    void on_published(std::function<void()> fn) { on_published_ = std::move(fn); }
    void on_enqueued(std::function<void()> fn) { on_enqueued_ = std::move(fn); }
    // Wraps the running of one commit's after-commit hooks (all of them, as one call), so that
    // what they send can be gathered: the WebSocket cork (app.cpp).
    void around_hooks(std::function<void(const std::function<void()>&)> fn) { around_hooks_ = std::move(fn); }

    // Truncates the WAL when no reader holds it (runs on the writer thread).
    void checkpoint();
    // Drains queued writes and stops the writer thread; further writes throw.
    void close();

    std::int64_t commits() const;
    int readers() const;
    // fsyncs of the WAL that acknowledged commits (one covers every batch committed before it).
    std::int64_t syncs() const;

private:
    // The failure a batch reports to its writes when it could not commit for lack of space.
    static constexpr const char* kStorageFull = "storage full";
    // Something for the writer thread: a write, or a checkpoint between batches.
    struct Work {
        enum class Kind { kWrite, kCheckpoint };
        Kind kind = Kind::kWrite;
        virtual ~Work() = default;
        // Inside the batch's transaction, in the write's own savepoint; false rolls it back.
        virtual bool run(Tx& tx) = 0;
        // After the batch committed durably (failure empty; on the sync thread) or could not
        // commit (on the writer). The last use of this object.
        virtual void finish(std::string failure) = 0;
    };
    struct WaitingWrite;  // write(): the caller blocks until it is finished
    struct Checkpoint;
    template <class F, class Done>
    struct AsyncWrite;  // write_async()
    // Returns false when the callback wants its changes rolled back.
    void submit(const std::function<bool(Tx&)>& fn);
    void enqueue(Work* work);  // throws once closed
    Conn& acquire_reader();
    void release_reader(Conn& conn);
    void writer_loop();
    void run_batch(std::vector<Work*>& batch);
    void acknowledge(const std::vector<std::function<void()>>& hooks, const std::vector<Work*>& writes,
                     bool published, bool enqueued);
    void run_hooks(const std::vector<std::function<void()>>& hooks);
    static void finish_all(const std::vector<Work*>& writes, const std::string& failure);

    struct State;
    std::unique_ptr<State> state_;
    std::function<void()> on_published_;
    std::function<void()> on_enqueued_;
    std::function<void(const std::function<void()>&)> around_hooks_;
};

template <class F>
auto
Db::write(F&& fn) -> std::invoke_result_t<F&, Tx&>
{
    using R = std::invoke_result_t<F&, Tx&>;
    std::exception_ptr failure;
    if constexpr (std::is_void_v<R>) {
        submit([&](Tx& tx) {
            try {
                fn(tx);
                return true;
            } catch (...) {
                failure = std::current_exception();
                return false;
            }
        });
        if (failure) {
            std::rethrow_exception(failure);
        }
    } else {
        std::optional<R> result;
        submit([&](Tx& tx) {
            try {
                result.emplace(fn(tx));
                if constexpr (IsResult<R>::value) {
                    return result->has_value();
                }
                return true;
            } catch (...) {
                failure = std::current_exception();
                return false;
            }
        });
        if (failure) {
            std::rethrow_exception(failure);
        }
        return std::move(*result);
    }
}

// A write_async in the queue. It owns itself: finish() is its last use, and deletes it.
template <class F, class Done>
struct Db::AsyncWrite final : Work {
    using R = std::invoke_result_t<F&, Tx&>;
    static_assert(IsResult<R>::value, "write_async takes a callback that returns a Result");

    AsyncWrite(F f, Done d) : fn(std::move(f)), done(std::move(d)) {}

    bool run(Tx& tx) override
    {
        try {
            result.emplace(fn(tx));
            return result->has_value();
        } catch (const std::exception& e) {
            log::error("db", "write failed", {{"error", e.what()}});
            result.emplace(is_storage_full(e) ? insufficient_storage() : internal());
            return false;
        }
    }

    void finish(std::string failure) override
    {
        std::unique_ptr<AsyncWrite> self(this);
        if (!failure.empty() || !result) {
            // The batch failed (and was logged) as a whole.
            result.emplace(failure == kStorageFull ? insufficient_storage() : internal());
        }
        done(std::move(*result));
    }

    F fn;
    Done done;
    std::optional<R> result;
};

template <class F, class Done>
void
Db::write_async(F fn, Done done)
{
    auto work = std::make_unique<AsyncWrite<F, Done>>(std::move(fn), std::move(done));
    enqueue(work.get());
    work.release();  // the writer finishes it
}

template <class F>
auto
Db::read(F&& fn) -> std::invoke_result_t<F&, Conn&>
{
    Conn& conn = acquire_reader();
    struct Release {
        Db* db;
        Conn* conn;
        ~Release() { db->release_reader(*conn); }
    } release{this, &conn};
    return fn(conn);
}

// True when e is SQLite's UNIQUE constraint failure (for turning races into 409s).
bool is_unique_violation(const std::exception& e);

}  // namespace bb::core
