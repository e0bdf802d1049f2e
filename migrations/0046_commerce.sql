-- Carts, deals, coupons and offers: owned by the commerce module. Beats and users are named by id.
CREATE TABLE commerce_cart_items (
    user_id TEXT NOT NULL,
    beat_id TEXT NOT NULL,
    license TEXT NOT NULL,
    added_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, beat_id)
);

CREATE TABLE commerce_cart_coupons (
    user_id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    added_ms INTEGER NOT NULL
);

-- "N for the price of M" on a producer's items of a tier ('' = every tier); one live deal per tier.
CREATE TABLE commerce_deals (
    id TEXT PRIMARY KEY,
    producer_id TEXT NOT NULL,
    tier TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity >= 2),
    pay_for INTEGER NOT NULL CHECK (pay_for >= 1),
    active INTEGER NOT NULL DEFAULT 1,
    created_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX commerce_one_deal_per_tier ON commerce_deals (producer_id, tier) WHERE active = 1;

CREATE TABLE commerce_coupons (
    id TEXT PRIMARY KEY,
    producer_id TEXT NOT NULL,
    code TEXT NOT NULL,
    code_key TEXT NOT NULL,              -- lower(code): codes are case-insensitive
    kind TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    amount INTEGER NOT NULL CHECK (amount > 0),  -- percent 1..100, or cents
    expires_ms INTEGER,
    max_uses INTEGER,                    -- overall; NULL: no limit
    max_uses_per_buyer INTEGER,
    min_total_cents INTEGER NOT NULL DEFAULT 0,
    beat_ids TEXT NOT NULL DEFAULT '[]', -- JSON array; empty: every beat of the producer
    tiers TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    created_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX commerce_coupon_codes ON commerce_coupons (code_key) WHERE active = 1;
CREATE INDEX commerce_coupons_by_producer ON commerce_coupons (producer_id, id);

-- A coupon used in a purchase: held while it is being paid, used once paid, released if not.
CREATE TABLE commerce_coupon_redemptions (
    id TEXT PRIMARY KEY,
    coupon_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    purchase_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('held', 'used', 'released')),
    discount_cents INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX commerce_redemptions_by_coupon ON commerce_coupon_redemptions (coupon_id, buyer_id) WHERE status != 'released';
CREATE INDEX commerce_redemptions_by_purchase ON commerce_coupon_redemptions (purchase_id);

CREATE TABLE commerce_offer_settings (
    beat_id TEXT PRIMARY KEY,
    producer_id TEXT NOT NULL,
    accept_offers INTEGER NOT NULL,
    minimum_cents INTEGER NOT NULL DEFAULT 0,
    updated_ms INTEGER NOT NULL
);

CREATE TABLE commerce_offers (
    id TEXT PRIMARY KEY,
    beat_id TEXT NOT NULL,
    producer_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    license TEXT NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'countered', 'accepted', 'declined', 'withdrawn', 'expired',
                                           'purchased')),
    expires_ms INTEGER NOT NULL,         -- the answer (or, accepted, the checkout) is due by then
    purchase_id TEXT,                    -- the purchase paying an accepted offer
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX commerce_offers_by_buyer ON commerce_offers (buyer_id, id);
CREATE INDEX commerce_offers_by_producer ON commerce_offers (producer_id, id);
CREATE UNIQUE INDEX commerce_one_live_offer ON commerce_offers (buyer_id, beat_id, license)
    WHERE status IN ('open', 'countered', 'accepted');

CREATE TABLE commerce_offer_events (
    id TEXT PRIMARY KEY,
    offer_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,                -- offer, counter, accept, decline, withdraw, expire, purchase
    amount_cents INTEGER,
    message TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL
);
CREATE INDEX commerce_offer_events_by_offer ON commerce_offer_events (offer_id, id);
