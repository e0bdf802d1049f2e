-- What a notification is about, when reading it elsewhere settles it: "chat:<chat_id>" for a new
-- message, marked read when its chat is read. NULL for the others.
ALTER TABLE notifications_items ADD COLUMN subject TEXT;
CREATE INDEX notifications_unread_by_subject ON notifications_items (user_id, subject) WHERE status = 'unread';
