-- Share links (owned by the shares module): a producer's beat or an owner's playlist opened by
-- anyone with the link, until it expires, is revoked or has used its plays. The id is the
-- link's secret (128 random bits), not a time-ordered id.
CREATE TABLE shares_links (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('beat', 'playlist')),
    target_id TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    expires_ms INTEGER NOT NULL,
    max_plays INTEGER,
    plays INTEGER NOT NULL DEFAULT 0,
    allow_download INTEGER NOT NULL DEFAULT 0,
    revoked_ms INTEGER,
    created_ms INTEGER NOT NULL,
    last_played_ms INTEGER
);
CREATE INDEX shares_links_by_owner ON shares_links (owner_id, created_ms DESC, id DESC);

-- Every play (and download) through a link; a play's id is the ticket its stream requests carry.
CREATE TABLE shares_plays (
    id TEXT PRIMARY KEY,
    share_id TEXT NOT NULL REFERENCES shares_links (id) ON DELETE CASCADE,
    beat_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('play', 'download')),
    created_ms INTEGER NOT NULL
);
CREATE INDEX shares_plays_by_share ON shares_plays (share_id, created_ms DESC, id DESC);
