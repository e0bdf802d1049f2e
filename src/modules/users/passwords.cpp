#include "modules/users/passwords.hpp"

#include "core/crypto.hpp"

#include <sodium.h>

namespace bb::users {
namespace {

core::Error
busy()
{
    return core::unavailable("too many logins at once; try again in a moment", 1);
}

std::string
argon2id(std::string_view password)
{
    char out[crypto_pwhash_argon2id_STRBYTES];
    if (crypto_pwhash_argon2id_str(out, password.data(), password.size(), crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                                   crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != 0) {
        throw std::runtime_error("out of memory while hashing a password");
    }
    return out;
}

}  // namespace

Passwords::Passwords(int slots, int queue) : gate_(slots, queue), dummy_hash_(argon2id(core::crypto::hex(core::crypto::random_bytes(16)))) {}

core::Result<std::string>
Passwords::hash(std::string_view password)
{
    auto pass = gate_.enter();
    if (!pass) {
        return busy();
    }
    return argon2id(password);
}

core::Result<bool>
Passwords::verify(std::string_view password, const std::string* stored)
{
    auto pass = gate_.enter();
    if (!pass) {
        return busy();
    }
    const std::string& against = stored != nullptr && !stored->empty() ? *stored : dummy_hash_;
    const bool ok = crypto_pwhash_argon2id_str_verify(against.c_str(), password.data(), password.size()) == 0;
    return ok && stored != nullptr && !stored->empty();
}

}  // namespace bb::users
