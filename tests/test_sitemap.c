/* test_sitemap.c — sitemap_parse(): XML urlsets with image entries, sitemap
 * indexes, plain text, gzip (concatenated members, corrupt data, bombs), the
 * size/count bounds, entity safety. Inputs: tests/fuzz/corpus/sitemap (also the
 * fuzz corpus of fuzz_sitemap, replayed in suite "fuzz"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "check.h"
#include "common.h"
#include "sitemap.h"
#include "testutil.h"

static char *data_path(const char *name)
{
    const char *t = getenv("CLIPCRAWL_TESTS");
    return xasprintf("%s/fuzz/corpus/sitemap/%s", t ? t : "tests", name);
}

static int parse_file(const char *name, const sitemap_limits *lim, sitemap_result *r, char *err, size_t errlen)
{
    char *p = data_path(name);
    ccbuf b = {0};
    CHECK(cc_read_file(p, &b) == CC_OK, "read %s", p);
    int rc = sitemap_parse((const char *)b.data, b.len, "https://shop.example.com/sitemaps/s.xml", lim, r, err,
                           errlen);
    ccbuf_free(&b);
    free(p);
    return rc;
}

static void check_images_sitemap(const sitemap_result *r, const char *what)
{
    CHECK(r->kind == SITEMAP_URLSET, "%s: kind", what);
    CHECK(r->n_urls == 4, "%s: %zu urls, want 4", what, r->n_urls);
    if (r->n_urls != 4)
        return;
    CHECK_EQ_STR(r->urls[0].loc, "https://shop.example.com/products/blue-mug");
    CHECK(r->urls[0].n_images == 2, "%s: %zu images", what, r->urls[0].n_images);
    if (r->urls[0].n_images == 2) {
        const sitemap_image *im = r->urls[0].images;
        CHECK_EQ_STR(im[0].loc, "https://cdn.example.com/mug-full.jpg");
        CHECK_EQ_STR(im[0].caption, "Blue enamel camping mug on a wooden table");
        CHECK_EQ_STR(im[0].title, "Blue mug");
        CHECK_EQ_STR(im[1].loc, "https://shop.example.com/img/mug-side.jpg"); /* relative: resolved */
        CHECK(im[1].caption == NULL && im[1].title == NULL, "%s: no caption/title on the second image", what);
    }
    /* CDATA (a raw & inside) */
    CHECK_EQ_STR(r->urls[1].loc, "https://shop.example.com/products/red-kettle?x=1&y=2");
    CHECK_EQ_STR(r->urls[2].loc, "https://shop.example.com/about");
    CHECK_EQ_STR(r->urls[3].loc, "https://shop.example.com/a&b");
    CHECK(r->urls[1].n_images == 0, "%s: images on url 2", what);
    CHECK(r->n_skipped == 2, "%s: skipped %zu, want 2 (mailto, empty)", what, r->n_skipped);
    CHECK(!r->truncated, "%s: truncated", what);
}

static void test_files(void)
{
    sitemap_result r;
    char err[256] = "";
    CHECK(parse_file("images.xml", NULL, &r, err, sizeof err) == 0, "images.xml: %s", err);
    check_images_sitemap(&r, "images.xml");
    CHECK(!r.gzipped, "images.xml not gzipped");
    sitemap_result_free(&r);

    CHECK(parse_file("images.xml.gz", NULL, &r, err, sizeof err) == 0, "images.xml.gz: %s", err);
    check_images_sitemap(&r, "images.xml.gz");
    CHECK(r.gzipped, "images.xml.gz gzipped");
    sitemap_result_free(&r);

    CHECK(parse_file("index.xml", NULL, &r, err, sizeof err) == 0, "index.xml: %s", err);
    CHECK(r.kind == SITEMAP_INDEX && r.n_sitemaps == 2 && r.n_urls == 0, "index: kind %d, %zu sitemaps", r.kind,
          r.n_sitemaps);
    if (r.n_sitemaps == 2) {
        CHECK_EQ_STR(r.sitemaps[0], "https://example.com/sitemap-pages.xml.gz");
        CHECK_EQ_STR(r.sitemaps[1], "https://shop.example.com/sitemap-images.xml");
    }
    CHECK(r.n_skipped == 1, "index: skipped %zu", r.n_skipped);
    sitemap_result_free(&r);

    CHECK(parse_file("plain.txt", NULL, &r, err, sizeof err) == 0, "plain.txt: %s", err);
    CHECK(r.kind == SITEMAP_URLSET && r.n_urls == 2 && r.n_skipped == 2, "plain: %zu urls %zu skipped", r.n_urls,
          r.n_skipped);
    if (r.n_urls == 2) {
        CHECK_EQ_STR(r.urls[0].loc, "https://example.com/one");
        CHECK_EQ_STR(r.urls[1].loc, "https://example.com/two");
    }
    sitemap_result_free(&r);

    /* external entities are not loaded (no file, no network) */
    CHECK(parse_file("xxe.xml", NULL, &r, err, sizeof err) == 0, "xxe.xml: %s", err);
    CHECK(r.n_urls == 3, "xxe: %zu urls", r.n_urls);
    for (size_t i = 0; i < r.n_urls; i++)
        CHECK(strncmp(r.urls[i].loc, "https://example.com/", 20) == 0 && strlen(r.urls[i].loc) < 24,
              "xxe: entity expanded into %s", r.urls[i].loc);
    sitemap_result_free(&r);
    /* billion laughs: refused or cut, never expanded */
    int rc = parse_file("laughs.xml", NULL, &r, err, sizeof err);
    CHECK(rc == -1 || r.truncated, "laughs: rc %d truncated %d", rc, r.truncated);
    for (size_t i = 0; i < r.n_urls; i++)
        CHECK(strlen(r.urls[i].loc) < 64, "laughs: entity expanded (%zu bytes)", strlen(r.urls[i].loc));
    sitemap_result_free(&r);

    /* malformed: what came before the damage is kept */
    CHECK(parse_file("broken.xml", NULL, &r, err, sizeof err) == 0, "broken.xml: %s", err);
    CHECK(r.n_urls >= 1 && strcmp(r.urls[0].loc, "https://example.com/first") == 0, "broken: %zu urls", r.n_urls);
    sitemap_result_free(&r);

    err[0] = 0;
    CHECK(parse_file("html.html", NULL, &r, err, sizeof err) == -1 && strstr(err, "<html>"), "html refused: %s", err);
    CHECK(r.n_urls == 0 && r.urls == NULL, "html: result zeroed");
    sitemap_result_free(&r);

    CHECK(sitemap_parse("x", 1, "notaurl", NULL, &r, err, sizeof err) == -1 && strstr(err, "notaurl"),
          "bad base: %s", err);
    CHECK(sitemap_parse("", 0, "https://e.com/s.xml", NULL, &r, err, sizeof err) == -1, "empty refused");
    CHECK(sitemap_parse("hello world\nstill not\n", 22, "https://e.com/s.xml", NULL, &r, err, sizeof err) == -1 &&
              strstr(err, "neither"),
          "prose refused: %s", err);
    sitemap_result_free(&r);
}

static void test_gzip(void)
{
    sitemap_result r;
    char err[256] = "";
    /* two concatenated members form one file */
    const char *a = "<urlset><url><loc>https://e.com/a</loc></url>", *b = "<url><loc>https://e.com/b</loc></url></urlset>";
    ccbuf g = {0};
    tu_gzip(&g, a, strlen(a));
    tu_gzip(&g, b, strlen(b));
    CHECK(sitemap_parse((char *)g.data, g.len, "https://e.com/s.xml.gz", NULL, &r, err, sizeof err) == 0, "%s", err);
    CHECK(r.n_urls == 2 && r.gzipped && !r.truncated, "two members: %zu urls", r.n_urls);
    sitemap_result_free(&r);

    /* corrupt before anything came out */
    char bad[] = "\x1f\x8b\x08\x00garbagegarbagegarbage";
    CHECK(sitemap_parse(bad, sizeof bad - 1, "https://e.com/s.gz", NULL, &r, err, sizeof err) == -1 &&
              strstr(err, "gzip"),
          "corrupt gzip: %s", err);

    /* truncated stream: what was inflated is kept, flagged truncated */
    ccbuf_reset(&g);
    ccbuf big = {0};
    ccbuf_puts(&big, "<urlset>");
    for (int i = 0; i < 2000; i++)
        ccbuf_printf(&big, "<url><loc>https://e.com/p%d</loc></url>\n", i);
    ccbuf_puts(&big, "</urlset>");
    tu_gzip(&g, big.data, big.len);
    CHECK(sitemap_parse((char *)g.data, g.len / 2, "https://e.com/s.gz", NULL, &r, err, sizeof err) == 0, "%s", err);
    CHECK(r.truncated && r.n_urls > 10 && r.n_urls < 2000, "half a gzip: %zu urls, truncated %d", r.n_urls,
          r.truncated);
    sitemap_result_free(&r);

    /* a gzip bomb: 32 MiB of white space in ~32 KiB stops at max_bytes */
    size_t bomb_n = 32u << 20;
    char *ws = malloc(bomb_n);
    CHECK(ws != NULL, "malloc");
    memset(ws, ' ', bomb_n);
    memcpy(ws, "<urlset><url><loc>https://e.com/x</loc></url>", 45);
    ccbuf_reset(&g);
    tu_gzip(&g, ws, bomb_n);
    free(ws);
    sitemap_limits lim;
    sitemap_limits_init(&lim);
    lim.max_bytes = 1u << 20;
    CHECK(sitemap_parse((char *)g.data, g.len, "https://e.com/s.gz", &lim, &r, err, sizeof err) == 0, "%s", err);
    CHECK(r.truncated && r.n_urls == 1, "bomb: truncated %d, %zu urls", r.truncated, r.n_urls);
    sitemap_result_free(&r);
    ccbuf_free(&g);
    ccbuf_free(&big);
}

static void test_limits(void)
{
    sitemap_result r;
    char err[256] = "";
    sitemap_limits lim;
    sitemap_limits_init(&lim);
    CHECK(lim.max_entries == 50000 && lim.max_bytes == 50u * 1024 * 1024 && lim.max_images_per_url == 1000,
          "protocol defaults");
    /* the entry cap */
    ccbuf x = {0};
    ccbuf_puts(&x, "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>");
    for (int i = 0; i < 120; i++)
        ccbuf_printf(&x, "<url><loc>https://e.com/p%d</loc></url>", i);
    ccbuf_puts(&x, "</urlset>");
    lim.max_entries = 100;
    CHECK(sitemap_parse((char *)x.data, x.len, "https://e.com/s.xml", &lim, &r, err, sizeof err) == 0, "%s", err);
    CHECK(r.n_urls == 100 && r.truncated && r.n_skipped == 20, "cap: %zu urls, %zu skipped", r.n_urls, r.n_skipped);
    sitemap_result_free(&r);
    /* the byte cap on a plain file */
    sitemap_limits_init(&lim);
    lim.max_bytes = 1000;
    CHECK(sitemap_parse((char *)x.data, x.len, "https://e.com/s.xml", &lim, &r, err, sizeof err) == 0, "%s", err);
    CHECK(r.truncated && r.n_urls > 5 && r.n_urls < 40, "byte cap: %zu urls", r.n_urls);
    sitemap_result_free(&r);
    /* images per page, long captions cut on a character boundary */
    ccbuf_reset(&x);
    ccbuf_puts(&x, "<urlset xmlns:i='http://www.google.com/schemas/sitemap-image/1.1'><url><loc>https://e.com/</loc>");
    for (int i = 0; i < 7; i++) {
        ccbuf_printf(&x, "<i:image><i:loc>https://e.com/%d.jpg</i:loc><i:caption>", i);
        for (int k = 0; k < 1500; k++)
            ccbuf_puts(&x, "é");
        ccbuf_puts(&x, "</i:caption></i:image>");
    }
    ccbuf_puts(&x, "</url></urlset>");
    sitemap_limits_init(&lim);
    lim.max_images_per_url = 5;
    CHECK(sitemap_parse((char *)x.data, x.len, "https://e.com/s.xml", &lim, &r, err, sizeof err) == 0, "%s", err);
    CHECK(r.n_urls == 1 && r.urls[0].n_images == 5 && r.n_skipped == 2, "images cap: %zu", r.n_urls ? r.urls[0].n_images : 0);
    if (r.n_urls == 1 && r.urls[0].n_images > 0) {
        const char *c = r.urls[0].images[0].caption;
        size_t cl = c ? strlen(c) : 0;
        CHECK(cl > 0 && cl <= 2048 && cl % 2 == 0, "caption cut to %zu bytes on a character boundary", cl);
    }
    sitemap_result_free(&r);
    /* an image without loc is skipped; video titles are not image titles */
    const char *v = "<urlset><url><loc>https://e.com/v</loc><image><caption>no loc</caption></image>"
                    "<video><title>Video</title><loc>https://e.com/v.mp4</loc></video></url></urlset>";
    CHECK(sitemap_parse(v, strlen(v), "https://e.com/s.xml", NULL, &r, err, sizeof err) == 0, "%s", err);
    CHECK(r.n_urls == 1 && r.urls[0].n_images == 0 && r.n_skipped == 1, "no-loc image skipped");
    sitemap_result_free(&r);
    ccbuf_free(&x);
}

int main(void)
{
    test_files();
    test_gzip();
    test_limits();
    return check_summary();
}
