/* pairs.h — streaming readers of img2dataset-style URL(+caption) lists.
 *
 * Formats (chosen from the file name unless options.format says otherwise;
 * a trailing ".gz" is stripped first and the file is read through zlib):
 *   .txt            one URL a line; blank lines are skipped; no caption
 *   .csv            RFC 4180 with a header row: quoted fields, doubled quotes,
 *                   newlines inside quotes, CRLF or LF, an optional UTF-8 BOM
 *   .tsv            tab-separated with a header row; no quoting (img2dataset's
 *                   convention), CRLF or LF, optional BOM
 *   .json           one JSON array of flat objects, read incrementally: the
 *                   array is never loaded whole (a 100M-element file is fine)
 *   .jsonl .ndjson  one JSON object a line
 *   .parquet        Apache Parquet (LAION, DataComp, COYO metadata), read with
 *                   parquet.h one row group at a time; not from stdin or .gz.
 *                   Columns: url_col, else `url`, else `URL`; caption_col,
 *                   else `caption`, `text`, `TEXT` (the first present).
 *                   A null caption is NULL; a non-string caption column
 *                   gives the value's JSON text.
 *
 * Memory is constant per row: a record longer than PAIRS_MAX_RECORD bytes is
 * reported as a malformed row and skipped.
 *
 * Rows
 *   row_no is the 0-based index of the data row in the file (header excluded,
 *   blank lines not counted), the same on every run over the same file, so it
 *   can key resume. A malformed row (a CSV line with text after a closing
 *   quote or too few fields, a JSON value that does not parse or is not an
 *   object, a missing/empty/non-string URL, an over-long record) still comes
 *   back as a row, with row.error set to a one-line message and url/caption
 *   NULL; the caller records it as outcome 'bad_input' and reading continues.
 *   Nested values inside a JSON object are skipped; a number or boolean
 *   caption is returned as its source text; null caption → NULL.
 *
 * List columns beyond url and caption
 *   extra_cols names columns to carry along (img2dataset's
 *   --save_additional_columns): each row's row.extra_json is then a JSON
 *   object of them in the order given — Parquet values by parquet.h's JSON
 *   rules, csv/tsv fields as strings, json/jsonl members as written (nested
 *   ones as null). A named column missing from the list is an error at open.
 *   A `sha256` column (csv, tsv, parquet, json, jsonl) is read whenever present:
 *   row.sha256 is its value lower-cased, the hash the downloaded bytes must
 *   have (DataComp's rule); a value that is not 64 hex digits makes the row
 *   malformed.
 *
 * Errors that stop reading (pairs_next() returns -1, pairs_errmsg() says why):
 *   I/O errors, a gzip stream that is corrupt, a .json file that is not an
 *   array or ends before its ']'.
 */
#ifndef CC_PAIRS_H
#define CC_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#define PAIRS_MAX_RECORD (1u << 20) /* 1 MiB per row */

typedef enum {
    PAIRS_AUTO = 0, /* by extension */
    PAIRS_TXT,
    PAIRS_CSV,
    PAIRS_TSV,
    PAIRS_JSON,
    PAIRS_JSONL,
    PAIRS_PARQUET,
} pairs_format;

typedef struct {
    const char *url_col;     /* NULL → "url" (csv, tsv, json, jsonl) */
    const char *caption_col; /* NULL → "caption", and a header without it just gives
                                NULL captions; when set explicitly, a csv/tsv header
                                without it is an error like a missing url column */
    pairs_format format;     /* PAIRS_AUTO → from the extension */
    const char *const *extra_cols; /* columns to carry into row.extra_json; NULL = none */
    int n_extra;
} pairs_options;

typedef struct {
    uint64_t row_no;       /* 0-based data row index */
    uint64_t line_no;      /* 1-based line where the row starts (for messages) */
    const char *url;       /* NUL-terminated; NULL when error is set */
    const char *caption;   /* may be NULL */
    const char *error;     /* NULL, or why this row is malformed */
    const char *extra_json; /* the extra_cols as a JSON object; NULL when none asked */
    const char *sha256;    /* the list's sha256 for this row (64 lowercase hex), or NULL */
} pairs_row;               /* every pointer is owned by the reader, valid until the next pairs_next/pairs_close */

typedef struct pairs_reader pairs_reader;

/* Opens path ("-" = stdin) and, for csv/tsv, reads the header. With
 * PAIRS_AUTO, stdin's format is sniffed from its first bytes: '{' → jsonl,
 * '[' → json, a first line that is an http(s) URL → txt, a header line with
 * tabs → tsv, with commas (or just the url column's name) → csv.
 * Returns NULL with a one-line message naming the file in err when:
 *   the file cannot be opened; the extension is unknown (files) or the
 *   sniffing finds nothing (stdin: "give --input-format"); the first 128 KiB
 *   hold a NUL byte or several control characters ("list.txt: binary data at
 *   byte 1234, not a URL list": the offset, never the bytes) or a UTF-16
 *   byte order mark; a csv/tsv header lacks the url column ("list.csv: no
 *   column 'url' in header"); the first json/jsonl object has no url member
 *   ("x.jsonl: line 1: the first object has no 'url' member ...": a later
 *   object without it is only a malformed row).
 * o may be NULL for defaults. */
pairs_reader *pairs_open(const char *path, const pairs_options *o, char *err, size_t errlen);

/* Next row: 1 = *row filled, 0 = end of input, -1 = fatal error
 * (pairs_errmsg). After 0 or -1, further calls return the same. */
int pairs_next(pairs_reader *r, pairs_row *row);

/* Last fatal error, "" when none. Names the file and line. */
const char *pairs_errmsg(const pairs_reader *r);

/* Format actually used. */
pairs_format pairs_get_format(const pairs_reader *r);

/* How far reading has got, for an ETA: *done is the file offset consumed so
 * far (of the compressed file for .gz), *total the file's size; both 0 for
 * stdin and pipes. */
void pairs_progress(const pairs_reader *r, uint64_t *done, uint64_t *total);

/* Closes the file and frees r. NULL is a no-op. */
void pairs_close(pairs_reader *r);

/* Format from a file name ("x.csv.gz" → PAIRS_CSV); PAIRS_AUTO when unknown. */
pairs_format pairs_format_from_name(const char *path);
/* "txt", "csv", "tsv", "json", "jsonl", "parquet"; "auto" for PAIRS_AUTO. */
const char *pairs_format_name(pairs_format f);
/* Inverse of pairs_format_name (also accepts "ndjson"); PAIRS_AUTO when unknown. */
pairs_format pairs_format_parse(const char *name);

#endif
