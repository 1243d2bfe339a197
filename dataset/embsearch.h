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

/* The dot product emb_search uses on this CPU (the same function for every
 * row, so a row's score does not depend on how the rows were split). */
typedef float (*emb_dot_fn)(const uint16_t *row, const float *q, int dim);
emb_dot_fn emb_dot_kernel(void);

/* A bounded top-k in emb_search's order (score descending, then row
 * ascending), for callers that feed rows themselves (dataset/embstore.c). */
typedef struct {
    emb_hit *h; /* a heap while pushing; best first after emb_topk_sort */
    size_t n, k;
} emb_topk;

void emb_topk_init(emb_topk *t, size_t k); /* k >= 1 */
void emb_topk_free(emb_topk *t);
void emb_topk_push(emb_topk *t, uint64_t row, float score);
/* 1 when the top-k is full and (row, score) would not enter it. */
static inline int emb_topk_rejects(const emb_topk *t, uint64_t row, float score)
{
    return t->n == t->k && (score < t->h[0].score || (score == t->h[0].score && row > t->h[0].row));
}
/* The worst kept hit (the k-th once full); t must not be empty. */
static inline const emb_hit *emb_topk_worst(const emb_topk *t) { return &t->h[0]; }
/* Sorts the kept hits best first; pushing afterwards is not allowed. */
void emb_topk_sort(emb_topk *t);

/* Half floats: common/half.h (cc_f16_to_f32, cc_f32_to_f16). */

#endif
