/* test_page.c — `clipcrawl page FILE --url URL` (suite page): one JSON line
 * per image of a small page, with its placement, alt repeats, every caption
 * candidate's verdict and the chosen one; gzip and stdin input; filter
 * options honoured; bad input fails loudly with one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "check.h"
#include "common.h"
#include "json.h"
#include "testutil.h"

static char *work;

#define PAGE_URL "https://news.example.org/2024/harbour.html"

static const char page_html[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Harbour</title></head><body>\n"
    "<header><a href=\"/\"><img src=\"/img/logo.png\" alt=\"Harbourtimes\" width=\"32\" height=\"32\"></a></header>\n"
    "<main><article>\n"
    "<figure><a href=\"/img/boats-full.jpg\"><img src=\"boats-small.jpg\" width=\"300\" height=\"200\" "
    "alt=\"Fishing boats in the harbour at dawn\"></a><figcaption>Boats at dawn</figcaption></figure>\n"
    "<p><img src=\"/img/IMG_1234.JPG\" alt=\"IMG_1234.JPG\" title=\"A lighthouse on the rocks\"> The lighthouse.</p>\n"
    "<p><a href=\"https://partner.example.net/\"><img src=\"/img/partner.png\" alt=\"harbourtimes\"></a></p>\n"
    "</article></main><div><img src=\"/img/spacer.gif\"></div></body></html>\n";

/* The stdout lines of o parsed as JSON objects (n in *n; json_free each). */
static json_value **lines(const tu_output *o, size_t *n)
{
    json_value **v = NULL;
    *n = 0;
    const char *s = tu_str(&o->out);
    while (*s) {
        const char *e = strchr(s, '\n');
        CHECK(e != NULL, "output ends without a newline");
        if (!e)
            break;
        char err[200] = "";
        json_value *j = json_parse(s, (size_t)(e - s), err, sizeof err);
        CHECK(j && j->type == JSON_OBJECT, "line %zu is not a JSON object: %s", *n + 1, err);
        if (j) {
            v = xrealloc(v, (*n + 1) * sizeof *v);
            v[(*n)++] = j;
        }
        s = e + 1;
    }
    return v;
}

static void free_lines(json_value **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_free(v[i]);
    free(v);
}

static const json_value *cand(const json_value *img, size_t k)
{
    const json_value *c = json_get(img, "candidates");
    return c && c->type == JSON_ARRAY && k < c->len ? json_at(c, k) : NULL;
}

static const char *str(const json_value *v, const char *key)
{
    const json_value *x = v ? json_get(v, key) : NULL;
    return x && x->type == JSON_STRING ? x->string : x && x->type == JSON_NULL ? "(null)" : "(missing)";
}

static int num(const json_value *v, const char *key)
{
    return (int)json_get_number(v, key, -99);
}

/* The lines of the small page, as any input form must give them. */
static void check_page(const tu_output *o, const char *how)
{
    CHECK(o->status == 0, "%s: exit %d: %s", how, o->status, tu_str(&o->err));
    size_t n;
    json_value **v = lines(o, &n);
    CHECK(n == 5, "%s: %zu images, want 5:\n%s", how, n, tu_str(&o->out));
    if (n != 5) {
        free_lines(v, n);
        return;
    }
    /* the site's logo in the page header: navigation, small, linked; a
     * one-word alt the filter turns away */
    CHECK_EQ_STR(str(v[0], "url"), "https://news.example.org/img/logo.png");
    CHECK_EQ_STR(str(v[0], "via"), "img");
    CHECK_EQ_STR(str(v[0], "fallback_url"), "(null)");
    CHECK_EQ_STR(str(v[0], "placement"), "nav,icon,logo,linked");
    CHECK_EQ_INT(num(v[0], "width"), 32);
    CHECK_EQ_INT(num(v[0], "height"), 32);
    CHECK_EQ_INT(num(v[0], "alt_repeats"), 2); /* the partner's image has the same alt */
    CHECK_EQ_INT(num(v[0], "chosen"), -1);
    CHECK_EQ_STR(str(v[0], "reason"), "too_short");
    CHECK_EQ_STR(str(cand(v[0], 0), "source"), "alt");
    CHECK_EQ_STR(str(cand(v[0], 0), "verdict"), "too_short");
    /* the full-size image behind a thumbnail in a figure */
    CHECK_EQ_STR(str(v[1], "url"), "https://news.example.org/img/boats-full.jpg");
    CHECK_EQ_STR(str(v[1], "via"), "a_href");
    CHECK_EQ_STR(str(v[1], "fallback_url"), "https://news.example.org/2024/boats-small.jpg");
    CHECK_EQ_STR(str(v[1], "placement"), "content,figure");
    CHECK_EQ_INT(num(v[1], "chosen"), 0);
    CHECK_EQ_STR(str(v[1], "reason"), "(null)");
    CHECK_EQ_STR(str(cand(v[1], 0), "text"), "Fishing boats in the harbour at dawn");
    CHECK_EQ_STR(str(cand(v[1], 0), "verdict"), "keep");
    CHECK_EQ_STR(str(cand(v[1], 0), "detail"), "");
    CHECK_EQ_STR(str(cand(v[1], 1), "source"), "figcaption");
    /* a camera file name as alt: the title is taken instead */
    CHECK_EQ_STR(str(v[2], "placement"), "content");
    CHECK_EQ_STR(str(cand(v[2], 0), "verdict"), "filename");
    CHECK(strlen(str(cand(v[2], 0), "detail")) > 0, "%s: a rejection has a detail", how);
    CHECK_EQ_STR(str(cand(v[2], 1), "source"), "title");
    CHECK_EQ_INT(num(v[2], "chosen"), 1);
    /* a link to another site */
    CHECK_EQ_STR(str(v[3], "placement"), "linked,offsite,content");
    CHECK_EQ_INT(num(v[3], "alt_repeats"), 2);
    /* no candidate at all */
    CHECK_EQ_STR(str(v[4], "url"), "https://news.example.org/img/spacer.gif");
    CHECK_EQ_STR(str(v[4], "placement"), "icon");
    CHECK_EQ_INT(num(v[4], "alt_repeats"), 0);
    const json_value *cs = json_get(v[4], "candidates");
    CHECK(cs && cs->type == JSON_ARRAY && cs->len == 0, "%s: spacer has no candidates", how);
    CHECK_EQ_INT(num(v[4], "chosen"), -1);
    CHECK_EQ_STR(str(v[4], "reason"), "no_caption");
    free_lines(v, n);
}

static void test_forms(void)
{
    char *plain = xasprintf("%s/harbour.html", work), *gz = xasprintf("%s/harbour.html.gz", work);
    tu_write_file(plain, page_html, strlen(page_html));
    gzFile g = gzopen(gz, "wb");
    CHECK(g && gzwrite(g, page_html, (unsigned)strlen(page_html)) == (int)strlen(page_html), "write gzip");
    gzclose(g);
    tu_output o;
    tu_run_clipcrawl(&o, "page", plain, "--url", PAGE_URL, NULL);
    check_page(&o, "plain file");
    tu_output_free(&o);
    tu_run_clipcrawl(&o, "page", gz, "--url=" PAGE_URL, "--content-type", "text/html; charset=utf-8", NULL);
    check_page(&o, "gzip file");
    tu_output_free(&o);
    const char *const argv[] = {getenv("CLIPCRAWL_BIN"), "page", "-", "--url", PAGE_URL, NULL};
    tu_run(argv, page_html, 60, &o);
    check_page(&o, "stdin");
    tu_output_free(&o);

    /* filter options are the crawl's: with --min-words 9 no alt is long enough */
    tu_run_clipcrawl(&o, "page", plain, "--url", PAGE_URL, "--min-words", "9", NULL);
    CHECK(o.status == 0, "--min-words: exit %d: %s", o.status, tu_str(&o.err));
    size_t n;
    json_value **v = lines(&o, &n);
    CHECK(n == 5 && strcmp(str(cand(v[1], 0), "verdict"), "too_short") == 0 && num(v[1], "chosen") == -1,
          "--min-words 9 honoured:\n%s", tu_str(&o.out));
    free_lines(v, n);
    tu_output_free(&o);

    /* every image line carries the page's opt-out: null here, then the reason
     * of each kind of <meta> a crawl obeys (its images would not be downloaded) */
    static const struct { const char *meta, *want; } opt[] = {
        {"", NULL},
        {"<meta name=\"robots\" content=\"index, NoAI\">", "noai"},
        {"<meta name=\"ClipCrawl\" content=\"noimageai\">", "noimageai"},
        {"<meta name=\"otherbot\" content=\"noai\">", NULL},
        {"<meta name=\"tdm-reservation\" content=\"1\">", "tdm_reservation"},
    };
    char *optpage = xasprintf("%s/optout.html", work);
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
        char *html = xasprintf("<html><head>%s</head><body><img src=\"a.jpg\" alt=\"A red kite over the hills\">"
                               "<img src=\"b.jpg\" alt=\"Two boats at the quay\"></body></html>", opt[i].meta);
        tu_write_file(optpage, html, strlen(html));
        tu_run_clipcrawl(&o, "page", optpage, "--url", PAGE_URL, NULL);
        v = lines(&o, &n);
        CHECK(o.status == 0 && n == 2, "optout %zu: exit %d, %zu lines", i, o.status, n);
        for (size_t k = 0; k < n; k++) {
            const json_value *ov = json_get(v[k], "optout");
            if (opt[i].want)
                CHECK(ov && ov->type == JSON_STRING && strcmp(ov->string, opt[i].want) == 0, "'%s': optout %s wanted:\n%s",
                      opt[i].meta, opt[i].want, tu_str(&o.out));
            else
                CHECK(ov && ov->type == JSON_NULL, "'%s': optout null wanted:\n%s", opt[i].meta, tu_str(&o.out));
            CHECK_EQ_INT(num(v[k], "chosen"), 0); /* the captions are judged all the same */
        }
        free_lines(v, n);
        tu_output_free(&o);
        free(html);
    }
    free(optpage);

    /* a page without images prints nothing and succeeds */
    char *empty = xasprintf("%s/empty.html", work);
    tu_write_file(empty, "<p>no pictures</p>", 18);
    tu_run_clipcrawl(&o, "page", empty, "--url", PAGE_URL, NULL);
    CHECK(o.status == 0 && tu_str(&o.out)[0] == 0, "empty page: exit %d, out '%s'", o.status, tu_str(&o.out));
    tu_output_free(&o);
    free(empty);
    free(plain);
    free(gz);
}

/* Bad input: exit non-zero, one line naming the input and the problem. */
static void test_bad(void)
{
    char *plain = xasprintf("%s/harbour.html", work), *missing = xasprintf("%s/missing.html", work);
    char *cut = xasprintf("%s/cut.html.gz", work);
    char *gz = xasprintf("%s/harbour.html.gz", work);
    size_t gzlen = 0;
    char *gzdata = tu_read_file(gz, &gzlen);
    free(gz);
    CHECK(gzdata && gzlen > 40, "gzip written");
    tu_write_file(cut, gzdata, gzlen / 2);
    free(gzdata);
    static const struct { const char *what; int status; const char *needle; } want[] = {
        {"missing file", 1, "missing.html"},
        {"relative URL", 1, "not an absolute http(s) URL"},
        {"ftp URL", 1, "not an absolute http(s) URL"},
        {"no --url", 2, "--url"},
        {"cut gzip", 1, "cut.html.gz"},
        {"unknown option", 2, "--bogus"},
        {"two files", 2, "one FILE"},
        {"a directory", 1, "directory"},
    };
    const char *const args[][6] = {
        {"page", missing, "--url", PAGE_URL, NULL},
        {"page", plain, "--url", "news.example.org/a.html", NULL},
        {"page", plain, "--url", "ftp://news.example.org/", NULL},
        {"page", plain, NULL},
        {"page", cut, "--url", PAGE_URL, NULL},
        {"page", plain, "--url", PAGE_URL, "--bogus", NULL},
        {"page", plain, plain, "--url", PAGE_URL, NULL},
        {"page", work, "--url", PAGE_URL, NULL},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        tu_output o;
        tu_run_clipcrawl_args(&o, args[i], 60);
        const char *err = tu_str(&o.err);
        const char *nl = strchr(err, '\n');
        CHECK(o.status == want[i].status && strstr(err, want[i].needle) && tu_str(&o.out)[0] == 0,
              "%s: exit %d (want %d), stdout '%s', stderr '%s'", want[i].what, o.status, want[i].status,
              tu_str(&o.out), err);
        if (want[i].status == 1) /* a failure is one line; a usage error adds the help hint */
            CHECK(nl && nl[1] == 0, "%s: one line on stderr: '%s'", want[i].what, err);
        tu_output_free(&o);
    }
    free(plain);
    free(missing);
    free(cut);
}

int main(void)
{
    work = tu_mkdtemp("page");
    test_forms();
    test_bad();
    tu_rm_rf(work);
    free(work);
    return check_summary();
}
