-- 005-embeddings.sql: image embeddings move to one flat file per model
-- (DIR/embeddings/<model_id>-<precision>.f16, schema/EMBEDDINGS_FORMAT.md),
-- where a million-sample search reads them at memory speed.
-- The index keeps the row -> key map and how many rows are valid.
-- Every table and column is documented in schema/README.md.

-- Rows of the model's embedding file that committed transactions reference;
-- a writer cuts the file back to this many rows when it opens it.
ALTER TABLE clip_models ADD COLUMN emb_rows INTEGER NOT NULL DEFAULT 0;

-- The sample's row in its model's embedding file; NULL = not in the file
-- (scored before the file existed: the next writer appends it from image_emb).
ALTER TABLE clip_scores ADD COLUMN emb_row INTEGER;

CREATE UNIQUE INDEX clip_scores_emb_row ON clip_scores(model, emb_row) WHERE emb_row IS NOT NULL;
