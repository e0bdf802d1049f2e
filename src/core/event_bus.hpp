#pragma once
// The internal event bus. Events are written to the outbox inside the publisher's transaction
// (Tx::publish) and delivered here after commit, at least once, with retries and backoff. Each
// delivery runs in a write transaction together with the subscriber's receipt, so a subscriber
// applies each event id once, even across crashes. A real broker could later replace this class.
#include "core/db.hpp"
#include "core/error.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace bb::core {

struct Event {
    std::string id;
    std::string topic;
    boost::json::object payload;
    std::int64_t created_ms = 0;
};

class EventBus {
public:
    // Runs inside the delivery transaction: write through tx; use tx.after_commit for anything
    // outside the database (pushing to sockets). A failed Result or an exception is retried later.
    using Handler = std::function<Result<void>(const Event&, Tx&)>;

    explicit EventBus(Db& db);
    ~EventBus();

    // subscriber names are stable ids ("notifications.on_purchase"): receipts are kept under them.
    void subscribe(Topic topic, std::string subscriber, Handler handler);

    void start();
    // Delivers what is due until the deadline passes, then stops the delivery thread.
    void stop(std::chrono::milliseconds flush_deadline);
    // Something was published: deliver without waiting for the next poll.
    void wake();
    // Runs one delivery pass on the calling thread; returns events handled (tests, flush).
    int deliver_due();
    std::int64_t pending() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Backoff before retry number `attempts` (1-based): 1 s, 2 s, 4 s ... capped at 5 minutes.
std::int64_t retry_backoff_ms(int attempts);

}  // namespace bb::core
