#pragma once
// Upkeep of the full-text index. FTS5 adds each write as a small segment and merges them only
// as levels fill, so a grown catalogue is searched across many segments: every word of every
// query is looked up in each. With 100,000 beats in 8 segments a query cost twice what it does
// in one. Merging runs in short steps so other writes wait at most one step.
namespace bb::core {
class Db;
}

namespace bb::beats {

// One step of folding the index into a single segment, writing about `pages` pages. Returns
// false when there was nothing left to merge.
bool merge_search_index(core::Db& db, int pages);

}  // namespace bb::beats
