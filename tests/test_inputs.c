/* test_inputs.c — wrong input fails loudly: each case runs the built
 * clipcrawl and checks the exit status, that stderr is one line naming the
 * input and the problem, and that nothing was written (no output directory).
 * Also: `fetch -` sniffs the format of standard input. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "common.h"
#include "testutil.h"

static char *tmp;

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        if (*s == '\n')
            n++;
    return n;
}

/* Runs clipcrawl with argv (NULL-terminated, without the binary) and stdin;
 * checks exit status want, one stderr line containing each of the NULL-
 * terminated needles, and that out_dir (if not NULL) was not created. */
static void expect_fail(const char *what, const char *const *args, const char *stdin_data, int want,
                        const char *out_dir, const char *needle1, const char *needle2)
{
    const char *argv[32];
    int k = 0;
    argv[k++] = getenv("CLIPCRAWL_BIN");
    for (int i = 0; args[i] && k < 31; i++)
        argv[k++] = args[i];
    argv[k] = NULL;
    tu_output o;
    tu_run(argv, stdin_data, 60, &o);
    const char *err = tu_str(&o.err);
    CHECK(o.status == want, "%s: exit %d, want %d (stderr: %s)", what, o.status, want, err);
    /* a usage error (2) adds the "see clipcrawl help CMD" line */
    int want_lines = want == 2 ? 2 : 1;
    CHECK(count_lines(err) == want_lines, "%s: stderr has %d lines, want %d: %s", what, count_lines(err), want_lines,
          err);
    CHECK(!needle1 || strstr(err, needle1), "%s: stderr lacks '%s': %s", what, needle1, err);
    CHECK(!needle2 || strstr(err, needle2), "%s: stderr lacks '%s': %s", what, needle2, err);
    CHECK(!out_dir || !exists(out_dir), "%s: %s was written", what, out_dir);
    tu_output_free(&o);
}

static char *path_in(const char *name) { return xasprintf("%s/%s", tmp, name); }

static void test_fetch_lists(void)
{
    char *out = path_in("ds");
    /* JSONL whose first object has no url member */
    char *jl = path_in("nourl.jsonl");
    const char *jsonl = "{\"link\":\"http://127.0.0.1:1/a.jpg\",\"caption\":\"a cat\"}\n"
                        "{\"url\":\"http://127.0.0.1:1/b.jpg\"}\n";
    tu_write_file(jl, jsonl, strlen(jsonl));
    {
        const char *a[] = {"fetch", jl, "-o", out, NULL};
        expect_fail("jsonl without url", a, NULL, 1, out, "nourl.jsonl", "no 'url' member");
    }
    /* ... the same with --url-col naming the right member is accepted (the row fails on port 1) */
    {
        const char *a[] = {"fetch", jl, "--url-col", "link", "--allow-private", "-o", out, NULL};
        tu_output o;
        const char *argv[10] = {getenv("CLIPCRAWL_BIN")};
        for (int i = 0; a[i]; i++)
            argv[i + 1] = a[i];
        tu_run(argv, NULL, 60, &o);
        CHECK(exists(out), "jsonl --url-col link: dataset written (exit %d: %s)", o.status, tu_str(&o.err));
        tu_output_free(&o);
        tu_rm_rf(out);
    }
    /* a binary file given as a list: the byte offset, never the bytes */
    char *bin = path_in("photo.txt");
    unsigned char junk[600];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i < 37 ? 'h' : (i * 7 + 1) & 0xff);
    junk[37] = 0;
    tu_write_file(bin, junk, sizeof junk);
    {
        const char *a[] = {"fetch", bin, "-o", out, NULL};
        expect_fail("binary list", a, NULL, 1, out, "photo.txt: binary data at byte 37", NULL);
    }
    /* UTF-16 */
    char *u16 = path_in("list16.txt");
    tu_write_file(u16, "\xff\xfeh\0t\0t\0p\0", 10);
    {
        const char *a[] = {"fetch", u16, "-o", out, NULL};
        expect_fail("utf-16 list", a, NULL, 1, out, "list16.txt", "UTF-16");
    }
    /* stdin that is no list format we can tell */
    {
        const char *a[] = {"fetch", "-", "-o", out, NULL};
        expect_fail("stdin prose", a, "hello world\nsecond line\n", 1, out, "-:", "--input-format");
    }
    /* stdin JSONL without url */
    {
        const char *a[] = {"fetch", "-", "-o", out, NULL};
        expect_fail("stdin jsonl without url", a, "{\"src\":\"http://x/a.jpg\"}\n", 1, out, "-: line 1",
                    "no 'url' member");
    }
    free(jl);
    free(bin);
    free(u16);
    free(out);
}

static void check_kind(const char *what, const char *stdin_data, const char *want_kind)
{
    char *out = path_in("sniff");
    const char *argv[] = {getenv("CLIPCRAWL_BIN"), "fetch", "-", "--allow-private", "--retries", "0",
                          "-o", out, NULL};
    tu_output o;
    tu_run(argv, stdin_data, 60, &o);
    char *db_path = xasprintf("%s/index.sqlite", out);
    sqlite3 *db = NULL;
    char kind[16] = "";
    long long items = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT kind, (SELECT count(*) FROM items) FROM inputs WHERE name='-'", -1, &st,
                               NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
            snprintf(kind, sizeof kind, "%s", (const char *)sqlite3_column_text(st, 0));
            items = sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    CHECK(strcmp(kind, want_kind) == 0 && items == 2, "%s: stdin read as '%s' with %lld items, want %s and 2 (%s)",
          what, kind, items, want_kind, tu_str(&o.err));
    tu_output_free(&o);
    free(db_path);
    tu_rm_rf(out);
    free(out);
}

static void test_stdin_sniff(void)
{
    check_kind("csv", "url,caption\nhttp://127.0.0.1:1/a.jpg,A cat\nhttp://127.0.0.1:1/b.jpg,\"A dog, brown\"\n", "csv");
    check_kind("tsv", "url\tcaption\nhttp://127.0.0.1:1/a.jpg\tA cat\nhttp://127.0.0.1:1/b.jpg\tA dog\n", "tsv");
    check_kind("jsonl", "{\"url\":\"http://127.0.0.1:1/a.jpg\"}\n{\"url\":\"http://127.0.0.1:1/b.jpg\"}\n", "jsonl");
    check_kind("json", "[{\"url\":\"http://127.0.0.1:1/a.jpg\"},{\"url\":\"http://127.0.0.1:1/b.jpg\"}]", "json");
    check_kind("txt", "http://127.0.0.1:1/a.jpg?x=1,2\nhttp://127.0.0.1:1/b.jpg\n", "txt");
}

/* flags that would do nothing together are refused (usage: exit 2) */
static void test_flag_conflicts(void)
{
    char *out = path_in("ds-flags");
    char *list = path_in("one.txt");
    tu_write_file(list, "http://127.0.0.1:1/a.jpg\n", 25);
    {
        const char *a[] = {"fetch", list, "-o", out, "--keep-original", "--image-size", "128", NULL};
        expect_fail("keep-original + image-size", a, NULL, 2, out, "--keep-original", "would do nothing");
    }
    {
        const char *a[] = {"crawl", "http://127.0.0.1:1/", "-o", out, "--keep-original", "--encode-format", "png",
                           NULL};
        expect_fail("crawl keep-original + encode-format", a, NULL, 2, out, "--keep-original", NULL);
    }
    {
        const char *a[] = {"fetch", list, "-o", out, "--min-clip-score", "0.3", NULL};
        expect_fail("min-clip-score without model", a, NULL, 2, out, "--min-clip-score", "--model");
    }
    {
        const char *a[] = {"crawl", "http://127.0.0.1:1/", "-o", out, "--min-clip-score", "0.3", NULL};
        expect_fail("crawl min-clip-score without model", a, NULL, 2, out, "--min-clip-score", "--model");
    }
    {
        /* one spelling per flag */
        const char *a[] = {"fetch", list, "-o", out, "--clip-min-score", "0.3", NULL};
        expect_fail("old spelling", a, NULL, 2, out, "--clip-min-score", NULL);
    }
    free(list);
    free(out);
}

/* fetch: a re-run with other image settings says so on stderr; they are
 * recorded per run */
static void test_fetch_settings(void)
{
    char *out = path_in("ds-settings");
    char *list = path_in("settings.txt");
    tu_write_file(list, "http://127.0.0.1:1/a.jpg\n", 25);
    const char *argv1[] = {getenv("CLIPCRAWL_BIN"), "fetch", list, "-o", out, "--allow-private", "--retries", "0",
                           "-q", NULL};
    tu_output o;
    tu_run(argv1, NULL, 60, &o);
    CHECK(strstr(tu_str(&o.err), "settings changed") == NULL, "first run: %s", tu_str(&o.err));
    tu_output_free(&o);
    const char *argv2[] = {getenv("CLIPCRAWL_BIN"), "fetch", list, "-o", out, "--allow-private", "--retries", "0",
                           "-q", "--image-size", "512", "--encode-format", "png", NULL};
    tu_run(argv2, NULL, 60, &o);
    CHECK(strstr(tu_str(&o.err), "settings changed since the last run (image_size 256 -> 512, encode_format jpg -> png"),
          "second run: %s", tu_str(&o.err));
    tu_output_free(&o);
    free(list);
    free(out);
}

int main(void)
{
    tmp = tu_mkdtemp("inputs");
    test_fetch_lists();
    test_stdin_sniff();
    test_flag_conflicts();
    test_fetch_settings();
    tu_rm_rf(tmp);
    free(tmp);
    return check_summary();
}
