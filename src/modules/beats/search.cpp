// Catalogue search: FTS5 with bm25 ranking for text, indexed filters and keyset (cursor) paging
// for every sort, so page 50 costs what page 1 does.
#include "core/cursor.hpp"
#include "modules/beats/search_rank.hpp"
#include "modules/beats/search_terms.hpp"
#include "modules/beats/service.hpp"

#include <boost/json/serialize.hpp>

#include <map>

namespace bb::beats {
namespace {

// The phrases of the MATCH expression: whole words, the last one also as a prefix (type-ahead).
// Anything that is not a letter or a digit separates words, so no FTS5 syntax from the user
// ever reaches MATCH.
std::vector<std::string>
match_phrases(const std::string& q)
{
    auto words = search_words(q);
    if (words.size() > kMaxSearchWords) {
        words.resize(kMaxSearchWords);
    }
    for (std::size_t i = 0; i < words.size(); ++i) {
        words[i] = "\"" + words[i] + (i + 1 == words.size() ? "\"*" : "\"");
    }
    return words;
}

std::string
match_expression(const std::vector<std::string>& phrases)
{
    std::string out;
    for (const auto& phrase : phrases) {
        out += (out.empty() ? "" : " ") + phrase;
    }
    return out;
}

struct SortSpec {
    const char* order;    // ORDER BY
    const char* after;    // keyset condition: ?9 is the last row's sort value, ?10 its id
    const char* value;    // the column the cursor carries
};

const std::map<std::string, SortSpec> kSorts = {
    {"new", {"b.created_ms DESC, b.id DESC", "(b.created_ms < ?9 OR (b.created_ms = ?9 AND b.id < ?10))", "b.created_ms"}},
    {"popular", {"b.plays DESC, b.id DESC", "(b.plays < ?9 OR (b.plays = ?9 AND b.id < ?10))", "b.plays"}},
    {"price_asc", {"b.price_cents ASC, b.id ASC", "(b.price_cents > ?9 OR (b.price_cents = ?9 AND b.id > ?10))", "b.price_cents"}},
    {"price_desc", {"b.price_cents DESC, b.id DESC", "(b.price_cents < ?9 OR (b.price_cents = ?9 AND b.id < ?10))", "b.price_cents"}},
    {"relevance", {"score ASC", "", "score"}},  // relevance_sql: score, then index row
};

constexpr const char* kColumns =
    "b.id, b.producer_id, b.title, b.artist, b.price_cents, b.currency, b.genre, b.bpm, b.musical_key, b.mood, b.tags, "
    "b.description, b.licenses, b.status, b.failure, b.original_sha256, b.original_ext, b.duration_ms, b.lufs, "
    "b.peaks, b.preview_path, b.plays, b.rating_sum, b.rating_count, b.created_ms, b.updated_ms, b.stems_sha256, b.cover";

// Text ranked by bm25, columns weighted: title 10, artist 5, tags 3, genre 2, mood 2. Ranking
// stays inside the index (rowid and score only, ties by index row) and only the page is joined
// to the catalogue: reading every match's row first made a broad word ("trap": 17,000 matches
// of 100,000) cost 3x more. Only listed beats are indexed (index_for_search), so without
// filters the catalogue is not needed to rank; the outer status test keeps that a promise.
// Named "score", not "rank": FTS5 has a hidden column called rank that WHERE would pick instead.
std::string
relevance_sql(const std::string& filters, bool after)
{
    std::string ranked = std::string("SELECT beats_search.rowid AS fts, ") + kRankSql + " AS score FROM beats_search";
    if (!filters.empty()) {
        ranked += " JOIN beats_beats b ON b.id = beats_search.beat_id";
    }
    ranked += " WHERE beats_search MATCH ?1";
    if (!filters.empty()) {
        ranked += " AND b.status = 'ready'" + filters;
    }
    if (after) {
        ranked += " AND (score > ?9 OR (score = ?9 AND beats_search.rowid > ?10))";
    }
    ranked += " ORDER BY score, fts LIMIT ?11";
    // CROSS JOIN keeps this order (page, then its index rows, then its beats): left to choose,
    // the planner walked every ready beat for each row of the page.
    return std::string("SELECT ") + kColumns + ", r.score, r.fts FROM (" + ranked +
           ") r CROSS JOIN beats_search t ON t.rowid = r.fts CROSS JOIN beats_beats b ON b.id = t.beat_id "
           "WHERE b.status = 'ready' ORDER BY r.score, r.fts";
}

// Browsing, or text in another order: the sort's index or the matches, filtered, in order.
std::string
sorted_sql(const SortSpec& spec, bool browse, const std::string& filters, bool after)
{
    std::string sql = std::string("SELECT ") + kColumns + ", 0.0 AS score FROM ";
    sql += browse ? "beats_beats b WHERE b.status = 'ready'"
                  : "beats_search JOIN beats_beats b ON b.id = beats_search.beat_id WHERE beats_search MATCH ?1 "
                    "AND b.status = 'ready'";
    sql += filters;
    if (after) {
        sql += std::string(" AND ") + spec.after;
    }
    return sql + " ORDER BY " + spec.order + " LIMIT ?11";
}

}  // namespace

core::Result<SearchPage>
Service::search(const SearchQuery& query) const
{
    const std::vector<std::string> phrases = query.q ? match_phrases(*query.q) : std::vector<std::string>{};
    const std::string match = match_expression(phrases);
    std::string sort = query.sort.empty() ? (match.empty() ? "new" : "relevance") : query.sort;
    if (sort == "relevance" && match.empty()) {
        sort = "new";  // nothing to rank by
    }
    const SortSpec& spec = kSorts.at(sort);

    std::optional<std::string> producer_id;
    if (query.producer) {
        auto found = users_.find(*query.producer);
        if (!found) {
            return SearchPage{};  // an unknown producer has no beats
        }
        producer_id = found->user_id;
    }

    std::string filters;
    if (query.genre) filters += " AND b.genre = ?2 COLLATE NOCASE";
    if (query.mood) filters += " AND b.mood = ?3 COLLATE NOCASE";
    if (query.key) filters += " AND b.musical_key = ?4 COLLATE NOCASE";
    if (query.bpm_min) filters += " AND b.bpm >= ?5";
    if (query.bpm_max) filters += " AND b.bpm <= ?6";
    if (query.price_max_cents) filters += " AND b.price_cents <= ?7";
    if (producer_id) filters += " AND b.producer_id = ?8";

    // The cursor carries the last row's sort value and id (for relevance, its index row); it is
    // only good for the same sort.
    const bool relevance = sort == "relevance";
    std::optional<boost::json::object> after;
    if (query.cursor) {
        auto decoded = core::decode_cursor(*query.cursor, secret_);
        if (!decoded || !decoded->contains("s") || decoded->at("s") != sort.c_str() || !decoded->contains("v") ||
            !decoded->contains("id") ||
            (relevance && !(decoded->contains("r") && decoded->at("r").is_int64() &&
                            core::exact_double(decoded->at("v"))))) {
            return core::bad_request("invalid_cursor", "the cursor was not issued by this server for this sort");
        }
        after = std::move(*decoded);
    }
    const std::string sql = relevance ? relevance_sql(filters, after.has_value())
                                      : sorted_sql(spec, match.empty(), filters, after.has_value());

    SearchPage page;
    std::vector<double> ranks;
    std::vector<std::int64_t> index_rows;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(sql);
        const RankScope rank(phrases, phrase_counts_);
        if (!match.empty()) q.bind_at(1, match);
        if (query.genre) q.bind_at(2, *query.genre);
        if (query.mood) q.bind_at(3, *query.mood);
        if (query.key) q.bind_at(4, *query.key);
        if (query.bpm_min) q.bind_at(5, *query.bpm_min);
        if (query.bpm_max) q.bind_at(6, *query.bpm_max);
        if (query.price_max_cents) q.bind_at(7, *query.price_max_cents);
        if (producer_id) q.bind_at(8, *producer_id);
        if (after) {
            const auto& v = after->at("v");
            if (relevance) {
                q.bind_at(9, *core::exact_double(v));
                q.bind_at(10, after->at("r").as_int64());
            } else {
                q.bind_at(9, v.to_number<std::int64_t>());
                q.bind_at(10, std::string(after->at("id").as_string()));
            }
        }
        q.bind_at(11, query.limit + 1);
        while (q.step()) {
            page.beats.push_back(read_beat(q));
            ranks.push_back(q.real(kBeatColumnCount));
            if (relevance) {
                index_rows.push_back(q.int64(kBeatColumnCount + 1));
            }
        }
    });
    if (static_cast<int>(page.beats.size()) > query.limit) {
        page.beats.pop_back();
        const Beat& last = page.beats.back();
        boost::json::object position{{"s", sort}, {"id", last.id}};
        if (relevance) {
            position["v"] = core::exact_double(ranks[page.beats.size() - 1]);
            position["r"] = index_rows[page.beats.size() - 1];
        } else if (sort == "new") {
            position["v"] = last.created_ms;
        } else if (sort == "popular") {
            position["v"] = last.plays;
        } else {
            position["v"] = last.price_cents;
        }
        page.next_cursor = core::encode_cursor(position, secret_);
    }
    return page;
}

namespace {

std::string
cache_key(const SearchQuery& query)
{
    return boost::json::serialize(boost::json::object{
        {"q", query.q ? boost::json::value(match_expression(match_phrases(*query.q))) : nullptr},
        {"genre", query.genre ? boost::json::value(*query.genre) : nullptr},
        {"mood", query.mood ? boost::json::value(*query.mood) : nullptr},
        {"key", query.key ? boost::json::value(*query.key) : nullptr},
        {"bpm_min", query.bpm_min ? boost::json::value(*query.bpm_min) : nullptr},
        {"bpm_max", query.bpm_max ? boost::json::value(*query.bpm_max) : nullptr},
        {"price_max_cents", query.price_max_cents ? boost::json::value(*query.price_max_cents) : nullptr},
        {"producer", query.producer ? boost::json::value(*query.producer) : nullptr},
        {"sort", query.sort},
        {"limit", query.limit},
        {"cursor", query.cursor ? boost::json::value(*query.cursor) : nullptr}});
}

}  // namespace

void
Service::search_changed(const std::optional<IndexedWords>& touched)
{
    if (touched) {
        searches_.changed(*touched);
        phrase_counts_.changed();
    }
}

std::shared_ptr<const std::string>
Service::search_json_cached(const SearchQuery& query)
{
    return searches_.peek(cache_key(query));
}

core::Result<std::shared_ptr<const std::string>>
Service::search_json(const SearchQuery& query)
{
    const std::string key = cache_key(query);
    std::optional<core::Error> failure;
    auto json = searches_.get_or_compute(key, search_terms(query.q.value_or("")), [&]() -> std::shared_ptr<const std::string> {
        auto page = search(query);
        if (!page) {
            failure = page.error();
            return nullptr;
        }
        boost::json::array beats;
        for (const auto& b : page->beats) {
            beats.push_back(beat_json(b));
        }
        return std::make_shared<const std::string>(boost::json::serialize(boost::json::object{
            {"beats", std::move(beats)},
            {"next_cursor", page->next_cursor ? boost::json::value(*page->next_cursor) : boost::json::value(nullptr)}}));
    });
    if (!json) {
        return failure.value_or(core::internal("search failed"));
    }
    return json;
}

}  // namespace bb::beats
