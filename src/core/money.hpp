#pragma once
// Money arithmetic in whole cents (int64), shared by pricing and the ledger so both round the same.
#include <cstdint>
#include <vector>

namespace bb::core::money {

// value x basis_points / 10000, rounded half up to the cent, without overflow for any amount
// (10000 basis points = 100 %).
std::int64_t share_of(std::int64_t value, std::int64_t basis_points);

// Splits `amount` over `weights` in proportion, largest remainder first (ties to the earlier one):
// the parts add up to `amount` exactly, and none exceeds its weight when amount <= sum(weights).
std::vector<std::int64_t> spread(std::int64_t amount, const std::vector<std::int64_t>& weights);

}  // namespace bb::core::money
