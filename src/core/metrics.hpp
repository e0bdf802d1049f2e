#pragma once
// Prometheus metrics. Counters and histograms are registered once (by name and labels) and then
// updated lock-free; /metrics renders them in the text exposition format.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bb::core {

class Counter {
public:
    void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class Histogram {
public:
    static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
    void observe(double seconds);
    void render(std::string& out, const std::string& name, const std::string& labels) const;

private:
    std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_us_{0};
};

class Metrics {
public:
    // labels is the rendered label set without braces, e.g. method="GET",route="/healthz".
    Counter& counter(const std::string& name, const std::string& help, const std::string& labels = "");
    Histogram& histogram(const std::string& name, const std::string& help, const std::string& labels = "");
    // A value read when /metrics is scraped (queue depths, open connections).
    void gauge(const std::string& name, const std::string& help, std::function<double()> read);
    std::string render() const;

private:
    struct Family {
        std::string help;
        std::string type;
        std::map<std::string, std::unique_ptr<Counter>> counters;
        std::map<std::string, std::unique_ptr<Histogram>> histograms;
        std::function<double()> gauge;
    };
    mutable std::mutex mutex_;
    std::map<std::string, Family> families_;
};

}  // namespace bb::core
