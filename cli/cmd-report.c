/* cmd-report.c — clipcrawl report DIR -o FILE.html (pipeline/report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "report.h"

const char report_usage[] =
    "usage: clipcrawl report DIR -o FILE.html [--thumbnails N] [--thumb-size PX] [--examples N]\n"
    "  Writes one self-contained HTML page about the dataset: the funnel (pages ->\n"
    "  candidates -> downloaded -> accepted), rejections by reason, failures by error,\n"
    "  CLIP-score and caption-length histograms, top hosts, a grid of N accepted\n"
    "  samples (default 48) with caption and score, thumbnails embedded as small\n"
    "  JPEGs (PX pixels, default 128), and N examples of each rejection reason\n"
    "  (default 3). No scripts and no external files: open it anywhere, mail it.\n";

int cmd_report(int argc, char **argv)
{
    if (cli_wants_help("report", argc, argv))
        return EXIT_OK;
    const char *dir = NULL, *out = NULL;
    report_options o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            if (dir)
                return cli_usage_error("report", "unexpected argument '%s'", a);
            dir = a;
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage_error("report", "%s needs a value", a);
        const char *v = argv[++i];
        long n;
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            out = v;
        } else if (strcmp(a, "--thumbnails") == 0 || strcmp(a, "--thumb-size") == 0 || strcmp(a, "--examples") == 0) {
            if (cli_parse_long(v, 1, strcmp(a, "--thumb-size") == 0 ? 512 : 10000, &n) != 0)
                return cli_usage_error("report", "bad %s '%s' (a positive number)", a, v);
            if (strcmp(a, "--thumbnails") == 0)
                o.thumbnails = (int)n;
            else if (strcmp(a, "--thumb-size") == 0)
                o.thumb_size = (int)n;
            else
                o.per_reason = (int)n;
        } else {
            return cli_usage_error("report", "unknown option '%s'", a);
        }
    }
    if (!dir || !out)
        return cli_usage_error("report", "needs DIR and -o FILE.html");
    char err[768];
    if (report_write(dir, out, &o, err, sizeof err) != 0)
        return cli_fail("report", "%s", err);
    return EXIT_OK;
}
