/* test_crash.c — kill -9 at random moments, resume, compare.
 *
 * For fetch, crawl, score, refilter and export: one uninterrupted reference run, then
 * the same work in a second directory killed with SIGKILL at KILLS random
 * moments (a fixed seed: CRASH_TEST_SEED overrides it), resumed after each
 * kill, and finished by a last run. The two directories must hold the same
 * outcomes (nothing lost), each URL / score once (nothing doubled), and
 * `verify` must be clean. Assertions are on data only: where a kill lands
 * depends on the machine's load, what must come out does not.
 *
 * Then damage on disk: a flipped byte inside one sample's frame and a shard
 * cut in the middle of its last frame are reported by `verify` as exactly
 * those samples, and `cat` of every other sample still works. */
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "imggen.h"
#include "testutil.h"

#define KILLS 10
#define N_IMG 80

static char *work;
static unsigned seed = 1313;

static double urand(void)
{
    seed = seed * 1103515245u + 12345u;
    return (double)((seed >> 8) & 0xFFFFFF) / (double)0x1000000;
}

/* ---- small helpers ----------------------------------------------------------------- */

static long long q_int(const char *ds, const char *attach, const char *sql)
{
    char *p = xasprintf("%s/index.sqlite", ds);
    sqlite3 *db = NULL;
    long long v = -1;
    if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        if (attach) {
            char *a = xasprintf("ATTACH DATABASE '%s/index.sqlite' AS ref", attach);
            sqlite3_exec(db, a, NULL, NULL, NULL);
            free(a);
        }
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        } else {
            fprintf(stderr, "sql: %s: %s\n", sql, sqlite3_errmsg(db));
        }
    }
    sqlite3_close(db);
    free(p);
    return v;
}

static void verify_clean(const char *ds)
{
    tu_output o;
    tu_run_clipcrawl(&o, "verify", ds, NULL);
    CHECK(o.status == 0, "verify %s: exit %d: %s%s", ds, o.status, tu_str(&o.out), tu_str(&o.err));
    tu_output_free(&o);
}

static void copy_dir(const char *from, const char *to)
{
    const char *argv[] = {"cp", "-a", from, to, NULL};
    tu_output o;
    tu_run(argv, NULL, 60, &o);
    CHECK(o.status == 0, "cp -a %s %s: %s", from, to, tu_str(&o.err));
    tu_output_free(&o);
}

static pid_t spawn(const char *const *args)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
        const char *argv[64];
        int n = 0;
        argv[n++] = getenv("CLIPCRAWL_BIN");
        for (int i = 0; args[i] && n < 63; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static int run_to_end(const char *const *args)
{
    pid_t pid = spawn(args);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Starts args and kills it with SIGKILL after a random moment in [lo, hi)
 * seconds until KILLS runs were interrupted, or a run finishes by itself
 * (with rerun_done, a finished run is run again: for commands whose rerun
 * redoes the whole job, like refilter; at most 4 x KILLS runs). Every run
 * resumes the last. Returns the number of runs the kill interrupted. */
static int kill_loop(const char *what, const char *const *args, double lo, double hi, int rerun_done)
{
    int interrupted = 0;
    for (int k = 0; interrupted < KILLS && k < 4 * KILLS; k++) {
        double when = lo + (hi - lo) * urand();
        pid_t pid = spawn(args);
        usleep((useconds_t)(when * 1e6));
        kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
            interrupted++;
        } else {
            printf("# %s: run %d finished by itself before its kill at %.2f s (exit %d)\n", what, k + 1, when,
                   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            if (!rerun_done)
                break;
        }
    }
    printf("# %s: %d runs killed with SIGKILL at random moments, each resumed\n", what, interrupted);
    return interrupted;
}

/* ---- fetch ------------------------------------------------------------------------- */

static tu_server *files;
static char *list, *ref_fetch;

static void setup_fetch(void)
{
    char *root = xasprintf("%s/files", work);
    cc_mkdirs(root, 0755);
    ccbuf l = {0}, b = {0};
    ccbuf_puts(&l, "url\tcaption\n");
    files = tu_fault_server_start(root);
    for (int i = 0; i < N_IMG; i++) {
        ccbuf_reset(&b);
        imggen_jpeg(&b, 160 + 4 * (i % 20), 120 + 3 * (i % 13), 500 + (uint64_t)i, i % 4 == 0);
        char *p = xasprintf("%s/img%03d.jpg", root, i);
        tu_write_file(p, b.data, b.len);
        free(p);
        ccbuf_printf(&l, "%s/file/img%03d.jpg\ta photograph of a quiet place, number %d\n", tu_server_base(files), i, i);
        if (i % 2 == 1) /* slow rows keep a run going long enough to be killed many times */
            ccbuf_printf(&l, "%s/sleep?delay=0.25&row=%d\ta slow row, text not an image\n", tu_server_base(files), i);
    }
    list = xasprintf("%s/list.tsv", work);
    tu_write_file(list, l.data, l.len);
    ccbuf_free(&l);
    ccbuf_free(&b);
    free(root);
}

/* The killed runs go one transfer at a time (about 10 s of slow rows in
 * all); the reference and the last run may go faster: same outcomes. */
#define FETCH_ARGS(ds, conc) "fetch", list, "-o", ds, "--allow-private", "--concurrency", conc, "--workers", "1", \
                             "--samples-per-shard", "25", "-q"

/* The same number of rows as ref, each URL once, and the same values of
 * cols (an SQL column list) in both directions. */
static void compare_rows(const char *what, const char *ds, const char *ref, const char *cols)
{
    long long n = q_int(ds, NULL, "SELECT count(*) FROM items");
    long long nref = q_int(ref, NULL, "SELECT count(*) FROM items");
    CHECK(n == nref && n > 0, "%s: %lld rows, reference %lld", what, n, nref);
    CHECK_EQ_INT(q_int(ds, NULL, "SELECT count(*) - count(DISTINCT url) FROM items"), 0);
    char *a = xasprintf("SELECT count(*) FROM (SELECT %s FROM main.items EXCEPT SELECT %s FROM ref.items)", cols, cols);
    char *b = xasprintf("SELECT count(*) FROM (SELECT %s FROM ref.items EXCEPT SELECT %s FROM main.items)", cols, cols);
    long long lost = q_int(ds, ref, b), extra = q_int(ds, ref, a);
    CHECK(lost == 0 && extra == 0, "%s: %lld reference rows missing or different, %lld extra", what, lost, extra);
    free(a);
    free(b);
}

/* Same outcomes for the same URLs, each URL once, and the same stored bytes. */
static void compare_items(const char *what, const char *ds, const char *ref)
{
    compare_rows(what, ds, ref,
                 "url, status, COALESCE(reason,''), COALESCE(sha256,''), COALESCE(member_sha256,''), "
                 "COALESCE(caption,'')");
}

static void test_fetch(void)
{
    ref_fetch = xasprintf("%s/ref-fetch", work);
    CHECK_EQ_INT(run_to_end((const char *const[]){FETCH_ARGS(ref_fetch, "8"), NULL}), 0);
    char *ds = xasprintf("%s/kill-fetch", work);
    int k = kill_loop("fetch", (const char *const[]){FETCH_ARGS(ds, "1"), NULL}, 0.2, 1.0, 0);
    CHECK(k >= KILLS, "fetch: only %d kills interrupted a run", k);
    CHECK_EQ_INT(run_to_end((const char *const[]){FETCH_ARGS(ds, "8"), NULL}), 0);
    compare_items("fetch", ds, ref_fetch);
    CHECK(q_int(ds, NULL, "SELECT count(*) FROM items WHERE status='accepted'") == N_IMG, "all images accepted");
    verify_clean(ds);
    free(ds);
}

/* ---- score and refilter (on copies of the reference dataset) ----------------------------- */

static char *model;

static int setup_model(void)
{
    const char *td = getenv("CLIPCRAWL_TESTS");
    char *src = xasprintf("%s/data/clipref", td ? td : "tests");
    model = xasprintf("%s/model", work);
    cc_mkdirs(model, 0755);
    const char *files_[][2] = {{"fixtures/models/tiny-b32/model.safetensors", "model.safetensors"},
                               {"fixtures/models/tiny-b32/config.json", "config.json"},
                               {"vocab.json", "vocab.json"},
                               {"merges.txt", "merges.txt"}};
    for (size_t i = 0; i < 4; i++) {
        char *f = xasprintf("%s/%s", src, files_[i][0]), *dst = xasprintf("%s/%s", model, files_[i][1]);
        char *abs = realpath(f, NULL);
        int ok = abs && symlink(abs, dst) == 0;
        free(abs), free(f), free(dst);
        if (!ok) {
            printf("# score: SKIPPED: the tiny test model is not under %s\n", src);
            free(src);
            return 0;
        }
    }
    free(src);
    return 1;
}

static void test_score(void)
{
    if (!setup_model())
        return;
    char *ref = xasprintf("%s/ref-score", work), *ds = xasprintf("%s/kill-score", work);
    copy_dir(ref_fetch, ref);
    copy_dir(ref_fetch, ds);
#define SCORE_ARGS(d) "score", d, "--model", model, "--batch", "4", "--threads", "1", "-q"
    double t0 = cc_now();
    CHECK_EQ_INT(run_to_end((const char *const[]){SCORE_ARGS(ref), NULL}), 0);
    /* Kill moments within the time a whole run takes on this machine, now. */
    double took = cc_now() - t0, hi = took * 0.9 > 0.6 ? 0.6 : took * 0.9;
    int k = kill_loop("score", (const char *const[]){SCORE_ARGS(ds), NULL}, hi * 0.05, hi, 1);
    CHECK(k >= KILLS, "score: only %d kills interrupted a run", k);
    CHECK_EQ_INT(run_to_end((const char *const[]){SCORE_ARGS(ds), NULL}), 0);
    CHECK_EQ_INT(q_int(ds, NULL, "SELECT count(*) FROM clip_scores"), N_IMG);
    CHECK_EQ_INT(q_int(ds, NULL, "SELECT count(*) - count(DISTINCT key) FROM clip_scores"), 0);
    /* the same score for the same URL */
    CHECK_EQ_INT(q_int(ds, ref,
                       "SELECT count(*) FROM main.clip_scores s JOIN main.items i ON i.key = s.key "
                       "JOIN ref.items ri ON ri.url = i.url JOIN ref.clip_scores rs ON rs.key = ri.key "
                       "WHERE abs(rs.score - s.score) < 1e-6"),
                 N_IMG);
    verify_clean(ds);
#undef SCORE_ARGS
    free(ref), free(ds);
}

static void test_refilter(void)
{
    char *ref = xasprintf("%s/ref-refilter", work), *ds = xasprintf("%s/kill-refilter", work);
    copy_dir(ref_fetch, ref);
    copy_dir(ref_fetch, ds);
#define REFILTER_ARGS(d) "refilter", d, "--min-image-size", "130", "--min-words", "6", "-q"
    double t0 = cc_now();
    CHECK_EQ_INT(run_to_end((const char *const[]){REFILTER_ARGS(ref), NULL}), 0);
    /* Kill moments within the time a whole run takes here: an idle machine
     * runs refilter in a few milliseconds, a loaded one in a few tenths. */
    double took = cc_now() - t0, hi = took * 0.9 > 0.3 ? 0.3 : took * 0.9;
    CHECK(q_int(ref, NULL, "SELECT count(*) FROM items WHERE status='rejected'") > 0, "refilter demoted some");
    int k = kill_loop("refilter", (const char *const[]){REFILTER_ARGS(ds), NULL}, hi * 0.05, hi, 1);
    CHECK(k >= KILLS, "refilter: only %d kills interrupted a run", k);
    CHECK_EQ_INT(run_to_end((const char *const[]){REFILTER_ARGS(ds), NULL}), 0);
    compare_items("refilter", ds, ref);
    verify_clean(ds);
#undef REFILTER_ARGS
    free(ref), free(ds);
}

/* ---- export (from the fetch reference) ----------------------------------------------------- */

/* An export killed and resumed must be the uninterrupted one: the same
 * samples under the same keys in the same shards, each once. */
static void compare_export(const char *what, const char *ds, const char *ref)
{
    compare_rows(what, ds, ref,
                 "key, shard_no, row_no, url, status, COALESCE(sha256,''), COALESCE(member_sha256,''), "
                 "COALESCE(caption,'')");
    CHECK_EQ_INT(q_int(ds, NULL, "SELECT count(*) - count(DISTINCT row_no) FROM items"), 0); /* source ids */
}

static void test_export(void)
{
    char *ref = xasprintf("%s/ref-export", work);
    /* every accepted sample, shuffled, in small shards (many seals to land in) */
#define EXPORT_ARGS(d) "export", ref_fetch, "-o", d, "--shuffle", "--seed", "5", "--samples-per-shard", "6", "-q"
    double t0 = cc_now();
    CHECK_EQ_INT(run_to_end((const char *const[]){EXPORT_ARGS(ref), NULL}), 0);
    double took = cc_now() - t0, hi = took * 0.9;
    CHECK_EQ_INT(q_int(ref, NULL, "SELECT count(*) FROM items"), N_IMG);
    /* A run that finished leaves nothing to interrupt, so each round starts
     * a new directory: kill, resume, kill ... until a run finishes, then
     * compare. Kill moments within the time a whole run takes here. */
    int kills = 0, rounds = 0, midway = 0;
    ccbuf seen = {0}; /* samples committed when each kill landed, for the log */
    for (int round = 0; kills < KILLS && round < 4 * KILLS; round++) {
        char *ds = xasprintf("%s/kill-export-%d", work, round);
        int finished = 0;
        for (int k = 0; !finished && k < 2 * KILLS; k++) {
            double when = hi * (0.05 + 0.95 * urand());
            pid_t pid = spawn((const char *const[]){EXPORT_ARGS(ds), NULL});
            usleep((useconds_t)(when * 1e6));
            kill(pid, SIGKILL);
            int st = 0;
            waitpid(pid, &st, 0);
            if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
                kills++;
                char *idx = xasprintf("%s/index.sqlite", ds);
                long long n = access(idx, F_OK) == 0 ? q_int(ds, NULL, "SELECT count(*) FROM items") : 0;
                free(idx);
                midway += n > 0 && n < N_IMG;
                ccbuf_printf(&seen, " %lld", n);
            } else {
                finished = 1;
            }
        }
        CHECK_EQ_INT(run_to_end((const char *const[]){EXPORT_ARGS(ds), NULL}), 0);
        char what[32];
        snprintf(what, sizeof what, "export round %d", round);
        compare_export(what, ds, ref);
        verify_clean(ds);
        tu_rm_rf(ds);
        free(ds);
        rounds++;
    }
    printf("# export: %d runs killed with SIGKILL at random moments in %d rounds, each resumed\n", kills, rounds);
    printf("# export: samples committed at each kill:%s (of %d; %d kills mid-way)\n", seen.len ? (char *)seen.data : "",
           N_IMG, midway);
    ccbuf_free(&seen);
    CHECK(kills >= KILLS, "export: only %d kills interrupted a run", kills);
#undef EXPORT_ARGS
    free(ref);
}

/* ---- crawl ----------------------------------------------------------------------------- */

static void test_crawl(void)
{
    /* the fault server's crawl-site mode: DOCROOT/hosts/127.0.0.1/ */
    char *root = xasprintf("%s/site", work), *h = xasprintf("%s/hosts/127.0.0.1", root);
    cc_mkdirs(h, 0755);
    ccbuf b = {0}, idx = {0};
    ccbuf_puts(&idx, "<!doctype html><html><head><title>Gallery</title></head><body>\n");
    for (int pg = 0; pg < 16; pg++) {
        ccbuf page = {0};
        ccbuf_printf(&page, "<!doctype html><html><head><title>Page %d</title></head><body>\n", pg);
        for (int i = 0; i < 4; i++) {
            int n = pg * 4 + i;
            ccbuf_reset(&b);
            imggen_jpeg(&b, 170 + 3 * (n % 17), 130 + 2 * (n % 11), 9000 + (uint64_t)n, 0);
            char *p = xasprintf("%s/p%03d.jpg", h, n);
            tu_write_file(p, b.data, b.len);
            free(p);
            ccbuf_printf(&page, "<figure><img src=\"/p%03d.jpg\" alt=\"a mountain lake in autumn, picture %d\"></figure>\n",
                         n, n);
        }
        ccbuf_puts(&page, "</body></html>\n");
        char *p = xasprintf("%s/page%02d.html", h, pg);
        tu_write_file(p, page.data, page.len);
        free(p);
        ccbuf_free(&page);
        ccbuf_printf(&idx, "<a href=\"/page%02d.html\">page %d</a>\n", pg, pg);
    }
    ccbuf_puts(&idx, "</body></html>\n");
    char *ip = xasprintf("%s/index.html", h);
    tu_write_file(ip, idx.data, idx.len);
    /* every page answers after a short delay, so a crawl lasts long enough */
    char *rules = xasprintf("%s/_rules.json", h);
    ccbuf r = {0};
    ccbuf_puts(&r, "{");
    for (int pg = 0; pg < 16; pg++)
        ccbuf_printf(&r, "%s\"/page%02d.html\": {\"delay\": 0.3}", pg ? ", " : "", pg);
    ccbuf_puts(&r, "}");
    tu_write_file(rules, r.data, r.len);
    tu_server *s = tu_fault_server_start(root);
    char *seeds = xasprintf("%s/seeds.txt", work);
    char *seed_line = xasprintf("%s/index.html\n", tu_server_base(s));
    tu_write_file(seeds, seed_line, strlen(seed_line));
    char *ref = xasprintf("%s/ref-crawl", work), *ds = xasprintf("%s/kill-crawl", work);
#define CRAWL_ARGS(d) "crawl", seeds, "-o", d, "--allow-private", "--depth", "1", "--host-delay", "0", \
                      "--samples-per-shard", "20", "-q"
    CHECK_EQ_INT(run_to_end((const char *const[]){CRAWL_ARGS(ref), NULL}), 0);
    CHECK_EQ_INT(q_int(ref, NULL, "SELECT count(*) FROM items WHERE status='accepted'"), 64);
    int k = kill_loop("crawl", (const char *const[]){CRAWL_ARGS(ds), NULL}, 0.3, 1.6, 0);
    CHECK(k >= KILLS, "crawl: only %d kills interrupted a run", k);
    CHECK_EQ_INT(run_to_end((const char *const[]){CRAWL_ARGS(ds), NULL}), 0);
    compare_items("crawl", ds, ref);
    verify_clean(ds);
#undef CRAWL_ARGS
    tu_server_stop(s);
    ccbuf_free(&b), ccbuf_free(&idx), ccbuf_free(&r);
    free(root), free(h), free(ip), free(rules), free(seeds), free(seed_line), free(ref), free(ds);
}

/* ---- damage on disk -------------------------------------------------------------------- */

static void test_damage(void)
{
    char *ds = xasprintf("%s/damaged", work);
    copy_dir(ref_fetch, ds);
    /* a sample in the middle of sealed shard 1, and the last one of shard 2 */
    char *p = xasprintf("%s/index.sqlite", ds);
    sqlite3 *db = NULL;
    sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL);
    free(p);
    sqlite3_stmt *st;
    char mid[16] = "", last[16] = "";
    long long mid_off = 0, mid_len = 0, last_off = 0, last_len = 0;
    sqlite3_prepare_v2(db,
                       "SELECT key, frame_offset, frame_length FROM items WHERE shard_no = 1 AND key IS NOT NULL "
                       "ORDER BY frame_offset LIMIT 1 OFFSET 10", -1, &st, NULL);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(mid, sizeof mid, "%s", sqlite3_column_text(st, 0));
        mid_off = sqlite3_column_int64(st, 1), mid_len = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db,
                       "SELECT key, frame_offset, frame_length FROM items WHERE shard_no = 2 AND key IS NOT NULL "
                       "ORDER BY frame_offset DESC LIMIT 1", -1, &st, NULL);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(last, sizeof last, "%s", sqlite3_column_text(st, 0));
        last_off = sqlite3_column_int64(st, 1), last_len = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK(mid[0] && last[0], "two samples to damage");
    if (!mid[0] || !last[0])
        return;
    /* flip one byte in the middle of the first one's frame */
    char *s1 = xasprintf("%s/shards/00001.tar.zst", ds), *s2 = xasprintf("%s/shards/00002.tar.zst", ds);
    int fd = open(s1, O_RDWR);
    unsigned char c = 0;
    off_t at = (off_t)(mid_off + mid_len / 2);
    CHECK(fd >= 0 && pread(fd, &c, 1, at) == 1, "read %s", s1);
    c ^= 0x20;
    CHECK(pwrite(fd, &c, 1, at) == 1, "write %s", s1);
    close(fd);
    /* cut the second shard in the middle of its last frame */
    CHECK(truncate(s2, (off_t)(last_off + last_len / 2)) == 0, "truncate %s", s2);

    tu_output o;
    tu_run_clipcrawl(&o, "verify", ds, NULL);
    CHECK(o.status == 1, "verify of a damaged dataset: exit %d", o.status);
    const char *out = tu_str(&o.out);
    printf("# verify on the damaged copy:\n%s", out);
    /* every problem line names one of the two damaged samples, or the cut end */
    int lines = 0, named_mid = 0, named_last = 0, other = 0;
    for (const char *l = out; *l;) {
        const char *eol = strchr(l, '\n');
        size_t len = eol ? (size_t)(eol - l) : strlen(l);
        char *line = xstrndup(l, len);
        lines++;
        if (strstr(line, mid))
            named_mid++;
        else if (strstr(line, last))
            named_last++;
        else if (!strstr(line, "00002.tar.zst") || strstr(line, "sample "))
            other++;
        free(line);
        l = eol ? eol + 1 : l + len;
    }
    CHECK(named_mid >= 1, "verify names the flipped sample %s", mid);
    CHECK(named_last >= 1, "verify names the cut sample %s", last);
    CHECK(other == 0, "verify reported %d problems about other samples", other);
    tu_output_free(&o);
    /* cat: every other sample of both shards still reads, and is the reference's bytes */
    p = xasprintf("%s/index.sqlite", ds);
    sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL);
    free(p);
    sqlite3_prepare_v2(db, "SELECT key, member_bytes FROM items WHERE shard_no IN (1, 2) AND key IS NOT NULL", -1, &st,
                       NULL);
    int ok = 0, bad = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        long long want = sqlite3_column_int64(st, 1);
        int damaged = strcmp(key, mid) == 0 || strcmp(key, last) == 0;
        tu_run_clipcrawl(&o, "cat", ds, key, NULL);
        if (damaged)
            CHECK(o.status != 0, "cat of damaged %s fails (exit %d)", key, o.status);
        else if (o.status == 0 && (long long)o.out.len == want)
            ok++;
        else
            bad++;
        tu_output_free(&o);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK(bad == 0 && ok >= 30, "cat: %d undamaged samples read, %d failed", ok, bad);
    free(s1), free(s2), free(ds);
}

int main(void)
{
    const char *s = getenv("CRASH_TEST_SEED");
    if (s)
        seed = (unsigned)strtoul(s, NULL, 10);
    printf("# CRASH_TEST_SEED=%u\n", seed);
    work = tu_mkdtemp("crash");
    setup_fetch();
    test_fetch();
    test_damage();
    test_score();
    test_refilter();
    test_export();
    test_crawl();
    tu_server_stop(files);
    if (!getenv("TU_KEEP"))
        tu_rm_rf(work);
    free(work), free(list), free(ref_fetch), free(model);
    return check_summary();
}
