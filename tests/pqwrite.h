/* pqwrite.h — a small Parquet writer for tests and benchmarks.
 *
 * Writes flat files: one DATA_PAGE (v1) per column chunk, PLAIN values,
 * RLE/bit-packed definition levels for OPTIONAL columns, UNCOMPRESSED or
 * SNAPPY pages, rows cut into row groups of rows_per_group. Enough to make
 * lists whose URLs point at a test server, and large synthetic files for
 * bench/bench-parquet.sh; not a general writer (no dictionaries, no stats).
 */
#ifndef CC_TESTS_PQWRITE_H
#define CC_TESTS_PQWRITE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { PQW_STRING, PQW_INT32, PQW_INT64, PQW_FLOAT, PQW_DOUBLE, PQW_FIXED } pqw_type;

typedef struct {
    const char *name;
    pqw_type type;
    int optional;             /* 1 = OPTIONAL: null where isnull[i] (or str[i] == NULL) */
    int fixed_len;            /* PQW_FIXED: bytes per value (str[i] holds them) */
    const char *const *str;   /* PQW_STRING / PQW_FIXED values */
    const int64_t *i64;       /* PQW_INT32 / PQW_INT64 */
    const double *f64;        /* PQW_FLOAT / PQW_DOUBLE */
    const uint8_t *isnull;    /* may be NULL */
} pqw_col;

/* Writes nrows rows of cols to path. codec 0 = UNCOMPRESSED, 1 = SNAPPY.
 * Returns 0, or -1 (errno) when the file cannot be written. */
int pqw_write(const char *path, const pqw_col *cols, int ncols, size_t nrows, size_t rows_per_group,
              int codec);

#endif
