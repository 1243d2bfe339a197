-- 001-core.sql: runs, inputs, items (one row per input row / URL touched),
-- shards, and full-text search over accepted captions.
-- Every table and column is documented in schema/README.md.

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    command     TEXT NOT NULL,
    args        TEXT,
    started_at  REAL NOT NULL,
    finished_at REAL,
    counts      TEXT
);

CREATE TABLE inputs (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE,
    kind     TEXT,
    added_at REAL NOT NULL
);

CREATE TABLE shards (
    shard_no   INTEGER PRIMARY KEY CHECK (shard_no >= 0 AND shard_no <= 99999),
    path       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'sealed')),
    samples    INTEGER NOT NULL DEFAULT 0,
    bytes      INTEGER NOT NULL DEFAULT 0,
    end_offset INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    sealed_at  REAL
);

CREATE TABLE items (
    id              INTEGER PRIMARY KEY,
    input_id        INTEGER REFERENCES inputs(id),
    row_no          INTEGER,
    url             TEXT,
    caption         TEXT,
    page_url        TEXT,
    caption_source  TEXT,
    status          TEXT NOT NULL CHECK (status IN ('accepted', 'rejected', 'failed', 'optout')),
    reason          TEXT,
    error           TEXT,
    key             TEXT UNIQUE CHECK (key IS NULL OR length(key) = 9),
    shard_no        INTEGER REFERENCES shards(shard_no),
    frame_offset    INTEGER,
    frame_length    INTEGER,
    width           INTEGER,
    height          INTEGER,
    original_width  INTEGER,
    original_height INTEGER,
    image_format    TEXT,
    bytes           INTEGER,
    sha256          TEXT,
    member_bytes    INTEGER,
    member_sha256   TEXT,
    http_status     INTEGER,
    mime            TEXT,
    language        TEXT,
    fetched_at      REAL,
    run_id          INTEGER REFERENCES runs(id),
    UNIQUE (input_id, row_no)
);

CREATE INDEX items_url ON items(url);
CREATE INDEX items_sha256 ON items(sha256) WHERE status = 'accepted';
CREATE INDEX items_status_reason ON items(status, reason);
CREATE INDEX items_shard ON items(shard_no, frame_offset) WHERE shard_no IS NOT NULL;

-- Captions of accepted samples, external content (the text lives in items).
CREATE VIRTUAL TABLE captions_fts USING fts5(caption, content = 'items', content_rowid = 'id');

CREATE TRIGGER items_fts_insert AFTER INSERT ON items WHEN new.status = 'accepted' BEGIN
    INSERT INTO captions_fts(rowid, caption) VALUES (new.id, new.caption);
END;
CREATE TRIGGER items_fts_update AFTER UPDATE OF status, caption ON items BEGIN
    INSERT INTO captions_fts(captions_fts, rowid, caption)
        SELECT 'delete', old.id, old.caption WHERE old.status = 'accepted';
    INSERT INTO captions_fts(rowid, caption) SELECT new.id, new.caption WHERE new.status = 'accepted';
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items WHEN old.status = 'accepted' BEGIN
    INSERT INTO captions_fts(captions_fts, rowid, caption) VALUES ('delete', old.id, old.caption);
END;
