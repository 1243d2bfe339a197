/* test_fetch.c — `clipcrawl fetch` end to end, through the built binary.
 *
 * A generated site of photo-like JPEGs is served by nginx on 127.0.0.1 and
 * misbehaving URLs by tests/fault_server.py. Each part runs the real command
 * and then reads what it left behind three ways: the index (SQLite, read
 * only), the shards as plain tar (`tar --zstd`), and `clipcrawl cat/verify`.
 *
 *   1. site of N images, csv with captions: every image once, tar layout,
 *      cat == tar member bytes, KEY.json fields, sha256 of the source, verify
 *   2. every input format (txt csv tsv json jsonl, .gz) and --url-col/--caption-col
 *   3. bad inputs: each a recorded outcome with its reason, run exits 0
 *   4. resume (nothing redone), --retry-failed (only failed rows redone),
 *      kill -9 at random moments then rerun == uninterrupted run
 *   5. options: resize modes, encode formats, --keep-original, checks,
 *      --samples-per-shard rotation and sealing
 *
 * Environment: CLIPCRAWL_BIN (set by meson), TU_KEEP=1 keeps the work dir,
 * FETCH_TEST_SEED fixes the kill moments of part 4.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <zlib.h>

#include "check.h"
#include "common.h"
#include "image.h"
#include "json.h"
#include "photogen.h"
#include "testutil.h"

#define N_SITE 300

static char *work;            /* temp dir holding everything */
static tu_server *nginx, *faults;
static char src_sha[N_SITE][65]; /* sha256 of each site file */

/* ---- small helpers ---------------------------------------------------------- */

static char *path_in(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *path_in(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char rel[1024];
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    return xasprintf("%s/%s", work, rel);
}

static void write_text(const char *path, const char *text)
{
    tu_write_file(path, text, strlen(text));
}

/* Runs clipcrawl with argv (NULL-terminated, without the binary). */
/* The binary with a NULL-terminated argument array. */
static void run_cc(tu_output *o, const char *const *args) { tu_run_clipcrawl_args(o, args, 120); }

#define CC(o, ...) run_cc(o, (const char *const[]){__VA_ARGS__, NULL})

/* Parses the counts line fetch prints last on stdout. Returns -1 when absent. */
typedef struct {
    long long accepted, rejected, failed, optout;
} counts_t;
static int parse_counts(const tu_output *o, counts_t *c)
{
    const char *s = tu_str(&o->out);
    const char *last = strrchr(s, '{');
    if (!last)
        return -1;
    char err[128];
    json_value *v = json_parse(last, strlen(last), err, sizeof err);
    if (!v)
        return -1;
    c->accepted = (long long)json_get_number(v, "accepted", -1);
    c->rejected = (long long)json_get_number(v, "rejected", -1);
    c->failed = (long long)json_get_number(v, "failed", -1);
    c->optout = (long long)json_get_number(v, "optout", -1);
    json_free(v);
    return 0;
}

/* ---- index access ------------------------------------------------------------- */

static sqlite3 *db_open(const char *dir)
{
    char *p = xasprintf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s\n", p);
        sqlite3_close(db);
        db = NULL;
    }
    free(p);
    if (db)
        sqlite3_busy_timeout(db, 5000);
    return db;
}

/* First column of the first row as an integer; -1 on error/no row. */
static long long db_int(sqlite3 *db, const char *sql, const char *arg)
{
    sqlite3_stmt *st;
    if (!db || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "sql error: %s: %s\n", sql, db ? sqlite3_errmsg(db) : "no db");
        return -1;
    }
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

static long long dir_int(const char *dir, const char *sql, const char *arg)
{
    sqlite3 *db = db_open(dir);
    long long v = db_int(db, sql, arg);
    sqlite3_close(db);
    return v;
}

/* One item looked up by url (or by input name suffix + row_no when url is NULL). */
typedef struct {
    int found;
    char status[16], reason[64], error[256], key[16], ext[8];
    int http_status, width, height, ow, oh;
} item_t;

static item_t item_by(sqlite3 *db, const char *url, const char *input_suffix, int row_no)
{
    item_t it = {0};
    const char *sql_url = "SELECT status, reason, error, key, image_format, http_status, width, height,"
                          " original_width, original_height FROM items WHERE url = ?1";
    const char *sql_row = "SELECT status, reason, error, key, image_format, http_status, width, height,"
                          " original_width, original_height FROM items JOIN inputs ON inputs.id = items.input_id"
                          " WHERE inputs.name LIKE '%' || ?1 AND items.row_no = ?2";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, url ? sql_url : sql_row, -1, &st, NULL) != SQLITE_OK)
        return it;
    sqlite3_bind_text(st, 1, url ? url : input_suffix, -1, SQLITE_TRANSIENT);
    if (!url)
        sqlite3_bind_int(st, 2, row_no);
    if (sqlite3_step(st) == SQLITE_ROW) {
        it.found = 1;
#define COPY(i, f)                                                                      \
    snprintf(it.f, sizeof it.f, "%s",                                                   \
             sqlite3_column_text(st, i) ? (const char *)sqlite3_column_text(st, i) : "")
        COPY(0, status);
        COPY(1, reason);
        COPY(2, error);
        COPY(3, key);
        COPY(4, ext);
#undef COPY
        it.http_status = sqlite3_column_int(st, 5);
        it.width = sqlite3_column_int(st, 6);
        it.height = sqlite3_column_int(st, 7);
        it.ow = sqlite3_column_int(st, 8);
        it.oh = sqlite3_column_int(st, 9);
    }
    sqlite3_finalize(st);
    return it;
}

/* ---- the site ----------------------------------------------------------------------- */

static void make_jpeg(const char *path, int w, int h, uint64_t seed, int quality, char sha_out[65])
{
    img_image im = {.width = w, .height = h, .mode = IMG_MODE_RGB, .channels = 3};
    im.pixels = xmalloc((size_t)w * h * 3);
    photogen_make(w, h, seed, im.pixels);
    ccbuf b = {0};
    char err[256];
    if (img_encode(&im, ENC_JPG, quality, &b, err, sizeof err) != CC_OK) {
        fprintf(stderr, "encode: %s\n", err);
        exit(99);
    }
    tu_write_file(path, b.data, b.len);
    if (sha_out)
        cc_sha256_hex(b.data, b.len, sha_out);
    ccbuf_free(&b);
    img_image_free(&im);
}

static void copy_file(const char *from, const char *to)
{
    size_t n;
    char *d = tu_read_file(from, &n);
    if (!d) {
        fprintf(stderr, "cannot read %s\n", from);
        exit(99);
    }
    tu_write_file(to, d, n);
    free(d);
}

static void make_site(void)
{
    char *site = path_in("site");
    char *img = path_in("site/img");
    char *bad = path_in("site/bad");
    mkdir(site, 0755), mkdir(img, 0755), mkdir(bad, 0755);
    for (int i = 0; i < N_SITE; i++) {
        int w, h;
        photogen_size(i, 1, &w, &h);
        char *p = path_in("site/img/p%03d.jpg", i);
        make_jpeg(p, w, h, 4242u + (uint64_t)i, 80, src_sha[i]);
        free(p);
    }
    /* known images for the option tests */
    char *p = path_in("site/k320x240.jpg");
    make_jpeg(p, 320, 240, 77, 90, NULL);
    free(p);
    p = path_in("site/k100x400.jpg");
    make_jpeg(p, 100, 400, 78, 90, NULL);
    free(p);
    static const char *fixtures[] = {"truncated.jpg", "huge_ihdr.png", "html_as_image.jpg",
                                     "empty.jpg", "cmyk_adobe.jpg", "photo_small.jpg"};
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) {
        char *rel = xasprintf("data/images/%s", fixtures[i]);
        char *from = tu_tests_path(rel);
        char *to = path_in("site/bad/%s", fixtures[i]);
        copy_file(from, to);
        free(rel), free(from), free(to);
    }
    free(site), free(img), free(bad);
}

static char *site_url(int i)
{
    return xasprintf("%s/img/p%03d.jpg", tu_server_base(nginx), i);
}

/* Caption of site image i: some carry CSV-hostile and non-ASCII text. */
static char *site_caption(int i)
{
    if (i % 7 == 3)
        return xasprintf("photo %d, with \"quotes\", commas — and ünïcödé 猫", i);
    return xasprintf("a photo-like picture number %d", i);
}

static char *csv_quote(const char *s)
{
    ccbuf b = {0};
    ccbuf_putc(&b, '"');
    for (; *s; s++) {
        if (*s == '"')
            ccbuf_putc(&b, '"');
        ccbuf_putc(&b, *s);
    }
    ccbuf_putc(&b, '"');
    ccbuf_putc(&b, 0);
    return ccbuf_detach(&b, NULL);
}

/* site.csv: url,caption for images [from, to). */
static char *write_site_csv(const char *name, int from, int to)
{
    ccbuf b = {0};
    ccbuf_printf(&b, "url,caption\n");
    for (int i = from; i < to; i++) {
        char *u = site_url(i), *c = site_caption(i), *q = csv_quote(c);
        ccbuf_printf(&b, "%s,%s\n", u, q);
        free(u), free(c), free(q);
    }
    char *path = path_in("%s", name);
    tu_write_file(path, b.data, b.len);
    ccbuf_free(&b);
    return path;
}

/* ---- shard checks ------------------------------------------------------------------- */

/* Accepted keys of shard_no in key order, '\n'-joined; also their image ext. */
static char *shard_expected_listing(sqlite3 *db, long long shard_no)
{
    sqlite3_stmt *st;
    ccbuf b = {0};
    sqlite3_prepare_v2(db,
                       "SELECT key, image_format FROM items WHERE status='accepted' AND shard_no=?1"
                       " ORDER BY frame_offset",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, shard_no);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *e = (const char *)sqlite3_column_text(st, 1);
        ccbuf_printf(&b, "%s.%s\n%s.txt\n%s.json\n", k, e, k, k);
    }
    sqlite3_finalize(st);
    ccbuf_putc(&b, 0);
    return ccbuf_detach(&b, NULL);
}

/* Checks every shard of dir: sealed shards are plain tar listing exactly the
 * index's samples, in order, and end with the two zero blocks. Returns the
 * number of shards. */
static int check_shards(const char *dir, int expect_sealed)
{
    sqlite3 *db = db_open(dir);
    sqlite3_stmt *st;
    int n = 0;
    sqlite3_prepare_v2(db, "SELECT shard_no, path, state FROM shards ORDER BY shard_no", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long no = sqlite3_column_int64(st, 0);
        char *path = xasprintf("%s/%s", dir, (const char *)sqlite3_column_text(st, 1));
        const char *state = (const char *)sqlite3_column_text(st, 2);
        if (expect_sealed)
            CHECK(strcmp(state, "sealed") == 0, "%s: state %s", path, state);
        char *want = shard_expected_listing(db, no);
        tu_output o;
        tu_run((const char *const[]){"tar", "--zstd", "-tf", path, NULL}, NULL, 60, &o);
        CHECK(o.status == 0, "tar -tf %s: %s", path, tu_str(&o.err));
        CHECK(strcmp(tu_str(&o.out), want) == 0, "%s lists other members than the index (%zu vs %zu bytes)", path,
              o.out.len, strlen(want));
        tu_output_free(&o);
        free(want);
        if (strcmp(state, "sealed") == 0) {
            tu_run((const char *const[]){"zstd", "-dcq", path, NULL}, NULL, 60, &o);
            int tail_ok = o.status == 0 && o.out.len >= 1024 && o.out.len % 512 == 0;
            for (size_t i = 0; tail_ok && i < 1024; i++)
                tail_ok = o.out.data[o.out.len - 1024 + i] == 0;
            CHECK(tail_ok, "%s: sealed shard does not end with two zero blocks (%zu bytes)", path, o.out.len);
            tu_output_free(&o);
        }
        free(path);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void check_verify(const char *dir)
{
    tu_output o;
    CC(&o, "verify", dir);
    CHECK(o.status == 0, "verify %s: exit %d: %s%s", dir, o.status, tu_str(&o.out), tu_str(&o.err));
    tu_output_free(&o);
}

/* ---- 1. the site ---------------------------------------------------------------------- */

static char *ds_site; /* the uninterrupted reference run */
static char *site_csv;

static void test_site(void)
{
    site_csv = write_site_csv("site.csv", 0, N_SITE);
    ds_site = path_in("ds-site");
    tu_output o;
    double t0 = cc_now();
    CC(&o, "fetch", site_csv, "-o", ds_site, "--allow-private");
    double dt = cc_now() - t0;
    counts_t c = {-1, -1, -1, -1};
    CHECK(o.status == 0, "fetch site: exit %d: %s", o.status, tu_str(&o.err));
    CHECK(parse_counts(&o, &c) == 0, "no counts line: %s", tu_str(&o.out));
    CHECK_EQ_INT(c.accepted, N_SITE);
    CHECK_EQ_INT(c.rejected + c.failed + c.optout, 0);
    /* progress on stderr: the closing line with counts by outcome */
    CHECK(strstr(tu_str(&o.err), "accepted") != NULL && strstr(tu_str(&o.err), "300") != NULL,
          "progress line missing: %s", tu_str(&o.err));
    tu_output_free(&o);
    printf("# site: %d images fetched in %.2f s\n", N_SITE, dt);

    sqlite3 *db = db_open(ds_site);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items WHERE status='accepted'", NULL), N_SITE);
    CHECK_EQ_INT(db_int(db, "SELECT count(DISTINCT url) FROM items WHERE status='accepted'", NULL), N_SITE);
    CHECK_EQ_INT(db_int(db, "SELECT count(DISTINCT key) FROM items WHERE status='accepted'", NULL), N_SITE);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items", NULL), N_SITE);
    /* every source image landed once, with the sha256 of the served bytes */
    int sha_ok = 0;
    for (int i = 0; i < N_SITE; i++) {
        char *u = site_url(i);
        sqlite3_stmt *st;
        sqlite3_prepare_v2(db, "SELECT sha256 FROM items WHERE url=?1 AND status='accepted'", -1, &st, NULL);
        sqlite3_bind_text(st, 1, u, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
            strcmp((const char *)sqlite3_column_text(st, 0), src_sha[i]) == 0)
            sha_ok++;
        sqlite3_finalize(st);
        free(u);
    }
    CHECK_EQ_INT(sha_ok, N_SITE);
    sqlite3_close(db);

    CHECK_EQ_INT(check_shards(ds_site, 1), 1);

    /* extract the shard with tar and compare members with `cat` for a spread of keys */
    char *x = path_in("extract-site");
    mkdir(x, 0755);
    char *shard = xasprintf("%s/shards/00000.tar.zst", ds_site);
    tu_run((const char *const[]){"tar", "--zstd", "-xf", shard, "-C", x, NULL}, NULL, 60, &o);
    CHECK(o.status == 0, "tar -x: %s", tu_str(&o.err));
    tu_output_free(&o);
    db = db_open(ds_site);
    int checked = 0;
    for (int i = 0; i < N_SITE; i += 10) {
        char *u = site_url(i);
        item_t it = item_by(db, u, NULL, 0);
        CHECK(it.found && strcmp(it.status, "accepted") == 0, "%s not accepted", u);
        if (!it.found) {
            free(u);
            continue;
        }
        CHECK_EQ_STR(it.ext, "jpg");
        static const char *members[] = {"image", "txt", "json"};
        static const char *exts[] = {"jpg", "txt", "json"};
        for (int m = 0; m < 3; m++) {
            CC(&o, "cat", ds_site, it.key, "--member", members[m]);
            char *f = xasprintf("%s/%s.%s", x, it.key, exts[m]);
            size_t n = 0;
            char *want = tu_read_file(f, &n);
            CHECK(o.status == 0 && want && o.out.len == n && memcmp(o.out.data, want, n) == 0,
                  "cat %s --member %s differs from the tar member (%zu vs %zu bytes)", it.key, members[m],
                  o.out.len, n);
            if (m == 1) {
                char *cap = site_caption(i);
                CHECK(o.out.len == strlen(cap) && memcmp(o.out.data, cap, o.out.len) == 0,
                      "caption of %s: '%s' != '%s'", it.key, tu_str(&o.out), cap);
                free(cap);
            }
            if (m == 2) {
                char err[128];
                json_value *j = json_parse((const char *)o.out.data, o.out.len, err, sizeof err);
                CHECK(j != NULL, "%s.json: %s", it.key, err);
                if (j) {
                    static const char *fields[] = {"url", "caption", "key", "status", "error_message", "width",
                                                   "height", "original_width", "original_height", "sha256"};
                    for (size_t k = 0; k < sizeof fields / sizeof *fields; k++)
                        CHECK(json_get(j, fields[k]) != NULL, "%s.json lacks %s", it.key, fields[k]);
                    char *cap = site_caption(i);
                    CHECK_EQ_STR(json_get_string(j, "url", ""), u);
                    CHECK_EQ_STR(json_get_string(j, "caption", ""), cap);
                    CHECK_EQ_STR(json_get_string(j, "key", ""), it.key);
                    CHECK_EQ_STR(json_get_string(j, "status", ""), "success");
                    CHECK_EQ_STR(json_get_string(j, "sha256", ""), src_sha[i]);
                    CHECK(json_get(j, "error_message")->type == JSON_NULL, "error_message not null");
                    int w, h;
                    photogen_size(i, 1, &w, &h);
                    CHECK_EQ_INT(json_get_number(j, "original_width", 0), w);
                    CHECK_EQ_INT(json_get_number(j, "original_height", 0), h);
                    CHECK_EQ_INT(json_get_number(j, "width", 0), 256); /* border 256 */
                    CHECK_EQ_INT(json_get_number(j, "height", 0), 256);
                    free(cap);
                    json_free(j);
                }
            }
            free(want), free(f);
            tu_output_free(&o);
        }
        checked++;
        free(u);
    }
    sqlite3_close(db);
    CHECK_EQ_INT(checked, N_SITE / 10);
    check_verify(ds_site);
    free(shard), free(x);
}

/* ---- 2. input formats ------------------------------------------------------------------ */

static void gz_write(const char *path, const char *text)
{
    gzFile g = gzopen(path, "wb");
    if (!g || gzwrite(g, text, (unsigned)strlen(text)) != (int)strlen(text) || gzclose(g) != Z_OK) {
        fprintf(stderr, "gz write %s failed\n", path);
        exit(99);
    }
}

/* Fetches list (5 images from base), checks 5 accepted with their captions
 * (or none for txt). */
static void check_format(const char *name, const char *list, int base, int with_caption, const char *extra1,
                         const char *extra2, const char *extra3, const char *extra4)
{
    char *ds = path_in("ds-fmt-%s", name);
    tu_output o;
    const char *args[16] = {"fetch", list, "-o", ds, "--allow-private", "-q"};
    int n = 6;
    const char *extras[] = {extra1, extra2, extra3, extra4};
    for (int i = 0; i < 4; i++)
        if (extras[i])
            args[n++] = extras[i];
    args[n] = NULL;
    run_cc(&o, args);
    counts_t c = {-1, -1, -1, -1};
    CHECK(o.status == 0 && parse_counts(&o, &c) == 0, "%s: exit %d: %s", name, o.status, tu_str(&o.err));
    CHECK(c.accepted == 5 && c.failed == 0 && c.rejected == 0, "%s: %lld accepted, %lld failed, %lld rejected",
          name, c.accepted, c.failed, c.rejected);
    tu_output_free(&o);
    sqlite3 *db = db_open(ds);
    for (int i = base; i < base + 5; i++) {
        char *u = site_url(i);
        item_t it = item_by(db, u, NULL, 0);
        CHECK(it.found && strcmp(it.status, "accepted") == 0, "%s: %s not accepted", name, u);
        if (it.found) {
            CC(&o, "cat", ds, it.key, "--member", "txt");
            char *cap = with_caption ? site_caption(i) : xstrdup("");
            CHECK(o.status == 0 && o.out.len == strlen(cap) && memcmp(tu_str(&o.out), cap, o.out.len) == 0,
                  "%s: caption '%s' != '%s'", name, tu_str(&o.out), cap);
            free(cap);
            tu_output_free(&o);
        }
        free(u);
    }
    /* the input is registered with its format */
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM inputs WHERE kind = ?1", name[0] == 'c' ? "csv" : name), 1);
    sqlite3_close(db);
    free(ds);
}

/* JSON string literal of s (ASCII escapes only; the rest is UTF-8 as is). */
static char *json_quote(const char *s)
{
    ccbuf b = {0};
    ccbuf_putc(&b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            ccbuf_putc(&b, '\\');
        ccbuf_putc(&b, *s);
    }
    ccbuf_putc(&b, '"');
    ccbuf_putc(&b, 0);
    return ccbuf_detach(&b, NULL);
}

static void test_formats(void)
{
    ccbuf txt = {0}, csv = {0}, tsv = {0}, json = {0}, jsonl = {0}, gz = {0};
    ccbuf_printf(&csv, "id,IMAGE_URL,alt text,other\n");
    ccbuf_printf(&tsv, "caption\turl\n");
    ccbuf_printf(&json, "[\n");
    ccbuf_printf(&gz, "url,caption\n");
    for (int k = 0; k < 5; k++) {
        char *u, *c, *q;
        u = site_url(10 + k);
        ccbuf_printf(&txt, "%s\n%s", u, k == 2 ? "\n" : ""); /* a blank line is skipped */
        free(u);
        u = site_url(20 + k), c = site_caption(20 + k), q = csv_quote(c);
        ccbuf_printf(&csv, "%d,%s,%s,x\n", k, u, q);
        free(u), free(c), free(q);
        u = site_url(30 + k), c = site_caption(30 + k);
        ccbuf_printf(&tsv, "%s\t%s\n", c, u); /* tsv: no quoting; captions carry no tabs */
        free(u), free(c);
        u = site_url(40 + k), c = site_caption(40 + k), q = json_quote(c);
        ccbuf_printf(&json, "%s{\"u\": \"%s\", \"nested\": {\"a\": [1, 2]}, \"t\": %s}\n", k ? "," : "", u, q);
        free(u), free(c), free(q);
        u = site_url(50 + k), c = site_caption(50 + k), q = json_quote(c);
        ccbuf_printf(&jsonl, "{\"caption\": %s, \"url\": \"%s\"}\n", q, u);
        free(u), free(c), free(q);
        u = site_url(60 + k), c = site_caption(60 + k), q = csv_quote(c);
        ccbuf_printf(&gz, "%s,%s\r\n", u, q);
        free(u), free(c), free(q);
    }
    ccbuf_printf(&json, "]\n");
    ccbuf *bufs[] = {&txt, &csv, &tsv, &json, &jsonl, &gz};
    for (int i = 0; i < 6; i++)
        ccbuf_putc(bufs[i], 0);
    char *p_txt = path_in("list.txt"), *p_csv = path_in("list-cols.csv"), *p_tsv = path_in("list.tsv");
    char *p_json = path_in("list.json"), *p_jsonl = path_in("list.jsonl"), *p_gz = path_in("list.csv.gz");
    write_text(p_txt, (char *)txt.data);
    write_text(p_csv, (char *)csv.data);
    write_text(p_tsv, (char *)tsv.data);
    write_text(p_json, (char *)json.data);
    write_text(p_jsonl, (char *)jsonl.data);
    gz_write(p_gz, (char *)gz.data);

    check_format("txt", p_txt, 10, 0, NULL, NULL, NULL, NULL);
    check_format("csv", p_csv, 20, 1, "--url-col", "IMAGE_URL", "--caption-col", "alt text");
    check_format("tsv", p_tsv, 30, 1, NULL, NULL, NULL, NULL);
    check_format("json", p_json, 40, 1, "--url-col", "u", "--caption-col", "t");
    check_format("jsonl", p_jsonl, 50, 1, NULL, NULL, NULL, NULL);
    check_format("csv.gz", p_gz, 60, 1, NULL, NULL, NULL, NULL);
    /* stdin, with --input-format */
    {
        const char *argv[] = {getenv("CLIPCRAWL_BIN"), "fetch", "-", "--input-format", "jsonl", "-o", NULL,
                              "--allow-private", "-q", NULL};
        char *ds_stdin = path_in("ds-fmt-stdin");
        argv[6] = ds_stdin;
        tu_output so;
        tu_run(argv, (const char *)jsonl.data, 60, &so);
        counts_t c = {-1, -1, -1, -1};
        CHECK(so.status == 0 && parse_counts(&so, &c) == 0 && c.accepted == 5, "stdin: exit %d, %lld accepted: %s",
              so.status, c.accepted, tu_str(&so.err));
        CHECK_EQ_INT(dir_int(ds_stdin, "SELECT count(*) FROM inputs WHERE name='-' AND kind='jsonl'", NULL), 1);
        tu_output_free(&so);
        free(ds_stdin);
    }

    /* a missing column is a one-line usage/input error naming the file, nothing fetched */
    tu_output o;
    char *ds = path_in("ds-fmt-badcol");
    CC(&o, "fetch", p_csv, "-o", ds, "--allow-private", "-q");
    CHECK(o.status != 0 && strstr(tu_str(&o.err), "list-cols.csv") != NULL,
          "missing url column: exit %d, '%s'", o.status, tu_str(&o.err));
    tu_output_free(&o);
    free(ds);

    for (int i = 0; i < 6; i++)
        ccbuf_free(bufs[i]);
    free(p_txt), free(p_csv), free(p_tsv), free(p_json), free(p_jsonl), free(p_gz);
}

/* ---- 3. bad inputs ------------------------------------------------------------------------- */

/* the bad-input runs' options: short timeout, one retry (for the 429), small
 * images allowed and no caption rules (the cases test downloads, not captions) */
#define BAD_OPTS                                                                                           \
    "--allow-private", "--timeout", "2", "--retries", "1", "--max-bytes", "1000000", "--min-bytes", "1",     \
        "--min-image-size", "1", "--no-caption-filter", "-q"

static char *ds_bad, *bad_csv, *bad_jsonl, *hang_txt;
static char *u_redirect_img, *u_retry, *u_404, *u_optout, *u_huge, *u_private;

typedef struct {
    const char *url_fmt; /* %s = fault server base, or NULL for a literal */
    const char *literal;
    const char *status, *reason;
} bad_case;

static char *furl(const char *path)
{
    return xasprintf("%s%s", tu_server_base(faults), path);
}

static void test_bad_inputs(void)
{
    char *redirect_target = xasprintf("%s/bad/photo_small.jpg", tu_server_base(nginx));
    char *hop2 = xasprintf("/redirect-to?url=%s", redirect_target);
    /* a two-hop chain: fault server → fault server → nginx image (query-escaped) */
    ccbuf esc = {0};
    for (const char *s = tu_server_base(faults); *s; s++)
        ccbuf_putc(&esc, *s);
    for (const char *s = hop2; *s; s++) {
        if (*s == '?' || *s == '=' || *s == '&' || *s == ':' || *s == '/')
            ccbuf_printf(&esc, "%%%02X", (unsigned char)*s);
        else
            ccbuf_putc(&esc, *s);
    }
    ccbuf_putc(&esc, 0);
    char *hop1 = xasprintf("/redirect-to?url=%s", (char *)esc.data);
    ccbuf_free(&esc);
    u_redirect_img = furl(hop1);
    u_retry = furl("/retry-after?n=1&v=1");
    u_404 = furl("/status/404");
    u_optout = furl("/xrobots?v=noai");
    u_huge = furl("/file/bad/huge_ihdr.png");

    struct {
        char *url;
        const char *status, *reason;
    } cases[] = {
        {xstrdup("not a url"), "rejected", "bad_url"},
        {xstrdup("ftp://127.0.0.1/x.jpg"), "rejected", "refused_scheme"},
        {xstrdup("file:///etc/passwd"), "rejected", "refused_scheme"},
        {xstrdup(u_404), "failed", "http_404"},
        {furl("/file/bad/truncated.jpg"), "failed", "broken_image"},
        {xstrdup(u_huge), "rejected", "too_many_pixels"},
        {furl("/file/bad/html_as_image.jpg"), "failed", "not_an_image"},
        {furl("/html-as-jpeg"), "failed", "not_an_image"},
        {furl("/file/bad/empty.jpg"), "failed", "empty_body"},
        {xstrdup(u_optout), "optout", "noai"},
        {furl("/xrobots?v=clipcrawl:%20noimageai"), "optout", "noimageai"},
        {furl("/xrobots?v=otherbot:%20noai"), "accepted", ""}, /* another agent's opt-out */
        {xstrdup(u_retry), "failed", "not_an_image"},           /* 429, then 200 "ok" (text) */
        {xstrdup(u_redirect_img), "accepted", ""},
        {furl("/redirect/7"), "failed", "too_many_redirects"},
        {furl("/big?bytes=3000000"), "failed", "too_large"},
        {furl("/file/bad/cmyk_adobe.jpg"), "accepted", ""},
    };
    size_t ncases = sizeof cases / sizeof *cases;

    ccbuf csv = {0};
    ccbuf_printf(&csv, "url,caption\n");
    for (size_t i = 0; i < ncases; i++) {
        char *q = csv_quote(cases[i].url);
        ccbuf_printf(&csv, "%s,case %zu\n", q, i);
        free(q);
        if (i == 3)
            ccbuf_printf(&csv, "%s,\"bad\"quote\n", u_404); /* malformed: row 4 */
    }
    /* the same image listed twice: one sample, one duplicate */
    char *u_twice = site_url(150);
    ccbuf_printf(&csv, "%s,first listing\n%s,second listing\n", u_twice, u_twice);
    ccbuf_putc(&csv, 0);
    bad_csv = path_in("bad.csv");
    write_text(bad_csv, (char *)csv.data);
    ccbuf_free(&csv);
    bad_jsonl = path_in("bad.jsonl");
    char *jl = xasprintf("{\"url\": \"%s/img/p100.jpg\", \"caption\": \"ok\"}\n"
                         "{\"url\": \"%s/img/p101.jpg\", \"caption\": \n"
                         "[\"not an object\"]\n"
                         "{\"caption\": \"no url\"}\n",
                         tu_server_base(nginx), tu_server_base(nginx));
    write_text(bad_jsonl, jl);
    free(jl);
    hang_txt = path_in("hang.txt");
    char *h = xasprintf("%s/hang\n", tu_server_base(faults));
    write_text(hang_txt, h);
    free(h);

    ds_bad = path_in("ds-bad");
    tu_output o;
    double t0 = cc_now();
    CC(&o, "fetch", bad_csv, bad_jsonl, hang_txt, "-o", ds_bad, BAD_OPTS);
    double dt = cc_now() - t0;
    printf("# bad inputs: %.2f s\n", dt);
    CHECK(o.status == 0, "fetch bad inputs: exit %d: %s", o.status, tu_str(&o.err));
    CHECK(!strstr(tu_str(&o.err), "AddressSanitizer") && !strstr(tu_str(&o.err), "runtime error"),
          "sanitizer: %s", tu_str(&o.err));
    tu_output_free(&o);

    sqlite3 *db = db_open(ds_bad);
    for (size_t i = 0; i < ncases; i++) {
        item_t it = item_by(db, cases[i].url, NULL, 0);
        CHECK(it.found, "no item for %s", cases[i].url);
        CHECK(strcmp(it.status, cases[i].status) == 0 && strcmp(it.reason, cases[i].reason) == 0,
              "%s: got %s/%s (%s), want %s/%s", cases[i].url, it.status, it.reason, it.error, cases[i].status,
              cases[i].reason);
        if (strcmp(cases[i].status, "accepted") != 0)
            CHECK(it.key[0] == 0, "%s has a key", cases[i].url);
    }
    item_t it = item_by(db, NULL, "bad.csv", 4);
    CHECK(it.found && strcmp(it.status, "failed") == 0 && strcmp(it.reason, "bad_input") == 0 && it.error[0],
          "malformed csv row: %s/%s (%s)", it.status, it.reason, it.error);
    it = item_by(db, NULL, "bad.jsonl", 0);
    CHECK(it.found && strcmp(it.status, "accepted") == 0, "jsonl row 0: %s/%s", it.status, it.reason);
    for (int r = 1; r <= 3; r++) {
        it = item_by(db, NULL, "bad.jsonl", r);
        CHECK(it.found && strcmp(it.status, "failed") == 0 && strcmp(it.reason, "bad_input") == 0,
              "jsonl row %d: %s/%s (%s)", r, it.status, it.reason, it.error);
    }
    it = item_by(db, NULL, "hang.txt", 0);
    CHECK(it.found && strcmp(it.status, "failed") == 0 && strcmp(it.reason, "timeout") == 0,
          "hang: %s/%s (%s)", it.status, it.reason, it.error);
    /* the 404 kept its status code; the huge PNG its claimed size */
    it = item_by(db, u_404, NULL, 0);
    CHECK_EQ_INT(it.http_status, 404);
    it = item_by(db, u_huge, NULL, 0);
    CHECK(it.ow == 100000 && it.oh == 100000, "huge png size %dx%d", it.ow, it.oh);
    /* 429 then 200: one retry after the Retry-After wait */
    it = item_by(db, u_retry, NULL, 0);
    CHECK_EQ_INT(it.http_status, 200);
    CHECK_EQ_INT(tu_access_log_count(faults, "/retry-after?n=1&v=1"), 2);
    {
        char *log = tu_read_file(tu_server_access_log(faults), NULL);
        double t429 = -1, t200 = -1;
        for (char *line = log ? strtok(log, "\n") : NULL; line; line = strtok(NULL, "\n")) {
            if (!strstr(line, "/retry-after?n=1&v=1"))
                continue;
            double t = atof(line);
            if (strstr(line, "\" 429 "))
                t429 = t;
            else if (strstr(line, "\" 200 "))
                t200 = t;
        }
        CHECK(t429 > 0 && t200 > 0 && t200 - t429 >= 0.9, "Retry-After not honoured: 429 at %.3f, 200 at %.3f",
              t429, t200);
        free(log);
    }
    /* the redirect chain ends at the nginx image: its bytes, 2 hops */
    it = item_by(db, u_redirect_img, NULL, 0);
    if (it.found && it.key[0]) {
        CC(&o, "cat", ds_bad, it.key, "--member", "json");
        char err[128];
        json_value *j = json_parse(tu_str(&o.out), o.out.len, err, sizeof err);
        char *src = tu_tests_path("data/images/photo_small.jpg");
        size_t n;
        char *bytes = tu_read_file(src, &n);
        char sha[65];
        cc_sha256_hex(bytes, n, sha);
        CHECK(j && strcmp(json_get_string(j, "sha256", ""), sha) == 0, "redirected image sha256");
        CHECK_EQ_STR(j ? json_get_string(j, "url", "") : "", u_redirect_img);
        json_free(j), free(src), free(bytes);
        tu_output_free(&o);
    }
    CHECK_EQ_INT(tu_access_log_count(faults, "/redirect-to?url="), 2);
    /* counts: no accepted sample without a shard frame */
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items WHERE status='accepted' AND frame_length > 0", NULL),
                 db_int(db, "SELECT count(*) FROM items WHERE status='accepted'", NULL));
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items", NULL), (long long)ncases + 1 + 2 + 4 + 1);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items WHERE url=?1 AND status='accepted'", u_twice), 1);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items WHERE url=?1 AND status='rejected' AND reason='duplicate'",
                        u_twice),
                 1);
    free(u_twice);
    sqlite3_close(db);
    check_verify(ds_bad);

    /* private addresses: without --allow-private, nothing reaches the server */
    char *priv_list = path_in("private.txt");
    u_private = xasprintf("%s/bad/photo_small.jpg?private=1", tu_server_base(nginx));
    char *u_localhost = xasprintf("http://localhost:%d/bad/photo_small.jpg?private=2", tu_server_port(nginx));
    char *u_redir_priv = xasprintf("%s/redirect-to?url=http://127.0.0.1:%d/bad/photo_small.jpg%%3Fprivate=3",
                                   tu_server_base(faults), tu_server_port(nginx));
    char *pl = xasprintf("%s\n%s\n%s\n", u_private, u_localhost, u_redir_priv);
    write_text(priv_list, pl);
    char *ds_priv = path_in("ds-private");
    CC(&o, "fetch", priv_list, "-o", ds_priv, "-q");
    /* every row refused for one run-level reason: said on stderr, exit 1 */
    CHECK(o.status == 1 && strstr(tu_str(&o.err), "every row (3) was refused as private_address"),
          "fetch private: exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    db = db_open(ds_priv);
    const char *purls[] = {u_private, u_localhost, u_redir_priv};
    for (int i = 0; i < 3; i++) {
        it = item_by(db, purls[i], NULL, 0);
        CHECK(it.found && strcmp(it.status, "rejected") == 0 && strcmp(it.reason, "private_address") == 0,
              "%s: %s/%s (%s)", purls[i], it.status, it.reason, it.error);
    }
    sqlite3_close(db);
    usleep(100000); /* nginx logs as requests finish */
    CHECK_EQ_INT(tu_access_log_count(nginx, "private="), 0);
    CHECK_EQ_INT(tu_access_log_count(faults, "photo_small.jpg%3Fprivate=3"), 0);
    /* the same list again with --allow-private: those rows are tried again */
    CC(&o, "fetch", priv_list, "-o", ds_priv, "-q", "--allow-private");
    CHECK(o.status == 0 && strstr(tu_str(&o.err), "3 rows rejected as private_address before are tried again"),
          "fetch private again: exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    CHECK_EQ_INT(dir_int(ds_priv, "SELECT count(*) FROM items WHERE reason = 'private_address'", NULL), 0);
    CHECK_EQ_INT(dir_int(ds_priv, "SELECT count(*) FROM items", NULL), 3);
    usleep(100000);
    CHECK(tu_access_log_count(nginx, "private=") >= 2, "allowed now: %d requests",
          tu_access_log_count(nginx, "private="));

    free(pl), free(priv_list), free(ds_priv), free(u_localhost), free(u_redir_priv);
    for (size_t i = 0; i < ncases; i++)
        free(cases[i].url);
    free(redirect_target), free(hop2), free(hop1);
}

/* ---- 4. resume and crash ------------------------------------------------------------------- */

static void test_resume(void)
{
    /* the same command again: nothing new, no request */
    int before = tu_access_log_count(nginx, "/img/");
    long long items_before = dir_int(ds_site, "SELECT count(*) FROM items", NULL);
    long long shards_before = dir_int(ds_site, "SELECT count(*) FROM shards", NULL);
    tu_output o;
    CC(&o, "fetch", site_csv, "-o", ds_site, "--allow-private");
    counts_t c = {-1, -1, -1, -1};
    CHECK(o.status == 0 && parse_counts(&o, &c) == 0, "resume: exit %d: %s", o.status, tu_str(&o.err));
    CHECK(strstr(tu_str(&o.out), "{\"accepted\":0,\"rejected\":0,\"failed\":0,\"optout\":0}") != NULL,
          "resume counts: %s", tu_str(&o.out));
    CHECK(strstr(tu_str(&o.err), "300 already done") != NULL, "resume progress: %s", tu_str(&o.err));
    tu_output_free(&o);
    usleep(50000);
    CHECK_EQ_INT(tu_access_log_count(nginx, "/img/"), before);
    CHECK_EQ_INT(dir_int(ds_site, "SELECT count(*) FROM items", NULL), items_before);
    CHECK_EQ_INT(dir_int(ds_site, "SELECT count(*) FROM shards", NULL), shards_before);
    check_verify(ds_site);

    /* bad inputs again: nothing is requested */
    int f_before = tu_access_log_count(faults, NULL);
    CC(&o, "fetch", bad_csv, bad_jsonl, "-o", ds_bad, BAD_OPTS);
    CHECK(o.status == 0 && strstr(tu_str(&o.out), "{\"accepted\":0,\"rejected\":0,\"failed\":0,\"optout\":0}"),
          "resume bad: exit %d: %s", o.status, tu_str(&o.out));
    tu_output_free(&o);
    CHECK_EQ_INT(tu_access_log_count(faults, NULL), f_before);

    /* --retry-failed: failed rows only */
    long long failed_rows = dir_int(ds_bad,
                                    "SELECT count(*) FROM items JOIN inputs ON inputs.id = items.input_id"
                                    " WHERE status='failed' AND inputs.name NOT LIKE '%hang.txt'",
                                    NULL);
    int n404 = tu_access_log_count(faults, "/status/404");
    int noptout = tu_access_log_count(faults, "/xrobots?v=noai");
    int nhuge = tu_access_log_count(faults, "huge_ihdr.png");
    int nredir = tu_access_log_count(faults, "/redirect-to");
    CC(&o, "fetch", bad_csv, bad_jsonl, "-o", ds_bad, BAD_OPTS, "--retry-failed");
    c = (counts_t){-1, -1, -1, -1};
    CHECK(o.status == 0 && parse_counts(&o, &c) == 0, "retry-failed: exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    /* every failed row was redone and (the server being as before) failed again */
    CHECK(c.accepted == 0 && c.rejected == 0 && c.optout == 0 && c.failed == failed_rows,
          "retry-failed counts %lld/%lld/%lld/%lld, want failed=%lld", c.accepted, c.rejected, c.failed, c.optout,
          failed_rows);
    CHECK_EQ_INT(tu_access_log_count(faults, "/status/404"), n404 + 1);
    CHECK_EQ_INT(tu_access_log_count(faults, "/xrobots?v=noai"), noptout);
    CHECK_EQ_INT(tu_access_log_count(faults, "huge_ihdr.png"), nhuge);
    CHECK_EQ_INT(tu_access_log_count(faults, "/redirect-to"), nredir);
    CHECK_EQ_INT(dir_int(ds_bad, "SELECT count(*) FROM items WHERE status='failed' AND reason='http_404'", NULL), 1);
    check_verify(ds_bad);
}

/* Rows of the crash list that have an outcome (committed). */
static long long committed(const char *ds)
{
    struct stat st;
    char *p = xasprintf("%s/index.sqlite", ds);
    int exists = stat(p, &st) == 0;
    free(p);
    return exists ? dir_int(ds, "SELECT count(*) FROM items", NULL) : 0;
}

static void test_crash(void)
{
    /* The site list with a slow row every 25 images (fault server /sleep,
     * recorded as failed: its body is text) and one transfer at a time, so
     * the run lasts a few seconds and commits on the 1 s timer as it goes. */
    ccbuf b = {0};
    ccbuf_printf(&b, "url,caption\n");
    int n_slow = 0;
    for (int i = 0; i < N_SITE; i++) {
        if (i % 25 == 12) {
            ccbuf_printf(&b, "%s/sleep?delay=0.25&row=%d,a slow row that waits before it answers\n", tu_server_base(faults), i);
            n_slow++;
        }
        char *u = site_url(i), *c = site_caption(i), *q = csv_quote(c);
        ccbuf_printf(&b, "%s,%s\n", u, q);
        free(u), free(c), free(q);
    }
    ccbuf_putc(&b, 0);
    char *list = path_in("crash.csv");
    write_text(list, (char *)b.data);
    ccbuf_free(&b);
    long long total = N_SITE + n_slow;

    const char *seed_env = getenv("FETCH_TEST_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    printf("# crash: FETCH_TEST_SEED=%u\n", seed);
    char *ds = path_in("ds-crash");
    char *errlog = path_in("crash.err");
    int interrupted = 0;
    for (int k = 0; k < 3; k++) {
        long long done_rows = committed(ds);
        /* the slow rows dominate: about 0.25 s per slow row left, plus the images */
        double est = 0.25 * (double)n_slow * (double)(total - done_rows) / (double)total + 0.3;
        double when = est * (0.25 + 0.6 * (rand() / (double)RAND_MAX));
        pid_t pid = tu_spawn_clipcrawl(NULL, errlog, "fetch", list, "-o", ds, "--allow-private", "--concurrency",
                                       "1", "--workers", "1", NULL);
        usleep((useconds_t)(when * 1e6));
        kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        int killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
        interrupted += killed;
        printf("# crash: kill %d at %.2f s (%s): %lld of %lld rows committed before, %lld after\n", k + 1, when,
               killed ? "interrupted" : "had finished", done_rows, total, committed(ds));
    }
    CHECK(interrupted >= 2, "only %d of 3 kills interrupted a run", interrupted);
    /* a polite stop (SIGTERM): exit 1, what was fetched is committed, the
     * open shard stays open for the next run, and verify is clean meanwhile */
    {
        long long before = committed(ds);
        pid_t pid = tu_spawn_clipcrawl(NULL, errlog, "fetch", list, "-o", ds, "--allow-private", "--concurrency",
                                       "1", "--workers", "1", NULL);
        usleep(700000);
        kill(pid, SIGTERM);
        int st = 0;
        waitpid(pid, &st, 0);
        long long after = committed(ds);
        printf("# crash: SIGTERM at 0.70 s: exit %d, %lld rows committed before, %lld after\n",
               WIFEXITED(st) ? WEXITSTATUS(st) : -1, before, after);
        if (after < total) {
            CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1, "SIGTERM: status %d", st);
            CHECK(after > before, "SIGTERM: nothing committed (%lld rows)", after);
            CHECK_EQ_INT(dir_int(ds, "SELECT count(*) FROM shards WHERE state='open'", NULL), 1);
        }
        check_verify(ds);
    }
    tu_output o;
    CC(&o, "fetch", list, "-o", ds, "--allow-private", "--concurrency", "1", "--workers", "1", "-q");
    CHECK(o.status == 0, "rerun after kills: exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);

    /* same accepted set as the uninterrupted run: (url, sha256) and member bytes */
    sqlite3 *db = db_open(ds);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items", NULL), total);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items WHERE status='accepted'", NULL), N_SITE);
    CHECK_EQ_INT(db_int(db, "SELECT count(DISTINCT url) FROM items WHERE status='accepted'", NULL), N_SITE);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items WHERE status='failed' AND url LIKE '%/sleep?%'", NULL),
                 n_slow);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items WHERE reason='duplicate'", NULL), 0);
    char *attach = xasprintf("%s/index.sqlite", ds_site);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS ref", -1, &st, NULL);
    sqlite3_bind_text(st, 1, attach, -1, SQLITE_TRANSIENT);
    CHECK(sqlite3_step(st) == SQLITE_DONE, "attach: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    free(attach);
    /* pairs in one run and not in the other, both ways */
    CHECK_EQ_INT(db_int(db,
                        "SELECT count(*) FROM (SELECT url, sha256, member_sha256, member_bytes, caption FROM main.items"
                        " WHERE status='accepted' EXCEPT SELECT url, sha256, member_sha256, member_bytes, caption"
                        " FROM ref.items WHERE status='accepted')",
                        NULL),
                 0);
    CHECK_EQ_INT(db_int(db,
                        "SELECT count(*) FROM (SELECT url, sha256, member_sha256, member_bytes, caption FROM ref.items"
                        " WHERE status='accepted' EXCEPT SELECT url, sha256, member_sha256, member_bytes, caption"
                        " FROM main.items WHERE status='accepted')",
                        NULL),
                 0);
    sqlite3_close(db);
    int nshards = check_shards(ds, 1);
    CHECK(nshards >= 1, "no shards");
    check_verify(ds);
    free(ds), free(list), free(errlog);
}

/* ---- 5. options ---------------------------------------------------------------------------- */

/* Fetches one URL into a fresh dataset with extra options; returns the item. */
static item_t fetch_one(const char *tag, const char *url, const char *const *opts, char **ds_out)
{
    char *list = path_in("one-%s.txt", tag);
    char *line = xasprintf("%s\n", url);
    write_text(list, line);
    free(line);
    char *ds = path_in("ds-opt-%s", tag);
    const char *args[32] = {"fetch", list, "-o", ds, "--allow-private", "-q"};
    int n = 6;
    for (int i = 0; opts && opts[i] && n < 31; i++)
        args[n++] = opts[i];
    args[n] = NULL;
    tu_output o;
    run_cc(&o, args);
    CHECK(o.status == 0, "%s: exit %d: %s", tag, o.status, tu_str(&o.err));
    tu_output_free(&o);
    sqlite3 *db = db_open(ds);
    item_t it = item_by(db, url, NULL, 0);
    sqlite3_close(db);
    CHECK(it.found, "%s: no item", tag);
    free(list);
    if (ds_out)
        *ds_out = ds;
    else
        free(ds);
    return it;
}

/* Decodes the stored image member of key; fills its format and size. */
static int member_image(const char *ds, const char *key, img_format *fmt, int *w, int *h, ccbuf *bytes)
{
    tu_output o;
    CC(&o, "cat", ds, key);
    int ok = o.status == 0 && o.out.len > 0;
    char err[256] = "";
    img_image im = {0};
    if (ok)
        ok = img_probe(o.out.data, o.out.len, fmt, w, h, err, sizeof err) == CC_OK &&
             img_decode_rgb(o.out.data, o.out.len, 100000000, 0, &im, err, sizeof err) == CC_OK &&
             im.width == *w && im.height == *h;
    CHECK(ok, "member of %s in %s does not decode: %s", key, ds, err);
    img_image_free(&im);
    if (bytes) {
        ccbuf_reset(bytes);
        ccbuf_append(bytes, o.out.data, o.out.len);
    }
    tu_output_free(&o);
    return ok;
}

static void test_options(void)
{
    char *u = xasprintf("%s/k320x240.jpg", tu_server_base(nginx));
    struct {
        const char *mode;
        int w, h;
    } modes[] = {
        {"no", 320, 240},
        {"border", 128, 128},
        {"keep_ratio", 171, 128},          /* 320*128/240 = 170.67 */
        {"keep_ratio_largest", 128, 96},
        {"center_crop", 128, 128},
    };
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        char *ds;
        item_t it = fetch_one(modes[i].mode, u,
                              (const char *const[]){"--image-size", "128", "--resize-mode", modes[i].mode, NULL}, &ds);
        CHECK(strcmp(it.status, "accepted") == 0 && it.width == modes[i].w && it.height == modes[i].h &&
                  it.ow == 320 && it.oh == 240,
              "--resize-mode %s: %s %dx%d (from %dx%d), want %dx%d", modes[i].mode, it.status, it.width, it.height,
              it.ow, it.oh, modes[i].w, modes[i].h);
        img_format f;
        int w = 0, h = 0;
        if (it.key[0] && member_image(ds, it.key, &f, &w, &h, NULL))
            CHECK(f == IMG_FMT_JPEG && w == modes[i].w && h == modes[i].h, "%s: member is %s %dx%d",
                  modes[i].mode, img_format_name(f), w, h);
        free(ds);
    }

    /* encode formats: the member is named and encoded accordingly */
    const char *fmts[] = {"png", "webp"};
    img_format want_fmt[] = {IMG_FMT_PNG, IMG_FMT_WEBP};
    for (int i = 0; i < 2; i++) {
        char *ds;
        char tag[32];
        snprintf(tag, sizeof tag, "enc-%s", fmts[i]);
        item_t it = fetch_one(tag, u, (const char *const[]){"--encode-format", fmts[i], NULL}, &ds);
        CHECK(strcmp(it.status, "accepted") == 0 && strcmp(it.ext, fmts[i]) == 0, "%s: %s ext %s", tag, it.status,
              it.ext);
        img_format f;
        int w = 0, h = 0;
        if (it.key[0] && member_image(ds, it.key, &f, &w, &h, NULL))
            CHECK(f == want_fmt[i] && w == 256 && h == 256, "%s: member is %s %dx%d", tag, img_format_name(f), w, h);
        check_shards(ds, 1); /* lists KEY.png / KEY.webp */
        free(ds);
    }

    /* --keep-original: the served bytes exactly */
    {
        char *ds;
        item_t it = fetch_one("keep", u, (const char *const[]){"--keep-original", NULL}, &ds);
        char *src = path_in("site/k320x240.jpg");
        size_t n;
        char *want = tu_read_file(src, &n);
        ccbuf got = {0};
        img_format f;
        int w, h;
        CHECK(strcmp(it.status, "accepted") == 0 && it.width == 320 && it.height == 240, "keep-original: %s %dx%d",
              it.status, it.width, it.height);
        if (it.key[0] && member_image(ds, it.key, &f, &w, &h, &got))
            CHECK(got.len == n && memcmp(got.data, want, n) == 0, "keep-original bytes differ (%zu vs %zu)", got.len,
                  n);
        ccbuf_free(&got), free(want), free(src), free(ds);
    }

    /* checks */
    item_t it = fetch_one("minsize", u, (const char *const[]){"--min-image-size", "300", NULL}, NULL);
    CHECK(strcmp(it.status, "rejected") == 0 && strcmp(it.reason, "too_small") == 0, "min-image-size: %s/%s",
          it.status, it.reason);
    it = fetch_one("minsize-ok", u, (const char *const[]){"--min-image-size", "240", NULL}, NULL);
    CHECK_EQ_STR(it.status, "accepted");
    char *tall = xasprintf("%s/k100x400.jpg", tu_server_base(nginx));
    it = fetch_one("aspect", tall, (const char *const[]){"--max-aspect-ratio", "3", NULL}, NULL);
    CHECK(strcmp(it.status, "rejected") == 0 && strcmp(it.reason, "aspect_ratio") == 0 && it.ow == 100 &&
              it.oh == 400,
          "max-aspect-ratio: %s/%s %dx%d", it.status, it.reason, it.ow, it.oh);
    it = fetch_one("aspect-ok", tall, (const char *const[]){"--max-aspect-ratio", "4", NULL}, NULL);
    CHECK_EQ_STR(it.status, "accepted");
    it = fetch_one("maxpix", u, (const char *const[]){"--max-pixels", "76799", NULL}, NULL);
    CHECK(strcmp(it.status, "rejected") == 0 && strcmp(it.reason, "too_many_pixels") == 0, "max-pixels: %s/%s",
          it.status, it.reason);
    free(tall);

    /* --samples-per-shard 50 over 120 images: 3 sealed shards */
    char *list = write_site_csv("shard120.csv", 100, 220);
    char *ds = path_in("ds-rotate");
    tu_output o;
    CC(&o, "fetch", list, "-o", ds, "--allow-private", "-q", "--samples-per-shard", "50");
    CHECK(o.status == 0, "rotate: exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    sqlite3 *db = db_open(ds);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM shards WHERE state='sealed'", NULL), 3);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items WHERE key IN ('000000049','000010000','000010049',"
                            "'000020000','000020019')", NULL),
                 5);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items WHERE key IN ('000000050','000020020')", NULL), 0);
    CHECK_EQ_INT(db_int(db, "SELECT count(*) FROM items WHERE status='accepted' AND shard_no=1", NULL), 50);
    sqlite3_close(db);
    CHECK_EQ_INT(check_shards(ds, 1), 3);
    for (int s = 0; s < 3; s++) {
        char *p = xasprintf("%s/shards/%05d.tar.zst", ds, s);
        struct stat stt;
        CHECK(stat(p, &stt) == 0, "%s missing", p);
        free(p);
    }
    check_verify(ds);
    free(list), free(ds), free(u);
}

int main(void)
{
    if (!getenv("CLIPCRAWL_BIN")) {
        fprintf(stderr, "CLIPCRAWL_BIN is not set (run through meson test)\n");
        return 99;
    }
    signal(SIGPIPE, SIG_IGN);
    work = tu_mkdtemp("fetch");
    make_site();
    char *site = path_in("site");
    nginx = tu_nginx_start(site);
    faults = tu_fault_server_start(site);
    free(site);

    double t0 = cc_now();
    test_site();
    printf("# 1 site: %.1f s\n", cc_now() - t0), t0 = cc_now();
    test_formats();
    printf("# 2 formats: %.1f s\n", cc_now() - t0), t0 = cc_now();
    test_bad_inputs();
    printf("# 3 bad inputs: %.1f s\n", cc_now() - t0), t0 = cc_now();
    test_resume();
    printf("# 4a resume: %.1f s\n", cc_now() - t0), t0 = cc_now();
    test_crash();
    printf("# 4b crash: %.1f s\n", cc_now() - t0), t0 = cc_now();
    test_options();
    printf("# 5 options: %.1f s\n", cc_now() - t0);

    tu_server_stop(nginx);
    tu_server_stop(faults);
    if (getenv("TU_KEEP"))
        fprintf(stderr, "kept %s\n", work);
    else
        tu_rm_rf(work);
    free(work);
    free(ds_site), free(site_csv), free(ds_bad), free(bad_csv), free(bad_jsonl), free(hang_txt);
    free(u_redirect_img), free(u_retry), free(u_404), free(u_optout), free(u_huge), free(u_private);
    return check_summary();
}
