/* pairs-parquet.h — the Parquet branch of the list readers (internal to
 * crawler/: pairs.c calls it for PAIRS_PARQUET; see pairs.h for the rules). */
#ifndef CC_PAIRS_PARQUET_H
#define CC_PAIRS_PARQUET_H

#include <stdint.h>

#include "pairs.h"

typedef struct pairs_pq pairs_pq;

/* Opens path and picks its url, caption, sha256 and extra columns. NULL with
 * a one-line message naming the file in err when it is not readable Parquet
 * or a column is missing, nested or of the wrong type. */
pairs_pq *pairs_pq_open(const char *path, const pairs_options *o, char *err, size_t errlen);
/* As pairs_next (row_no included). */
int pairs_pq_next(pairs_pq *q, pairs_row *row);
const char *pairs_pq_errmsg(const pairs_pq *q);
void pairs_pq_progress(const pairs_pq *q, uint64_t *done, uint64_t *total);
void pairs_pq_close(pairs_pq *q);

/* 1 if s is 64 hex digits; then lower-cased into out[65]. Shared with pairs.c. */
int pairs_sha256_norm(const char *s, size_t n, char out[65]);

#endif
