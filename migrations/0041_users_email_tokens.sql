-- Proving control of an email address: verification and password-reset tokens (stored as their
-- SHA-256, single use, expiring), and when an account's address was last verified. Owned by the
-- users module.
ALTER TABLE users_accounts ADD COLUMN email_verified_ms INTEGER;

CREATE TABLE users_email_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users_accounts (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    email TEXT NOT NULL,          -- the address the token was sent to
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_ms INTEGER
);
CREATE INDEX users_email_tokens_by_user ON users_email_tokens (user_id, purpose);
