#include "http/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <optional>

namespace bb::http {
namespace {
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Upstream answers we expect are small JSON documents; anything larger is a broken upstream.
constexpr std::uint64_t kBodyLimit = 1024 * 1024;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;

core::Error
upstream_unavailable(std::string message)
{
    return {core::Code::kUnavailable, "upstream_unavailable", std::move(message), {}};
}

struct Target {
    bool tls = false;
    bool host_is_name = false;  // a DNS name (gets SNI), not an IP literal
    std::string host;           // for resolving and certificate checks: "api.stripe.com", "::1"
    std::string port;
    std::string host_header;    // "api.stripe.com", "[::1]:8080"
    std::string path;           // origin-form target: "/v1/checkout/sessions?x=y"
};

core::Result<Target>
parse_target(std::string_view url)
{
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) {
        return upstream_unavailable("invalid upstream URL: " + std::string(url));
    }
    const auto& u = *parsed;
    Target t;
    if (u.scheme_id() == boost::urls::scheme::https) {
        t.tls = true;
    } else if (u.scheme_id() != boost::urls::scheme::http) {
        return upstream_unavailable("unsupported URL scheme (only http and https): " + std::string(url));
    }
    t.host = u.host_address();
    if (t.host.empty()) {
        return upstream_unavailable("upstream URL has no host: " + std::string(url));
    }
    t.host_is_name = u.host_type() == boost::urls::host_type::name;
    t.port = u.has_port() && !u.port().empty() ? std::string(u.port()) : (t.tls ? "443" : "80");
    t.host_header = u.encoded_host_and_port();
    t.path = u.encoded_target();
    if (t.path.empty() || t.path.front() != '/') {
        t.path.insert(0, "/");
    }
    return t;
}

// One TLS context for the process: loading the system's roots costs milliseconds, and
// SSL_CTX is safe to share once configured. The roots come from OpenSSL's default paths
// (honouring SSL_CERT_FILE / SSL_CERT_DIR), read the first time an https call is made.
ssl::context&
tls_context()
{
    static ssl::context ctx = [] {
        ssl::context c(ssl::context::tls_client);
        c.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        c.set_default_verify_paths();
        c.set_verify_mode(ssl::verify_peer);
        return c;
    }();
    return ctx;
}

// One request/response exchange on a private io_context: resolve -> connect -> [TLS handshake]
// -> write -> read. Everything shares one deadline: a timer bounds the resolve, and the
// tcp_stream's expiry (set once, never moved) bounds everything after it. The io_context is
// run by the caller until no work is left, so the object outlives every handler and `this`
// is safe to capture (no shared_from_this needed, unlike a server session).
class Exchange {
public:
    Exchange(net::io_context& ioc, Target target, bhttp::request<bhttp::string_body> request,
             std::chrono::milliseconds timeout)
        : target_(std::move(target)),
          request_(std::move(request)),
          timeout_(timeout),
          deadline_(Clock::now() + timeout),
          resolver_(ioc),
          resolve_timer_(ioc)
    {
        if (target_.tls) {
            secure_.emplace(ioc, tls_context());
        } else {
            plain_.emplace(ioc);
        }
        parser_.header_limit(kHeaderLimit);
        parser_.body_limit(kBodyLimit);
    }

    void
    run()
    {
        resolve_timer_.expires_at(deadline_);
        resolve_timer_.async_wait([this](beast::error_code ec) {
            if (!ec) {
                resolve_timed_out_ = true;
                resolver_.cancel();
            }
        });
        resolver_.async_resolve(target_.host, target_.port,
                                [this](beast::error_code ec, tcp::resolver::results_type results) {
                                    on_resolve(ec, std::move(results));
                                });
    }

    core::Result<ClientResponse>
    result()
    {
        if (error_) {
            return *error_;
        }
        if (!done_) {
            return upstream_unavailable("the exchange with " + where() + " did not finish");
        }
        auto& res = parser_.get();
        ClientResponse out;
        out.status = static_cast<int>(res.result_int());
        for (const auto& field : res) {
            out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        out.body = std::move(res.body());
        return out;
    }

private:
    beast::tcp_stream&
    lowest()
    {
        return secure_ ? beast::get_lowest_layer(*secure_) : *plain_;
    }

    std::string
    where() const
    {
        return target_.host_header;
    }

    void
    fail(beast::error_code ec, std::string_view what)
    {
        std::string message = std::string(what) + " " + where() + ": ";
        if (ec == beast::error::timeout || (ec == net::error::operation_aborted && resolve_timed_out_)) {
            message += "timed out after " + std::to_string(timeout_.count()) + " ms";
        } else {
            message += ec.message();
        }
        error_ = upstream_unavailable(std::move(message));
        beast::error_code ignored;
        lowest().socket().close(ignored);
    }

    void
    on_resolve(beast::error_code ec, tcp::resolver::results_type results)
    {
        resolve_timer_.cancel();
        if (ec) {
            return fail(ec, "could not resolve");
        }
        lowest().expires_at(deadline_);
        lowest().async_connect(results, [this](beast::error_code ec, const tcp::endpoint&) { on_connect(ec); });
    }

    void
    on_connect(beast::error_code ec)
    {
        if (ec) {
            return fail(ec, "could not connect to");
        }
        if (!secure_) {
            return do_write();
        }
        // SNI only for names (RFC 6066 forbids IP literals); the certificate is checked against
        // the host either way.
        if (target_.host_is_name && !SSL_set_tlsext_host_name(secure_->native_handle(), target_.host.c_str())) {
            return fail(beast::error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()),
                        "could not set TLS server name for");
        }
        secure_->set_verify_callback(ssl::host_name_verification(target_.host));
        secure_->async_handshake(ssl::stream_base::client, [this](beast::error_code ec) {
            if (ec) {
                return fail(ec, "TLS handshake failed with");
            }
            do_write();
        });
    }

    void
    do_write()
    {
        auto on_write = [this](beast::error_code ec, std::size_t) {
            if (ec) {
                return fail(ec, "could not send the request to");
            }
            do_read();
        };
        if (secure_) {
            bhttp::async_write(*secure_, request_, std::move(on_write));
        } else {
            bhttp::async_write(*plain_, request_, std::move(on_write));
        }
    }

    void
    do_read()
    {
        auto on_read = [this](beast::error_code ec, std::size_t) { on_read_done(ec); };
        if (secure_) {
            bhttp::async_read(*secure_, buffer_, parser_, std::move(on_read));
        } else {
            bhttp::async_read(*plain_, buffer_, parser_, std::move(on_read));
        }
    }

    void
    on_read_done(beast::error_code ec)
    {
        // A body delimited by the end of the connection: over TLS a peer that closes without
        // close_notify reports stream_truncated where plain TCP reports eof.
        if (ec == ssl::error::stream_truncated && parser_.is_header_done() && parser_.need_eof()) {
            ec = {};
            parser_.put_eof(ec);
        }
        if (ec == bhttp::error::body_limit) {
            error_ = upstream_unavailable("the response from " + where() + " is larger than " +
                                          std::to_string(kBodyLimit) + " bytes");
        } else if (ec) {
            return fail(ec, "could not read the response from");
        } else {
            done_ = true;
        }
        // One request per connection: close without waiting for the peer (no TLS close_notify
        // round trip; the response is complete, so there is nothing a truncation could hide).
        beast::error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().socket().close(ignored);
    }

    Target target_;
    bhttp::request<bhttp::string_body> request_;
    std::chrono::milliseconds timeout_;
    Clock::time_point deadline_;
    tcp::resolver resolver_;
    net::steady_timer resolve_timer_;
    bool resolve_timed_out_ = false;
    std::optional<beast::tcp_stream> plain_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
    beast::flat_buffer buffer_;
    bhttp::response_parser<bhttp::string_body> parser_;
    std::optional<core::Error> error_;
    bool done_ = false;
};

bool
has_line_break(std::string_view s)
{
    return s.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

core::Result<ClientResponse>
send(const ClientRequest& request)
{
    auto target = parse_target(request.url);
    if (!target) {
        return target.error();
    }
    const auto verb = bhttp::string_to_verb(request.method);
    if (verb == bhttp::verb::unknown) {
        return upstream_unavailable("unsupported HTTP method: " + request.method);
    }
    bhttp::request<bhttp::string_body> req{verb, target->path, 11};
    req.set(bhttp::field::host, target->host_header);
    req.set(bhttp::field::user_agent, "backbeat/" BACKBEAT_VERSION);
    req.set(bhttp::field::connection, "close");
    for (const auto& [name, value] : request.headers) {
        if (name.empty() || has_line_break(name) || has_line_break(value)) {
            return upstream_unavailable("invalid request header: " + name);
        }
        req.set(name, value);
    }
    req.body() = request.body;
    req.prepare_payload();

    net::io_context ioc(1);
    Exchange exchange(ioc, std::move(*target), std::move(req), request.timeout);
    exchange.run();
    ioc.run();
    return exchange.result();
}

std::string
form_encode(const std::vector<std::pair<std::string, std::string>>& fields)
{
    // The WHATWG application/x-www-form-urlencoded serializer: ASCII alphanumerics and *-._ stay,
    // a space becomes '+', every other byte (UTF-8 included) is %XX.
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    auto append = [&out](std::string_view s) {
        for (const unsigned char c : s) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '*' || c == '-' ||
                c == '.' || c == '_') {
                out += static_cast<char>(c);
            } else if (c == ' ') {
                out += '+';
            } else {
                out += '%';
                out += kHex[c >> 4];
                out += kHex[c & 0x0F];
            }
        }
    };
    for (const auto& [name, value] : fields) {
        if (!out.empty()) {
            out += '&';
        }
        append(name);
        out += '=';
        append(value);
    }
    return out;
}

}  // namespace bb::http
