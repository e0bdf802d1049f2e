// The search cache keeps an answer across catalogue changes only when the changed beats cannot
// be in it: words as FTS5 would match them (whole words, the last as a prefix), ASCII exactly,
// anything else assumed to match.
#include "modules/beats/search_cache.hpp"
#include "modules/beats/search_terms.hpp"

#include <doctest/doctest.h>

#include <initializer_list>

namespace {

using bb::beats::IndexedWords;
using bb::beats::SearchCache;
using bb::beats::search_terms;

IndexedWords
indexed(std::initializer_list<const char*> texts)
{
    IndexedWords words;
    for (const char* t : texts) {
        words.add(t);
    }
    words.finish();
    return words;
}

std::shared_ptr<const std::string>
answer(const char* text)
{
    return std::make_shared<const std::string>(text);
}

}  // namespace

TEST_CASE("search words split and fold as the index does for ASCII")
{
    const auto beat = indexed({"Night Drive 808", "DJ Lo-Fi", "trap, dark"});
    CHECK(may_match(search_terms("night"), beat));
    CHECK(may_match(search_terms("NIGHT dri"), beat));    // the last word is a prefix
    CHECK_FALSE(may_match(search_terms("nig drive"), beat));  // the others are whole words
    CHECK(may_match(search_terms("lo fi"), beat));
    CHECK(may_match(search_terms("80"), beat));
    CHECK_FALSE(may_match(search_terms("day"), beat));
    CHECK_FALSE(may_match(search_terms("trap day"), beat));
    CHECK(may_match(search_terms(""), beat));  // browsing: any listed beat may change it
}

TEST_CASE("search words outside ASCII are assumed to match")
{
    CHECK(may_match(search_terms("café"), indexed({"cafe"})));
    CHECK(may_match(search_terms("cafe"), indexed({"Café"})));
    CHECK(may_match(search_terms("zzz"), indexed({"Noël"})));
}

TEST_CASE("search cache keeps answers a change cannot touch and drops those it can")
{
    SearchCache cache;
    int computed = 0;
    auto compute = [&] {
        ++computed;
        return answer("page");
    };
    cache.get_or_compute("trap", search_terms("trap"), compute);
    cache.get_or_compute("night", search_terms("night"), compute);
    cache.get_or_compute("browse", search_terms(""), compute);
    REQUIRE(computed == 3);

    cache.changed(indexed({"Night Drive", "producer 7"}));
    CHECK(cache.peek("trap") != nullptr);
    CHECK(cache.peek("night") == nullptr);
    CHECK(cache.peek("browse") == nullptr);

    cache.get_or_compute("trap", search_terms("trap"), compute);
    CHECK(computed == 3);
    cache.get_or_compute("night", search_terms("night"), compute);
    CHECK(computed == 4);
}

TEST_CASE("search cache drops answers older than the changes it remembers")
{
    SearchCache cache;
    cache.get_or_compute("trap", search_terms("trap"), [] { return answer("page"); });
    for (int i = 0; i < 600; ++i) {
        cache.changed(indexed({"unrelated"}));
    }
    CHECK(cache.peek("trap") == nullptr);
}
