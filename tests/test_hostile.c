/* test_hostile.c — clipcrawl fetch and crawl against tests/hostile_server.py:
 * every broken and hostile server behaviour we know of, mixed among good
 * images on the same server, in one run each (so the faults also run beside
 * each other, as on the web).
 *
 * Pass, per fault: no crash, the run ends (no hang past the per-transfer
 * deadline: the whole run has a generous wall-clock cap), the row has the
 * expected status and a specific reason, every good URL lands exactly once,
 * peak RSS stays under HOSTILE_RSS_BOUND_MB, and `verify` is clean.
 *
 * The crawl run adds what only a crawler meets: a 50 MB page, HTML nested
 * 100,000 deep, a meta-refresh loop, a redirect chain that never ends, and
 * robots.txt files that are 10 MB, binary, a 500, or behind 10 redirects
 * (one host each, reached through --resolve), with fault images among the
 * good ones on its pages.
 *
 * It prints one line per fault (url tail, status:reason) so the table in
 * the closing notes can be regenerated. HOSTILE_ONLY=fetch|crawl runs one. */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "imggen.h"
#include "testutil.h"

/* The documented bound (README, "Limits"): peak RSS of a fetch at default
 * settings. The run below uses the default workers, concurrency, byte cap
 * and decode budget. */
#define HOSTILE_RSS_BOUND_MB 300

/* Under AddressSanitizer the binary under test is instrumented too: its
 * shadow memory and quarantine say nothing about the real bound. */
static void check_rss(const char *what, long maxrss_kb)
{
#if defined(__SANITIZE_ADDRESS__)
    printf("%s: RSS bound not checked under AddressSanitizer (%ld MB)\n", what, maxrss_kb / 1024);
#else
    CHECK(maxrss_kb / 1024 < HOSTILE_RSS_BOUND_MB, "%s: peak RSS %ld MB", what, maxrss_kb / 1024);
#endif
}
#define N_GOOD 40

static tu_server *srv;
static char *docroot;
static char base[64];

static void put(const char *rel, const ccbuf *b)
{
    char *p = xasprintf("%s/%s", docroot, rel);
    tu_write_file(p, b->data, b->len);
    free(p);
}

static void make_fixtures(void)
{
    char *d = xasprintf("%s/img", docroot);
    mkdir(d, 0755);
    free(d);
    d = xasprintf("%s/site", docroot);
    mkdir(d, 0755);
    free(d);
    ccbuf b = {0};
    for (int i = 0; i < N_GOOD; i++) {
        ccbuf_reset(&b);
        imggen_jpeg(&b, 200 + 8 * (i % 10), 160 + 6 * (i % 7), 1000 + (uint64_t)i, i % 3 == 0);
        char name[64];
        snprintf(name, sizeof name, "img/good-%03d.jpg", i);
        put(name, &b);
    }
    /* one picture each for the good URLs that are faults themselves */
    const char *own[] = {"img/good space 01.jpg", "img/retry.jpg", "img/html-typed.jpg", "img/long.jpg",
                         "img/idn.jpg", "img/bigcap.jpg", "img/nulcap.jpg"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        ccbuf_reset(&b);
        imggen_jpeg(&b, 210 + 2 * (int)i, 170, 2001 + (uint64_t)i, 0);
        put(own[i], &b);
    }
#define MAKE(name, call) ccbuf_reset(&b), call, put(name, &b)
    MAKE("img/bomb-1.jpg", imggen_scan_bomb(&b, 96, 96, 3001, 3000));
    MAKE("img/bomb-2.jpg", imggen_scan_bomb(&b, 96, 96, 3002, 3000));
    MAKE("img/bomb-3.jpg", imggen_scan_bomb(&b, 96, 96, 3003, 3000));
    MAKE("img/cmyk.jpg", imggen_jpeg_cmyk(&b, 200, 150, 3010));
    MAKE("img/png16.png", imggen_png(&b, 200, 150, 3011, IMGGEN_PNG_RGB16));
    MAKE("img/palette.png", imggen_png(&b, 200, 150, 3012, IMGGEN_PNG_PALETTE));
    MAKE("img/badcrc.png", imggen_png_bad_crc(&b, 200, 150, 3013));
    /* header claims, padded past --min-bytes with a comment / ancillary chunk */
    MAKE("img/claim.jpg", imggen_jpeg_claim(&b, 50000, 50000));
    {
        ccbuf pad = {0};
        ccbuf_append(&pad, b.data, 2);
        unsigned char com[4] = {0xFF, 0xFE, 0x08, 0x02}; /* COM, 2050 bytes */
        ccbuf_append(&pad, com, 4);
        for (int i = 0; i < 2048; i++)
            ccbuf_putc(&pad, 'c');
        ccbuf_append(&pad, b.data + 2, b.len - 2);
        put("img/claim.jpg", &pad);
        ccbuf_free(&pad);
    }
    MAKE("img/claim.png", imggen_png_claim(&b, 50000, 50000));
    for (int i = 0; i < 2048; i++)
        ccbuf_putc(&b, 0); /* after IEND: ignored by readers */
    put("img/claim.png", &b);
    MAKE("img/lossless.webp", imggen_webp_lossless(&b, 200, 150, 3014));
    MAKE("img/animated.webp", imggen_webp_animated(&b, 200, 150, 3015));
    MAKE("img/anim.gif", imggen_gif(&b, 200, 150, 3016, 3, 1, 0));
    MAKE("img/pic.bmp", imggen_bmp(&b, 200, 150, 3017, 24, 0));
    MAKE("img/pic.svg", imggen_svg(&b));
    MAKE("img/pic.avif", imggen_avif(&b));
    ccbuf_reset(&b);
    imggen_jpeg(&b, 220, 180, 3018, 0);
    b.len = b.len * 2 / 3;
    put("img/truncated.jpg", &b);
#undef MAKE
    ccbuf_free(&b);
}

/* ---- running clipcrawl with its peak RSS ----------------------------------------- */

typedef struct {
    int status;          /* exit status, or 128+signal */
    long maxrss_kb;
    double seconds;
    char *out, *err;
} run_t;

static void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

/* Runs clipcrawl with args (NULL-terminated), killing it after cap_s. */
static void run_rss(run_t *r, double cap_s, const char *const *args)
{
    memset(r, 0, sizeof *r);
    char *dir = tu_mkdtemp("hostile-run");
    char *op = xasprintf("%s/out", dir), *ep = xasprintf("%s/err", dir);
    const char *argv[64];
    int n = 0;
    argv[n++] = getenv("CLIPCRAWL_BIN");
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    double t0 = cc_now();
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        dup2(in, 0), dup2(o, 1), dup2(e, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    for (;;) {
        pid_t w = wait4(pid, &st, WNOHANG, &ru);
        if (w == pid)
            break;
        if (cc_now() - t0 > cap_s) {
            kill(pid, SIGKILL);
            wait4(pid, &st, 0, &ru);
            break;
        }
        usleep(20000);
    }
    r->seconds = cc_now() - t0;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->maxrss_kb = ru.ru_maxrss;
    r->out = tu_read_file(op, NULL);
    r->err = tu_read_file(ep, NULL);
    if (!r->out)
        r->out = xstrdup("");
    if (!r->err)
        r->err = xstrdup("");
    free(op);
    free(ep);
    tu_rm_rf(dir);
    free(dir);
}

static void verify_clean(const char *ds)
{
    tu_output o;
    tu_run_clipcrawl(&o, "verify", ds, NULL);
    CHECK(o.status == 0, "verify %s: exit %d: %s%s", ds, o.status, tu_str(&o.out), tu_str(&o.err));
    tu_output_free(&o);
}

/* ---- the fetch run ---------------------------------------------------------------- */

typedef struct {
    const char *path;     /* appended to base, or a whole URL when it has "://" */
    const char *status;   /* expected status */
    const char *reason;   /* expected reason; NULL for accepted */
    const char *caption;  /* NULL = a plain good caption */
} fault_t;

static const fault_t faults[] = {
    {"/f/slow-headers", "failed", "timeout", NULL},
    {"/f/slow-body", "failed", "timeout", NULL},
    {"/f/never-answer", "failed", "timeout", NULL},
    {"/f/reset-mid-body", "failed", "connection_reset", NULL},
    {"/f/endless-body", "failed", "too_large", NULL},
    {"/f/endless-chunked", "failed", "too_large", NULL},
    {"/f/clen-larger", "failed", "partial", NULL},
    {"/f/clen-smaller", "failed", "broken_image", NULL},
    {"/f/bad-chunk", "failed", "bad_response", NULL},
    {"/f/gzip-bomb", "failed", "too_large", NULL},
    {"/f/deflate-bomb", "failed", "too_large", NULL},
    {"/f/lying-encoding", "failed", "bad_encoding", NULL},
    {"/f/redirect-loop", "failed", "too_many_redirects", NULL},
    {"/f/redirect-chain?n=30", "failed", "too_many_redirects", NULL},
    {"/f/redirect-metadata", "rejected", "private_address", NULL},
    {"/f/redirect-private", "rejected", "private_address", NULL},
    {"/f/redirect-file", "rejected", "refused_scheme", NULL},
    {"/f/redirect-gopher", "rejected", "refused_scheme", NULL},
    {"/f/huge-header", "failed", "bad_response", NULL},
    {"/f/many-headers", "failed", "bad_response", NULL},
    {"/f/http09", "failed", "bad_response", NULL},
    {"/f/bad-status", "failed", "bad_response", NULL},
    {"/f/tls-bytes", "failed", "bad_response", NULL},
    {"/f/204-body", "failed", "empty_body", NULL},
    {"/f/304-body", "failed", "http_304", NULL},
    {"/f/retry-after?s=3", "accepted", NULL, NULL},
    {"/f/503-forever", "failed", "http_503", NULL},
    {"/f/empty-200", "failed", "empty_body", NULL},
    {"/f/empty-reply", "failed", "empty_reply", NULL},
    {"/f/huge-clen", "failed", "too_large", NULL},
    {"/f/html-as-jpeg", "failed", "not_an_image", NULL},
    {"/img/as-html/html-typed.jpg", "accepted", NULL, NULL},
    {"/img/truncated.jpg", "failed", "broken_image", NULL},
    {"/img/badcrc.png", "failed", "broken_image", NULL},
    {"/img/claim.jpg", "rejected", "too_many_pixels", NULL},
    {"/img/claim.png", "rejected", "too_many_pixels", NULL},
    {"/img/cmyk.jpg", "accepted", NULL, NULL},
    {"/img/png16.png", "accepted", NULL, NULL},
    {"/img/palette.png", "accepted", NULL, NULL},
    {"/img/animated.webp", "failed", "unsupported_format", NULL},
    {"/img/lossless.webp", "accepted", NULL, NULL},
    {"/img/anim.gif", "accepted", NULL, NULL},
    {"/img/pic.bmp", "accepted", NULL, NULL},
    {"/img/pic.svg", "failed", "unsupported_format", NULL},
    {"/img/pic.avif", "failed", "unsupported_format", NULL},
    {"/img/bomb-1.jpg", "rejected", "decode_budget", NULL},
    {"/img/bomb-2.jpg", "rejected", "decode_budget", NULL},
    {"/img/bomb-3.jpg", "rejected", "decode_budget", NULL},
    {"/img/good space 01.jpg", "accepted", NULL, NULL},
    {"http:///img/good-000.jpg", "rejected", "bad_url", NULL},
};
#define N_FAULTS (sizeof faults / sizeof faults[0])

/* A second reason that is right too. The endless bodies reach the 64 MiB
 * cap at loopback speed, unless a loaded machine (or ASan) reads slower than
 * 11 MB/s, when the 6 s deadline comes first. */
static int also_right(const char *path, const char *reason)
{
    return (strcmp(path, "/f/endless-body") == 0 || strcmp(path, "/f/endless-chunked") == 0) &&
           strcmp(reason, "timeout") == 0;
}

/* Captions that are faults themselves, on good images (index into the good set). */
static const struct {
    int good;
    const char *caption, *status, *reason;
} bad_captions[] = {
    {30, "A red kite\x01 \xE2\x80\xAEover\xE2\x80\xAC the hill at dusk", "accepted", NULL}, /* bidi overrides */
    {31, "Sunset over the <b>harbour</b> with <i>fishing boats</i>", "accepted", NULL},
    {32, "Invalid UTF-8 \xC3\x28 in a caption about \xFF mountains", "accepted", NULL},
};

static char *json_str(const char *s)
{
    ccbuf b = {0};
    ccbuf_json_string(&b, s, strlen(s));
    return ccbuf_detach(&b, NULL);
}

static char *full_url(const char *path)
{
    if (strstr(path, "://"))
        return xstrdup(path);
    return xasprintf("%s%s", base, path);
}

static void q_item(sqlite3 *db, const char *url, char *status, char *reason, int *n, int *attempts)
{
    sqlite3_stmt *st;
    *n = 0;
    status[0] = reason[0] = 0;
    *attempts = 0;
    if (sqlite3_prepare_v2(db, "SELECT status, COALESCE(reason,''), COALESCE(http_status,0) FROM items WHERE url = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        CHECK(0, "sql: %s", sqlite3_errmsg(db));
        return;
    }
    sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        (*n)++;
        snprintf(status, 16, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(reason, 64, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
}

static void test_fetch_faults(void)
{
    char *list = xasprintf("%s/list.jsonl", docroot);
    ccbuf l = {0};
    /* good ones first and last, the faults between them */
    for (int i = 0; i < N_GOOD; i++) {
        if (i == N_GOOD / 2)
            for (size_t k = 0; k < N_FAULTS; k++) {
                char *u = full_url(faults[k].path), *ju = json_str(u);
                ccbuf_printf(&l, "{\"url\": %s, \"caption\": \"a photo of test case number %zu\"}\n", ju, k);
                free(u), free(ju);
            }
        const char *cap = NULL;
        for (size_t k = 0; k < sizeof bad_captions / sizeof bad_captions[0]; k++)
            if (bad_captions[k].good == i)
                cap = bad_captions[k].caption;
        char *u = xasprintf("%s/img/good-%03d.jpg", base, i), *ju = json_str(u);
        char *jc = cap ? json_str(cap) : xasprintf("\"a landscape photograph, number %d\"", i);
        ccbuf_printf(&l, "{\"url\": %s, \"caption\": %s}\n", ju, jc);
        free(u), free(ju), free(jc);
    }
    /* an 8 KB URL and an IDN host, both good images */
    char *longu = xasprintf("%s/img/long.jpg?pad=%08000d", base, 7);
    char *idn = xasprintf("http://b\xc3\xbc" "cher.test:%d/img/idn.jpg", tu_server_port(srv));
    char *jl = json_str(longu), *ji = json_str(idn);
    ccbuf_printf(&l, "{\"url\": %s, \"caption\": \"a long address\"}\n", jl);
    ccbuf_printf(&l, "{\"url\": %s, \"caption\": \"an international host name\"}\n", ji);
    free(jl), free(ji);
    /* a caption of 1 MB */
    ccbuf big = {0};
    for (int i = 0; i < 1024 * 1024 / 16; i++)
        ccbuf_puts(&big, "a quiet harbour ");
    char *bu = xasprintf("%s/img/bigcap.jpg", base);
    ccbuf_printf(&l, "{\"url\": \"%s\", \"caption\": \"%.*s\"}\n", bu, (int)big.len, (const char *)big.data);
    /* a caption with a NUL byte in it (JSON \u0000) */
    char *nu = xasprintf("%s/img/nulcap.jpg", base);
    ccbuf_printf(&l, "{\"url\": \"%s\", \"caption\": \"a red kite\\u0000 over the hill\"}\n", nu);
    tu_write_file(list, l.data, l.len);

    char *ds = tu_mkdtemp("hostile-fetch");
    char resolve[128];
    snprintf(resolve, sizeof resolve, "xn--bcher-kva.test:%d:127.0.0.1", tu_server_port(srv));
    run_t r;
    /* Short deadlines through flags, so the slowloris faults end in seconds;
     * everything else is the default (concurrency, byte cap, workers). */
    run_rss(&r, 240,
            (const char *const[]){"fetch", list, "-o", ds, "--allow-loopback", "--resolve", resolve, "--timeout", "6",
                                  "--connect-timeout", "2", "--retries", "1", "-q", NULL});
    CHECK(r.status == 0, "fetch exit %d: %s", r.status, r.err);
    CHECK(r.status != 128 + SIGKILL, "fetch hung: killed after %.0f s", r.seconds);
    printf("fetch: %.1f s, peak RSS %.1f MB (bound %d MB)\n", r.seconds, r.maxrss_kb / 1024.0, HOSTILE_RSS_BOUND_MB);
    check_rss("fetch", r.maxrss_kb);

    char *dbp = xasprintf("%s/index.sqlite", ds);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open %s", dbp);
    char st[16], rs[64];
    int n, att;
    for (size_t k = 0; db && k < N_FAULTS; k++) {
        char *u = full_url(faults[k].path);
        q_item(db, u, st, rs, &n, &att);
        const char *want_reason = faults[k].reason ? faults[k].reason : "";
        CHECK(n == 1 && strcmp(st, faults[k].status) == 0 &&
                  (strcmp(rs, want_reason) == 0 || also_right(faults[k].path, rs)),
              "%s: %d rows, got %s:%s, want %s:%s", faults[k].path, n, st, rs, faults[k].status, want_reason);
        printf("  %-34s %s%s%s\n", faults[k].path, st, rs[0] ? ":" : "", rs);
        free(u);
    }
    /* every good image lands exactly once */
    for (int i = 0; db && i < N_GOOD; i++) {
        char *u = xasprintf("%s/img/good-%03d.jpg", base, i);
        q_item(db, u, st, rs, &n, &att);
        int bad_cap = -1;
        for (size_t k = 0; k < sizeof bad_captions / sizeof bad_captions[0]; k++)
            if (bad_captions[k].good == i)
                bad_cap = (int)k;
        const char *want = bad_cap >= 0 ? bad_captions[bad_cap].status : "accepted";
        CHECK(n == 1 && strcmp(st, want) == 0, "good image %d: %d rows, %s:%s", i, n, st, rs);
        /* how often it was requested: more than once means a transient
         * failure was retried (under heavy load the Python server itself can
         * be too slow for the deadline, so this is reported, not asserted) */
        char needle[64];
        snprintf(needle, sizeof needle, "/img/good-%03d.jpg HTTP", i);
        if (tu_access_log_count(srv, needle) != 1)
            printf("  note: good image %d requested %d times\n", i, tu_access_log_count(srv, needle));
        free(u);
    }
    for (size_t k = 0; k < sizeof bad_captions / sizeof bad_captions[0]; k++)
        printf("  caption fault %zu                    accepted\n", k);
    const char *extra[] = {longu, idn, bu, nu};
    const char *extra_name[] = {"8 KB URL", "IDN host", "1 MB caption", "NUL in caption"};
    const char *extra_want[] = {"accepted", "accepted", "accepted", "accepted"};
    for (int k = 0; db && k < 4; k++) {
        q_item(db, extra[k], st, rs, &n, &att);
        CHECK(n == 1 && strcmp(st, extra_want[k]) == 0, "%s: %d rows, %s:%s", extra_name[k], n, st, rs);
        printf("  %-34s %s%s%s\n", extra_name[k], st, rs[0] ? ":" : "", rs);
    }
    /* the 1 MB caption is cut to caption_max_chars (2000) before it is judged
     * and stored; the NUL (JSON \u0000) does not end the caption */
    char *sql = xasprintf("SELECT length(caption) FROM items WHERE url = '%s'", bu);
    sqlite3_stmt *s1;
    if (db && sqlite3_prepare_v2(db, sql, -1, &s1, NULL) == SQLITE_OK) {
        CHECK(sqlite3_step(s1) == SQLITE_ROW && sqlite3_column_int(s1, 0) <= 2000 && sqlite3_column_int(s1, 0) > 100,
              "1 MB caption stored with %d characters", sqlite3_column_int(s1, 0));
        sqlite3_finalize(s1);
    }
    free(sql);
    sql = xasprintf("SELECT caption FROM items WHERE url = '%s'", nu);
    if (db && sqlite3_prepare_v2(db, sql, -1, &s1, NULL) == SQLITE_OK) {
        CHECK(sqlite3_step(s1) == SQLITE_ROW && sqlite3_column_text(s1, 0) &&
                  strstr((const char *)sqlite3_column_text(s1, 0), "over the hill"),
              "NUL caption kept whole: %s", sqlite3_column_text(s1, 0) ? (const char *)sqlite3_column_text(s1, 0) : "");
        sqlite3_finalize(s1);
    }
    free(sql);
    /* every row has a specific reason (never "other" or "unknown") */
    sqlite3_stmt *s;
    if (db && sqlite3_prepare_v2(db, "SELECT url, reason FROM items WHERE status <> 'accepted' AND "
                                     "(reason IS NULL OR reason IN ('other','unknown',''))", -1, &s, NULL) == SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW)
            CHECK(0, "unspecific reason for %s: %s", sqlite3_column_text(s, 0),
                  sqlite3_column_text(s, 1) ? (const char *)sqlite3_column_text(s, 1) : "NULL");
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    /* the 429 retry waited the full Retry-After (3 s), among everything else:
     * the server logs each request's arrival; the 429 went out at once */
    char *log = tu_read_file(tu_server_access_log(srv), NULL);
    double t[4] = {0};
    int nt = 0;
    for (char *line = log; line && *line && nt < 4;) {
        char *eol = strchr(line, '\n');
        if (strstr(line, "/f/retry-after?s=3") && (!eol || strstr(line, "/f/retry-after?s=3") < eol))
            t[nt++] = strtod(line, NULL);
        line = eol ? eol + 1 : line + strlen(line);
    }
    CHECK(nt == 2, "retry-after: %d requests, want 2", nt);
    if (nt == 2)
        printf("  429 Retry-After: 3 -> retried after %.2f s\n", t[1] - t[0]);
    CHECK(nt == 2 && t[1] - t[0] >= 2.95, "retry came %.2f s after the 429", t[1] - t[0]);
    free(log);
    verify_clean(ds);
    free(dbp);
    run_free(&r);
    tu_rm_rf(ds);
    free(ds), free(list), free(longu), free(idn), free(bu), free(nu);
    ccbuf_free(&big);
    ccbuf_free(&l);
}

/* ---- the crawl run ---------------------------------------------------------------- */

static void site_file(const char *rel, const char *text, size_t len)
{
    char *p = xasprintf("%s/site/%s", docroot, rel);
    tu_write_file(p, text, len);
    free(p);
}

static void site_page(const char *rel, const char *html)
{
    site_file(rel, html, strlen(html));
}

/* Pages of the crawl run (suffix of the page URL) and how each must end. */
/* What the crawl must record for the row whose URL ends in tail. */
typedef struct {
    const char *tail, *state, *reason;
} want_row;

/* The index of the row of want[0..n) whose tail ends url, or n. */
static size_t want_find(const want_row *want, size_t n, const char *url)
{
    size_t k, ul = strlen(url);
    for (k = 0; k < n; k++) {
        size_t tl = strlen(want[k].tail);
        if (ul >= tl && strcmp(url + ul - tl, want[k].tail) == 0)
            break;
    }
    return k;
}

static const want_row crawl_pages_want[] = {
    {"/site/index.html", "fetched", NULL},
    {"/site/good.html", "fetched", NULL},
    {"/site/refresh-a.html", "fetched", NULL},   /* meta refresh to b, and a link */
    {"/site/refresh-b.html", "fetched", NULL},   /* meta refresh back to a: fetched once each */
    {"/site/deep.html", "fetched", NULL},        /* 100,000 nested elements */
    {"/site/big.html", "failed", "too_large"},   /* 50 MB: over the 16 MiB page cap */
    {"/f/gzip-bomb?as=page", "failed", "too_large"},
    {"/f/http09?as=page", "failed", "bad_response"},
    {"/f/tls-bytes?as=page", "failed", "bad_response"},
    {"/f/slow-headers?as=page", "failed", "timeout"},
    {"/f/redirect-loop", "skipped", "redirect"}, /* its target is itself: known, not queued again */
    {"/site/r-0.html", "fetched", NULL},         /* robots-big: 10 MB, first 500 KiB parsed */
    {"/site/big-early.html", "skipped", "robots"}, /* disallowed in the first 500 KiB */
    {"/site/big-late.html", "fetched", NULL},    /* disallowed only past 500 KiB: ignored */
    {"/site/r-1.html", "fetched", NULL},         /* robots-binary: no rule, allow all */
    {"/site/r-2.html", "failed", "robots_unavailable"}, /* robots-5xx: unreachable, disallow all for now */
    {"/site/r-3.html", "fetched", NULL},         /* robots-redirects: 10 hops, unavailable, allow all */
};

/* Images of the crawl run: crawl-N.jpg are good ones (accepted unless listed
 * in crawl_lost), the rest faults. */
static const want_row crawl_images_want[] = {
    {"/f/gzip-bomb?as=img", "failed", "too_large"},
    {"/f/never-answer?as=img", "failed", "timeout"},
    {"/f/redirect-loop?as=img", "failed", "too_many_redirects"},
    {"/f/reset-mid-body?as=img", "failed", "connection_reset"},
    {"/f/http09?as=img", "failed", "bad_response"},
    {"/img/bomb-1.jpg", "rejected", "decode_budget"},
    {"/img/pic.svg", "failed", "unsupported_format"},
};
#define N_CRAWL_GOOD 14
/* good images on pages that must not be read: the 50 MB page, and the two
 * pages robots.txt disallows */
static const int crawl_lost[] = {6, 11, 12};
#define CRAWL_TOO_DEEP 13 /* the image under 100,000 nested elements: accepted or not found */

static void test_crawl_faults(void)
{
    ccbuf b = {0};
    for (int i = 0; i < N_CRAWL_GOOD; i++) {
        ccbuf_reset(&b);
        imggen_jpeg(&b, 230 + 4 * (i % 5), 170 + 3 * i, 7000 + (uint64_t)i, i % 2);
        char name[64];
        snprintf(name, sizeof name, "img/crawl-%d.jpg", i);
        put(name, &b);
    }
    site_page("index.html", "<html><body>"
                            "<a href=\"/site/good.html\">good</a> <a href=\"/site/big.html\">big</a>"
                            " <a href=\"/site/deep.html\">deep</a> <a href=\"/site/refresh-a.html\">refresh</a>"
                            " <a href=\"/f/gzip-bomb?as=page\">x</a> <a href=\"/f/http09?as=page\">x</a>"
                            " <a href=\"/f/tls-bytes?as=page\">x</a> <a href=\"/f/slow-headers?as=page\">x</a>"
                            " <a href=\"/f/redirect-loop\">x</a> <a href=\"/f/redirect-forever?n=0\">x</a>"
                            "</body></html>");
    site_page("good.html", "<html><body>"
                           "<img src=\"/img/crawl-0.jpg\" alt=\"a stone bridge over a river in spring\">"
                           "<img src=\"/f/gzip-bomb?as=img\" alt=\"a picture that is a gzip bomb\">"
                           "<img src=\"/img/crawl-1.jpg\" alt=\"two herons standing in shallow water\">"
                           "<img src=\"/f/never-answer?as=img\" alt=\"a picture that never comes\">"
                           "<img src=\"/f/redirect-loop?as=img\" alt=\"a picture behind a redirect loop\">"
                           "<img src=\"/f/reset-mid-body?as=img\" alt=\"a picture cut off by a reset\">"
                           "<img src=\"/f/http09?as=img\" alt=\"a picture from an old server\">"
                           "<img src=\"/img/bomb-1.jpg\" alt=\"a progressive picture with many scans\">"
                           "<img src=\"/img/pic.svg\" alt=\"a vector drawing of a house\">"
                           "<img src=\"/img/crawl-2.jpg\" alt=\"a red kite&#0; over the hill at dusk\">"
                           "</body></html>");
    site_page("refresh-a.html",
              "<html><head><meta http-equiv=\"refresh\" content=\"0; url=/site/refresh-b.html\"></head><body>"
              "<a href=\"/site/refresh-b.html\">b</a>"
              "<img src=\"/img/crawl-3.jpg\" alt=\"a lighthouse on a rocky coast\"></body></html>");
    site_page("refresh-b.html",
              "<html><head><meta http-equiv=\"refresh\" content=\"0; url=/site/refresh-a.html\"></head><body>"
              "<a href=\"/site/refresh-a.html\">a</a>"
              "<img src=\"/img/crawl-4.jpg\" alt=\"a fishing boat in a small harbour\"></body></html>");
    /* HTML nested 100,000 deep, an image before the nesting and one at the
     * bottom (libxml2 stops a tree at 256 levels, so that one may be lost) */
    ccbuf_reset(&b);
    ccbuf_puts(&b, "<html><body><img src=\"/img/crawl-5.jpg\" alt=\"a deep well in a green meadow\">");
    for (int i = 0; i < 100000; i++)
        ccbuf_puts(&b, "<div>");
    ccbuf_puts(&b, "<img src=\"/img/crawl-13.jpg\" alt=\"a cave entrance behind a waterfall\"></body></html>");
    site_file("deep.html", (const char *)b.data, b.len);
    /* a 50 MB page */
    ccbuf_reset(&b);
    ccbuf_puts(&b, "<html><body><img src=\"/img/crawl-6.jpg\" alt=\"a very long page about nothing\">");
    while (b.len < 50u << 20)
        ccbuf_puts(&b, "<p>filler filler filler filler filler filler filler filler filler filler</p>\n");
    ccbuf_puts(&b, "</body></html>");
    site_file("big.html", (const char *)b.data, b.len);
    site_page("big-early.html", "<html><body><img src=\"/img/crawl-11.jpg\" alt=\"a page robots.txt disallows early\">"
                                "</body></html>");
    site_page("big-late.html", "<html><body><img src=\"/img/crawl-8.jpg\" alt=\"a harvest moon over wheat fields\">"
                               "</body></html>");
    /* one host per robots.txt fault, each with a page holding one image */
    const char *rhosts[] = {"robots-big", "robots-binary", "robots-5xx", "robots-redirects"};
    const int rimg[] = {7, 9, 12, 10};
    ccbuf seeds = {0};
    ccbuf_printf(&seeds, "%s/site/index.html\n", base);
    char *resolve[4];
    for (int i = 0; i < 4; i++) {
        char page[64], html[512];
        snprintf(page, sizeof page, "r-%d.html", i);
        snprintf(html, sizeof html,
                 "<html><body>%s<img src=\"/img/crawl-%d.jpg\" alt=\"a windmill in a tulip field, %s\"></body></html>",
                 i == 0 ? "<a href=\"/site/big-early.html\">e</a><a href=\"/site/big-late.html\">l</a>" : "", rimg[i],
                 rhosts[i]);
        site_page(page, html);
        ccbuf_printf(&seeds, "http://%s.test:%d/site/%s\n", rhosts[i], tu_server_port(srv), page);
        resolve[i] = xasprintf("%s.test:%d:127.0.0.1", rhosts[i], tu_server_port(srv));
    }
    char *seedf = xasprintf("%s/seeds.txt", docroot);
    tu_write_file(seedf, seeds.data, seeds.len);
    char *ds = tu_mkdtemp("hostile-crawl");
    run_t r;
    /* Short deadlines, no politeness delay (every page is on one of five
     * hosts of one server); byte caps, decode budget and workers default. */
    run_rss(&r, 240,
            (const char *const[]){"crawl", seedf, "-o", ds, "--allow-loopback", "--resolve", resolve[0], "--resolve",
                                  resolve[1], "--resolve", resolve[2], "--resolve", resolve[3], "--depth", "2",
                                  "--host-delay", "0", "--host-concurrency", "16", "--timeout", "6",
                                  "--connect-timeout", "2", "--retries", "1", "-q", NULL});
    CHECK(r.status == 0, "crawl exit %d: %s", r.status, r.err);
    CHECK(r.status != 128 + SIGKILL, "crawl hung: killed after %.0f s", r.seconds);
    printf("crawl: %.1f s, peak RSS %.1f MB (bound %d MB)\n", r.seconds, r.maxrss_kb / 1024.0, HOSTILE_RSS_BOUND_MB);
    check_rss("crawl", r.maxrss_kb);
    char *dbp = xasprintf("%s/index.sqlite", ds);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open %s", dbp);
    sqlite3_stmt *st;
    /* every page: its expected end; none left queued, none without a reason */
    int seen[sizeof crawl_pages_want / sizeof crawl_pages_want[0]] = {0}, forever = 0, forever_failed = 0;
    if (db && sqlite3_prepare_v2(db, "SELECT url, state, COALESCE(reason,'') FROM crawl_pages ORDER BY id", -1, &st,
                                 NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *u = (const char *)sqlite3_column_text(st, 0), *state = (const char *)sqlite3_column_text(st, 1),
                       *why = (const char *)sqlite3_column_text(st, 2);
            CHECK(strcmp(state, "fetched") == 0 || why[0], "page %s %s without a reason", u, state);
            if (strstr(u, "/f/redirect-forever")) {
                forever++;
                forever_failed += strcmp(state, "failed") == 0 && strcmp(why, "too_many_redirects") == 0;
                continue;
            }
            size_t k = want_find(crawl_pages_want, sizeof crawl_pages_want / sizeof crawl_pages_want[0], u);
            if (k == sizeof crawl_pages_want / sizeof crawl_pages_want[0]) {
                CHECK(0, "unexpected page %s %s:%s", u, state, why);
                continue;
            }
            seen[k]++;
            const char *want_why = crawl_pages_want[k].reason ? crawl_pages_want[k].reason : "";
            CHECK(strcmp(state, crawl_pages_want[k].state) == 0 && strcmp(why, want_why) == 0,
                  "page %s: %s:%s, want %s:%s", u, state, why, crawl_pages_want[k].state, want_why);
            printf("  page  %-30s %s%s%s\n", crawl_pages_want[k].tail, state, why[0] ? ":" : "", why);
        }
        sqlite3_finalize(st);
    }
    for (size_t k = 0; k < sizeof crawl_pages_want / sizeof crawl_pages_want[0]; k++)
        CHECK(seen[k] == 1, "page %s: %d rows", crawl_pages_want[k].tail, seen[k]);
    /* a redirect chain that never ends stops after a bounded number of hops */
    printf("  page  %-30s %d hops, the last failed:too_many_redirects\n", "/f/redirect-forever?n=0..", forever);
    CHECK(forever >= 2 && forever <= 12 && forever_failed == 1, "endless redirect chain: %d pages, %d failed", forever,
          forever_failed);
    /* the meta-refresh loop: nothing follows the refresh, each page is
     * requested once (twice when a loaded machine made it time out: --retries 1) */
    CHECK(tu_access_log_count(srv, "GET /site/refresh-a.html ") <= 2 &&
              tu_access_log_count(srv, "GET /site/refresh-b.html ") <= 2,
          "refresh loop: a requested %d times, b %d times", tu_access_log_count(srv, "GET /site/refresh-a.html "),
          tu_access_log_count(srv, "GET /site/refresh-b.html "));
    /* robots.txt: the pages it disallows were never requested */
    CHECK(tu_access_log_count(srv, "GET /site/r-2.html") == 0, "a page behind a 5xx robots.txt was requested");
    CHECK(tu_access_log_count(srv, "GET /site/big-early.html") == 0, "a disallowed page was requested");
    /* images: faults with their reasons, good ones accepted once each */
    int good_rows[N_CRAWL_GOOD] = {0}, good_ok[N_CRAWL_GOOD] = {0};
    int fault_seen[sizeof crawl_images_want / sizeof crawl_images_want[0]] = {0};
    if (db && sqlite3_prepare_v2(db, "SELECT url, status, COALESCE(reason,''), COALESCE(caption,'') FROM items", -1,
                                 &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *u = (const char *)sqlite3_column_text(st, 0), *status = (const char *)sqlite3_column_text(st, 1),
                       *why = (const char *)sqlite3_column_text(st, 2), *cap = (const char *)sqlite3_column_text(st, 3);
            CHECK(strcmp(status, "accepted") == 0 || (why[0] && strcmp(why, "other") != 0), "image %s %s:%s", u,
                  status, why);
            const char *g = strstr(u, "/img/crawl-");
            if (g) {
                int n = atoi(g + strlen("/img/crawl-"));
                if (n >= 0 && n < N_CRAWL_GOOD) {
                    good_rows[n]++;
                    good_ok[n] += strcmp(status, "accepted") == 0;
                }
                if (n == 2)
                    CHECK(strstr(cap, "over the hill") != NULL, "&#0; cut the alt text: '%s'", cap);
                continue;
            }
            size_t k = want_find(crawl_images_want, sizeof crawl_images_want / sizeof crawl_images_want[0], u);
            if (k == sizeof crawl_images_want / sizeof crawl_images_want[0]) {
                CHECK(0, "unexpected image %s %s:%s", u, status, why);
                continue;
            }
            fault_seen[k]++;
            CHECK(strcmp(status, crawl_images_want[k].state) == 0 && strcmp(why, crawl_images_want[k].reason) == 0,
                  "image %s: %s:%s, want %s:%s", u, status, why, crawl_images_want[k].state, crawl_images_want[k].reason);
            printf("  image %-30s %s:%s\n", crawl_images_want[k].tail, status, why);
        }
        sqlite3_finalize(st);
    }
    for (size_t k = 0; k < sizeof crawl_images_want / sizeof crawl_images_want[0]; k++)
        CHECK(fault_seen[k] == 1, "image %s: %d rows", crawl_images_want[k].tail, fault_seen[k]);
    int landed = 0;
    for (int n = 0; n < N_CRAWL_GOOD; n++) {
        int lost = 0;
        for (size_t k = 0; k < sizeof crawl_lost / sizeof crawl_lost[0]; k++)
            lost |= crawl_lost[k] == n;
        if (lost)
            CHECK(good_rows[n] == 0, "good image %d on a page not read has %d rows", n, good_rows[n]);
        else if (n == CRAWL_TOO_DEEP)
            CHECK(good_rows[n] == good_ok[n] && good_rows[n] <= 1, "the deep image: %d rows, %d accepted",
                  good_rows[n], good_ok[n]);
        else
            CHECK(good_rows[n] == 1 && good_ok[n] == 1, "good image %d: %d rows, %d accepted", n, good_rows[n],
                  good_ok[n]);
        landed += good_ok[n];
    }
    printf("  %d of %d good images landed (%d on pages not read; the one under 100,000 elements %s)\n", landed,
           N_CRAWL_GOOD, (int)(sizeof crawl_lost / sizeof crawl_lost[0]),
           good_ok[CRAWL_TOO_DEEP] ? "accepted" : "not found");
    sqlite3_close(db);
    verify_clean(ds);
    run_free(&r);
    tu_rm_rf(ds);
    for (int i = 0; i < 4; i++)
        free(resolve[i]);
    free(ds), free(dbp), free(seedf);
    ccbuf_free(&seeds);
    ccbuf_free(&b);
}

int main(void)
{
    docroot = tu_mkdtemp("hostile-root");
    make_fixtures();
    srv = tu_script_server_start("hostile_server.py", docroot);
    snprintf(base, sizeof base, "%s", tu_server_base(srv));
    if (!getenv("HOSTILE_ONLY") || strcmp(getenv("HOSTILE_ONLY"), "fetch") == 0)
        test_fetch_faults();
    if (!getenv("HOSTILE_ONLY") || strcmp(getenv("HOSTILE_ONLY"), "crawl") == 0)
        test_crawl_faults();
    tu_server_stop(srv);
    tu_rm_rf(docroot);
    free(docroot);
    return check_summary();
}
