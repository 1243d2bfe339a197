/* bench_search.c — semantic search and caption full-text search on a
 * synthetic dataset index, with baselines measured in the same run.
 *
 * usage: bench_search [N [DIM [DIR]]]     (defaults 1000000, 512, a temp dir)
 *
 * Builds DIR/index.sqlite with N accepted samples (captions of 8 words from a
 * 5,000-word Zipf vocabulary, so FTS has realistic posting lists), one CLIP
 * score row per sample, and DIR/embeddings/<id>-fp32.f16 (with its int8
 * copy .i8) holding N random unit vectors — what `score` writes. Then, each
 * as the median of 10 queries (3 for the slow scalar loop), wall time and,
 * where it says cpu_ms, user+sys CPU time per query:
 *   kernel_ms           emb_search (AVX2+F16C) over the mapped F16 file, 2 and
 *                       1 threads, and the same search as a plain scalar loop
 *   numpy               /usr/bin/python3: matrix-vector product + top-10
 *                       (argpartition) over the same file, float32 copy and
 *                       float16 as stored, when NumPy is there
 *   oneshot_in_process  a fresh emb_store per query, as one `query` process
 *                       searches once (page cache warm, no page tables):
 *                         mmap_f16             map the F16 file and scan it
 *                                              (what `query` did before)
 *                         stream_f16           pread the F16 file in blocks
 *                         stream_int8_rescore  pread the int8 copy, rescore
 *                                              the candidates from F16
 *                         default_int8_rescore the same, but reading the
 *                                              copy through a mapping when
 *                                              the kernel maps it in 2 MiB
 *                                              entries (mapped_2mib says how
 *                                              often): what `query` does
 *                       each checked to return the same hits and scores as
 *                       emb_search over the mapped rows
 *   dataset_api_repeated  dataset_emb_search on one open handle (a server):
 *                       search + row->key look-ups, after two warm-up queries
 *   cli_end_to_end      `clipcrawl query DIR --similar KEY --k 10` from
 *                       process start to exit, when $CLIPCRAWL_BIN is set
 *   fts_ms              the selection SQL `query --fts` runs, ranked,
 *                       LIMIT 20, ten different one- and two-word queries
 * and the load average before and after the measurements. Prints one JSON
 * object. The dataset is removed unless DIR was given; a DIR that already
 * holds this benchmark's dataset for N x DIM is reused (its int8 copy
 * brought up to date), since building 1M samples takes minutes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "dataset.h"
#include "dataset_emb.h"
#include "embfile.h"
#include "embint8.h"
#include "embsearch.h"
#include "embstore.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static double urand(void) { return (double)(next() >> 11) / 9007199254740992.0; }

static void unit(float *v, int d)
{
    double n = 0;
    for (int i = 0; i < d; i++) {
        /* sum of uniforms: roughly normal, so directions are uniform enough */
        v[i] = (float)(urand() + urand() + urand() - 1.5);
        n += (double)v[i] * v[i];
    }
    for (int i = 0; i < d; i++)
        v[i] = (float)(v[i] / sqrt(n));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A word of the vocabulary by Zipf rank: rank r drawn with P ~ 1/r. */
static int zipf_word(int vocab)
{
    double h = log((double)vocab) + 0.5772;
    double u = urand() * h;
    int r = (int)exp(u - 0.5772 * urand());
    return r < 1 ? 0 : r >= vocab ? vocab - 1 : r - 1;
}

/* CPU seconds (user + sys) of this process, and of its waited-for children. */
static double cpu_of(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}
static double cpu_self(void) { return cpu_of(RUSAGE_SELF); }
static double cpu_children(void) { return cpu_of(RUSAGE_CHILDREN); }

static void read_loadavg(char *out, size_t len)
{
    snprintf(out, len, "?");
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        double a, b, c;
        if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
            snprintf(out, len, "%.2f %.2f %.2f", a, b, c);
        fclose(f);
    }
}

static void die_db(sqlite3 *db, const char *what)
{
    fprintf(stderr, "bench_search: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

/* Builds the index and the embedding files (see the top of the file). */
static void build(const char *dir, long n, int dim, const char *path)
{
    const int VOCAB = 5000;
    char err[512];
    dataset *ds = dataset_open(dir, NULL, err, sizeof err);
    if (!ds) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    /* the schema comes from dataset_open; the bulk load goes straight to SQLite */
    if (dataset_close(ds, 0, err, sizeof err) != CC_OK) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    char *ipath = xasprintf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    if (sqlite3_open(ipath, &db) != SQLITE_OK)
        die_db(db, ipath);
    free(ipath);
    sqlite3_exec(db, "PRAGMA synchronous = OFF; BEGIN", NULL, NULL, NULL);
    char sql[300];
    snprintf(sql, sizeof sql,
             "INSERT INTO clip_models(model_id, precision, path, embed_dim, added_at, emb_rows)"
             " VALUES ('b0b0b0b0b0b0b0b0', 'fp32', '/nonexistent', %d, 0, %ld)",
             dim, n);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die_db(db, "clip_models");
    int64_t model = sqlite3_last_insert_rowid(db);
    sqlite3_stmt *ins, *sc;
    if (sqlite3_prepare_v2(db, "INSERT INTO items(url, caption, status, key, width, height) VALUES (?1, ?2, 'accepted', ?3, 256, 256)",
                           -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO clip_scores(key, model, score, scored_at, emb_row) VALUES (?1, ?2, ?3, 0, ?4)",
                           -1, &sc, NULL) != SQLITE_OK)
        die_db(db, "prepare");
    char *edir = xasprintf("%s/embeddings", dir);
    cc_mkdirs(edir, 0755);
    free(edir);
    unlink(path);
    embfile_writer *w = embfile_writer_open(path, dim, 0, "b0b0b0b0b0b0b0b0", err, sizeof err);
    if (!w) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    float *v = xmalloc((size_t)dim * sizeof *v);
    char key[16], url[64], caption[128];
    for (long i = 0; i < n; i++) {
        snprintf(key, sizeof key, "%05ld%04ld", i / 10000, i % 10000);
        snprintf(url, sizeof url, "http://example.com/img/%ld.jpg", i);
        int len = 0;
        for (int k = 0; k < 8; k++)
            len += snprintf(caption + len, sizeof caption - (size_t)len, "%sw%d", k ? " " : "", zipf_word(VOCAB));
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, url, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, caption, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, key, -1, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            die_db(db, "items");
        sqlite3_reset(sc);
        sqlite3_bind_text(sc, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(sc, 2, model);
        sqlite3_bind_double(sc, 3, 0.2 + 0.2 * urand());
        sqlite3_bind_int64(sc, 4, i);
        if (sqlite3_step(sc) != SQLITE_DONE)
            die_db(db, "clip_scores");
        unit(v, dim);
        if (embfile_append(w, v, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            exit(1);
        }
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(sc);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        die_db(db, "commit");
    sqlite3_close(db);
    if (embfile_writer_close(w, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    free(v);
}

/* 1 when DIR already holds the index and embedding file this benchmark
 * builds for n x dim (an earlier run with the same DIR): reused, since
 * building 1M samples takes minutes. */
static int reusable(const char *dir, long n, int dim)
{
    char *ipath = xasprintf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    int ok = 0;
    if (access(ipath, F_OK) == 0 && sqlite3_open_v2(ipath, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "SELECT (SELECT emb_rows FROM clip_models WHERE model_id = 'b0b0b0b0b0b0b0b0'),"
                               " (SELECT embed_dim FROM clip_models WHERE model_id = 'b0b0b0b0b0b0b0b0'),"
                               " (SELECT count(*) FROM items)",
                               -1, &st, NULL) == SQLITE_OK) {
            ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == n &&
                 sqlite3_column_int(st, 1) == dim && sqlite3_column_int64(st, 2) == n;
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    free(ipath);
    return ok;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int dim = argc > 2 ? atoi(argv[2]) : 512;
    if (n < 100 || n > 99999 * 10000L || dim < 8 || dim > 4096) {
        fprintf(stderr, "usage: bench_search [N [DIM [DIR]]]\n");
        return 2;
    }
    char tmpl[] = "/tmp/bench_search.XXXXXX";
    const char *dir = argc > 3 ? argv[3] : mkdtemp(tmpl);
    if (!dir) {
        perror("mkdtemp");
        return 1;
    }
    char err[512];
    double t0 = cc_now();

    char *path = xasprintf("%s/embeddings/b0b0b0b0b0b0b0b0-fp32.f16", dir);
    int reused = reusable(dir, n, dim);
    if (reused) {
        /* a dataset an earlier run left in DIR: bring its int8 copy up to date */
        embfile_writer *w = embfile_writer_open(path, dim, (uint64_t)n, "b0b0b0b0b0b0b0b0", err, sizeof err);
        if (!w || embfile_writer_close(w, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
    } else {
        build(dir, n, dim, path);
    }
    dataset *ds;
    double build_s = cc_now() - t0;

    /* ---- semantic search ---- */
    char load_before[64];
    read_loadavg(load_before, sizeof load_before);
    embfile_map m;
    if (embfile_map_open(&m, path, dim, (uint64_t)n, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    enum { Q = 10, K = 10 };
    float (*qs)[4096] = xmalloc(Q * sizeof *qs);
    for (int q = 0; q < Q; q++)
        unit(qs[q], dim);
    emb_hit hits[K], ref[K], st_hits[K];
    double t_simd2[Q], t_simd1[Q], t_scalar[3];
    volatile float sink = 0;
    emb_search(m.rows, m.count, dim, qs[0], NULL, K, 2, hits); /* warm the page cache and TLB */
    int agree = 1, exact = 1;
    for (int q = 0; q < Q; q++) {
        double a = cc_now();
        emb_search(m.rows, m.count, dim, qs[q], NULL, K, 2, hits);
        t_simd2[q] = cc_now() - a;
        a = cc_now();
        emb_search(m.rows, m.count, dim, qs[q], NULL, K, 1, hits);
        t_simd1[q] = cc_now() - a;
        sink += hits[0].score;
        if (q < 3) {
            a = cc_now();
            emb_search_scalar(m.rows, m.count, dim, qs[q], NULL, K, ref);
            t_scalar[q] = cc_now() - a;
            for (int k = 0; k < K; k++)
                agree &= ref[k].row == hits[k].row || fabsf(ref[k].score - hits[k].score) < 1e-5f;
        }
    }

    /* The kernel's hits for every query, then the mapping goes: a one-shot
     * search below must not share the process with 1 GiB of page tables
     * (the 2 MiB-mapping check reads /proc/self/smaps_rollup, which walks
     * them). */
    emb_hit (*want)[K] = xmalloc(Q * sizeof *want);
    for (int q = 0; q < Q; q++)
        emb_search(m.rows, m.count, dim, qs[q], NULL, K, 2, want[q]);
    const double file_mib = (double)m.map_len / 1048576.0;
    embfile_map_close(&m);

    /* One-shot searches in this process: a fresh store per query, as a
     * `query` process opens one (page cache warm, page tables not). */
    static const struct {
        const char *name;
        int flags;
    } modes[] = {{"mmap_f16", EMB_STORE_NO_INT8 | EMB_STORE_MAP},
                 {"stream_f16", EMB_STORE_NO_INT8 | EMB_STORE_STREAM},
                 {"stream_int8_rescore", EMB_STORE_STREAM},
                 {"default_int8_rescore", 0}};
    enum { NMODES = sizeof modes / sizeof *modes };
    double t_one[NMODES][Q], c_one[NMODES][Q];
    double rescored[Q];
    int int8_proved = 0, huge[NMODES] = {0};
    for (int md = 0; md < NMODES; md++) {
        for (int q = 0; q < Q; q++) {
            double a = cc_now(), c = cpu_self();
            emb_store *st = emb_store_open(path, dim, (uint64_t)n, modes[md].flags, err, sizeof err);
            size_t nh = 0;
            emb_store_info info;
            if (!st || emb_store_search(st, qs[q], NULL, K, 2, st_hits, &nh, &info, err, sizeof err) != 0) {
                fprintf(stderr, "bench_search: %s\n", err);
                return 1;
            }
            emb_store_close(st);
            t_one[md][q] = cc_now() - a;
            c_one[md][q] = cpu_self() - c;
            /* the same hits and scores as the in-memory F16 search */
            exact &= nh == K;
            for (size_t k = 0; k < nh; k++)
                exact &= st_hits[k].row == want[q][k].row && st_hits[k].score == want[q][k].score;
            huge[md] += info.huge;
            if (modes[md].flags == 0) {
                int8_proved += info.int8;
                rescored[q] = (double)info.rescored;
            }
        }
    }

    /* through the dataset API, one handle searched repeatedly (a server):
     * search + mapping rows to keys in the index */
    ds = dataset_open_readonly(dir, err, sizeof err);
    dataset_emb_model dm;
    if (!ds || dataset_emb_model_find(ds, NULL, NULL, &dm, err, sizeof err) != CC_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    dataset_emb_index *x = dataset_emb_index_open(ds, &dm, DATASET_EMB_DEFAULT, err, sizeof err);
    int have_api = x != NULL;
    double t_api[Q], c_api[Q];
    for (int q = 0; q < 2 && x; q++) { /* the first search streams, the second maps */
        dataset_hit *h = NULL;
        size_t nh = 0;
        dataset_emb_search(x, qs[q], K, NULL, 2, &h, &nh, err, sizeof err);
        free(h);
    }
    for (int q = 0; q < Q && x; q++) {
        dataset_hit *h = NULL;
        size_t nh = 0;
        double a = cc_now(), c = cpu_self();
        if (dataset_emb_search(x, qs[q], K, NULL, 2, &h, &nh, err, sizeof err) != CC_OK) {
            fprintf(stderr, "bench_search: %s\n", err);
            return 1;
        }
        t_api[q] = cc_now() - a;
        c_api[q] = cpu_self() - c;
        free(h);
    }
    /* FTS: the statement `query --fts WORDS --limit 20` runs */
    double t_fts[Q];
    char fts_words[Q][32];
    for (int q = 0; q < Q; q++) {
        if (q % 2)
            snprintf(fts_words[q], sizeof fts_words[q], "w%d w%d", 20 + q * 7, 40 + q * 11);
        else
            snprintf(fts_words[q], sizeof fts_words[q], "w%d", 30 + q * 13);
    }
    long fts_rows = 0;
    for (int q = 0; q < Q; q++) {
        dataset_selection sel = {.fts = fts_words[q]};
        ccbuf s = {0};
        ccbuf_puts(&s, "SELECT key, url, caption");
        dataset_selection_sql(ds, &sel, &s, err, sizeof err);
        ccbuf_puts(&s, " ORDER BY fts.fts_rank, items.key LIMIT 20");
        double a = cc_now();
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(dataset_db(ds), (const char *)s.data, -1, &st, NULL) != SQLITE_OK)
            die_db(dataset_db(ds), "fts");
        dataset_selection_bind(ds, &sel, st);
        while (sqlite3_step(st) == SQLITE_ROW)
            fts_rows++;
        sqlite3_finalize(st);
        t_fts[q] = cc_now() - a;
        ccbuf_free(&s);
    }
    dataset_emb_index_close(x);
    dataset_emb_model_clear(&dm);
    dataset_close(ds, 0, NULL, 0);

    /* the command line, end to end: process start to exit */
    const char *bin = getenv("CLIPCRAWL_BIN");
    int have_cli = bin && access(bin, X_OK) == 0;
    double t_cli[Q], c_cli[Q];
    for (int q = 0; q < Q && have_cli; q++) {
        char k[16];
        snprintf(k, sizeof k, "%05ld%04ld", (q * 99991L % n) / 10000, (q * 99991L % n) % 10000);
        char *cmd = xasprintf("'%s' query '%s' --similar %s --k 10 --format jsonl > /dev/null", bin, dir, k);
        double a = cc_now(), c = cpu_children();
        int rc = system(cmd);
        t_cli[q] = cc_now() - a;
        c_cli[q] = cpu_children() - c;
        free(cmd);
        if (rc != 0) {
            fprintf(stderr, "bench_search: clipcrawl query failed\n");
            have_cli = 0;
        }
    }

    /* NumPy baseline on the same file */
    char *py = xasprintf(
        "import sys,time\n"
        "try:\n import numpy as np\nexcept ImportError:\n print('null'); sys.exit(0)\n"
        "a=np.memmap('%s',dtype='<f2',mode='r',offset=64).reshape(-1,%d)\n"
        "rng=np.random.default_rng(1)\n"
        "def med(f,r):\n t=[]\n for i in range(r):\n  q=rng.standard_normal(%d).astype(np.float32); q/=np.linalg.norm(q)\n"
        "  s=time.perf_counter(); f(q); t.append(time.perf_counter()-s)\n t.sort(); return t[len(t)//2]\n"
        "a16=np.asarray(a)\n"
        "f16=med(lambda q: np.argpartition(-(a16@q.astype(np.float16)),10)[:10],3)\n"
        "a32=a16.astype(np.float32)\n"
        "f32=med(lambda q: np.argpartition(-(a32@q),10)[:10],10)\n"
        "print('{\"numpy_f32_ms\":%%.2f,\"numpy_f16_ms\":%%.2f,\"numpy\":\"%%s\"}'%%(f32*1e3,f16*1e3,np.__version__))\n",
        path, dim, dim);
    char *pyfile = xasprintf("%s/numpy_baseline.py", dir);
    FILE *pf = fopen(pyfile, "w");
    fputs(py, pf);
    fclose(pf);
    char numpy_json[256] = "null";
    if (access("/usr/bin/python3", X_OK) == 0) {
        char *cmd = xasprintf("/usr/bin/python3 '%s'", pyfile);
        FILE *p = popen(cmd, "r");
        if (p) {
            if (!fgets(numpy_json, sizeof numpy_json, p))
                snprintf(numpy_json, sizeof numpy_json, "null");
            numpy_json[strcspn(numpy_json, "\n")] = 0;
            pclose(p);
        }
        free(cmd);
    }

    char load_after[64];
    read_loadavg(load_after, sizeof load_after);
    double simd2 = median(t_simd2, Q) * 1e3, simd1 = median(t_simd1, Q) * 1e3, scalar = median(t_scalar, 3) * 1e3;
    double fts = median(t_fts, Q) * 1e3;
    double cli = have_cli ? median(t_cli, Q) * 1e3 : -1, cli_cpu = have_cli ? median(c_cli, Q) * 1e3 : -1;
    double api = have_api ? median(t_api, Q) * 1e3 : -1, api_cpu = have_api ? median(c_api, Q) * 1e3 : -1;
    double one[NMODES], one_cpu[NMODES];
    for (int md = 0; md < NMODES; md++) {
        one[md] = median(t_one[md], Q) * 1e3;
        one_cpu[md] = median(c_one[md], Q) * 1e3;
    }
    double goal = have_cli ? cli : one[NMODES - 1];
    printf("{\"n\":%ld,\"dim\":%d,\"file_mib\":%.0f,\"int8_mib\":%.0f,\"build_s\":%.1f,\"simd\":%s,"
           "\"reused_dir\":%s,\"loadavg_before\":\"%s\",\"loadavg_after\":\"%s\",\n"
           " \"kernel_ms\":{\"simd_2threads\":%.2f,\"simd_1thread\":%.2f,\"scalar_loop\":%.2f},"
           "\"speedup_simd2_vs_scalar\":%.1f,\"topk_agrees_with_scalar\":%s,\n"
           " \"numpy\":%s,\n"
           " \"oneshot_in_process\":{",
           n, dim, file_mib, (double)(64 + (uint64_t)n * embi8_stride(dim)) / 1048576.0, build_s,
           emb_search_simd() ? "\"avx2+f16c+fma\"" : "\"none\"", reused ? "true" : "false", load_before, load_after, simd2, simd1, scalar,
           scalar / simd2, agree ? "true" : "false", numpy_json);
    for (int md = 0; md < NMODES; md++)
        printf("%s\"%s\":{\"ms\":%.2f,\"cpu_ms\":%.1f,\"mapped_2mib\":\"%d/%d\"}", md ? "," : "", modes[md].name,
               one[md], one_cpu[md], huge[md], Q);
    printf("},\"int8_proved\":\"%d/%d\",\"int8_rescored_rows\":%.0f,\"store_hits_equal_f16_search\":%s,\n"
           " \"dataset_api_repeated\":{\"ms\":%.2f,\"cpu_ms\":%.1f},\n"
           " \"cli_end_to_end\":{\"ms\":%.2f,\"cpu_ms\":%.1f},\n"
           " \"fts_ms\":%.2f,\"fts_rows\":%ld,\"goals\":{\"semantic_top10_under_100ms\":%s,\"fts_under_50ms\":%s}}\n",
           int8_proved, Q, median(rescored, Q), exact ? "true" : "false", api, api_cpu, cli, cli_cpu, fts, fts_rows,
           goal < 100 ? "true" : "false", fts < 50 ? "true" : "false");
    (void)sink;
    free(want);
    free(qs), free(path), free(py), free(pyfile);
    if (argc <= 3) {
        char *cmd = xasprintf("rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_search: could not remove %s\n", dir);
        free(cmd);
    }
    return 0;
}
