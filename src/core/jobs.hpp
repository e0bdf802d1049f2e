#pragma once
// Persisted background jobs. A job is stored with Tx::enqueue in the same transaction as the
// state change that needs it, and run after commit by a bounded pool of worker threads, never on
// the network threads. Jobs left running by a crash are queued again at start.
#include "core/db.hpp"
#include "core/error.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace bb::core {

struct Job {
    std::string id;
    std::string kind;
    boost::json::object payload;
    int attempts = 0;  // including this one
};

class JobRunner {
public:
    using Handler = std::function<Result<void>(const Job&)>;

    JobRunner(Db& db, int workers);
    ~JobRunner();

    // A failed Result or exception is retried with backoff until max_attempts, then marked failed.
    // A failure for lack of disk space (Code::kInsufficientStorage, or is_storage_full) is retried
    // every few seconds without using up an attempt.
    void handle(std::string kind, Handler handler, int max_attempts = 3);

    void start();
    void stop();  // lets running jobs finish; queued ones wait for the next start
    void wake();
    std::int64_t queued() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace bb::core
