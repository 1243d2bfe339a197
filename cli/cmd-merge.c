/* cmd-merge.c — `clipcrawl merge DIR... -o DIR`: the arguments of
 * pipeline_merge (pipeline/merge.c) and its JSON summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "pipeline.h"

const char merge_usage[] =
    "usage: clipcrawl merge DIR... -o DIR [--allow-incomplete] [filter options]\n"
    "  Joins datasets (the parts of a run split with --part I/N) into a new DIR:\n"
    "  keys stay as they are, shards are hard-linked, indexes merged, and a sample\n"
    "  that duplicates one of an earlier part (same URL, bytes or picture, by the\n"
    "  dedup settings of the filter configuration) is marked rejected/duplicate.\n"
    "  Every part must hold _SUCCESS (written when a part's run completed).\n"
    "  Built in DIR.merging and renamed when done; DIR/_SUCCESS is written last.\n"
    "  -o, --output DIR       the merged dataset (must not exist)\n"
    "  --allow-incomplete     merge parts without _SUCCESS too (what they hold so far)\n"
    "  -q, --quiet            no progress on stderr\n"
    "  --filters FILE, --filter dedup=..., --filter phash_max_distance=N   the dedup rules\n"
    "Prints {\"parts\",\"items\",\"accepted\",\"duplicates\",\"shards\"}.\n";

int cmd_merge(int argc, char **argv)
{
    if (cli_wants_help("merge", argc, argv))
        return EXIT_OK;
    merge_options o;
    merge_options_init(&o);
    char err[1024];
    if (filter_config_from_args(&o.filters, &argc, argv, err, sizeof err) != CC_OK)
        return cli_usage_error("merge", "%s", err);
    const char **parts = xcalloc((size_t)argc, sizeof *parts);
    int quiet = 0, status = EXIT_OK;
    for (int i = 1; i < argc && status == EXIT_OK; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (i + 1 >= argc)
                status = cli_usage_error("merge", "%s needs a directory", a);
            else
                o.out_dir = argv[++i];
        } else if (strcmp(a, "--allow-incomplete") == 0) {
            o.allow_incomplete = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-') {
            status = cli_usage_error("merge", "unknown option '%s'", a);
        } else {
            parts[o.n_parts++] = a;
        }
    }
    if (status == EXIT_OK && !o.out_dir)
        status = cli_usage_error("merge", "missing -o DIR");
    if (status == EXIT_OK && o.n_parts == 0)
        status = cli_usage_error("merge", "no dataset directories to merge");
    if (status != EXIT_OK) {
        free(parts);
        return status;
    }
    o.parts = parts;
    cli_progress prog;
    ccbuf args = {0};
    cli_run_options(&o.run, &prog, quiet, argc, argv, &args);
    o.run.stop = cli_catch_signals();
    merge_result r;
    cc_err rc = pipeline_merge(&o, &r, err, sizeof err);
    status = cli_engine_status("merge", rc, err);
    if (status == EXIT_OK)
        printf("{\"parts\":%lld,\"items\":%lld,\"accepted\":%lld,\"duplicates\":%lld,\"shards\":%lld}\n",
               (long long)r.counts.parts, (long long)r.counts.items,
               (long long)(r.counts.accepted - r.counts.duplicates), (long long)r.counts.duplicates,
               (long long)r.counts.shards);
    ccbuf_free(&args);
    free(parts);
    return status;
}
