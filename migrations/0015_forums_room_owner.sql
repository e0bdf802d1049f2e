-- Who owns a room (may close it): a beat's room belongs to the beat's producer, whoever opened it
-- first; a genre room to its creator. NULL on rooms made before: their creator owns them.
ALTER TABLE forums_rooms ADD COLUMN owner_id TEXT;
