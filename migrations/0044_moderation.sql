-- Reports of beats and users, and account suspensions. Reports are owned by the moderation
-- module; the suspension columns belong to the users module's accounts.
CREATE TABLE moderation_reports (
    id TEXT PRIMARY KEY,
    reporter_id TEXT NOT NULL,
    target_type TEXT NOT NULL CHECK (target_type IN ('beat', 'user')),
    target_id TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('copyright', 'offensive', 'spam', 'scam', 'other')),
    details TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('open', 'actioned', 'dismissed')),
    resolution TEXT,
    resolved_by TEXT,
    created_ms INTEGER NOT NULL,
    resolved_ms INTEGER
);
-- One open report per person per target: reporting again while it is open is a conflict.
CREATE UNIQUE INDEX moderation_one_open_report ON moderation_reports (reporter_id, target_type, target_id)
    WHERE status = 'open';
CREATE INDEX moderation_reports_by_status ON moderation_reports (status, id);
CREATE INDEX moderation_reports_by_target ON moderation_reports (target_type, target_id, status);

ALTER TABLE users_accounts ADD COLUMN suspended_ms INTEGER;
ALTER TABLE users_accounts ADD COLUMN suspended_reason TEXT;
