#include "modules/subsonic/app_passwords.hpp"

#include "core/crypto.hpp"

#include "../../support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>

namespace {

std::string
md5_hex(const std::string& text)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
    return bb::core::crypto::hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

struct Fixture {
    bb::test::TempDir dir;
    std::unique_ptr<bb::core::Db> db = bb::test::open_migrated_db(dir.file("subsonic.db"));
    std::string secret = std::string(64, 'k');
    bb::subsonic::AppPasswords passwords{*db, secret};

    std::vector<std::string> stored_columns()
    {
        std::vector<std::string> out;
        db->read([&](bb::core::Conn& conn) {
            auto q = conn.query("SELECT sealed, lookup FROM subsonic_app_passwords");
            while (q.step()) {
                out.push_back(q.text(0));
                out.push_back(q.text(1));
            }
        });
        return out;
    }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "an app password is found by value and by Subsonic token, and is never stored as such")
{
    auto made = passwords.create("user-1", "DSub");
    REQUIRE(made.has_value());
    const std::string& pw = made->password;
    CHECK(pw.size() == 24);
    for (const auto& column : stored_columns()) {
        CHECK(column.find(pw) == std::string::npos);
    }
    auto by_value = passwords.find_by_value(pw);
    REQUIRE(by_value);
    CHECK(by_value->user_id == "user-1");
    CHECK_FALSE(passwords.find_by_value(pw + "x"));

    auto by_token = passwords.find_by_token("user-1", md5_hex(pw + "s4lt"), "s4lt");
    REQUIRE(by_token);
    CHECK(by_token->id == made->info.id);
    CHECK_FALSE(passwords.find_by_token("user-1", bb::core::crypto::hex(std::string(16, '\0')), "s4lt").has_value());
    CHECK_FALSE(passwords.find_by_token("user-2", md5_hex(pw + "s4lt"), "s4lt"));
    // Upper-case hex is the same token.
    std::string upper = md5_hex(pw + "s4lt");
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    CHECK(passwords.find_by_token("user-1", upper, "s4lt"));
}

TEST_CASE_FIXTURE(Fixture, "another server secret cannot open or find them; revoking removes one")
{
    auto made = passwords.create("user-1", "Car");
    REQUIRE(made.has_value());
    bb::subsonic::AppPasswords elsewhere(*db, std::string(64, 'z'));
    CHECK_FALSE(elsewhere.find_by_value(made->password));
    CHECK_FALSE(elsewhere.find_by_token("user-1", md5_hex(made->password + "s"), "s"));
    CHECK(passwords.any("user-1"));
    CHECK_FALSE(passwords.revoke("user-2", made->info.id).has_value());
    CHECK(passwords.revoke("user-1", made->info.id).has_value());
    CHECK_FALSE(passwords.find_by_value(made->password));
    CHECK_FALSE(passwords.any("user-1"));
    CHECK(passwords.list("user-1").empty());
}

TEST_CASE_FIXTURE(Fixture, "names are required and a user keeps at most 20")
{
    CHECK_FALSE(passwords.create("user-1", "").has_value());
    for (int i = 0; i < 20; ++i) {
        REQUIRE(passwords.create("user-1", "p" + std::to_string(i)).has_value());
    }
    auto refused = passwords.create("user-1", "one more");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().slug == "too_many_app_passwords");
    CHECK(passwords.list("user-1").size() == 20);
}
