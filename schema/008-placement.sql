-- 008-placement.sql: where on its page an image sits (common/placement.h),
-- kept with the crawl's image and carried to its item, so every later
-- judging of the caption (refilter, a resumed crawl) sees the facts the
-- crawl judged it with. Documented in schema/README.md.

-- The stored form of cc_place_format: the placement names joined by ','
-- ("nav,linked"); '' = on a page, nothing special; NULL = not known (a WAT
-- record, a sitemap entry, a crawl row written before 008).
ALTER TABLE crawl_images ADD COLUMN placement TEXT;
ALTER TABLE crawl_images ADD COLUMN place_width INTEGER;   -- declared width in CSS px; NULL = unknown
ALTER TABLE crawl_images ADD COLUMN place_height INTEGER;  -- declared height in CSS px; NULL = unknown
ALTER TABLE crawl_images ADD COLUMN alt_repeats INTEGER;   -- images on its page with the same alt text; NULL = unknown

-- The same facts on the item the image became (copied from crawl_images);
-- 'list' for a URL list row's caption (fetch), which is judged as one.
ALTER TABLE items ADD COLUMN placement TEXT;
ALTER TABLE items ADD COLUMN place_width INTEGER;
ALTER TABLE items ADD COLUMN place_height INTEGER;
ALTER TABLE items ADD COLUMN alt_repeats INTEGER;
-- Rows written before 008: list captions are known by their source.
UPDATE items SET placement = 'list' WHERE caption_source = 'list';
