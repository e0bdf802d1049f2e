#include "modules/beats/search_rank.hpp"

#include "core/db.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace bb::beats {

std::uint64_t
PhraseCounts::generation() const
{
    std::lock_guard lock(mutex_);
    return generation_;
}

std::optional<std::int64_t>
PhraseCounts::find(const std::string& phrase, std::uint64_t generation) const
{
    std::lock_guard lock(mutex_);
    if (generation != generation_) {
        return std::nullopt;
    }
    auto it = documents_.find(phrase);
    if (it == documents_.end()) {
        return std::nullopt;
    }
    return it->second;
}

void
PhraseCounts::store(const std::string& phrase, std::int64_t documents, std::uint64_t generation)
{
    std::lock_guard lock(mutex_);
    // A commit since the search began may have changed the count: the search's snapshot may
    // predate it, so what it counted is not known to be current.
    if (generation != generation_) {
        return;
    }
    if (documents_.size() >= kMaxPhrases) {
        documents_.clear();
    }
    documents_.emplace(phrase, documents);
}

void
PhraseCounts::changed()
{
    std::lock_guard lock(mutex_);
    ++generation_;
    documents_.clear();
}

namespace {
thread_local const RankScope* current_scope = nullptr;
}  // namespace

RankScope::RankScope(const std::vector<std::string>& p, PhraseCounts& c)
    : phrases(p), counts(c), generation(c.generation())
{
    current_scope = this;
}

RankScope::~RankScope()
{
    current_scope = nullptr;
}

namespace {

// Per query (FTS5's auxiliary data): each phrase's IDF and the table's mean row length.
struct Bm25 {
    std::vector<double> idf;
    std::vector<double> frequency;  // scratch for each row
    double mean_tokens = 0;
};

int
count_row(const Fts5ExtensionApi*, Fts5Context*, void* rows)
{
    ++*static_cast<std::int64_t*>(rows);
    return SQLITE_OK;
}

int
documents_of(const Fts5ExtensionApi* api, Fts5Context* fts, const RankScope* scope, int phrase,
             std::int64_t& documents)
{
    if (scope != nullptr) {
        if (auto found = scope->counts.find(scope->phrases[phrase], scope->generation)) {
            documents = *found;
            return SQLITE_OK;
        }
    }
    documents = 0;
    const int rc = api->xQueryPhrase(fts, phrase, &documents, count_row);
    if (rc == SQLITE_OK && scope != nullptr) {
        scope->counts.store(scope->phrases[phrase], documents, scope->generation);
    }
    return rc;
}

// As FTS5's bm25 (fts5_aux.c), term for term, so the scores are the same numbers.
int
prepare(const Fts5ExtensionApi* api, Fts5Context* fts, Bm25*& out)
{
    out = static_cast<Bm25*>(api->xGetAuxdata(fts, 0));
    if (out != nullptr) {
        return SQLITE_OK;
    }
    auto data = std::make_unique<Bm25>();
    const int phrases = api->xPhraseCount(fts);
    const RankScope* scope = current_scope;
    if (scope != nullptr && static_cast<int>(scope->phrases.size()) != phrases) {
        scope = nullptr;  // not the expression the searcher described: count afresh
    }
    sqlite3_int64 rows = 0;
    sqlite3_int64 tokens = 0;
    int rc = api->xRowCount(fts, &rows);
    if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &tokens);
    if (rc != SQLITE_OK) return rc;
    data->mean_tokens = static_cast<double>(tokens) / static_cast<double>(rows);
    data->idf.resize(phrases);
    data->frequency.resize(phrases);
    for (int i = 0; i < phrases; ++i) {
        std::int64_t hits = 0;
        if ((rc = documents_of(api, fts, scope, i, hits)) != SQLITE_OK) {
            return rc;
        }
        double idf = std::log((rows - hits + 0.5) / (hits + 0.5));
        data->idf[i] = idf <= 0.0 ? 1e-6 : idf;
    }
    out = data.get();
    return api->xSetAuxdata(fts, data.release(), [](void* p) { delete static_cast<Bm25*>(p); });
}

void
catalogue_bm25(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc, sqlite3_value** argv)
{
    constexpr double k1 = 1.2;
    constexpr double b = 0.75;
    Bm25* data = nullptr;
    int rc = prepare(api, fts, data);
    int instances = 0;
    if (rc == SQLITE_OK) {
        std::fill(data->frequency.begin(), data->frequency.end(), 0.0);
        rc = api->xInstCount(fts, &instances);
    }
    for (int i = 0; rc == SQLITE_OK && i < instances; ++i) {
        int phrase = 0, column = 0, offset = 0;
        rc = api->xInst(fts, i, &phrase, &column, &offset);
        if (rc == SQLITE_OK) {
            data->frequency[phrase] += argc > column ? sqlite3_value_double(argv[column]) : 1.0;
        }
    }
    int row_tokens = 0;
    if (rc == SQLITE_OK) {
        rc = api->xColumnSize(fts, -1, &row_tokens);
    }
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    const double d = row_tokens;
    double score = 0.0;
    for (std::size_t i = 0; i < data->idf.size(); ++i) {
        const double f = data->frequency[i];
        score += data->idf[i] * ((f * (k1 + 1.0)) / (f + k1 * (1 - b + b * d / data->mean_tokens)));
    }
    sqlite3_result_double(ctx, -1.0 * score);
}

fts5_api*
fts5_of(sqlite3* db)
{
    fts5_api* api = nullptr;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) == SQLITE_OK) {
        sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
        sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    return api;
}

}  // namespace

void
register_rank_function(core::Db& db)
{
    db.on_each_reader([](core::Conn& conn) {
        sqlite3* handle = conn.raw().getHandle();
        fts5_api* api = fts5_of(handle);
        if (api == nullptr || api->xCreateFunction(api, "catalogue_bm25", nullptr, catalogue_bm25, nullptr) != SQLITE_OK) {
            throw std::runtime_error("FTS5 is not available to register catalogue_bm25");
        }
    });
}

}  // namespace bb::beats
