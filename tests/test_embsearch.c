/* test_embsearch.c — the embedding file and the top-k search (dataset/embfile.h,
 * dataset/embsearch.h).
 *
 * Search: random unit vectors; the SIMD search (1 and 2 threads) must return
 * the same top-k set as a plain double-precision loop written here, with a
 * bitmap filter too. File: rows written, mapped back bit-exact; rows appended
 * past the index's count (a run killed before its commit) are cut off at the
 * next open; a file shorter than the index says is refused; bad headers are
 * refused with a message naming the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "half.h"
#include "common.h"
#include "embfile.h"
#include "embsearch.h"
#include "testutil.h"

static uint64_t rng = 88172645463325252ull;
static void unit(float *v, int d)
{
    tu_unit_vector(&rng, v, d);
}

typedef struct {
    double s;
    uint64_t r;
} ref_hit;

static int ref_cmp(const void *a, const void *b)
{
    const ref_hit *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? 1 : -1;
    return x->r < y->r ? -1 : x->r > y->r;
}

/* The reference: every row's dot product in double, sorted. */
static size_t reference(const uint16_t *rows, uint64_t n, int d, const float *q, const uint8_t *allow, size_t k,
                        ref_hit *out)
{
    ref_hit *all = xmalloc((size_t)n * sizeof *all);
    size_t m = 0;
    for (uint64_t r = 0; r < n; r++) {
        if (allow && !(allow[r / 8] >> (r % 8) & 1))
            continue;
        double s = 0;
        for (int i = 0; i < d; i++)
            s += (double)cc_f16_to_f32(rows[r * d + i]) * q[i];
        all[m++] = (ref_hit){s, r};
    }
    qsort(all, m, sizeof *all, ref_cmp);
    if (m > k)
        m = k;
    memcpy(out, all, m * sizeof *out);
    free(all);
    return m;
}

/* Top-k sets equal, allowing a swap at the boundary only between rows whose
 * reference scores are equal within float rounding. */
static void same_set(const char *what, const emb_hit *h, size_t nh, const ref_hit *ref, size_t nr)
{
    CHECK(nh == nr, "%s: %zu hits, reference %zu", what, nh, nr);
    if (nh != nr)
        return;
    double kth = nr ? ref[nr - 1].s : 0;
    for (size_t i = 0; i < nh; i++) {
        int found = 0;
        for (size_t j = 0; j < nr; j++)
            found |= ref[j].r == h[i].row;
        if (!found)
            CHECK(fabs(h[i].score - kth) < 1e-5, "%s: row %llu (%.6f) not in the reference top-%zu (k-th %.6f)", what,
                  (unsigned long long)h[i].row, h[i].score, nr, kth);
        if (i > 0)
            CHECK(h[i - 1].score >= h[i].score, "%s: hits not sorted at %zu", what, i);
    }
    for (size_t i = 0; i < nh; i++)
        CHECK(fabs(h[i].score - ref[i].s) < 1e-4, "%s: hit %zu score %.6f, reference %.6f", what, i, h[i].score,
              ref[i].s);
}

static void test_half(void)
{
    static const float v[] = {0.0f, 1.0f, -2.0f, 0.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 0.333333f};
    static const uint16_t h[] = {0x0000, 0x3c00, 0xc000, 0x3800, 0x7bff, 0x0400, 0x0001, 0x3555};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        CHECK(cc_f32_to_f16(v[i]) == h[i], "f32->f16(%g) = %04x, want %04x", v[i], cc_f32_to_f16(v[i]), h[i]);
        if (i != 7)
            CHECK(cc_f16_to_f32(h[i]) == v[i], "f16->f32(%04x) = %g, want %g", h[i], cc_f16_to_f32(h[i]), v[i]);
    }
    CHECK(cc_f32_to_f16(1e6f) == 0x7c00, "overflow gives inf");
    /* every half round-trips */
    for (uint32_t x = 0; x < 0x10000; x++) {
        if ((x & 0x7c00) == 0x7c00 && (x & 0x3ff))
            continue; /* NaN payloads */
        uint16_t y = cc_f32_to_f16(cc_f16_to_f32((uint16_t)x));
        if (y != x) {
            CHECK(0, "half %04x round-trips to %04x", x, y);
            break;
        }
    }
}

static void test_search(int d, uint64_t n, size_t k)
{
    uint16_t *rows = xmalloc((size_t)n * d * sizeof *rows);
    float *v = xmalloc((size_t)d * sizeof *v), q[1024];
    for (uint64_t r = 0; r < n; r++) {
        unit(v, d);
        for (int i = 0; i < d; i++)
            rows[r * d + i] = cc_f32_to_f16(v[i]);
    }
    unit(q, d);
    emb_hit *h = xmalloc(k * sizeof *h);
    ref_hit *ref = xmalloc(k * sizeof *ref);
    size_t nr = reference(rows, n, d, q, NULL, k, ref);
    char what[96];
    for (int t = 1; t <= 3; t++) {
        size_t nh = emb_search(rows, n, d, q, NULL, k, t, h);
        snprintf(what, sizeof what, "d=%d n=%llu k=%zu threads=%d", d, (unsigned long long)n, k, t);
        same_set(what, h, nh, ref, nr);
    }
    size_t nh = emb_search_scalar(rows, n, d, q, NULL, k, h);
    snprintf(what, sizeof what, "scalar d=%d n=%llu", d, (unsigned long long)n);
    same_set(what, h, nh, ref, nr);

    /* a filter: every third row allowed */
    uint8_t *allow = xcalloc((size_t)n / 8 + 1, 1);
    for (uint64_t r = 0; r < n; r += 3)
        allow[r / 8] |= (uint8_t)(1u << (r % 8));
    nr = reference(rows, n, d, q, allow, k, ref);
    nh = emb_search(rows, n, d, q, allow, k, 2, h);
    snprintf(what, sizeof what, "filtered d=%d n=%llu", d, (unsigned long long)n);
    same_set(what, h, nh, ref, nr);
    for (size_t i = 0; i < nh; i++)
        CHECK(h[i].row % 3 == 0, "filtered search returned row %llu", (unsigned long long)h[i].row);
    free(allow);
    free(rows), free(v), free(h), free(ref);
}

static void test_file(void)
{
    char *dir = tu_mkdtemp("embfile");
    char *path = xasprintf("%s/m-fp32.f16", dir);
    char err[256];
    const int d = 40;
    float v[40], back[40];

    embfile_writer *w = embfile_writer_open(path, d, 0, "0123456789abcdef", err, sizeof err);
    CHECK(w != NULL, "open new: %s", err);
    for (int r = 0; r < 10; r++) {
        for (int i = 0; i < d; i++)
            v[i] = (float)(r * 100 + i) / 4096.0f;
        CHECK(embfile_append(w, v, err, sizeof err) == r, "append row %d", r);
    }
    CHECK(embfile_writer_close(w, err, sizeof err) == 0, "close: %s", err);

    embfile_map m;
    CHECK(embfile_map_open(&m, path, d, 10, err, sizeof err) == 0, "map: %s", err);
    CHECK(m.count == 10 && m.dim == d, "map count %llu dim %d", (unsigned long long)m.count, m.dim);
    embfile_row_f32(&m, 7, back);
    for (int i = 0; i < d; i++)
        CHECK(back[i] == cc_f16_to_f32(cc_f32_to_f16((float)(700 + i) / 4096.0f)), "row 7 element %d", i);
    embfile_map_close(&m);
    size_t len;
    char *bytes = tu_read_file(path, &len);
    CHECK(len == EMBFILE_HEADER + 10 * d * 2, "file is %zu bytes", len);
    CHECK(bytes && memcmp(bytes, EMBFILE_MAGIC, 8) == 0 && bytes[16] == d && bytes[24] == 10,
          "header magic/dim/count");
    CHECK(bytes && strcmp(bytes + 32, "0123456789abcdef") == 0, "header model id");
    free(bytes);

    /* A run killed after appending rows 10..12 but before its index commit:
     * the index still says 10, so the next writer cuts the file back. */
    w = embfile_writer_open(path, d, 10, NULL, err, sizeof err);
    for (int r = 0; r < 3; r++)
        embfile_append(w, v, err, sizeof err);
    embfile_writer_close(w, err, sizeof err); /* rows on disk; the index never heard of them */
    embfile_writer *w2 = embfile_writer_open(path, d, 10, NULL, err, sizeof err);
    CHECK(w2 != NULL, "reopen after a crash: %s", err);
    CHECK(w2 && embfile_writer_rows(w2) == 10, "rows after recovery %llu", (unsigned long long)embfile_writer_rows(w2));
    CHECK(w2 && embfile_append(w2, v, err, sizeof err) == 10, "next row is 10");
    embfile_writer_close(w2, err, sizeof err);

    /* readers never see rows the index does not vouch for */
    CHECK(embfile_map_open(&m, path, d, 5, err, sizeof err) == 0 && m.count == 5, "map with 5 valid rows");
    embfile_map_close(&m);
    /* the index references more rows than the file holds: refused */
    CHECK(embfile_map_open(&m, path, d, 50, err, sizeof err) != 0 && strstr(err, "truncated"), "short file: %s", err);
    CHECK(embfile_writer_open(path, d, 50, NULL, err, sizeof err) == NULL && strstr(err, path), "short file writer");
    /* dimension mismatch */
    CHECK(embfile_map_open(&m, path, 64, 1, err, sizeof err) != 0 && strstr(err, "64"), "dim mismatch: %s", err);
    /* bad magic */
    char *bad = xasprintf("%s/bad.f16", dir);
    char junk[100] = "NOTEMBED";
    tu_write_file(bad, junk, sizeof junk);
    CHECK(embfile_map_open(&m, bad, 0, 0, err, sizeof err) != 0 && strstr(err, "magic") && strstr(err, bad),
          "bad magic: %s", err);
    CHECK(embfile_writer_open(bad, d, 0, NULL, err, sizeof err) == NULL, "writer refuses a foreign file");
    tu_write_file(bad, junk, 10);
    CHECK(embfile_map_open(&m, bad, 0, 0, err, sizeof err) != 0 && strstr(err, "header"), "short header: %s", err);
    CHECK(embfile_map_open(&m, "/nonexistent/x.f16", 0, 0, err, sizeof err) != 0, "missing file");
    free(bad);
    free(path);
    tu_rm_rf(dir);
    free(dir);
}

int main(void)
{
    test_half();
    test_search(512, 20000, 10);
    test_search(512, 5003, 100);
    test_search(37, 1000, 5);    /* a dim that is no multiple of 8 */
    test_search(64, 3, 10);      /* fewer rows than k */
    test_file();
    printf("simd kernel: %s\n", emb_search_simd() ? "avx2+f16c" : "scalar only");
    return check_summary();
}
