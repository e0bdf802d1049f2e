#pragma once
// argon2id password hashing (libsodium), bounded: at most `slots` hashes run at once (each takes
// 64 MiB), `queue` more may wait, and anyone beyond that gets 503 instead of exhausting memory.
#include "core/error.hpp"
#include "core/gate.hpp"

#include <string>
#include <string_view>

namespace bb::users {

class Passwords {
public:
    Passwords(int slots, int queue);
    core::Result<std::string> hash(std::string_view password);
    // Verifies against a hash; with no hash (unknown user) it spends the same time and says no.
    core::Result<bool> verify(std::string_view password, const std::string* stored);

private:
    core::Gate gate_;
    std::string dummy_hash_;
};

}  // namespace bb::users
