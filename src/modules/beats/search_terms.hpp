#pragma once
// The words of a search and of a beat's indexed text, so the search cache can tell whether a
// catalogue change could touch a cached answer without asking the database. Exact for ASCII,
// where it splits and folds as FTS5's unicode61 tokenizer does; anything else is assumed to match.
#include <string>
#include <string_view>
#include <vector>

namespace bb::beats {

// Whole words of q as the user typed them: letters, digits and any non-ASCII byte; the rest
// separates. Search uses the first kMaxSearchWords.
inline constexpr std::size_t kMaxSearchWords = 12;
std::vector<std::string> search_words(std::string_view q);

// What a cached answer asked for: every word, the last also as a prefix. No words: browsing,
// which any listed beat can change.
struct SearchTerms {
    std::vector<std::string> words;  // lowercased
    bool exact = true;               // false: a word is not plain ASCII
};
SearchTerms search_terms(std::string_view q);

// The indexed words of the beats one write took out of or put into the search index.
struct IndexedWords {
    std::vector<std::string> words;  // lowercased, sorted, unique
    bool exact = true;               // false: some text is not plain ASCII
    void add(std::string_view text);
    void finish();  // sorts and drops repeats; call once all text is added
};

// False only when no beat with these words can be in the answer for these terms.
bool may_match(const SearchTerms& terms, const IndexedWords& indexed);

}  // namespace bb::beats
