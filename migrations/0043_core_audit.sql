-- The admin audit log (core/audit.hpp): written by whichever module carries out an admin's action,
-- in that action's transaction.
CREATE TABLE core_audit (
    id TEXT PRIMARY KEY,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}',
    created_ms INTEGER NOT NULL
);
CREATE INDEX core_audit_by_action ON core_audit (action, id);
CREATE INDEX core_audit_by_target ON core_audit (target_type, target_id);
