-- The catalogue: owned by the beats module.
CREATE TABLE beats_beats (
    id TEXT PRIMARY KEY,
    producer_id TEXT NOT NULL,          -- a users id (no cross-module foreign key)
    title TEXT NOT NULL,
    artist TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    currency TEXT NOT NULL DEFAULT 'USD',
    genre TEXT,
    bpm INTEGER,
    musical_key TEXT,
    mood TEXT,
    tags TEXT NOT NULL DEFAULT '[]',     -- JSON array of strings
    description TEXT NOT NULL DEFAULT '',
    licenses TEXT NOT NULL DEFAULT '[]', -- JSON array of License
    status TEXT NOT NULL CHECK (status IN ('processing', 'ready', 'failed', 'sold', 'deleted')),
    failure TEXT,
    original_sha256 TEXT NOT NULL,
    original_ext TEXT NOT NULL,
    original_format TEXT,
    duration_ms INTEGER,
    lufs REAL,
    peaks TEXT,                          -- JSON array of ~800 floats
    preview_path TEXT,                   -- relative to the data dir
    plays INTEGER NOT NULL DEFAULT 0,
    rating_sum INTEGER NOT NULL DEFAULT 0,
    rating_count INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    deleted_ms INTEGER
);
CREATE INDEX beats_by_status_created ON beats_beats (status, created_ms DESC, id DESC);
CREATE INDEX beats_by_producer ON beats_beats (producer_id, created_ms DESC);
CREATE INDEX beats_by_plays ON beats_beats (status, plays DESC, id DESC);
CREATE INDEX beats_by_price ON beats_beats (status, price_cents, id);

-- Full-text search over what buyers type; kept in step with beats_beats by the service.
-- Prefix indexes make type-ahead (short last-word prefixes) a lookup, not an expansion of every term.
CREATE VIRTUAL TABLE beats_search USING fts5 (
    title, artist, tags, genre, mood,
    beat_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);

-- Stored originals, by content. refs counts the beats that point at a file.
CREATE TABLE beats_files (
    sha256 TEXT PRIMARY KEY,
    ext TEXT NOT NULL,
    size INTEGER NOT NULL,
    refs INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);

CREATE TABLE beats_voice_tags (
    producer_id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    ext TEXT NOT NULL,
    updated_ms INTEGER NOT NULL
);

-- Playback log and per-user state (seed 003's playback logs).
CREATE TABLE beats_playback (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    beat_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('play', 'pause', 'stop')),
    position_ms INTEGER NOT NULL DEFAULT 0,
    counted INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);
CREATE INDEX beats_playback_by_user ON beats_playback (user_id, id DESC);
CREATE INDEX beats_playback_counted ON beats_playback (user_id, beat_id, created_ms) WHERE counted = 1;
