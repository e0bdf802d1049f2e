#include "core/string_cache.hpp"

#include "core/error.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace {

using Value = bb::core::Result<std::shared_ptr<const std::string>>;

}  // namespace

TEST_CASE("a made value is kept and served until it is dropped")
{
    bb::core::StringCache cache;
    int made = 0;
    auto make = [&]() -> Value { return std::make_shared<const std::string>("v" + std::to_string(++made)); };
    CHECK(**cache.get_or_make("a", make) == "v1");
    CHECK(**cache.get_or_make("a", make) == "v1");
    cache.drop("a");
    CHECK(**cache.get_or_make("a", make) == "v2");
    CHECK(made == 2);
}

TEST_CASE("a value made while a write dropped it is returned but not kept")
{
    bb::core::StringCache cache;
    int made = 0;
    // The first read sees the old row; the writer commits and drops before the read stores it.
    auto raced = [&]() -> Value {
        ++made;
        cache.drop("beat");
        return std::make_shared<const std::string>("processing");
    };
    CHECK(**cache.get_or_make("beat", raced) == "processing");
    auto fresh = [&]() -> Value {
        ++made;
        return std::make_shared<const std::string>("ready");
    };
    CHECK(**cache.get_or_make("beat", fresh) == "ready");
    CHECK(**cache.get_or_make("beat", fresh) == "ready");
    CHECK(made == 2);
}

TEST_CASE("an error is returned and nothing is kept")
{
    bb::core::StringCache cache;
    int made = 0;
    auto missing = [&]() -> Value {
        ++made;
        return bb::core::not_found("beat");
    };
    CHECK_FALSE(cache.get_or_make("x", missing).has_value());
    CHECK_FALSE(cache.get_or_make("x", missing).has_value());
    CHECK(made == 2);
}

TEST_CASE("a drop of another id does not stop a value being kept")
{
    bb::core::StringCache cache;
    int made = 0;
    auto make = [&]() -> Value {
        ++made;
        cache.drop("other");  // a play counted on another beat meanwhile
        return std::make_shared<const std::string>("mine");
    };
    CHECK(**cache.get_or_make("beat", make) == "mine");
    CHECK(**cache.get_or_make("beat", make) == "mine");
    CHECK(made == 1);
}
