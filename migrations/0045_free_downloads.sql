-- Free downloads: owned by the free_downloads module. A beat's offer (what it costs: an email or a
-- follow; how the link arrives: by mail or at once), each claim (the producer's leads), and the
-- download links (stored as the SHA-256 of their token, expiring).
CREATE TABLE free_downloads_offers (
    beat_id TEXT PRIMARY KEY,
    producer_id TEXT NOT NULL,
    gate TEXT NOT NULL CHECK (gate IN ('email', 'follow')),
    delivery TEXT NOT NULL CHECK (delivery IN ('email', 'instant')),
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);

CREATE TABLE free_downloads_claims (
    id TEXT PRIMARY KEY,
    beat_id TEXT NOT NULL,
    producer_id TEXT NOT NULL,
    email TEXT,                      -- gate email: the address given
    user_id TEXT,                    -- gate follow: who followed
    created_ms INTEGER NOT NULL
);
CREATE INDEX free_downloads_claims_by_producer ON free_downloads_claims (producer_id, id);

CREATE TABLE free_downloads_links (
    token_hash TEXT PRIMARY KEY,
    beat_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    downloads INTEGER NOT NULL DEFAULT 0
);
