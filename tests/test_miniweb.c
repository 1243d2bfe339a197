/* test_miniweb.c — `clipcrawl crawl` on a generated mini web of gallery,
 * shop and wiki pages (tests/fault_server.py's crawl-site mode on 127.0.0.1):
 *
 *   - WordPress galleries (link to the full-size file, dd.wp-caption-text),
 *     WooCommerce (data-large_image), elevateZoom (data-zoom-image),
 *     MediaWiki thumbs (/thumb/ URL → original, .thumbcaption) and Drupal
 *     fields (an extension-less media link, .image-caption): the full-size
 *     image must land with its caption (>= 98% of the pairs), the thumbnail
 *     must not even be requested, and image_source says which candidate won;
 *   - fallbacks: a full-size image that 404s and a "full-size" link that is
 *     an HTML page give way to their thumbnails;
 *   - nothing robots.txt disallows is requested, also behind a redirect;
 *   - sitemaps: the Sitemap: line of robots.txt → a sitemap index → a
 *     gzipped image sitemap (an unlinked page, an image with image:caption),
 *     and --sitemap URL;
 *   - the Public Suffix List: --scope domain keeps www/shop.example.co.uk
 *     together and alice/bob.github.io apart (--resolve maps the names to
 *     127.0.0.1).
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "image.h"
#include "testutil.h"

static char *site_dir;
static int port;

#define H1 "hosts/127.0.0.1/"
#define HEAD "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>t</title></head><body>\n"
#define N_PAGES 10

static void put_bytes(const char *rel, const void *data, size_t n) { tu_write_under(site_dir, rel, data, n); }

/* A text file of the site (printf-style). */
#define put(rel, ...) tu_printf_under(site_dir, rel, __VA_ARGS__)

/* A distinct blocky JPEG (w x h) per seed: no two are duplicates. */
static void put_jpeg(const char *rel, unsigned seed, int w, int h)
{
    img_image im = {0};
    im.width = w, im.height = h, im.mode = IMG_MODE_RGB, im.channels = 3;
    im.pixels = xmalloc((size_t)w * h * 3);
    tu_block_picture(im.pixels, w, h, seed);
    ccbuf out = {0};
    char err[128];
    if (img_encode(&im, ENC_JPG, 92, &out, err, sizeof err) != CC_OK) {
        fprintf(stderr, "encode: %s\n", err);
        abort();
    }
    put_bytes(rel, out.data, out.len);
    ccbuf_free(&out);
    free(im.pixels);
}

static void put_gzip(const char *rel, const char *text)
{
    ccbuf z = {0};
    tu_gzip(&z, text, strlen(text));
    put_bytes(rel, z.data, z.len);
    ccbuf_free(&z);
}

/* ---- the mini web ------------------------------------------------------------------ */

static const char *const adj[] = {"quiet", "golden", "misty", "rocky", "sunlit", "frozen", "windy", "green",
                                  "ancient", "narrow"};
static const char *const noun[] = {"harbour", "meadow", "forest path", "mountain lake", "stone bridge"};
static const char *const when[] = {"at dawn", "in late autumn", "after the rain", "under a full moon",
                                   "on a summer evening", "in deep winter", "at low tide", "before a storm",
                                   "in the spring", "at midday"};

/* The caption of item k on page i: distinct and descriptive. */
static char *caption_of(int i, int k)
{
    return xasprintf("A %s %s seen %s from the old road number %d", adj[(i + k) % 10], noun[k], when[i],
                     i * 5 + k + 1);
}

typedef struct {
    char *full;     /* path of the full-size image */
    char *caption;
    const char *source; /* expected image_source */
} pair;

static pair pairs[N_PAGES * 5];
static int n_pairs;

static void make_site(void)
{
    put(H1 "robots.txt",
        "User-agent: *\nDisallow: /private/\nDisallow: /originals/blocked/\n\n"
        "Sitemap: http://127.0.0.1:%d/sitemap_index.xml\n",
        port);
    put(H1 "_rules.json",
        "{\"/go.html\": {\"redirect\": \"/private/secret.html\"},\n"
        " \"/flaky.html\": {\"retry_after\": 0, \"n\": 1},\n"
        " \"/originals/missing.jpg\": {\"status\": 404}}\n");
    put(H1 "flaky.html", HEAD "<img src=\"/sm/flaky.jpg\" alt=\"A kingfisher diving into a clear stream\"></body></html>\n");
    put_jpeg(H1 "sm/flaky.jpg", 9201, 200, 160);
    put(H1 "depth/a.html", HEAD "<a href=\"/depth/b.html\">b</a><img src=\"/sm/da.jpg\" alt=\"Sheep grazing "
                              "on a hillside above the village\"></body></html>\n");
    put(H1 "depth/b.html", HEAD "<img src=\"/sm/db.jpg\" alt=\"A narrow canal boat passing under a brick bridge\">"
                              "</body></html>\n");
    put_jpeg(H1 "sm/da.jpg", 9202, 200, 160);
    put_jpeg(H1 "sm/db.jpg", 9203, 200, 160);
    ccbuf idx = {0};
    ccbuf_puts(&idx, HEAD "<h1>Galleries</h1><ul>\n");
    for (int i = 0; i < N_PAGES; i++)
        ccbuf_printf(&idx, "<li><a href=\"/gallery/%d.html\">gallery %d</a>\n", i, i);
    ccbuf_puts(&idx, "<li><a href=\"/go.html\">more</a><li><a href=\"/fallback.html\">fallbacks</a></ul></body></html>\n");
    put(H1 "index.html", "%s", (const char *)idx.data);
    ccbuf_free(&idx);

    for (int i = 0; i < N_PAGES; i++) {
        ccbuf pg = {0};
        ccbuf_puts(&pg, HEAD "<div class=\"gallery\">\n");
        char *c[5];
        for (int k = 0; k < 5; k++)
            c[k] = caption_of(i, k);
        /* 0: WordPress [gallery] */
        ccbuf_printf(&pg,
                     "<dl class=\"gallery-item\"><dt class=\"gallery-icon\"><a href=\"/originals/p%d-0.jpg\">"
                     "<img width=\"150\" height=\"150\" src=\"/thumbs/p%d-0-150x150.jpg\" alt=\"\"></a></dt>"
                     "<dd class=\"wp-caption-text gallery-caption\">%s</dd></dl>\n",
                     i, i, c[0]);
        /* 1: WooCommerce */
        ccbuf_printf(&pg,
                     "<div class=\"woocommerce-product-gallery__image\"><a href=\"/originals/p%d-1.jpg\">"
                     "<img src=\"/thumbs/p%d-1-600.jpg\" alt=\"\" data-caption=\"%s\" "
                     "data-large_image=\"/originals/p%d-1.jpg\" data-large_image_width=\"200\"></a></div>\n",
                     i, i, c[1], i);
        /* 2: elevateZoom */
        ccbuf_printf(&pg, "<div class=\"product\"><img src=\"/thumbs/p%d-2.jpg\" data-zoom-image=\"/originals/p%d-2.jpg\" "
                          "alt=\"%s\"></div>\n",
                     i, i, c[2]);
        /* 3: MediaWiki thumb */
        ccbuf_printf(&pg,
                     "<div class=\"thumb tright\"><div class=\"thumbinner\"><a href=\"/wiki/File:P%d_3.jpg\" "
                     "class=\"image\"><img alt=\"\" src=\"/w/images/thumb/a/ab/P%d_3.jpg/120px-P%d_3.jpg\" "
                     "width=\"120\"></a><div class=\"thumbcaption\"><div class=\"magnify\"><a "
                     "href=\"/wiki/File:P%d_3.jpg\" title=\"Enlarge\"></a></div>%s</div></div></div>\n",
                     i, i, i, i, c[3]);
        /* 4: Drupal field with an extension-less media link */
        ccbuf_printf(&pg,
                     "<div class=\"field--item\"><a href=\"/media/%d/full\"><img src=\"/thumbs/p%d-4.jpg\" "
                     "alt=\"\"></a><div class=\"image-caption\">%s</div></div>\n",
                     i, i, c[4]);
        ccbuf_puts(&pg, "</div></body></html>\n");
        char *rel = xasprintf(H1 "gallery/%d.html", i);
        put(rel, "%s", (const char *)pg.data);
        free(rel);
        ccbuf_free(&pg);

        const char *fulls[5] = {"/originals/p%d-0.jpg", "/originals/p%d-1.jpg", "/originals/p%d-2.jpg",
                                "/w/images/a/ab/P%d_3.jpg", "/media/%d/full"};
        const char *srcs[5] = {"a_href", "data-large_image", "data-zoom-image", "mediawiki-original", "a_href"};
        const char *thumbs[5] = {"/thumbs/p%d-0-150x150.jpg", "/thumbs/p%d-1-600.jpg", "/thumbs/p%d-2.jpg",
                                 "/w/images/thumb/a/ab/P%d_3.jpg/120px-P%d_3.jpg", "/thumbs/p%d-4.jpg"};
        for (int k = 0; k < 5; k++) {
            char full[128], thumb[128], rel2[160];
            snprintf(full, sizeof full, fulls[k], i);
            snprintf(thumb, sizeof thumb, thumbs[k], i, i);
            snprintf(rel2, sizeof rel2, H1 "%s", full + 1);
            put_jpeg(rel2, 1000 + (unsigned)(i * 5 + k), 200, 160);
            snprintf(rel2, sizeof rel2, H1 "%s", thumb + 1);
            put_jpeg(rel2, 5000 + (unsigned)(i * 5 + k), 96, 80);
            pairs[n_pairs].full = xstrdup(full);
            pairs[n_pairs].caption = c[k];
            pairs[n_pairs].source = srcs[k];
            n_pairs++;
        }
    }
    /* fallbacks: a 404 full-size, a "full-size" link that is a page, a robots-blocked one */
    put(H1 "fallback.html",
        HEAD "<p><a href=\"/originals/missing.jpg\"><img src=\"/thumbs/fb1.jpg\" alt=\"A wooden pier stretching "
             "into a calm grey sea\"></a></p>\n"
             "<div class=\"field--item\"><a href=\"/media/page/full\"><img src=\"/thumbs/fb2.jpg\" alt=\"\"></a>"
             "<div class=\"image-caption\">Red tulips in a row beside a white fence</div></div>\n"
             "<p><a href=\"/originals/blocked/x.jpg\"><img src=\"/thumbs/fb3.jpg\" alt=\"A blocked picture of "
             "an orange sunset over the bay\"></a></p>\n"
             "</body></html>\n");
    put_jpeg(H1 "thumbs/fb1.jpg", 9001, 96, 80);
    put_jpeg(H1 "thumbs/fb2.jpg", 9002, 96, 80);
    put_jpeg(H1 "thumbs/fb3.jpg", 9003, 96, 80);
    put_jpeg(H1 "originals/blocked/x.jpg", 9004, 200, 160);
    put(H1 "media/page/full", HEAD "<p>This is a page about tulips, not an image.</p></body></html>\n");
    put(H1 "private/secret.html", HEAD "<img src=\"/thumbs/fb1.jpg\" alt=\"secret\"></body></html>\n");

    /* sitemaps: robots.txt → index → gzipped image sitemap; and one for --sitemap */
    put(H1 "sitemap_index.xml",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
        "<sitemap><loc>http://127.0.0.1:%d/sitemaps/pages.xml.gz</loc></sitemap>\n"
        "<sitemap><loc>http://127.0.0.1:%d/private/hidden-sitemap.xml</loc></sitemap>\n"
        "</sitemapindex>\n",
        port, port);
    char *sm = xasprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" "
                         "xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">\n"
                         "<url><loc>http://127.0.0.1:%d/orphan.html</loc>\n"
                         "<image:image><image:loc>http://127.0.0.1:%d/sm/photo1.jpg</image:loc>"
                         "<image:caption>A heron standing in the shallow water of the marsh</image:caption>"
                         "<image:title>heron.jpg</image:title></image:image></url>\n"
                         "<url><loc>http://127.0.0.1:%d/private/listed.html</loc></url>\n"
                         "</urlset>\n",
                         port, port, port);
    put_gzip(H1 "sitemaps/pages.xml.gz", sm);
    free(sm);
    put(H1 "private/hidden-sitemap.xml", "http://127.0.0.1:%d/private/x.html\n", port);
    put(H1 "orphan.html", HEAD "<img src=\"/sm/orphan.jpg\" alt=\"A fox cub peeking out of its den\"></body></html>\n");
    put_jpeg(H1 "sm/photo1.jpg", 9101, 200, 160);
    put_jpeg(H1 "sm/orphan.jpg", 9102, 200, 160);
    put(H1 "sitemaps/extra.xml",
        "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>/extra.html</loc></url></urlset>\n");
    put(H1 "extra.html", HEAD "<img src=\"/sm/extra.jpg\" alt=\"Children building a sandcastle on the beach\"></body></html>\n");
    put_jpeg(H1 "sm/extra.jpg", 9103, 200, 160);

    /* the Public Suffix List pair */
    put("hosts/www.example.co.uk/index.html",
        HEAD "<a href=\"http://shop.example.co.uk:%d/page.html\">shop</a> <a href=\"http://example.org:%d/x.html\">x</a>"
             "</body></html>\n",
        port, port);
    put("hosts/shop.example.co.uk/page.html", HEAD "shop</body></html>\n");
    put("hosts/alice.github.io/index.html",
        HEAD "<a href=\"http://bob.github.io:%d/page.html\">bob</a> <a href=\"http://docs.alice.github.io:%d/p.html\">"
             "docs</a></body></html>\n",
        port, port);
    put("hosts/bob.github.io/page.html", HEAD "bob</body></html>\n");
    put("hosts/docs.alice.github.io/p.html", HEAD "docs</body></html>\n");
}

static char *url_of(const char *path) { return xasprintf("http://127.0.0.1:%d%s", port, path); }

/* ---- the tests ----------------------------------------------------------------------------- */

static void test_gallery_crawl(tu_server *srv, const char *out)
{
    char *seed = url_of("/");
    tu_output o;
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--allow-private", "--depth", "1", "--host-delay", "0",
                     "--retries", "0", "-q", NULL);
    CHECK(o.status == 0, "crawl exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    sqlite3 *db = tu_index_open(out);

    /* (full-size image, caption) pairs that landed */
    int landed = 0;
    for (int i = 0; i < n_pairs; i++) {
        char *u = url_of(pairs[i].full);
        char *cap = tu_db_text(db, "SELECT caption FROM items WHERE url = %Q AND status = 'accepted'", u);
        char *src = tu_db_text(db, "SELECT image_source FROM crawl_images WHERE url = %Q", u);
        if (cap && strcmp(cap, pairs[i].caption) == 0)
            landed++;
        else
            fprintf(stderr, "not landed: %s (caption %s)\n", u, cap ? cap : "(none)");
        CHECK(src && strcmp(src, pairs[i].source) == 0, "%s: image_source %s, want %s", u, src ? src : "(none)",
              pairs[i].source);
        free(cap);
        free(src);
        free(u);
    }
    double share = (double)landed / n_pairs;
    printf("mini web: %d of %d (full-size image, caption) pairs landed (%.1f%%)\n", landed, n_pairs, 100 * share);
    CHECK(share >= 0.98, "only %.1f%% of the pairs landed", 100 * share);
    /* which caption candidate won, per markup */
    char *cs = tu_db_text(db, "SELECT group_concat(DISTINCT caption_source) FROM (SELECT caption_source FROM crawl_images "
                      "WHERE url LIKE '%%/originals/p%%' OR url LIKE '%%/w/images/%%' OR url LIKE '%%/media/%%' "
                      "ORDER BY caption_source)");
    CHECK(cs && strcmp(cs, "alt,data-caption,gallery-caption,thumbcaption") == 0, "caption sources: %s",
          cs ? cs : "(none)");
    free(cs);
    /* thumbnails of working full-size images are never requested */
    CHECK(tu_access_log_count(srv, "/thumbs/p") == 0, "%d thumbnail requests", tu_access_log_count(srv, "/thumbs/p"));
    CHECK(tu_access_log_count(srv, "/w/images/thumb/") == 0, "wiki thumbnail requested");
    /* KEY.json says which candidate won */
    char *u0 = url_of(pairs[0].full);
    char *key = tu_db_text(db, "SELECT key FROM items WHERE url = %Q", u0);
    if (key) {
        tu_output c;
        tu_run_clipcrawl(&c, "cat", out, key, "--member", "json", NULL);
        CHECK(strstr(tu_str(&c.out), "\"image_source\":\"a_href\""), "KEY.json: %s", tu_str(&c.out));
        tu_output_free(&c);
    }
    free(key);
    free(u0);

    /* fallbacks */
    char *fb1 = url_of("/thumbs/fb1.jpg"), *fb2 = url_of("/thumbs/fb2.jpg"), *fb3 = url_of("/thumbs/fb3.jpg");
    char *st = tu_db_text(db, "SELECT i.status || ':' || c.image_source || ':' || (c.fallback_of IS NOT NULL) FROM items i "
                      "JOIN crawl_images c ON c.url = i.url WHERE i.url = %Q", fb1);
    CHECK(st && strcmp(st, "accepted:img:1") == 0, "404 full-size → thumbnail: %s", st ? st : "(none)");
    free(st);
    char *missing = url_of("/originals/missing.jpg");
    st = tu_db_text(db, "SELECT reason FROM items WHERE url = %Q", missing);
    CHECK(st && strcmp(st, "http_404") == 0, "missing.jpg: %s", st ? st : "(none)");
    free(st);
    free(missing);
    st = tu_db_text(db, "SELECT status || ':' || caption FROM items WHERE url = %Q", fb2);
    CHECK(st && strcmp(st, "accepted:Red tulips in a row beside a white fence") == 0, "page link → thumbnail: %s",
          st ? st : "(none)");
    free(st);
    st = tu_db_text(db, "SELECT reason FROM items WHERE url LIKE '%%/media/page/full'");
    CHECK(st && strcmp(st, "not_an_image") == 0, "media/page/full: %s", st ? st : "(none)");
    free(st);
    st = tu_db_text(db, "SELECT status || ':' || reason FROM items WHERE url LIKE '%%/originals/blocked/x.jpg'");
    CHECK(st && strcmp(st, "optout:robots") == 0, "blocked full-size: %s", st ? st : "(none)");
    free(st);
    CHECK(tu_db_int(db, "SELECT count(*) FROM items WHERE url = %Q", fb3) == 0, "no fallback for a robots skip");
    free(fb1);
    free(fb2);
    free(fb3);

    /* the redirect into a disallowed path */
    st = tu_db_text(db, "SELECT state || ':' || reason FROM crawl_pages WHERE url LIKE '%%/go.html'");
    CHECK(st && strcmp(st, "skipped:redirect") == 0, "go.html: %s", st ? st : "(none)");
    free(st);
    st = tu_db_text(db, "SELECT state || ':' || reason FROM crawl_pages WHERE url LIKE '%%/private/secret.html'");
    CHECK(st && strcmp(st, "skipped:robots") == 0, "secret.html: %s", st ? st : "(none)");
    free(st);

    /* sitemaps from robots.txt: index → gzipped image sitemap */
    st = tu_db_text(db, "SELECT state FROM crawl_pages WHERE url LIKE '%%/orphan.html'");
    CHECK(st && strcmp(st, "fetched") == 0, "orphan.html (sitemap only): %s", st ? st : "(none)");
    free(st);
    st = tu_db_text(db, "SELECT i.status || ':' || i.caption || ':' || c.caption_source || ':' || c.image_source FROM items i "
                "JOIN crawl_images c ON c.url = i.url WHERE i.url LIKE '%%/sm/photo1.jpg'");
    CHECK(st && strcmp(st, "accepted:A heron standing in the shallow water of the marsh:image:caption:sitemap") == 0,
          "sitemap image: %s", st ? st : "(none)");
    free(st);
    CHECK(tu_db_int(db, "SELECT count(*) FROM items WHERE url LIKE '%%/sm/orphan.jpg' AND status = 'accepted'") == 1,
          "orphan page's image");
    st = tu_db_text(db, "SELECT state || ':' || reason FROM crawl_pages WHERE url LIKE '%%/private/listed.html'");
    CHECK(st && strcmp(st, "skipped:robots") == 0, "listed private page: %s", st ? st : "(none)");
    free(st);
    CHECK(tu_access_log_count(srv, "/sitemaps/pages.xml.gz") == 1, "gzipped sitemap read once");

    /* nothing disallowed was requested */
    CHECK(tu_access_log_count(srv, "/private/") == 0, "%d requests under /private/",
          tu_access_log_count(srv, "/private/"));
    CHECK(tu_access_log_count(srv, "/originals/blocked/") == 0, "blocked original requested");
    sqlite3_close(db);
    free(seed);
}

static void test_sitemap_flag(const char *tmp)
{
    char *out = xasprintf("%s/sm-flag", tmp);
    char *sm = url_of("/sitemaps/extra.xml");
    tu_output o;
    tu_run_clipcrawl(&o, "crawl", "--sitemap", sm, "-o", out, "--allow-private", "--host-delay", "0", "-q", NULL);
    CHECK(o.status == 0, "crawl --sitemap exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    sqlite3 *db = tu_index_open(out);
    CHECK(tu_db_int(db, "SELECT count(*) FROM items WHERE url LIKE '%%/sm/extra.jpg' AND status = 'accepted'") == 1,
          "--sitemap page's image landed");
    sqlite3_close(db);
    free(sm);
    free(out);
}

static void test_psl(const char *tmp)
{
    char *out = xasprintf("%s/psl", tmp);
    char r[6][96];
    const char *names[6] = {"www.example.co.uk", "shop.example.co.uk", "alice.github.io", "bob.github.io",
                            "docs.alice.github.io", "example.org"};
    for (int i = 0; i < 6; i++)
        snprintf(r[i], sizeof r[i], "%s:%d:127.0.0.1", names[i], port);
    char s1[96], s2[96];
    snprintf(s1, sizeof s1, "http://www.example.co.uk:%d/", port);
    snprintf(s2, sizeof s2, "http://alice.github.io:%d/", port);
    tu_output o;
    tu_run_clipcrawl(&o, "crawl", s1, s2, "-o", out, "--allow-private", "--scope", "domain", "--depth", "1",
                     "--host-delay", "0", "--retries", "0", "-q", "--resolve", r[0], "--resolve", r[1], "--resolve",
                     r[2], "--resolve", r[3], "--resolve", r[4], "--resolve", r[5], NULL);
    CHECK(o.status == 0 || o.status == 1, "crawl psl exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    sqlite3 *db = tu_index_open(out);
    CHECK(tu_db_int(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE 'http://shop.example.co.uk:%%/page.html' AND "
                 "state = 'fetched'") == 1,
          "shop.example.co.uk is www.example.co.uk's site");
    CHECK(tu_db_int(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE 'http://docs.alice.github.io:%%'") == 1,
          "docs.alice.github.io is alice.github.io's site");
    CHECK(tu_db_int(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE 'http://bob.github.io:%%'") == 0,
          "bob.github.io is another site than alice.github.io");
    CHECK(tu_db_int(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE 'http://example.org:%%'") == 0,
          "example.org is out of scope");
    sqlite3_close(db);
    free(out);
}

/* A re-run honours its settings: --retry-failed, a larger --depth, changed
 * image settings (said on stderr, recorded in runs.settings, shown by stats),
 * and the crawl's progress line. */
static void test_rerun(const char *tmp)
{
    char *out = xasprintf("%s/rerun", tmp);
    char *flaky = url_of("/flaky.html"), *a = url_of("/depth/a.html");
    tu_output o;
    /* the only seed fails (429, no retries): exit 1 naming it and why */
    tu_run_clipcrawl(&o, "crawl", flaky, "-o", out, "--allow-private", "--host-delay", "0", "--retries", "0", "-q",
                     NULL);
    CHECK(o.status == 1 && strstr(tu_str(&o.err), "every seed failed") && strstr(tu_str(&o.err), "flaky.html: http_429"),
          "failed seed: exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    /* --retry-failed asks again */
    tu_run_clipcrawl(&o, "crawl", flaky, "-o", out, "--allow-private", "--host-delay", "0", "--retries", "0", "-q",
                     "--retry-failed", NULL);
    CHECK(o.status == 0 && strstr(tu_str(&o.err), "1 failed pages are tried again"), "retry-failed: exit %d: %s",
          o.status, tu_str(&o.err));
    tu_output_free(&o);
    sqlite3 *db = tu_index_open(out);
    CHECK(tu_db_int(db, "SELECT count(*) FROM items WHERE url LIKE '%%/sm/flaky.jpg' AND status = 'accepted'") == 1,
          "flaky page's image after --retry-failed");
    sqlite3_close(db);

    /* --depth 0, then --depth 1: the links of the page already fetched are followed */
    tu_run_clipcrawl(&o, "crawl", a, "-o", out, "--allow-private", "--host-delay", "0", "-q", NULL);
    CHECK(o.status == 0, "depth 0: exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    db = tu_index_open(out);
    CHECK(tu_db_int(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE '%%/depth/b.html'") == 0, "b not known at depth 0");
    sqlite3_close(db);
    tu_run_clipcrawl(&o, "crawl", a, "-o", out, "--allow-private", "--host-delay", "0", "--depth", "1",
                     "--image-size", "128", NULL);
    const char *err = tu_str(&o.err);
    CHECK(o.status == 0 && strstr(err, "fetched pages are read again for their links"), "depth 1: exit %d: %s",
          o.status, err);
    CHECK(strstr(err, "settings changed since the last run (image_size 256 -> 128)"), "settings line: %s", err);
    /* the progress line (final, not a terminal): pages, images, rates */
    CHECK(strstr(err, "pages ") && strstr(err, " queued (") && strstr(err, "images ") && strstr(err, " accepted"),
          "progress line: %s", err);
    tu_output_free(&o);
    db = tu_index_open(out);
    char *st = tu_db_text(db, "SELECT i.status || ':' || i.width FROM items i WHERE i.url LIKE '%%/sm/db.jpg'");
    CHECK(st && strcmp(st, "accepted:128") == 0, "b's image with the new size: %s", st ? st : "(none)");
    free(st);
    st = tu_db_text(db, "SELECT settings FROM runs ORDER BY id DESC LIMIT 1");
    CHECK(st && strstr(st, "\"image_size\":128") && strstr(st, "\"depth\":1"), "runs.settings: %s", st ? st : "(none)");
    free(st);
    sqlite3_close(db);
    tu_run_clipcrawl(&o, "stats", out, NULL);
    CHECK(o.status == 0 && strstr(tu_str(&o.out), "\"settings\":[{\"id\":") &&
              strstr(tu_str(&o.out), "\"image_size\":256"),
          "stats shows run settings: %s", tu_str(&o.out));
    tu_output_free(&o);
    free(flaky);
    free(a);
    free(out);
}

int main(void)
{
    char *tmp = tu_mkdtemp("miniweb");
    site_dir = xasprintf("%s/site", tmp);
    cc_mkdirs(site_dir, 0755);
    tu_server *srv = tu_fault_server_start(site_dir);
    port = tu_server_port(srv);
    make_site();
    char *out = xasprintf("%s/web", tmp);
    test_gallery_crawl(srv, out);
    test_sitemap_flag(tmp);
    test_psl(tmp);
    test_rerun(tmp);
    tu_server_stop(srv);
    if (!getenv("TU_KEEP"))
        tu_rm_rf(tmp);
    for (int i = 0; i < n_pairs; i++) {
        free(pairs[i].full);
        free(pairs[i].caption);
    }
    free(out);
    free(site_dir);
    free(tmp);
    return check_summary();
}
