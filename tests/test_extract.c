/* test_extract.c — HTML extraction (suite html): every page in
 * tests/data/html/ against its .expect sidecar, unit cases for srcset,
 * caption choice and opt-out parsing. The fuzz corpus (wget2's HTML seeds
 * and these pages) replays in the fuzz suite.
 *
 * Sidecar format, one directive a line, TAB-separated:
 *   page URL CONTENT-TYPE|-        (first line: how the page was fetched)
 *   count N                        exact number of images
 *   image URL SOURCE TEXT          that image has that caption candidate
 *   nocand URL SOURCE              that image has no candidate of SOURCE
 *   ncands URL SOURCE N            exactly N candidates of SOURCE
 *   best URL SOURCE                its first (highest-priority) candidate
 *   choose URL SOURCE              extract_choose_caption with the test judge picks SOURCE
 *   via URL VIA / width URL N      how it was found / its width
 *   place URL NAMES|-              its placement bits exactly (cc_place_format; "-" = page only)
 *   repeats URL N                  its alt_repeats
 *   noimage URL                    not among the images
 *   link URL follow|nofollow / links N
 *   optout REASON|none / nooptout REASON / tdm_policy URL
 *   charset NAME / title TEXT / base URL
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>

#include "check.h"
#include "common.h"
#include "extract-nav.h"
#include "extract-place.h"
#include "extract.h"
#include "optout.h"


/* The test judge: at least two words (stands in for filters' caption_judge). */
static int judge_words(const char *text, const extract_image *img, void *ctx, const char **reason)
{
    (void)ctx;
    (void)img;
    if (!strchr(text, ' ')) {
        *reason = "too_few_words";
        return 0;
    }
    return 1;
}

/* A judge that uses the placement: nothing in navigation; records the image. */
static int judge_not_nav(const char *text, const extract_image *img, void *ctx, const char **reason)
{
    (void)text;
    *(const extract_image **)ctx = img;
    if (img && (img->placement & CC_PLACE_NAV)) {
        *reason = "boilerplate";
        return 0;
    }
    return 1;
}

static const extract_image *find_img(const extract_result *r, const char *url)
{
    for (size_t i = 0; i < r->n_images; i++)
        if (strcmp(r->images[i].url, url) == 0)
            return &r->images[i];
    return NULL;
}

static void dump(const char *name, const extract_result *r)
{
    fprintf(stderr, "--- %s: %zu images, %zu links, charset %s, optout %u\n", name, r->n_images, r->n_links,
            r->charset, r->optout);
    for (size_t i = 0; i < r->n_images; i++) {
        char pl[160];
        fprintf(stderr, "  %s (%s, w=%d, place \"%s\", alt_repeats %d)\n", r->images[i].url, r->images[i].via,
                r->images[i].width, cc_place_format(r->images[i].placement, pl, sizeof pl), r->images[i].alt_repeats);
        for (size_t j = 0; j < r->images[i].n_cands; j++)
            fprintf(stderr, "    %s: %s\n", caption_source_name(r->images[i].cands[j].source),
                    r->images[i].cands[j].text);
    }
    for (size_t i = 0; i < r->n_images; i++)
        if (r->images[i].fallback_url)
            fprintf(stderr, "  %s fallback %s via %s%s\n", r->images[i].url, r->images[i].fallback_url,
                    r->images[i].fallback_via, r->images[i].url_unverified ? " (unverified)" : "");
    for (size_t i = 0; i < r->n_links; i++)
        fprintf(stderr, "  link %s%s\n", r->links[i].url, r->links[i].nofollow ? " nofollow" : "");
}

static int run_page(const char *dir, const char *name)
{
    char *hp = xasprintf("%s/%s.html", dir, name), *ep = xasprintf("%s/%s.expect", dir, name);
    ccbuf html = {0}, exp = {0};
    CHECK(cc_read_file(hp, &html) == CC_OK, "read %s", hp);
    CHECK(cc_read_file(ep, &exp) == CC_OK, "read %s", ep);
    int before = check_failed_;
    extract_result r;
    memset(&r, 0, sizeof r);
    int parsed = 0;
    char *save = NULL;
    for (char *line = exp.data ? strtok_r((char *)exp.data, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[5] = {0};
        int k = 0;
        char *p = line;
        while (k < 5) {
            f[k++] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = 0;
            p = tab + 1;
        }
        const char *d = f[0];
        if (strcmp(d, "page") == 0) {
            char err[200] = "";
            const char *ct = f[2] && strcmp(f[2], "-") != 0 ? f[2] : NULL;
            CHECK(extract_page_opts((char *)html.data, html.len, f[1], ct, NULL, &r, err, sizeof err) == 0,
                  "%s: extract: %s", name, err);
            parsed = 1;
            continue;
        }
        CHECK(parsed, "%s: 'page' must come first", name);
        const extract_image *im = f[1] ? find_img(&r, f[1]) : NULL;
        if (strcmp(d, "count") == 0) {
            CHECK((long)r.n_images == atol(f[1]), "%s: %zu images, want %s", name, r.n_images, f[1]);
        } else if (strcmp(d, "links") == 0) {
            CHECK((long)r.n_links == atol(f[1]), "%s: %zu links, want %s", name, r.n_links, f[1]);
        } else if (strcmp(d, "image") == 0 || strcmp(d, "nocand") == 0 || strcmp(d, "ncands") == 0) {
            CHECK(im != NULL, "%s: image %s not found", name, f[1]);
            if (!im)
                continue;
            int src = caption_source_parse(f[2]);
            CHECK(src >= 0, "%s: bad source %s", name, f[2]);
            int found = 0, n_src = 0;
            for (size_t j = 0; j < im->n_cands; j++) {
                if ((int)im->cands[j].source != src)
                    continue;
                n_src++;
                if (f[3] && strcmp(im->cands[j].text, f[3]) == 0)
                    found = 1;
            }
            if (d[0] == 'i')
                CHECK(found, "%s: %s lacks %s candidate '%s'", name, f[1], f[2], f[3]);
            else if (d[0] == 'n' && d[1] == 'o')
                CHECK(n_src == 0, "%s: %s has %d %s candidates", name, f[1], n_src, f[2]);
            else
                CHECK(n_src == atoi(f[3]), "%s: %s has %d %s candidates, want %s", name, f[1], n_src, f[2], f[3]);
        } else if (strcmp(d, "best") == 0) {
            CHECK(im && im->n_cands && strcmp(caption_source_name(im->cands[0].source), f[2]) == 0,
                  "%s: best of %s is not %s", name, f[1], f[2]);
        } else if (strcmp(d, "choose") == 0) {
            const char *why = NULL;
            int i = im ? extract_choose_caption(im, judge_words, NULL, &why) : -1;
            CHECK(i >= 0 && strcmp(caption_source_name(im->cands[i].source), f[2]) == 0,
                  "%s: chosen caption of %s is not %s", name, f[1], f[2]);
        } else if (strcmp(d, "via") == 0) {
            CHECK(im && strcmp(im->via, f[2]) == 0, "%s: %s via %s, want %s", name, f[1], im ? im->via : "-", f[2]);
        } else if (strcmp(d, "fallback") == 0) {
            CHECK(im && im->fallback_url && strcmp(im->fallback_url, f[2]) == 0 && im->fallback_via &&
                      strcmp(im->fallback_via, f[3]) == 0,
                  "%s: fallback of %s is %s via %s, want %s via %s", name, f[1],
                  im && im->fallback_url ? im->fallback_url : "-", im && im->fallback_via ? im->fallback_via : "-",
                  f[2], f[3]);
        } else if (strcmp(d, "nofallback") == 0) {
            CHECK(im && !im->fallback_url && !im->fallback_via, "%s: %s has a fallback", name, f[1]);
        } else if (strcmp(d, "unverified") == 0) {
            CHECK(im && im->url_unverified == atoi(f[2]), "%s: %s unverified %d", name, f[1],
                  im ? im->url_unverified : -1);
        } else if (strcmp(d, "width") == 0) {
            CHECK(im && im->width == atoi(f[2]), "%s: width of %s", name, f[1]);
        } else if (strcmp(d, "place") == 0) {
            char got[160];
            const char *want = strcmp(f[2], "-") == 0 ? "" : f[2];
            CHECK(im && (im->placement & CC_PLACE_PAGE) &&
                      strcmp(cc_place_format(im->placement, got, sizeof got), want) == 0,
                  "%s: placement of %s is \"%s\", want \"%s\"", name, f[1], im ? got : "-", want);
        } else if (strcmp(d, "repeats") == 0) {
            CHECK(im && im->alt_repeats == atoi(f[2]), "%s: alt_repeats of %s is %d, want %s", name, f[1],
                  im ? im->alt_repeats : -1, f[2]);
        } else if (strcmp(d, "noimage") == 0) {
            CHECK(im == NULL, "%s: unexpected image %s", name, f[1]);
        } else if (strcmp(d, "link") == 0) {
            int found = -1;
            for (size_t i = 0; i < r.n_links; i++)
                if (strcmp(r.links[i].url, f[1]) == 0)
                    found = r.links[i].nofollow;
            CHECK(found == (strcmp(f[2], "nofollow") == 0), "%s: link %s %s (got %d)", name, f[1], f[2], found);
        } else if (strcmp(d, "optout") == 0) {
            if (strcmp(f[1], "none") == 0)
                CHECK(r.optout == 0, "%s: optout %u", name, r.optout);
            else
                CHECK((strcmp(f[1], "noai") == 0 && (r.optout & OPTOUT_NOAI)) ||
                          (strcmp(f[1], "noimageai") == 0 && (r.optout & OPTOUT_NOIMAGEAI)) ||
                          (strcmp(f[1], "tdm_reservation") == 0 && (r.optout & OPTOUT_TDM_RESERVATION)),
                      "%s: optout %s missing (mask %u)", name, f[1], r.optout);
        } else if (strcmp(d, "nooptout") == 0) {
            CHECK(!(strcmp(f[1], "noai") == 0 && (r.optout & OPTOUT_NOAI)), "%s: unexpected %s", name, f[1]);
        } else if (strcmp(d, "tdm_policy") == 0) {
            CHECK(r.tdm_policy && strcmp(r.tdm_policy, f[1]) == 0, "%s: tdm_policy", name);
        } else if (strcmp(d, "charset") == 0) {
            CHECK(r.charset && strcmp(r.charset, f[1]) == 0, "%s: charset %s want %s", name, r.charset, f[1]);
        } else if (strcmp(d, "title") == 0) {
            CHECK(r.title && strcmp(r.title, f[1]) == 0, "%s: title '%s'", name, r.title ? r.title : "");
        } else if (strcmp(d, "base") == 0) {
            CHECK(r.base_url && strcmp(r.base_url, f[1]) == 0, "%s: base '%s'", name, r.base_url);
        } else {
            CHECK(0, "%s: unknown directive '%s'", name, d);
        }
    }
    if (check_failed_ != before || getenv("EXTRACT_DUMP"))
        dump(name, &r);
    extract_result_free(&r);
    ccbuf_free(&html);
    ccbuf_free(&exp);
    free(hp);
    free(ep);
    return parsed;
}

static int run_dir(const char *sub)
{
    const char *t = getenv("CLIPCRAWL_TESTS");
    char *dir = xasprintf("%s/data/%s", t ? t : "tests", sub);
    DIR *d = opendir(dir);
    CHECK(d != NULL, "open %s", dir);
    int pages = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 5 && strcmp(e->d_name + n - 5, ".html") == 0) {
            char *name = xstrndup(e->d_name, n - 5);
            pages += run_page(dir, name);
            free(name);
        }
    }
    if (d)
        closedir(d);
    free(dir);
    return pages;
}

static void test_pages(void)
{
    int pages = run_dir("html");
    printf("html pages checked: %d\n", pages);
    CHECK(pages >= 10, "only %d pages", pages);
    /* saved real pages (tests/data/html-real/README.md): navigation must not
     * become nearby text, the text about an image must */
    int real = run_dir("html-real");
    printf("real pages checked: %d\n", real);
    CHECK(real >= 4, "only %d real pages", real);
}

static void test_srcset(void)
{
    int w;
    char *u = extract_srcset_pick("a.jpg 100w, b.jpg 900w, c.jpg 2000w", 1000, &w);
    CHECK(u && strcmp(u, "b.jpg") == 0 && w == 900, "srcset cap");
    free(u);
    u = extract_srcset_pick("a.jpg 100w, b.jpg 900w", 50, &w);
    CHECK(u && strcmp(u, "a.jpg") == 0 && w == 100, "srcset all wider than the cap: narrowest");
    free(u);
    u = extract_srcset_pick("a.jpg 1.5x, b.jpg", 1000, &w);
    CHECK(u && strcmp(u, "a.jpg") == 0 && w == 0, "srcset x");
    free(u);
    u = extract_srcset_pick("a.jpg,, b.jpg 0.5x", 1000, NULL);
    CHECK(u && strcmp(u, "a.jpg") == 0, "srcset URL ending in a comma has no descriptor (1x)");
    free(u);
    u = extract_srcset_pick("a.jpg,b.jpg 2x", 1000, NULL); /* one URL: commas inside a URL are kept */
    CHECK(u && strcmp(u, "a.jpg,b.jpg") == 0, "srcset comma inside URL");
    free(u);
    u = extract_srcset_pick("x.jpg 10q, y.jpg 300w", 1000, NULL);
    CHECK(u && strcmp(u, "y.jpg") == 0, "srcset bad descriptor skipped: %s", u ? u : "NULL");
    free(u);
    CHECK(extract_srcset_pick("  , ,", 1000, NULL) == NULL, "empty srcset");
    CHECK(extract_srcset_pick(NULL, 1000, NULL) == NULL, "NULL srcset");
}

static void test_choose(void)
{
    caption_candidate c[3] = {{CAPTION_ALT, "SKU-89240-BLK"}, {CAPTION_FIGCAPTION, "Black leather boots"},
                              {CAPTION_NEARBY, "In stock now"}};
    extract_image im = {0};
    im.cands = c;
    im.n_cands = 3;
    const char *why = NULL;
    CHECK_EQ_INT(extract_choose_caption(&im, judge_words, NULL, &why), 1);
    im.n_cands = 1;
    CHECK_EQ_INT(extract_choose_caption(&im, judge_words, NULL, &why), -1);
    CHECK(why && strcmp(why, "too_few_words") == 0, "reason of the best candidate");
    im.n_cands = 0;
    CHECK_EQ_INT(extract_choose_caption(&im, judge_words, NULL, &why), -1);
    CHECK(why && strcmp(why, "no_caption") == 0, "no candidates");
    im.n_cands = 1;
    CHECK_EQ_INT(extract_choose_caption(&im, NULL, NULL, NULL), 0);
    /* the judge sees the image: a judge that turns navigation away */
    im.n_cands = 3;
    im.placement = CC_PLACE_PAGE | CC_PLACE_NAV;
    const extract_image *seen = NULL;
    CHECK_EQ_INT(extract_choose_caption(&im, judge_not_nav, &seen, &why), -1);
    CHECK(seen == &im && why && strcmp(why, "boilerplate") == 0, "judge given the image");
    im.placement = CC_PLACE_PAGE | CC_PLACE_CONTENT;
    CHECK_EQ_INT(extract_choose_caption(&im, judge_not_nav, &seen, &why), 0);
    for (int s = 0; s < CAPTION_SOURCE__COUNT; s++)
        CHECK_EQ_INT(caption_source_parse(caption_source_name((caption_source)s)), s);
    CHECK_EQ_INT(caption_source_parse("bogus"), -1);

    extract_result r;
    char err[200] = "";
    CHECK(extract_page_opts("<p>", 3, "ftp://x/", NULL, NULL, &r, err, sizeof err) == -1 && err[0], "bad page URL");
    extract_result_free(&r);
    CHECK(extract_page("", 0, "http://x/", NULL, &r) == 0 && r.n_images == 0, "empty page");
    extract_result_free(&r);
    extract_result_free(NULL);
    /* nearby window is bounded */
    ccbuf b = {0};
    ccbuf_puts(&b, "<p>");
    for (int i = 0; i < 300; i++)
        ccbuf_printf(&b, "word%d ", i);
    ccbuf_puts(&b, "<img src=a.jpg>");
    for (int i = 0; i < 300; i++)
        ccbuf_printf(&b, "after%d ", i);
    extract_options o;
    extract_options_init(&o);
    o.nearby_max = 120;
    CHECK(extract_page_opts((char *)b.data, b.len, "http://x/", NULL, &o, &r, NULL, 0) == 0 && r.n_images == 1,
          "long nearby page");
    if (r.n_images == 1 && r.images[0].n_cands == 1) {
        const char *t = r.images[0].cands[0].text;
        CHECK(strlen(t) <= 120 && strstr(t, "word299") && strstr(t, "after0"), "nearby window around the image: %s", t);
    } else {
        CHECK(0, "nearby candidate missing");
    }
    extract_result_free(&r);
    ccbuf_free(&b);
}

static void test_optout(void)
{
    CHECK_EQ_INT(optout_robots_meta("noindex,NOAI"), OPTOUT_NOAI);
    CHECK_EQ_INT(optout_robots_meta(" noimageai "), OPTOUT_NOIMAGEAI);
    CHECK_EQ_INT(optout_robots_meta("noainoimageai"), 0);
    CHECK_EQ_INT(optout_robots_meta(NULL), 0);
    CHECK_EQ_INT(optout_xrobots("noai", "clipcrawl"), OPTOUT_NOAI);
    CHECK_EQ_INT(optout_xrobots("otherbot: noai", "clipcrawl"), 0);
    CHECK_EQ_INT(optout_xrobots("clipcrawl: noimageai", "clipcrawl"), OPTOUT_NOIMAGEAI);
    CHECK_EQ_INT(optout_xrobots("noindex, nofollow", "clipcrawl"), 0);
    CHECK_EQ_INT(optout_tdm_value(" 1 "), OPTOUT_TDM_RESERVATION);
    CHECK_EQ_INT(optout_tdm_value("0"), 0);
    CHECK_EQ_INT(optout_tdm_value("10"), 0);
    CHECK_EQ_STR(optout_reason(OPTOUT_TDM_RESERVATION | OPTOUT_NOIMAGEAI), "noimageai");
    CHECK_EQ_STR(optout_reason(OPTOUT_TDM_RESERVATION), "tdm_reservation");
    CHECK(optout_reason(0) == NULL, "no reason");

    const char *j = "[{\"location\": \"/images/*.jpg$\", \"tdm-reservation\": 1, \"tdm-policy\": \"https://h/p.json\"},"
                    " {\"location\": \"/images/free/\", \"tdm-reservation\": 0},"
                    " {\"location\": \"/images/\", \"tdm-reservation\": 1},"
                    " {\"location\": \"blog\", \"tdm-reservation\": 1}, {\"nolocation\": 1}]";
    char err[200] = "";
    tdmrep *t = tdmrep_parse(j, strlen(j), err, sizeof err);
    CHECK(t != NULL, "tdmrep parse: %s", err);
    CHECK_EQ_INT(tdmrep_count(t), 4);
    const char *pol = NULL;
    CHECK_EQ_INT(tdmrep_reserved(t, "/images/a/b.jpg", &pol), OPTOUT_TDM_RESERVATION);
    CHECK(pol && strcmp(pol, "https://h/p.json") == 0, "policy");
    CHECK_EQ_INT(tdmrep_reserved(t, "/images/a/b.jpg?x=1", NULL), OPTOUT_TDM_RESERVATION); /* falls to /images/ */
    CHECK_EQ_INT(tdmrep_reserved(t, "/images/free/c.png", &pol), 0); /* first match wins */
    CHECK_EQ_INT(tdmrep_reserved(t, "http://h/images/c.png#x", NULL), OPTOUT_TDM_RESERVATION);
    CHECK_EQ_INT(tdmrep_reserved(t, "/blog/post", NULL), OPTOUT_TDM_RESERVATION);
    CHECK_EQ_INT(tdmrep_reserved(t, "/other", NULL), 0);
    CHECK_EQ_INT(tdmrep_reserved(NULL, "/images/", NULL), 0);
    tdmrep_free(t);
    tdmrep_free(NULL);
    CHECK(tdmrep_parse("{\"location\":\"/\"}", 16, err, sizeof err) == NULL && strstr(err, "array"), "not an array: %s", err);
    CHECK(tdmrep_parse("[1,", 3, err, sizeof err) == NULL && err[0], "bad json");
}

/* The X-Robots-Tag grammar (the HTTP engine stops a transfer on it). */
static void test_xrobots(void)
{
    static const struct { const char *hv, *agent, *want; } t[] = {
        {"noai", "clipcrawl", "noai"},
        {"noimageai", "clipcrawl", "noimageai"},
        {"NoAI", "clipcrawl", "noai"},
        {"noindex, nofollow", "clipcrawl", NULL},
        {"none", "clipcrawl", NULL},
        {"noindex", "clipcrawl", NULL},
        {"noindex, noimageai", "clipcrawl", "noimageai"},
        {"noindex,noai", "clipcrawl", "noai"},
        {"  noai  ", "clipcrawl", "noai"},
        {"googlebot: noai", "clipcrawl", NULL},
        {"clipcrawl: noai", "clipcrawl", "noai"},
        {"ClipCrawl: noimageai", "clipcrawl", "noimageai"},
        {"clipcrawl:noai", "clipcrawl", "noai"},
        {"googlebot: noindex, noai", "clipcrawl", NULL},      /* both for googlebot */
        {"googlebot: noindex, clipcrawl: noai", "clipcrawl", "noai"},
        {"clipcrawl: noindex, googlebot: noai", "clipcrawl", NULL},
        {"googlebot: noai\nnoimageai", "clipcrawl", "noimageai"}, /* second header unprefixed */
        {"googlebot: noai\nclipcrawl: none", "clipcrawl", NULL},
        {"noindex\nnoai", "clipcrawl", "noai"},
        {"unavailable_after: 25 Jun 2010 15:00:00 PST, noai", "clipcrawl", "noai"},
        {"max-image-preview: large", "clipcrawl", NULL},
        {"max-snippet: 20, noimageai", "clipcrawl", "noimageai"},
        {"clipcrawlx: noai", "clipcrawl", NULL},
        {"noaix, xnoai, no-ai", "clipcrawl", NULL},
        {"", "clipcrawl", NULL},
        {",,,", "clipcrawl", NULL},
        {"clipcrawl:", "clipcrawl", NULL},
        {"noai", NULL, "noai"},
        {"clipcrawl: noai", NULL, NULL},
        {NULL, "clipcrawl", NULL},
        {"noindex\r\nnoai\r\n", "clipcrawl", "noai"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *got = optout_reason(optout_xrobots(t[i].hv, t[i].agent));
        CHECK((got == NULL && t[i].want == NULL) || (got && t[i].want && strcmp(got, t[i].want) == 0),
              "X-Robots-Tag \"%s\" agent %s: got %s, want %s", t[i].hv ? t[i].hv : "(null)",
              t[i].agent ? t[i].agent : "(null)", got ? got : "none", t[i].want ? t[i].want : "none");
    }
}

/* "&#0;" inside an attribute is U+FFFD, not the end of the text. */
static void test_nul_reference(void)
{
    const char *html = "<html><body><img src=\"/a.jpg\" alt=\"a red kite&#0; over the hill\">"
                       "<img src=\"/b.jpg\" alt=\"x&#x000;y &#00 z &#10; &#0\"><p>t&#0;ext</p></body></html>";
    extract_result r;
    memset(&r, 0, sizeof r);
    CHECK(extract_page(html, strlen(html), "http://example.com/", NULL, &r) == 0, "extract");
    CHECK(r.n_images == 2, "%zu images", r.n_images);
    if (r.n_images == 2 && r.images[0].n_cands && r.images[1].n_cands) {
        CHECK_EQ_STR(r.images[0].cands[0].text, "a red kite\xEF\xBF\xBD over the hill");
        CHECK_EQ_STR(r.images[1].cands[0].text, "x\xEF\xBF\xBDy \xEF\xBF\xBD z \xEF\xBF\xBD");
    }
    extract_result_free(&r);
}

/* Class/id words (extract-nav.h) and declared sizes (extract-place.h). */
static void test_words(void)
{
    static const char *const nav[] = {"nav", NULL};
    static const char *const ad[] = {"ad", "ads", NULL};
    static const char *const side[] = {"sidebar", NULL};
    static const struct { const char *v; const char *const *w; int flags, want; } t[] = {
        {"main-nav", nav, 0, 1},        {"main_nav", nav, 0, 1},     {"mainNav", nav, 0, 1},
        {"HTMLNavBar", nav, 0, 1},      {"nav2", nav, 0, 1},         {"canvas", nav, 0, 0},
        {"navigator", nav, 0, 0},       {"unavailable", nav, 0, 0},  {"header", ad, 0, 0},
        {"shadow", ad, 0, 0},           {"download", ad, 0, 0},      {"padding", ad, 0, 0},
        {"loadMore", ad, 0, 0},         {"ad-slot", ad, 0, 1},       {"div-gpt-ad-123", ad, 0, 1},
        {"ad300x250", ad, 0, 1},        {"topAds", ad, 0, 1},        {"AdSense", ad, 0, 1},
        {"side-bar", side, 0, 1},       {"sideBar", side, 0, 1},     {"sidebar", side, 0, 1},
        {"has-sidebar", side, 1, 0},    {"has-sidebar", side, 0, 1}, {"no-ads", ad, 1, 0},
        {"no-ads top-ad", ad, 1, 1},    {"a d", ad, 0, 0},           {NULL, ad, 0, 0},
        {"", ad, 0, 0},                 {"--", ad, 0, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        CHECK(nav_has_word(t[i].v, t[i].w, t[i].flags) == t[i].want, "nav_has_word(\"%s\", %s, %d) != %d",
              t[i].v ? t[i].v : "(null)", t[i].w[0], t[i].flags, t[i].want);

    static const struct { const char *html; int w, h; } d[] = {
        {"<img width=24 height=24>", 24, 24},
        {"<img width='24px' height=' 30 '>", 24, 30},
        {"<img width=100%>", -1, -1},
        {"<img width=auto height=7>", -1, 7},
        {"<img style='width: 16px; height:1.5em'>", 16, 24},
        {"<img width=300 style='width:20px'>", 20, -1},
        {"<img width=30 style='max-width: 200px; line-height: 90px'>", 30, -1},
        {"<img style='width: 50%; height: 2rem !important'>", -1, 32},
        {"<img style='width:0'>", 0, -1},
        {"<img>", -1, -1},
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        xmlDocPtr doc = htmlReadMemory(d[i].html, (int)strlen(d[i].html), NULL, "UTF-8",
                                       HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
        xmlNode *img = doc ? xmlDocGetRootElement(doc) : NULL;
        while (img && img->type == XML_ELEMENT_NODE && !(img->name && strcmp((const char *)img->name, "img") == 0))
            img = img->children;
        int w = -2, h = -2;
        if (img)
            place_declared_size(img, &w, &h);
        CHECK(w == d[i].w && h == d[i].h, "declared size of %s: %d x %d, want %d x %d", d[i].html, w, h, d[i].w,
              d[i].h);
        xmlFreeDoc(doc);
    }
}

int main(void)
{
    test_words();
    test_xrobots();
    test_nul_reference();
    test_pages();
    test_srcset();
    test_choose();
    test_optout();
    return check_summary();
}
