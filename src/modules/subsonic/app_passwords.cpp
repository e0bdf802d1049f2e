#include "modules/subsonic/app_passwords.hpp"

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/ids.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>

namespace bb::subsonic {
namespace {

constexpr int kMaxPerUser = 20;
constexpr std::int64_t kUsedEveryMs = 10 * 60 * 1000;
// Typed on a phone or a TV remote: lowercase letters and digits without look-alikes, 5 groups of
// 4 (100 bits).
constexpr std::string_view kAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";
constexpr int kGroups = 5;
constexpr int kGroupLength = 4;

constexpr const char* kSelect =
    "SELECT id, user_id, name, created_ms, last_used_ms FROM subsonic_app_passwords";

AppPassword
read_row(core::Query& q)
{
    AppPassword p{q.text(0), q.text(1), q.text(2), q.int64(3), std::nullopt};
    if (!q.is_null(4)) {
        p.last_used_ms = q.int64(4);
    }
    return p;
}

// A subkey of the server secret for one purpose (BLAKE2b of the purpose and the secret).
std::string
derive_key(const std::string& secret, std::string_view purpose)
{
    const std::string input = std::string(purpose) + '\0' + secret;
    std::string key(crypto_secretbox_KEYBYTES, '\0');
    crypto_generichash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size(), nullptr, 0);
    return key;
}

std::string
generate_password()
{
    const std::string random = core::crypto::random_bytes(kGroups * kGroupLength);
    std::string out;
    for (int i = 0; i < kGroups * kGroupLength; ++i) {
        if (i > 0 && i % kGroupLength == 0) {
            out += '-';
        }
        // 256 is not a multiple of the alphabet's size; the bias (under 1%) costs no real strength.
        out += kAlphabet[static_cast<unsigned char>(random[i]) % kAlphabet.size()];
    }
    return out;
}

std::string
seal(const std::string& key, const std::string& plain)
{
    std::string nonce = core::crypto::random_bytes(crypto_secretbox_NONCEBYTES);
    std::string box(crypto_secretbox_MACBYTES + plain.size(), '\0');
    crypto_secretbox_easy(reinterpret_cast<unsigned char*>(box.data()), reinterpret_cast<const unsigned char*>(plain.data()),
                          plain.size(), reinterpret_cast<const unsigned char*>(nonce.data()),
                          reinterpret_cast<const unsigned char*>(key.data()));
    return core::crypto::base64url(nonce + box);
}

std::optional<std::string>
open(const std::string& key, const std::string& sealed)
{
    std::string raw;
    if (!core::crypto::base64url_decode(sealed, raw) || raw.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        return std::nullopt;
    }
    const auto* nonce = reinterpret_cast<const unsigned char*>(raw.data());
    const auto* box = nonce + crypto_secretbox_NONCEBYTES;
    const std::size_t box_size = raw.size() - crypto_secretbox_NONCEBYTES;
    std::string plain(box_size - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), box, box_size, nonce,
                                   reinterpret_cast<const unsigned char*>(key.data())) != 0) {
        return std::nullopt;
    }
    return plain;
}

std::string
md5_hex(std::string_view data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
    return core::crypto::hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

AppPasswords::AppPasswords(core::Db& db, const std::string& server_secret)
    : db_(db),
      seal_key_(derive_key(server_secret, "backbeat subsonic app passwords: seal")),
      lookup_key_(derive_key(server_secret, "backbeat subsonic app passwords: lookup"))
{
}

std::string
AppPasswords::lookup(std::string_view password) const
{
    return core::crypto::hex(core::crypto::hmac_sha256(lookup_key_, password));
}

core::Result<AppPasswords::Created>
AppPasswords::create(const std::string& user_id, const std::string& name)
{
    if (name.empty() || name.size() > 100) {
        return core::invalid_field("name", "must be 1 to 100 characters");
    }
    Created made{{core::new_id(), user_id, name, core::clock::now_ms(), std::nullopt}, generate_password()};
    auto done = db_.write([&](core::Tx& tx) -> core::Result<void> {
        auto count = tx.query("SELECT CAST(COUNT(*) AS INTEGER) FROM subsonic_app_passwords WHERE user_id = ?");
        count.bind(user_id);
        if (count.step() && count.int64(0) >= kMaxPerUser) {
            return core::conflict("too_many_app_passwords",
                                  "a user may keep at most 20 app passwords: revoke one first");
        }
        tx.query("INSERT INTO subsonic_app_passwords (id, user_id, name, sealed, lookup, created_ms) "
                 "VALUES (?, ?, ?, ?, ?, ?)")
            .bind(made.info.id, user_id, name, seal(seal_key_, made.password), lookup(made.password),
                  made.info.created_ms)
            .exec();
        return {};
    });
    if (!done) {
        return done.error();
    }
    return made;
}

std::vector<AppPassword>
AppPasswords::list(const std::string& user_id) const
{
    std::vector<AppPassword> out;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(std::string(kSelect) + " WHERE user_id = ? ORDER BY id");
        q.bind(user_id);
        while (q.step()) {
            out.push_back(read_row(q));
        }
    });
    return out;
}

core::Result<void>
AppPasswords::revoke(const std::string& user_id, const std::string& id)
{
    const int removed = db_.write([&](core::Tx& tx) {
        return tx.query("DELETE FROM subsonic_app_passwords WHERE id = ? AND user_id = ?").bind(id, user_id).exec();
    });
    if (removed == 0) {
        return core::not_found("app password");
    }
    return {};
}

void
AppPasswords::remove_all(core::Tx& tx, const std::string& user_id)
{
    tx.query("DELETE FROM subsonic_app_passwords WHERE user_id = ?").bind(user_id).exec();
}

std::optional<AppPassword>
AppPasswords::find_by_value(std::string_view password) const
{
    std::optional<AppPassword> found;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(std::string(kSelect) + " WHERE lookup = ?");
        q.bind(lookup(password));
        if (q.step()) {
            found = read_row(q);
        }
    });
    return found;
}

std::optional<AppPassword>
AppPasswords::find_by_token(const std::string& user_id, std::string_view token, std::string_view salt) const
{
    std::vector<std::pair<AppPassword, std::string>> sealed;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT id, user_id, name, created_ms, last_used_ms, sealed FROM subsonic_app_passwords "
                            "WHERE user_id = ?");
        q.bind(user_id);
        while (q.step()) {
            sealed.emplace_back(read_row(q), q.text(5));
        }
    });
    std::string wanted(token);
    std::transform(wanted.begin(), wanted.end(), wanted.begin(), [](unsigned char c) { return std::tolower(c); });
    std::optional<AppPassword> found;
    for (auto& [info, box] : sealed) {
        auto plain = open(seal_key_, box);
        // Every candidate is checked, so the time taken does not say which one matched.
        if (plain && core::crypto::equal_constant_time(md5_hex(*plain + std::string(salt)), wanted) && !found) {
            found = std::move(info);
        }
    }
    return found;
}

bool
AppPasswords::any(const std::string& user_id) const
{
    bool any = false;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query("SELECT 1 FROM subsonic_app_passwords WHERE user_id = ? LIMIT 1");
        q.bind(user_id);
        any = q.step();
    });
    return any;
}

void
AppPasswords::used(const AppPassword& password)
{
    const auto now = core::clock::now_ms();
    {
        std::lock_guard lock(used_mutex_);
        auto& last = last_written_[password.id];
        const std::int64_t known = std::max(last, password.last_used_ms.value_or(0));
        if (now - known < kUsedEveryMs) {
            return;
        }
        last = now;
    }
    db_.write_async(
        [id = password.id, now](core::Tx& tx) -> core::Result<void> {
            tx.query("UPDATE subsonic_app_passwords SET last_used_ms = ? WHERE id = ?").bind(now, id).exec();
            return {};
        },
        [](const core::Result<void>&) {});
}

}  // namespace bb::subsonic
