#include "core/db.hpp"

#include "../support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <SQLiteCpp/Exception.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using bb::core::Conn;
using bb::core::Result;
using bb::core::Tx;

struct DbFixture {
    bb::test::TempDir dir;
    std::unique_ptr<bb::core::Db> db;

    DbFixture()
    {
        bb::test::quiet_logs();
        db = bb::test::open_db(dir.file("db.db"));
        db->write([](Tx& tx) {
            tx.exec("CREATE TABLE items (name TEXT NOT NULL UNIQUE, n INTEGER)");
            tx.exec("CREATE TABLE keyed (id TEXT PRIMARY KEY)");
        });
    }

    std::int64_t items(const std::string& where = "1") const
    {
        return db->read([&](Conn& c) {
            auto q = c.query("SELECT COUNT(*) FROM items WHERE " + where);
            q.step();
            return q.int64(0);
        });
    }
};

void
insert(Tx& tx, const std::string& name, int n = 0)
{
    tx.query("INSERT INTO items (name, n) VALUES (?, ?)").bind(name, n).exec();
}

// Holds the writer thread inside a write until released, so that writes submitted meanwhile
// queue up and run together as the next batch.
class WriterGate {
public:
    explicit WriterGate(bb::core::Db& db)
        : thread_([this, &db] {
              db.write([this](Tx&) {
                  std::unique_lock lock(mutex_);
                  entered_ = true;
                  cv_.notify_all();
                  cv_.wait(lock, [&] { return released_; });
              });
          })
    {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return entered_; });
    }
    void release()
    {
        {
            std::lock_guard lock(mutex_);
            released_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    ~WriterGate()
    {
        if (thread_.joinable()) {
            release();
        }
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool entered_ = false;
    bool released_ = false;
    std::thread thread_;
};

}  // namespace

TEST_SUITE("core/db") {

TEST_CASE_FIXTURE(DbFixture, "write returns the callback's value once committed, and readers see it") {
    const int n = db->write([](Tx& tx) {
        insert(tx, "a", 1);
        return 41 + static_cast<int>(tx.changes());
    });
    CHECK(n == 42);
    CHECK(items() == 1);
    auto name = db->read([](Conn& c) {
        auto q = c.query("SELECT name, n FROM items");
        REQUIRE(q.step());
        return q.text(0) + ":" + std::to_string(q.int64(1));
    });
    CHECK(name == "a:1");
}

TEST_CASE_FIXTURE(DbFixture, "a failed Result rolls the write back and comes back to the caller") {
    auto r = db->write([](Tx& tx) -> Result<int> {
        insert(tx, "gone");
        return bb::core::conflict("taken", "no");
    });
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().slug == "taken");
    CHECK(items() == 0);

    auto ok = db->write([](Tx& tx) -> Result<void> {
        insert(tx, "kept");
        return {};
    });
    CHECK(ok.has_value());
    CHECK(items() == 1);
}

TEST_CASE_FIXTURE(DbFixture, "a throwing write is rolled back and the exception reaches the caller") {
    CHECK_THROWS_WITH_AS(db->write([](Tx& tx) {
        insert(tx, "gone");
        throw std::invalid_argument("bad input");
    }),
                         "bad input", std::invalid_argument);
    CHECK(items() == 0);
    // The connection is still usable afterwards.
    db->write([](Tx& tx) { insert(tx, "after"); });
    CHECK(items() == 1);
}

TEST_CASE_FIXTURE(DbFixture, "after_commit hooks run after commit and only then") {
    int ran = 0;
    std::int64_t visible = -1;
    db->write([&](Tx& tx) {
        insert(tx, "x");
        tx.after_commit([&] {
            ++ran;
            visible = items();
        });
    });
    CHECK(ran == 1);
    CHECK(visible == 1);

    auto failed = db->write([&](Tx& tx) -> Result<void> {
        tx.after_commit([&] { ++ran; });
        return bb::core::internal("no");
    });
    CHECK_FALSE(failed.has_value());
    CHECK_THROWS(db->write([&](Tx& tx) {
        tx.after_commit([&] { ++ran; });
        throw std::runtime_error("no");
    }));
    CHECK(ran == 1);
}

TEST_CASE_FIXTURE(DbFixture, "once_visible hooks run once committed, before the durable ones, and not on failure") {
    std::vector<std::string> order;
    std::int64_t seen = -1;
    db->write([&](Tx& tx) {
        insert(tx, "x");
        tx.after_commit([&] { order.push_back("durable"); });
        tx.once_visible([&] {
            order.push_back("visible");
            seen = items();
        });
    });
    CHECK(order == std::vector<std::string>{"visible", "durable"});
    CHECK(seen == 1);

    order.clear();
    auto failed = db->write([&](Tx& tx) -> Result<void> {
        tx.once_visible([&] { order.push_back("failed write"); });
        return bb::core::internal("no");
    });
    CHECK_FALSE(failed.has_value());
    db->write([&](Tx& tx) {
        auto inner = tx.nested([&]() -> Result<void> {
            tx.once_visible([&] { order.push_back("undone savepoint"); });
            return bb::core::internal("no");
        });
        CHECK_FALSE(inner.has_value());
        tx.once_visible([&] { order.push_back("kept"); });
    });
    CHECK(order == std::vector<std::string>{"kept"});
}

TEST_CASE_FIXTURE(DbFixture, "is_unique_violation recognises a UNIQUE failure and nothing else") {
    db->write([](Tx& tx) { insert(tx, "dup"); });
    bool caught = false;
    try {
        db->write([](Tx& tx) { insert(tx, "dup"); });
    } catch (const std::exception& e) {
        caught = true;
        CHECK(bb::core::is_unique_violation(e));
    }
    CHECK(caught);
    CHECK(items() == 1);

    // NOT NULL is a constraint too, but not a unique one.
    caught = false;
    try {
        db->write([](Tx& tx) { tx.exec("INSERT INTO items (name) VALUES (NULL)"); });
    } catch (const std::exception& e) {
        caught = true;
        CHECK_FALSE(bb::core::is_unique_violation(e));
    }
    CHECK(caught);

    // A syntax error, and exceptions that are not SQLite's.
    caught = false;
    try {
        db->write([](Tx& tx) { tx.exec("INSERT INTO nowhere VALUES (1)"); });
    } catch (const std::exception& e) {
        caught = true;
        CHECK_FALSE(bb::core::is_unique_violation(e));
    }
    CHECK(caught);
    CHECK_FALSE(bb::core::is_unique_violation(std::runtime_error("UNIQUE constraint failed: items.name")));
}

TEST_CASE_FIXTURE(DbFixture, "group commit: concurrent writes all succeed in fewer commits") {
    constexpr int kThreads = 16;
    constexpr int kPerThread = 25;
    const auto commits_before = db->commits();
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const int n = db->write([&](Tx& tx) {
                    insert(tx, "t" + std::to_string(t) + "-" + std::to_string(i), t);
                    return 1;
                });
                ok += n;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    constexpr int kWrites = kThreads * kPerThread;
    CHECK(ok.load() == kWrites);
    CHECK(items() == kWrites);
    const auto commits = db->commits() - commits_before;
    MESSAGE("group commit: " << kWrites << " writes in " << commits << " commits");
    CHECK(commits > 0);
    CHECK(commits < kWrites);
}

TEST_CASE_FIXTURE(DbFixture, "queued writes share one commit; a failing one rolls back alone") {
    const auto commits_before = db->commits();
    std::vector<std::thread> writers;
    std::atomic<int> threw{0};
    std::atomic<int> refused{0};
    std::atomic<int> ready{0};
    {
        WriterGate gate(*db);
        for (int i = 0; i < 6; ++i) {
            writers.emplace_back([&, i] {
                ++ready;
                try {
                    auto r = db->write([&](Tx& tx) -> Result<void> {
                        insert(tx, "w" + std::to_string(i), i);
                        if (i == 2) {
                            throw std::runtime_error("write 2 fails");
                        }
                        if (i == 4) {
                            return bb::core::conflict("w4", "write 4 refuses");
                        }
                        return {};
                    });
                    if (!r) {
                        ++refused;
                    }
                } catch (const std::runtime_error&) {
                    ++threw;
                }
            });
        }
        while (ready.load() < 6) {
            std::this_thread::yield();
        }
        // Let the six reach the queue before the writer is free again.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        gate.release();
    }
    for (auto& w : writers) {
        w.join();
    }
    CHECK(threw.load() == 1);
    CHECK(refused.load() == 1);
    CHECK(items() == 4);
    CHECK(items("name IN ('w2', 'w4')") == 0);
    CHECK(items("name IN ('w0', 'w1', 'w3', 'w5')") == 4);
    // One commit for the gate, one for the whole batch of six.
    CHECK(db->commits() - commits_before == 2);
}

TEST_CASE_FIXTURE(DbFixture, "a unique violation in one queued write does not undo its neighbours") {
    db->write([](Tx& tx) { insert(tx, "taken"); });
    std::vector<std::thread> writers;
    std::atomic<int> unique_failures{0};
    std::atomic<int> ready{0};
    {
        WriterGate gate(*db);
        for (const std::string name : {"a", "taken", "b"}) {
            writers.emplace_back([&, name] {
                ++ready;
                try {
                    db->write([&](Tx& tx) { insert(tx, name); });
                } catch (const std::exception& e) {
                    if (bb::core::is_unique_violation(e)) {
                        ++unique_failures;
                    }
                }
            });
        }
        while (ready.load() < 3) {
            std::this_thread::yield();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        gate.release();
    }
    for (auto& w : writers) {
        w.join();
    }
    CHECK(unique_failures.load() == 1);
    CHECK(items() == 3);
}

TEST_CASE_FIXTURE(DbFixture, "write_async: in order, hooks before done, a rolled-back one reported alone") {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::string> seen;
    int done = 0;
    auto finished = [&](std::string what) {
        return [&, what](Result<void> result) {
            std::lock_guard lock(m);
            seen.push_back(what + (result ? "" : " failed"));
            ++done;
            cv.notify_all();
        };
    };
    for (int i = 0; i < 20; ++i) {
        const auto name = "x" + std::to_string(i);
        db->write_async(
            [&, name, i](Tx& tx) -> Result<void> {
                insert(tx, name, i);
                tx.after_commit([&, name] {
                    std::lock_guard lock(m);
                    seen.push_back("hook " + name);
                });
                if (i == 7) {
                    return bb::core::internal("the eighth asks to be rolled back");
                }
                return {};
            },
            finished(name));
    }
    std::unique_lock lock(m);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return done == 20; });
    REQUIRE(done == 20);
    // Each write's hook comes before its done, and writes keep their order.
    std::vector<std::string> dones;
    for (const auto& s : seen) {
        if (s.rfind("hook ", 0) != 0) {
            dones.push_back(s);
        }
    }
    CHECK(dones.front() == "x0");
    CHECK(dones.back() == "x19");
    CHECK(std::find(seen.begin(), seen.end(), "hook x7") == seen.end());
    CHECK(std::find(seen.begin(), seen.end(), "hook x3") < std::find(seen.begin(), seen.end(), "x3"));
    lock.unlock();
    CHECK(items() == 19);
}

TEST_CASE_FIXTURE(DbFixture, "a write is acknowledged only after an fsync of the WAL that followed its commit") {
    std::mutex m;
    std::condition_variable cv;
    std::int64_t syncs_before = -1;
    std::int64_t syncs_at_hook = -1;
    std::int64_t syncs_at_done = -1;
    db->write_async(
        [&](Tx& tx) -> Result<void> {
            syncs_before = db->syncs();
            insert(tx, "durable", 1);
            tx.after_commit([&] { syncs_at_hook = db->syncs(); });
            return {};
        },
        [&](Result<void> result) {
            std::lock_guard lock(m);
            syncs_at_done = result ? db->syncs() : 0;
            cv.notify_all();
        });
    std::unique_lock lock(m);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return syncs_at_done >= 0; });
    CHECK(syncs_at_hook > syncs_before);
    CHECK(syncs_at_done > syncs_before);
    // A blocking write returns after its fsync too.
    const auto before = db->syncs();
    db->write([&](Tx& tx) { insert(tx, "durable too", 2); });
    CHECK(db->syncs() > before);
}

TEST_CASE_FIXTURE(DbFixture, "writes after close throw") {
    db->close();
    CHECK_THROWS(db->write([](Tx& tx) { insert(tx, "late"); }));
    db->close();  // twice is fine
}

TEST_CASE_FIXTURE(DbFixture, "read connections are read-only") {
    CHECK_THROWS(db->read([](Conn& c) { c.exec("INSERT INTO items (name) VALUES ('sneaky')"); }));
    CHECK(items() == 0);
}

TEST_CASE_FIXTURE(DbFixture, "checkpoint keeps the data") {
    db->write([](Tx& tx) { insert(tx, "a"); });
    db->checkpoint();
    CHECK(items() == 1);
}

}  // TEST_SUITE
