#include "modules/notifications/socket.hpp"

#include "http/ws_hub.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <mutex>
#include <set>
#include <utility>
#include <vector>

namespace bb::notifications {
namespace {

// What the hub holds for a replaying socket: it forwards to the real connection, except that
// while the missed notifications are being read and sent, live frames are held back; once the
// replay is out, those not already replayed follow. So a notification committed while the
// client reconnects arrives once: not lost between the query and the join, not sent twice.
// A notification is readable as soon as it commits but pushed only once its commit is durable
// (core/db.hpp), so the replay may hold one whose push comes after the gate opened: frames up to
// the last replayed id stay filtered (ids follow commit order, so every such one was replayed).
class Gate final : public http::WsConnection {
public:
    explicit Gate(std::shared_ptr<http::WsConnection> inner) : inner_(std::move(inner)) {}

    void send(std::shared_ptr<const std::string> text) override
    {
        {
            std::lock_guard lock(mutex_);
            if (holding_) {
                held_.push_back(std::move(text));
                return;
            }
            if (!replayed_up_to_.empty()) {
                if (notification_id(*text) <= replayed_up_to_) {
                    return;
                }
                replayed_up_to_.clear();  // pushes come in id order: none after this was replayed
            }
        }
        inner_->send(std::move(text));
    }
    void close(int code, std::string reason) override { inner_->close(code, std::move(reason)); }
    const http::Principal& principal() const override { return inner_->principal(); }
    // The same id as the real connection: the hub forgets both when the socket closes.
    std::uint64_t id() const override { return inner_->id(); }

    // Sends the held frames that were not part of the replay, in the order they came, and lets
    // later frames straight through.
    void open(const std::set<std::string>& replayed)
    {
        std::lock_guard lock(mutex_);
        for (auto& frame : held_) {
            if (replayed.empty() || !replayed.contains(notification_id(*frame))) {
                inner_->send(std::move(frame));
            }
        }
        held_.clear();
        holding_ = false;
        if (!replayed.empty()) {
            replayed_up_to_ = *replayed.rbegin();
        }
    }

private:
    static std::string notification_id(const std::string& frame)
    {
        boost::system::error_code ec;
        auto v = boost::json::parse(frame, ec);
        if (ec || !v.is_object()) {
            return {};
        }
        const auto* id = v.as_object().if_contains("notification_id");
        return id != nullptr && id->is_string() ? std::string(id->as_string()) : std::string();
    }

    std::shared_ptr<http::WsConnection> inner_;
    std::mutex mutex_;
    bool holding_ = true;
    std::vector<std::shared_ptr<const std::string>> held_;
    std::string replayed_up_to_;  // the newest replayed id, once open
};

class Socket final : public http::WsHandler {
public:
    Socket(Store& store, http::WsHub& hub, std::string user_id, std::optional<std::string> since)
        : store_(store), hub_(hub), user_id_(std::move(user_id)), since_(std::move(since))
    {
    }

    void on_open(const std::shared_ptr<http::WsConnection>& conn) override
    {
        if (!since_) {
            hub_.join(group_of(user_id_), conn);
            return;
        }
        gate_ = std::make_shared<Gate>(conn);
        hub_.join(group_of(user_id_), gate_);  // join first: nothing committed from now on is missed
        auto missed = store_.after(user_id_, *since_, kMaxReplay + 1);
        const bool truncated = static_cast<int>(missed.size()) > kMaxReplay;
        if (truncated) {
            missed.pop_back();
        }
        std::set<std::string> replayed;
        for (const auto& n : missed) {
            conn->send(std::make_shared<const std::string>(to_frame(n)));
            replayed.insert(n.id);
        }
        if (truncated) {
            // Said before any live frame, so the client knows where its gap starts.
            conn->send(std::make_shared<const std::string>(boost::json::serialize(boost::json::object{
                {"type", "replay truncated"},
                {"message", "more notifications were missed than a socket replays; read the rest with "
                            "GET /api/notifications"},
                {"next_since", missed.back().id}})));
        }
        gate_->open(replayed);
    }

private:
    Store& store_;
    http::WsHub& hub_;
    std::string user_id_;
    std::optional<std::string> since_;
    std::shared_ptr<Gate> gate_;  // the hub holds it weakly; it lives as long as the socket
};

}  // namespace

std::shared_ptr<http::WsHandler>
make_socket(Store& store, http::WsHub& hub, std::string user_id, std::optional<std::string> since)
{
    return std::make_shared<Socket>(store, hub, std::move(user_id), std::move(since));
}

}  // namespace bb::notifications
