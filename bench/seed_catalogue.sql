-- Benchmark data: N ready beats with varied words, straight into the beats module's tables.
-- Used only by bench/beats.sh on a throwaway data dir; :n is set by the caller via a CTE bound.
WITH RECURSIVE
  words(i, w) AS (VALUES (0, 'midnight'), (1, 'velvet'), (2, 'neon'), (3, 'golden'), (4, 'broken'), (5, 'silent'),
                         (6, 'electric'), (7, 'lunar'), (8, 'crimson'), (9, 'paper'), (10, 'frozen'), (11, 'smoke'),
                         (12, 'desert'), (13, 'ocean'), (14, 'concrete'), (15, 'glass'), (16, 'dreams'), (17, 'streets'),
                         (18, 'waves'), (19, 'echoes'), (20, 'skyline'), (21, 'ghosts'), (22, 'rain'), (23, 'fever'),
                         (24, 'motion'), (25, 'signals'), (26, 'mirage'), (27, 'pulse'), (28, 'garden'), (29, 'horizon'),
                         (30, 'static'), (31, 'letters')),
  genres(i, g) AS (VALUES (0, 'trap'), (1, 'lofi'), (2, 'boom bap'), (3, 'drill'), (4, 'rnb'), (5, 'afrobeat')),
  seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < (SELECT value FROM bench_params WHERE key = 'n'))
INSERT INTO beats_beats (id, producer_id, title, artist, price_cents, currency, genre, bpm, musical_key, mood, tags,
                         description, licenses, status, original_sha256, original_ext, duration_ms, peaks, preview_path,
                         plays, created_ms, updated_ms)
SELECT printf('bench-%08d', n), 'bench-producer',
       (SELECT w FROM words WHERE i = n % 32) || ' ' || (SELECT w FROM words WHERE i = (n / 32) % 32) || ' ' || n,
       'producer ' || (n % 500),
       999 + (n % 50) * 100, 'USD',
       (SELECT g FROM genres WHERE i = n % 6), 70 + n % 90, 'A minor', 'dark',
       '["' || (SELECT w FROM words WHERE i = (n / 7) % 32) || '","' || (SELECT g FROM genres WHERE i = n % 6) || '"]',
       '', '[{"type":"basic","price_cents":1999,"currency":"USD","files":["mp3"],"terms":"lease"}]',
       'ready', 'bench', 'mp3', 180000, '[]', 'media/previews/bench-stream.mp3',
       n % 1000, 1700000000000 + n * 1000, 1700000000000 + n * 1000
FROM seq;
INSERT INTO beats_search (title, artist, tags, genre, mood, beat_id)
SELECT title, artist, replace(replace(replace(tags, '["', ''), '"]', ''), '","', ' '), genre, mood, id
FROM beats_beats WHERE id LIKE 'bench-%';
