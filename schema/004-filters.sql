-- 004-filters.sql: what the filters need in the index — the perceptual hash
-- and a band table to find near-duplicates, the duplicate's kept sample, the
-- caption as found (so refilter can judge it again), CLIP safety tags, and
-- per-caption image counts for the repeated-caption (COYO) rule.
-- Every table and column is documented in schema/README.md.

ALTER TABLE items ADD COLUMN phash INTEGER;        -- 64-bit DCT perceptual hash of the decoded image (two's complement)
ALTER TABLE items ADD COLUMN duplicate_of TEXT;    -- reason 'duplicate': key of the sample that was kept
ALTER TABLE items ADD COLUMN caption_raw TEXT;     -- the caption as found, before normalisation
ALTER TABLE items ADD COLUMN caption_detail TEXT;  -- the caption rule's note, e.g. "matched 'logo'"
ALTER TABLE items ADD COLUMN nsfw TEXT CHECK (nsfw IS NULL OR nsfw IN ('NSFW', 'UNSURE', 'UNLIKELY'));
ALTER TABLE items ADD COLUMN nsfw_model INTEGER REFERENCES clip_models(id);

-- Near-duplicate search (multi-index hashing): a 64-bit hash is cut into
-- bands; two hashes within Hamming distance d share at least one whole band
-- when there are d+1 bands, so candidates are found by exact band lookups
-- and then checked bit by bit.
CREATE TABLE phash_bands (
    band    INTEGER NOT NULL,   -- band number 0..nbands-1
    nbands  INTEGER NOT NULL,   -- how the hash was cut (max distance + 1)
    value   INTEGER NOT NULL,   -- the band's bits
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    PRIMARY KEY (nbands, band, value, item_id)
) WITHOUT ROWID;

CREATE INDEX items_url_caption ON items(url, caption) WHERE status = 'accepted';
CREATE INDEX items_duplicate_of ON items(duplicate_of) WHERE duplicate_of IS NOT NULL;
