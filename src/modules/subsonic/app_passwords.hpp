#pragma once
// Subsonic app passwords: generated secrets a user types into a music player instead of their
// account password. The Subsonic token scheme (t = md5(password + salt)) needs the server to
// know the password itself, so each is kept sealed (libsodium secretbox, with a key derived from
// the server secret) and opened only to check a token. The account password is never involved.
// A keyed hash of each finds it by value, for plain passwords and OpenSubsonic API keys.
#include "core/db.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bb::subsonic {

struct AppPassword {
    std::string id;
    std::string user_id;
    std::string name;
    std::int64_t created_ms = 0;
    std::optional<std::int64_t> last_used_ms;
};

class AppPasswords {
public:
    AppPasswords(core::Db& db, const std::string& server_secret);

    struct Created {
        AppPassword info;
        std::string password;  // shown once, at creation
    };
    core::Result<Created> create(const std::string& user_id, const std::string& name);
    std::vector<AppPassword> list(const std::string& user_id) const;
    core::Result<void> revoke(const std::string& user_id, const std::string& id);
    void remove_all(core::Tx& tx, const std::string& user_id);

    // The app password (or API key) with this value, whoever owns it.
    std::optional<AppPassword> find_by_value(std::string_view password) const;
    // The user's app password whose md5(password + salt) is `token` (hex, any case).
    std::optional<AppPassword> find_by_token(const std::string& user_id, std::string_view token,
                                             std::string_view salt) const;
    bool any(const std::string& user_id) const;
    // Notes a use; written at most every few minutes per password.
    void used(const AppPassword& password);

private:
    std::string lookup(std::string_view password) const;

    core::Db& db_;
    std::string seal_key_;    // secretbox key
    std::string lookup_key_;  // HMAC key for find_by_value
    std::mutex used_mutex_;
    std::unordered_map<std::string, std::int64_t> last_written_;
};

}  // namespace bb::subsonic
