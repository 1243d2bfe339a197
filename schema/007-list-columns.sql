-- 007-list-columns.sql: the input list's own columns that `fetch
-- --save-additional-columns` carries along (LAION's similarity/punsafe,
-- DataComp's uid/sha256, COYO's scores ...), as img2dataset keeps them.
-- Documented in schema/README.md.

ALTER TABLE items ADD COLUMN list_columns TEXT;  -- JSON object of the saved list columns; NULL when none were asked
