-- Live discussion rooms: owned by the forums module. A room is about one beat or one genre;
-- closing it keeps its history (closed_ms set).
CREATE TABLE forums_rooms (
    id TEXT PRIMARY KEY,
    room_type TEXT NOT NULL CHECK (room_type IN ('beat', 'genre')),
    beat_id TEXT,
    genre TEXT,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    closed_ms INTEGER
);
CREATE INDEX forums_rooms_active ON forums_rooms (id DESC) WHERE closed_ms IS NULL;

CREATE TABLE forums_messages (
    id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES forums_rooms (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    username TEXT NOT NULL,
    message TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX forums_messages_by_room ON forums_messages (room_id, id);
