#include "core/audit.hpp"

#include "core/clock.hpp"
#include "core/cursor.hpp"
#include "core/ids.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace bb::core {

void
record_audit(Tx& tx, const AuditEntry& e)
{
    tx.query("INSERT INTO core_audit (id, actor_id, action, target_type, target_id, reason, details, created_ms) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(new_id(), e.actor_id, e.action, e.target_type, e.target_id, e.reason, boost::json::serialize(e.details),
              clock::now_ms())
        .exec();
}

Result<boost::json::object>
audit_page(Db& db, std::string_view secret, int limit, const std::optional<std::string>& cursor,
           const std::optional<std::string>& action)
{
    auto before = page_before(cursor, secret);
    if (!before) {
        return before.error();
    }
    boost::json::array entries;
    db.read([&](Conn& conn) {
        auto q = conn.query("SELECT id, actor_id, action, target_type, target_id, reason, details, created_ms "
                            "FROM core_audit WHERE id < ?1 AND (?2 IS NULL OR action = ?2) ORDER BY id DESC LIMIT ?3");
        q.bind(*before, action, limit + 1);
        while (q.step()) {
            entries.push_back({{"audit_id", q.text(0)},
                               {"actor_id", q.text(1)},
                               {"action", q.text(2)},
                               {"target_type", q.text(3)},
                               {"target_id", q.text(4)},
                               {"reason", q.text(5)},
                               {"details", boost::json::parse(q.text(6))},
                               {"created_at", clock::rfc3339(q.int64(7))}});
        }
    });
    boost::json::value next = nullptr;
    if (static_cast<int>(entries.size()) > limit) {
        entries.pop_back();
        next = next_page_before(std::string(entries.back().as_object().at("audit_id").as_string()), secret);
    }
    return boost::json::object{{"entries", std::move(entries)}, {"next_cursor", next}};
}

}  // namespace bb::core
