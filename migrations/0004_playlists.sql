-- Playlists: owned by the playlists module. Tracks name beats by id (no cross-module keys).
CREATE TABLE playlists_playlists (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    public INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX playlists_by_owner ON playlists_playlists (owner_id, id DESC);

CREATE TABLE playlists_tracks (
    playlist_id TEXT NOT NULL REFERENCES playlists_playlists (id) ON DELETE CASCADE,
    beat_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    added_ms INTEGER NOT NULL,
    PRIMARY KEY (playlist_id, beat_id)
) WITHOUT ROWID;
