-- A beat's stems: one ZIP archive of its track-outs, for licenses whose files include "stems".
-- Stored by content under media/stems and counted in beats_files like originals.
ALTER TABLE beats_beats ADD COLUMN stems_sha256 TEXT;
