/* cmd-page.c — `clipcrawl page FILE --url URL`: the images of one saved HTML
 * page as a crawl would judge them, one JSON line each (pipeline/page.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "filterconf.h"
#include "page.h"

const char page_usage[] =
    "usage: clipcrawl page FILE --url URL [--content-type CT] [--filters FILE] [filter options]\n"
    "  Why clipcrawl would take or skip the images of one saved HTML page: what a\n"
    "  crawl that fetched URL and got FILE would find and decide, without fetching\n"
    "  anything. FILE '-' reads stdin; gzip (.html.gz) is read as it is.\n"
    "  One JSON line per image, in page order:\n"
    "    {\"url\",\"via\",\"fallback_url\",\"width\",\"height\",\"placement\",\"alt_repeats\",\n"
    "     \"candidates\":[{\"source\",\"text\",\"verdict\",\"detail\"}],\"chosen\",\"reason\",\"optout\"}\n"
    "  placement: where the image sits (nav aside profile ad icon logo linked offsite\n"
    "  content figure, joined by ','; \"\" = nothing special); verdict: keep or the\n"
    "  caption filter's reason; chosen: the index of the caption taken, -1 when none\n"
    "  passes (reason: the best candidate's reason, or no_caption); optout: the\n"
    "  page's own opt-out from AI use (noai, noimageai, tdm_reservation in its\n"
    "  <meta> tags; null when none): a crawl then downloads none of its images.\n"
    "  --url URL             the page's address (absolute http/https): links and\n"
    "                        relative image URLs resolve against it\n"
    "  --content-type CT     the response's Content-Type (its charset is used)\n" FILTER_CONFIG_USAGE;

static void put_str(ccbuf *b, const char *key, const char *v)
{
    ccbuf_printf(b, ",\"%s\":", key);
    if (v)
        ccbuf_json_string(b, v, strlen(v));
    else
        ccbuf_puts(b, "null");
}

static void print_image(ccbuf *b, const page_image *im, const char *optout)
{
    ccbuf_reset(b);
    ccbuf_puts(b, "{\"url\":");
    ccbuf_json_string(b, im->url, strlen(im->url));
    put_str(b, "via", im->via);
    put_str(b, "fallback_url", im->fallback_url);
    ccbuf_printf(b, ",\"width\":%d,\"height\":%d", im->width, im->height);
    put_str(b, "placement", im->placement);
    ccbuf_printf(b, ",\"alt_repeats\":%d,\"candidates\":[", im->alt_repeats);
    for (size_t k = 0; k < im->n_cands; k++) {
        const page_candidate *c = &im->cands[k];
        ccbuf_puts(b, k ? ",{\"source\":" : "{\"source\":");
        ccbuf_json_string(b, c->source, strlen(c->source));
        put_str(b, "text", c->text);
        put_str(b, "verdict", c->verdict);
        put_str(b, "detail", c->detail);
        ccbuf_putc(b, '}');
    }
    ccbuf_printf(b, "],\"chosen\":%d", im->chosen);
    put_str(b, "reason", im->reason);
    put_str(b, "optout", optout);
    ccbuf_puts(b, "}\n");
    fwrite(b->data, 1, b->len, stdout);
}

int cmd_page(int argc, char **argv)
{
    if (cli_wants_help("page", argc, argv))
        return EXIT_OK;
    filter_config cfg;
    filter_config_defaults(&cfg);
    char err[1024];
    cc_err e = filter_config_from_args(&cfg, &argc, argv, err, sizeof err);
    if (e == CC_ERR_IO)
        return cli_fail("page", "%s", err);
    if (e != CC_OK)
        return cli_usage_error("page", "%s", err);
    const char *file = NULL, *url = NULL, *ct = NULL;
    int only_args = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (!only_args && (strcmp(a, "--url") == 0 || strcmp(a, "--content-type") == 0)) {
            if (i + 1 >= argc)
                return cli_usage_error("page", "%s needs a value", a);
            *(a[2] == 'u' ? &url : &ct) = argv[++i];
        } else if (!only_args && strncmp(a, "--url=", 6) == 0) {
            url = a + 6;
        } else if (!only_args && strncmp(a, "--content-type=", 15) == 0) {
            ct = a + 15;
        } else if (!only_args && a[0] == '-' && a[1] != 0) {
            return cli_usage_error("page", "unknown option '%s'", a);
        } else if (!file) {
            file = a;
        } else {
            return cli_usage_error("page", "one FILE at a time ('%s' and '%s' given)", file, a);
        }
    }
    if (!file || !url)
        return cli_usage_error("page", "need FILE and --url URL (the address the page was fetched from)");
    ccbuf html = {0};
    e = page_read_file(file, &html, err, sizeof err);
    if (e != CC_OK) {
        ccbuf_free(&html);
        return cli_fail("page", "%s", err);
    }
    page_result r;
    e = page_judge((const char *)html.data, html.len, url, ct, &cfg, &r, err, sizeof err);
    ccbuf_free(&html);
    if (e != CC_OK)
        return cli_fail("page", "%s", err);
    ccbuf line = {0};
    for (size_t i = 0; i < r.n_images; i++)
        print_image(&line, &r.images[i], r.optout);
    ccbuf_free(&line);
    page_result_free(&r);
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_fail("page", "cannot write the output");
    return EXIT_OK;
}
