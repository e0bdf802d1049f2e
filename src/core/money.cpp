#include "core/money.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

namespace bb::core::money {

std::int64_t
share_of(std::int64_t value, std::int64_t basis_points)
{
    // (value * bp + 5000) / 10000, split so value * bp never overflows.
    const std::int64_t whole = value / 10000 * basis_points;
    const std::int64_t rest = value % 10000 * basis_points;
    return whole + (rest + 5000) / 10000;
}

std::vector<std::int64_t>
spread(std::int64_t amount, const std::vector<std::int64_t>& weights)
{
    std::vector<std::int64_t> parts(weights.size(), 0);
    const std::int64_t sum = std::accumulate(weights.begin(), weights.end(), std::int64_t{0});
    if (amount <= 0 || sum <= 0) {
        return parts;
    }
    // Exact shares as quotient + remainder (128-bit: amount and weights may each be large).
    std::vector<std::pair<std::int64_t, std::size_t>> remainders;
    std::int64_t given = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        const __int128 exact = static_cast<__int128>(amount) * weights[i];
        parts[i] = static_cast<std::int64_t>(exact / sum);
        remainders.emplace_back(static_cast<std::int64_t>(exact % sum), i);
        given += parts[i];
    }
    std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t k = 0; given < amount && k < remainders.size(); ++k) {
        ++parts[remainders[k].second];
        ++given;
    }
    return parts;
}

}  // namespace bb::core::money
