/* cmd-refilter.c — `clipcrawl refilter DIR [filter options]`: the arguments
 * of pipeline_refilter (pipeline/refilter.c) and its JSON summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "pipeline.h"

static void print_summary(const refilter_options *o, const refilter_result *r)
{
    ccbuf js = {0};
    ccbuf_puts(&js, "{\"dir\":");
    ccbuf_json_string(&js, o->dir, strlen(o->dir));
    ccbuf_printf(&js, ",\"dry_run\":%s,\"examined\":%lld,\"accepted_before\":%lld,\"accepted_after\":%lld,"
                      "\"changed\":{\"accepted_to_rejected\":{",
                 o->dry_run ? "true" : "false", (long long)r->examined, (long long)r->accepted_before,
                 (long long)r->accepted_after);
    for (int i = 0; i < r->n_demoted; i++)
        ccbuf_printf(&js, "%s\"%s\":%lld", i ? "," : "", r->demoted_reason[i], (long long)r->demoted[i]);
    ccbuf_printf(&js,
                 "},\"accepted_to_rejected_total\":%lld,\"rejected_to_accepted\":%lld,\"unfetched_now_passing\":%lld,"
                 "\"rejected_reason_changed\":%lld,\"language_updated\":%lld},\"passing_not_refetchable\":%lld,"
                 "\"captions_judged\":{\"with_page_placement\":%lld,\"as_list_rows\":%lld,\"text_alone\":%lld},"
                 "\"clip_model\":",
                 (long long)r->to_reject, (long long)r->restored, (long long)r->unfetched,
                 (long long)r->reason_changed, (long long)r->lang_changed, (long long)r->not_refetchable,
                 (long long)r->placed_page, (long long)r->placed_list, (long long)r->text_alone);
    if (r->model_id > 0)
        ccbuf_printf(&js, "%lld", (long long)r->model_id);
    else
        ccbuf_puts(&js, "null");
    ccbuf_printf(&js, ",\"seconds\":%.3f}", r->seconds);
    printf("%s\n", (const char *)js.data);
    ccbuf_free(&js);
}

int cmd_refilter(int argc, char **argv)
{
    if (cli_wants_help("refilter", argc, argv))
        return EXIT_OK;
    refilter_options o;
    refilter_options_init(&o);
    char err[1024];
    if (filter_config_from_args(&o.filters, &argc, argv, err, sizeof err) != CC_OK)
        return cli_usage_error("refilter", "%s", err);
    int quiet = 0;
    long model_arg = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-n") == 0) {
            o.dry_run = 1;
        } else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(argv[i], "--model-id") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("refilter", "--model-id needs a value");
            if (cli_parse_long(argv[++i], 1, 1L << 40, &model_arg) != 0)
                return cli_usage_error("refilter", "--model-id needs a clip_models id, got '%s'", argv[i]);
            o.model_id = model_arg;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("refilter", "unknown option '%s'", argv[i]);
        } else if (!o.dir) {
            o.dir = argv[i];
        } else {
            return cli_usage_error("refilter", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!o.dir)
        return cli_usage_error("refilter", "missing DIR");
    cli_progress prog;
    ccbuf args = {0};
    cli_run_options(&o.run, &prog, 1, argc, argv, &args);

    refilter_result r;
    cc_err rc = pipeline_refilter(&o, &r, err, sizeof err);
    int status = cli_engine_status("refilter", rc, err);
    if (status == EXIT_OK) {
        if (o.filters.clip_min_score != 0 && r.model_id < 0 && !quiet)
            fprintf(stderr, "refilter: note: %s has no CLIP scores; clip_min_score has nothing to judge\n", o.dir);
        print_summary(&o, &r);
        if (!quiet && r.unfetched)
            fprintf(stderr,
                    "refilter: %lld rows rejected before download now pass; run the same fetch again to fetch them\n",
                    (long long)r.unfetched);
    }
    ccbuf_free(&args);
    return status;
}
