#pragma once
// The admin audit log: every action an admin takes on someone else's account or content is
// written in the same transaction as the action itself (so neither exists without the other),
// whichever module carries it out. Admins read it newest first.
#include "core/db.hpp"
#include "core/error.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace bb::core {

struct AuditEntry {
    std::string actor_id;     // the admin
    std::string action;       // "beat.takedown", "user.suspend", "purchase.refund", ...
    std::string target_type;  // "beat", "user", "purchase", "report", ...
    std::string target_id;
    std::string reason;       // as the admin gave it, may be empty
    boost::json::object details;
};

void record_audit(Tx& tx, const AuditEntry& entry);

// {entries: [{audit_id, actor_id, action, target_type, target_id, reason, details, created_at}],
// next_cursor}, newest first; `action` filters by exact action when set.
Result<boost::json::object> audit_page(Db& db, std::string_view secret, int limit,
                                       const std::optional<std::string>& cursor,
                                       const std::optional<std::string>& action);

}  // namespace bb::core
