-- Direct messages between two users: owned by the chat module. Users are named by id only.
-- A chat is the unordered pair of its participants, stored ordered (a_id < b_id) so there is one
-- chat per pair whoever writes first.
CREATE TABLE chat_chats (
    id TEXT PRIMARY KEY,
    a_id TEXT NOT NULL,
    b_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    last_message_id TEXT,       -- newest message; UUIDv7, so it also orders chats by activity
    UNIQUE (a_id, b_id),
    CHECK (a_id < b_id)
);
CREATE INDEX chat_chats_by_a ON chat_chats (a_id, last_message_id DESC);
CREATE INDEX chat_chats_by_b ON chat_chats (b_id, last_message_id DESC);

CREATE TABLE chat_messages (
    id TEXT PRIMARY KEY,        -- UUIDv7: time-ordered, so "after this id" is well defined
    chat_id TEXT NOT NULL REFERENCES chat_chats (id) ON DELETE CASCADE,
    sender_id TEXT NOT NULL,
    receiver_id TEXT NOT NULL,
    content TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX chat_messages_by_chat ON chat_messages (chat_id, id);
-- A reconnecting socket's ?since= replay: what was addressed to me, and what I sent elsewhere.
CREATE INDEX chat_messages_by_receiver ON chat_messages (receiver_id, id);
CREATE INDEX chat_messages_by_sender ON chat_messages (sender_id, id);

-- How far each participant has read: messages to them with a greater id are unread.
CREATE TABLE chat_reads (
    chat_id TEXT NOT NULL REFERENCES chat_chats (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    last_read_id TEXT NOT NULL,
    PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID;
