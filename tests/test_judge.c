/* test_judge.c — one judge: fetch and refilter give a sample the same verdict
 * and reason (pipeline/judge.h).
 *
 * A site of generated pictures (one of them small, one with a short caption) is
 * served by nginx on 127.0.0.1. The same list is
 *   A: fetched with the tiny CLIP fixture model and no rules (everything is
 *      accepted, scored and safety-tagged), then refiltered with RULES;
 *   B: fetched with the model and RULES.
 * RULES: --nsfw-reject, --min-clip-score T, --min-words 5, --min-image-size 200
 * (no dedup and no byte minimum: the gradients are alike and small),
 * with T just above the score of a sample tagged NSFW, so at least one sample
 * is both unsafe and below the threshold (safety outranks quality: unsafe_image).
 * Every URL must end with the same status and reason in A and in B.
 *
 * Environment: CLIPCRAWL_BIN, CLIPCRAWL_TESTDATA (set by meson).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "check.h"
#include "common.h"
#include "image.h"
#include "testutil.h"

#define N 24
#define ROW_SMALL 3  /* 160x120: too_small under --min-image-size 200 */
#define ROW_SHORT 5  /* "A red bicycle": too_short under --min-words 5 */

static char *work;

/* The binary with a NULL-terminated argument array. */
static void run_cc(tu_output *o, const char *const *args) { tu_run_clipcrawl_args(o, args, 300); }

/* A horizontal gradient (column x has colour x/w * coef) as PNG: the tiny
 * fixture models' safety tags vary across such pictures, so a few come out NSFW. */
static void write_png(const char *name, int w, int h, const double coef[3])
{
    unsigned char *rgb = xmalloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                rgb[((size_t)y * w + x) * 3 + c] = (unsigned char)(255.0 * x / (w - 1) * coef[c] * (1.0 - 0.1 * (y & 1)));
    img_image im = {.width = w, .height = h, .mode = IMG_MODE_RGB, .channels = 3, .pixels = rgb};
    ccbuf out = {0};
    char err[256];
    if (img_encode(&im, ENC_PNG, 6, &out, err, sizeof err) != CC_OK) {
        fprintf(stderr, "encode %s: %s\n", name, err);
        exit(1);
    }
    char *p = xasprintf("%s/www/%s", work, name);
    tu_write_file(p, out.data, out.len);
    free(p);
    ccbuf_free(&out);
    free(rgb);
}

/* The list: N photos with distinct captions of at least five words. */
static char *make_site(const char *base)
{
    ccbuf csv = {0};
    ccbuf_puts(&csv, "url,caption\n");
    uint64_t rng = 12345;
    for (int i = 0; i < N; i++) {
        double coef[3];
        for (int c = 0; c < 3; c++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            coef[c] = (double)(rng >> 11) / (double)(1ull << 53);
        }
        char name[32];
        snprintf(name, sizeof name, "j%d.png", i);
        write_png(name, i == ROW_SMALL ? 160 : 320, i == ROW_SMALL ? 120 : 240, coef);
        if (i == ROW_SHORT)
            ccbuf_printf(&csv, "%s/%s,A red bicycle\n", base, name);
        else
            ccbuf_printf(&csv, "%s/%s,A quiet photograph of colour gradient number %d in the morning\n", base, name, i);
    }
    char *list = xasprintf("%s/list.csv", work);
    tu_write_file(list, csv.data, csv.len);
    ccbuf_free(&csv);
    return list;
}

/* url -> "status:reason" for every item of dir, plus the tag and score fetch A stored. */
typedef struct {
    char url[256];
    char verdict[64];
    char tag[16];
    double score;
    int has_score;
} row;

static int read_rows(const char *dir, row *rows, int max)
{
    char *p = xasprintf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    int n = 0;
    if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "SELECT i.url, i.status || ':' || coalesce(i.reason, ''), coalesce(i.nsfw, ''), s.score "
                               "FROM items i LEFT JOIN clip_scores s ON s.key = i.key ORDER BY i.url",
                               -1, &st, NULL) == SQLITE_OK) {
            while (n < max && sqlite3_step(st) == SQLITE_ROW) {
                row *r = &rows[n++];
                snprintf(r->url, sizeof r->url, "%s", (const char *)sqlite3_column_text(st, 0));
                snprintf(r->verdict, sizeof r->verdict, "%s", (const char *)sqlite3_column_text(st, 1));
                snprintf(r->tag, sizeof r->tag, "%s", (const char *)sqlite3_column_text(st, 2));
                r->has_score = sqlite3_column_type(st, 3) != SQLITE_NULL;
                r->score = sqlite3_column_double(st, 3);
            }
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    free(p);
    return n;
}

static int fetch(const char *list, const char *dir, const char *model, const char *tok, const char *const *rules)
{
    /* no dedup: gradients can look alike to a perceptual hash */
    const char *args[40] = {"fetch", list, "-o", dir, "--allow-private", "-q", "--concurrency", "2", "--workers", "1",
                            "--model", model, "--tokenizer", tok, "--filter", "dedup=none",
                            "--filter", "image_min_bytes=0"};
    int n = 18;
    for (int i = 0; rules && rules[i]; i++)
        args[n++] = rules[i];
    args[n] = NULL;
    tu_output o;
    run_cc(&o, args);
    int ok = o.status == 0;
    if (!ok)
        fprintf(stderr, "fetch -o %s: exit %d: %s\n", dir, o.status, tu_str(&o.err));
    tu_output_free(&o);
    return ok;
}

int main(void)
{
    if (!getenv("CLIPCRAWL_BIN")) {
        fprintf(stderr, "CLIPCRAWL_BIN not set (run through meson test)\n");
        return 1;
    }
    const char *testdata = getenv("CLIPCRAWL_TESTDATA") ? getenv("CLIPCRAWL_TESTDATA") : "tests/data";
    char *model = xasprintf("%s/clipref/fixtures/models/tiny-b32", testdata);
    char *tok = xasprintf("%s/clipref", testdata);
    work = tu_mkdtemp("judge");
    char *www = xasprintf("%s/www", work), *dir_a = xasprintf("%s/a", work), *dir_b = xasprintf("%s/b", work);
    mkdir(www, 0755);
    tu_server *ng = tu_nginx_start(www);
    char *list = make_site(tu_server_base(ng));

    /* A: everything accepted, scored and tagged. */
    CHECK(fetch(list, dir_a, model, tok, NULL), "fetch A");
    row a[N + 4], b[N + 4];
    int na = read_rows(dir_a, a, N + 4);
    CHECK_EQ_INT(na, N);
    int nsfw = -1, accepted = 0;
    for (int i = 0; i < na; i++) {
        accepted += strncmp(a[i].verdict, "accepted:", 9) == 0;
        if (nsfw < 0 && strcmp(a[i].tag, "NSFW") == 0 && a[i].has_score && !strstr(a[i].url, "/j3.png") &&
            !strstr(a[i].url, "/j5.png"))
            nsfw = i;
    }
    CHECK_EQ_INT(accepted, N);
    CHECK(nsfw >= 0, "the fixture model tags at least one of the %d photos NSFW", na);
    if (nsfw < 0)
        return check_summary();
    /* T just above that sample's score: it is unsafe AND below the threshold. */
    char thr[32];
    snprintf(thr, sizeof thr, "%.6f", a[nsfw].score + 1e-4);
    int both = 0, low_only = 0, pass = 0, unsafe_expected = 0;
    for (int i = 0; i < na; i++) {
        if (strstr(a[i].url, "/j3.png") || strstr(a[i].url, "/j5.png"))
            continue; /* rejected by an earlier rule */
        int unsafe = strcmp(a[i].tag, "NSFW") == 0, low = a[i].has_score && a[i].score < atof(thr);
        unsafe_expected += unsafe;
        both += unsafe && low;
        low_only += low && !unsafe;
        pass += !low && !unsafe;
    }
    printf("# threshold %s: %d unsafe and low, %d low only, %d pass the CLIP rules\n", thr, both, low_only, pass);
    CHECK(both >= 1, "a sample is both unsafe and below the threshold");

    const char *rules[] = {"--filter", "dedup=none", "--filter", "image_min_bytes=0", "--nsfw-reject", "--min-clip-score", thr, "--min-words", "5", "--min-image-size", "200", NULL};
    /* B: the rules applied on the way in. */
    CHECK(fetch(list, dir_b, model, tok, rules), "fetch B");
    /* A: the same rules applied afterwards. */
    {
        const char *args[16] = {"refilter", dir_a, "-q"};
        int n = 3;
        for (int i = 0; rules[i]; i++)
            args[n++] = rules[i];
        args[n] = NULL;
        tu_output o;
        run_cc(&o, args);
        CHECK(o.status == 0, "refilter A: exit %d: %s", o.status, tu_str(&o.err));
        tu_output_free(&o);
    }
    na = read_rows(dir_a, a, N + 4);
    int nb = read_rows(dir_b, b, N + 4);
    CHECK_EQ_INT(na, N);
    CHECK_EQ_INT(nb, N);
    int same = 0, unsafe_seen = 0;
    for (int i = 0; i < na && i < nb; i++) {
        CHECK(strcmp(a[i].url, b[i].url) == 0, "row %d: %s vs %s", i, a[i].url, b[i].url);
        CHECK(strcmp(a[i].verdict, b[i].verdict) == 0, "%s: refilter says %s, fetch says %s", a[i].url, a[i].verdict,
              b[i].verdict);
        same += strcmp(a[i].verdict, b[i].verdict) == 0;
        unsafe_seen += strcmp(b[i].verdict, "rejected:unsafe_image") == 0;
    }
    CHECK_EQ_INT(same, N);
    CHECK_EQ_INT(unsafe_seen, unsafe_expected); /* every unsafe sample says so, low score or not */
    for (int i = 0; i < nb; i++) {
        if (strstr(b[i].url, "/j3.png"))
            CHECK(strcmp(b[i].verdict, "rejected:too_small") == 0, "small image: %s", b[i].verdict);
        if (strstr(b[i].url, "/j5.png"))
            CHECK(strcmp(b[i].verdict, "rejected:too_short") == 0, "short caption: %s", b[i].verdict);
    }

    tu_server_stop(ng);
    tu_rm_rf(work);
    free(list), free(www), free(dir_a), free(dir_b), free(model), free(tok), free(work);
    return check_summary();
}
