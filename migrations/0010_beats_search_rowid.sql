-- Where each listed beat sits in the full-text index, so re-indexing one beat (ready, edited,
-- sold, deleted) deletes its index row by rowid: beat_id is an UNINDEXED column, and finding a
-- row by it read the whole index's content (50 ms on the writer at 100,000 beats).
ALTER TABLE beats_beats ADD COLUMN search_rowid INTEGER;
UPDATE beats_beats SET search_rowid = s.rowid FROM beats_search s WHERE s.beat_id = beats_beats.id;
