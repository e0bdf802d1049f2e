-- Reviews: owned by the reviews module. One review per user per beat; beats keep the running
-- rating_sum / rating_count (updated through beats.rate in the same transaction).
CREATE TABLE reviews_reviews (
    id TEXT PRIMARY KEY,
    beat_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    review_text TEXT NOT NULL DEFAULT '' CHECK (length(review_text) <= 5000),
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    UNIQUE (beat_id, user_id)
);
CREATE INDEX reviews_by_beat ON reviews_reviews (beat_id, id DESC);
