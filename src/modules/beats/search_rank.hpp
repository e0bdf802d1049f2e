#pragma once
// Relevance for catalogue search: FTS5's bm25, computed the same way, except that each query
// phrase's document count (what its IDF is made of) is remembered between searches. FTS5's own
// bm25 counts them again for every query by walking each phrase's whole doclist: for
// "midnight 54321" that is the 8,700 beats with "midnight" at 100,000 beats, about 300 us, three
// times the rest of the search. The counts are forgotten whenever the index changes.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace bb::core {
class Db;
}

namespace bb::beats {

// Documents per phrase ("word" or "prefix"*) for the current state of the index.
class PhraseCounts {
public:
    // Read before a search starts; a count it made is kept only if nothing changed meanwhile.
    std::uint64_t generation() const;
    std::optional<std::int64_t> find(const std::string& phrase, std::uint64_t generation) const;
    void store(const std::string& phrase, std::int64_t documents, std::uint64_t generation);
    // After a commit that put beats into the index or took them out.
    void changed();

private:
    static constexpr std::size_t kMaxPhrases = 100000;
    mutable std::mutex mutex_;
    std::uint64_t generation_ = 0;
    std::unordered_map<std::string, std::int64_t> documents_;
};

// What one search tells its rank function: the phrases of its MATCH expression in order, and
// where their counts are kept. Set on the searching thread while the query steps (SQLite calls
// the function there, inside sqlite3_step); with none set the function is plain bm25.
class RankScope {
public:
    RankScope(const std::vector<std::string>& phrases, PhraseCounts& counts);
    ~RankScope();
    RankScope(const RankScope&) = delete;
    RankScope& operator=(const RankScope&) = delete;

    const std::vector<std::string>& phrases;
    PhraseCounts& counts;
    const std::uint64_t generation;
};

// The SQL to rank by, in place of bm25(beats_search, ...): title 10, artist 5, tags 3, genre 2,
// mood 2.
inline constexpr const char* kRankSql = "catalogue_bm25(beats_search, 10.0, 5.0, 3.0, 2.0, 2.0)";

// Makes catalogue_bm25 known to every read connection (once, at startup).
void register_rank_function(core::Db& db);

}  // namespace bb::beats
