-- 006-crawl-sources.sql: which image candidate a crawled image is and what
-- stands behind it (full-size image vs thumbnail), and each run's settings.
-- Documented in schema/README.md.

-- extract.h's `via`: "a_href", "data-zoom-image", "mediawiki-original",
-- "srcset", "img" (src) ..., or "sitemap" for an image sitemap's <image:loc>.
ALTER TABLE crawl_images ADD COLUMN image_source TEXT;
-- The thumbnail to fall back to when this (full-size) image fails, and its via.
ALTER TABLE crawl_images ADD COLUMN fallback_url TEXT;
ALTER TABLE crawl_images ADD COLUMN fallback_source TEXT;
-- For a thumbnail taken because its full-size image failed: that image's id.
ALTER TABLE crawl_images ADD COLUMN fallback_of INTEGER REFERENCES crawl_images(id);

-- The settings a run worked with (a JSON object: resize/encode options,
-- --depth, --scope, --allow-private ...), so a re-run can tell what changed.
ALTER TABLE runs ADD COLUMN settings TEXT;
