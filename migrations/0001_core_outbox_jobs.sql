-- The core's own tables: the event outbox with per-subscriber receipts, and persisted jobs.
CREATE TABLE core_outbox (
    id TEXT PRIMARY KEY,             -- UUIDv7: time-ordered
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,           -- JSON object
    created_ms INTEGER NOT NULL,
    delivered_ms INTEGER             -- set once every subscriber has it
);
CREATE INDEX core_outbox_pending ON core_outbox (id) WHERE delivered_ms IS NULL;

-- One row per (event, subscriber): done is written in the same transaction as the subscriber's
-- own changes, so a subscriber applies each event once even across crashes and retries.
CREATE TABLE core_event_receipts (
    event_id TEXT NOT NULL,
    subscriber TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    PRIMARY KEY (event_id, subscriber)
) WITHOUT ROWID;

CREATE TABLE core_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    run_after_ms INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX core_jobs_queued ON core_jobs (run_after_ms, id) WHERE status = 'queued';
