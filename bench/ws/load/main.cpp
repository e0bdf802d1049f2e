// bench/ws's load client: drives one running server through two measurements and prints one JSON
// object on stdout (progress on stderr); bench/ws.sh starts and stops the servers.
//   idle:    --conns connections opened to --idle-url and held; VmRSS of --pid before and after
//            gives KiB per connection.
//   fan-out: a room of --room members, one of them the sender (on its own thread); flooded (at
//            most --window in flight, counted by the sender's own echoes) and paced (--rate per
//            second), each for --duration seconds; deliveries summed over members, latency from
//            the send timestamp inside each message to its receipt.
// Beside the server's CPU (utime + stime from /proc/<pid>/stat) it reports its own (getrusage),
// so a reader can tell whether the client was the limit.
// Usage: ws_load --name N --pid PID --idle-url URL --room-url URL [--conns 10000] [--threads 2]
//          [--room 1000] [--duration 10] [--window 200] [--rate 50] [--timeout 150]
#include "loop.hpp"
#include "open.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

namespace {

using namespace bench;

struct Options {
    std::string name = "server";
    int pid = 0;
    std::string idle_url;
    std::string room_url;
    int conns = 10000;
    int threads = 2;  // receiving loops; the sender has its own
    int room = 1000;
    double duration_s = 10;
    int window = 200;
    double rate = 50;
    int concurrency = 64;
    int timeout_s = 150;
};

void
log(const Options& opt, const std::string& line)
{
    std::cerr << "bench[" << opt.name << "]: " << line << std::endl;
}

void
sleep_ms(int ms)
{
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

long
rss_kib(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::strtol(line.c_str() + 6, nullptr, 10);
        }
    }
    return -1;
}

// utime + stime of every thread of a process, seconds.
double
cpu_s(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // the first field is field 3 (state)
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i >= 14) {
            ticks += std::stod(field);
        }
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double
own_cpu_s()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string
quote(const std::string& s)
{
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

template <class Map>
std::string
object(const Map& map)
{
    std::ostringstream out;
    out << "{";
    const char* comma = "";
    for (const auto& [key, n] : map) {
        std::ostringstream k;
        k << key;
        out << comma << quote(k.str()) << ":" << n;
        comma = ",";
    }
    out << "}";
    return out.str();
}

std::string
number(double v)
{
    std::ostringstream out;
    out.precision(10);
    out << v;
    return out.str();
}

std::string
idle(const Options& opt, const Url& url)
{
    sleep_ms(500);
    const auto rss_before = rss_kib(opt.pid);
    const auto cpu0 = cpu_s(opt.pid);
    const auto own0 = own_cpu_s();
    Spread spread;
    std::vector<std::unique_ptr<Loop>> loops;
    std::vector<Loop*> targets;
    for (int i = 0; i < opt.threads; ++i) {
        targets.push_back(loops.emplace_back(std::make_unique<Loop>(spread)).get());
    }
    log(opt, "opening " + std::to_string(opt.conns) + " idle connections");
    const auto opened = open_connections(url, opt.conns, opt.concurrency, targets);
    sleep_ms(2000);  // let the server finish with the handshakes before reading its RSS
    const auto rss_after = rss_kib(opt.pid);
    const auto cpu1 = cpu_s(opt.pid);
    const auto own1 = own_cpu_s();
    std::size_t still_open = 0;
    std::map<int, int> closes;
    for (const auto& loop : loops) {
        still_open += loop->open_count();
        for (const auto& [code, n] : loop->closes()) {
            closes[code] += n;
        }
    }
    for (auto& loop : loops) {
        loop->stop();
    }
    log(opt, "idle: " + std::to_string(opened.opened) + " open (" + std::to_string(opened.failed) + " failed) in " +
                 number(opened.seconds) + "s, RSS " + std::to_string(rss_before) + " -> " +
                 std::to_string(rss_after) + " KiB");
    std::ostringstream out;
    out << "{\"conns\":" << opt.conns << ",\"opened\":" << opened.opened << ",\"failed\":" << opened.failed
        << ",\"errors\":" << object(opened.errors) << ",\"still_open\":" << still_open
        << ",\"closed_by_server\":" << object(closes) << ",\"rss_before_kib\":" << rss_before
        << ",\"rss_after_kib\":" << rss_after << ",\"connect_s\":" << number(opened.seconds)
        << ",\"server_cpu_s\":" << number(cpu1 - cpu0) << ",\"client_cpu_s\":" << number(own1 - own0)
        << ",\"kib_per_conn\":"
        << (opened.opened > 0 ? number(static_cast<double>(rss_after - rss_before) / opened.opened) : "null") << "}";
    return out.str();
}

class Fanout {
public:
    Fanout(const Options& opt, const Url& url) : opt_(opt)
    {
        sender_ = std::make_unique<Loop>(spread_);
        for (int i = 0; i < opt.threads; ++i) {
            receivers_.push_back(std::make_unique<Loop>(spread_));
        }
        std::vector<Loop*> targets;
        for (auto& loop : receivers_) {
            targets.push_back(loop.get());
        }
        log(opt, "opening a room of " + std::to_string(opt.room) + " (" + std::to_string(opt.room - 1) +
                     " receivers on " + std::to_string(opt.threads) + " threads + the sender)");
        members_ = open_connections(url, opt.room - 1, opt.concurrency, targets).opened;
        if (open_connections(url, 1, 1, {sender_.get()}).opened != 1) {
            throw std::runtime_error("the sender could not connect");
        }
        ++members_;
        if (members_ != opt.room) {
            log(opt, "warning: only " + std::to_string(members_) + " of " + std::to_string(opt.room) +
                         " members connected");
        }
        sleep_ms(500);
    }

    ~Fanout()
    {
        sender_->stop();
        for (auto& loop : receivers_) {
            loop->stop();
        }
    }

    void warm_up() { sender_->paced(500'000, 20); }

    std::string run(bool flood)
    {
        const char* mode = flood ? "flood" : "paced";
        for_each([](Loop& l) { l.reset(); });
        spread_.reset();
        for_each([flood](Loop& l) { l.track_spread(!flood); });
        const auto cpu0 = cpu_s(opt_.pid);
        const auto own0 = own_cpu_s();
        const auto duration_us = static_cast<std::int64_t>(opt_.duration_s * 1e6);
        const auto sent = flood ? sender_->flood(duration_us, opt_.window) : sender_->paced(duration_us, opt_.rate);
        const auto expected = sent.sent * static_cast<std::uint64_t>(members_);
        const auto drain_end = now_us() + 10'000'000;  // at most this long after the last send
        std::uint64_t delivered = 0;
        for (;;) {
            delivered = 0;
            std::uint64_t closed = 0;
            for_each([&](Loop& l) {
                delivered += l.received();
                for (const auto& [code, n] : l.closes()) {
                    closed += static_cast<std::uint64_t>(n);
                }
            });
            // Members the server cut off will not get the rest: stop once the others have it all.
            if (delivered + closed * sent.sent >= expected || now_us() >= drain_end) {
                break;
            }
            sleep_ms(20);
        }
        const auto cpu1 = cpu_s(opt_.pid);
        const auto own1 = own_cpu_s();
        std::array<std::uint64_t, Histogram::kBuckets> hist{};
        std::map<int, int> closes;
        std::int64_t last_us = 0;
        std::uint64_t other = 0;
        std::string sample;
        for_each([&](Loop& l) {
            l.histogram().add_to(hist);
            for (const auto& [code, n] : l.closes()) {
                closes[code] += n;
            }
            last_us = std::max(last_us, l.last_us());
            other += l.other();
            if (sample.empty()) {
                sample = l.other_sample();
            }
        });
        const double span_s = static_cast<double>(last_us - sent.t0_us) / 1e6;
        const auto p50 = quantile_ms(hist, 0.5);
        const auto p99 = quantile_ms(hist, 0.99);
        const auto max = quantile_ms(hist, 1.0);
        const auto per_s = [&](double n) { return span_s > 0 ? n / span_s : 0.0; };
        std::ostringstream out;
        out << "{\"mode\":\"" << mode << "\",\"members\":" << members_ << ",\"sent\":" << sent.sent
            << ",\"send_s\":" << number(static_cast<double>(sent.last_send_us - sent.t0_us) / 1e6)
            << ",\"expected\":" << expected << ",\"delivered\":" << delivered << ",\"span_s\":" << number(span_s)
            << ",\"delivered_per_s\":" << number(per_s(static_cast<double>(delivered)))
            << ",\"sent_per_s\":" << number(per_s(static_cast<double>(sent.sent)))
            << ",\"offered_per_s\":" << (flood ? "null" : number(opt_.rate * members_))
            << ",\"p50_ms\":" << (p50 ? number(*p50) : "null") << ",\"p99_ms\":" << (p99 ? number(*p99) : "null")
            << ",\"max_ms\":" << (max ? number(*max) : "null") << ",\"server_cpu_s\":" << number(cpu1 - cpu0)
            << ",\"server_cpu_us_per_msg\":"
            << (delivered > 0 ? number((cpu1 - cpu0) / static_cast<double>(delivered) * 1e6) : "null")
            << ",\"client_cpu_s\":" << number(own1 - own0) << ",\"other_frames\":" << other
            << ",\"other_sample\":" << (sample.empty() ? "null" : quote(sample))
            << ",\"closed_by_server\":" << object(closes);
        if (!flood) {
            // Per message: send -> its first member, send -> its last member, and last minus first.
            const auto s = spread_.summary(sent.sent);
            out << ",\"first_p50_ms\":" << number(s.first_p50_ms) << ",\"first_p99_ms\":" << number(s.first_p99_ms)
                << ",\"last_p50_ms\":" << number(s.last_p50_ms) << ",\"last_p99_ms\":" << number(s.last_p99_ms)
                << ",\"spread_p50_ms\":" << number(s.spread_p50_ms)
                << ",\"spread_p99_ms\":" << number(s.spread_p99_ms);
        }
        out << "}";
        if (delivered < expected) {
            log(opt_, std::string("warning: ") + mode + ": " + std::to_string(expected - delivered) + " of " +
                          std::to_string(expected) + " deliveries missing");
        }
        log(opt_, std::string(mode) + ": sent " + std::to_string(sent.sent) + ", delivered " +
                      std::to_string(delivered) + " in " + number(span_s) + "s, p50 " + number(p50.value_or(0)) +
                      " ms, p99 " + number(p99.value_or(0)) + " ms");
        return out.str();
    }

private:
    template <class F>
    void for_each(F f)
    {
        f(*sender_);
        for (auto& loop : receivers_) {
            f(*loop);
        }
    }

    const Options& opt_;
    Spread spread_;
    std::unique_ptr<Loop> sender_;
    std::vector<std::unique_ptr<Loop>> receivers_;
    int members_ = 0;
};

Options
parse_options(int argc, char** argv)
{
    Options opt;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        const std::string value = argv[i + 1];
        if (key == "--name") opt.name = value;
        else if (key == "--pid") opt.pid = std::stoi(value);
        else if (key == "--idle-url") opt.idle_url = value;
        else if (key == "--room-url") opt.room_url = value;
        else if (key == "--conns") opt.conns = std::stoi(value);
        else if (key == "--threads") opt.threads = std::max(1, std::stoi(value));
        else if (key == "--room") opt.room = std::max(2, std::stoi(value));
        else if (key == "--duration") opt.duration_s = std::stod(value);
        else if (key == "--window") opt.window = std::stoi(value);
        else if (key == "--rate") opt.rate = std::stod(value);
        else if (key == "--concurrency") opt.concurrency = std::stoi(value);
        else if (key == "--timeout") opt.timeout_s = std::stoi(value);
        else throw std::runtime_error("unknown option " + key);
    }
    if (opt.pid <= 0 || opt.idle_url.empty() || opt.room_url.empty()) {
        throw std::runtime_error("usage: ws_load --name N --pid PID --idle-url URL --room-url URL [options]");
    }
    return opt;
}

}  // namespace

int
main(int argc, char** argv)
{
    try {
        const auto opt = parse_options(argc, argv);
        const auto idle_url = parse_url(opt.idle_url);
        const auto room_url = parse_url(opt.room_url);
        if (!idle_url || !room_url) {
            throw std::runtime_error("the URLs must be ws://<IPv4 or localhost>:<port>/...");
        }
        // A watchdog: the run is bounded even if a server stops answering.
        std::thread([timeout = opt.timeout_s, name = opt.name] {
            std::this_thread::sleep_for(std::chrono::seconds(timeout));
            std::cerr << "bench[" << name << "]: gave up after " << timeout << "s" << std::endl;
            std::_Exit(2);
        }).detach();
        const auto t0 = now_us();
        const auto idle_json = idle(opt, *idle_url);
        sleep_ms(1000);  // the server notices the closes
        std::string flood_json, paced_json;
        {
            Fanout fanout(opt, *room_url);
            fanout.warm_up();  // not measured: the room works, the code paths are hot
            sleep_ms(500);
            flood_json = fanout.run(true);
            sleep_ms(1000);
            paced_json = fanout.run(false);
        }
        std::cout << "{\"name\":" << quote(opt.name) << ",\"idle\":" << idle_json << ",\"flood\":" << flood_json
                  << ",\"paced\":" << paced_json << ",\"wall_s\":" << number(static_cast<double>(now_us() - t0) / 1e6)
                  << "}" << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "ws_load: " << e.what() << std::endl;
        return 1;
    }
}
