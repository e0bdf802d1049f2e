-- A pending checkout is owned while it is being created: `owner` (the process's instance id) holds
-- it until `lease_ms`; past that, a retry with the same Idempotency-Key resumes it, or the sweep ends
-- it. `expires_ms` is when the checkout (and an exclusive's hold) ends; Stripe's session expires then.
ALTER TABLE purchases_purchases ADD COLUMN owner TEXT;
ALTER TABLE purchases_purchases ADD COLUMN lease_ms INTEGER;
ALTER TABLE purchases_purchases ADD COLUMN expires_ms INTEGER;
CREATE INDEX purchases_by_lease ON purchases_purchases (lease_ms) WHERE lease_ms IS NOT NULL;
CREATE INDEX purchases_pending_by_expiry ON purchases_purchases (expires_ms) WHERE status = 'pending';
