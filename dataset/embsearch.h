/* embsearch.h — exact top-k search over half-float embedding rows.
 *
 * Brute force: every allowed row's dot product with the query (cosine, as
 * rows and query are L2-normalised), the k best kept in a small heap. The
 * dot product runs on AVX2 + F16C + FMA when the CPU has them (checked at
 * run time) and on a plain scalar loop otherwise; both accumulate in float,
 * so results agree to float rounding. At 1M x 512 rows this reads 1 GiB per
 * query; bench/bench_search.c measures it and says where an approximate
 * index would start to pay.
 *
 * Ordering: by score descending, ties by row ascending, so results are
 * reproducible. */
#ifndef CC_DATASET_EMBSEARCH_H
#define CC_DATASET_EMBSEARCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t row;
    float score;
} emb_hit;

/* Searches rows[0..n) (each dim halves, row r at rows + r*dim) for the k
 * rows with the largest dot product with q (dim floats). allow, when not
 * NULL, is a bitmap of n bits (bit r of byte r/8): rows whose bit is clear
 * are skipped. threads <= 0 means 1. Writes up to k hits into out, best
 * first, and returns how many (fewer than k when fewer rows are allowed). */
size_t emb_search(const uint16_t *rows, uint64_t n, int dim, const float *q, const uint8_t *allow, size_t k,
                  int threads, emb_hit *out);

/* The same with the scalar kernel only (the reference the tests and the
 * benchmark compare against). */
size_t emb_search_scalar(const uint16_t *rows, uint64_t n, int dim, const float *q, const uint8_t *allow, size_t k,
                         emb_hit *out);

/* 1 when emb_search uses the SIMD kernel on this CPU. */
int emb_search_simd(void);

/* Half floats: common/half.h (cc_f16_to_f32, cc_f32_to_f16). */

#endif
