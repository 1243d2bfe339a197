/* embstore.h — exact top-k search over the embedding files of one model,
 * read the way a one-shot command and a long-running caller each need.
 *
 * The rows live in the F16 file and, when the writer has made it, its int8
 * copy (embfile.h, embint8.h). A search is always exact: the same hits and
 * the same float scores as emb_search over the F16 rows (embsearch.h).
 *
 *   int8 pass    every allowed row of the int8 copy gets an upper bound of
 *                its exact score (half the bytes of the F16 rows); the
 *                k + 1024 rows with the best bounds are rescored from the F16
 *                file, best bound first, until the next bound is below the
 *                k-th exact score. The result is exact when every row left
 *                out has a bound below the k-th exact score, which is checked;
 *                when it does not hold (many near-ties, a damaged copy) the
 *                search runs the F16 pass instead.
 *   F16 pass     every allowed row's dot product (no int8 copy, or
 *                EMB_STORE_NO_INT8).
 *
 * Reading: a first search maps the file it reads only when the kernel maps
 * it with 2 MiB entries (checked on the first 2 MiB: the page cache holds the
 * file in large folios, as after the writer laid the int8 copy out in large
 * blocks); otherwise it streams the file with pread() in 256 KiB blocks per
 * thread (the kernel copies from the page cache, and no page tables are
 * built for a 500 MiB - 1 GiB mapping a one-shot process would use once:
 * in a VM those cost far more than the scan). From the second search on (or
 * the first with EMB_STORE_MAP) the file is mapped, 2 MiB-aligned with
 * MADV_HUGEPAGE, and stays mapped, so a caller that searches again reads
 * memory. Rescoring reads single F16 rows with pread.
 *
 * Errors: functions returning int give 0 / -1 with one line naming the file
 * in err. Allocation failure aborts. Not thread-safe: one search at a time
 * per store. */
#ifndef CC_DATASET_EMBSTORE_H
#define CC_DATASET_EMBSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "embsearch.h"

enum {
    EMB_STORE_NO_INT8 = 1, /* ignore the int8 copy: the F16 pass every time */
    EMB_STORE_MAP = 2,     /* map the rows for the first search already */
    EMB_STORE_STREAM = 4,  /* first search: stream even a file that maps in 2 MiB entries (to compare) */
};

typedef struct emb_store emb_store;

/* Opens the F16 file at f16_path (checked as embfile_map_open checks it:
 * header, dim when dim > 0, at least valid_rows rows) and its int8 copy when
 * usable. Only the first valid_rows rows are searched. NULL with err set. */
emb_store *emb_store_open(const char *f16_path, int dim, uint64_t valid_rows, int flags, char *err, size_t errlen);
void emb_store_close(emb_store *s); /* NULL is a no-op */

uint64_t emb_store_count(const emb_store *s);
int emb_store_dim(const emb_store *s);
int emb_store_has_int8(const emb_store *s); /* 1 when the int8 pass is used */

/* Row r (< count) as floats (out holds dim floats). */
int emb_store_row(emb_store *s, uint64_t r, float *out, char *err, size_t errlen);

/* What the last search did (for the benchmark and the tests). */
typedef struct {
    int int8;          /* the int8 pass proved the result */
    int fallback;      /* the int8 pass could not prove it: the F16 pass ran */
    int mapped;        /* the pass read a mapping (else pread) */
    int huge;          /* a first search found the file mapped with 2 MiB entries */
    uint64_t rescored; /* F16 rows rescored after the int8 pass */
} emb_store_info;

/* The k rows (among allow, as in emb_search) with the largest dot product
 * with q (dim floats), best first, into out; their number in *n. threads <= 0
 * means 1. info may be NULL. */
int emb_store_search(emb_store *s, const float *q, const uint8_t *allow, size_t k, int threads, emb_hit *out,
                     size_t *n, emb_store_info *info, char *err, size_t errlen);

#endif
