/* test_embstore.c — the int8 copy of the embedding file and the exact search
 * over the files (dataset/embint8.h, dataset/embstore.h).
 *
 * Bound: for rows and queries of many shapes (unit, one-hot, constant, tiny,
 * large, zero, NaN) the int8 bound is never below the exact score of either
 * dot-product kernel. Search: emb_store_search returns exactly emb_search's
 * hits (same rows, same float scores) with and without the int8 copy,
 * streamed and mapped, on 1 and 2 threads, with a filter, on random rows and
 * on rows full of exact ties (which defeat the int8 proof and must fall back
 * to the F16 pass). Copy: written with the rows, cut back with them after a
 * killed run, rebuilt byte-identical when deleted, ignored by readers while
 * short or damaged and then repaired by the next writer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "embfile.h"
#include "embint8.h"
#include "embsearch.h"
#include "embstore.h"
#include "half.h"
#include "testutil.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static double urand(void)
{
    return tu_urand(&rng);
}

static void unit(float *v, int d)
{
    tu_unit_vector(&rng, v, d);
}

/* v rounded to half floats and back: what the F16 file holds. */
static void as_half(float *v, uint16_t *h, int d)
{
    for (int i = 0; i < d; i++) {
        h[i] = cc_f32_to_f16(v[i]);
        v[i] = cc_f16_to_f32(h[i]);
    }
}

/* Row shapes for the bound test. */
static void shape(int kind, float *v, int d)
{
    switch (kind) {
    case 0: unit(v, d); break;
    case 1: memset(v, 0, (size_t)d * sizeof *v); v[(int)(urand() * d)] = 1; break;            /* one-hot */
    case 2: for (int i = 0; i < d; i++) v[i] = (float)(1 / sqrt(d)); break;                     /* constant */
    case 3: unit(v, d); for (int i = 0; i < d; i++) v[i] *= 1e-6f; break;                        /* tiny */
    case 4: unit(v, d); for (int i = 0; i < d; i++) v[i] *= 300; break;                          /* large */
    case 5: unit(v, d); v[0] = 0.9f; break;                                                      /* an outlier */
    default: memset(v, 0, (size_t)d * sizeof *v); break;                                        /* zero */
    }
}

static void test_bound(void)
{
    const int dims[] = {512, 37, 8};
    emb_dot_fn dot = emb_dot_kernel();
    int bad = 0, checked = 0;
    for (size_t di = 0; di < 3; di++) {
        int d = dims[di];
        float v[512], q[512];
        uint16_t h[512];
        unsigned char *row = xmalloc(embi8_stride(d));
        for (int qk = 0; qk < 7; qk++) {
            for (int rep = 0; rep < 20; rep++) {
                shape(qk, q, d);
                embi8_query p;
                embi8_query_init(&p, q, d);
                for (int rk = 0; rk < 7; rk++) {
                    shape(rk, v, d);
                    as_half(v, h, d);
                    embi8_quantize(v, d, row);
                    float b = embi8_bound(&p, row);
                    float s1 = dot(h, q, d);
                    double s2 = 0;
                    for (int i = 0; i < d; i++)
                        s2 += (double)v[i] * q[i];
                    checked++;
                    if (!(b >= s1 && b >= s2)) {
                        if (bad++ < 5)
                            CHECK(0, "d=%d query %d row %d: bound %.9g below exact %.9g / %.9g", d, qk, rk, b, s1, s2);
                    }
                }
                embi8_query_free(&p);
            }
        }
        /* a row with NaN is always rescored */
        unit(v, d);
        v[d / 2] = NAN;
        embi8_quantize(v, d, row);
        unit(q, d);
        embi8_query p;
        embi8_query_init(&p, q, d);
        CHECK(isinf(embi8_bound(&p, row)), "NaN row: bound %g", embi8_bound(&p, row));
        embi8_query_free(&p);
        free(row);
    }
    CHECK(bad == 0, "%d of %d bounds below the exact score", bad, checked);
    /* the integer kernel against a plain loop, odd lengths included */
    int8_t a[200], b2[200];
    for (int i = 0; i < 200; i++) {
        a[i] = (int8_t)(urand() * 255 - 127);
        b2[i] = (int8_t)(urand() * 255 - 127);
    }
    a[0] = -128; /* a damaged byte must not overflow either */
    for (int n = 0; n <= 200; n += 13) {
        int32_t want = 0;
        for (int i = 0; i < n; i++)
            want += a[i] * b2[i];
        CHECK(embi8_dot(a, b2, n) == want, "int8 dot of %d: %d, want %d", n, embi8_dot(a, b2, n), want);
    }
}

/* Writes n rows (made by fill) into dir/m-fp32.f16 (and its copy). */
typedef void (*fill_fn)(float *v, int d, uint64_t r);
static void fill_random(float *v, int d, uint64_t r) { (void)r, unit(v, d); }
static void fill_ties(float *v, int d, uint64_t r)
{
    /* 3 distinct rows repeated: the best score is tied by more rows than
     * the int8 pass keeps */
    uint64_t save = rng;
    rng = 0x9e3779b97f4a7c15ull * (r % 3 + 1);
    unit(v, d);
    rng = save;
}

static char *write_rows(const char *dir, int d, uint64_t n, fill_fn fill)
{
    char *path = xasprintf("%s/m-fp32.f16", dir);
    char *p8 = embfile_i8_path(path);
    unlink(path);
    unlink(p8);
    free(p8);
    char err[256];
    embfile_writer *w = embfile_writer_open(path, d, 0, "0123456789abcdef", err, sizeof err);
    CHECK(w != NULL, "writer: %s", err);
    float *v = xmalloc((size_t)d * sizeof *v);
    for (uint64_t r = 0; w && r < n; r++) {
        fill(v, d, r);
        embfile_append(w, v, err, sizeof err);
    }
    CHECK(embfile_writer_close(w, err, sizeof err) == 0, "close: %s", err);
    free(v);
    return path;
}

/* Every mode of emb_store_search against emb_search over the mapped rows. */
static void compare_modes(const char *what, const char *path, int d, uint64_t n, int expect_int8)
{
    char err[256];
    embfile_map m;
    CHECK(embfile_map_open(&m, path, d, n, err, sizeof err) == 0, "%s: map: %s", what, err);
    uint8_t *allow = xcalloc((size_t)n / 8 + 1, 1);
    for (uint64_t r = 0; r < n; r += 3)
        allow[r / 8] |= (uint8_t)(1u << (r % 8));
    const size_t ks[] = {1, 10, 100};
    const int flags[] = {0, EMB_STORE_MAP, EMB_STORE_STREAM, EMB_STORE_NO_INT8, EMB_STORE_NO_INT8 | EMB_STORE_MAP};
    const size_t nflags = sizeof flags / sizeof *flags;
    emb_hit want[100], got[100];
    float q[512];
    int proved = 0, fell_back = 0, huge = 0;
    for (int qi = 0; qi < 3; qi++) {
        if (qi < 2)
            unit(q, d);
        else
            embfile_row_f32(&m, n / 2, q); /* a stored row: many exact matches with ties */
        for (size_t ki = 0; ki < 3; ki++) {
            for (int f = 0; f < 2; f++) {
                const uint8_t *al = f ? allow : NULL;
                size_t nw = emb_search(m.rows, n, d, q, al, ks[ki], 2, want);
                for (size_t fl = 0; fl < nflags; fl++) {
                    emb_store *s = emb_store_open(path, d, n, flags[fl], err, sizeof err);
                    CHECK(s != NULL, "%s: open: %s", what, err);
                    if (!s)
                        continue;
                    CHECK(emb_store_has_int8(s) == (expect_int8 && !(flags[fl] & EMB_STORE_NO_INT8)),
                          "%s: int8 copy used %d", what, emb_store_has_int8(s));
                    for (int t = 1; t <= 2; t++) {
                        /* twice on one store: streamed, then mapped */
                        for (int again = 0; again < 2; again++) {
                            size_t ng = 0;
                            emb_store_info info;
                            int rc = emb_store_search(s, q, al, ks[ki], t, got, &ng, &info, err, sizeof err);
                            CHECK(rc == 0, "%s: search: %s", what, err);
                            int same = ng == nw;
                            for (size_t i = 0; same && i < ng; i++)
                                same = got[i].row == want[i].row && got[i].score == want[i].score;
                            CHECK(same, "%s: q%d k=%zu filter=%d flags=%d threads=%d pass %d: %zu hits differ from emb_search (%zu)",
                                  what, qi, ks[ki], f, flags[fl], t, again, ng, nw);
                            /* a first search maps only a file the kernel maps in 2 MiB entries */
                            CHECK(info.mapped == ((flags[fl] & EMB_STORE_MAP) || again || t == 2 || info.huge),
                                  "%s: mapped %d (huge %d) on pass %d", what, info.mapped, info.huge, again);
                            huge += info.huge;
                            CHECK(!info.huge || (!(flags[fl] & EMB_STORE_STREAM) && !again && t == 1),
                                  "%s: a 2 MiB mapping reported outside a first search", what);
                            proved += info.int8;
                            fell_back += info.fallback;
                            if (info.int8)
                                CHECK(info.rescored <= ks[ki] + 1024, "%s: rescored %llu", what,
                                      (unsigned long long)info.rescored);
                        }
                    }
                    emb_store_close(s);
                }
            }
        }
    }
    if (expect_int8 == 1)
        CHECK(proved > 0, "%s: the int8 pass never proved a result (%d fallbacks)", what, fell_back);
    if (expect_int8 == 2)
        CHECK(fell_back > 0, "%s: exact ties never made the int8 pass fall back", what);
    printf("%s: int8 proved %d searches, fell back %d; first searches on 2 MiB mappings: %d\n", what, proved,
           fell_back, huge);
    free(allow);
    embfile_map_close(&m);
}

static void test_search(const char *dir)
{
    char *p = write_rows(dir, 512, 16000, fill_random);
    /* 10 MiB of copy written in one session is laid out again in large
     * blocks (embfile.c: i8_rewrite), through a temporary file */
    char *p8 = embfile_i8_path(p), *tmp = xasprintf("%s.tmp", p8);
    CHECK(access(p8, F_OK) == 0 && access(tmp, F_OK) != 0, "copy rewritten, no %s left", tmp);
    free(p8), free(tmp);
    compare_modes("random 512-d", p, 512, 16000, 1);
    free(p);
    p = write_rows(dir, 37, 3001, fill_random);
    compare_modes("random 37-d", p, 37, 3001, 1);
    free(p);
    p = write_rows(dir, 64, 5000, fill_ties);
    compare_modes("ties", p, 64, 5000, 2);
    free(p);
    p = write_rows(dir, 16, 5, fill_random);
    compare_modes("fewer rows than k", p, 16, 5, 1);
    free(p);
}

static off_t size_of(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void test_copy(const char *dir)
{
    const int d = 40;
    const off_t stride = (off_t)embi8_stride(d);
    char err[256];
    char *path = write_rows(dir, d, 10, fill_random);
    char *p8 = embfile_i8_path(path);
    CHECK(strcmp(p8 + strlen(p8) - 5, "-fp32.i8") == 0 || strstr(p8, "m-fp32.i8"), "copy path %s", p8);
    CHECK(size_of(p8) == EMBFILE_HEADER + 10 * stride, "copy is %lld bytes", (long long)size_of(p8));
    size_t len;
    char *orig = tu_read_file(p8, &len);
    CHECK(orig && memcmp(orig, EMBI8_MAGIC, 8) == 0 && orig[16] == d && orig[24] == 10, "copy header");

    /* a run killed after appending 3 rows past the index's 10: both files cut */
    float v[40];
    unit(v, d);
    embfile_writer *w = embfile_writer_open(path, d, 10, NULL, err, sizeof err);
    for (int r = 0; r < 3; r++)
        embfile_append(w, v, err, sizeof err);
    embfile_writer_close(w, err, sizeof err);
    CHECK(size_of(p8) == EMBFILE_HEADER + 13 * stride, "copy grew with the rows");
    w = embfile_writer_open(path, d, 10, NULL, err, sizeof err);
    CHECK(w != NULL, "reopen: %s", err);
    CHECK(size_of(p8) == EMBFILE_HEADER + 10 * stride, "copy cut back to 10 rows: %lld", (long long)size_of(p8));
    embfile_writer_close(w, err, sizeof err);

    /* deleted: the next writer rebuilds it, byte for byte */
    unlink(p8);
    emb_store *s = emb_store_open(path, d, 10, 0, err, sizeof err);
    CHECK(s && !emb_store_has_int8(s), "no copy: the F16 pass");
    emb_store_close(s);
    w = embfile_writer_open(path, d, 10, NULL, err, sizeof err);
    CHECK(w != NULL, "backfill: %s", err);
    embfile_writer_close(w, err, sizeof err);
    char *again = tu_read_file(p8, &len);
    CHECK(again && orig && len == (size_t)(EMBFILE_HEADER + 10 * stride) &&
              memcmp(again + EMBFILE_HEADER, orig + EMBFILE_HEADER, len - EMBFILE_HEADER) == 0,
          "rebuilt copy equals the original");
    free(again);

    /* short (a power cut): readers ignore it, the writer completes it */
    CHECK(truncate(p8, EMBFILE_HEADER + 4 * stride + 7) == 0, "truncate");
    s = emb_store_open(path, d, 10, 0, err, sizeof err);
    CHECK(s && !emb_store_has_int8(s), "short copy ignored");
    emb_store_close(s);
    w = embfile_writer_open(path, d, 10, NULL, err, sizeof err);
    embfile_writer_close(w, err, sizeof err);
    again = tu_read_file(p8, &len);
    CHECK(again && orig && len == (size_t)(EMBFILE_HEADER + 10 * stride) &&
              memcmp(again + EMBFILE_HEADER, orig + EMBFILE_HEADER, len - EMBFILE_HEADER) == 0,
          "completed copy equals the original");
    free(again);

    /* a rewrite killed before its rename left X.i8.tmp: the next writer removes it */
    char *tmp = xasprintf("%s.tmp", p8);
    tu_write_file(tmp, "half a copy", 11);
    w = embfile_writer_open(path, d, 10, NULL, err, sizeof err);
    embfile_writer_close(w, err, sizeof err);
    CHECK(access(tmp, F_OK) != 0, "leftover %s removed", tmp);
    free(tmp);

    /* damaged header: ignored, then rebuilt */
    tu_write_file(p8, "garbage", 7);
    s = emb_store_open(path, d, 10, 0, err, sizeof err);
    CHECK(s && !emb_store_has_int8(s), "damaged copy ignored");
    emb_store_close(s);
    w = embfile_writer_open(path, d, 10, NULL, err, sizeof err);
    CHECK(w != NULL, "rebuild over a damaged copy: %s", err);
    embfile_writer_close(w, err, sizeof err);
    s = emb_store_open(path, d, 10, 0, err, sizeof err);
    CHECK(s && emb_store_has_int8(s), "rebuilt copy used");
    float row[40];
    CHECK(s && emb_store_row(s, 3, row, err, sizeof err) == 0, "row 3: %s", err);
    CHECK(s && emb_store_row(s, 10, row, err, sizeof err) != 0, "row 10 is past the valid rows");
    emb_store_close(s);
    /* a reader's missing F16 file is an error naming it */
    CHECK(emb_store_open("/nonexistent/m-fp32.f16", d, 1, 0, err, sizeof err) == NULL && strstr(err, "/nonexistent"),
          "missing file: %s", err);
    free(orig);
    free(p8);
    free(path);
}

int main(void)
{
    char *dir = tu_mkdtemp("embstore");
    test_bound();
    test_search(dir);
    test_copy(dir);
    tu_rm_rf(dir);
    free(dir);
    return check_summary();
}
