/* test_parquet.c — the Parquet reader (crawler/parquet.h).
 *
 * Conformance: every file of tests/data/parquet/manifest.tsv (a copy of
 * the conformance set's parquet/ folder) is read, refused or rejected as the manifest
 * says; rows are compared with FILE.expected.jsonl (stored zstd-compressed)
 * line for line, byte for byte, through pq_value_json(). Then number
 * formatting, streaming (one row group in memory), corruption (truncation at
 * every footer byte, bad magic, bit flips) and the fuzz target over its
 * corpus plus seeded mutations. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "check.h"
#include "common.h"
#include "fuzz/fuzz_dir.h"
#include "json.h"
#include "pairs.h"
#include "parquet.h"
#include "pqwrite.h"
#include "testutil.h"

static char *data_dir;
static char *tmp_dir;

static char *read_all(const char *path, size_t *len)
{
    ccbuf b = {0};
    if (cc_read_file(path, &b) != CC_OK)
        return NULL;
    ccbuf_reserve(&b, 1);
    b.data[b.len] = 0;
    *len = b.len;
    return (char *)b.data;
}

/* FILE.expected.jsonl.zst → text (NUL-terminated). */
static char *read_expected(const char *name, size_t *len)
{
    char *p = xasprintf("%s/%s.expected.jsonl.zst", data_dir, name);
    size_t zlen;
    char *z = read_all(p, &zlen);
    free(p);
    if (!z)
        return NULL;
    unsigned long long n = ZSTD_getFrameContentSize(z, zlen);
    if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN) {
        free(z);
        return NULL;
    }
    char *out = xmalloc((size_t)n + 1);
    size_t k = ZSTD_decompress(out, (size_t)n, z, zlen);
    free(z);
    if (ZSTD_isError(k) || k != n) {
        free(out);
        return NULL;
    }
    out[n] = 0;
    *len = (size_t)n;
    return out;
}

/* One row as the conformance JSON line (selected columns in selection order). */
static void row_json(pq_reader *r, ccbuf *b)
{
    ccbuf_reset(b);
    ccbuf_putc(b, '{');
    for (size_t k = 0; k < pq_nselected(r); k++) {
        const pq_column *c = pq_selected_column(r, k);
        pq_value v;
        pq_get(r, k, &v);
        if (k)
            ccbuf_putc(b, ',');
        ccbuf_json_string(b, c->name, strlen(c->name));
        ccbuf_putc(b, ':');
        pq_value_json(b, c, &v);
    }
    ccbuf_putc(b, '}');
}

static int json_equal(const json_value *a, const json_value *b)
{
    if (!a || !b || a->type != b->type)
        return 0;
    switch (a->type) {
    case JSON_NUMBER: return a->number == b->number;
    case JSON_STRING: return a->len == b->len && memcmp(a->string, b->string, a->len) == 0;
    case JSON_ARRAY:
    case JSON_OBJECT:
        if (a->len != b->len)
            return 0;
        for (size_t i = 0; i < a->len; i++)
            if (!json_equal(a->items[i], b->items[i]) ||
                (a->type == JSON_OBJECT && strcmp(a->keys[i], b->keys[i]) != 0))
                return 0;
        return 1;
    default: return 1;
    }
}

/* Reads name with the given columns (NULL = all) and compares every row with
 * the expected file: byte for byte when all columns are read, by parsed
 * value for the selected keys otherwise. Returns rows read, -1 on error. */
static long read_and_compare(const char *name, const char *const *cols, size_t ncols)
{
    char *path = xasprintf("%s/%s", data_dir, name);
    char err[512] = "";
    pq_reader *r = pq_open(path, NULL, err, sizeof err);
    free(path);
    CHECK(r != NULL, "%s: open: %s", name, err);
    if (!r)
        return -1;
    if (cols) {
        int rc = pq_select(r, cols, ncols, err, sizeof err);
        CHECK(rc == 0, "%s: select: %s", name, err);
    }
    size_t elen;
    char *exp = read_expected(name, &elen);
    CHECK(exp != NULL, "%s: expected rows missing", name);
    if (!exp) {
        pq_close(r);
        return -1;
    }
    ccbuf got = {0};
    char *line = exp;
    long rows = 0, bad = 0;
    int rc;
    while ((rc = pq_next(r)) == 1) {
        CHECK_EQ_INT(pq_row_no(r), rows);
        char *nl = strchr(line, '\n');
        if (!nl) {
            CHECK(0, "%s: row %ld is beyond the expected rows", name, rows);
            break;
        }
        *nl = 0;
        row_json(r, &got);
        int same;
        if (!cols) {
            same = strcmp((char *)got.data, line) == 0;
        } else {
            json_value *a = json_parse((char *)got.data, got.len, err, sizeof err);
            json_value *e = json_parse(line, strlen(line), err, sizeof err);
            same = a && e;
            for (size_t k = 0; same && k < ncols; k++)
                same = json_equal(json_get(a, cols[k]), json_get(e, cols[k]));
            json_free(a);
            json_free(e);
        }
        if (!same && bad++ < 3)
            CHECK(0, "%s row %ld:\n  got  %.300s\n  want %.300s", name, rows, (char *)got.data, line);
        line = nl + 1;
        rows++;
    }
    CHECK(rc == 0, "%s: reading failed: %s", name, pq_errmsg(r));
    CHECK(*line == 0 || rc != 0, "%s: only %ld rows read, expected more", name, rows);
    CHECK(bad == 0, "%s: %ld of %ld rows differ", name, bad, rows);
    CHECK_EQ_INT(pq_nrows(r), rows);
    ccbuf_free(&got);
    free(exp);
    pq_close(r);
    return rc == 0 ? rows : -1;
}

/* Splits "a,b,c" into names (pointers into s, which is modified). */
static size_t split_cols(char *s, const char **out, size_t max)
{
    size_t n = 0;
    for (char *t = strtok(s, ","); t && n < max; t = strtok(NULL, ","))
        out[n++] = t;
    return n;
}

static void test_manifest(void)
{
    char *mpath = xasprintf("%s/manifest.tsv", data_dir);
    size_t mlen;
    char *m = read_all(mpath, &mlen);
    CHECK(m != NULL, "read %s", mpath);
    free(mpath);
    if (!m)
        return;
    int nread = 0, nrefuse = 0, nreject = 0;
    char *save = NULL;
    for (char *ln = strtok_r(m, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        if (ln[0] == '#' || !ln[0])
            continue;
        char *f[5] = {0};
        int nf = 0;
        for (char *p = ln; nf < 5; nf++) {
            f[nf] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                nf++;
                break;
            }
            *tab = 0;
            p = tab + 1;
        }
        CHECK(nf >= 4, "manifest line for %s has %d fields", f[0], nf);
        if (nf < 4)
            continue;
        const char *name = f[0], *must = f[1], *rows = f[2];
        const char *cols[64];
        size_t ncols = 0;
        char colbuf[512];
        snprintf(colbuf, sizeof colbuf, "%s", f[3]);
        if (strcmp(colbuf, "-") != 0)
            ncols = split_cols(colbuf, cols, 64);
        if (strcmp(must, "read") == 0) {
            nread++;
            long got = read_and_compare(name, ncols ? cols : NULL, ncols);
            CHECK(got == atol(rows), "%s: %ld rows, manifest says %s", name, got, rows);
            if (ncols) {
                /* reading all columns must refuse the nested one, naming it */
                char *path = xasprintf("%s/%s", data_dir, name);
                char err[512] = "";
                pq_reader *r = pq_open(path, NULL, err, sizeof err);
                free(path);
                CHECK(r && pq_next(r) == -1 && strstr(pq_errmsg(r), "nested"),
                      "%s: reading every column should refuse the nested one", name);
                pq_close(r);
            }
        } else if (strcmp(must, "refuse") == 0) {
            nrefuse++;
            char *path = xasprintf("%s/%s", data_dir, name);
            char err[512] = "";
            pq_reader *r = pq_open(path, NULL, err, sizeof err);
            CHECK(r != NULL, "%s: open: %s", name, err);
            if (r) {
                int rc = pq_next(r);
                CHECK(rc == -1, "%s: reading every column must be refused", name);
                /* the reason names the nested column: "column a is ..." */
                const char *reason = f[4] ? f[4] : "";
                char want[128] = "";
                if (sscanf(reason, "column %127s", want) == 1) {
                    char quoted[140];
                    snprintf(quoted, sizeof quoted, "column '%s' is nested", want);
                    CHECK(strstr(pq_errmsg(r), quoted), "%s: error '%s' should say %s", name,
                          pq_errmsg(r), quoted);
                } else {
                    CHECK(strstr(pq_errmsg(r), "is nested"), "%s: error '%s'", name,
                          pq_errmsg(r));
                }
                CHECK(strstr(pq_errmsg(r), name) != NULL, "%s: error names the file", name);
                pq_close(r);
                /* selecting a nested column by name is refused too */
                r = pq_open(path, NULL, err, sizeof err);
                for (size_t i = 0; r && i < pq_ncolumns(r); i++) {
                    const pq_column *c = pq_column_at(r, i);
                    if (!c->nested)
                        continue;
                    const char *one[] = {c->name};
                    CHECK(pq_select(r, one, 1, err, sizeof err) == -1 && strstr(err, c->name),
                          "%s: selecting nested '%s' must fail naming it (%s)", name, c->name, err);
                }
                pq_close(r);
            }
            free(path);
            /* the flat columns alone read and match */
            if (ncols) {
                long got = read_and_compare(name, cols, ncols);
                CHECK(got == atol(rows), "%s: %ld rows of the flat columns, manifest says %s",
                      name, got, rows);
            }
        } else if (strcmp(must, "reject") == 0) {
            nreject++;
            char *path = xasprintf("%s/%s", data_dir, name);
            char err[512] = "";
            pq_reader *r = pq_open(path, NULL, err, sizeof err);
            long rows_before = 0;
            const char *msg = err;
            if (r) {
                int rc;
                while ((rc = pq_next(r)) == 1)
                    rows_before++;
                CHECK(rc == -1, "%s: corrupt file read to the end", name);
                msg = pq_errmsg(r);
            }
            CHECK(rows_before == 0, "%s: %ld rows returned before the error", name, rows_before);
            CHECK(msg[0] && strstr(msg, name), "%s: error should name the file: '%s'", name, msg);
            printf("  %s rejected: %s\n", name, msg);
            pq_close(r);
            free(path);
        } else {
            CHECK(0, "manifest: unknown verdict '%s' for %s", must, name);
        }
    }
    CHECK(nread >= 17 && nrefuse >= 2 && nreject >= 2, "manifest: %d read, %d refuse, %d reject",
          nread, nrefuse, nreject);
    free(m);
}

static void expect_num(double v, int is_float, const char *want)
{
    ccbuf b = {0};
    pq_format_number(&b, v, is_float);
    CHECK(b.data && strcmp((char *)b.data, want) == 0, "%.17g (float %d) → %s, want %s", v,
          is_float, b.data ? (char *)b.data : "", want);
    ccbuf_free(&b);
}

static void test_numbers(void)
{
    expect_num(0.30000000000000004, 0, "0.30000000000000004");
    expect_num(2, 0, "2");
    expect_num(1e21, 0, "1e+21");
    expect_num(1e20, 0, "100000000000000000000");
    expect_num(1e-7, 0, "1e-7");
    expect_num(1.5e-6, 0, "0.0000015");
    expect_num(5e-324, 0, "5e-324");
    expect_num(1.7976931348623157e308, 0, "1.7976931348623157e+308");
    expect_num(-0.0, 0, "-0");
    expect_num(-123.456, 0, "-123.456");
    expect_num(0.1f, 1, "0.1");
    expect_num(1.1f, 1, "1.1");
    expect_num(1e-40f, 1, "1e-40");
    expect_num(16777216.0f, 1, "16777216");
    expect_num(3.4028234663852886e38, 1, "3.4028235e+38");
    expect_num(1.0 / 0.0, 0, "\"Infinity\"");
    expect_num(0.0 / 0.0, 0, "\"NaN\"");
    /* integers and bytes */
    ccbuf b = {0};
    pq_column c = {.name = "x", .type = PQ_INT64};
    pq_value v = {.type = PQ_INT64, .i = (int64_t)1 << 53};
    pq_value_json(&b, &c, &v);
    CHECK_EQ_STR((char *)b.data, "\"9007199254740992\"");
    ccbuf_reset(&b);
    v.i = ((int64_t)1 << 53) - 1;
    pq_value_json(&b, &c, &v);
    CHECK_EQ_STR((char *)b.data, "9007199254740991");
    ccbuf_reset(&b);
    c.is_unsigned = 1;
    v.i = -1;
    pq_value_json(&b, &c, &v);
    CHECK_EQ_STR((char *)b.data, "\"18446744073709551615\"");
    ccbuf_reset(&b);
    pq_value bv = {.type = PQ_BYTE_ARRAY, .bytes = (const uint8_t *)"\xff\x00\x01", .len = 3};
    pq_value_json(&b, &c, &bv);
    CHECK_EQ_STR((char *)b.data, "{\"base64\":\"/wAB\"}");
    ccbuf_free(&b);
}

/* laion-like has 3 row groups: after its first row only the first row group's
 * chunks have been read, not the file. */
static void test_streaming(void)
{
    char *path = xasprintf("%s/laion-like.parquet", data_dir);
    char err[512];
    pq_reader *r = pq_open(path, NULL, err, sizeof err);
    CHECK(r != NULL, "open: %s", err);
    if (!r) {
        free(path);
        return;
    }
    CHECK_EQ_INT(pq_nrow_groups(r), 3);
    const char *cols[] = {"TEXT", "URL"};
    CHECK(pq_select(r, cols, 2, err, sizeof err) == 0, "select: %s", err);
    CHECK_EQ_STR(pq_selected_column(r, 0)->name, "TEXT");
    CHECK(pq_selected_column(r, 0)->optional && pq_selected_column(r, 0)->is_string, "TEXT flags");
    CHECK_EQ_INT(pq_next(r), 1);
    uint64_t done, total, first;
    pq_progress(r, &done, &total);
    first = done;
    CHECK(done < total / 2, "after one row %llu of %llu bytes read", (unsigned long long)done,
          (unsigned long long)total);
    pq_value u;
    pq_get(r, 1, &u);
    CHECK(u.len == strlen("http://example.com/img/0.jpg") &&
              memcmp(u.bytes, "http://example.com/img/0.jpg", u.len) == 0,
          "first URL");
    long n = 1;
    while (pq_next(r) == 1)
        n++;
    CHECK_EQ_INT(n, 5000);
    pq_progress(r, &done, &total);
    CHECK(done > 2 * first, "at the end %llu bytes read, after row 0 %llu",
          (unsigned long long)done, (unsigned long long)first);
    CHECK_EQ_INT(pq_next(r), 0); /* stays at the end */
    pq_close(r);
    /* selection errors */
    r = pq_open(path, NULL, err, sizeof err);
    const char *bad[] = {"URL", "nope"};
    CHECK(pq_select(r, bad, 2, err, sizeof err) == -1 && strstr(err, "'nope'"), "%s", err);
    pq_close(r);
    free(path);
    /* not a file we can read */
    CHECK(pq_open("/nonexistent/x.parquet", NULL, err, sizeof err) == NULL &&
              strstr(err, "/nonexistent/x.parquet"),
          "%s", err);
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t k = fwrite(p, 1, n, f);
    return fclose(f) == 0 && k == n ? 0 : -1;
}

/* Opens and reads everything; 1 = read to the end, 0 = failed cleanly. */
static int read_whole(const char *path, char *err, size_t errlen)
{
    pq_reader *r = pq_open(path, NULL, err, errlen);
    if (!r)
        return 0;
    int rc;
    while ((rc = pq_next(r)) == 1)
        ;
    if (rc < 0)
        snprintf(err, errlen, "%s", pq_errmsg(r));
    pq_close(r);
    return rc == 0;
}

static void test_corrupt(void)
{
    char *src = xasprintf("%s/laion-like.parquet", data_dir);
    size_t n;
    char *buf = read_all(src, &n);
    free(src);
    CHECK(buf != NULL, "read laion-like");
    if (!buf)
        return;
    char *path = xasprintf("%s/c.parquet", tmp_dir);
    char err[512];
    /* too short, bad magic, footer longer than the file */
    write_file(path, "PAR1PAR1", 8);
    CHECK(!read_whole(path, err, sizeof err) && strstr(err, "shorter than the 12"), "%s", err);
    char *copy = xmalloc(n);
    memcpy(copy, buf, n);
    copy[0] = 'X';
    write_file(path, copy, n);
    CHECK(!read_whole(path, err, sizeof err) && strstr(err, "leading"), "%s", err);
    memcpy(copy, buf, n);
    copy[n - 5] = 0x7f; /* footer length's high byte */
    write_file(path, copy, n);
    CHECK(!read_whole(path, err, sizeof err) && strstr(err, "footer length"), "%s", err);
    /* every truncation inside the footer, and a spread of them in the data:
     * never a crash, always an error message */
    uint32_t flen;
    memcpy(&flen, buf + n - 8, 4);
    int clean = 0, total = 0;
    for (size_t cut = 1; cut < n - 12; cut += (cut < flen + 8 ? 1 : 997)) {
        size_t keep = n - cut;
        write_file(path, buf, keep);
        total++;
        clean += !read_whole(path, err, sizeof err) && err[0];
    }
    CHECK_EQ_INT(clean, total);
    /* random byte changes: either reads or fails with a message */
    uint64_t rng = 0x2545F4914F6CDD1DULL;
#define RND() (rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17, rng)
    int ok = 0, failed = 0;
    for (int it = 0; it < 300; it++) {
        memcpy(copy, buf, n);
        int k = 1 + (int)(RND() % 4);
        for (int j = 0; j < k; j++) {
            /* half of the changes land in the footer, where they matter most */
            size_t at = (RND() & 1) ? n - 8 - flen + RND() % flen : RND() % n;
            copy[at] = (char)RND();
        }
        write_file(path, copy, n);
        err[0] = 0;
        if (read_whole(path, err, sizeof err))
            ok++;
        else
            failed += err[0] != 0;
    }
#undef RND
    CHECK_EQ_INT(ok + failed, 300);
    printf("  bit flips: %d read, %d rejected\n", ok, failed);
    free(copy);
    free(buf);
    unlink(path);
    free(path);
}

/* Files from tests/pqwrite.c: every type it writes (FIXED_LEN_BYTE_ARRAY is
 * in no conformance file), nulls, several row groups, both codecs. */
static void test_roundtrip(void)
{
    enum { NR = 1000 };
    static char sbuf[NR][24], fbuf[NR][4];
    const char *str[NR], *fix[NR];
    int64_t i32[NR], i64[NR];
    double f32[NR], f64[NR];
    uint8_t nul[NR];
    for (int i = 0; i < NR; i++) {
        snprintf(sbuf[i], sizeof sbuf[i], "row %d \xc3\xa9", i);
        str[i] = i % 7 == 3 ? NULL : sbuf[i];
        memcpy(fbuf[i], &i, 4);
        fix[i] = fbuf[i];
        i32[i] = i % 2 ? -i : i * 1000;
        i64[i] = (int64_t)i * 123456789012LL - 7;
        f32[i] = i / 8.0;
        f64[i] = i / 3.0;
        nul[i] = i % 5 == 0;
    }
    pqw_col cols[] = {
        {.name = "s", .type = PQW_STRING, .optional = 1, .str = str},
        {.name = "fx", .type = PQW_FIXED, .fixed_len = 4, .str = fix},
        {.name = "i32", .type = PQW_INT32, .optional = 1, .i64 = i32, .isnull = nul},
        {.name = "i64", .type = PQW_INT64, .i64 = i64},
        {.name = "f32", .type = PQW_FLOAT, .f64 = f32},
        {.name = "f64", .type = PQW_DOUBLE, .optional = 1, .f64 = f64, .isnull = nul},
    };
    for (int codec = 0; codec < 2; codec++) {
        char *path = xasprintf("%s/rt%d.parquet", tmp_dir, codec);
        CHECK(pqw_write(path, cols, 6, NR, 300, codec) == 0, "write %s", path);
        char err[512];
        pq_reader *r = pq_open(path, NULL, err, sizeof err);
        CHECK(r != NULL, "open: %s", err);
        if (!r) {
            free(path);
            continue;
        }
        CHECK_EQ_INT(pq_nrow_groups(r), 4);
        CHECK(pq_column_at(r, 1)->type == PQ_FIXED_LEN_BYTE_ARRAY && pq_column_at(r, 1)->type_length == 4,
              "fixed column");
        long bad = 0, n = 0;
        while (pq_next(r) == 1) {
            int i = (int)n++;
            pq_value v[6];
            for (int k = 0; k < 6; k++)
                pq_get(r, (size_t)k, &v[k]);
            int ok = (str[i] ? !v[0].is_null && v[0].len == strlen(str[i]) && memcmp(v[0].bytes, str[i], v[0].len) == 0
                             : v[0].is_null) &&
                     v[1].len == 4 && memcmp(v[1].bytes, fix[i], 4) == 0 &&
                     (nul[i] ? v[2].is_null : v[2].i == i32[i]) && v[3].i == i64[i] &&
                     v[4].f == (float)f32[i] && (nul[i] ? v[5].is_null : v[5].d == f64[i]);
            if (!ok && bad++ < 3)
                CHECK(0, "codec %d row %d differs", codec, i);
        }
        CHECK_EQ_INT(n, NR);
        CHECK_EQ_INT(bad, 0);
        CHECK(pq_errmsg(r)[0] == 0, "%s", pq_errmsg(r));
        pq_close(r);
        free(path);
    }
}

/* The list reader (pairs.h) on Parquet: columns found by name, extras as
 * JSON, nulls, the sha256 column. */
static void test_pairs(void)
{
    char *path = xasprintf("%s/laion-like.parquet", data_dir);
    char err[512];
    const char *extra[] = {"similarity", "punsafe", "NSFW"};
    pairs_options o = {.extra_cols = extra, .n_extra = 3};
    pairs_reader *r = pairs_open(path, &o, err, sizeof err);
    CHECK(r != NULL, "pairs_open: %s", err);
    if (r) {
        CHECK(pairs_get_format(r) == PAIRS_PARQUET, "format");
        pairs_row row;
        long n = 0, nullcap = 0;
        while (pairs_next(r, &row) == 1) {
            if (row.row_no == 9)
                CHECK(row.caption == NULL, "row 9: null caption");
            if (row.row_no == 12)
                CHECK(row.extra_json && strcmp(row.extra_json, "{\"similarity\":0.30000000000000004,\"punsafe\":0.30134147,\"NSFW\":\"UNLIKELY\"}") == 0,
                      "row 12 extras: %s", row.extra_json ? row.extra_json : "(null)");
            if (row.row_no == 0)
                CHECK(row.url && strcmp(row.url, "http://example.com/img/0.jpg") == 0, "row 0 url");
            nullcap += row.caption == NULL;
            CHECK(row.error == NULL && row.sha256 == NULL, "row %llu: %s", (unsigned long long)row.row_no,
                  row.error ? row.error : "sha256");
            n++;
        }
        CHECK_EQ_INT(n, 5000);
        CHECK_EQ_INT(nullcap, 153);
        uint64_t d, t;
        pairs_progress(r, &d, &t);
        CHECK(t > 0 && d > 0 && d <= t, "progress %llu/%llu", (unsigned long long)d, (unsigned long long)t);
        pairs_close(r);
    }
    free(path);
    /* datacomp-like: url/text, sha256 read */
    path = xasprintf("%s/datacomp-like.parquet", data_dir);
    r = pairs_open(path, NULL, err, sizeof err);
    CHECK(r != NULL, "pairs_open: %s", err);
    if (r) {
        pairs_row row;
        long with_sha = 0, n = 0;
        while (pairs_next(r, &row) == 1) {
            n++;
            with_sha += row.sha256 && strlen(row.sha256) == 64;
        }
        CHECK(n == 3000 && with_sha > 2900, "%ld rows, %ld with sha256", n, with_sha);
        pairs_close(r);
    }
    free(path);
    /* a column that is not there */
    path = xasprintf("%s/coyo-like.parquet", data_dir);
    const char *nope[] = {"nope"};
    pairs_options o2 = {.extra_cols = nope, .n_extra = 1};
    CHECK(pairs_open(path, &o2, err, sizeof err) == NULL && strstr(err, "'nope'"), "%s", err);
    free(path);
    /* the same options on JSONL and CSV lists */
    path = xasprintf("%s/extra.jsonl", tmp_dir);
    const char *jl = "{\"url\":\"http://h/1\",\"caption\":\"c\",\"score\":0.5,\"tag\":\"a\\\"b\",\"n\":null,"
                     "\"nested\":[1,2],\"sha256\":\"" "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789" "\"}\n"
                     "{\"url\":\"http://h/2\",\"sha256\":\"xyz\"}\n";
    write_file(path, jl, strlen(jl));
    const char *jx[] = {"score", "tag", "n", "nested", "caption", "missing"};
    pairs_options oj = {.extra_cols = jx, .n_extra = 6};
    r = pairs_open(path, &oj, err, sizeof err);
    CHECK(r != NULL, "jsonl: %s", err);
    if (r) {
        pairs_row row;
        CHECK(pairs_next(r, &row) == 1 && row.extra_json &&
                  strcmp(row.extra_json, "{\"score\":0.5,\"tag\":\"a\\\"b\",\"n\":null,\"nested\":null,"
                                         "\"caption\":\"c\",\"missing\":null}") == 0,
              "jsonl extras: %s", row.extra_json ? row.extra_json : "(null)");
        CHECK(row.sha256 && strcmp(row.sha256, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789") == 0,
              "jsonl sha256 lower-cased");
        CHECK(pairs_next(r, &row) == 1 && row.error && strstr(row.error, "sha256"), "bad sha256 row: %s",
              row.error ? row.error : "(none)");
        pairs_close(r);
    }
    free(path);
    path = xasprintf("%s/extra.txt", tmp_dir);
    write_file(path, "http://h/1\n", 11);
    CHECK(pairs_open(path, &oj, err, sizeof err) == NULL && strstr(err, "no columns"), "txt extras: %s", err);
    free(path);
    /* nested url column */
    path = xasprintf("%s/nested_lists.snappy.parquet", data_dir);
    pairs_options o3 = {.url_col = "a"};
    CHECK(pairs_open(path, &o3, err, sizeof err) == NULL && strstr(err, "'a'"), "%s", err);
    free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void test_fuzz(void)
{
    char *corpus = tu_tests_path("data/parquet");
    long n = fuzz_run_path(corpus, LLVMFuzzerTestOneInput);
    CHECK(n >= 20, "fuzz corpus %s: %ld inputs", corpus, n);
    /* mutations of the small conformance files */
    static const char *const seeds[] = {"alltypes_plain.parquet", "datapage_v2.snappy.parquet",
                                        "delta_length_byte_array.parquet", "binary.parquet",
                                        "byte_stream_split.zstd.parquet",
                                        "lz4_raw_compressed.parquet", "int32_with_null_pages.parquet",
                                        "concatenated_gzip_members.parquet"};
    enum { NS = sizeof seeds / sizeof seeds[0] };
    char *seed[NS];
    size_t seedlen[NS];
    for (int i = 0; i < NS; i++) {
        char *p = xasprintf("%s/%s", corpus, seeds[i]);
        seed[i] = read_all(p, &seedlen[i]);
        CHECK(seed[i] != NULL, "read %s", p);
        free(p);
        if (!seed[i])
            return;
    }
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
#define RND() (rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17, rng)
    int runs = 0;
    for (int it = 0; it < 3000; it++) {
        int s = (int)(RND() % NS);
        size_t len = seedlen[s];
        uint8_t *buf = xmalloc(len);
        memcpy(buf, seed[s], len);
        int muts = 1 + (int)(RND() % 3);
        for (int m = 0; m < muts; m++) {
            size_t at = RND() % len;
            switch (RND() % 3) {
            case 0: buf[at] = (uint8_t)RND(); break;
            case 1: buf[at] ^= (uint8_t)(1u << (RND() % 8)); break;
            default: buf[at] = (uint8_t)(buf[at] + 1); break;
            }
        }
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        runs++;
    }
#undef RND
    CHECK_EQ_INT(runs, 3000);
    for (int i = 0; i < NS; i++)
        free(seed[i]);
    free(corpus);
}

int main(void)
{
    data_dir = tu_tests_path("data/parquet");
    tmp_dir = tu_mkdtemp("parquet");
    test_manifest();
    test_numbers();
    test_streaming();
    test_corrupt();
    test_roundtrip();
    test_pairs();
    test_fuzz();
    tu_rm_rf(tmp_dir);
    free(tmp_dir);
    free(data_dir);
    return check_summary();
}
