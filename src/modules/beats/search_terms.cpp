#include "modules/beats/search_terms.hpp"

#include <algorithm>

namespace bb::beats {
namespace {

bool
word_byte(unsigned char c)
{
    return std::isalnum(c) || c >= 0x80;
}

bool
ascii(std::string_view s)
{
    return std::none_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x80; });
}

std::string
lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

}  // namespace

std::vector<std::string>
search_words(std::string_view q)
{
    std::vector<std::string> words;
    std::string word;
    for (unsigned char c : q) {
        if (word_byte(c)) {
            word.push_back(static_cast<char>(c));
        } else if (!word.empty()) {
            words.push_back(std::move(word));
            word.clear();
        }
    }
    if (!word.empty()) {
        words.push_back(std::move(word));
    }
    return words;
}

SearchTerms
search_terms(std::string_view q)
{
    SearchTerms terms;
    auto words = search_words(q);
    words.resize(std::min(words.size(), kMaxSearchWords));  // what MATCH is given
    for (auto& word : words) {
        terms.exact = terms.exact && ascii(word);
        terms.words.push_back(lower(word));
    }
    return terms;
}

void
IndexedWords::add(std::string_view text)
{
    exact = exact && ascii(text);
    std::size_t start = 0;
    while (start < text.size()) {
        while (start < text.size() && !word_byte(static_cast<unsigned char>(text[start]))) {
            ++start;
        }
        std::size_t end = start;
        while (end < text.size() && word_byte(static_cast<unsigned char>(text[end]))) {
            ++end;
        }
        if (end > start) {
            words.push_back(lower(text.substr(start, end - start)));
        }
        start = end;
    }
}

void
IndexedWords::finish()
{
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
}

bool
may_match(const SearchTerms& terms, const IndexedWords& indexed)
{
    if (terms.words.empty() || !terms.exact || !indexed.exact) {
        return true;
    }
    // Every word but the last whole; the last as a prefix (a prefix also covers a whole word, so
    // the 12-word cut, where FTS5 gets no prefix, is still covered).
    for (std::size_t i = 0; i + 1 < terms.words.size(); ++i) {
        if (!std::binary_search(indexed.words.begin(), indexed.words.end(), terms.words[i])) {
            return false;
        }
    }
    const std::string& last = terms.words.back();
    auto it = std::lower_bound(indexed.words.begin(), indexed.words.end(), last);
    return it != indexed.words.end() && it->compare(0, last.size(), last) == 0;
}

}  // namespace bb::beats
