-- The Subsonic API (owned by the subsonic module). App passwords are sealed (secretbox, key
-- derived from the server secret) because the token scheme needs them back; lookup is a keyed
-- hash of the password, to find one by value (plain passwords, API keys).
CREATE TABLE subsonic_app_passwords (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    sealed TEXT NOT NULL,
    lookup TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL,
    last_used_ms INTEGER
);
CREATE INDEX subsonic_app_passwords_by_user ON subsonic_app_passwords (user_id, id);

-- Stars by Subsonic id: a beat id (song), al-<producer>-<year> (album), ar-<producer> (artist).
CREATE TABLE subsonic_stars (
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('song', 'album', 'artist')),
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, item_id)
);

-- What each user's players are playing (scrobble with submission=false).
CREATE TABLE subsonic_now_playing (
    user_id TEXT NOT NULL,
    player TEXT NOT NULL,
    beat_id TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, player)
);
CREATE INDEX subsonic_now_playing_by_time ON subsonic_now_playing (updated_ms);
