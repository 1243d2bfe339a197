/* test_crawl.c — `clipcrawl crawl` against a generated two-host site on
 * 127.0.0.1 (tests/fault_server.py's crawl-site mode), plus the frontier's
 * bounded-memory contract.
 *
 * The site (written by make_site() below) has every markup variant
 * extract.h knows, a robots.txt with a group for our token, a tdmrep.json,
 * pages and images that opt out by meta tag, X-Robots-Tag, tdm-reservation
 * header/meta and tdmrep.json, a redirect, image redirects (to an allowed
 * path, into paths robots.txt disallows on this and the other host, in a
 * loop), a 404, a 429 with Retry-After, a
 * slow page, a rel=nofollow link, a second host ("localhost") with its own
 * robots.txt, and a depth-2 page. The server's access log proves what was
 * and was not requested. */
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "frontier.h"
#include "image.h"
#include "testutil.h"

static char *site_dir;
static int port;

/* A text file of the site (printf-style). */
#define put(rel, ...) tu_printf_under(site_dir, rel, __VA_ARGS__)

/* A distinct noise JPEG (96x80) per seed, so no two images are duplicates. */
static void put_jpeg(const char *rel, unsigned seed)
{
    img_image im = {0};
    im.width = 96, im.height = 80, im.mode = IMG_MODE_RGB, im.channels = 3;
    im.pixels = xmalloc(96 * 80 * 3);
    tu_block_picture(im.pixels, 96, 80, seed); /* phash-distinct per seed */
    ccbuf out = {0};
    char err[128];
    if (img_encode(&im, ENC_JPG, 92, &out, err, sizeof err) != CC_OK) {
        fprintf(stderr, "encode: %s\n", err);
        abort();
    }
    tu_write_under(site_dir, rel, out.data, out.len);
    ccbuf_free(&out);
    free(im.pixels);
}

#define H1 "hosts/127.0.0.1/"
#define H2 "hosts/localhost/"
#define PAGE_HEAD "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>t</title>"

/* Expected accepted samples: URL path → caption, caption_source. */
static const struct {
    const char *path, *caption, *source;
} expected[] = {
    {"/img/a01.jpg", "A red fox standing in fresh snow at the forest edge", "alt"},
    {"/img/a02.jpg", "An old stone bridge over a quiet river at dawn", "figcaption"},
    {"/img/a03-large.jpg", "Sailing boats moored in a small harbour at sunset", "alt"},
    {"/img/a04.jpg", "A bowl of ramen with egg and spring onions", "alt"},
    {"/img/a05.jpg", "Tall sunflowers in a field under a blue summer sky", "title"},
    {"/img/a06.jpg", "A lighthouse on a rocky coast during a storm", "alt"},
    {"/img/a07.jpg", "Two children flying a yellow kite on the beach", "aria-label"},
    {"/img/a08.jpg", "A steam train crossing a viaduct in the mountains", "aria-labelledby"},
    {"/img/a09.jpg", "Autumn leaves covering a park bench after the rain", "og:image:alt"},
    {"/img/a10.jpg", "Fishermen mending their nets on the harbour wall early in the morning",
     "nearby"},
    {"/img/a11.jpg", "Black leather hiking boots with red laces on a wooden floor", "title"},
    {"/img/a18.jpg", "A grey heron waiting patiently at the edge of a pond", "alt"},
    {"/img/a19.jpg", "A cup of coffee and a croissant on a cafe table", "alt"},
    {"/sub/a17.jpg", "Snow covered rooftops of an old town in winter", "alt"},
    {"/cdn/b01.jpg", "A tabby cat sleeping on a sunny windowsill", "alt"},
    {"/img/r1.jpg", "A hot air balloon drifting over green hills", "alt"},
    {"/img/k1.jpg", "A busy street market selling fruit and vegetables", "alt"},
    {"/img/s1.jpg", "A snail crawling slowly across a wet green leaf", "alt"},
    {"/img/d1.jpg", "A wooden rowing boat pulled up on a sandy shore", "alt"},
    {"/img/rd2.jpg", "A yellow tram climbing a narrow street in the old town", "alt"},
};
#define N_EXPECTED (sizeof expected / sizeof expected[0])

/* URL paths that must never be requested (disallowed, opted out before the
 * request, rejected captions, out of scope, beyond depth, nofollow). */
static const char *const never[] = {
    "/private/", "/img/blocked/", "/private-img/", "/tdm/a14.jpg", "/img/o1.jpg", "/img/o2.jpg",
    "/img/o3.jpg", "/img/o4.jpg", "/img/o5.jpg", "/img/a12.jpg", "/img/a03-small.jpg",
    "/nofollow-target.html", "/ext.html", "/level2.html", "/img/d2.jpg", "/img/p1.jpg",
};

static void make_site(void)
{
    /* ---- 127.0.0.1 ---- */
    put(H1 "robots.txt",
        "# the * group forbids everything: only our own group lets us in\n"
        "User-agent: *\nDisallow: /\n\n"
        "User-agent: clipcrawl\nDisallow: /private/\nDisallow: /img/blocked/\nAllow: /\n");
    put(H1 ".well-known/tdmrep.json", "[{\"location\": \"/tdm/*\", \"tdm-reservation\": 1}]\n");
    put(H1 "index.html",
        PAGE_HEAD "</head><body><h1>Index</h1><ul>"
                  "<li><a href=\"/variants.html\">variants</a>"
                  "<li><a href=\"base.html\">base</a>"
                  "<li><a href=\"/optout-meta.html\">m</a><li><a href=\"/optout-header.html\">h</a>"
                  "<li><a href=\"/tdm-header.html\">th</a><li><a href=\"/tdm-meta.html\">tm</a>"
                  "<li><a href=\"/tdm/page.html\">tj</a><li><a href=\"/private/secret.html\">p</a>"
                  "<li><a href=\"/missing.html\">404</a><li><a href=\"/redir.html\">r</a>"
                  "<li><a href=\"/busy.html\">429</a><li><a href=\"/slow.html\">slow</a>"
                  "<li><a rel=\"nofollow\" href=\"/nofollow-target.html\">nf</a>"
                  "<li><a href=\"http://localhost:%d/ext.html\">ext</a>"
                  "<li><a href=\"/level1.html#frag\">l1</a><li><a href=\"/./level1.html\">l1 again</a>"
                  "</ul></body></html>\n",
        port);
    put(H1 "variants.html",
        PAGE_HEAD
        "<meta property=\"og:image\" content=\"/img/a09.jpg\">"
        "<meta property=\"og:image:alt\" content=\"Autumn leaves covering a park bench after the rain\">"
        "</head><body>\n"
        "<img src=\"/img/a01.jpg\" alt=\"A red fox standing in fresh snow at the forest edge\">\n"
        "<figure><img src=\"/img/a02.jpg\" alt=\"IMG_7007.JPG\"><figcaption>An old stone bridge over a "
        "quiet river at dawn</figcaption></figure>\n"
        "<img src=\"/img/a03-small.jpg\" srcset=\"/img/a03-small.jpg 320w, /img/a03-large.jpg 800w\" "
        "alt=\"Sailing boats moored in a small harbour at sunset\">\n"
        "<img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\" data-src=\"/img/a04.jpg\" "
        "alt=\"A bowl of ramen with egg and spring onions\">\n"
        "<picture><source srcset=\"/img/a05.jpg\" type=\"image/jpeg\"><img src=\"/img/a05.jpg\" "
        "title=\"Tall sunflowers in a field under a blue summer sky\"></picture>\n"
        "<noscript><img src=\"/img/a06.jpg\" alt=\"A lighthouse on a rocky coast during a storm\"></noscript>\n"
        "<div><img src=\"/img/a07.jpg\" aria-label=\"Two children flying a yellow kite on the beach\"></div>\n"
        "<div><span id=\"l8\">A steam train crossing a viaduct in the mountains</span>"
        "<img src=\"/img/a08.jpg\" aria-labelledby=\"l8\"></div>\n"
        "<p>Fishermen mending their nets on the harbour wall early in the morning "
        "<img src=\"/img/a10.jpg\"></p>\n"
        "<div><img src=\"/img/a11.jpg\" alt=\"SKU-89240-BLK\" title=\"Black leather hiking boots with red "
        "laces on a wooden floor\"></div>\n"
        "<div><img src=\"/img/a12.jpg\" alt=\"IMG_1234.JPG\"></div>\n"
        "<div><img src=\"/img/blocked/a13.jpg\" alt=\"A blocked picture of a quiet mountain lake\"></div>\n"
        "<div><img src=\"/tdm/a14.jpg\" alt=\"A reserved picture of a quiet mountain lake\"></div>\n"
        "<div><img src=\"/img/a15.jpg\" alt=\"A picture whose server says noai in a header\"></div>\n"
        "<div><img src=\"/img/a16.jpg\" alt=\"A picture whose server reserves text and data mining\"></div>\n"
        "<div><img data-lazy-src=\"/img/a18.jpg\" alt=\"A grey heron waiting patiently at the edge of a pond\">"
        "</div>\n"
        "<div><img data-original=\"/img/a19.jpg\" alt=\"A cup of coffee and a croissant on a cafe table\">"
        "</div>\n"
        "<div><img src=\"http://localhost:%d/cdn/b01.jpg\" alt=\"A tabby cat sleeping on a sunny windowsill\">"
        "</div>\n"
        "<div><img src=\"http://localhost:%d/private-img/b02.jpg\" alt=\"A picture the other host keeps "
        "for itself\"></div>\n"
        "<div><img src=\"/img/a01.jpg\" alt=\"The same fox picture found a second time\"></div>\n"
        "<div><img src=\"/img/rd1.jpg\" alt=\"A picture that redirects to the other host's private images\">"
        "</div>\n"
        "<div><img src=\"/img/rd2.jpg\" alt=\"A yellow tram climbing a narrow street in the old town\"></div>\n"
        "<div><img src=\"/img/rd3.jpg\" alt=\"A picture that redirects into a blocked folder\"></div>\n"
        "<div><img src=\"/img/rd-loop.jpg\" alt=\"A picture whose server redirects it to itself forever\">"
        "</div>\n"
        "</body></html>\n",
        port, port);
    put(H1 "base.html",
        PAGE_HEAD "<base href=\"/sub/\"></head><body><img src=\"a17.jpg\" alt=\"Snow covered rooftops of an "
                  "old town in winter\"></body></html>\n");
    put(H1 "optout-meta.html",
        PAGE_HEAD "<meta name=\"robots\" content=\"noai\"></head><body><img src=\"/img/o1.jpg\" "
                  "alt=\"A page that opted out with a meta tag\"></body></html>\n");
    put(H1 "optout-header.html",
        PAGE_HEAD "</head><body><img src=\"/img/o2.jpg\" alt=\"A page that opted out with a header\">"
                  "</body></html>\n");
    put(H1 "tdm-header.html",
        PAGE_HEAD "</head><body><img src=\"/img/o3.jpg\" alt=\"A page that reserves mining by header\">"
                  "</body></html>\n");
    put(H1 "tdm-meta.html",
        PAGE_HEAD "<meta name=\"tdm-reservation\" content=\"1\"></head><body><img src=\"/img/o4.jpg\" "
                  "alt=\"A page that reserves mining by meta tag\"></body></html>\n");
    put(H1 "tdm/page.html",
        PAGE_HEAD "</head><body><img src=\"/img/o5.jpg\" alt=\"A page that tdmrep.json reserves\">"
                  "</body></html>\n");
    put(H1 "private/secret.html",
        PAGE_HEAD "</head><body><img src=\"/img/p1.jpg\" alt=\"A private picture of a garden\"></body></html>\n");
    put(H1 "redirected.html",
        PAGE_HEAD "</head><body><img src=\"/img/r1.jpg\" alt=\"A hot air balloon drifting over green hills\">"
                  "</body></html>\n");
    put(H1 "busy.html",
        PAGE_HEAD "</head><body><img src=\"/img/k1.jpg\" alt=\"A busy street market selling fruit and "
                  "vegetables\"></body></html>\n");
    put(H1 "slow.html",
        PAGE_HEAD "</head><body><img src=\"/img/s1.jpg\" alt=\"A snail crawling slowly across a wet green "
                  "leaf\"></body></html>\n");
    put(H1 "nofollow-target.html", PAGE_HEAD "</head><body>nothing</body></html>\n");
    put(H1 "level1.html",
        PAGE_HEAD "</head><body><img src=\"/img/d1.jpg\" alt=\"A wooden rowing boat pulled up on a sandy "
                  "shore\"><a href=\"/level2.html\">deeper</a></body></html>\n");
    put(H1 "level2.html",
        PAGE_HEAD "</head><body><img src=\"/img/d2.jpg\" alt=\"A deep picture of a mountain village\">"
                  "</body></html>\n");
    put(H1 "_rules.json",
        "{\"/optout-header.html\": {\"headers\": [[\"X-Robots-Tag\", \"clipcrawl: noimageai\"]]},\n"
        " \"/tdm-header.html\": {\"headers\": [[\"tdm-reservation\", \"1\"]]},\n"
        " \"/img/a15.jpg\": {\"headers\": [[\"X-Robots-Tag\", \"noai\"]]},\n"
        " \"/img/a16.jpg\": {\"headers\": [[\"tdm-reservation\", \"1\"]]},\n"
        " \"/redir.html\": {\"redirect\": \"/redirected.html\"},\n"
        " \"/img/rd1.jpg\": {\"redirect\": \"http://localhost:%d/private-img/b04.jpg\"},\n"
        " \"/img/rd2.jpg\": {\"redirect\": \"/img/rd2-target.jpg\", \"status\": 301},\n"
        " \"/img/rd3.jpg\": {\"redirect\": \"/img/blocked/rd3.jpg\"},\n"
        " \"/img/rd-loop.jpg\": {\"redirect\": \"/img/rd-loop.jpg\"},\n"
        " \"/busy.html\": {\"retry_after\": 1, \"n\": 1},\n"
        " \"/slow.html\": {\"delay\": 1.0}}\n",
        port);
    const char *imgs[] = {"img/a01.jpg", "img/a02.jpg", "img/a03-small.jpg", "img/a03-large.jpg", "img/a04.jpg",
                          "img/a05.jpg", "img/a06.jpg", "img/a07.jpg", "img/a08.jpg", "img/a09.jpg",
                          "img/a10.jpg", "img/a11.jpg", "img/a12.jpg", "img/blocked/a13.jpg", "tdm/a14.jpg",
                          "img/a15.jpg", "img/a16.jpg", "sub/a17.jpg", "img/a18.jpg", "img/a19.jpg",
                          "img/o1.jpg", "img/o2.jpg", "img/o3.jpg", "img/o4.jpg", "img/o5.jpg",
                          "img/p1.jpg", "img/r1.jpg", "img/k1.jpg", "img/s1.jpg", "img/d1.jpg", "img/d2.jpg",
                          "img/rd2-target.jpg", "img/blocked/rd3.jpg"};
    for (size_t i = 0; i < sizeof imgs / sizeof imgs[0]; i++) {
        char *rel = xasprintf(H1 "%s", imgs[i]);
        put_jpeg(rel, (unsigned)i + 1);
        free(rel);
    }
    /* ---- localhost: a second host with its own robots.txt ---- */
    put(H2 "robots.txt", "User-agent: *\nDisallow: /private-img/\n");
    put(H2 "ext.html", PAGE_HEAD "</head><body><img src=\"/cdn/b03.jpg\" alt=\"An external picture of a "
                                 "harbour crane\"></body></html>\n");
    put_jpeg(H2 "cdn/b01.jpg", 101);
    put_jpeg(H2 "private-img/b02.jpg", 102);
    put_jpeg(H2 "cdn/b03.jpg", 103);
    put_jpeg(H2 "private-img/b04.jpg", 104); /* only ever reached by a redirect */
}

static long qn(sqlite3 *db, const char *sql) { return (long)tu_db_int(db, "%s", sql); }

/* The accepted samples as sorted "url|caption|source" lines. */
static char *samples_of(const char *dir)
{
    sqlite3 *db = tu_index_open(dir);
    char *s = tu_db_text(db, "SELECT group_concat(x, char(10)) FROM (SELECT url || '|' || caption || '|' || "
                     "caption_source AS x FROM items WHERE status = 'accepted' ORDER BY 1)");
    sqlite3_close(db);
    return s ? s : xstrdup("");
}

static const char *url_in(const char *path)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "http://%s:%d%s", strncmp(path, "/cdn/", 5) == 0 ? "localhost" : "127.0.0.1", port,
             path);
    return buf;
}

/* ---- the tests ---- */

static void test_full_crawl(tu_server *srv, const char *seed, const char *out)
{
    tu_output o;
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--allow-private", "--depth", "1", "--host-delay", "0",
                     "--retries", "1", "-q", NULL);
    CHECK_EQ_INT(o.status, 0);
    if (o.status != 0)
        fprintf(stderr, "%s%s", tu_str(&o.out), tu_str(&o.err));
    CHECK(strstr(tu_str(&o.out), "\"pages_fetched\":"), "counts line: %s", tu_str(&o.out));
    tu_output_free(&o);

    sqlite3 *db = tu_index_open(out);
    for (size_t i = 0; i < N_EXPECTED; i++) {
        const char *u = url_in(expected[i].path);
        char *cap = tu_db_text(db, "SELECT caption FROM items WHERE url = %Q AND status = 'accepted'", u);
        char *src = tu_db_text(db, "SELECT caption_source FROM items WHERE url = %Q", u);
        CHECK(cap && strcmp(cap, expected[i].caption) == 0, "%s: caption '%s'", u, cap ? cap : "(none)");
        CHECK(src && strcmp(src, expected[i].source) == 0, "%s: source '%s', want %s", u, src ? src : "(none)",
              expected[i].source);
        free(cap);
        free(src);
    }
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM items WHERE status = 'accepted'"), N_EXPECTED);

    /* Skips, each with its reason. */
    static const struct {
        const char *path, *status, *reason;
    } skips[] = {
        {"/img/a12.jpg", "rejected", "filename"},
        {"/img/blocked/a13.jpg", "optout", "robots"},
        {"/tdm/a14.jpg", "optout", "tdm_reservation"},
        {"/img/a15.jpg", "optout", "noai"},
        {"/img/a16.jpg", "optout", "tdm_reservation"},
        {"/img/o1.jpg", "optout", "noai"},
        {"/img/o2.jpg", "optout", "noimageai"},
        {"/img/o3.jpg", "optout", "tdm_reservation"},
        {"/img/o4.jpg", "optout", "tdm_reservation"},
        {"/img/o5.jpg", "optout", "tdm_reservation"},
    };
    for (size_t i = 0; i < sizeof skips / sizeof skips[0]; i++) {
        const char *u = url_in(skips[i].path);
        char *st = tu_db_text(db, "SELECT status || ':' || reason FROM items WHERE url = %Q", u);
        char want[64];
        snprintf(want, sizeof want, "%s:%s", skips[i].status, skips[i].reason);
        CHECK(st && strcmp(st, want) == 0, "%s: %s, want %s", u, st ? st : "(no item)", want);
        free(st);
    }
    /* Image redirects are not followed blindly: each target is checked
     * against its own host's robots.txt before it is asked for. */
    static const struct {
        const char *path, *want;
    } redirs[] = {
        {"/img/rd1.jpg", "optout:robots"},               /* to the other host's disallowed folder */
        {"/img/rd3.jpg", "optout:robots"},               /* to this host's disallowed folder */
        {"/img/rd-loop.jpg", "failed:too_many_redirects"}, /* to itself, forever */
    };
    for (size_t i = 0; i < sizeof redirs / sizeof redirs[0]; i++) {
        const char *u = url_in(redirs[i].path);
        char *st = tu_db_text(db, "SELECT status || ':' || reason FROM items WHERE url = %Q", u);
        CHECK(st && strcmp(st, redirs[i].want) == 0, "%s: %s, want %s", u, st ? st : "(no item)", redirs[i].want);
        free(st);
    }
    char *b02 = tu_db_text(db, "SELECT status || ':' || reason FROM items WHERE url = 'http://localhost:%d/private-img/b02.jpg'",
                   port);
    CHECK(b02 && strcmp(b02, "optout:robots") == 0, "b02 (other host's robots): %s", b02 ? b02 : "(none)");
    free(b02);

    /* Pages. */
    char *st = tu_db_text(db, "SELECT state || ':' || reason FROM crawl_pages WHERE url = 'http://127.0.0.1:%d/private/secret.html'",
                  port);
    CHECK(st && strcmp(st, "skipped:robots") == 0, "secret.html: %s", st ? st : "(none)");
    free(st);
    st = tu_db_text(db, "SELECT state || ':' || reason FROM crawl_pages WHERE url = 'http://127.0.0.1:%d/missing.html'", port);
    CHECK(st && strcmp(st, "failed:http_404") == 0, "missing.html: %s", st ? st : "(none)");
    free(st);
    st = tu_db_text(db, "SELECT state || ':' || final_url FROM crawl_pages WHERE url = 'http://127.0.0.1:%d/redir.html'", port);
    char want[128];
    /* a redirect is not followed by the engine: its target is a page of its own (robots checked first) */
    snprintf(want, sizeof want, "skipped:http://127.0.0.1:%d/redirected.html", port);
    CHECK(st && strcmp(st, want) == 0, "redir.html: %s", st ? st : "(none)");
    free(st);
    st = tu_db_text(db, "SELECT state || ':' || depth FROM crawl_pages WHERE url = 'http://127.0.0.1:%d/redirected.html'", port);
    CHECK(st && strcmp(st, "fetched:1") == 0, "redirected.html: %s", st ? st : "(none)");
    free(st);
    char *pu = tu_db_text(db, "SELECT page_url FROM items WHERE url = %Q", url_in("/img/r1.jpg"));
    snprintf(want, sizeof want, "http://127.0.0.1:%d/redirected.html", port);
    CHECK(pu && strcmp(pu, want) == 0, "r1 page_url %s", pu ? pu : "(none)");
    free(pu);
    /* level1 is linked twice (#frag, /./): one row. level2 is beyond --depth 1. */
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE '%level1.html'"), 1);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE '%level2.html'"), 0);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE '%nofollow-target.html'"), 0);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE '%/ext.html'"), 0);
    /* Every candidate kept with its source and verdict. */
    char *c2 = tu_db_text(db, "SELECT group_concat(source || '=' || verdict || '/' || chosen, ',') FROM (SELECT c.* FROM "
                      "crawl_candidates c JOIN crawl_images i ON i.id = c.image_id WHERE i.url = %Q ORDER BY source)",
                  url_in("/img/a02.jpg"));
    CHECK(c2 && strstr(c2, "alt=filename/0") && strstr(c2, "figcaption=keep/1"), "a02 candidates: %s",
          c2 ? c2 : "(none)");
    free(c2);
    CHECK(qn(db, "SELECT count(*) FROM crawl_candidates WHERE source = 'nearby'") >= 1, "nearby candidates kept");
    /* robots.txt cached per host, both hosts */
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM crawl_hosts WHERE robots_status = 200"), 2);
    sqlite3_close(db);

    /* The access log: nothing disallowed, opted out, rejected or out of scope was asked for. */
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        CHECK(tu_access_log_count(srv, never[i]) == 0, "%s was requested", never[i]);
    CHECK_EQ_INT(tu_access_log_count(srv, "GET /robots.txt"), 2); /* once per host */
    CHECK_EQ_INT(tu_access_log_count(srv, "GET /.well-known/tdmrep.json"), 2);
    CHECK_EQ_INT(tu_access_log_count(srv, "GET /img/a01.jpg "), 1); /* found twice, fetched once */
    CHECK_EQ_INT(tu_access_log_count(srv, "GET /busy.html"), 2);    /* 429, then retried */
    CHECK_EQ_INT(tu_access_log_count(srv, "GET /img/rd2.jpg "), 1); /* 301 ... */
    CHECK_EQ_INT(tu_access_log_count(srv, "GET /img/rd2-target.jpg "), 1); /* ... then its target */
    CHECK_EQ_INT(tu_access_log_count(srv, "GET /img/rd1.jpg "), 1);
    CHECK_EQ_INT(tu_access_log_count(srv, "GET /img/rd3.jpg "), 1);
    CHECK_EQ_INT(tu_access_log_count(srv, "GET /img/rd-loop.jpg "), 6); /* the first and five redirects */
    char *log = tu_read_file(tu_server_access_log(srv), NULL);
    CHECK(log && strstr(log, "\"clipcrawl/"), "user agent names the tool");
    free(log);

    /* Running again finds everything done: no new requests, same samples. */
    int before = tu_access_log_count(srv, NULL);
    char *s1 = samples_of(out);
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--allow-private", "--depth", "1", "--host-delay", "0", "-q",
                     NULL);
    CHECK_EQ_INT(o.status, 0);
    tu_output_free(&o);
    CHECK_EQ_INT(tu_access_log_count(srv, NULL), before);
    char *s2 = samples_of(out);
    CHECK(strcmp(s1, s2) == 0, "a second run changed the samples");
    free(s1);
    free(s2);
}

static void test_depth_scope_maxpages(tu_server *srv, const char *tmp, const char *seed)
{
    tu_output o;
    /* --depth 2 reaches level2; --scope any follows the link to the other host. */
    char *out = xasprintf("%s/deep", tmp);
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--allow-private", "--depth", "2", "--scope", "any",
                     "--host-delay", "0", "--retries", "0", "-q", NULL);
    CHECK_EQ_INT(o.status, 0);
    tu_output_free(&o);
    sqlite3 *db = tu_index_open(out);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE '%level2.html' AND state = 'fetched'"), 1);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE '%localhost%/ext.html' AND state = 'fetched'"),
                 1);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM items WHERE url LIKE '%/cdn/b03.jpg' AND status = 'accepted'"), 1);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM crawl_pages WHERE url LIKE '%nofollow-target.html'"), 0);
    sqlite3_close(db);
    free(out);
    CHECK(tu_access_log_count(srv, "GET /level2.html") == 1, "level2 requested once");

    /* --max-pages 3: three page requests, the rest stays queued. */
    out = xasprintf("%s/max", tmp);
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--allow-private", "--depth", "1", "--max-pages", "3",
                     "--host-delay", "0", "--retries", "0", "-q", NULL);
    CHECK_EQ_INT(o.status, 0);
    tu_output_free(&o);
    db = tu_index_open(out);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM crawl_pages WHERE state IN ('fetched', 'failed')"), 3);
    CHECK(qn(db, "SELECT count(*) FROM crawl_pages WHERE state = 'queued'") > 5, "rest queued");
    sqlite3_close(db);
    free(out);
}

static void test_private_refused(tu_server *srv, const char *tmp, const char *seed)
{
    char *out = xasprintf("%s/private", tmp);
    int before = tu_access_log_count(srv, NULL);
    tu_output o;
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--host-delay", "0", "-q", NULL);
    /* every seed failed: exit 1 with the reasons */
    CHECK(o.status == 1 && strstr(tu_str(&o.err), "every seed failed") && strstr(tu_str(&o.err), "private_address"),
          "private seed: exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    CHECK_EQ_INT(tu_access_log_count(srv, NULL), before); /* not one request reached the server */
    sqlite3 *db = tu_index_open(out);
    char *st = tu_db_text(db, "SELECT state || ':' || reason FROM crawl_pages WHERE depth = 0");
    CHECK(st && strcmp(st, "failed:private_address") == 0, "seed on 127.0.0.1: %s", st ? st : "(none)");
    free(st);
    sqlite3_close(db);
    /* the same crawl with --allow-private tries the seed again */
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--host-delay", "0", "--allow-private", "-q", NULL);
    CHECK(o.status == 0 && strstr(tu_str(&o.err), "refused as private_address before are tried again"),
          "private seed again: exit %d: %s", o.status, tu_str(&o.err));
    tu_output_free(&o);
    db = tu_index_open(out);
    st = tu_db_text(db, "SELECT state FROM crawl_pages WHERE depth = 0");
    CHECK(st && strcmp(st, "fetched") == 0, "seed with --allow-private: %s", st ? st : "(none)");
    free(st);
    sqlite3_close(db);
    free(out);
}

static void test_host_delay(tu_server *srv, const char *tmp)
{
    /* Three pages and their images on one host with --host-delay 0.3: the
     * engine's schedule (its debug log, its own clock) starts them at least
     * 0.3 s apart, and the server saw exactly the requests it started. Not
     * the server's arrival times: under load those can come closer. */
    char *out = xasprintf("%s/delay", tmp);
    char *list = xasprintf("%s/delay-seeds.txt", tmp);
    char *text = xasprintf("# seeds\nhttp://127.0.0.1:%d/level1.html\n\nhttp://127.0.0.1:%d/redirected.html\n"
                           "http://127.0.0.1:%d/missing.html\nnot a url\n",
                           port, port, port);
    tu_write_file(list, text, strlen(text));
    char *log0 = tu_read_file(tu_server_access_log(srv), NULL);
    size_t off = log0 ? strlen(log0) : 0;
    free(log0);
    tu_output o;
    setenv("CLIPCRAWL_VERBOSE", "3", 1);
    tu_run_clipcrawl(&o, "crawl", list, "-o", out, "--allow-private", "--host-delay", "0.3", "--retries", "0",
                     "-q", NULL);
    unsetenv("CLIPCRAWL_VERBOSE");
    CHECK_EQ_INT(o.status, 0);
    CHECK(strstr(tu_str(&o.out), "\"bad_seeds\":1"), "bad seed counted: %s", tu_str(&o.out));
    /* "clipcrawl: debug: http: start t=T host=H attempt=N URL" */
    double prev = 0, min_gap = 1e9;
    int starts = 0;
    for (const char *line = tu_str(&o.err); line && *line;) {
        const char *t = strstr(line, "http: start t="), *nl = strchr(line, '\n');
        if (t && (!nl || t < nl)) {
            double when = atof(t + strlen("http: start t="));
            if (starts++ > 0 && when - prev < min_gap)
                min_gap = when - prev;
            prev = when;
        }
        line = nl ? nl + 1 : NULL;
    }
    tu_output_free(&o);
    char *log = tu_read_file(tu_server_access_log(srv), NULL);
    int n = 0;
    for (char *line = log + off; line && *line;) {
        n++;
        char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : NULL;
    }
    CHECK(n >= 6, "requests seen: %d", n); /* robots, tdmrep, 3 pages, images */
    CHECK(starts == n, "the engine started %d requests, the server saw %d", starts, n);
    CHECK(min_gap >= 0.3 - 1e-6, "smallest gap between starts to one host: %.6f s", min_gap);
    free(log);
    free(text);
    free(list);
    free(out);
}

static void test_kill_resume(tu_server *srv, const char *tmp, const char *seed, const char *reference)
{
    char *out = xasprintf("%s/killed", tmp);
    int before = tu_access_log_count(srv, NULL);
    pid_t pid = tu_spawn_clipcrawl(NULL, NULL, "crawl", seed, "-o", out, "--allow-private", "--depth", "1",
                                   "--host-delay", "0.08", "--retries", "1", "-q", NULL);
    double t0 = cc_now();
    while (tu_access_log_count(srv, NULL) < before + 22 && cc_now() - t0 < 20)
        usleep(20000);
    kill(pid, SIGKILL);
    int ws;
    waitpid(pid, &ws, 0);
    CHECK(WIFSIGNALED(ws), "crawl was killed mid-way");
    /* Pages the killed run finished (committed) must not be asked for again. */
    sqlite3 *db = tu_index_open(out);
    char *done = tu_db_text(db, "SELECT group_concat(substr(url, instr(substr(url, 8), '/') + 7), char(10)) FROM "
                        "crawl_pages WHERE state = 'fetched'");
    long n_done = qn(db, "SELECT count(*) FROM crawl_pages WHERE state = 'fetched'");
    long n_items = qn(db, "SELECT count(*) FROM items");
    sqlite3_close(db);
    int after_kill = tu_access_log_count(srv, NULL);
    fprintf(stderr, "killed after %d requests: %ld pages fetched, %ld items committed\n", after_kill - before, n_done,
            n_items);

    tu_output o;
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--allow-private", "--depth", "1", "--host-delay", "0",
                     "--retries", "1", "-q", NULL);
    CHECK_EQ_INT(o.status, 0);
    tu_output_free(&o);
    char *log = tu_read_file(tu_server_access_log(srv), NULL);
    /* skip the lines up to the kill */
    char *p = log;
    for (int i = 0; i < after_kill && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    for (char *d = done; d && *d;) {
        char *nl = strchr(d, '\n');
        if (nl)
            *nl = '\0';
        char needle[300];
        snprintf(needle, sizeof needle, "GET %s ", d);
        CHECK(!p || !strstr(p, needle), "finished page %s fetched again after resume", d);
        d = nl ? nl + 1 : NULL;
    }
    free(log);
    free(done);
    char *a = samples_of(reference), *b = samples_of(out);
    /* reference and resumed crawls ran against the same server: compare paths, not hosts */
    CHECK(strcmp(a, b) == 0, "resumed samples differ:\n--- uninterrupted\n%s\n--- killed+resumed\n%s", a, b);
    free(a);
    free(b);
    tu_output v;
    tu_run_clipcrawl(&v, "verify", out, NULL);
    CHECK_EQ_INT(v.status, 0);
    tu_output_free(&v);
    free(out);
}

/* The frontier's memory does not grow with its size. */
static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void frontier_round(const char *dir, long n_urls)
{
    char err[256];
    dataset *ds = dataset_open(dir, NULL, err, sizeof err);
    CHECK(ds != NULL, "dataset_open %s: %s", dir, err);
    if (!ds)
        return;
    frontier *f = frontier_open(ds, err, sizeof err);
    CHECK(f != NULL, "frontier_open: %s", err);
    if (!f) {
        dataset_close(ds, 0, NULL, 0);
        return;
    }
    char url[128];
    int began = frontier_begin(f);
    for (long i = 0; i < n_urls; i++) {
        snprintf(url, sizeof url, "http://h%ld.example/p/%ld.html", i % 997, i);
        frontier_add_page(f, url, 1, "http://h0.example/");
        if (i % 20000 == 19999) {
            frontier_commit(f, began);
            began = frontier_begin(f);
        }
    }
    frontier_commit(f, began);
    CHECK_EQ_INT(frontier_add_page(f, "http://h0.example/p/0.html", 1, NULL), 0); /* deduplicated */
    CHECK_EQ_INT(frontier_count_pages(f, "queued"), n_urls);
    frontier_page win[64];
    int64_t last = 0, got = 0;
    for (int b = 0; b < 8; b++) {
        int n = frontier_next_pages(f, win, 64);
        for (int i = 0; i < n; i++) {
            CHECK(win[i].id > last, "ids ascend");
            last = win[i].id;
            frontier_mark_page(f, win[i].id, "fetched", 200, NULL, NULL, 0, 0);
            frontier_page_clear(&win[i]);
        }
        got += n;
    }
    CHECK_EQ_INT(got, n_urls < 512 ? n_urls : 512);
    CHECK_EQ_INT(frontier_count_pages(f, "fetched"), got);
    frontier_free(f);
    CHECK(dataset_close(ds, 0, err, sizeof err) == CC_OK, "dataset_close: %s", err);
}

static void test_frontier_memory(const char *tmp)
{
    /* the frontier's tables come from the dataset's own migrations. Under
     * AddressSanitizer the quarantine keeps freed blocks resident, so RSS says
     * nothing there: the big round shrinks to 50k URLs (same checks of order
     * and dedup, minutes less) and the RSS bound is not checked. */
    const long n_big = tu_sanitized() ? 50000 : 1000000;
    char *small = xasprintf("%s/f1k", tmp), *big = xasprintf("%s/fbig", tmp);
    frontier_round(small, 1000);
    long rss_small = maxrss_kb();
    double t0 = cc_now();
    frontier_round(big, n_big);
    long rss_big = maxrss_kb();
    fprintf(stderr, "frontier: peak RSS %ld KiB after 1k URLs, %ld KiB after %ld URLs (%.1f s)\n", rss_small, rss_big,
            n_big, cc_now() - t0);
    if (tu_sanitized())
        fprintf(stderr, "frontier: RSS bound not checked under AddressSanitizer\n");
    else
        CHECK(rss_big - rss_small < 32 * 1024, "RSS grew %ld KiB from a 1k to a 1M-URL frontier", rss_big - rss_small);
    free(small);
    free(big);
}

/* The repeated-caption rule (COYO) at the end of a crawl: one caption on six
 * distinct images over three pages is boilerplate at threshold 5; the
 * captions that occur once stay. A separate little site, not linked from the
 * main one. */
static void test_repeated_captions(const char *tmp)
{
    put(H1 "shop/index.html", PAGE_HEAD "</head><body><a href=\"p1.html\">1</a> <a href=\"p2.html\">2</a> "
                                        "<a href=\"p3.html\">3</a></body></html>\n");
    static const char *const unique[] = {"A ceramic teapot with a bamboo handle on a wooden table",
                                         "Three linen tea towels folded on a kitchen shelf",
                                         "A copper kettle steaming on an old gas stove"};
    for (int pg = 1; pg <= 3; pg++) {
        char rel[64];
        snprintf(rel, sizeof rel, H1 "shop/p%d.html", pg);
        put(rel,
            PAGE_HEAD "</head><body>"
                      "<img src=\"/shop/img/r%da.jpg\" alt=\"Product photo from our online shop\">"
                      "<img src=\"/shop/img/r%db.jpg\" alt=\"Product photo from our online shop\">"
                      "<img src=\"/shop/img/u%d.jpg\" alt=\"%s\"></body></html>\n",
            pg, pg, pg, unique[pg - 1]);
        snprintf(rel, sizeof rel, H1 "shop/img/r%da.jpg", pg);
        put_jpeg(rel, 900u + (unsigned)pg * 3);
        snprintf(rel, sizeof rel, H1 "shop/img/r%db.jpg", pg);
        put_jpeg(rel, 901u + (unsigned)pg * 3);
        snprintf(rel, sizeof rel, H1 "shop/img/u%d.jpg", pg);
        put_jpeg(rel, 902u + (unsigned)pg * 3);
    }
    char *seed = xasprintf("http://127.0.0.1:%d/shop/index.html", port);
    char *out = xasprintf("%s/repeated", tmp);
    tu_output o;
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--allow-private", "--depth", "1", "--host-delay", "0",
                     "--retries", "0", "-q", "--filter", "boilerplate_repeat_threshold=5", NULL);
    CHECK_EQ_INT(o.status, 0);
    tu_output_free(&o);
    sqlite3 *db = tu_index_open(out);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM items WHERE status = 'rejected' AND reason = 'boilerplate' AND "
                        "caption_detail = 'repeated on 6 images from 3 pages or hosts'"),
                 6);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM items WHERE status = 'accepted' AND url LIKE '%/shop/img/u%'"), 3);
    sqlite3_close(db);
    free(out);
    /* the same caption on one page only is not enough (min sources 2) */
    out = xasprintf("%s/repeated1", tmp);
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--allow-private", "--depth", "1", "--max-pages", "2",
                     "--host-delay", "0", "--retries", "0", "-q", "--filter", "boilerplate_repeat_threshold=2", NULL);
    CHECK_EQ_INT(o.status, 0);
    tu_output_free(&o);
    db = tu_index_open(out);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM items WHERE reason = 'boilerplate'"), 0);
    CHECK_EQ_INT(qn(db, "SELECT count(*) FROM items WHERE status = 'accepted'"), 3);
    sqlite3_close(db);
    free(out);
    free(seed);
}

/* A robots.txt that answers 503 disallows everything for now (RFC 9309
 * 2.3.1.4), but that is not the site's wish: the image it stops is
 * 'failed' (robots_unavailable), not an opt-out, the 503 is not reused from
 * the cache by the next run, and --retry-failed fetches the image once
 * robots.txt answers. */
static void test_robots_unavailable(tu_server *srv, const char *tmp)
{
    put(H1 "down.html",
        PAGE_HEAD "</head><body><img src=\"http://down.test:%d/img/c1.jpg\" alt=\"A red telephone box on a "
                  "quiet village street\"></body></html>\n",
        port);
    put("hosts/down.test/_rules.json", "{\"/robots.txt\": {\"status\": 503}}\n");
    put_jpeg("hosts/down.test/img/c1.jpg", 301);
    char *out = xasprintf("%s/down", tmp), *seed = xasprintf("http://127.0.0.1:%d/down.html", port);
    char *resolve = xasprintf("down.test:%d:127.0.0.1", port);
    tu_output o;
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--allow-private", "--resolve", resolve, "--depth", "0",
                     "--host-delay", "0", "--retries", "0", "-q", NULL);
    CHECK_EQ_INT(o.status, 0);
    tu_output_free(&o);
    char *st = tu_index_text(out, "SELECT status || ':' || reason FROM items WHERE url LIKE '%%/img/c1.jpg'");
    CHECK(st && strcmp(st, "failed:robots_unavailable") == 0, "c1 behind a 503 robots.txt: %s", st ? st : "(none)");
    free(st);
    CHECK_EQ_INT(tu_access_log_count(srv, "GET /img/c1.jpg"), 0);
    /* the site is back */
    put("hosts/down.test/_rules.json", "{}\n");
    put("hosts/down.test/robots.txt", "User-agent: *\nAllow: /\n");
    tu_run_clipcrawl(&o, "crawl", seed, "-o", out, "--allow-private", "--resolve", resolve, "--depth", "0",
                     "--host-delay", "0", "--retry-failed", "-q", NULL);
    CHECK_EQ_INT(o.status, 0);
    tu_output_free(&o);
    st = tu_index_text(out, "SELECT status FROM items WHERE url LIKE '%%/img/c1.jpg'");
    CHECK(st && strcmp(st, "accepted") == 0, "c1 with --retry-failed once robots.txt answers: %s", st ? st : "(none)");
    free(st);
    CHECK_EQ_INT(tu_access_log_count(srv, "GET /img/c1.jpg"), 1);
    free(out);
    free(seed);
    free(resolve);
}

int main(void)
{
    char *tmp = tu_mkdtemp("crawl");
    test_frontier_memory(tmp);

    site_dir = xasprintf("%s/site", tmp);
    cc_mkdirs(site_dir, 0755);
    tu_server *srv = tu_fault_server_start(site_dir);
    port = tu_server_port(srv);
    make_site();
    char *seed = xasprintf("http://127.0.0.1:%d/", port);

    char *ref = xasprintf("%s/full", tmp);
    test_full_crawl(srv, seed, ref);
    test_private_refused(srv, tmp, seed);
    test_depth_scope_maxpages(srv, tmp, seed);
    test_host_delay(srv, tmp);
    test_robots_unavailable(srv, tmp);
    test_kill_resume(srv, tmp, seed, ref);
    test_repeated_captions(tmp);

    tu_server_stop(srv);
    if (!getenv("TU_KEEP"))
        tu_rm_rf(tmp);
    free(ref);
    free(seed);
    free(site_dir);
    free(tmp);
    return check_summary();
}
