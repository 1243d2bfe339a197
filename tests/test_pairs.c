/* test_pairs.c — the URL list readers (crawler/pairs.h): every format, gzip,
 * custom columns, RFC 4180 quoting, malformed rows, missing columns, and a
 * 1M-row list read in constant memory. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

#include "check.h"
#include "common.h"
#include "fuzz/fuzz_dir.h"
#include "pairs.h"
#include "testutil.h"

static char *dir;

typedef struct {
    unsigned long long row_no, line_no;
    char *url, *caption, *error;
} row_copy;

typedef struct {
    row_copy *rows;
    size_t n;
    int end;         /* 0 = clean EOF, -1 = fatal error */
    char errmsg[512];
} rows_t;

static void rows_free(rows_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].url);
        free(r->rows[i].caption);
        free(r->rows[i].error);
    }
    free(r->rows);
    memset(r, 0, sizeof *r);
}

static char *write_list(const char *name, const char *text, int gz)
{
    char *path = xasprintf("%s/%s%s", dir, name, gz ? ".gz" : "");
    if (gz) {
        gzFile g = gzopen(path, "wb");
        gzwrite(g, text, (unsigned)strlen(text));
        gzclose(g);
    } else {
        tu_write_file(path, text, strlen(text));
    }
    return path;
}

/* Reads every row of path; returns 0, or -1 when pairs_open failed (errmsg). */
static int read_all(const char *path, const pairs_options *o, rows_t *out)
{
    memset(out, 0, sizeof *out);
    pairs_reader *r = pairs_open(path, o, out->errmsg, sizeof out->errmsg);
    if (!r)
        return -1;
    pairs_row row;
    int rc;
    size_t cap = 0;
    while ((rc = pairs_next(r, &row)) == 1) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 16;
            out->rows = xrealloc(out->rows, cap * sizeof *out->rows);
        }
        row_copy *c = &out->rows[out->n++];
        c->row_no = row.row_no;
        c->line_no = row.line_no;
        c->url = xstrdup(row.url);
        c->caption = xstrdup(row.caption);
        c->error = xstrdup(row.error);
    }
    out->end = rc;
    if (rc < 0)
        snprintf(out->errmsg, sizeof out->errmsg, "%s", pairs_errmsg(r));
    CHECK(pairs_next(r, &row) == rc, "%s: pairs_next after the end must repeat %d", path, rc);
    pairs_close(r);
    return 0;
}

#define S(x) ((x) ? (x) : "(null)")

static void expect_row(const rows_t *rs, size_t i, const char *url, const char *caption, const char *what)
{
    if (i >= rs->n) {
        CHECK(0, "%s: row %zu missing (only %zu rows)", what, i, rs->n);
        return;
    }
    const row_copy *r = &rs->rows[i];
    CHECK(r->row_no == i, "%s: row %zu has row_no %llu", what, i, r->row_no);
    CHECK(!r->error, "%s: row %zu unexpected error: %s", what, i, S(r->error));
    CHECK(r->url && strcmp(r->url, url) == 0, "%s: row %zu url \"%s\" != \"%s\"", what, i, S(r->url), url);
    if (caption)
        CHECK(r->caption && strcmp(r->caption, caption) == 0, "%s: row %zu caption \"%s\" != \"%s\"", what, i,
              S(r->caption), caption);
    else
        CHECK(!r->caption, "%s: row %zu caption \"%s\" should be NULL", what, i, S(r->caption));
}

static void expect_bad(const rows_t *rs, size_t i, const char *needle, const char *what)
{
    if (i >= rs->n) {
        CHECK(0, "%s: row %zu missing (only %zu rows)", what, i, rs->n);
        return;
    }
    const row_copy *r = &rs->rows[i];
    CHECK(r->row_no == i, "%s: row %zu has row_no %llu", what, i, r->row_no);
    CHECK(r->error && strstr(r->error, needle), "%s: row %zu error \"%s\" lacks \"%s\"", what, i, S(r->error),
          needle);
    CHECK(!r->url && !r->caption, "%s: bad row %zu must have no url/caption", what, i);
}

/* Runs check on the plain file and on its .gz twin. */
#define BOTH(name, text, opts, body)                                                                       \
    for (int gz_ = 0; gz_ < 2; gz_++) {                                                                     \
        char *path_ = write_list(name, text, gz_);                                                          \
        rows_t rs;                                                                                          \
        char what[256];                                                                                     \
        snprintf(what, sizeof what, "%s%s", name, gz_ ? ".gz" : "");                                        \
        int rc_ = read_all(path_, opts, &rs);                                                               \
        CHECK(rc_ == 0, "%s: open failed: %s", what, rs.errmsg);                                            \
        if (rc_ == 0) {                                                                                     \
            body                                                                                            \
        }                                                                                                   \
        rows_free(&rs);                                                                                     \
        free(path_);                                                                                        \
    }

static void test_names(void)
{
    CHECK_EQ_INT(pairs_format_from_name("a/b.csv"), PAIRS_CSV);
    CHECK_EQ_INT(pairs_format_from_name("b.TSV.gz"), PAIRS_TSV);
    CHECK_EQ_INT(pairs_format_from_name("x.jsonl.gz"), PAIRS_JSONL);
    CHECK_EQ_INT(pairs_format_from_name("x.ndjson"), PAIRS_JSONL);
    CHECK_EQ_INT(pairs_format_from_name("x.json"), PAIRS_JSON);
    CHECK_EQ_INT(pairs_format_from_name("urls.txt"), PAIRS_TXT);
    CHECK_EQ_INT(pairs_format_from_name("x.parquet"), PAIRS_PARQUET);
    CHECK_EQ_INT(pairs_format_from_name("x.xlsx"), PAIRS_AUTO);
    CHECK_EQ_INT(pairs_format_from_name("dir.csv/noext"), PAIRS_AUTO);
    CHECK_EQ_INT(pairs_format_from_name(".gz"), PAIRS_AUTO);
    CHECK_EQ_STR(pairs_format_name(PAIRS_JSONL), "jsonl");
    char err[256];
    char *p = write_list("list.xlsx", "x", 0);
    CHECK(!pairs_open(p, NULL, err, sizeof err) && strstr(err, "list.xlsx") && strstr(err, "format"),
          "unknown extension must fail naming the file: %s", err);
    free(p);
    p = write_list("list.parquet", "x", 0);
    CHECK(!pairs_open(p, NULL, err, sizeof err) && strstr(err, "list.parquet") && strstr(err, "not a Parquet file"),
          "a .parquet that is not one must fail naming the file: %s", err);
    free(p);
    CHECK(!pairs_open("/nonexistent/x.csv", NULL, err, sizeof err) && strstr(err, "/nonexistent/x.csv"),
          "missing file must fail naming it: %s", err);
}

static void test_txt(void)
{
    BOTH("urls.txt", "http://a.example/1.jpg\n\n  http://a.example/2.jpg  \r\nhttp://a.example/3.jpg", NULL, {
        CHECK_EQ_INT(rs.n, 3);
        CHECK_EQ_INT(rs.end, 0);
        expect_row(&rs, 0, "http://a.example/1.jpg", NULL, what);
        expect_row(&rs, 1, "http://a.example/2.jpg", NULL, what);
        expect_row(&rs, 2, "http://a.example/3.jpg", NULL, what);
        if (rs.n == 3)
            CHECK_EQ_INT(rs.rows[2].line_no, 4);
    });
}

static void test_csv(void)
{
    const char *text = "\xEF\xBB\xBF" "id,url,caption,extra\r\n"
                       "1,http://h/1.jpg,plain caption,x\r\n"
                       "2,\"http://h/2.jpg\",\"with, comma and \"\"quotes\"\"\",y\r\n"
                       "3,http://h/3.jpg,\"two\r\nlines\",z\n"
                       "\n"
                       "4,http://h/4.jpg,,w\n"
                       "5,http://h/5.jpg,\"\"\n"
                       "6,http://h/6.jpg,ünïcode ✓";
    BOTH("pairs.csv", text, NULL, {
        CHECK_EQ_INT(rs.n, 6);
        CHECK_EQ_INT(rs.end, 0);
        expect_row(&rs, 0, "http://h/1.jpg", "plain caption", what);
        expect_row(&rs, 1, "http://h/2.jpg", "with, comma and \"quotes\"", what);
        expect_row(&rs, 2, "http://h/3.jpg", "two\r\nlines", what);
        expect_row(&rs, 3, "http://h/4.jpg", "", what);
        expect_row(&rs, 4, "http://h/5.jpg", "", what);
        expect_row(&rs, 5, "http://h/6.jpg", "ünïcode ✓", what);
        if (rs.n == 6) {
            CHECK_EQ_INT(rs.rows[2].line_no, 4);
            CHECK_EQ_INT(rs.rows[3].line_no, 7);
        }
    });

    /* custom column names, caption before url, a file without caption column */
    pairs_options o = {.url_col = "IMAGE_URL", .caption_col = "TEXT"};
    BOTH("custom.csv", "TEXT,IMAGE_URL\nhello,http://h/a.png\n\"bye\",http://h/b.png\n", &o, {
        CHECK_EQ_INT(rs.n, 2);
        expect_row(&rs, 0, "http://h/a.png", "hello", what);
        expect_row(&rs, 1, "http://h/b.png", "bye", what);
    });
    BOTH("nocap.csv", "url\nhttp://h/a.png\n", NULL, {
        CHECK_EQ_INT(rs.n, 1);
        expect_row(&rs, 0, "http://h/a.png", NULL, what);
    });

    /* malformed rows are reported and reading continues */
    const char *bad = "url,caption\n"
                      "http://h/0.jpg,ok\n"
                      "\"http://h/1.jpg\"junk,bad\n"
                      "http://h/2.jpg,fine\n"
                      "onlyone\n"
                      ",empty url\n"
                      "http://h/5.jpg,\"never closed\n";
    BOTH("bad.csv", bad, NULL, {
        CHECK_EQ_INT(rs.n, 6);
        CHECK_EQ_INT(rs.end, 0);
        expect_row(&rs, 0, "http://h/0.jpg", "ok", what);
        expect_bad(&rs, 1, "closing quote", what);
        expect_row(&rs, 2, "http://h/2.jpg", "fine", what);
        expect_bad(&rs, 3, "field", what);
        expect_bad(&rs, 4, "empty url", what);
        expect_bad(&rs, 5, "unterminated", what);
    });

    /* missing columns: one line naming the file and the column */
    char err[512];
    char *p = write_list("nourl.csv", "link,caption\nhttp://h/x,y\n", 0);
    pairs_reader *r = pairs_open(p, NULL, err, sizeof err);
    CHECK(!r && strstr(err, "nourl.csv") && strstr(err, "'url'") && !strchr(err, '\n'),
          "missing url column: %s", err);
    pairs_close(r);
    pairs_options oc = {.caption_col = "alt"};
    r = pairs_open(p, &oc, err, sizeof err);
    CHECK(!r && strstr(err, "'url'"), "url is checked first: %s", err);
    pairs_close(r);
    free(p);
    p = write_list("noalt.csv", "url,caption\nhttp://h/x,y\n", 0);
    r = pairs_open(p, &oc, err, sizeof err);
    CHECK(!r && strstr(err, "noalt.csv") && strstr(err, "'alt'"), "explicit caption column missing: %s", err);
    pairs_close(r);
    free(p);
    p = write_list("empty.csv", "", 0);
    r = pairs_open(p, NULL, err, sizeof err);
    CHECK(!r && strstr(err, "empty.csv"), "empty csv: %s", err);
    pairs_close(r);
    free(p);
}

static void test_tsv(void)
{
    BOTH("cc3m.tsv", "caption\turl\r\na \"quoted\" cat\thttp://h/c.jpg\r\ndog\thttp://h/d.jpg\nbroken line\n", NULL, {
        CHECK_EQ_INT(rs.n, 3);
        expect_row(&rs, 0, "http://h/c.jpg", "a \"quoted\" cat", what);
        expect_row(&rs, 1, "http://h/d.jpg", "dog", what);
        expect_bad(&rs, 2, "field", what);
    });
}

static void test_json(void)
{
    const char *text = "[\n"
                       " {\"url\": \"http://h/0.jpg\", \"caption\": \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/\"},\n"
                       " {\"caption\": null, \"meta\": {\"w\": [1, 2, {\"x\": \"]}\"}]}, \"url\": \"http://h/1.jpg\"},\n"
                       " {\"url\": \"http://h/2.jpg\", \"caption\": 42.5},\n"
                       " {\"url\": \"http://h/3.jpg\", \"caption\": tru},\n"
                       " \"not an object\",\n"
                       " {\"caption\": \"no url\"},\n"
                       " {\"url\": 7},\n"
                       " {\"url\": \"http://h/7.jpg\" \"caption\": \"missing comma\"},\n"
                       " {},\n"
                       " {\"url\": \"http://h/9.jpg\"}\n"
                       "]\n";
    BOTH("list.json", text, NULL, {
        CHECK_EQ_INT(rs.n, 10);
        CHECK_EQ_INT(rs.end, 0);
        expect_row(&rs, 0, "http://h/0.jpg", "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ /", what);
        expect_row(&rs, 1, "http://h/1.jpg", NULL, what);
        expect_row(&rs, 2, "http://h/2.jpg", "42.5", what);
        expect_bad(&rs, 3, "token", what);
        expect_bad(&rs, 4, "not a JSON object", what);
        expect_bad(&rs, 5, "no 'url'", what);
        expect_bad(&rs, 6, "not a string", what);
        expect_bad(&rs, 7, "expected", what);
        expect_bad(&rs, 8, "no 'url'", what);
        expect_row(&rs, 9, "http://h/9.jpg", NULL, what);
        if (rs.n == 10)
            CHECK_EQ_INT(rs.rows[9].line_no, 11);
    });
    BOTH("empty.json", " [ ] ", NULL, {
        CHECK_EQ_INT(rs.n, 0);
        CHECK_EQ_INT(rs.end, 0);
    });
    /* a truncated array: rows before the cut, then a fatal error */
    BOTH("cut.json", "[{\"url\":\"http://h/a\"},{\"url\":\"http://h/b\"},{\"url\":\"http", NULL, {
        CHECK_EQ_INT(rs.n, 3);
        expect_row(&rs, 0, "http://h/a", NULL, what);
        expect_row(&rs, 1, "http://h/b", NULL, what);
        expect_bad(&rs, 2, "", what);
        CHECK_EQ_INT(rs.end, -1);
        CHECK(strstr(rs.errmsg, "cut.json") && strstr(rs.errmsg, "]"), "truncation message: %s", rs.errmsg);
    });
    BOTH("obj.json", "{\"url\": \"http://h/a\"}", NULL, {
        CHECK_EQ_INT(rs.n, 0);
        CHECK_EQ_INT(rs.end, -1);
        CHECK(strstr(rs.errmsg, "obj.json") && strstr(rs.errmsg, "array"), "not an array: %s", rs.errmsg);
    });
    pairs_options o = {.url_col = "URL", .caption_col = "TEXT"};
    BOTH("laion.json", "[{\"TEXT\":\"a\",\"URL\":\"http://h/a\",\"url\":\"ignored\"}]", &o, {
        CHECK_EQ_INT(rs.n, 1);
        expect_row(&rs, 0, "http://h/a", "a", what);
    });
}

static void test_jsonl(void)
{
    const char *text = "{\"url\": \"http://h/0.jpg\", \"caption\": \"zero\"}\n"
                       "\n"
                       "{\"url\": \"http://h/1.jpg\", \"caption\": \"one\"} trailing\n"
                       "{\"url\": \"http://h/2.jpg\", \"caption\": \"bro\n"
                       "{\"url\": \"http://h/3.jpg\"}\r\n"
                       "[1,2]\n"
                       "{\"url\": \"http://h/5.jpg\", \"caption\": \"five\"}";
    BOTH("list.jsonl", text, NULL, {
        CHECK_EQ_INT(rs.n, 6);
        CHECK_EQ_INT(rs.end, 0);
        expect_row(&rs, 0, "http://h/0.jpg", "zero", what);
        expect_bad(&rs, 1, "after the object", what);
        expect_bad(&rs, 2, "string", what);
        expect_row(&rs, 3, "http://h/3.jpg", NULL, what);
        expect_bad(&rs, 4, "not a JSON object", what);
        expect_row(&rs, 5, "http://h/5.jpg", "five", what);
        if (rs.n == 6)
            CHECK_EQ_INT(rs.rows[5].line_no, 7);
    });
    pairs_options o = {.format = PAIRS_JSONL};
    BOTH("list.data", "{\"url\":\"http://h/x\"}\n", &o, {
        CHECK_EQ_INT(rs.n, 1);
        expect_row(&rs, 0, "http://h/x", NULL, what);
    });
}

/* Corrupt gzip: an I/O-level fatal error, not rows of garbage. */
static void test_bad_gzip(void)
{
    char *path = write_list("big.txt", "", 1);
    /* a valid gzip stream of many lines, then cut in half */
    gzFile g = gzopen(path, "wb");
    for (int i = 0; i < 20000; i++)
        gzprintf(g, "http://h/%d.jpg\n", i);
    gzclose(g);
    size_t len;
    char *data = tu_read_file(path, &len);
    tu_write_file(path, data, len / 2);
    free(data);
    rows_t rs;
    CHECK(read_all(path, NULL, &rs) == 0, "open truncated gz");
    CHECK_EQ_INT(rs.end, -1);
    CHECK(strstr(rs.errmsg, "big.txt.gz"), "gzip error names the file: %s", rs.errmsg);
    CHECK(rs.n > 100 && rs.n < 20000, "rows before the cut: %zu", rs.n);
    rows_free(&rs);
    free(path);
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* 1M rows of csv.gz and 300k elements of a .json array, streamed: the peak
 * RSS must not grow with the list. */
static void test_large(void)
{
    const int N = 1000000;
    char *path = xasprintf("%s/large.csv.gz", dir);
    gzFile g = gzopen(path, "wb1");
    gzputs(g, "url,caption\n");
    for (int i = 0; i < N; i++)
        gzprintf(g, "http://img%d.example/p/%d.jpg,\"caption number %d, with a comma\"\n", i % 997, i, i);
    gzclose(g);

    long before = maxrss_kb();
    pairs_reader *r = pairs_open(path, NULL, NULL, 0);
    CHECK(r != NULL, "open large list");
    pairs_row row;
    int n = 0, ok = 1;
    while (r && pairs_next(r, &row) == 1) {
        if (row.error || row.row_no != (uint64_t)n)
            ok = 0;
        if (n == N - 1) {
            char want[128];
            snprintf(want, sizeof want, "http://img%d.example/p/%d.jpg", (N - 1) % 997, N - 1);
            CHECK_EQ_STR(row.url, want);
            CHECK(row.caption && strstr(row.caption, "with a comma"), "last caption");
        }
        n++;
    }
    pairs_close(r);
    long grew = maxrss_kb() - before;
    CHECK_EQ_INT(n, N);
    CHECK(ok, "every large row clean and numbered in order");
    CHECK(grew < 8 * 1024, "reading 1M csv.gz rows grew peak RSS by %ld KiB", grew);
    free(path);

    const int M = 300000;
    path = xasprintf("%s/large.json", dir);
    FILE *f = fopen(path, "w");
    fputs("[", f);
    for (int i = 0; i < M; i++)
        fprintf(f, "%s{\"url\":\"http://h/%d\",\"caption\":\"c %d\",\"w\":[%d,{\"k\":1}]}", i ? ",\n" : "\n", i, i,
                i);
    fputs("\n]\n", f);
    fclose(f);
    before = maxrss_kb();
    r = pairs_open(path, NULL, NULL, 0);
    n = 0;
    ok = 1;
    while (r && pairs_next(r, &row) == 1) {
        char want[64];
        snprintf(want, sizeof want, "http://h/%d", n);
        if (row.error || !row.url || strcmp(row.url, want) != 0)
            ok = 0;
        n++;
    }
    pairs_close(r);
    grew = maxrss_kb() - before;
    CHECK_EQ_INT(n, M);
    CHECK(ok, "every json element read in order");
    CHECK(grew < 8 * 1024, "streaming a %d-element json array grew peak RSS by %ld KiB", M, grew);
    free(path);
}

/* An over-long record is a bad row, not unbounded memory. */
static void test_long_record(void)
{
    size_t big = PAIRS_MAX_RECORD + 1000;
    char *text = xmalloc(big + 200);
    strcpy(text, "url,caption\nhttp://h/a,");
    size_t off = strlen(text);
    memset(text + off, 'c', big);
    strcpy(text + off + big, "\nhttp://h/b,short\n");
    BOTH("long.csv", text, NULL, {
        CHECK_EQ_INT(rs.n, 2);
        expect_bad(&rs, 0, "longer", what);
        expect_row(&rs, 1, "http://h/b", "short", what);
    });
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fuzz target over its corpus (tests/data/pairs) and over a few thousand
 * seeded random mutations of it; the target aborts on any broken promise. */
static void test_fuzz(void)
{
    char *corpus = tu_tests_path("data/pairs");
    long n = fuzz_run_path(corpus, LLVMFuzzerTestOneInput);
    CHECK(n >= 5, "fuzz corpus %s: %ld inputs", corpus, n);
    static const char *const names[] = {"quoted.csv", "mixed.json", "mixed.jsonl", "short.tsv", "bom.txt"};
    char *seed[5];
    size_t seedlen[5];
    for (int i = 0; i < 5; i++) {
        char *p = xasprintf("%s/%s", corpus, names[i]);
        seed[i] = tu_read_file(p, &seedlen[i]);
        CHECK(seed[i] != NULL, "read %s", p);
        free(p);
        if (!seed[i])
            return;
    }
    static const char special[] = "\"{}[],:\\\n\r\t u0\xef\xbb\xbf";
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
#define RND() (rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17, rng)
    unsigned char buf[1024];
    int runs = 0;
    for (int it = 0; it < 1500; it++) {
        int s = (int)(RND() % 5);
        size_t len = seedlen[s] < sizeof buf ? seedlen[s] : sizeof buf;
        memcpy(buf, seed[s], len);
        int muts = 1 + (int)(RND() % 4);
        for (int m = 0; m < muts && len; m++) {
            size_t at = RND() % len;
            switch (RND() % 4) {
            case 0: buf[at] = (unsigned char)special[RND() % (sizeof special - 1)]; break;
            case 1: buf[at] = (unsigned char)RND(); break;
            case 2: len = at; break; /* truncate */
            default: {                /* duplicate a slice */
                size_t k = 1 + RND() % 16;
                if (at + k <= len && len + k <= sizeof buf) {
                    memmove(buf + at + k, buf + at, len - at);
                    len += k;
                }
            }
            }
        }
        LLVMFuzzerTestOneInput(buf, len);
        runs++;
    }
#undef RND
    CHECK_EQ_INT(runs, 1500);
    for (int i = 0; i < 5; i++)
        free(seed[i]);
    free(corpus);
}

int main(void)
{
    dir = tu_mkdtemp("pairs");
    test_names();
    test_txt();
    test_csv();
    test_tsv();
    test_json();
    test_jsonl();
    test_bad_gzip();
    test_long_record();
    test_fuzz();
    test_large();
    tu_rm_rf(dir);
    free(dir);
    return check_summary();
}
