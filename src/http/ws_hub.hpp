#pragma once
// Who is connected, by group ("user:<id>", "session:<sid>", "room:<id>"). Sending to a group
// serialises nothing: the caller's frame is shared by every recipient. Following Beast's
// chat-multi: weak references are copied under the lock and used outside it.
#include "http/websocket.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace bb::http {

// While one is alive on a thread, the frames this thread sends wait, and each connection's go out
// together (one write for up to 32) when the outermost cork ends: a commit's several messages to
// a room cost one write per member instead of one per message. The writes are shared between
// this thread and the network threads (a room of 1,000 is heard in a fraction of the time one
// thread takes); each connection's frames keep their order. Frames from other threads are not
// held.
class WsCork {
public:
    WsCork();
    ~WsCork();
    WsCork(const WsCork&) = delete;
    WsCork& operator=(const WsCork&) = delete;

private:
    bool outermost_;
};

class WsHub {
public:
    static constexpr const char* kEveryone = "all";  // every open connection is in this group

    void join(const std::string& group, const std::shared_ptr<WsConnection>& conn);
    void leave_all(const WsConnection& conn);
    std::size_t count(const std::string& group) const;
    void send(const std::string& group, std::shared_ptr<const std::string> frame);
    void send(const std::string& group, std::string frame);
    void close(const std::string& group, int code, const std::string& reason);
    // Logout and account deletion: found by walking every connection (rare events), so an idle
    // socket carries no per-session bookkeeping.
    void close_session(const std::string& session_id, int code, const std::string& reason);
    void close_account(const std::string& user_id, int code, const std::string& reason);
    void close_all(int code, const std::string& reason);
    std::int64_t connections() const { return connections_.load(); }
    // The live members of a group, copied under the lock (to be used outside it).
    std::vector<std::shared_ptr<WsConnection>> members(const std::string& group) const;

    // The session's own bookkeeping (ws_session.cpp).
    void opened() { connections_.fetch_add(1); }
    void closed() { connections_.fetch_sub(1); }
    // Counts one more socket of this user unless they hold `limit` already (0: no limit); a
    // session that was admitted is released when it dies.
    bool admit(const std::string& user_id, int limit);
    void release(const std::string& user_id);

private:
    std::mutex users_mutex_;
    std::map<std::string, int, std::less<>> per_user_;
    mutable std::mutex mutex_;
    std::map<std::string, std::map<std::uint64_t, std::weak_ptr<WsConnection>>, std::less<>> groups_;
    std::map<std::uint64_t, std::set<std::string>> memberships_;
    std::atomic<std::int64_t> connections_{0};
};

}  // namespace bb::http
