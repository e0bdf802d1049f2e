#include "core/metrics.hpp"

#include <fmt/format.h>

namespace bb::core {

void
Histogram::observe(double seconds)
{
    std::size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) {
        ++i;
    }
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void
Histogram::render(std::string& out, const std::string& name, const std::string& labels) const
{
    const std::string sep = labels.empty() ? "" : ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, kBounds[i], cumulative);
    }
    cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
    const std::string braces = labels.empty() ? "" : "{" + labels + "}";
    out += fmt::format("{}_sum{} {}\n", name, braces, static_cast<double>(sum_us_.load()) / 1e6);
    out += fmt::format("{}_count{} {}\n", name, braces, count_.load());
}

Counter&
Metrics::counter(const std::string& name, const std::string& help, const std::string& labels)
{
    std::lock_guard lock(mutex_);
    auto& family = families_[name];
    family.help = help;
    family.type = "counter";
    auto& slot = family.counters[labels];
    if (!slot) {
        slot = std::make_unique<Counter>();
    }
    return *slot;
}

Histogram&
Metrics::histogram(const std::string& name, const std::string& help, const std::string& labels)
{
    std::lock_guard lock(mutex_);
    auto& family = families_[name];
    family.help = help;
    family.type = "histogram";
    auto& slot = family.histograms[labels];
    if (!slot) {
        slot = std::make_unique<Histogram>();
    }
    return *slot;
}

void
Metrics::gauge(const std::string& name, const std::string& help, std::function<double()> read)
{
    std::lock_guard lock(mutex_);
    auto& family = families_[name];
    family.help = help;
    family.type = "gauge";
    family.gauge = std::move(read);
}

std::string
Metrics::render() const
{
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, family] : families_) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, family.help, name, family.type);
        for (const auto& [labels, counter] : family.counters) {
            out += labels.empty() ? fmt::format("{} {}\n", name, counter->value())
                                  : fmt::format("{}{{{}}} {}\n", name, labels, counter->value());
        }
        for (const auto& [labels, histogram] : family.histograms) {
            histogram->render(out, name, labels);
        }
        if (family.gauge) {
            out += fmt::format("{} {}\n", name, family.gauge());
        }
    }
    return out;
}

}  // namespace bb::core
