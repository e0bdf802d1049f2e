-- Accounts, sessions and follows: owned by the users module.
CREATE TABLE users_accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT UNIQUE,        -- lower(username); NULL once deleted, so the name is free again
    email TEXT NOT NULL,
    email_key TEXT UNIQUE,           -- lower(email); NULL once deleted
    password_hash TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    avatar_url TEXT,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    beats_count INTEGER NOT NULL DEFAULT 0,  -- kept up to date from the beats module's events
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    deleted_ms INTEGER
);

CREATE TABLE users_sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users_accounts (id),
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    revoked_ms INTEGER
);
CREATE INDEX users_sessions_by_user ON users_sessions (user_id);

CREATE TABLE users_follows (
    follower_id TEXT NOT NULL REFERENCES users_accounts (id),
    followee_id TEXT NOT NULL REFERENCES users_accounts (id),
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
) WITHOUT ROWID;
CREATE INDEX users_follows_by_followee ON users_follows (followee_id, follower_id);
