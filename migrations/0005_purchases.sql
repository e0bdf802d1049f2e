-- Purchases, the licenses they grant, exclusive holds, idempotency keys and applied webhook
-- events: owned by the purchases module. Beats and users are named by id only.
CREATE TABLE purchases_purchases (
    id TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'declined', 'refunded')),
    total_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_ref TEXT,          -- a test charge id or a Checkout Session id
    payment_ref TEXT,           -- Stripe's payment_intent, for refunds announced by webhook
    checkout_url TEXT,
    failure TEXT,
    created_ms INTEGER NOT NULL,
    completed_ms INTEGER,
    refunded_ms INTEGER
);
CREATE INDEX purchases_by_buyer ON purchases_purchases (buyer_id, id DESC);
CREATE INDEX purchases_by_provider_ref ON purchases_purchases (provider_ref);
CREATE INDEX purchases_by_payment_ref ON purchases_purchases (payment_ref);

CREATE TABLE purchases_items (
    purchase_id TEXT NOT NULL REFERENCES purchases_purchases (id),
    beat_id TEXT NOT NULL,
    seller_id TEXT NOT NULL,
    title TEXT NOT NULL,
    license TEXT NOT NULL,
    files TEXT NOT NULL,        -- JSON array: what the license lets the buyer download
    terms TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    PRIMARY KEY (purchase_id, beat_id)
) WITHOUT ROWID;
CREATE INDEX purchases_items_by_seller ON purchases_items (seller_id, purchase_id DESC);

-- A granted license; active until its purchase is refunded.
CREATE TABLE purchases_licenses (
    purchase_id TEXT NOT NULL REFERENCES purchases_purchases (id),
    buyer_id TEXT NOT NULL,
    beat_id TEXT NOT NULL,
    license TEXT NOT NULL,
    files TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    granted_ms INTEGER NOT NULL,
    PRIMARY KEY (purchase_id, beat_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX purchases_one_active_license ON purchases_licenses (buyer_id, beat_id, license) WHERE active = 1;
CREATE INDEX purchases_licenses_by_beat ON purchases_licenses (beat_id) WHERE active = 1;

-- One exclusive sale per beat: a pending checkout holds it until it completes or expires.
CREATE TABLE purchases_exclusive_holds (
    beat_id TEXT PRIMARY KEY,
    purchase_id TEXT NOT NULL,
    expires_ms INTEGER            -- NULL once the sale completed
);

CREATE TABLE purchases_idempotency (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,      -- 0 while the first request is still being answered
    body TEXT,
    purchase_id TEXT,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;

CREATE TABLE purchases_webhook_events (
    event_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    received_ms INTEGER NOT NULL
);
