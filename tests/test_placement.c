/* test_placement.c — an image's placement on its page (common/placement.h)
 * kept in the index and used again on every re-judging, through the built
 * binary, on a small site served by nginx on 127.0.0.1:
 *
 *   - migration 008 adds the columns to an index written before it;
 *   - crawl stores the placement facts (placement, declared size, alt
 *     repeats) in crawl_images and carries them to each image's item,
 *     whatever its outcome; a caption the crawl rejected keeps its text;
 *   - refilter with the crawl's own settings judges every crawled caption
 *     with its placement (captions_judged.with_page_placement) and changes
 *     no verdict;
 *     with a row's placement taken away it judges that row on its text alone
 *     (so it reads the stored columns, not something else);
 *   - export carries the facts into the copy;
 *   - a crawl re-run with looser caption settings downloads an image an
 *     earlier run turned away (after refilter cleared its row);
 *   - fetch stores 'list' (a list row's caption), and 008 sets it on list
 *     rows written before it;
 *   - warc stores them for images of WARC responses (the page is read),
 *     none for WAT records (only links);
 *   - check-caption --placement/--size/--repeats, and its bad values.
 *
 * Environment: CLIPCRAWL_BIN (set by meson); TU_KEEP=1 keeps the work directory. */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "common.h"
#include "image.h"
#include "placement.h"
#include "testutil.h"

static char *work, *site;
static const char *base;

static void put_jpeg(const char *rel, unsigned seed)
{
    img_image im = {0};
    im.width = 160, im.height = 120, im.mode = IMG_MODE_RGB, im.channels = 3;
    im.pixels = xmalloc(160 * 120 * 3);
    tu_block_picture(im.pixels, 160, 120, seed);
    ccbuf out = {0};
    char err[128];
    if (img_encode(&im, ENC_JPG, 90, &out, err, sizeof err) != CC_OK) {
        fprintf(stderr, "encode: %s\n", err);
        abort();
    }
    tu_write_under(site, rel, out.data, out.len);
    ccbuf_free(&out);
    free(im.pixels);
}

static long long q_int(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long long q_int(const char *dir, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    long long v = tu_index_int(dir, "%s", sql);
    sqlite3_free(sql);
    return v;
}

/* The first value as text ("<NULL>" for NULL or no row; malloc'ed). */
static char *q_text(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *q_text(const char *dir, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    char *v = tu_index_text(dir, "%s", sql);
    sqlite3_free(sql);
    return v ? v : xstrdup("<NULL>");
}

static void q_exec(const char *dir, const char *sql)
{
    char *p = xasprintf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    char *e = NULL;
    if (sqlite3_open(p, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK) {
        fprintf(stderr, "SQL error: %s: %s\n", sql, e ? e : sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_close(db);
    free(p);
}

/* The integer member name of a one-line JSON summary, -1 when absent. */
static long long json_count(const char *out, const char *name)
{
    char *pat = xasprintf("\"%s\":", name);
    const char *p = strstr(out, pat);
    long long v = p ? strtoll(p + strlen(pat), NULL, 10) : -1;
    free(pat);
    return v;
}

/* Everything refilter may change, as one string. */
static char *snapshot(const char *dir)
{
    return q_text(dir, "SELECT group_concat(x, '|') FROM (SELECT id || ':' || status || ':' || coalesce(reason, '') "
                       "|| ':' || coalesce(caption_detail, '') AS x FROM items ORDER BY id)");
}

#define PAGE_HEAD "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Garden club</title></head><body>"

static void make_site(void)
{
    put_jpeg("img/home.jpg", 1);
    put_jpeg("img/fox.jpg", 2);
    put_jpeg("img/file.jpg", 3);
    put_jpeg("img/list.jpg", 4);
    put_jpeg("img/warc.jpg", 5);
    put_jpeg("img/wat.jpg", 6);
    put_jpeg("img/short.jpg", 7);
    put_jpeg("img/logo-list.jpg", 8);
    tu_printf_under(site, "short.html", PAGE_HEAD "<main><img src=\"/img/short.jpg\" alt=\"Fox\"></main></body></html>\n");
    tu_printf_under(site, "page.html",
                    PAGE_HEAD "<nav><a href=\"/\"><img src=\"/img/home.jpg\" alt=\"Home page of the garden club\" "
                              "width=\"48\" height=\"40\"></a></nav>\n"
                              "<main><figure><img src=\"/img/fox.jpg\" width=\"320\" height=\"240\" "
                              "alt=\"A red fox standing in fresh snow at the forest edge\"></figure>\n"
                              "<p><img src=\"/img/file.jpg\" alt=\"IMG_1234.JPG\"></p></main></body></html>\n");
}

/* crawl: the facts in crawl_images and on every item; refilter reads them. */
static void test_crawl_refilter(void)
{
    char *ds = xasprintf("%s/crawl", work), *seed = xasprintf("%s/page.html", base);
    tu_output o;
    tu_run_clipcrawl(&o, "crawl", seed, "-o", ds, "--allow-private", "--depth", "0", "--host-delay", "0", "-q", NULL);
    CHECK(o.status == 0, "crawl exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);

    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM crawl_images"), 3);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM crawl_images WHERE placement IS NULL"), 0);
    /* every image became an item carrying its crawl_images facts */
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items i JOIN inputs n ON n.id = i.input_id AND n.name = 'crawl' "
                           "JOIN crawl_images c ON c.id = i.row_no WHERE i.placement IS c.placement "
                           "AND i.place_width IS c.place_width AND i.place_height IS c.place_height "
                           "AND i.alt_repeats IS c.alt_repeats"),
                 3);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE url LIKE '%%/fox.jpg' AND status = 'accepted' "
                           "AND place_width = 320 AND place_height = 240"),
                 1);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE url LIKE '%%/home.jpg' AND place_width = 48 "
                           "AND place_height = 40"),
                 1);
    /* what extract.h found on the page, as the crawl's judge saw it */
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE url LIKE '%%/home.jpg' AND placement = 'nav,icon,linked' "
                           "AND alt_repeats = 1"),
                 1);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE url LIKE '%%/fox.jpg' AND placement = 'content,figure'"), 1);
    /* the stored form parses back (every name known) */
    for (int k = 0; k < 3; k++) {
        static const char *const which[] = {"home", "fox", "file"};
        char *pl = q_text(ds, "SELECT placement FROM items WHERE url LIKE '%%/%s.jpg'", which[k]);
        unsigned bits = 0;
        CHECK(strcmp(pl, "<NULL>") != 0 && cc_place_parse(pl, &bits) == 0 && (bits & CC_PLACE_PAGE),
              "%s.jpg: stored placement '%s' parses", which[k], pl);
        free(pl);
    }
    /* the accepted sample's KEY.json in its shard says where it sat */
    char *fox = q_text(ds, "SELECT key FROM items WHERE url LIKE '%%/fox.jpg'");
    tu_run_clipcrawl(&o, "cat", ds, fox, "--member", "json", "--raw", NULL);
    CHECK(o.status == 0 && strstr(tu_str(&o.out), "\"placement\":\"content,figure\""),
          "crawl KEY.json has the placement: %s", tu_str(&o.out));
    tu_output_free(&o);
    free(fox);
    /* the rejected caption keeps its text, so it can be judged again */
    char *r = q_text(ds, "SELECT status || ':' || reason || ':' || caption FROM items WHERE url LIKE '%%/file.jpg'");
    CHECK_EQ_STR(r, "rejected:filename:IMG_1234.JPG");
    free(r);

    /* refilter with the crawl's settings: every crawled caption judged with
     * its placement, no verdict changed */
    char *before = snapshot(ds);
    tu_run_clipcrawl(&o, "refilter", ds, NULL);
    CHECK(o.status == 0, "refilter exit %d: %s", o.status, tu_str(&o.err));
    const char *js = tu_str(&o.out);
    CHECK_EQ_INT(json_count(js, "examined"), 3);
    CHECK_EQ_INT(json_count(js, "with_page_placement"), 3);
    CHECK_EQ_INT(json_count(js, "as_list_rows"), 0);
    CHECK_EQ_INT(json_count(js, "text_alone"), 0);
    CHECK_EQ_INT(json_count(js, "accepted_to_rejected_total"), 0);
    CHECK_EQ_INT(json_count(js, "rejected_reason_changed"), 0);
    CHECK_EQ_INT(json_count(js, "unfetched_now_passing"), 0);
    tu_output_free(&o);
    char *after = snapshot(ds);
    CHECK(strcmp(before, after) == 0, "refilter changed verdicts:\n  %s\n  %s", before, after);
    free(before);
    free(after);

    /* without the stored placement a row is judged on its text alone */
    q_exec(ds, "UPDATE items SET placement = NULL WHERE url LIKE '%/fox.jpg'");
    tu_run_clipcrawl(&o, "refilter", ds, "--dry-run", NULL);
    CHECK(o.status == 0, "refilter --dry-run exit %d: %s", o.status, tu_str(&o.err));
    CHECK_EQ_INT(json_count(tu_str(&o.out), "with_page_placement"), 2);
    CHECK_EQ_INT(json_count(tu_str(&o.out), "text_alone"), 1);
    tu_output_free(&o);
    q_exec(ds, "UPDATE items SET placement = (SELECT c.placement FROM crawl_images c WHERE c.id = items.row_no) "
               "WHERE url LIKE '%/fox.jpg'");

    /* a caption verdict stored without its caption (crawls before 008) is
     * left as it is, not judged as an empty caption */
    q_exec(ds, "UPDATE items SET caption = NULL, caption_raw = NULL WHERE url LIKE '%/file.jpg'");
    tu_run_clipcrawl(&o, "refilter", ds, NULL);
    CHECK(o.status == 0, "refilter exit %d: %s", o.status, tu_str(&o.err));
    CHECK_EQ_INT(json_count(tu_str(&o.out), "examined"), 2);
    CHECK_EQ_INT(json_count(tu_str(&o.out), "rejected_reason_changed"), 0);
    tu_output_free(&o);
    r = q_text(ds, "SELECT status || ':' || reason FROM items WHERE url LIKE '%%/file.jpg'");
    CHECK_EQ_STR(r, "rejected:filename");
    free(r);

    /* export: the copy keeps the facts */
    char *copy = xasprintf("%s/copy", work);
    tu_run_clipcrawl(&o, "export", ds, "-o", copy, "-q", NULL);
    CHECK(o.status == 0, "export exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    char *a = q_text(ds, "SELECT placement || ':' || place_width || 'x' || place_height FROM items "
                         "WHERE status = 'accepted' AND url LIKE '%%/fox.jpg'");
    char *b = q_text(copy, "SELECT placement || ':' || place_width || 'x' || place_height FROM items "
                           "WHERE url LIKE '%%/fox.jpg'");
    CHECK_EQ_STR(b, a);
    free(a);
    free(b);
    tu_run_clipcrawl(&o, "refilter", copy, "--dry-run", NULL);
    CHECK_EQ_INT(json_count(tu_str(&o.out), "with_page_placement"),
                 q_int(copy, "SELECT count(*) FROM items WHERE placement IS NOT NULL"));
    tu_output_free(&o);
    free(copy);
    free(ds);
    free(seed);
}

/* A re-run honours its caption settings: an image turned away for its
 * caption, cleared by a looser refilter, is downloaded by the next crawl
 * with those settings; judged again with its stored placement. */
static void test_rerun(void)
{
    char *ds = xasprintf("%s/rerun", work), *seed = xasprintf("%s/short.html", base);
    tu_output o;
    tu_run_clipcrawl(&o, "crawl", seed, "-o", ds, "--allow-private", "--depth", "0", "--host-delay", "0", "-q", NULL);
    CHECK(o.status == 0, "crawl exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    char *r = q_text(ds, "SELECT status || ':' || reason || ':' || caption FROM items WHERE url LIKE '%%/short.jpg'");
    CHECK_EQ_STR(r, "rejected:too_short:Fox");
    free(r);
    /* the same settings again: nothing to do, nothing changes */
    char *before = snapshot(ds);
    tu_run_clipcrawl(&o, "crawl", seed, "-o", ds, "--allow-private", "--depth", "0", "--host-delay", "0", "-q", NULL);
    CHECK(o.status == 0, "crawl again exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    char *after = snapshot(ds);
    CHECK_EQ_STR(after, before);
    free(before);
    free(after);
    /* looser: refilter clears the row, the next crawl with those settings downloads it */
    tu_run_clipcrawl(&o, "refilter", ds, "--min-words", "1", "--min-chars", "1", NULL);
    CHECK(o.status == 0, "refilter exit %d: %s", o.status, tu_str(&o.err));
    CHECK_EQ_INT(json_count(tu_str(&o.out), "unfetched_now_passing"), 1);
    tu_output_free(&o);
    tu_run_clipcrawl(&o, "crawl", seed, "-o", ds, "--allow-private", "--depth", "0", "--host-delay", "0",
                     "--min-words", "1", "--min-chars", "1", "-q", NULL);
    CHECK(o.status == 0, "crawl with looser settings exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    r = q_text(ds, "SELECT status || ':' || caption || ':' || (placement IS NOT NULL) FROM items "
                   "WHERE url LIKE '%%/short.jpg'");
    CHECK_EQ_STR(r, "accepted:Fox:1");
    free(r);
    free(ds);
    free(seed);
}

/* fetch: a URL list row's caption is stored (and judged again) as one. */
static void test_fetch(void)
{
    char *ds = xasprintf("%s/fetch", work), *list = xasprintf("%s/list.tsv", work);
    FILE *f = fopen(list, "w");
    /* "Tree City USA Logo" is furniture by its text alone, but a list names
     * its picture: fetch judges it as a list row and keeps it */
    fprintf(f, "url\tcaption\n%s/img/list.jpg\tA tabby cat sleeping on a sunny windowsill\n"
               "%s/img/logo-list.jpg\tTree City USA Logo\n", base, base);
    fclose(f);
    tu_output o;
    tu_run_clipcrawl(&o, "fetch", list, "-o", ds, "--allow-private", "-q", NULL);
    CHECK(o.status == 0, "fetch exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE status = 'accepted' AND placement = 'list' "
                           "AND place_width IS NULL AND alt_repeats IS NULL"),
                 2);
    char *key = q_text(ds, "SELECT key FROM items WHERE url LIKE '%%/list.jpg'");
    tu_run_clipcrawl(&o, "cat", ds, key, "--member", "json", "--raw", NULL);
    CHECK(o.status == 0 && strstr(tu_str(&o.out), "\"placement\":\"list\""), "fetch KEY.json: %s", tu_str(&o.out));
    tu_output_free(&o);
    free(key);
    tu_run_clipcrawl(&o, "check-caption", "Tree City USA Logo", NULL);
    CHECK(strncmp(tu_str(&o.out), "reject:boilerplate\t", 19) == 0, "text alone: %s", tu_str(&o.out));
    tu_output_free(&o);
    tu_run_clipcrawl(&o, "refilter", ds, "--dry-run", NULL);
    CHECK_EQ_INT(json_count(tu_str(&o.out), "as_list_rows"), 2);
    CHECK_EQ_INT(json_count(tu_str(&o.out), "with_page_placement"), 0);
    tu_output_free(&o);
    free(ds);
    free(list);
}

/* warc: a WARC response's images have a placement, a WAT record's do not. */
static void test_warc(void)
{
    char *ds = xasprintf("%s/warc", work), *path = xasprintf("%s/in.warc.gz", work);
    char *page = xasprintf("%s/archived.html", base), *watpage = xasprintf("%s/links.html", base);
    ccbuf w = {0};
    char *http = xasprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" PAGE_HEAD
                           "<aside><img src=\"/img/warc.jpg\" width=\"200\" height=\"150\" "
                           "alt=\"Lighthouse on the cliffs at dusk with a stormy sky\"></aside></body></html>");
    tu_warc_record(&w, "response", page, "application/http; msgtype=response", http, strlen(http));
    char *json = xasprintf("{\"Envelope\":{\"WARC-Header-Metadata\":{\"WARC-Type\":\"response\",\"WARC-Target-URI\":\"%s\"},"
                           "\"Payload-Metadata\":{\"HTTP-Response-Metadata\":{\"Headers\":{\"Content-Type\":\"text/html\"},"
                           "\"HTML-Metadata\":{\"Links\":[{\"path\":\"IMG@/src\",\"url\":\"/img/wat.jpg\","
                           "\"alt\":\"Fishing boat moored at the old pier in the morning\"}]}}}}}",
                           watpage);
    tu_warc_record(&w, "metadata", watpage, "application/json", json, strlen(json));
    tu_write_file(path, w.data, w.len);
    tu_output o;
    tu_run_clipcrawl(&o, "warc", path, "-o", ds, "--allow-private", "--host-delay", "0", "-q", NULL);
    CHECK(o.status == 0, "warc exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM crawl_images c JOIN items i ON i.row_no = c.id "
                           "WHERE c.url LIKE '%%/warc.jpg' AND c.placement = 'aside' AND i.placement IS c.placement "
                           "AND i.place_width = 200 AND i.place_height = 150 AND i.status = 'accepted'"),
                 1);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM crawl_images c JOIN items i ON i.row_no = c.id "
                           "WHERE c.url LIKE '%%/wat.jpg' AND c.placement IS NULL AND i.placement IS NULL "
                           "AND i.status = 'accepted'"),
                 1);
    tu_run_clipcrawl(&o, "refilter", ds, "--dry-run", NULL);
    CHECK_EQ_INT(json_count(tu_str(&o.out), "with_page_placement"), 1);
    CHECK_EQ_INT(json_count(tu_str(&o.out), "text_alone"), 1);
    tu_output_free(&o);
    ccbuf_free(&w);
    free(http);
    free(json);
    free(page);
    free(watpage);
    free(path);
    free(ds);
}

/* An index written before 008 gains the columns when opened for writing. */
static void test_migration(void)
{
    char *ds = xasprintf("%s/fetch", work);
    q_exec(ds, "ALTER TABLE items DROP COLUMN placement; ALTER TABLE items DROP COLUMN place_width;"
               "ALTER TABLE items DROP COLUMN place_height; ALTER TABLE items DROP COLUMN alt_repeats;"
               "ALTER TABLE crawl_images DROP COLUMN placement; ALTER TABLE crawl_images DROP COLUMN place_width;"
               "ALTER TABLE crawl_images DROP COLUMN place_height; ALTER TABLE crawl_images DROP COLUMN alt_repeats;"
               "PRAGMA user_version = 7");
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM pragma_table_info('items') WHERE name = 'placement'"), 0);
    tu_output o;
    tu_run_clipcrawl(&o, "refilter", ds, NULL); /* a writer: migrates */
    CHECK(o.status == 0, "refilter on a version-7 index: exit %d: %s", o.status, tu_str(&o.err));
    /* the list rows are known by their caption_source and judged as such
     * ("Tree City USA Logo" stays accepted) */
    CHECK_EQ_INT(json_count(tu_str(&o.out), "as_list_rows"), 2);
    tu_output_free(&o);
    CHECK(q_int(ds, "PRAGMA user_version") >= 8, "user_version after migrating");
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM pragma_table_info('items') WHERE name IN "
                           "('placement', 'place_width', 'place_height', 'alt_repeats')"),
                 4);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM pragma_table_info('crawl_images') WHERE name IN "
                           "('placement', 'place_width', 'place_height', 'alt_repeats')"),
                 4);
    CHECK_EQ_INT(q_int(ds, "SELECT count(*) FROM items WHERE status = 'accepted' AND placement = 'list'"), 2);
    free(ds);
}

/* check-caption --placement: judged as on a page; bad values fail loudly. */
static void test_check_caption(void)
{
    tu_output o;
    const char *fox = "A red fox standing in fresh snow at the forest edge";
    tu_run_clipcrawl(&o, "check-caption", "--placement", "content,figure", "--size", "640x480", "--repeats", "1",
                     fox, "IMG_1234.JPG", NULL);
    CHECK(o.status == 0, "check-caption --placement exit %d: %s", o.status, tu_str(&o.err));
    char *want = xasprintf("keep\t%s\nreject:filename\tIMG_1234.JPG\n", fox);
    CHECK_EQ_STR(tu_str(&o.out), want);
    free(want);
    tu_output_free(&o);
    /* "" = on a page, nothing special; stdin lines too */
    const char *const argv[] = {getenv("CLIPCRAWL_BIN"), "check-caption", "--placement", "", NULL};
    tu_run(argv, "IMG_1234.JPG\n", 60, &o);
    CHECK(o.status == 0, "check-caption --placement '' exit %d: %s", o.status, tu_str(&o.err));
    CHECK_EQ_STR(tu_str(&o.out), "reject:filename\tIMG_1234.JPG\n");
    tu_output_free(&o);
    tu_run_clipcrawl(&o, "check-caption", "--placement", "list", fox, NULL);
    CHECK(o.status == 0, "check-caption --placement list exit %d: %s", o.status, tu_str(&o.err));
    CHECK(strncmp(tu_str(&o.out), "keep\t", 5) == 0, "as a list row: %s", tu_str(&o.out));
    tu_output_free(&o);
    /* bad values: exit 2, the value named on the first line, nothing judged */
    static const char *const bad[][3] = {
        {"--placement", "nav,sidebar", "'nav,sidebar'"},
        {"--placement", "NAV", "'NAV'"},
        {"--size", "24", "'24'"},
        {"--size", "0x0", "'0x0'"},
        {"--repeats", "-1", "'-1'"},
        {"--repeats", "many", "'many'"},
        {"--placement", "list,nav", "'list,nav'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tu_run_clipcrawl(&o, "check-caption", bad[i][0], bad[i][1], fox, NULL);
        const char *err = tu_str(&o.err);
        const char *nl = strchr(err, '\n');
        CHECK(o.status == 2 && !*tu_str(&o.out) && nl && memmem(err, (size_t)(nl - err), bad[i][2], strlen(bad[i][2])),
              "check-caption %s %s: exit %d, out '%s', err '%s'", bad[i][0], bad[i][1], o.status, tu_str(&o.out), err);
        tu_output_free(&o);
    }
    /* a page may declare one side only: 0 is "not declared" */
    tu_run_clipcrawl(&o, "check-caption", "--size", "300x0", fox, NULL);
    CHECK(o.status == 0 && strstr(tu_str(&o.out), "keep") != NULL, "--size 300x0 (width only): exit %d, out '%s'",
          o.status, tu_str(&o.out));
    tu_output_free(&o);
    tu_run_clipcrawl(&o, "check-caption", "--placement", "list", "--size", "24x24", fox, NULL);
    CHECK(o.status == 2 && !*tu_str(&o.out), "--placement list with --size: exit %d", o.status);
    tu_output_free(&o);
    tu_run_clipcrawl(&o, "check-caption", "--placement", "list", "--size", "0x24", fox, NULL);
    CHECK(o.status == 2 && !*tu_str(&o.out), "--placement list with --size 0x24: exit %d", o.status);
    tu_output_free(&o);
    tu_run_clipcrawl(&o, "check-caption", fox, "--placement", NULL);
    CHECK(o.status == 2 && !*tu_str(&o.out), "--placement without a value: exit %d", o.status);
    tu_output_free(&o);
}

int main(void)
{
    work = tu_mkdtemp("placement");
    site = xasprintf("%s/site", work);
    cc_mkdirs(site, 0755);
    chmod(work, 0755); /* nginx's workers read the site */
    make_site();
    tu_server *srv = tu_nginx_start(site);
    base = tu_server_base(srv);
    test_check_caption();
    test_crawl_refilter();
    test_rerun();
    test_fetch();
    test_warc();
    test_migration();
    tu_server_stop(srv);
    if (!getenv("TU_KEEP"))
        tu_rm_rf(work);
    free(site);
    free(work);
    return check_summary();
}
