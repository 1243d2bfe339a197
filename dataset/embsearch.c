/* embsearch.c — exact top-k over half-float rows (see embsearch.h). */
#include "embsearch.h"
#include "half.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EMB_X86 1
#endif

/* ---- dot-product kernels ------------------------------------------------ */

static float dot_scalar(const uint16_t *row, const float *q, int dim)
{
    float s = 0;
    for (int i = 0; i < dim; i++)
        s += cc_f16_to_f32(row[i]) * q[i];
    return s;
}

#ifdef EMB_X86
__attribute__((target("avx2,f16c,fma"))) static float dot_avx2(const uint16_t *row, const float *q, int dim)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 32 <= dim; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + i))), _mm256_loadu_ps(q + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + i + 8))),
                             _mm256_loadu_ps(q + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + i + 16))),
                             _mm256_loadu_ps(q + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + i + 24))),
                             _mm256_loadu_ps(q + i + 24), a3);
    }
    for (; i + 8 <= dim; i += 8)
        a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + i))), _mm256_loadu_ps(q + i), a0);
    __m256 a = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    float r = _mm_cvtss_f32(s);
    for (; i < dim; i++)
        r += _cvtsh_ss(row[i]) * q[i];
    return r;
}
#endif

typedef float (*dot_fn)(const uint16_t *, const float *, int);

int emb_search_simd(void)
{
#ifdef EMB_X86
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* ---- top-k heap ---------------------------------------------------------- */

/* "a is worse than b": lower score, or the same score and a higher row. */
static int worse(const emb_hit *a, const emb_hit *b)
{
    return a->score < b->score || (a->score == b->score && a->row > b->row);
}

/* Min-heap on "worse": h[0] is the worst kept hit. */
static void heap_down(emb_hit *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(&h[l], &h[m]))
            m = l;
        if (r < n && worse(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        emb_hit t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_push(emb_hit *h, size_t *n, size_t k, emb_hit x)
{
    if (*n < k) {
        size_t i = (*n)++;
        h[i] = x;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!worse(&h[i], &h[p]))
                break;
            emb_hit t = h[i];
            h[i] = h[p];
            h[p] = t;
            i = p;
        }
    } else if (worse(&h[0], &x)) {
        h[0] = x;
        heap_down(h, *n, 0);
    }
}

void emb_topk_init(emb_topk *t, size_t k)
{
    t->k = k ? k : 1;
    t->n = 0;
    t->h = malloc(t->k * sizeof *t->h);
    if (!t->h)
        abort();
}

void emb_topk_free(emb_topk *t)
{
    free(t->h);
    t->h = NULL;
    t->n = 0;
}

void emb_topk_push(emb_topk *t, uint64_t row, float score) { heap_push(t->h, &t->n, t->k, (emb_hit){row, score}); }

static int best_first(const void *a, const void *b);

void emb_topk_sort(emb_topk *t) { qsort(t->h, t->n, sizeof *t->h, best_first); }

static int best_first(const void *a, const void *b)
{
    const emb_hit *x = a, *y = b;
    if (worse(x, y))
        return 1;
    if (worse(y, x))
        return -1;
    return 0;
}

typedef struct {
    const uint16_t *rows;
    uint64_t lo, hi;
    int dim;
    const float *q;
    const uint8_t *allow;
    size_t k;
    dot_fn dot;
    emb_hit *heap;
    size_t n;
} part;

static void *search_part(void *arg)
{
    part *p = arg;
    for (uint64_t r = p->lo; r < p->hi; r++) {
        if (p->allow && !(p->allow[r >> 3] & (1u << (r & 7)))) {
            if (p->allow[r >> 3] == 0) /* skip a whole empty byte */
                r |= 7;
            continue;
        }
        emb_hit h = {r, p->dot(p->rows + r * (uint64_t)p->dim, p->q, p->dim)};
        heap_push(p->heap, &p->n, p->k, h);
    }
    return NULL;
}

static size_t search(const uint16_t *rows, uint64_t n, int dim, const float *q, const uint8_t *allow, size_t k,
                     int threads, dot_fn dot, emb_hit *out)
{
    if (k == 0 || n == 0 || dim <= 0)
        return 0;
    if (threads < 1)
        threads = 1;
    if ((uint64_t)threads > n / 4096 + 1) /* small inputs: threads cost more than they save */
        threads = (int)(n / 4096 + 1);
    part *ps = calloc((size_t)threads, sizeof *ps);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    char *started = calloc((size_t)threads, 1);
    if (!ps || !tid || !started)
        abort();
    for (int t = 0; t < threads; t++) {
        /* split on multiples of 8 rows so no two parts share a bitmap byte */
        uint64_t lo = n * (uint64_t)t / (uint64_t)threads & ~(uint64_t)7;
        uint64_t hi = t + 1 == threads ? n : n * (uint64_t)(t + 1) / (uint64_t)threads & ~(uint64_t)7;
        ps[t] = (part){rows, lo, hi, dim, q, allow, k, dot, malloc(k * sizeof(emb_hit)), 0};
        if (!ps[t].heap)
            abort();
    }
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, search_part, &ps[t]) == 0;
    search_part(&ps[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            search_part(&ps[t]); /* no thread could start: do its part here */
    }
    size_t m = 0;
    emb_hit *all = malloc((size_t)threads * k * sizeof *all);
    if (!all)
        abort();
    for (int t = 0; t < threads; t++) {
        memcpy(all + m, ps[t].heap, ps[t].n * sizeof *all);
        m += ps[t].n;
        free(ps[t].heap);
    }
    qsort(all, m, sizeof *all, best_first);
    if (m > k)
        m = k;
    memcpy(out, all, m * sizeof *out);
    free(all);
    free(ps);
    free(tid);
    free(started);
    return m;
}

emb_dot_fn emb_dot_kernel(void)
{
#ifdef EMB_X86
    if (emb_search_simd())
        return dot_avx2;
#endif
    return dot_scalar;
}

size_t emb_search(const uint16_t *rows, uint64_t n, int dim, const float *q, const uint8_t *allow, size_t k,
                  int threads, emb_hit *out)
{
    return search(rows, n, dim, q, allow, k, threads, emb_dot_kernel(), out);
}

size_t emb_search_scalar(const uint16_t *rows, uint64_t n, int dim, const float *q, const uint8_t *allow, size_t k,
                         emb_hit *out)
{
    return search(rows, n, dim, q, allow, k, 1, dot_scalar, out);
}
