// A producer's own list for the studio: every beat they have not deleted, whatever its state
// (processing, failed and sold ones too, which the store's search never shows), newest first.
#include "core/cursor.hpp"
#include "modules/beats/service.hpp"

namespace bb::beats {

core::Result<SearchPage>
Service::list_own(const std::string& producer_id, int limit, const std::optional<std::string>& cursor) const
{
    auto before = core::page_before(cursor, secret_);
    if (!before) {
        return before.error();
    }
    SearchPage page;
    db_.read([&](core::Conn& conn) {
        auto q = conn.query(std::string("SELECT ") + kBeatColumns +
                            " FROM beats_beats WHERE producer_id = ? AND status != 'deleted' AND id < ? "
                            "ORDER BY id DESC LIMIT ?");
        q.bind(producer_id, *before, limit + 1);
        while (q.step()) {
            page.beats.push_back(read_beat(q));
        }
    });
    if (static_cast<int>(page.beats.size()) > limit) {
        page.beats.pop_back();
        page.next_cursor = core::next_page_before(page.beats.back().id, secret_);
    }
    return page;
}

}  // namespace bb::beats
