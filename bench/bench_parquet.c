/* bench_parquet.c — Parquet reading speed (crawler/parquet.h), and the
 * synthetic LAION-shaped file bench-parquet.sh compares on.
 *
 *   bench_parquet gen OUT.parquet ROWS [ROWS_PER_GROUP]
 *       writes ROWS rows shaped like LAION-400M metadata (SAMPLE_ID, URL,
 *       TEXT, HEIGHT, WIDTH, LICENSE, NSFW, similarity, pwatermark,
 *       punsafe; nulls where LAION has them), SNAPPY, with tests/pqwrite.c
 *   bench_parquet read FILE [ROUNDS]
 *       reads every row and every column ROUNDS times (default 5), touching
 *       each value, and prints one JSON line: rows, median wall and CPU
 *       seconds, rows per second of each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "parquet.h"
#include "pqwrite.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int gen(const char *out, size_t n, size_t per_group)
{
    static const char *const words[] = {"golden", "retriever", "on", "a", "beach", "sunset", "over", "the",
                                        "mountains", "stock", "photo", "vintage", "red", "car", "parked",
                                        "street", "wedding", "dress", "lace", "modern", "kitchen", "design",
                                        "cat", "sleeping", "sofa", "illustration", "vector", "icon", "set",
                                        "watercolor", "flowers", "bouquet", "Berlin", "Tokyo", "photo #"};
    const size_t nw = sizeof words / sizeof words[0];
    char **url = xcalloc(n, sizeof *url), **text = xcalloc(n, sizeof *text), **lic = xcalloc(n, sizeof *lic),
         **nsfw = xcalloc(n, sizeof *nsfw);
    int64_t *sid = xcalloc(n, sizeof *sid), *h = xcalloc(n, sizeof *h), *w = xcalloc(n, sizeof *w);
    double *sim = xcalloc(n, sizeof *sim), *pw = xcalloc(n, sizeof *pw), *pu = xcalloc(n, sizeof *pu);
    uint8_t *hnull = xcalloc(n, 1), *pwnull = xcalloc(n, 1), *punull = xcalloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        sid[i] = 1000000000LL + (int64_t)i * 7;
        url[i] = xasprintf("http://example.com/%08llx/images/%zu.jpg?w=%d", (unsigned long long)(rnd() & 0xffffffff), i,
                           (int)(rnd() % 2000));
        if (rnd() % 32 == 0) {
            text[i] = NULL;
        } else {
            ccbuf b = {0};
            int k = 3 + (int)(rnd() % 18);
            for (int j = 0; j < k; j++)
                ccbuf_printf(&b, "%s%s", j ? " " : "", words[rnd() % nw]);
            text[i] = (char *)b.data;
        }
        hnull[i] = rnd() % 50 == 0;
        h[i] = 64 + (int64_t)(rnd() % 2000);
        w[i] = 64 + (int64_t)(rnd() % 2000);
        lic[i] = xstrdup(rnd() % 20 ? "?" : "https://creativecommons.org/licenses/by/4.0/");
        nsfw[i] = xstrdup(rnd() % 15 ? "UNLIKELY" : (rnd() % 2 ? "UNSURE" : "NSFW"));
        sim[i] = 0.28 + (double)(rnd() % 100000) / 1e6;
        pw[i] = (double)(rnd() % 100000) / 1e5;
        pu[i] = (double)(rnd() % 100000) / 1e5;
        pwnull[i] = rnd() % 20 == 0;
        punull[i] = rnd() % 19 == 0;
    }
    pqw_col cols[] = {
        {.name = "SAMPLE_ID", .type = PQW_INT64, .i64 = sid},
        {.name = "URL", .type = PQW_STRING, .str = (const char *const *)url},
        {.name = "TEXT", .type = PQW_STRING, .optional = 1, .str = (const char *const *)text},
        {.name = "HEIGHT", .type = PQW_INT32, .optional = 1, .i64 = h, .isnull = hnull},
        {.name = "WIDTH", .type = PQW_INT32, .optional = 1, .i64 = w, .isnull = hnull},
        {.name = "LICENSE", .type = PQW_STRING, .optional = 1, .str = (const char *const *)lic},
        {.name = "NSFW", .type = PQW_STRING, .optional = 1, .str = (const char *const *)nsfw},
        {.name = "similarity", .type = PQW_DOUBLE, .optional = 1, .f64 = sim},
        {.name = "pwatermark", .type = PQW_FLOAT, .optional = 1, .f64 = pw, .isnull = pwnull},
        {.name = "punsafe", .type = PQW_FLOAT, .optional = 1, .f64 = pu, .isnull = punull},
    };
    int rc = pqw_write(out, cols, 10, n, per_group, 1);
    for (size_t i = 0; i < n; i++) {
        free(url[i]);
        free(text[i]);
        free(lic[i]);
        free(nsfw[i]);
    }
    free(url), free(text), free(lic), free(nsfw), free(sid), free(h), free(w);
    free(sim), free(pw), free(pu), free(hnull), free(pwnull), free(punull);
    if (rc != 0)
        fprintf(stderr, "bench_parquet: cannot write %s\n", out);
    return rc ? 1 : 0;
}

static int read_file(const char *path, int rounds)
{
    double *t = xcalloc((size_t)rounds, sizeof *t), *cpu = xcalloc((size_t)rounds, sizeof *cpu);
    uint64_t rows = 0, values = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = cc_now(), c0 = cc_cpu_seconds();
        char err[512];
        pq_reader *pq = pq_open(path, NULL, err, sizeof err);
        if (!pq) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        size_t nsel = pq_nselected(pq);
        rows = values = 0;
        int rc;
        while ((rc = pq_next(pq)) == 1) {
            rows++;
            for (size_t k = 0; k < nsel; k++) {
                pq_value v;
                pq_get(pq, k, &v);
                values += !v.is_null;
            }
        }
        if (rc < 0) {
            fprintf(stderr, "%s\n", pq_errmsg(pq));
            return 1;
        }
        pq_close(pq);
        t[r] = cc_now() - t0;
        cpu[r] = cc_cpu_seconds() - c0;
    }
    qsort(t, (size_t)rounds, sizeof *t, cmp_double);
    qsort(cpu, (size_t)rounds, sizeof *cpu, cmp_double);
    double med = t[rounds / 2], mc = cpu[rounds / 2] > 0 ? cpu[rounds / 2] : 1e-9;
    printf("{\"reader\":\"clipcrawl\",\"rows\":%llu,\"seconds\":%.6f,\"rows_per_s\":%.0f,"
           "\"cpu_seconds\":%.6f,\"rows_per_cpu_s\":%.0f,\"values\":%llu}\n",
           (unsigned long long)rows, med, (double)rows / med, mc, (double)rows / mc, (unsigned long long)values);
    free(t);
    free(cpu);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "gen") == 0)
        return gen(argv[2], (size_t)strtoull(argv[3], NULL, 10),
                   argc > 4 ? (size_t)strtoull(argv[4], NULL, 10) : 100000);
    if (argc >= 3 && strcmp(argv[1], "read") == 0)
        return read_file(argv[2], argc > 3 ? atoi(argv[3]) > 0 ? atoi(argv[3]) : 5 : 5);
    fprintf(stderr, "usage: bench_parquet gen OUT.parquet ROWS [ROWS_PER_GROUP] | read FILE [ROUNDS]\n");
    return 2;
}
