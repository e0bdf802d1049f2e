// WsCork (ws_hub.hpp): the frames a thread sends while a cork is alive wait, and go out when the
// outermost cork ends, one write per connection for all of them.
#include "http/ws_hub.hpp"
#include "http/ws_session_impl.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <iterator>
#include <thread>

namespace bb::http {
namespace {

// Below this, handing connections to another thread costs more than writing to them here.
constexpr std::size_t kMinShare = 64;

void
uncork_all(const std::vector<std::shared_ptr<WsSession>>& sessions)
{
    for (const auto& session : sessions) {
        session->uncork();
    }
}

// Writes what the cork held. One sendmsg per member costs about 10 us on loopback (most of it the
// receiver's TCP processing and wake-up, done by the sender), so one thread takes 10 ms to tell a
// room of 1,000 about one message, and the thread that committed it (the database writer) could
// not commit the next meanwhile. So a cork of about one frame per connection (a broadcast: the
// latency case) is split into shares written by the network threads at once, and this thread
// goes on. A cork of several frames per connection (a busy room: the throughput case) is written
// here: each connection's frames already share one write, and spreading them across threads
// only adds to the CPU spent per message. Order is kept without waiting for the shares: a
// connection's frames sit in its own queue, whoever flushes it writes them from the head, and
// anything sent to it meanwhile queues behind them.
void
write_out(WsSession::Corked& held)
{
    auto& sessions = held.sessions;
    const std::size_t threads = std::max(1U, std::thread::hardware_concurrency());
    const std::size_t parts = std::min(threads, sessions.size() / kMinShare);
    if (parts < 2 || held.frames > sessions.size() + sessions.size() / 4) {
        return uncork_all(sessions);
    }
    const std::size_t share = (sessions.size() + parts - 1) / parts;
    for (std::size_t begin = 0; begin < sessions.size(); begin += share) {
        const auto first = sessions.begin() + static_cast<std::ptrdiff_t>(begin);
        const auto last = sessions.begin() + static_cast<std::ptrdiff_t>(std::min(sessions.size(), begin + share));
        std::vector<std::shared_ptr<WsSession>> part(std::make_move_iterator(first), std::make_move_iterator(last));
        auto executor = part.front()->io_executor();
        boost::asio::post(executor, [part = std::move(part)] { uncork_all(part); });
    }
}

}  // namespace

WsSession::Corked*&
WsSession::corked()
{
    thread_local Corked* held = nullptr;
    return held;
}

WsCork::WsCork() : outermost_(WsSession::corked() == nullptr)
{
    if (outermost_) {
        WsSession::corked() = new WsSession::Corked();
    }
}

WsCork::~WsCork()
{
    if (!outermost_) {
        return;
    }
    std::unique_ptr<WsSession::Corked> held(WsSession::corked());
    WsSession::corked() = nullptr;
    write_out(*held);
}

}  // namespace bb::http
