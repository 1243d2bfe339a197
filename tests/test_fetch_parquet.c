/* test_fetch_parquet.c — `clipcrawl fetch` on Parquet lists, end to end.
 *
 * nginx on 127.0.0.1 serves a few photo-like JPEGs; tests/pqwrite.c writes
 * Parquet lists pointing at it, shaped like LAION (URL/TEXT, similarity,
 * punsafe), DataComp (url/text/uid/sha256, one sha256 wrong on purpose) and
 * with a custom url column. The real binary runs on them; the index and
 * `clipcrawl cat` show what it did: rows accepted, the wrong hash rejected as
 * hash_mismatch, --save-additional-columns values in KEY.json and
 * items.list_columns, a null URL recorded as bad input. The same flags on a
 * CSV list (strings) and errors for a missing column and a corrupt file. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "common.h"
#include "image.h"
#include "json.h"
#include "photogen.h"
#include "pqwrite.h"
#include "testutil.h"

#define N 8

static char *work;
static tu_server *nginx;
static char sha[N][65];
static char *urls[N];

/* The binary with a NULL-terminated argument array. */
static void run_cc(tu_output *o, const char *const *args) { tu_run_clipcrawl_args(o, args, 120); }
#define CC(o, ...) run_cc(o, (const char *const[]){__VA_ARGS__, NULL})

static void make_site(void)
{
    char *dir = xasprintf("%s/site/img", work);
    cc_mkdirs(dir, 0755);
    for (int i = 0; i < N; i++) {
        int w = 200 + 16 * i, h = 160 + 8 * i;
        img_image im = {.width = w, .height = h, .mode = IMG_MODE_RGB, .channels = 3};
        im.pixels = xmalloc((size_t)w * h * 3);
        photogen_make(w, h, (uint64_t)i + 7, im.pixels);
        ccbuf b = {0};
        char err[256];
        if (img_encode(&im, ENC_JPG, 90, &b, err, sizeof err) != CC_OK) {
            fprintf(stderr, "encode: %s\n", err);
            exit(99);
        }
        char *p = xasprintf("%s/%d.jpg", dir, i);
        tu_write_file(p, b.data, b.len);
        cc_sha256_hex(b.data, b.len, sha[i]);
        free(p);
        ccbuf_free(&b);
        img_image_free(&im);
    }
    free(dir);
}

/* Counts by status/reason in DIR's index. */
static long long q_int(const char *dir, const char *sql) { return tu_index_int(dir, "%s", sql); }

static char *q_text(const char *dir, const char *sql) { return tu_index_text(dir, "%s", sql); }

/* DataComp-like: url/text/uid/sha256, row 3's sha256 wrong, row 6 without one,
 * row 7's url null. */
static void test_datacomp(void)
{
    const char *url[N], *text[N], *uid[N], *hash[N];
    char uids[N][33], badsha[65];
    for (int i = 0; i < N; i++) {
        url[i] = i == 7 ? NULL : urls[i];
        text[i] = i == 2 ? NULL : "golden retriever puppy playing in the garden";
        snprintf(uids[i], sizeof uids[i], "%032x", 0xabc00 + i);
        uid[i] = uids[i];
        hash[i] = sha[i];
    }
    snprintf(badsha, sizeof badsha, "%s", sha[3]);
    badsha[0] = badsha[0] == '0' ? '1' : '0';
    hash[3] = badsha;
    hash[6] = NULL;
    pqw_col cols[] = {
        {.name = "uid", .type = PQW_STRING, .optional = 1, .str = uid},
        {.name = "url", .type = PQW_STRING, .optional = 1, .str = url},
        {.name = "text", .type = PQW_STRING, .optional = 1, .str = text},
        {.name = "sha256", .type = PQW_STRING, .optional = 1, .str = hash},
    };
    char *list = xasprintf("%s/datacomp.parquet", work);
    CHECK(pqw_write(list, cols, 4, N, 3, 0) == 0, "write %s", list);
    char *ds = xasprintf("%s/ds-datacomp", work);
    tu_output o;
    CC(&o, "fetch", list, "-o", ds, "--allow-private", "-q", "--save-additional-columns", "uid,sha256",
       "--no-dedup");
    CHECK(o.status == 0, "fetch exit %d: %s", o.status, tu_str(&o.err));
    CHECK(strstr(tu_str(&o.out), "\"accepted\":6"), "counts: %s", tu_str(&o.out));
    tu_output_free(&o);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE status = 'accepted'"), 6);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE reason = 'hash_mismatch' AND row_no = 3 "
                           "AND status = 'rejected'"), 1);
    char *err3 = q_text(ds, "SELECT error FROM items WHERE row_no = 3");
    CHECK(err3 && strstr(err3, sha[3]) && strstr(err3, badsha), "hash_mismatch error: %s", err3 ? err3 : "");
    free(err3);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE row_no = 7 AND reason = 'bad_input'"), 1);
    /* row 6 has no sha256 in the list: accepted on its own bytes */
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE row_no = 6 AND status = 'accepted'"), 1);
    /* the saved columns: in the index (every outcome) and in KEY.json */
    char *lc = q_text(ds, "SELECT list_columns FROM items WHERE row_no = 3");
    char want[200];
    snprintf(want, sizeof want, "{\"uid\":\"%s\",\"sha256\":\"%s\"}", uids[3], badsha);
    CHECK(lc && strcmp(lc, want) == 0, "list_columns row 3: %s, want %s", lc ? lc : "(null)", want);
    free(lc);
    char *key = q_text(ds, "SELECT key FROM items WHERE row_no = 5");
    CHECK(key != NULL, "row 5 key");
    if (key) {
        CC(&o, "cat", ds, key, "--member", "json");
        char e[128];
        json_value *v = json_parse(tu_str(&o.out), o.out.len, e, sizeof e);
        CHECK(v && strcmp(json_get_string(v, "uid", ""), uids[5]) == 0, "KEY.json uid: %s", tu_str(&o.out));
        CHECK(v && strcmp(json_get_string(v, "sha256", ""), sha[5]) == 0, "KEY.json sha256");
        /* the list's sha256 column is not written a second time */
        const char *js = tu_str(&o.out);
        const char *first = strstr(js, "\"sha256\"");
        CHECK(first && !strstr(first + 1, "\"sha256\""), "sha256 twice in KEY.json: %s", js);
        CHECK(v && strcmp(json_get_string(v, "caption", ""), "golden retriever puppy playing in the garden") == 0, "caption");
        json_free(v);
        tu_output_free(&o);
        free(key);
    }
    /* a rerun resumes: nothing is fetched again */
    int before = tu_access_log_count(nginx, "/img/");
    CC(&o, "fetch", list, "-o", ds, "--allow-private", "-q", "--save-additional-columns", "uid,sha256",
       "--no-dedup");
    CHECK(o.status == 0 && tu_access_log_count(nginx, "/img/") == before, "rerun fetched again: %s",
          tu_str(&o.err));
    tu_output_free(&o);
    free(ds);
    free(list);
}

/* LAION-like: URL/TEXT found without flags; similarity (DOUBLE), punsafe
 * (FLOAT, one null) carried with their types. */
static void test_laion(void)
{
    const char *url[N], *text[N];
    double sim[N], punsafe[N];
    uint8_t pnull[N] = {0};
    int64_t sid[N];
    for (int i = 0; i < N; i++) {
        url[i] = urls[i];
        text[i] = i == 1 ? "" : "golden retriever on a beach";
        sim[i] = 0.25 + i / 100.0;
        punsafe[i] = 0.5;
        sid[i] = 1000000000LL + i;
    }
    sim[2] = 0.30000000000000004;
    pnull[4] = 1;
    pqw_col cols[] = {
        {.name = "SAMPLE_ID", .type = PQW_INT64, .i64 = sid},
        {.name = "URL", .type = PQW_STRING, .str = url},
        {.name = "TEXT", .type = PQW_STRING, .optional = 1, .str = text},
        {.name = "similarity", .type = PQW_DOUBLE, .optional = 1, .f64 = sim},
        {.name = "punsafe", .type = PQW_FLOAT, .optional = 1, .f64 = punsafe, .isnull = pnull},
    };
    char *list = xasprintf("%s/laion.parquet", work);
    CHECK(pqw_write(list, cols, 5, N, 4, 1) == 0, "write %s", list);
    char *ds = xasprintf("%s/ds-laion", work);
    tu_output o;
    CC(&o, "fetch", list, "-o", ds, "--allow-private", "-q", "--save-additional-columns",
       "SAMPLE_ID,similarity,punsafe", "--no-dedup");
    CHECK(o.status == 0, "fetch exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items"), N);
    char *c0 = q_text(ds, "SELECT caption FROM items WHERE row_no = 0");
    CHECK(c0 && strcmp(c0, "golden retriever on a beach") == 0, "TEXT column used: %s", c0 ? c0 : "(null)");
    free(c0);
    char *lc = q_text(ds, "SELECT list_columns FROM items WHERE row_no = 2");
    CHECK(lc && strcmp(lc, "{\"SAMPLE_ID\":1000000002,\"similarity\":0.30000000000000004,\"punsafe\":0.5}") == 0,
          "list_columns: %s", lc ? lc : "(null)");
    free(lc);
    lc = q_text(ds, "SELECT list_columns FROM items WHERE row_no = 4");
    CHECK(lc && strstr(lc, "\"punsafe\":null"), "null punsafe: %s", lc ? lc : "(null)");
    free(lc);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM inputs WHERE kind = 'parquet'"), 1);
    /* a column that is not there: one line naming it, nothing written */
    char *ds2 = xasprintf("%s/ds-missing", work);
    CC(&o, "fetch", list, "-o", ds2, "--allow-private", "-q", "--save-additional-columns", "similarity,nope");
    CHECK(o.status != 0 && strstr(tu_str(&o.err), "'nope'") && access(ds2, F_OK) != 0,
          "missing column: exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    /* --url-col naming a column that is not there */
    CC(&o, "fetch", list, "-o", ds2, "--allow-private", "-q", "--url-col", "image_url");
    CHECK(o.status != 0 && strstr(tu_str(&o.err), "'image_url'"), "bad --url-col: %s", tu_str(&o.err));
    tu_output_free(&o);
    free(ds2);
    free(ds);
    free(list);
}

/* A custom url column via --url-col / --caption-col and a corrupt file. */
static void test_custom_and_corrupt(void)
{
    const char *link[2] = {urls[0], urls[1]};
    const char *alt[2] = {"first picture of a dog", "second picture of a dog"};
    pqw_col cols[] = {
        {.name = "link", .type = PQW_STRING, .str = link},
        {.name = "alt", .type = PQW_STRING, .str = alt},
    };
    char *list = xasprintf("%s/custom.parquet", work);
    CHECK(pqw_write(list, cols, 2, 2, 0, 0) == 0, "write");
    char *ds = xasprintf("%s/ds-custom", work);
    tu_output o;
    CC(&o, "fetch", list, "-o", ds, "--allow-private", "-q", "--url-col", "link", "--caption-col", "alt",
       "--no-dedup");
    CHECK(o.status == 0 && strstr(tu_str(&o.out), "\"accepted\":2"), "custom cols: %s %s", tu_str(&o.out),
          tu_str(&o.err));
    tu_output_free(&o);
    char *c1 = q_text(ds, "SELECT caption FROM items WHERE row_no = 1");
    CHECK(c1 && strcmp(c1, "second picture of a dog") == 0, "caption: %s", c1 ? c1 : "(null)");
    free(c1);
    /* the same file cut short: refused before anything is written */
    size_t n;
    char *bytes = tu_read_file(list, &n);
    char *cut = xasprintf("%s/cut.parquet", work);
    tu_write_file(cut, bytes, n - 10);
    char *ds2 = xasprintf("%s/ds-cut", work);
    CC(&o, "fetch", cut, "-o", ds2, "--allow-private", "-q", "--url-col", "link");
    CHECK(o.status != 0 && strstr(tu_str(&o.err), "cut.parquet") && access(ds2, F_OK) != 0,
          "corrupt: exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    /* --input-format parquet on a file named otherwise */
    char *other = xasprintf("%s/list.bin", work);
    tu_write_file(other, bytes, n);
    char *ds3 = xasprintf("%s/ds-other", work);
    CC(&o, "fetch", other, "-o", ds3, "--allow-private", "-q", "--input-format", "parquet", "--url-col", "link",
       "--no-dedup");
    CHECK(o.status == 0 && strstr(tu_str(&o.out), "\"accepted\":2"), "--input-format parquet: %s %s",
          tu_str(&o.out), tu_str(&o.err));
    tu_output_free(&o);
    free(bytes);
    free(cut);
    free(other);
    free(ds);
    free(ds2);
    free(ds3);
    free(list);
}

/* --save-additional-columns and the sha256 rule on a CSV list. */
static void test_csv(void)
{
    ccbuf b = {0};
    ccbuf_puts(&b, "url,caption,sha256,score\n");
    for (int i = 0; i < 4; i++)
        ccbuf_printf(&b, "%s,a red bicycle by the wall,%s,0.%d\n", urls[i], i == 2 ? sha[0] : sha[i], i);
    char *list = xasprintf("%s/list.csv", work);
    tu_write_file(list, b.data, b.len);
    ccbuf_free(&b);
    char *ds = xasprintf("%s/ds-csv", work);
    tu_output o;
    CC(&o, "fetch", list, "-o", ds, "--allow-private", "-q", "--save-additional-columns", "score",
       "--no-dedup");
    CHECK(o.status == 0, "csv: %s", tu_str(&o.err));
    tu_output_free(&o);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE status = 'accepted'"), 3);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE row_no = 2 AND reason = 'hash_mismatch'"), 1);
    char *lc = q_text(ds, "SELECT list_columns FROM items WHERE row_no = 1");
    CHECK(lc && strcmp(lc, "{\"score\":\"0.1\"}") == 0, "csv list_columns: %s", lc ? lc : "(null)");
    free(lc);
    free(ds);
    free(list);
}

int main(void)
{
    if (!getenv("CLIPCRAWL_BIN")) {
        fprintf(stderr, "CLIPCRAWL_BIN is not set (run through meson test)\n");
        return 99;
    }
    signal(SIGPIPE, SIG_IGN);
    work = tu_mkdtemp("fetch-parquet");
    make_site();
    char *site = xasprintf("%s/site", work);
    nginx = tu_nginx_start(site);
    free(site);
    for (int i = 0; i < N; i++)
        urls[i] = xasprintf("%s/img/%d.jpg", tu_server_base(nginx), i);
    test_datacomp();
    test_laion();
    test_custom_and_corrupt();
    test_csv();
    tu_server_stop(nginx);
    for (int i = 0; i < N; i++)
        free(urls[i]);
    if (!getenv("TU_KEEP"))
        tu_rm_rf(work);
    free(work);
    return check_summary();
}
