#include "modules/users/service.hpp"

#include <doctest/doctest.h>

#include <string>

using bb::users::check_email;
using bb::users::check_password;
using bb::users::check_username;

TEST_SUITE("modules/users/validation") {

TEST_CASE("check_username: 3 to 32 of letters, digits, '_', '.', '-'") {
    for (const char* ok : {"abc", "Ada_Lovelace", "dj.shadow", "a-b-c", "123", "___", "x2.y_z-9",
                           "abcdefghijklmnopqrstuvwxyz012345"}) {
        CAPTURE(ok);
        CHECK(check_username(ok) == "");
    }
    CHECK(check_username("ab") == "must be 3 to 32 characters");
    CHECK(check_username("") == "must be 3 to 32 characters");
    CHECK(check_username(std::string(33, 'a')) == "must be 3 to 32 characters");
    CHECK(check_username(std::string(32, 'a')) == "");
    for (const char* bad : {"has space", "semi;colon", "slash/name", "at@name", "emoji\xF0\x9F\x8E\xB5", "caf\xC3\xA9",
                            "tab\tname", "quote'name", "percent%20"}) {
        CAPTURE(bad);
        CHECK(check_username(bad) == "may contain only letters, digits, '_', '.' and '-'");
    }
    CHECK(check_username(std::string("nul\0byte", 8)) != "");
}

TEST_CASE("check_email: one '@', a dot in the domain, no spaces") {
    for (const char* ok : {"a@b.co", "ada.lovelace+beats@example.com", "x@sub.domain.org", "UPPER@EXAMPLE.COM"}) {
        CAPTURE(ok);
        CHECK(check_email(ok) == "");
    }
    for (const char* bad : {"", "plain", "@example.com", "a@", "a@b", "a@.com", "a@b.", "a@@b.com", "a@b@c.com",
                            "a b@c.com", "a@b.com ", " a@b.com", "a@b.com\n", "a@b\t.com"}) {
        CAPTURE(bad);
        CHECK(check_email(bad) == "must be an email address");
    }
    // 254 characters at most.
    const std::string domain = "@example.com";
    CHECK(check_email(std::string(254 - domain.size(), 'a') + domain) == "");
    CHECK(check_email(std::string(255 - domain.size(), 'a') + domain) == "must be an email address");
}

TEST_CASE("check_password: 8 to 128 characters, counted as characters not bytes") {
    CHECK(check_password("12345678") == "");
    CHECK(check_password("1234567") == "must be 8 to 128 characters");
    CHECK(check_password("") == "must be 8 to 128 characters");
    CHECK(check_password(std::string(128, 'p')) == "");
    CHECK(check_password(std::string(129, 'p')) == "must be 8 to 128 characters");
    // Spaces are allowed: passphrases.
    CHECK(check_password("correct horse battery staple") == "");
    // Four two-byte characters are 8 bytes but only 4 characters.
    CHECK(check_password("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9") == "must be 8 to 128 characters");
    // 128 two-byte characters are 256 bytes and allowed.
    std::string accents;
    for (int i = 0; i < 128; ++i) {
        accents += "\xC3\xA9";
    }
    CHECK(check_password(accents) == "");
    // 8 emoji (4 bytes each) are 8 characters.
    std::string notes;
    for (int i = 0; i < 8; ++i) {
        notes += "\xF0\x9F\x8E\xB5";
    }
    CHECK(check_password(notes) == "");
}

}  // TEST_SUITE
