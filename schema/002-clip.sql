-- 002-clip.sql: CLIP models and per-sample scores and embeddings (clipscore).
-- `score` writes one clip_scores row per (sample, model); a sample without a
-- row for the model is "not yet scored", which makes scoring resumable.
-- Every table and column is documented in schema/README.md.

CREATE TABLE clip_models (
    id          INTEGER PRIMARY KEY,
    model_id    TEXT NOT NULL,          -- clip_model_id(): 16 hex digits of sha256(safetensors header + file size)
    precision   TEXT NOT NULL CHECK (precision IN ('fp32', 'bf16')),
    path        TEXT NOT NULL,          -- weights file as given when first used
    config      TEXT,                   -- JSON: embed_dim, image_size, patch_size, widths, layers, activation
    embed_dim   INTEGER NOT NULL CHECK (embed_dim > 0),
    logit_scale REAL,                   -- exp(stored logit_scale)
    added_at    REAL NOT NULL,
    UNIQUE (model_id, precision)
);

CREATE TABLE clip_scores (
    key        TEXT NOT NULL REFERENCES items(key) ON DELETE CASCADE,
    model      INTEGER NOT NULL REFERENCES clip_models(id),
    score      REAL NOT NULL,           -- cosine(image embedding, caption embedding), in [-1, 1]
    image_emb  BLOB,                    -- embed_dim IEEE half floats, little-endian, L2-normalised
    text_emb   BLOB,                    -- same for the caption
    scored_at  REAL NOT NULL,
    PRIMARY KEY (key, model)
) WITHOUT ROWID;

CREATE INDEX clip_scores_by_score ON clip_scores(model, score);
