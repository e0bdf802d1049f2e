#pragma once
// Starts a WebSocket session on a socket whose upgrade request has been accepted by the router.
// Private to the server.
#include "http/websocket.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace bb::http {

class WsHub;

struct WsSettings {
    std::size_t max_message = 64 * 1024;  // larger frames are closed with 1009
    std::size_t max_queue = 256;          // frames waiting for a slow reader before it is cut off (1008)
    int messages_per_10s = 100;           // per connection; 0 = no limit
    std::int64_t idle_timeout_ms = 300'000;  // silence before a ping (half of it) and then the close
    std::int64_t close_timeout_ms = 5'000;   // for the peer to answer our close frame
};

using WsSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                                  boost::asio::strand<boost::asio::io_context::executor_type>>;

void start_ws_session(WsSocket socket, boost::beast::http::request<boost::beast::http::string_body> upgrade,
                      std::shared_ptr<WsHandler> handler, Principal principal, WsHub& hub,
                      boost::asio::thread_pool& callbacks, const WsSettings& settings);

// Keepalive pings, idle timeouts and unanswered closes for every open session; the server calls
// it every few seconds (one sweep instead of a timer per connection).
void sweep_ws_sessions(WsHub& hub);

}  // namespace bb::http
