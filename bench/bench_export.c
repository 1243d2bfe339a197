/* bench_export.c — `clipcrawl export` throughput without re-encoding, with
 * baselines measured in the same run.
 *
 * usage: bench_export [SAMPLES [IMAGE_BYTES [SOURCE]]]   (defaults 100000, 8000, SAMPLES)
 * With SOURCE > SAMPLES the source holds SOURCE samples and each export
 * selects SAMPLES of them, spread over every shard (the "export of
 * 100,000 samples" from a 1,000,000-sample index).
 * needs $CLIPCRAWL_BIN (the clipcrawl to measure).
 *
 * Builds a dataset of SAMPLES samples (incompressible image bytes, like
 * JPEGs; 10,000 per shard), then, in the same run:
 *   read_all   every sample read back through the dataset API (index
 *              look-up + pread + one frame decompression): the read floor
 *   export     `clipcrawl export DIR -o OUT -q` of every sample (read, new
 *              key, KEY.json rebuilt, frame compressed, index row written)
 *   export_where  the same with --where selecting half of them
 * Every measurement starts after sync(); the exports run
 * $BENCH_EXPORT_REPEAT times (3), alternating with the baseline, and the
 * medians are reported. Wall time and CPU time (user+sys of this process or the child) for each;
 * on a shared machine samples per CPU-second is the figure that does not
 * depend on who else runs. Prints one JSON object.
 *
 * $BENCH_EXPORT_KEEP=DIR builds in DIR and keeps it, so the source DIR/src
 * can be exported again under perf; when DIR/src already holds a source of
 * SOURCE samples (an earlier kept run) it is measured again, not rebuilt.
 * $CLIPCRAWL_BIN_BASELINE=PATH also exports everything with that (older)
 * clipcrawl in the same run ("export_baseline"), for before/after figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common.h"
#include "dataset.h"

static double child_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* Removes a previous output and flushes every dirty page (see main). */
static int fresh_dir(const char *path)
{
    char *rm = xasprintf("rm -rf '%s'", path);
    int rc = system(rm);
    free(rm);
    sync();
    return rc;
}

/* The index of the median of v[0..n) (the lower one for even n). */
static int median_at(const double *v, int n)
{
    for (int i = 0; i < n; i++) {
        int below = 0, same_before = 0;
        for (int k = 0; k < n; k++) {
            below += v[k] < v[i];
            same_before += k < i && v[k] == v[i];
        }
        if (below + same_before == (n - 1) / 2)
            return i;
    }
    return 0;
}

static int run_export(const char *bin, const char *dir, const char *out, const char *where, double *wall,
                      double *cpu)
{
    char *cmd = where ? xasprintf("'%s' export '%s' -o '%s' -q --where '%s' > /dev/null", bin, dir, out, where)
                      : xasprintf("'%s' export '%s' -o '%s' -q > /dev/null", bin, dir, out);
    double c0 = child_cpu(), t0 = cc_now();
    int rc = system(cmd);
    *wall = cc_now() - t0;
    *cpu = child_cpu() - c0;
    free(cmd);
    return rc;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    size_t size = argc > 2 ? (size_t)atol(argv[2]) : 8000;
    /* SOURCE > SAMPLES: the source holds SOURCE samples and every export
     * selects SAMPLES of them (--where 'row_no % K = 0', K = SOURCE/SAMPLES) */
    int src_n = argc > 3 ? atoi(argv[3]) : n;
    if (src_n < n)
        src_n = n;
    int every = src_n / n;
    char where_sel[64], where_half[64];
    snprintf(where_sel, sizeof where_sel, "row_no %% %d = 0", every);
    if (every > 1)
        snprintf(where_half, sizeof where_half, "row_no %% %d = 0", 2 * every);
    else
        snprintf(where_half, sizeof where_half, "width = 256");
    const char *sel = every > 1 ? where_sel : NULL;
    const char *bin = getenv("CLIPCRAWL_BIN");
    if (n < 1 || size < 1 || !bin) {
        fprintf(stderr, "usage: CLIPCRAWL_BIN=build/cli/clipcrawl bench_export [SAMPLES [IMAGE_BYTES]]\n");
        return 2;
    }
    char tmpl[] = "/tmp/bench_export.XXXXXX";
    const char *keep = getenv("BENCH_EXPORT_KEEP");
    char *root = keep && *keep ? (char *)keep : mkdtemp(tmpl);
    char *dir = root ? xasprintf("%s/src", root) : NULL;
    char *probe = dir ? xasprintf("%s/index.sqlite", dir) : NULL;
    /* a kept source of the same size is measured again without rebuilding */
    int reuse = root != tmpl && probe && access(probe, F_OK) == 0;
    free(probe);
    if (!root || (root != tmpl && !reuse && mkdir(root, 0755) != 0)) {
        perror(root ? root : "mkdtemp");
        return 1;
    }
    char *out = xasprintf("%s/out", root), *out2 = xasprintf("%s/half", root);
    char err[512];
    double t0 = cc_now(), build_s = 0;
    if (reuse) {
        dataset *rd = dataset_open_readonly(dir, err, sizeof err);
        sqlite3_stmt *st = NULL;
        int64_t have = -1;
        if (rd && sqlite3_prepare_v2(dataset_db(rd), "SELECT count(*) FROM items WHERE status = 'accepted'", -1, &st,
                                     NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            have = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        dataset_close(rd, 0, NULL, 0);
        if (have != src_n) {
            fprintf(stderr, "bench_export: %s holds %lld samples, not %d: remove it or keep another directory\n", dir,
                    (long long)have, src_n);
            return 1;
        }
        goto measure;
    }
    dataset *ds = dataset_open(dir, NULL, err, sizeof err);
    if (!ds) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int64_t in = dataset_input(ds, "bench", "txt");
    unsigned char *img = xmalloc(size);
    uint32_t x = 12345;
    char caption[128], url[128];
    for (int i = 0; i < src_n; i++) {
        for (size_t k = 0; k < size; k += 4) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            memcpy(img + k, &x, size - k < 4 ? size - k : 4);
        }
        snprintf(caption, sizeof caption, "a photo of thing number %d on a table", i);
        snprintf(url, sizeof url, "http://127.0.0.1/img/%d.jpg", i);
        dataset_sample s = {.input_id = in, .row_no = i, .url = url, .caption = caption, .image = img,
                            .image_len = size, .ext = "jpg", .width = 256 + (i % 2), .height = 192,
                            .original_width = 1024, .original_height = 768, .http_status = 200};
        if (dataset_add_accepted(ds, &s, NULL) != CC_OK) {
            fprintf(stderr, "%s\n", dataset_errmsg(ds));
            return 1;
        }
    }
    if (dataset_close(ds, 1, err, sizeof err) != CC_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    free(img);
    build_s = cc_now() - t0;
measure:;

    /* baseline: read every sample back */
    sync();
    ds = dataset_open_readonly(dir, err, sizeof err);
    ccbuf b = {0}, t = {0}, j = {0};
    char ext[8];
    double c0 = cc_cpu_seconds();
    t0 = cc_now();
    for (int s = 0; s < n; s++) { /* the samples the export selects */
        int i = s * every;
        char key[16];
        snprintf(key, sizeof key, "%05d%04d", i / 10000, i % 10000);
        if (dataset_read_sample(ds, key, &b, ext, &t, &j) != CC_OK) {
            fprintf(stderr, "%s\n", dataset_errmsg(ds));
            return 1;
        }
    }
    double read_wall = cc_now() - t0, read_cpu = cc_cpu_seconds() - c0;
    dataset_close(ds, 0, NULL, 0);
    ccbuf_free(&b), ccbuf_free(&t), ccbuf_free(&j);

    /* Each export starts from a clean page cache state: the source was just
     * written (850 MB dirty at the defaults) and an earlier export leaves its
     * own dirty pages; the kernel flushing those during the next measurement
     * made it up to 1.5 times slower. Medians of REPEAT runs, the baseline
     * alternating with the build under test. */
    int reps = getenv("BENCH_EXPORT_REPEAT") ? atoi(getenv("BENCH_EXPORT_REPEAT")) : 3;
    if (reps < 1)
        reps = 1;
    const char *base = getenv("CLIPCRAWL_BIN_BASELINE");
    char *out3 = xasprintf("%s/baseline", root);
    double *ew = xcalloc((size_t)reps, sizeof *ew), *ec = xcalloc((size_t)reps, sizeof *ec);
    double *bws = xcalloc((size_t)reps, sizeof *bws), *bcs = xcalloc((size_t)reps, sizeof *bcs);
    double hw, hc;
    for (int r = 0; r < reps; r++) {
        if (fresh_dir(out) != 0 || run_export(bin, dir, out, sel, &ew[r], &ec[r]) != 0) {
            fprintf(stderr, "bench_export: clipcrawl export failed\n");
            return 1;
        }
        if (base && *base && (fresh_dir(out3) != 0 || run_export(base, dir, out3, sel, &bws[r], &bcs[r]) != 0)) {
            fprintf(stderr, "bench_export: the baseline clipcrawl's export failed\n");
            return 1;
        }
    }
    if (fresh_dir(out2) != 0 || run_export(bin, dir, out2, where_half, &hw, &hc) != 0) {
        fprintf(stderr, "bench_export: clipcrawl export failed\n");
        return 1;
    }
    int me = median_at(ew, reps), mb = median_at(bws, reps);
    double bw = base && *base ? bws[mb] : 0, bc = base && *base ? bcs[mb] : 0;
    printf("{\"samples\":%d,\"source_samples\":%d,\"image_bytes\":%zu,\"build_s\":%.1f,"
           "\"read_all\":{\"per_s\":%.0f,\"per_cpu_s\":%.0f},"
           "\"export\":{\"per_s\":%.0f,\"per_cpu_s\":%.0f,\"wall_s\":%.2f,\"cpu_s\":%.2f},"
           "\"export_where_half\":{\"per_s\":%.0f,\"per_cpu_s\":%.0f},"
           "\"export_vs_read\":%.2f,\"goal_20000_per_s\":{\"wall\":%s,\"cpu\":%s}",
           n, src_n, size, build_s, n / read_wall, n / read_cpu, n / ew[me], n / ec[me], ew[me], ec[me], n / 2 / hw,
           n / 2 / hc, (n / ec[me]) / (n / read_cpu), n / ew[me] >= 20000 ? "true" : "false",
           n / ec[me] >= 20000 ? "true" : "false");
    if (bw > 0)
        printf(",\"export_baseline\":{\"per_s\":%.0f,\"per_cpu_s\":%.0f,\"wall_s\":%.2f,\"cpu_s\":%.2f}", n / bw,
               n / bc, bw, bc);
    printf(",\"repeat\":%d,\"export_wall_s_all\":[", reps);
    for (int r = 0; r < reps; r++)
        printf("%s%.2f", r ? "," : "", ew[r]);
    printf("]");
    if (bw > 0) {
        printf(",\"baseline_wall_s_all\":[");
        for (int r = 0; r < reps; r++)
            printf("%s%.2f", r ? "," : "", bws[r]);
        printf("]");
    }
    printf("}\n");
    char *rm = xasprintf("rm -rf '%s'", root);
    if (root == tmpl && system(rm) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    free(rm), free(dir), free(out), free(out2), free(out3);
    free(ew), free(ec), free(bws), free(bcs);
    return 0;
}
