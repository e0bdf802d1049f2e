-- Which accepted offers a cart checkout paid for, so completing or declining its purchase settles
-- them: owned by the commerce module.
CREATE TABLE commerce_checkouts (
    purchase_id TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL,
    offer_ids TEXT NOT NULL DEFAULT '[]',  -- JSON array
    created_ms INTEGER NOT NULL
);
