-- License agreements: owned by the agreements module. A producer's terms per license tier (no row:
-- the defaults), the agreement made at each sale (its whole text as JSON, fixed then), and which
-- purchases got their receipt mail.
CREATE TABLE agreements_terms (
    producer_id TEXT NOT NULL,
    tier TEXT NOT NULL CHECK (tier IN ('basic', 'premium', 'unlimited', 'exclusive')),
    distribution_copies INTEGER,     -- NULL: unlimited
    audio_streams INTEGER,
    music_videos INTEGER,
    paid_performances INTEGER,
    credit_line TEXT NOT NULL,
    extra_terms TEXT NOT NULL DEFAULT '',
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (producer_id, tier)
);

CREATE TABLE agreements_documents (
    purchase_id TEXT NOT NULL,
    beat_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    seller_id TEXT NOT NULL,
    document TEXT NOT NULL,          -- JSON: everything the agreement says
    fingerprint TEXT NOT NULL,       -- SHA-256 of that JSON with sorted keys
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER,              -- the purchase was refunded
    PRIMARY KEY (purchase_id, beat_id)
);
CREATE INDEX agreements_documents_by_buyer ON agreements_documents (buyer_id);

CREATE TABLE agreements_receipts (
    purchase_id TEXT PRIMARY KEY,
    mailed_ms INTEGER NOT NULL
);
