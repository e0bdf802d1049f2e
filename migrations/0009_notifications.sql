-- Notifications: owned by the notifications module. One row per thing a user is told; `data` is
-- a JSON object whose fields depend on `kind`. `source` is set by fan-outs that may be retried
-- (a beat's release to 100,000 followers goes in pages), so a page that runs twice adds nothing.
CREATE TABLE notifications_items (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('purchase', 'sale', 'message', 'upload', 'review', 'follow', 'system')),
    message TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'unread' CHECK (status IN ('unread', 'read')),
    data TEXT NOT NULL DEFAULT '{}',
    source TEXT,
    created_ms INTEGER NOT NULL
);
CREATE INDEX notifications_by_user ON notifications_items (user_id, id);
CREATE INDEX notifications_unread ON notifications_items (user_id) WHERE status = 'unread';
CREATE UNIQUE INDEX notifications_by_source ON notifications_items (user_id, source) WHERE source IS NOT NULL;
