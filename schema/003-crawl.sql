-- 003-crawl.sql: the crawl frontier (pages and images, so a killed crawl
-- resumes), per-host robots.txt / TDMRep / politeness state, and every caption
-- candidate the crawler saw. Written by crawler/frontier.c; documented in
-- schema/README.md and crawler/README.md.

-- One row per page URL (normalised, url.h) the crawl knows.
CREATE TABLE crawl_pages (
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL UNIQUE,
    depth       INTEGER NOT NULL CHECK (depth >= 0),
    seed        TEXT NOT NULL,              -- the seed whose --scope applies to its links
    state       TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'fetched', 'failed', 'skipped')),
    http_status INTEGER,
    reason      TEXT,                       -- 'robots', 'http_404', 'not_html', 'redirect' ...
    final_url   TEXT,                       -- after redirects, when different
    n_images    INTEGER,
    n_links     INTEGER,
    fetched_at  REAL                        -- epoch seconds
);
CREATE INDEX crawl_pages_queued ON crawl_pages(id) WHERE state = 'queued';

-- One row per image URL (normalised) found on any page: its id is the items
-- row_no under the input named 'crawl', which makes an image's outcome unique.
CREATE TABLE crawl_images (
    id             INTEGER PRIMARY KEY,
    url            TEXT NOT NULL UNIQUE,
    page_url       TEXT NOT NULL,           -- the first page it was found on
    caption        TEXT,                    -- chosen caption (filter-normalised), NULL if none passed
    caption_source TEXT,                    -- extract.h caption_source name
    decision       TEXT NOT NULL CHECK (decision IN ('fetch', 'rejected', 'optout')),
    reason         TEXT,                    -- why not fetched (caption filter reason, 'noai', ...)
    found_at       REAL NOT NULL
);

-- Every caption candidate of every image on every page it was found on.
CREATE TABLE crawl_candidates (
    image_id INTEGER NOT NULL REFERENCES crawl_images(id),
    page_url TEXT NOT NULL,
    source   TEXT NOT NULL,                 -- 'alt', 'figcaption', ... (extract.h order)
    text     TEXT NOT NULL,                 -- as extracted (entities decoded, spaces collapsed)
    verdict  TEXT NOT NULL,                 -- 'keep' or the caption filter's reason
    chosen   INTEGER NOT NULL DEFAULT 0,    -- 1 for the candidate that became the caption
    PRIMARY KEY (image_id, page_url, source)
) WITHOUT ROWID;

-- One row per origin (scheme://host[:port]).
CREATE TABLE crawl_hosts (
    origin            TEXT PRIMARY KEY,
    robots_status     INTEGER,              -- HTTP status of /robots.txt; 0 = unreachable
    robots_body       BLOB,                 -- the body (2xx only)
    robots_fetched_at REAL,
    crawl_delay       REAL,                 -- Crawl-delay for our token, NULL if none
    tdmrep_status     INTEGER,              -- HTTP status of /.well-known/tdmrep.json; -1 = not fetched (robots)
    tdmrep_body       BLOB,
    tdmrep_fetched_at REAL,
    backoff_until     REAL                  -- epoch seconds: no request before (429/503 Retry-After)
) WITHOUT ROWID;
