/* cmd-score.c — `clipcrawl score DIR --model M`: the arguments of
 * pipeline_score (pipeline/score.c), its progress and its JSON line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "pipeline.h"

/* "N scored (R/s)" on stderr; the engine passes the scored count as accepted. */
static void score_progress(const pipeline_counts *c, double fraction_done, int final, void *ctx)
{
    (void)fraction_done;
    cli_progress *p = ctx;
    if (final) {
        if (p->tty)
            fputc('\n', stderr);
        return;
    }
    if (!cli_progress_due(p, 0))
        return;
    fprintf(stderr, "%s%lld scored (%.1f/s)%s", p->tty ? "\r" : "", (long long)c->accepted,
            (double)c->accepted / (p->last - p->started), p->tty ? "   " : "\n");
}

int cmd_score(int argc, char **argv)
{
    if (cli_wants_help("score", argc, argv))
        return EXIT_OK;
    score_options o = {.limit = -1};
    clip_tool_options_init(&o.clip);
    int quiet = 0;
    char err[1024];
    for (int i = 1; i < argc; i++) {
        int r = clip_tool_option(&o.clip, argc, argv, &i, err, sizeof err);
        if (r < 0)
            return cli_usage_error("score", "%s", err);
        if (r > 0)
            continue;
        long n;
        if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            if (cli_parse_long(argv[++i], 1, 1L << 40, &n) != 0)
                return cli_usage_error("score", "--limit needs a positive number, got '%s'", argv[i]);
            o.limit = n;
        } else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("score", "unknown option '%s'", argv[i]);
        } else if (!o.dir) {
            o.dir = argv[i];
        } else {
            return cli_usage_error("score", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!o.dir)
        return cli_usage_error("score", "missing DIR");
    if (!o.clip.model)
        return cli_usage_error("score", "missing --model M (or CLIPCRAWL_MODEL)");
    cli_progress prog;
    ccbuf args = {0};
    cli_run_options(&o.run, &prog, quiet, argc, argv, &args);
    if (!quiet)
        o.run.progress = score_progress;
    o.run.stop = cli_catch_signals();

    score_result r;
    int status = cli_engine_status("score", pipeline_score(&o, &r, err, sizeof err), err);
    if (r.ran)
        printf("{\"scored\":%lld,\"unscorable\":%lld,\"tagged\":%lld,\"nsfw\":%lld,\"model\":\"%s\","
               "\"precision\":\"%s\",\"mean_score\":%.6f,\"seconds\":%.3f,\"per_second\":%.2f}\n",
               (long long)r.scored, (long long)r.unscorable, (long long)r.tagged, (long long)r.nsfw, r.model,
               r.precision, r.mean_score, r.seconds, r.seconds > 0 ? (double)r.scored / r.seconds : 0.0);
    if (r.stopped && status == EXIT_OK)
        status = EXIT_FAIL;
    ccbuf_free(&args);
    return status;
}
