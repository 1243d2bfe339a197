/* cmd-check-caption.c — `clipcrawl check-caption [TEXT...]`: the caption
 * filter's verdict for each caption given (or each stdin line), the same
 * verdict fetch and crawl reach; with --placement (and --size, --repeats)
 * as the alt text of an image placed so on its page, as crawl judges it,
 * or with --placement list as a URL list row's caption, as fetch does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caption.h"
#include "commands.h"
#include "common.h"
#include "filterconf.h"
#include "placement.h"

static void judge_one(const caption_filter *f, const caption_place *place, const char *text, size_t n, int explain)
{
    ccbuf norm = {0};
    caption_verdict v = caption_judge_placed(f, text, n, place, explain ? &norm : NULL);
    if (v.code == CAPTION_KEEP)
        fputs("keep\t", stdout);
    else
        printf("reject:%s\t", v.reason);
    fwrite(text, 1, n, stdout);
    if (explain) {
        /* tabs/newlines inside the normalised text are already spaces */
        printf("\t%s%s\t%s\t%s", v.language, v.language_reliable ? "" : "?", v.detail,
               norm.data ? (const char *)norm.data : "");
    }
    fputc('\n', stdout);
    ccbuf_free(&norm);
}

/* "WxH", each side 0..100000 where 0 = not declared (pages often declare
 * only a width), not both 0. 0 / -1. */
static int parse_size(const char *s, int *w, int *h)
{
    const char *x = strchr(s, 'x');
    if (!x)
        x = strchr(s, 'X');
    if (!x)
        return -1;
    char *ws = xstrndup(s, (size_t)(x - s));
    long a, b;
    int ok = cli_parse_long(ws, 0, 100000, &a) == 0 && cli_parse_long(x + 1, 0, 100000, &b) == 0 && (a || b);
    free(ws);
    if (!ok)
        return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

/* The value of option argv[*i] (which takes one), or NULL when it is last. */
static const char *option_value(int argc, char **argv, int *i)
{
    return *i + 1 < argc ? argv[++*i] : NULL;
}

int cmd_check_caption(int argc, char **argv)
{
    if (cli_wants_help("check-caption", argc, argv))
        return EXIT_OK;
    filter_config cfg;
    filter_config_defaults(&cfg);
    char err[1024];
    cc_err e = filter_config_from_args(&cfg, &argc, argv, err, sizeof err);
    if (e == CC_ERR_IO) /* the file could not be read */
        return cli_fail("check-caption", "%s", err);
    if (e != CC_OK) /* a bad option or a bad line in the file */
        return cli_usage_error("check-caption", "%s", err);
    int explain = 0, only_args = 0, given = 0; /* given: an origin option was given */
    caption_place place = {0};
    /* argv[i] is a caption to judge (0 = an option or its value) */
    char *is_text = xcalloc((size_t)argc + 1, 1);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (!only_args && (strcmp(a, "--explain") == 0 || strcmp(a, "-v") == 0)) {
            explain = 1;
            continue;
        }
        if (!only_args && strcmp(a, "--placement") == 0) {
            const char *v = option_value(argc, argv, &i);
            unsigned bits;
            if (!v) {
                free(is_text);
                return cli_usage_error("check-caption", "--placement needs a list (\"\" = on a page, nothing special)");
            }
            if (cc_place_parse(v, &bits) != 0) {
                free(is_text);
                return cli_usage_error("check-caption",
                                       "--placement '%s': not a placement list (names: nav aside profile ad icon "
                                       "logo linked offsite content figure, joined by ','; or list)",
                                       v);
            }
            if ((bits & CC_PLACE_LIST) && (bits & CC_PLACE_PAGE)) {
                free(is_text);
                return cli_usage_error("check-caption", "--placement '%s': 'list' (a URL list row) stands alone", v);
            }
            place.bits |= bits;
            given = 1;
            continue;
        }
        if (!only_args && strcmp(a, "--size") == 0) {
            const char *v = option_value(argc, argv, &i);
            if (!v || parse_size(v, &place.width, &place.height) != 0) {
                free(is_text);
                return cli_usage_error("check-caption",
                                       "--size needs WIDTHxHEIGHT in CSS px (e.g. 24x24; 0 for a side not declared), "
                                       "got '%s'",
                                       v ? v : "");
            }
            given = 1;
            continue;
        }
        if (!only_args && strcmp(a, "--repeats") == 0) {
            const char *v = option_value(argc, argv, &i);
            long n;
            if (!v || cli_parse_long(v, 0, 1000000, &n) != 0) {
                free(is_text);
                return cli_usage_error("check-caption", "--repeats needs a count of images (0-1000000), got '%s'",
                                       v ? v : "");
            }
            place.repeats = (int)n;
            given = 1;
            continue;
        }
        if (!only_args && a[0] == '-' && a[1] != '\0') {
            free(is_text);
            return cli_usage_error("check-caption", "unknown option '%s'", a);
        }
        is_text[i] = 1;
    }
    if ((place.bits & CC_PLACE_LIST) &&
        (place.width || place.height || place.repeats || (place.bits & ~CC_PLACE_LIST))) {
        free(is_text);
        return cli_usage_error("check-caption", "--placement list (a URL list row) takes no page facts "
                                                "(--size, --repeats, other --placement names)");
    }
    if (given && !(place.bits & CC_PLACE_LIST))
        place.bits |= CC_PLACE_PAGE; /* --size or --repeats alone: on a page */
    const caption_place *pl = given ? &place : NULL;
    char lerr[FILTER_PATH_MAX + 64];
    caption_filter *f = caption_filter_new_err(&cfg, lerr, sizeof lerr);
    if (!f) {
        free(is_text);
        return cli_fail("check-caption", "%s", lerr);
    }
    int any = 0;
    for (int i = 1; i < argc; i++) {
        if (!is_text[i])
            continue;
        judge_one(f, pl, argv[i], strlen(argv[i]), explain);
        any = 1;
    }
    free(is_text);
    if (!any) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t k;
        while ((k = getline(&line, &cap, stdin)) >= 0) {
            size_t n = (size_t)k;
            if (n && line[n - 1] == '\n')
                n--;
            if (n && line[n - 1] == '\r')
                n--;
            judge_one(f, pl, line, n, explain);
        }
        free(line);
    }
    caption_filter_free(f);
    fflush(stdout);
    return EXIT_OK;
}
