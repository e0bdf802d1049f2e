#include "core/jobs.hpp"

#include "core/clock.hpp"
#include "core/disk.hpp"
#include "core/event_bus.hpp"
#include "core/log.hpp"

#include <boost/json/parse.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace bb::core {
namespace {

// A job that failed for lack of disk space is not at fault: it waits for room without using up an
// attempt, so a beat is processed once space returns instead of ending 'failed' (or stuck).
constexpr auto kStorageRetry = std::chrono::seconds(10);
constexpr auto kRecordRetry = std::chrono::seconds(2);

}  // namespace

struct JobRunner::State {
    Db& db;
    int workers;
    struct Kind {
        Handler handler;
        int max_attempts;
    };
    std::map<std::string, Kind, std::less<>> kinds;
    std::vector<std::thread> threads;
    std::mutex mutex;
    std::condition_variable cv;
    std::uint64_t wakeups = 0;
    bool stopping = false;
    std::atomic<std::int64_t> queued{0};

    State(Db& d, int w) : db(d), workers(w) {}

    std::optional<Job> claim()
    {
        return db.write([&](Tx& tx) -> std::optional<Job> {
            auto q = tx.query("UPDATE core_jobs SET status = 'running', attempts = attempts + 1, updated_ms = ?1 "
                              "WHERE id = (SELECT id FROM core_jobs WHERE status = 'queued' AND run_after_ms <= ?1 "
                              "ORDER BY run_after_ms, id LIMIT 1) RETURNING id, kind, payload, attempts");
            q.bind(clock::now_ms());
            if (!q.step()) {
                return std::nullopt;
            }
            Job job{q.text(0), q.text(1), boost::json::parse(q.text(2)).as_object(), static_cast<int>(q.int64(3))};
            while (q.step()) {
            }
            return job;
        });
    }

    // Retried until recorded (a full disk gets room again; a job left 'running' would not run
    // again before a restart), unless the runner stops: then start() queues it again.
    void finish(const Job& job, const std::string& failure, bool no_space)
    {
        for (;;) {
            try {
                record(job, failure, no_space);
                return;
            } catch (const std::exception& e) {
                log::warn("jobs", "recording a job's outcome failed; retrying", {{"job_id", job.id}, {"error", e.what()}});
            }
            std::unique_lock lock(mutex);
            if (cv.wait_for(lock, kRecordRetry, [&] { return stopping; })) {
                return;
            }
        }
    }

    void record(const Job& job, const std::string& failure, bool no_space)
    {
        const auto now = clock::now_ms();
        auto kind = kinds.find(job.kind);
        const int max_attempts = kind == kinds.end() ? 1 : kind->second.max_attempts;
        db.write([&](Tx& tx) {
            if (no_space) {
                tx.query("UPDATE core_jobs SET status = 'queued', attempts = attempts - 1, run_after_ms = ?, "
                         "last_error = ?, updated_ms = ? WHERE id = ?")
                    .bind(now + std::chrono::milliseconds(kStorageRetry).count(), failure, now, job.id)
                    .exec();
            } else if (failure.empty()) {
                tx.query("UPDATE core_jobs SET status = 'done', last_error = NULL, updated_ms = ? WHERE id = ?")
                    .bind(now, job.id)
                    .exec();
            } else if (job.attempts < max_attempts) {
                tx.query("UPDATE core_jobs SET status = 'queued', run_after_ms = ?, last_error = ?, updated_ms = ? "
                         "WHERE id = ?")
                    .bind(now + retry_backoff_ms(job.attempts), failure, now, job.id)
                    .exec();
            } else {
                tx.query("UPDATE core_jobs SET status = 'failed', last_error = ?, updated_ms = ? WHERE id = ?")
                    .bind(failure, now, job.id)
                    .exec();
            }
        });
    }

    void run(const Job& job)
    {
        std::string failure;
        bool no_space = false;
        auto kind = kinds.find(job.kind);
        if (kind == kinds.end()) {
            failure = "no handler for job kind " + job.kind;
        } else {
            try {
                auto result = kind->second.handler(job);
                if (!result) {
                    failure = result.error().message.empty() ? "failed" : result.error().message;
                    no_space = result.error().code == Code::kInsufficientStorage;
                }
            } catch (const std::exception& e) {
                failure = e.what();
                no_space = is_storage_full(e);
            }
        }
        if (!failure.empty()) {
            log::warn("jobs", no_space ? "job waits for disk space" : "job failed",
                      {{"job_id", job.id}, {"kind", job.kind}, {"attempt", job.attempts}, {"error", failure}});
        }
        finish(job, failure, no_space);
    }

    void count_queued()
    {
        db.read([&](Conn& conn) {
            auto q = conn.query("SELECT COUNT(*) FROM core_jobs WHERE status = 'queued'");
            q.step();
            queued = q.int64(0);
        });
    }

    void worker()
    {
        std::uint64_t seen = 0;
        for (;;) {
            {
                std::lock_guard lock(mutex);
                if (stopping) {
                    return;
                }
                seen = wakeups;
            }
            std::optional<Job> job;
            try {
                job = claim();
                count_queued();
            } catch (const std::exception& e) {
                log::error("jobs", "claiming a job failed", {{"error", e.what()}});
            }
            if (job) {
                run(*job);
                continue;
            }
            std::unique_lock lock(mutex);
            cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping || wakeups != seen; });
        }
    }
};

JobRunner::JobRunner(Db& db, int workers) : state_(std::make_unique<State>(db, workers)) {}

JobRunner::~JobRunner()
{
    stop();
}

void
JobRunner::handle(std::string kind, Handler handler, int max_attempts)
{
    state_->kinds[std::move(kind)] = {std::move(handler), max_attempts};
}

void
JobRunner::start()
{
    // Whatever was running when the process died starts over.
    state_->db.write([](Tx& tx) {
        tx.query("UPDATE core_jobs SET status = 'queued' WHERE status = 'running'").exec();
    });
    for (int i = 0; i < state_->workers; ++i) {
        state_->threads.emplace_back([this] { state_->worker(); });
    }
}

void
JobRunner::stop()
{
    {
        std::lock_guard lock(state_->mutex);
        state_->stopping = true;
    }
    state_->cv.notify_all();
    for (auto& t : state_->threads) {
        if (t.joinable()) {
            t.join();
        }
    }
    state_->threads.clear();
}

void
JobRunner::wake()
{
    {
        std::lock_guard lock(state_->mutex);
        ++state_->wakeups;
    }
    state_->cv.notify_all();
}

std::int64_t
JobRunner::queued() const
{
    return state_->queued.load();
}

}  // namespace bb::core
