#include "core/event_bus.hpp"

#include "core/clock.hpp"
#include "core/log.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace bb::core {

namespace {
constexpr int kBatch = 256;
constexpr auto kPollInterval = std::chrono::seconds(1);
// After this many failures (about 40 minutes of backoff) a delivery is given up and logged as an
// error, so one broken subscriber cannot hold an event forever.
constexpr int kMaxAttempts = 12;
}  // namespace

std::int64_t
retry_backoff_ms(int attempts)
{
    const int exponent = std::clamp(attempts - 1, 0, 20);
    return std::min<std::int64_t>(std::int64_t{1000} << exponent, 5 * 60 * 1000);
}

struct EventBus::State {
    Db& db;
    struct Subscription {
        std::string subscriber;
        Handler handler;
    };
    std::map<std::string, std::vector<Subscription>, std::less<>> subscriptions;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable cv;
    bool woken = false;
    bool stopping = false;
    std::mutex deliver_mutex;  // one delivery pass at a time
    std::atomic<std::int64_t> pending{0};
    std::string pending_query;

    explicit State(Db& d) : db(d) {}

    // Built once: subscriptions are fixed before delivery starts.
    const std::string& pending_sql()
    {
        if (pending_query.empty()) {
            std::string names;
            for (const auto& [topic, subs] : subscriptions) {
                for (const auto& sub : subs) {
                    std::string quoted;
                    for (char c : sub.subscriber) {
                        quoted += c == '\'' ? std::string("''") : std::string(1, c);
                    }
                    names += (names.empty() ? "'" : ", '") + quoted + "'";
                }
            }
            pending_query = "SELECT id, topic, payload, created_ms FROM core_outbox o WHERE delivered_ms IS NULL "
                            "AND NOT EXISTS (SELECT 1 FROM core_event_receipts r WHERE r.event_id = o.id AND r.done = 0 "
                            "AND r.next_attempt_ms > ? AND r.subscriber IN (" + names + ")) ORDER BY id LIMIT 256";
        }
        return pending_query;
    }
};

EventBus::EventBus(Db& db) : state_(std::make_unique<State>(db)) {}

EventBus::~EventBus()
{
    stop(std::chrono::milliseconds(0));
}

void
EventBus::subscribe(Topic topic, std::string subscriber, Handler handler)
{
    state_->subscriptions[std::string(topic.name)].push_back({std::move(subscriber), std::move(handler)});
}

void
EventBus::start()
{
    state_->thread = std::thread([this] {
        for (;;) {
            int handled = 0;
            try {
                handled = deliver_due();
            } catch (const std::exception& e) {
                log::error("events", "delivery pass failed", {{"error", e.what()}});
            }
            std::unique_lock lock(state_->mutex);
            if (state_->stopping) {
                return;
            }
            if (handled < kBatch) {  // a full batch means more may be waiting: loop at once
                state_->cv.wait_for(lock, kPollInterval, [&] { return state_->woken || state_->stopping; });
            }
            state_->woken = false;
            if (state_->stopping) {
                return;
            }
        }
    });
}

void
EventBus::stop(std::chrono::milliseconds flush_deadline)
{
    {
        std::lock_guard lock(state_->mutex);
        if (state_->stopping) {
            return;
        }
        state_->stopping = true;
    }
    state_->cv.notify_all();
    if (state_->thread.joinable()) {
        state_->thread.join();
    }
    const auto deadline = std::chrono::steady_clock::now() + flush_deadline;
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            if (deliver_due() == 0) {
                break;
            }
        } catch (const std::exception& e) {
            log::error("events", "flush failed", {{"error", e.what()}});
            break;
        }
    }
}

void
EventBus::wake()
{
    {
        std::lock_guard lock(state_->mutex);
        state_->woken = true;
    }
    state_->cv.notify_one();
}

std::int64_t
EventBus::pending() const
{
    return state_->pending.load();
}

int
EventBus::deliver_due()
{
    std::lock_guard pass(state_->deliver_mutex);
    std::vector<Event> events;
    state_->db.read([&](Conn& conn) {
        // Events with a delivery still backing off wait out of the way, so they never starve newer
        // ones. Only current subscribers count: a receipt of one removed from the code holds nothing.
        auto q = conn.query(state_->pending_sql());
        q.bind(clock::now_ms());
        while (q.step()) {
            Event e;
            e.id = q.text(0);
            e.topic = q.text(1);
            e.payload = boost::json::parse(q.text(2)).as_object();
            e.created_ms = q.int64(3);
            events.push_back(std::move(e));
        }
        auto count = conn.query("SELECT COUNT(*) FROM core_outbox WHERE delivered_ms IS NULL");
        count.step();
        state_->pending = count.int64(0);
    });
    if (events.empty()) {
        return 0;
    }
    int handled = 0;
    const auto now = clock::now_ms();
    // One transaction for the whole batch (one fsync); each delivery in its own savepoint.
    state_->db.write([&](Tx& tx) {
        // The batch's receipts in one range read (ids are time-ordered) rather than one query per
        // delivery: most events have none yet, and this runs on the single writer.
        struct Receipt {
            std::string event_id;
            std::string subscriber;
            bool done = false;
            int attempts = 0;
            std::int64_t next_attempt_ms = 0;
        };
        std::vector<Receipt> receipts;
        auto range = tx.query("SELECT event_id, subscriber, done, attempts, next_attempt_ms FROM core_event_receipts "
                              "WHERE event_id BETWEEN ? AND ?");
        range.bind(events.front().id, events.back().id);
        while (range.step()) {
            receipts.push_back({range.text(0), range.text(1), range.int64(2) != 0, static_cast<int>(range.int64(3)),
                                range.int64(4)});
        }
        for (const auto& event : events) {
            bool all_done = true;
            auto subs = state_->subscriptions.find(event.topic);
            if (subs != state_->subscriptions.end()) {
                for (const auto& sub : subs->second) {
                    auto receipt = std::find_if(receipts.begin(), receipts.end(), [&](const Receipt& r) {
                        return r.event_id == event.id && r.subscriber == sub.subscriber;
                    });
                    int attempts = 0;
                    if (receipt != receipts.end()) {
                        if (receipt->done) {
                            continue;  // this subscriber already has it
                        }
                        attempts = receipt->attempts;
                        if (receipt->next_attempt_ms > now) {
                            all_done = false;
                            continue;  // backing off
                        }
                    }
                    auto delivered = tx.nested([&]() -> Result<void> {
                        if (auto r = sub.handler(event, tx); !r) {
                            return r;
                        }
                        tx.query("INSERT INTO core_event_receipts (event_id, subscriber, done, attempts) VALUES (?, ?, 1, ?) "
                                 "ON CONFLICT (event_id, subscriber) DO UPDATE SET done = 1, attempts = excluded.attempts")
                            .bind(event.id, sub.subscriber, attempts + 1)
                            .exec();
                        return {};
                    });
                    if (delivered) {
                        continue;
                    }
                    const std::string failure = delivered.error().message;
                    const bool give_up = attempts + 1 >= kMaxAttempts;
                    all_done = all_done && give_up;
                    log::write(give_up ? log::Level::kError : log::Level::kWarn, "events",
                                     give_up ? "delivery failed; giving up" : "delivery failed; will retry",
                                     {{"event_id", event.id}, {"topic", event.topic}, {"subscriber", sub.subscriber},
                                      {"attempt", attempts + 1}, {"error", failure}});
                    // done = 2 marks a delivery given up on: kept for inspection, never retried.
                    tx.query("INSERT INTO core_event_receipts (event_id, subscriber, done, attempts, next_attempt_ms, "
                             "last_error) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, subscriber) DO UPDATE SET "
                             "done = excluded.done, attempts = excluded.attempts, "
                             "next_attempt_ms = excluded.next_attempt_ms, last_error = excluded.last_error")
                        .bind(event.id, sub.subscriber, give_up ? 2 : 0, attempts + 1,
                              now + retry_backoff_ms(attempts + 1), failure)
                        .exec();
                }
            }
            if (all_done) {
                tx.query("UPDATE core_outbox SET delivered_ms = ? WHERE id = ?").bind(now, event.id).exec();
                ++handled;
            }
        }
    });
    return handled;
}

}  // namespace bb::core
