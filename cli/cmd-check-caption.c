/* cmd-check-caption.c — `clipcrawl check-caption [TEXT...]`: the caption
 * filter's verdict for each caption given (or each stdin line), the same
 * verdict fetch and crawl reach. */
#include <stdlib.h>
#include <string.h>

#include "caption.h"
#include "commands.h"
#include "common.h"
#include "filterconf.h"

static void judge_one(const caption_filter *f, const char *text, size_t n, int explain)
{
    ccbuf norm = {0};
    caption_verdict v = caption_judge(f, text, n, explain ? &norm : NULL);
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
    int explain = 0, only_args = 0, first_text = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
            if (!first_text)
                first_text = i + 1;
            continue;
        }
        if (!only_args && (strcmp(a, "--explain") == 0 || strcmp(a, "-v") == 0)) {
            explain = 1;
            continue;
        }
        if (!only_args && a[0] == '-' && a[1] != '\0')
            return cli_usage_error("check-caption", "unknown option '%s'", a);
        if (!first_text)
            first_text = i;
    }
    char lerr[FILTER_PATH_MAX + 64];
    caption_filter *f = caption_filter_new_err(&cfg, lerr, sizeof lerr);
    if (!f)
        return cli_fail("check-caption", "%s", lerr);
    int any = 0;
    only_args = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (!only_args && (strcmp(a, "--explain") == 0 || strcmp(a, "-v") == 0))
            continue;
        judge_one(f, a, strlen(a), explain);
        any = 1;
    }
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
            judge_one(f, line, n, explain);
        }
        free(line);
    }
    caption_filter_free(f);
    fflush(stdout);
    return EXIT_OK;
}
