/* cmd-fetch.c — `clipcrawl fetch PAIRS... -o DIR`: download an img2dataset-style
 * URL+caption list into shards. Streams the input: rows are read only as fast
 * as the download queue drains, so a 100M-row list never sits in memory. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "common.h"
#include "dataset.h"
#include "http.h"
#include "pairs.h"
#include "pipeline.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_http_done(http_result *r, void *user);

typedef struct {
    pipeline *pipe;
} fetch_ctx;

static fetch_ctx *the_ctx;

static void wake_engine(void *engine)
{
    http_wakeup(engine);
} /* http's on_done has only the item as user pointer */

static void on_http_done(http_result *r, void *user)
{
    pipeline_on_http(the_ctx->pipe, user, r);
}

/* Size of a regular file, or 0 when unknown (stdin, pipes). */
static double file_size(const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    return (double)st.st_size;
}

int cmd_fetch(int argc, char **argv)
{
    if (cli_wants_help("fetch", argc, argv))
        return EXIT_OK;
    const char *out_dir = NULL;
    pairs_options popt = {0};
    pipeline_options opt;
    pipeline_options_init(&opt);
    http_options hopt;
    http_options_init(&hopt);
    hopt.optout_agent = "clipcrawl";
    dataset_options dopt = {0};
    int retry_failed = 0, quiet = 0;
    const char **inputs = xcalloc((size_t)argc, sizeof *inputs);
    int n_inputs = 0;
    char err[512];

    /* The filter flags (--filters FILE, --languages, ...) come out of argv first. */
    if (filter_config_from_args(&opt.filters, &argc, argv, err, sizeof err) != CC_OK) {
        free(inputs);
        return cli_usage_error("fetch", "%s", err);
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 0;
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            inputs[n_inputs++] = a;
            continue;
        }
        int r = pipeline_option(&opt, &hopt, a, v, &takes, err, sizeof err);
        if (r < 0) {
            free(inputs);
            return cli_usage_error("fetch", "%s", err);
        }
        if (r > 0) {
            i += takes;
            continue;
        }
        if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && v) {
            out_dir = v, i++;
        } else if (strcmp(a, "--url-col") == 0 && v) {
            popt.url_col = v, i++;
        } else if (strcmp(a, "--caption-col") == 0 && v) {
            popt.caption_col = v, i++;
        } else if (strcmp(a, "--input-format") == 0 && v) {
            popt.format = pairs_format_parse(v);
            if (popt.format == PAIRS_AUTO) {
                free(inputs);
                return cli_usage_error("fetch", "unknown --input-format '%s' (txt, csv, tsv, json, jsonl)", v);
            }
            i++;
        } else if (strcmp(a, "--samples-per-shard") == 0 && v) {
            long n;
            if (cli_parse_long(v, 1, DATASET_MAX_SAMPLES_PER_SHARD, &n) != 0) {
                free(inputs);
                return cli_usage_error("fetch", "--samples-per-shard needs 1..%d, got '%s'",
                                       DATASET_MAX_SAMPLES_PER_SHARD, v);
            }
            dopt.samples_per_shard = (int)n, i++;
        } else if (strcmp(a, "--retry-failed") == 0) {
            retry_failed = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else {
            free(inputs);
            return cli_usage_error("fetch", "unknown option or missing value: '%s'", a);
        }
    }
    if (!out_dir) {
        free(inputs);
        return cli_usage_error("fetch", "missing -o DIR");
    }
    if (n_inputs == 0) {
        free(inputs);
        return cli_usage_error("fetch", "no input list given");
    }

    /* Open every input first, so a typo fails before anything is written. */
    pairs_reader **readers = xcalloc((size_t)n_inputs, sizeof *readers);
    double total_bytes = 0;
    for (int k = 0; k < n_inputs; k++) {
        readers[k] = pairs_open(inputs[k], &popt, err, sizeof err);
        if (!readers[k]) {
            for (int j = 0; j < k; j++)
                pairs_close(readers[j]);
            free(readers);
            free(inputs);
            return cli_fail("fetch", "%s", err);
        }
        total_bytes += file_size(inputs[k]);
    }

    dataset *ds = dataset_open(out_dir, &dopt, err, sizeof err);
    if (!ds) {
        for (int k = 0; k < n_inputs; k++)
            pairs_close(readers[k]);
        free(readers);
        free(inputs);
        return cli_fail("fetch", "%s", err);
    }
    ccbuf args = {0};
    for (int i = 1; i < argc; i++)
        ccbuf_printf(&args, "%s%s", i > 1 ? " " : "", argv[i]);
    dataset_run_begin(ds, "fetch", (const char *)args.data);
    ccbuf_free(&args);

    fetch_ctx ctx = {0};
    the_ctx = &ctx;
    if (!opt.model && getenv("CLIPCRAWL_MODEL") && opt.filters.clip_min_score != 0)
        opt.model = getenv("CLIPCRAWL_MODEL");
    ctx.pipe = pipeline_new(ds, &opt);
    hopt.on_done = on_http_done;
    http_engine *eng = NULL;
    int status = EXIT_OK;
    if (pipeline_errmsg(ctx.pipe)[0]) {
        status = cli_fail("fetch", "%s", pipeline_errmsg(ctx.pipe));
        goto done;
    }
    eng = http_engine_new(&hopt);
    if (!eng) {
        status = cli_fail("fetch", "cannot set up libcurl");
        goto done;
    }
    pipeline_set_wakeup(ctx.pipe, wake_engine, eng);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    /* Keep the download queue a few times the concurrency: enough to feed every
     * slot, little enough that memory does not grow with the list. */
    size_t queue_bound = (size_t)hopt.max_concurrency * 4;
    int k = 0;
    int64_t input_id = -1;
    double bytes_done_before = 0; /* sizes of inputs already finished, for the ETA */
    uint64_t rows_read = 0;       /* rows taken from the readers, skipped ones included */
    int input_failed = 0;
    while (!stop_requested) {
        while (k < n_inputs && http_pending(eng) < queue_bound && !stop_requested) {
            if (input_id < 0) {
                input_id = dataset_input(ds, inputs[k], pairs_format_name(pairs_get_format(readers[k])));
                if (input_id < 0) {
                    status = cli_fail("fetch", "%s", dataset_errmsg(ds));
                    goto drain;
                }
            }
            pairs_row row;
            int r = pairs_next(readers[k], &row);
            if (r <= 0) {
                if (r < 0) {
                    cc_log(CC_LOG_ERROR, "%s", pairs_errmsg(readers[k]));
                    input_failed = 1;
                }
                bytes_done_before += file_size(inputs[k]);
                k++;
                input_id = -1;
                continue;
            }
            rows_read++;
            int done = dataset_item_done(ds, input_id, (int64_t)row.row_no, retry_failed);
            if (done < 0) {
                status = cli_fail("fetch", "%s", dataset_errmsg(ds));
                goto drain;
            }
            if (done) {
                pipeline_count_skipped(ctx.pipe);
                continue;
            }
            pipeline_item *it = pipeline_item_new(input_id, (int64_t)row.row_no, row.url, row.caption, NULL,
                                                  row.caption ? "list" : NULL);
            if (row.error) {
                pipeline_record(ctx.pipe, it, DS_FAILED, "bad_input", row.error);
                continue;
            }
            if (pipeline_admit(ctx.pipe, it))
                http_submit(eng, row.url, it);
        }
        if (k >= n_inputs && http_pending(eng) == 0 && pipeline_in_flight(ctx.pipe) == 0)
            break;
        http_run(eng, 50);
        if (pipeline_poll(ctx.pipe, 0) < 0) {
            status = cli_fail("fetch", "%s", pipeline_errmsg(ctx.pipe));
            goto drain;
        }
        if (!quiet) {
            /* The ETA is by input bytes read: known for files, not for stdin. */
            double frac = 0;
            if (total_bytes > 0) {
                uint64_t done_b = 0, tot_b = 0;
                if (k < n_inputs)
                    pairs_progress(readers[k], &done_b, &tot_b);
                frac = (bytes_done_before + (double)done_b) / total_bytes;
                /* The reader runs up to queue_bound rows ahead of the downloads
                 * (all of a short list at once): count only finished rows. */
                if (rows_read > 0) {
                    double unfinished = (double)http_pending(eng) + pipeline_in_flight(ctx.pipe);
                    frac *= ((double)rows_read - unfinished) / (double)rows_read;
                }
            }
            pipeline_progress(ctx.pipe, frac, 0);
        }
    }
drain:
    /* Stopping (signal or error) or done: abandon unstarted downloads, finish
     * what the workers hold, so nothing already fetched is lost. */
    /* Workers must be idle before the engine they wake goes away. */
    pipeline_set_wakeup(ctx.pipe, NULL, NULL);
    if (pipeline_poll(ctx.pipe, 1) < 0 && status == EXIT_OK)
        status = cli_fail("fetch", "%s", pipeline_errmsg(ctx.pipe));
    http_engine_free(eng);
    eng = NULL;
    if (input_failed && status == EXIT_OK)
        status = EXIT_FAIL;
done:;
    pipeline_counts c;
    pipeline_get_counts(ctx.pipe, &c);
    if (!quiet)
        pipeline_progress(ctx.pipe, 1.0, 1);
    pipeline_free(ctx.pipe);
    char counts[256];
    snprintf(counts, sizeof counts,
             "{\"accepted\":%lld,\"rejected\":%lld,\"failed\":%lld,\"optout\":%lld}",
             (long long)c.accepted, (long long)c.rejected, (long long)c.failed, (long long)c.optout);
    dataset_run_end(ds, counts);
    /* An interrupted run leaves its shard open so the next run continues it. */
    if (dataset_close(ds, !stop_requested && status == EXIT_OK, err, sizeof err) != CC_OK && status == EXIT_OK)
        status = cli_fail("fetch", "%s", err);
    for (int j = 0; j < n_inputs; j++)
        pairs_close(readers[j]);
    free(readers);
    free(inputs);
    printf("%s\n", counts);
    if (stop_requested && status == EXIT_OK)
        status = EXIT_FAIL;
    return status;
}
