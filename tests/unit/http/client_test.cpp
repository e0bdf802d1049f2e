#include "http/client.hpp"

#include "../support/http_stub.hpp"
#include "../support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

using bb::core::Code;
using bb::http::ClientRequest;
using bb::test::HttpStub;
using bb::test::StubRequest;
using bb::test::http_reply;

namespace {

std::string
header_of(const bb::http::ClientResponse& r, std::string_view name)
{
    for (const auto& [n, v] : r.headers) {
        if (n == name) {
            return v;
        }
    }
    return {};
}

// Two self-signed certificates for "localhost" (no IP in the subject alternative names), valid
// until 2126. The first is made trusted for the https cases; the second never is.
constexpr const char* kTrustedCert = R"(-----BEGIN CERTIFICATE-----
MIIBlDCCATugAwIBAgIUDRwUJU7JwBw6eoR59O9lz9gN1uwwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMTIxMzE1OFoYDzIxMjYxMDI4
MjEzMTU4WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAT+uJurSOqfhk1MP7llybhCMkF+6hV2Bu900SAt50y2zyMx8kSOaboq
7tDPI7W7WsXAbyqG/aBjuCtM1VYEpNKRo2kwZzAdBgNVHQ4EFgQUyPI26JBYDviC
PajgUn4WeXN0M/8wHwYDVR0jBBgwFoAUyPI26JBYDviCPajgUn4WeXN0M/8wDwYD
VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID
RwAwRAIgH+4iKnSaOrwXo5CBACw8m4Z9JifqofSDJ1cz2eQ5fggCIFHcn0pfbDkq
13oAsE2kMDqz+v2ZkWlOMpu35XIeWy5M
-----END CERTIFICATE-----
)";
constexpr const char* kTrustedKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgE8lvOnlYp6KPzHAF
TV5YbGWUsvsWQsYHbYAPGm1Adx+hRANCAAT+uJurSOqfhk1MP7llybhCMkF+6hV2
Bu900SAt50y2zyMx8kSOaboq7tDPI7W7WsXAbyqG/aBjuCtM1VYEpNKR
-----END PRIVATE KEY-----
)";
constexpr const char* kUntrustedCert = R"(-----BEGIN CERTIFICATE-----
MIIBkzCCATqgAwIBAgITYcGOXbJYLnavmcGQP9mC75kWGjAKBggqhkjOPQQDAjAU
MRIwEAYDVQQDDAlsb2NhbGhvc3QwIBcNMjYxMTIxMjEzMTU4WhgPMjEyNjEwMjgy
MTMxNThaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABJ+jfR8N6yPgji/WZjFENaaydGW52Pfrc7NcY1X/DGZI+bLxP7ufmjHF
7MP4G6mKw68U1sh4b3GvDoQkWU5/u1SjaTBnMB0GA1UdDgQWBBQItNQAizVAe8rn
/1TPcmeHtTAmMzAfBgNVHSMEGDAWgBQItNQAizVAe8rn/1TPcmeHtTAmMzAPBgNV
HRMBAf8EBTADAQH/MBQGA1UdEQQNMAuCCWxvY2FsaG9zdDAKBggqhkjOPQQDAgNH
ADBEAiADlS6iFOSGKqBxtiXRZs7pVuiY+GBT9ydOF2QGOsqS+wIgH+vnHheNdcXd
g1rsAe3OqEvZxGLA5Hm06L+wsKigS8I=
-----END CERTIFICATE-----
)";
constexpr const char* kUntrustedKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJ/VtomAYr7I38GkL
CIznAiEslXpRa+ByhS7ueyTyUw6hRANCAASfo30fDesj4I4v1mYxRDWmsnRludj3
63OzXGNV/wxmSPmy8T+7n5oxxezD+BupisOvFNbIeG9xrw6EJFlOf7tU
-----END PRIVATE KEY-----
)";

boost::asio::ssl::context
server_tls(const char* cert, const char* key)
{
    boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_server);
    ctx.use_certificate_chain(boost::asio::buffer(std::string_view(cert)));
    ctx.use_private_key(boost::asio::buffer(std::string_view(key)), boost::asio::ssl::context::pem);
    return ctx;
}

}  // namespace

TEST_SUITE("http/client") {

TEST_CASE("a POST round trip carries method, target, headers and body both ways") {
    HttpStub stub([](const StubRequest& r) -> std::optional<std::string> {
        if (r.method != "POST" || r.target != "/v1/things?expand=all") {
            return http_reply(400, "{}");
        }
        return "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Reply: yes\r\nContent-Length: 11\r\n\r\n"
               "{\"ok\":true}";
    });
    ClientRequest req;
    req.url = stub.url("/v1/things?expand=all#ignored");
    req.headers = {{"Authorization", "Bearer sk_test_123"}, {"Content-Type", "application/x-www-form-urlencoded"}};
    req.body = "a=1&b=two+words";
    auto res = bb::http::send(req);
    REQUIRE(res.has_value());
    CHECK(res->status == 201);
    CHECK(res->body == "{\"ok\":true}");
    CHECK(header_of(*res, "X-Reply") == "yes");

    REQUIRE(stub.requests() == 1);
    const auto seen = stub.received().front();
    CHECK(seen.header("Authorization") == "Bearer sk_test_123");
    CHECK(seen.header("Content-Type") == "application/x-www-form-urlencoded");
    CHECK(seen.header("Content-Length") == "15");
    CHECK(seen.header("Host") == "127.0.0.1:" + std::to_string(stub.port()));
    CHECK(seen.body == "a=1&b=two+words");
}

TEST_CASE("any HTTP status is a response, not an error") {
    HttpStub stub([](const StubRequest&) -> std::optional<std::string> { return http_reply(503, "down"); });
    ClientRequest req;
    req.method = "GET";
    req.url = stub.url();  // no path: "/" is sent
    auto res = bb::http::send(req);
    REQUIRE(res.has_value());
    CHECK(res->status == 503);
    CHECK(res->body == "down");
    CHECK(stub.received().front().target == "/");
}

TEST_CASE("chunked bodies and bodies ended by closing the connection are read whole") {
    SUBCASE("chunked") {
        HttpStub stub([](const StubRequest&) -> std::optional<std::string> {
            return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        });
        auto res = bb::http::send({.method = "GET", .url = stub.url("/c")});
        REQUIRE(res.has_value());
        CHECK(res->body == "hello world");
    }
    SUBCASE("until close") {
        HttpStub stub([](const StubRequest&) -> std::optional<std::string> {
            return "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nno length here";
        });
        auto res = bb::http::send({.method = "GET", .url = stub.url("/c")});
        REQUIRE(res.has_value());
        CHECK(res->body == "no length here");
    }
}

TEST_CASE("a server that never answers fails with kUnavailable once the deadline passes") {
    HttpStub stub([](const StubRequest&) -> std::optional<std::string> { return std::nullopt; });
    ClientRequest req;
    req.url = stub.url("/slow");
    req.timeout = std::chrono::milliseconds(300);
    const auto started = std::chrono::steady_clock::now();
    auto res = bb::http::send(req);
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error().code == Code::kUnavailable);
    CHECK(res.error().slug == "upstream_unavailable");
    CHECK(res.error().message.find("timed out") != std::string::npos);
    CHECK(took >= std::chrono::milliseconds(280));
    CHECK(took < std::chrono::milliseconds(2000));
    CHECK(stub.requests() == 1);  // the request was sent; only the answer never came
}

TEST_CASE("a refused connection fails with kUnavailable") {
    unsigned short port = 0;
    {
        // Take a free port, then close it so nothing listens there.
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::acceptor probe(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
        port = probe.local_endpoint().port();
    }
    const auto started = std::chrono::steady_clock::now();
    auto res = bb::http::send(
        {.url = "http://127.0.0.1:" + std::to_string(port) + "/", .timeout = std::chrono::seconds(5)});
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error().code == Code::kUnavailable);
    CHECK(res.error().slug == "upstream_unavailable");
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));  // refused, not timed out
}

TEST_CASE("a response body over 1 MiB is refused") {
    HttpStub stub([](const StubRequest&) -> std::optional<std::string> {
        return http_reply(200, std::string(1024 * 1024 + 1, 'x'), "text/plain");
    });
    auto res = bb::http::send({.method = "GET", .url = stub.url("/big")});
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error().code == Code::kUnavailable);

    HttpStub exact([](const StubRequest&) -> std::optional<std::string> {
        return http_reply(200, std::string(1024 * 1024, 'x'), "text/plain");
    });
    auto ok = bb::http::send({.method = "GET", .url = exact.url("/big")});
    REQUIRE(ok.has_value());
    CHECK(ok->body.size() == 1024 * 1024);
}

TEST_CASE("bad URLs, methods and headers are refused before any connection") {
    for (const std::string url : {"", "not a url", "ftp://example.com/x", "http:///nohost", "mailto:a@b.c"}) {
        CAPTURE(url);
        auto res = bb::http::send({.url = url});
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error().code == Code::kUnavailable);
    }
    HttpStub stub([](const StubRequest&) -> std::optional<std::string> { return http_reply(200, "{}"); });
    CHECK_FALSE(bb::http::send({.method = "FETCH", .url = stub.url()}).has_value());
    CHECK_FALSE(bb::http::send({.url = stub.url(), .headers = {{"X-Evil", "a\r\nX-Injected: 1"}}}).has_value());
    CHECK(stub.requests() == 0);
}

TEST_CASE("https: the certificate must chain to a trusted root and name the host") {
    // OpenSSL's default verify paths honour SSL_CERT_FILE; the client reads them on its first
    // https call, and no other unit test makes one.
    bb::test::TempDir dir;
    const auto roots = dir.file("roots.pem");
    std::ofstream(roots) << kTrustedCert;
    ::setenv("SSL_CERT_FILE", roots.c_str(), 1);

    auto trusted = server_tls(kTrustedCert, kTrustedKey);
    HttpStub stub([](const StubRequest&) -> std::optional<std::string> { return http_reply(200, "{\"tls\":true}"); },
                  &trusted);

    SUBCASE("trusted and the name matches") {
        auto res = bb::http::send({.method = "GET", .url = stub.url("/secure", "localhost")});
        REQUIRE_MESSAGE(res.has_value(), (res.has_value() ? std::string() : res.error().message));
        CHECK(res->body == "{\"tls\":true}");
        CHECK(stub.received().front().header("Host") == "localhost:" + std::to_string(stub.port()));
    }
    SUBCASE("trusted, but issued for another name") {
        auto res = bb::http::send({.method = "GET", .url = stub.url("/secure", "127.0.0.1")});
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error().code == Code::kUnavailable);
        CHECK(res.error().message.find("TLS") != std::string::npos);
        CHECK(stub.requests() == 0);
    }
    SUBCASE("not trusted") {
        auto untrusted = server_tls(kUntrustedCert, kUntrustedKey);
        HttpStub rogue([](const StubRequest&) -> std::optional<std::string> { return http_reply(200, "{}"); },
                       &untrusted);
        auto res = bb::http::send({.method = "GET", .url = rogue.url("/secure", "localhost")});
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error().code == Code::kUnavailable);
        CHECK(rogue.requests() == 0);
    }
    SUBCASE("plain http to a TLS port fails cleanly") {
        auto res = bb::http::send({.method = "GET",
                                   .url = "http://127.0.0.1:" + std::to_string(stub.port()) + "/",
                                   .timeout = std::chrono::milliseconds(1000)});
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error().code == Code::kUnavailable);
    }
}

TEST_CASE("form_encode follows application/x-www-form-urlencoded") {
    using bb::http::form_encode;
    CHECK(form_encode({}) == "");
    CHECK(form_encode({{"a", "b"}}) == "a=b");
    CHECK(form_encode({{"a", "b"}, {"c", "d"}}) == "a=b&c=d");
    CHECK(form_encode({{"name", "Night Drive (premium license)"}}) == "name=Night+Drive+%28premium+license%29");
    CHECK(form_encode({{"q", "a&b=c+d%e"}}) == "q=a%26b%3Dc%2Bd%25e");
    CHECK(form_encode({{"line_items[0][price_data][unit_amount]", "4999"}}) ==
          "line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=4999");
    CHECK(form_encode({{"url", "http://127.0.0.1:8080/library?purchase=p1"}}) ==
          "url=http%3A%2F%2F127.0.0.1%3A8080%2Flibrary%3Fpurchase%3Dp1");
    CHECK(form_encode({{"unreserved", "AZaz09*-._"}, {"tilde", "~"}}) == "unreserved=AZaz09*-._&tilde=%7E");
    CHECK(form_encode({{"utf8", "Beyonc\xC3\xA9"}}) == "utf8=Beyonc%C3%A9");
    CHECK(form_encode({{"empty", ""}, {"", "x"}}) == "empty=&=x");
    CHECK(form_encode({{"nl", "a\nb"}}) == "nl=a%0Ab");
}

}  // TEST_SUITE
