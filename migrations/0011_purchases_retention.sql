-- Idempotency keys and applied Stripe event ids are kept for a while, then deleted oldest first:
-- these indexes make finding the expired ones a range read instead of a scan of every key.
CREATE INDEX purchases_idempotency_by_age ON purchases_idempotency (created_ms);
CREATE INDEX purchases_webhook_events_by_age ON purchases_webhook_events (received_ms);
