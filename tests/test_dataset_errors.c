/* test_dataset_errors.c — a failed SQLite step is an error with a message,
 * never a zero or "not found".
 *
 * A dataset with 300 samples (with perceptual-hash bands) is written, then its
 * index is damaged: the root pages of items, phash_bands and their indexes
 * are overwritten, so the index still opens and statements still prepare
 * (the schema is intact), but reading those tables fails with SQLITE_CORRUPT
 * at the first step. Then:
 *   - dataset_get_stats returns CC_ERR_DB with a message naming the index;
 *   - the dedup look-ups (URL, URL and caption, pHash band) return -1 with a
 *     message, not 0 ("no duplicate");
 *   - `clipcrawl stats DIR` exits 1 with one line, and prints no figures.
 * Before the damage the same calls answer normally (so the test can tell).
 *
 * Environment: CLIPCRAWL_BIN (set by meson).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "common.h"
#include "dataset.h"
#include "testutil.h"

#define N 300

static int never(const char *key, uint64_t phash, void *ctx)
{
    (void)key, (void)phash;
    (*(int *)ctx)++;
    return 0;
}

static void write_dataset(const char *dir)
{
    char err[512];
    dataset *ds = dataset_open(dir, NULL, err, sizeof err);
    CHECK(ds != NULL, "open %s: %s", dir, err);
    if (!ds)
        exit(1);
    int64_t in = dataset_input(ds, "list.txt", "txt");
    char img[512], url[128], cap[128], key[10];
    memset(img, 'x', sizeof img);
    for (int i = 0; i < N; i++) {
        snprintf(url, sizeof url, "http://example.com/%d.jpg", i);
        snprintf(cap, sizeof cap, "caption number %d of a long enough list", i);
        img[0] = (char)i, img[1] = (char)(i >> 8); /* distinct bytes */
        dataset_sample s = {.input_id = in, .row_no = i, .url = url, .caption = cap, .image = img,
                            .image_len = sizeof img, .ext = "jpg", .width = 8, .height = 8,
                            .has_phash = 1, .phash = (uint64_t)i * 0x9E3779B97F4A7C15ull};
        CHECK_EQ_INT(dataset_add_accepted(ds, &s, key), CC_OK);
        int64_t bands[2] = {i & 0xFFFF, 7};
        CHECK_EQ_INT(dataset_add_phash_bands(ds, key, 2, bands), CC_OK);
    }
    CHECK_EQ_INT(dataset_close(ds, 1, err, sizeof err), CC_OK);
}

/* The root pages of items, phash_bands and their indexes overwritten: the
 * schema is intact, the tables cannot be read. */
static void damage_index(const char *dir)
{
    char *p = xasprintf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    int roots[64], n = 0, page_size = 4096;
    if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_schema WHERE tbl_name IN ('items', 'phash_bands') "
                                   "AND rootpage > 1", -1, &st, NULL) == SQLITE_OK) {
            while (n < 64 && sqlite3_step(st) == SQLITE_ROW)
                roots[n++] = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
        }
        if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                page_size = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    CHECK(n >= 3, "root pages of items, phash_bands and indexes: %d", n);
    int fd = open(p, O_WRONLY);
    char *junk = xmalloc((size_t)page_size);
    memset(junk, 0x5A, (size_t)page_size);
    for (int i = 0; i < n; i++)
        if (pwrite(fd, junk, (size_t)page_size, (off_t)(roots[i] - 1) * page_size) != (ssize_t)page_size)
            CHECK(0, "cannot damage %s", p);
    close(fd);
    free(junk);
    free(p);
}

int main(void)
{
    char *work = tu_mkdtemp("dserr");
    char *dir = xasprintf("%s/ds", work);
    write_dataset(dir);
    char err[512], key[10];
    int calls = 0;

    /* Sound index: normal answers. */
    dataset *ds = dataset_open_readonly(dir, err, sizeof err);
    CHECK(ds != NULL, "open read-only: %s", err);
    dataset_stats st;
    CHECK_EQ_INT(dataset_get_stats(ds, &st), CC_OK);
    CHECK_EQ_INT(st.samples, N);
    dataset_stats_free(&st);
    CHECK_EQ_INT(dataset_find_url(ds, "http://example.com/5.jpg", 0, NULL, key), 1);
    CHECK_EQ_INT(dataset_find_url(ds, "http://example.com/none.jpg", 0, NULL, key), 0);
    CHECK_EQ_INT(dataset_phash_band_each(ds, 2, 1, 7, never, &calls), 0);
    CHECK_EQ_INT(calls, N);
    dataset_close(ds, 0, NULL, 0);

    damage_index(dir);
    ds = dataset_open_readonly(dir, err, sizeof err);
    CHECK(ds != NULL, "the damaged index still opens (page 1 is intact): %s", err);
    if (ds) {
        CHECK_EQ_INT(dataset_get_stats(ds, &st), CC_ERR_DB);
        CHECK(strstr(dataset_errmsg(ds), "index.sqlite") != NULL, "stats error names the index: '%s'",
              dataset_errmsg(ds));
        printf("# stats on a damaged index: %s\n", dataset_errmsg(ds));
        CHECK_EQ_INT(dataset_find_url(ds, "http://example.com/none.jpg", 0, NULL, key), -1);
        CHECK(strstr(dataset_errmsg(ds), "URL look-up") != NULL, "URL look-up error: '%s'", dataset_errmsg(ds));
        CHECK_EQ_INT(dataset_find_url(ds, "http://example.com/none.jpg", 1, "c", key), -1);
        calls = 0;
        CHECK_EQ_INT(dataset_phash_band_each(ds, 2, 1, 7, never, &calls), -1);
        CHECK(strstr(dataset_errmsg(ds), "perceptual-hash") != NULL, "pHash look-up error: '%s'", dataset_errmsg(ds));
        dataset_close(ds, 0, NULL, 0);
    }

    /* The command: exit 1, one line naming the index, no figures on stdout. */
    tu_output o;
    tu_run_clipcrawl(&o, "stats", dir, NULL);
    CHECK_EQ_INT(o.status, 1);
    CHECK(strstr(tu_str(&o.err), "index.sqlite") != NULL, "stats stderr: %s", tu_str(&o.err));
    CHECK(o.out.len == 0, "stats printed figures from a damaged index: %s", tu_str(&o.out));
    tu_output_free(&o);

    tu_rm_rf(work);
    free(dir);
    free(work);
    return check_summary();
}
