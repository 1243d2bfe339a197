/* test_refilter.c — `clipcrawl refilter` end to end, through the built binary.
 *
 * A small site of generated photos is served by nginx on 127.0.0.1 and
 * fetched with loose settings (dedup by URL only, --min-words 5); then the
 * dataset is re-judged with other settings and the index, `query` and
 * `verify` are read back:
 *   - near-duplicates (one picture re-encoded at quality 60, one resized) and
 *     a byte copy become 'duplicate' pointing at the earliest key
 *   - --dry-run changes nothing; a second refilter changes nothing
 *   - a caption rejected before download that now passes loses its outcome
 *     row, and the next fetch of the list fetches it
 *   - repeated captions (COYO) on 5 distinct images of one host: kept by
 *     default (>= 2 pages or hosts wanted), boilerplate with min sources 1 at
 *     threshold 5, back at threshold 6
 *   - image size, --nsfw-reject (unsafe_image), --min-clip-score
 *     (low_clip_score, after a real `score` with the tiny fixture model)
 *   - verify passes with demoted samples in the shards
 *
 * Environment: CLIPCRAWL_BIN, CLIPCRAWL_TESTDATA (set by meson); TU_KEEP=1
 * keeps the work directory.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "check.h"
#include "common.h"
#include "image.h"
#include "json.h"
#include "phash.h"
#include "photogen.h"
#include "testutil.h"

#define N_ROWS 13
#define ROW_SHORT 11 /* "A red bicycle": too_short under --min-words 5 */
#define ROW_TINY 5   /* 160x120 */
#define ROW_NSFW 12

static char *work, *ds, *list, *list_copy;

/* The binary with a NULL-terminated argument array. */
static void run_cc(tu_output *o, const char *const *args) { tu_run_clipcrawl_args(o, args, 120); }
#define CC(o, ...) run_cc(o, (const char *const[]){__VA_ARGS__, NULL})

/* ---- index access ---- */

static sqlite3 *db_open(int writable)
{
    char *p = xasprintf("%s/index.sqlite", ds);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(p, &db, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s\n", p);
        exit(1);
    }
    free(p);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static long long q_int(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long q_int(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    long long v = tu_index_int(ds, "%s", sql);
    sqlite3_free(sql);
    return v;
}

/* First column of the first row as text (malloc'ed), "" when none. */
static char *q_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *q_text(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    char *v = tu_index_text(ds, "%s", sql);
    sqlite3_free(sql);
    return v ? v : xstrdup("");
}

static void q_exec(const char *sql)
{
    sqlite3 *db = db_open(1);
    char *e = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK) {
        fprintf(stderr, "SQL error: %s: %s\n", sql, e);
        exit(1);
    }
    sqlite3_close(db);
}

/* Everything refilter may touch, as one string: equal snapshots = no change. */
static char *snapshot(void)
{
    return q_text("SELECT group_concat(x, '|') FROM (SELECT id || ':' || status || ':' || coalesce(reason, '') || ':' "
                  "|| coalesce(duplicate_of, '') || ':' || coalesce(key, '') || ':' || coalesce(language, '') AS x "
                  "FROM items ORDER BY id)");
}

/* Rows are named by their image file rN.jpg (two lists: row numbers repeat). */
#define ROW(n) "url LIKE '%%/r" #n ".jpg'"
static char *key_of(int row)
{
    return q_text("SELECT key FROM items WHERE url LIKE '%%/r%d.jpg'", row);
}

static char *reason_of(int row)
{
    return q_text("SELECT status || ':' || coalesce(reason, '') FROM items WHERE url LIKE '%%/r%d.jpg'", row);
}

/* ---- refilter output ---- */

typedef struct {
    long long to_rejected, to_accepted, unfetched, reason_changed, accepted_after;
    json_value *j;
} summary;

static double changed_num(const json_value *j, const char *k)
{
    return json_get_number(json_get(j, "changed"), k, -1);
}

/* Runs refilter with extra args; parses its JSON line. */
static int refilter(summary *s, const char *a1, const char *a2, const char *a3)
{
    tu_output o;
    const char *args[8] = {"refilter", ds, "-q", a1, a2, a3, NULL};
    run_cc(&o, args);
    memset(s, 0, sizeof *s);
    int ok = o.status == 0;
    if (!ok)
        fprintf(stderr, "refilter %s %s %s: exit %d: %s\n", a1 ? a1 : "", a2 ? a2 : "", a3 ? a3 : "", o.status,
                tu_str(&o.err));
    char err[128];
    const char *out = tu_str(&o.out);
    s->j = json_parse(out, strlen(out), err, sizeof err);
    if (!s->j) {
        fprintf(stderr, "refilter output does not parse (%s): %s\n", err, out);
        ok = 0;
    } else {
        s->to_rejected = (long long)changed_num(s->j, "accepted_to_rejected_total");
        s->to_accepted = (long long)changed_num(s->j, "rejected_to_accepted");
        s->unfetched = (long long)changed_num(s->j, "unfetched_now_passing");
        s->reason_changed = (long long)changed_num(s->j, "rejected_reason_changed");
        s->accepted_after = (long long)json_get_number(s->j, "accepted_after", -1);
    }
    tu_output_free(&o);
    return ok;
}

static long long demoted_by(const summary *s, const char *reason)
{
    return (long long)json_get_number(json_get(json_get(s->j, "changed"), "accepted_to_rejected"), reason, 0);
}

static int verify_ok(void)
{
    tu_output o;
    CC(&o, "verify", ds);
    int ok = o.status == 0;
    if (!ok)
        fprintf(stderr, "verify: %s%s\n", tu_str(&o.out), tu_str(&o.err));
    tu_output_free(&o);
    return ok;
}

/* Lines `query DIR` prints (default: accepted samples). */
static int query_count(void)
{
    tu_output o;
    CC(&o, "query", ds, "--format", "jsonl", "--columns", "key");
    int n = 0;
    for (const char *p = tu_str(&o.out); *p; p++)
        n += *p == '\n';
    tu_output_free(&o);
    return n;
}

static int fetch(const char *a1, const char *a2, const char *a3, const char *a4)
{
    tu_output o;
    const char *args[16] = {"fetch", list, "-o", ds, "--allow-private", "-q", "--concurrency", "1",
                            "--workers", "1", a1, a2, a3, a4, NULL};
    run_cc(&o, args);
    int ok = o.status == 0;
    if (!ok)
        fprintf(stderr, "fetch: exit %d: %s\n", o.status, tu_str(&o.err));
    tu_output_free(&o);
    return ok;
}

/* ---- the site ---- */

static void write_jpeg(const char *name, const unsigned char *rgb, int w, int h, int q, ccbuf *keep)
{
    img_image im = {.width = w, .height = h, .mode = IMG_MODE_RGB, .channels = 3, .pixels = (unsigned char *)rgb};
    ccbuf out = {0};
    char err[256];
    if (img_encode(&im, ENC_JPG, q, &out, err, sizeof err) != CC_OK) {
        fprintf(stderr, "encode %s: %s\n", name, err);
        exit(1);
    }
    char *p = xasprintf("%s/www/%s", work, name);
    tu_write_file(p, out.data, out.len);
    free(p);
    if (keep) {
        ccbuf_reset(keep);
        ccbuf_append(keep, out.data, out.len);
    }
    ccbuf_free(&out);
}

static uint64_t phash_of(const ccbuf *jpeg)
{
    img_image im = {0};
    char err[128];
    if (img_decode_rgb(jpeg->data, jpeg->len, 0, 0, &im, err, sizeof err) != CC_OK)
        return 0;
    uint64_t h = img_phash64(&im);
    img_image_free(&im);
    return h;
}

static void make_site(const char *base)
{
    static const char *const captions[N_ROWS] = {
        "A red bicycle leaning against a brick wall",
        "Old bicycle parked on a quiet street corner",
        "Vintage bike photographed in the afternoon light",
        "Fresh vegetables arranged on a wooden table",
        "Colourful market produce ready for the weekend",
        "Small watercolour painting of a lighthouse at dusk",
        "Beautiful sunset over the mountains tonight",
        "Beautiful sunset over the mountains tonight",
        "Beautiful  sunset over the Mountains tonight", /* same repeat key: case and spacing ignored */
        "Beautiful sunset over the mountains tonight",
        "Beautiful sunset over the mountains tonight",
        "A red bicycle",
        "Children playing football in the park",
    };
    const int W = 320, H = 240;
    unsigned char *a = xmalloc((size_t)W * H * 3), *small = xmalloc((size_t)316 * 236 * 3);
    ccbuf j0 = {0}, j1 = {0}, j2 = {0}, jb = {0};
    photogen_make(W, H, 11, a);
    write_jpeg("r0.jpg", a, W, H, 90, &j0);
    write_jpeg("r1.jpg", a, W, H, 20, &j1);                /* re-encoded at low quality */
    for (int y = 0; y < 236; y++)                          /* cropped a little */
        memcpy(small + (size_t)y * 316 * 3, a + ((size_t)(y + 2) * W + 2) * 3, 316 * 3);
    write_jpeg("r2.jpg", small, 316, 236, 85, &j2);
    photogen_make(W, H, 12, a);
    write_jpeg("r3.jpg", a, W, H, 90, &jb);
    char *p = xasprintf("%s/www/r4.jpg", work);              /* byte copy of r3 */
    tu_write_file(p, jb.data, jb.len);
    free(p);
    unsigned char *t = xmalloc((size_t)160 * 120 * 3);
    photogen_make(160, 120, 13, t);
    write_jpeg("r5.jpg", t, 160, 120, 90, NULL);
    free(t);
    for (int i = 6; i <= 12; i++) {
        char name[32];
        snprintf(name, sizeof name, "r%d.jpg", i);
        photogen_make(W, H, (uint64_t)(20 + i), a);
        write_jpeg(name, a, W, H, 90, NULL);
    }
    uint64_t h0 = phash_of(&j0), h1 = phash_of(&j1), h2 = phash_of(&j2), hb = phash_of(&jb);
    printf("# phash distance (decoded originals): quality 90 vs 20: %d, cropped by 2 px: %d, unrelated pictures: %d\n",
           img_hamming64(h0, h1), img_hamming64(h0, h2), img_hamming64(h0, hb));
    /* list.csv: everything but the byte copy r4, fetched with phash dedup at
     * distance 0 (so the perceptual hashes are stored); copy.csv: r4 alone,
     * fetched without sha256/phash dedup, so it is accepted. */
    ccbuf csv = {0}, copy = {0};
    ccbuf_printf(&csv, "url,caption\n");
    ccbuf_printf(&copy, "url,caption\n");
    for (int i = 0; i < N_ROWS; i++)
        ccbuf_printf(i == 4 ? &copy : &csv, "%s/r%d.jpg,%s\n", base, i, captions[i]);
    list = xasprintf("%s/list.csv", work);
    tu_write_file(list, csv.data, csv.len);
    list_copy = xasprintf("%s/copy.csv", work);
    tu_write_file(list_copy, copy.data, copy.len);
    ccbuf_free(&csv);
    ccbuf_free(&copy);
    ccbuf_free(&j0), ccbuf_free(&j1), ccbuf_free(&j2), ccbuf_free(&jb);
    free(a);
    free(small);
}

int main(void)
{
    if (!getenv("CLIPCRAWL_BIN")) {
        fprintf(stderr, "CLIPCRAWL_BIN not set (run through meson test)\n");
        return 1;
    }
    work = tu_mkdtemp("refilter");
    ds = xasprintf("%s/ds", work);
    char *www = xasprintf("%s/www", work);
    mkdir(www, 0755);
    tu_server *ng = tu_nginx_start(www);
    make_site(tu_server_base(ng));
    summary s;

    /* 1. loose fetch: URL dedup only, captions need 5 words */
    {
        tu_output fo;
        const char *args[] = {"fetch", list, "-o", ds, "--allow-private", "-q", "--concurrency", "1",
                              "--workers", "1", "--filter", "dedup=url,phash", "--filter", "phash_max_distance=0",
                              "--min-words", "5", NULL};
        run_cc(&fo, args);
        CHECK(fo.status == 0, "loose fetch: exit %d: %s", fo.status, tu_str(&fo.err));
        tu_output_free(&fo);
        const char *args2[] = {"fetch", list_copy, "-o", ds, "--allow-private", "-q", "--filter", "dedup=url", NULL};
        run_cc(&fo, args2);
        CHECK(fo.status == 0, "fetch of the copy: exit %d: %s", fo.status, tu_str(&fo.err));
        tu_output_free(&fo);
    }
    CHECK_EQ_INT(q_int("SELECT count(*) FROM items WHERE status = 'accepted'"), N_ROWS - 1);
    char *r = reason_of(ROW_SHORT);
    CHECK_EQ_STR(r, "rejected:too_short");
    free(r);
    CHECK(q_int("SELECT count(*) FROM items WHERE status = 'accepted' AND phash IS NOT NULL") >= N_ROWS - 2,
          "fetch stores the perceptual hash of every sample it computed one for");
    CHECK(verify_ok(), "verify after fetch");
    char *k0 = key_of(0), *k3 = key_of(3);
    long long dd[3] = {0, 0, 0};
    for (int row = 1; row <= 3; row++) {
        char *a = q_text("SELECT phash FROM items WHERE " ROW(0)),
             *b = q_text("SELECT phash FROM items WHERE url LIKE '%%/r%d.jpg'", row);
        dd[row - 1] = img_hamming64((uint64_t)strtoll(a, NULL, 10), (uint64_t)strtoll(b, NULL, 10));
        free(a), free(b);
    }
    printf("# stored phash distance to r0: quality 20: %lld, cropped: %lld, another picture: %lld\n",
           dd[0], dd[1], dd[2]);
    {
        char *k1 = key_of(1), *k2 = key_of(2);
        CHECK(strcmp(k0, k1) < 0 && strcmp(k0, k2) < 0, "keys in row order (concurrency 1)");
        free(k1);
        free(k2);
    }

    /* 2. --dry-run with the default settings: reports, changes nothing */
    char *before = snapshot();
    CHECK(refilter(&s, "--dry-run", NULL, NULL), "dry run");
    CHECK_EQ_INT(demoted_by(&s, "duplicate"), 3);
    CHECK_EQ_INT(s.to_rejected, 3);
    CHECK_EQ_INT(s.unfetched, 1);
    CHECK(json_get_bool(s.j, "dry_run", 0) == 1, "dry_run reported");
    char *after = snapshot();
    CHECK(strcmp(before, after) == 0, "--dry-run changed the index");
    free(before);
    free(after);
    json_free(s.j);

    /* 3. the real thing */
    CHECK(refilter(&s, NULL, NULL, NULL), "refilter defaults");
    CHECK_EQ_INT(demoted_by(&s, "duplicate"), 3);
    CHECK_EQ_INT(s.to_accepted, 0);
    CHECK_EQ_INT(s.unfetched, 1);
    CHECK_EQ_INT(s.accepted_after, N_ROWS - 1 - 3);
    json_free(s.j);
    for (int row = 1; row <= 2; row++) {
        r = reason_of(row);
        CHECK_EQ_STR(r, "rejected:duplicate");
        free(r);
        char *d = q_text("SELECT duplicate_of FROM items WHERE url LIKE '%%/r%d.jpg'", row);
        CHECK(strcmp(d, k0) == 0, "row %d (near-duplicate) points at %s, not %s", row, d, k0);
        free(d);
        CHECK(q_int("SELECT key IS NOT NULL AND shard_no IS NOT NULL FROM items WHERE url LIKE '%%/r%d.jpg'", row) == 1,
              "a demoted sample keeps its key and shard");
    }
    {
        char *d = q_text("SELECT duplicate_of FROM items WHERE " ROW(4));
        CHECK(strcmp(d, k3) == 0, "byte copy points at %s, not %s", d, k3);
        free(d);
        char *e = q_text("SELECT error FROM items WHERE " ROW(4));
        CHECK(strstr(e, "same bytes") != NULL, "byte copy explained: '%s'", e);
        free(e);
    }
    CHECK_EQ_INT(q_int("SELECT count(*) FROM items WHERE " ROW(11)), 0);
    CHECK_EQ_INT(query_count(), N_ROWS - 1 - 3);
    CHECK(verify_ok(), "verify with demoted samples");
    CHECK_EQ_INT(q_int("SELECT count(*) FROM captions_fts WHERE captions_fts MATCH 'vintage'"), 0);

    /* 4. idempotence: again = no change; a dry run agrees */
    before = snapshot();
    CHECK(refilter(&s, NULL, NULL, NULL), "refilter twice");
    CHECK_EQ_INT(s.to_rejected + s.to_accepted + s.unfetched + s.reason_changed, 0);
    json_free(s.j);
    after = snapshot();
    CHECK(strcmp(before, after) == 0, "second refilter changed the index");
    free(before);
    free(after);

    /* 5. the next fetch of the list fetches the row that now passes */
    CHECK(fetch("--filter", "dedup=url,phash", "--filter", "phash_max_distance=0"), "refetch");
    r = reason_of(ROW_SHORT);
    CHECK_EQ_STR(r, "accepted:");
    free(r);
    CHECK_EQ_INT(query_count(), N_ROWS - 3);
    CHECK(verify_ok(), "verify after refetch");

    /* 6. repeated captions: 5 distinct images (sha256), all from one host.
     * By default the rule also wants >= 2 pages or hosts. */
    CHECK(refilter(&s, "--filter", "boilerplate_repeat_threshold=5", NULL), "repeat 5, one host");
    CHECK_EQ_INT(demoted_by(&s, "boilerplate"), 0);
    json_free(s.j);
    char *rep5 = xasprintf("%s.repeat5.conf", ds), *rep6 = xasprintf("%s.repeat6.conf", ds);
    {
        FILE *fp = fopen(rep5, "w");
        CHECK(fp != NULL, "write %s", rep5);
        if (fp) {
            fputs("boilerplate_repeat_threshold = 5\nboilerplate_repeat_min_sources = 1\n", fp);
            fclose(fp);
        }
        fp = fopen(rep6, "w");
        CHECK(fp != NULL, "write %s", rep6);
        if (fp) {
            fputs("boilerplate_repeat_threshold = 6\nboilerplate_repeat_min_sources = 1\n", fp);
            fclose(fp);
        }
    }
    CHECK(refilter(&s, "--filters", rep5, NULL), "repeat 5");
    CHECK_EQ_INT(demoted_by(&s, "boilerplate"), 5);
    json_free(s.j);
    {
        char *d = q_text("SELECT caption_detail FROM items WHERE " ROW(8));
        CHECK_EQ_STR(d, "repeated on 5 images from 1 pages or hosts");
        free(d);
    }
    CHECK_EQ_INT(query_count(), N_ROWS - 3 - 5);
    CHECK(refilter(&s, "--filters", rep6, NULL), "repeat 6");
    CHECK_EQ_INT(s.to_accepted, 5);
    CHECK_EQ_INT(s.to_rejected, 0);
    json_free(s.j);
    CHECK_EQ_INT(query_count(), N_ROWS - 3);
    /* the same rule when a fetch run ends (nothing new to download here) */
    CHECK(fetch("--filters", rep5, NULL, NULL), "fetch with repeat 5");
    CHECK_EQ_INT(query_count(), N_ROWS - 3 - 5);
    {
        char *d = q_text("SELECT reason || ':' || caption_detail FROM items WHERE " ROW(8));
        CHECK_EQ_STR(d, "boilerplate:repeated on 5 images from 1 pages or hosts");
        free(d);
    }
    CHECK(refilter(&s, "--filters", rep6, NULL), "repeat 6 again");
    CHECK_EQ_INT(s.to_accepted, 5);
    json_free(s.j);
    CHECK_EQ_INT(query_count(), N_ROWS - 3);
    remove(rep5);
    remove(rep6);
    free(rep5);
    free(rep6);

    /* 7. image size from the stored original size */
    CHECK(refilter(&s, "--min-image-size", "150", NULL), "min size");
    CHECK_EQ_INT(demoted_by(&s, "too_small"), 1);
    CHECK_EQ_INT(s.to_rejected, 1);
    json_free(s.j);
    r = reason_of(ROW_TINY);
    CHECK_EQ_STR(r, "rejected:too_small");
    free(r);
    /* looser dedup brings the duplicates back, the size rule stays */
    CHECK(refilter(&s, "--filter", "dedup=none", NULL), "no dedup");
    CHECK_EQ_INT(s.to_accepted, 4);
    json_free(s.j);
    CHECK_EQ_INT(query_count(), N_ROWS);
    CHECK(verify_ok(), "verify after bringing samples back");

    /* 8. CLIP: score with the tiny model (tags every sample), then
     * --nsfw-reject and --min-clip-score */
    const char *testdata = getenv("CLIPCRAWL_TESTDATA");
    char *model = xasprintf("%s/clipref/fixtures/models/tiny-b16", testdata ? testdata : "tests/data");
    char *tokdir = xasprintf("%s/clipref", testdata ? testdata : "tests/data");
    {
        tu_output so;
        const char *args[] = {"score", ds, "--model", model, "--tokenizer", tokdir, "-q", NULL};
        run_cc(&so, args);
        CHECK(so.status == 0, "score: exit %d: %s", so.status, tu_str(&so.err));
        tu_output_free(&so);
    }
    CHECK_EQ_INT(q_int("SELECT count(*) FROM items WHERE status = 'accepted' AND nsfw IN ('NSFW','UNSURE','UNLIKELY') "
                       "AND nsfw_model = (SELECT max(id) FROM clip_models)"),
                 N_ROWS);
    q_exec("UPDATE items SET nsfw = 'UNLIKELY'; UPDATE items SET nsfw = 'NSFW' WHERE url LIKE '%/r12.jpg'");
    CHECK(refilter(&s, "--filter", "dedup=none", "--nsfw-reject"), "nsfw");
    CHECK_EQ_INT(demoted_by(&s, "unsafe_image"), 1);
    CHECK_EQ_INT(s.to_rejected, 1);
    json_free(s.j);
    r = reason_of(ROW_NSFW);
    CHECK_EQ_STR(r, "rejected:unsafe_image");
    free(r);
    /* median score: samples below it go */
    char *med = q_text("SELECT score FROM clip_scores ORDER BY score LIMIT 1 OFFSET %d", N_ROWS / 2);
    long long below = q_int("SELECT count(*) FROM clip_scores WHERE score < %s", med);
    {
        tu_output uo;
        const char *args[] = {"refilter", ds, "--min-clip-score", NULL};
        run_cc(&uo, args);
        CHECK(uo.status == 2, "--min-clip-score without a value: exit %d", uo.status);
        tu_output_free(&uo);
    }
    {
        tu_output co;
        const char *args[] = {"refilter", ds, "-q", "--filter", "dedup=none", "--min-clip-score", med, NULL};
        run_cc(&co, args);
        CHECK(co.status == 0, "min-clip-score: %s", tu_str(&co.err));
        tu_output_free(&co);
    }
    CHECK_EQ_INT(q_int("SELECT count(*) FROM items WHERE reason = 'low_clip_score'"), below);
    CHECK_EQ_INT(q_int("SELECT count(*) FROM items i JOIN clip_scores s ON s.key = i.key "
                       "WHERE i.reason = 'low_clip_score' AND s.score >= %s",
                       med),
                 0);
    CHECK(below > 0, "some samples below the median (%lld)", below);
    CHECK(verify_ok(), "verify at the end");
    /* and all back with the default CLIP settings */
    CHECK(refilter(&s, "--filter", "dedup=none", NULL), "all back");
    CHECK_EQ_INT(s.accepted_after, N_ROWS);
    json_free(s.j);
    free(med);

    /* bad usage: one line, exit 2 */
    {
        tu_output uo;
        const char *args[] = {"refilter", ds, "--model-id", "99", NULL};
        run_cc(&uo, args);
        CHECK(uo.status == 2, "unknown --model-id: exit %d", uo.status);
        tu_output_free(&uo);
        const char *args2[] = {"refilter", ds, "--filter", "phash_max_distance=99", NULL};
        run_cc(&uo, args2);
        CHECK(uo.status == 2, "bad filter value: exit %d", uo.status);
        tu_output_free(&uo);
    }

    free(model);
    free(tokdir);
    free(k0);
    free(k3);
    tu_server_stop(ng);
    if (!getenv("TU_KEEP"))
        tu_rm_rf(work);
    free(www);
    return check_summary();
}
