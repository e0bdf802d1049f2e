#pragma once
// Latency histogram of bench/ws's load client: bucket i holds values v (us) with
// floor(log(v + 1) / log(1.01)) == i, i.e. about 1 % resolution; 2,000 buckets reach beyond 400 s.
// One writer (the thread that owns it); the controller reads it between runs, so the counters are
// relaxed atomics, not locked.
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <optional>

namespace bench {

class Histogram {
public:
    static constexpr int kBuckets = 2000;

    void record(std::int64_t us)
    {
        static const double step = std::log(1.01);
        auto i = static_cast<int>(std::log(static_cast<double>(us > 0 ? us : 0) + 1) / step);
        if (i >= kBuckets) {
            i = kBuckets - 1;
        }
        buckets_[i].store(buckets_[i].load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }

    void reset()
    {
        for (auto& b : buckets_) {
            b.store(0, std::memory_order_relaxed);
        }
    }

    void add_to(std::array<std::uint64_t, kBuckets>& into) const
    {
        for (int i = 0; i < kBuckets; ++i) {
            into[i] += buckets_[i].load(std::memory_order_relaxed);
        }
    }

private:
    std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};
};

// The value (ms) at quantile q of merged buckets: the upper edge of the bucket where the count
// crosses q.
inline std::optional<double>
quantile_ms(const std::array<std::uint64_t, Histogram::kBuckets>& buckets, double q)
{
    double total = 0;
    for (auto n : buckets) {
        total += static_cast<double>(n);
    }
    if (total == 0) {
        return std::nullopt;
    }
    const double want = q * total;
    double seen = 0;
    for (int i = 0; i < Histogram::kBuckets; ++i) {
        seen += static_cast<double>(buckets[i]);
        if (seen >= want) {
            return (std::exp((i + 1) * std::log(1.01)) - 1) / 1000;
        }
    }
    return std::nullopt;
}

}  // namespace bench
