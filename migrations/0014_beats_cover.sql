-- A beat's cover art: "<sha256>.<ext>" of an image under media/covers, stored by content and
-- counted in beats_files like originals and stems; NULL when the producer gave none.
ALTER TABLE beats_beats ADD COLUMN cover TEXT;
