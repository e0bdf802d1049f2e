#include "modules/beats/search_index.hpp"

#include "core/db.hpp"

namespace bb::beats {

bool
merge_search_index(core::Db& db, int pages)
{
    return db.write([&](core::Tx& tx) {
        auto total = [&] {
            auto q = tx.query("SELECT total_changes()");
            q.step();
            return q.int64(0);
        };
        const auto before = total();
        // A negative count merges every segment, not only full levels (FTS5's 'merge' command).
        tx.query("INSERT INTO beats_search (beats_search, rank) VALUES ('merge', ?)").bind(-pages).exec();
        // FTS5's own test for "did anything": a merge writes at least two rows.
        return total() - before >= 2;
    });
}

}  // namespace bb::beats
