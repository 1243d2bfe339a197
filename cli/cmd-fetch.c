/* cmd-fetch.c — `clipcrawl fetch PAIRS... -o DIR`: the arguments of
 * pipeline_fetch (pipeline/fetch.c), its progress and its closing JSON line. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "pipeline.h"

/* Applies one fetch-only flag at argv[*i]. 1 applied, 0 unknown, or an exit status < 0 negated. */
static int fetch_flag(fetch_options *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && v) {
        o->out_dir = v;
    } else if (strcmp(a, "--url-col") == 0 && v) {
        o->pairs.url_col = v;
    } else if (strcmp(a, "--caption-col") == 0 && v) {
        o->pairs.caption_col = v;
    } else if (strcmp(a, "--input-format") == 0 && v) {
        o->pairs.format = pairs_format_parse(v);
        if (o->pairs.format == PAIRS_AUTO)
            return -cli_usage_error("fetch", "unknown --input-format '%s' (txt, csv, tsv, json, jsonl, parquet)", v);
    } else if (strcmp(a, "--save-additional-columns") == 0 && v) {
        /* "a,b,c" → names: one block, the pointers then the split copy of v */
        size_t slots = strlen(v) / 2 + 2;
        char *block = xmalloc(slots * sizeof(char *) + strlen(v) + 1);
        const char **names = (const char **)(void *)block;
        char *copy = strcpy(block + slots * sizeof(char *), v);
        int n = 0;
        for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (*t)
                names[n++] = t;
        free((void *)o->pairs.extra_cols); /* the flag given twice: the last wins */
        if (n == 0) {
            free(block);
            o->pairs.extra_cols = NULL;
            return -cli_usage_error("fetch", "--save-additional-columns needs column names, got '%s'", v);
        }
        o->pairs.extra_cols = names;
        o->pairs.n_extra = n;
    } else if (strcmp(a, "--samples-per-shard") == 0 && v) {
        long n;
        if (cli_parse_long(v, 1, DATASET_MAX_SAMPLES_PER_SHARD, &n) != 0)
            return -cli_usage_error("fetch", "--samples-per-shard needs 1..%d, got '%s'",
                                    DATASET_MAX_SAMPLES_PER_SHARD, v);
        o->dataset.samples_per_shard = (int)n;
    } else if (strcmp(a, "--retry-failed") == 0) {
        o->retry_failed = 1;
        return 1;
    } else {
        return 0;
    }
    (*i)++;
    return 1;
}

int cmd_fetch(int argc, char **argv)
{
    if (cli_wants_help("fetch", argc, argv))
        return EXIT_OK;
    fetch_options o;
    fetch_options_init(&o);
    int quiet = 0, status = EXIT_OK;
    cli_part_args part = {0};
    const char **inputs = xcalloc((size_t)argc, sizeof *inputs);
    char err[1024];

    /* The filter flags (--filters FILE, --languages, ...) come out of argv first. */
    if (filter_config_from_args(&o.images.filters, &argc, argv, err, sizeof err) != CC_OK) {
        free(inputs);
        return cli_usage_error("fetch", "%s", err);
    }
    for (int i = 1; i < argc && status == EXIT_OK; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 0, r;
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            inputs[o.n_inputs++] = a;
        } else if ((r = pipeline_option(&o.images, &o.http, a, v, &takes, err, sizeof err)) != 0) {
            if (r < 0)
                status = cli_usage_error("fetch", "%s", err);
            i += takes;
        } else if ((r = cli_part_flag(&part, a, v, &takes)) != 0) {
            if (r < 0)
                status = cli_usage_error("fetch", "%s needs a value (--part I/N or auto, --part-count N)", a);
            i += takes;
        } else if ((r = fetch_flag(&o, argc, argv, &i)) != 0) {
            if (r < 0)
                status = -r;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else {
            status = cli_usage_error("fetch", "unknown option or missing value: '%s'", a);
        }
    }
    if (status == EXIT_OK && !o.out_dir)
        status = cli_usage_error("fetch", "missing -o DIR");
    if (status == EXIT_OK && pipeline_options_check(&o.images, err, sizeof err) != 0)
        status = cli_usage_error("fetch", "%s", err);
    if (status == EXIT_OK && o.n_inputs == 0)
        status = cli_usage_error("fetch", "no input list given");
    if (status == EXIT_OK)
        status = cli_part_resolve("fetch", &part, &o.part);
    if (status != EXIT_OK) {
        free(inputs);
        free((void *)o.pairs.extra_cols);
        return status;
    }
    o.inputs = inputs;
    cli_progress prog;
    ccbuf args = {0};
    cli_run_options(&o.run, &prog, quiet, argc, argv, &args);
    o.run.stop = cli_catch_signals();

    fetch_result res;
    cc_err rc = pipeline_fetch(&o, &res, err, sizeof err);
    status = rc == CC_OK ? EXIT_OK : cli_fail("fetch", "%s", err);
    if (res.ran)
        printf("{\"accepted\":%lld,\"rejected\":%lld,\"failed\":%lld,\"optout\":%lld}\n",
               (long long)res.counts.accepted, (long long)res.counts.rejected, (long long)res.counts.failed,
               (long long)res.counts.optout);
    if (res.ran && o.part.count > 1)
        cc_log(CC_LOG_INFO, "part %d/%d: %lld rows belong to other parts", o.part.index, o.part.count,
               (long long)res.other_part);
    if (status == EXIT_OK && (res.stopped || res.input_failed))
        status = EXIT_FAIL;
    /* A run whose every row was refused for one run-level reason did nothing useful. */
    const pipeline_counts *c = &res.counts;
    if (status == EXIT_OK && c->private_address > 0 && c->accepted == 0 &&
        c->private_address == c->rejected + c->failed + c->optout)
        status = cli_fail("fetch", "every row (%lld) was refused as private_address (loopback/private network): "
                                   "give --allow-private if you mean those addresses",
                          (long long)c->private_address);
    ccbuf_free(&args);
    free(inputs);
    free((void *)o.pairs.extra_cols);
    return status;
}
