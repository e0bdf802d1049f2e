#pragma once
// Test helper: a tiny HTTP/1.1 server on 127.0.0.1 (an ephemeral port) served by its own thread,
// standing in for an upstream such as Stripe. Each connection carries one request. The handler
// gets the request and returns the raw response bytes (http_reply builds common ones), or
// nullopt to never answer: that connection then stays open, silent, until the stub stops.
// With a TLS context it speaks https.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <cctype>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bb::test {

struct StubRequest {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    // The first header of that name (case-insensitive), or "".
    std::string
    header(std::string_view name) const
    {
        auto lower = [](std::string_view s) {
            std::string out(s);
            for (char& c : out) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            return out;
        };
        for (const auto& [n, v] : headers) {
            if (lower(n) == lower(name)) {
                return v;
            }
        }
        return {};
    }
};

inline std::string
http_reply(int status, std::string_view body, std::string_view content_type = "application/json")
{
    return "HTTP/1.1 " + std::to_string(status) + " Stub\r\nContent-Type: " + std::string(content_type) +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
}

class HttpStub {
public:
    using Handler = std::function<std::optional<std::string>(const StubRequest&)>;

    explicit HttpStub(Handler handler, boost::asio::ssl::context* tls = nullptr)
        : handler_(std::move(handler)),
          tls_(tls),
          acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0})
    {
        do_accept();
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~HttpStub()
    {
        ioc_.stop();
        thread_.join();
    }

    HttpStub(const HttpStub&) = delete;
    HttpStub& operator=(const HttpStub&) = delete;

    unsigned short
    port() const
    {
        return acceptor_.local_endpoint().port();
    }

    std::string
    url(std::string_view path = "", std::string_view host = "127.0.0.1") const
    {
        return std::string(tls_ != nullptr ? "https://" : "http://") + std::string(host) + ":" +
               std::to_string(port()) + std::string(path);
    }

    // Requests read in full so far.
    int
    requests() const
    {
        return requests_.load();
    }

    std::vector<StubRequest>
    received() const
    {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    using Socket = boost::asio::ip::tcp::socket;
    using TlsStream = boost::beast::ssl_stream<Socket>;

    template <class Stream>
    struct Connection {
        explicit Connection(Stream s) : stream(std::move(s)) {}
        Stream stream;
        boost::beast::flat_buffer buffer;
        boost::beast::http::request<boost::beast::http::string_body> request;
        std::string reply;
    };

    void
    do_accept()
    {
        acceptor_.async_accept([this](boost::system::error_code ec, Socket socket) {
            if (ec) {
                return;
            }
            if (tls_ != nullptr) {
                auto c = std::make_shared<Connection<TlsStream>>(TlsStream(std::move(socket), *tls_));
                c->stream.async_handshake(boost::asio::ssl::stream_base::server,
                                          [this, c](boost::system::error_code ec) {
                                              if (!ec) {
                                                  do_read(c);
                                              }
                                          });
            } else {
                do_read(std::make_shared<Connection<Socket>>(std::move(socket)));
            }
            do_accept();
        });
    }

    template <class Stream>
    void
    do_read(std::shared_ptr<Connection<Stream>> c)
    {
        boost::beast::http::async_read(c->stream, c->buffer, c->request,
                                       [this, c](boost::system::error_code ec, std::size_t) { on_read(c, ec); });
    }

    template <class Stream>
    void
    on_read(std::shared_ptr<Connection<Stream>> c, boost::system::error_code ec)
    {
        if (ec) {
            return;
        }
        StubRequest r;
        r.method = std::string(c->request.method_string());
        r.target = std::string(c->request.target());
        for (const auto& field : c->request) {
            r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        r.body = c->request.body();
        {
            std::lock_guard lock(mutex_);
            received_.push_back(r);
        }
        ++requests_;
        auto reply = handler_(r);
        if (!reply) {
            silent_.push_back(c);
            return;
        }
        c->reply = std::move(*reply);
        boost::asio::async_write(c->stream, boost::asio::buffer(c->reply), [c](boost::system::error_code, std::size_t) {
            boost::system::error_code ignored;
            auto& socket = boost::beast::get_lowest_layer(c->stream);
            socket.shutdown(Socket::shutdown_both, ignored);
            socket.close(ignored);
        });
    }

    Handler handler_;
    boost::asio::ssl::context* tls_;
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::vector<std::shared_ptr<void>> silent_;  // touched only on the stub's thread
    mutable std::mutex mutex_;
    std::vector<StubRequest> received_;
    std::atomic<int> requests_{0};
    std::thread thread_;
};

}  // namespace bb::test
