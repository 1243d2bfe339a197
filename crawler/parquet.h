/* parquet.h — a streaming reader of flat Apache Parquet files.
 *
 * LAION-400M/5B, DataComp and COYO-700M ship their URL + caption metadata as
 * Parquet; `fetch` reads those lists through this module. It is written by
 * hand (no Debian package reads Parquet from C) against the Parquet format
 * specification; the footer and page headers are Thrift compact protocol,
 * decoded here too.
 *
 * What it reads
 *   Columns    flat ones: a top-level field that is a primitive, REQUIRED or
 *              OPTIONAL. A nested column (a group: LIST, MAP, struct, or a
 *              REPEATED field) can be listed but not read: selecting it is an
 *              error naming the column; leaving it out of the selection is fine.
 *   Types      BOOLEAN, INT32, INT64, INT96, FLOAT, DOUBLE, BYTE_ARRAY,
 *              FIXED_LEN_BYTE_ARRAY (values come back as their physical type;
 *              the UTF8/STRING and unsigned-integer annotations are reported).
 *   Pages      DATA_PAGE (v1), DATA_PAGE_V2, DICTIONARY_PAGE; index pages are
 *              skipped.
 *   Encodings  PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY, RLE (levels, v2
 *              booleans), BIT_PACKED (v1 levels), DELTA_BINARY_PACKED,
 *              DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT.
 *   Codecs     UNCOMPRESSED, SNAPPY (libsnappy), GZIP (zlib; several members
 *              in one page are inflated one after another), ZSTD (libzstd),
 *              LZ4_RAW (liblz4). LZ4 with Hadoop framing, BROTLI and LZO are
 *              refused with an error naming the codec. Encrypted files and
 *              column chunks stored in another file are refused.
 *
 * Streaming and memory
 *   The footer is read at open. Rows are then decoded one row group at a
 *   time: pq_next() loads the selected columns of the next row group when the
 *   current one is used up, so memory is bounded by one row group's selected
 *   columns (plus its compressed chunk while it is decoded), not by the file.
 *
 * Untrusted input
 *   Every length and offset in the file is checked against the file size, the
 *   column chunk's byte range and the row group's row count before anything is
 *   allocated or read. A page that runs past its column chunk, a dictionary
 *   index out of range, a page whose values do not fit its bytes, a
 *   decompressed size that differs from the header's, a truncated file (no
 *   trailing "PAR1") all stop reading with an error; nothing is returned for a
 *   row group that fails. Limits that real files never reach but that keep a
 *   hostile one from making us allocate gigabytes are in pq_options.
 *
 * Errors are one line naming the file: "list.parquet: column 'URL', row group
 * 2: page runs 15 bytes past the end of its column chunk".
 *
 * Usage
 *   pq_reader *r = pq_open("part-0.parquet", NULL, err, sizeof err);
 *   const char *want[] = {"URL", "TEXT"};
 *   if (!r || pq_select(r, want, 2, err, sizeof err) != 0) ... report err ...
 *   int rc;
 *   while ((rc = pq_next(r)) == 1) {
 *       pq_value url, text;
 *       pq_get(r, 0, &url);  pq_get(r, 1, &text);
 *       ... url.bytes / url.len, text.is_null ...
 *   }
 *   if (rc < 0) ... pq_errmsg(r) ...
 *   pq_close(r);
 *
 * Not thread-safe per reader; separate readers are independent.
 */
#ifndef CC_PARQUET_H
#define CC_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Physical types; the numbers are the format's own. */
typedef enum {
    PQ_BOOLEAN = 0,
    PQ_INT32 = 1,
    PQ_INT64 = 2,
    PQ_INT96 = 3,
    PQ_FLOAT = 4,
    PQ_DOUBLE = 5,
    PQ_BYTE_ARRAY = 6,
    PQ_FIXED_LEN_BYTE_ARRAY = 7,
} pq_type;

/* One top-level column of the file's schema. */
typedef struct {
    const char *name;      /* the field name (NUL-terminated) */
    pq_type type;          /* physical type; meaningless when nested != NULL */
    int32_t type_length;   /* FIXED_LEN_BYTE_ARRAY width in bytes */
    int optional;          /* 1 = OPTIONAL (values may be null) */
    int is_string;         /* UTF8/STRING/ENUM/JSON annotation on a BYTE_ARRAY */
    int is_unsigned;       /* UINT_8..UINT_64 or INTEGER(signed=false) */
    const char *nested;    /* NULL for a flat column; else "LIST", "MAP",
                              "struct" or "REPEATED" (what makes it nested) */
} pq_column;

/* A value of the current row. bytes/len point into the reader's buffers and
 * stay valid until the next pq_next()/pq_close(). */
typedef struct {
    int is_null;
    pq_type type;
    int64_t i;             /* BOOLEAN (0/1), INT32 (sign-extended), INT64 */
    double d;              /* FLOAT (widened exactly), DOUBLE */
    float f;               /* FLOAT as stored */
    const uint8_t *bytes;  /* BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96 (12 raw bytes) */
    size_t len;
} pq_value;

/* Safety limits; zero fields take the defaults. */
typedef struct {
    uint64_t max_rows_per_group;  /* default 1<<26: a larger row group is refused */
    uint64_t max_page_bytes;      /* default 1<<30: largest uncompressed page */
} pq_options;

typedef struct pq_reader pq_reader;

/* Opens path and reads its footer and schema. Returns NULL with a one-line
 * message naming the file in err when it cannot be opened or read, is not
 * Parquet (no leading or trailing "PAR1", shorter than 12 bytes, footer length
 * beyond the file) or its footer does not decode. o may be NULL. Every flat
 * column is selected until pq_select() says otherwise. */
pq_reader *pq_open(const char *path, const pq_options *o, char *err, size_t errlen);

/* The schema's top-level columns, in file order. */
size_t pq_ncolumns(const pq_reader *r);
const pq_column *pq_column_at(const pq_reader *r, size_t i);
/* Index of the top-level column called name (exact match), -1 if none. */
long pq_column_index(const pq_reader *r, const char *name);

uint64_t pq_nrows(const pq_reader *r);          /* FileMetaData.num_rows */
size_t pq_nrow_groups(const pq_reader *r);
const char *pq_created_by(const pq_reader *r);  /* "" when absent */

/* Chooses the columns pq_get() returns, in this order (pq_get(r, k) is
 * names[k]). names == NULL selects every column, and then a nested column is
 * an error. Unknown or nested names are errors: -1 with a message naming the
 * column in err ("x.parquet: column 'a' is nested (LIST), which this reader
 * does not read"). Must be called before the first pq_next(). */
int pq_select(pq_reader *r, const char *const *names, size_t n, char *err, size_t errlen);
size_t pq_nselected(const pq_reader *r);
/* The column behind selected position k. */
const pq_column *pq_selected_column(const pq_reader *r, size_t k);

/* Advances to the next row: 1 = a row is current, 0 = end of file, -1 = the
 * file is corrupt or unreadable (pq_errmsg). After 0 or -1 it keeps
 * returning the same. */
int pq_next(pq_reader *r);
/* The current row's value of selected column k (0 <= k < pq_nselected). */
void pq_get(const pq_reader *r, size_t k, pq_value *v);
/* 0-based index of the current row in the file. */
uint64_t pq_row_no(const pq_reader *r);

/* Last error, "" when none. */
const char *pq_errmsg(const pq_reader *r);
/* Bytes of the file read so far and the file's size (for an ETA). */
void pq_progress(const pq_reader *r, uint64_t *done, uint64_t *total);

void pq_close(pq_reader *r);  /* NULL is a no-op */

/* Appends v as JSON by the conformance set's rules: null; true/false; an
 * integer (INT64 and UINT_64 outside ±2^53 as a decimal string); INT96 as
 * nanoseconds since the Unix epoch by the same rule; FLOAT and DOUBLE as the
 * shortest decimal that reads back to the same value (ECMAScript's
 * Number-to-String layout: 1e-7, 1e+21, -0; NaN/Infinity as strings); byte
 * arrays as a string when valid UTF-8, else {"base64":"..."}. */
void pq_value_json(ccbuf *b, const pq_column *c, const pq_value *v);

/* Appends the shortest round-trip decimal of a double (is_float = 0) or of a
 * float (is_float = 1), laid out as ECMAScript's Number-to-String does. */
void pq_format_number(ccbuf *b, double v, int is_float);

#endif
