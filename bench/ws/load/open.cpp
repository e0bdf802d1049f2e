#include "open.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <list>

namespace bench {

std::optional<Url>
parse_url(std::string_view url)
{
    constexpr std::string_view scheme = "ws://";
    if (url.substr(0, scheme.size()) != scheme) {
        return std::nullopt;
    }
    url.remove_prefix(scheme.size());
    const auto slash = url.find('/');
    Url out;
    out.host = std::string(url.substr(0, slash));
    out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    const auto colon = out.host.rfind(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    std::string name = out.host.substr(0, colon);
    if (name == "localhost") {
        name = "127.0.0.1";
    }
    int port = 0;
    const auto* digits = out.host.data() + colon + 1;
    if (std::from_chars(digits, out.host.data() + out.host.size(), port).ec != std::errc{} || port <= 0 ||
        port > 65535) {
        return std::nullopt;
    }
    out.address.sin_family = AF_INET;
    out.address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, name.c_str(), &out.address.sin_addr) != 1) {
        return std::nullopt;
    }
    return out;
}

namespace {

constexpr std::int64_t kHandshakeTimeoutUs = 15'000'000;

struct Pending {
    std::unique_ptr<Conn> conn = std::make_unique<Conn>();
    bool connected = false;
    std::string response;
    std::int64_t deadline_us = 0;
};

}  // namespace

Opened
open_connections(const Url& url, int count, int concurrency, const std::vector<Loop*>& loops)
{
    Opened result;
    const auto t0 = now_us();
    const std::string request = "GET " + url.target + " HTTP/1.1\r\nHost: " + url.host +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const int epoll = epoll_create1(EPOLL_CLOEXEC);
    std::list<Pending> pending;
    int started = 0;
    std::size_t next_loop = 0;
    const auto fail = [&](std::list<Pending>::iterator it, const std::string& why) {
        ::close(it->conn->fd);
        ++result.failed;
        ++result.errors[why];
        return pending.erase(it);
    };
    while (result.opened + result.failed < count) {
        while (started < count && static_cast<int>(pending.size()) < concurrency) {
            ++started;
            auto& p = pending.emplace_back();
            p.deadline_us = now_us() + kHandshakeTimeoutUs;
            p.conn->fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (p.conn->fd < 0) {
                ++result.failed;
                ++result.errors[std::string("socket: ") + std::strerror(errno)];
                pending.pop_back();
                continue;
            }
            if (::connect(p.conn->fd, reinterpret_cast<const sockaddr*>(&url.address), sizeof url.address) < 0 &&
                errno != EINPROGRESS) {
                fail(std::prev(pending.end()), std::string("connect: ") + std::strerror(errno));
                continue;
            }
            epoll_event ev{};
            ev.events = EPOLLOUT | EPOLLIN;
            ev.data.ptr = &p;
            epoll_ctl(epoll, EPOLL_CTL_ADD, p.conn->fd, &ev);
        }
        std::array<epoll_event, 128> events;
        const int n = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 100);
        for (int i = 0; i < n; ++i) {
            auto* p = static_cast<Pending*>(events[i].data.ptr);
            const auto it = std::find_if(pending.begin(), pending.end(), [p](const Pending& x) { return &x == p; });
            if (!p->connected) {
                int error = 0;
                socklen_t size = sizeof error;
                getsockopt(p->conn->fd, SOL_SOCKET, SO_ERROR, &error, &size);
                if (error != 0) {
                    fail(it, std::string("connect: ") + std::strerror(error));
                    continue;
                }
                p->connected = true;
                // A few hundred bytes: a fresh socket's send buffer takes them whole.
                if (::send(p->conn->fd, request.data(), request.size(), MSG_NOSIGNAL) !=
                    static_cast<ssize_t>(request.size())) {
                    fail(it, "could not send the upgrade request");
                    continue;
                }
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.ptr = p;
                epoll_ctl(epoll, EPOLL_CTL_MOD, p->conn->fd, &ev);
                continue;
            }
            char buffer[4096];
            const auto got = ::recv(p->conn->fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            if (got <= 0) {
                fail(it, "closed during the handshake");
                continue;
            }
            p->response.append(buffer, static_cast<std::size_t>(got));
            const auto end = p->response.find("\r\n\r\n");
            if (end == std::string::npos) {
                continue;
            }
            if (p->response.compare(0, 12, "HTTP/1.1 101") != 0) {
                fail(it, "Unexpected server response: " + p->response.substr(9, 3));
                continue;
            }
            epoll_ctl(epoll, EPOLL_CTL_DEL, p->conn->fd, nullptr);
            p->conn->partial = p->response.substr(end + 4);  // a frame sent right after the 101
            loops[next_loop++ % loops.size()]->adopt(std::move(p->conn));
            ++result.opened;
            pending.erase(it);
        }
        const auto now = now_us();
        for (auto it = pending.begin(); it != pending.end();) {
            it = it->deadline_us < now ? fail(it, "Opening handshake has timed out") : std::next(it);
        }
    }
    ::close(epoll);
    result.seconds = static_cast<double>(now_us() - t0) / 1e6;
    return result;
}

}  // namespace bench
