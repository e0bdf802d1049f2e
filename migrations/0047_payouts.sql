-- Collaborator splits, the money ledger, connected accounts and payouts: owned by the payouts
-- module. Amounts are integer cents; the ledger is append-only (a refund or a failed payout adds
-- the opposite entry), so a balance is the sum of a user's entries.
CREATE TABLE payouts_splits (
    id TEXT PRIMARY KEY,
    beat_id TEXT NOT NULL,
    producer_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'active', 'replaced', 'declined', 'withdrawn')),
    created_ms INTEGER NOT NULL,
    activated_ms INTEGER
);
CREATE UNIQUE INDEX payouts_one_active_split ON payouts_splits (beat_id) WHERE status = 'active';
CREATE UNIQUE INDEX payouts_one_proposed_split ON payouts_splits (beat_id) WHERE status = 'proposed';

CREATE TABLE payouts_split_shares (
    split_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    share_bp INTEGER NOT NULL CHECK (share_bp > 0 AND share_bp <= 10000),  -- basis points: 10000 = 100 %
    accepted_ms INTEGER,
    declined_ms INTEGER,
    PRIMARY KEY (split_id, user_id)
);
CREATE INDEX payouts_shares_by_user ON payouts_split_shares (user_id);

CREATE TABLE payouts_ledger (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,             -- 'platform' for the platform's fee
    kind TEXT NOT NULL CHECK (kind IN ('sale', 'refund', 'fee', 'fee_refund', 'payout', 'payout_reversal')),
    amount_cents INTEGER NOT NULL,     -- positive: owed to the user; negative: taken back or paid out
    currency TEXT NOT NULL,
    purchase_id TEXT,
    beat_id TEXT,
    payout_id TEXT,
    share_bp INTEGER,                  -- sale: the user's share of the beat at the sale
    created_ms INTEGER NOT NULL
);
CREATE INDEX payouts_ledger_by_user ON payouts_ledger (user_id, id);
CREATE INDEX payouts_ledger_by_purchase ON payouts_ledger (purchase_id);

CREATE TABLE payouts_accounts (
    user_id TEXT PRIMARY KEY,
    stripe_account_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('onboarding', 'active', 'restricted')),
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);

CREATE TABLE payouts_runs (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);

CREATE TABLE payouts_payouts (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    stripe_account_id TEXT NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
    transfer_id TEXT,
    failure TEXT,
    created_ms INTEGER NOT NULL,
    paid_ms INTEGER
);
CREATE INDEX payouts_payouts_by_run ON payouts_payouts (run_id);
CREATE INDEX payouts_payouts_by_user ON payouts_payouts (user_id, id);

CREATE TABLE payouts_webhook_events (
    event_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    received_ms INTEGER NOT NULL
);
