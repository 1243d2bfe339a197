/* fetch.c — img2dataset-style URL+caption lists → dataset (pipeline_fetch).
 *
 * Streams the input: rows are read only as fast as the download queue
 * drains, so a 100M-row list never sits in memory. Each row is an item of
 * its input (input id, row number): a row that already has an outcome is
 * skipped (resume), the rest go through the image path (images.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "images.h"
#include "pipeline.h"
#include "repeats.h"
#include "settings.h"

void fetch_options_init(fetch_options *o)
{
    memset(o, 0, sizeof *o);
    pipeline_options_init(&o->images);
    http_options_init(&o->http);
    o->http.optout_agent = "clipcrawl";
}

/* The http engine's completion: the engine hands back the pipeline as ctx. */
static void on_http_done(http_result *r, void *ctx, void *item)
{
    pipeline_on_http(ctx, item, r);
}

/* A download abandoned at a stop: its row stays undone for the next run. */
static void on_http_drop(void *ctx, void *item)
{
    (void)ctx;
    pipeline_item_free(item);
}

static void wake_engine(void *engine)
{
    http_wakeup(engine);
}

/* Size of a regular file, or 0 when unknown (stdin, pipes). */
static double file_size(const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    return (double)st.st_size;
}

static int stopping(const fetch_options *o)
{
    return o->run.stop && *o->run.stop;
}

static void report(const fetch_options *o, pipeline *p, double frac, int final)
{
    if (!o->run.progress)
        return;
    pipeline_counts c;
    pipeline_get_counts(p, &c);
    o->run.progress(&c, frac, final, o->run.progress_ctx);
}

/* Reads rows into the engine until the queue bound is reached or the inputs
 * end. Returns 0, or -1 on a dataset error (message in err). */
typedef struct {
    const fetch_options *o;
    pairs_reader **readers;
    dataset *ds;
    pipeline *pipe;
    http_engine *eng;
    int k;                    /* the input being read */
    int64_t input_id;         /* its id, -1 until registered */
    double bytes_done_before; /* sizes of inputs already finished, for the ETA */
    uint64_t rows_read;       /* rows taken from the readers, skipped ones included */
    int64_t other_part;       /* rows that belong to another --part */
    int input_failed;
} feeder;

static int feed(feeder *f, size_t queue_bound, char *err, size_t errlen)
{
    const fetch_options *o = f->o;
    while (f->k < o->n_inputs && http_pending(f->eng) < queue_bound && !stopping(o)) {
        const char *name = o->inputs[f->k];
        if (f->input_id < 0) {
            f->input_id = dataset_input(f->ds, name, pairs_format_name(pairs_get_format(f->readers[f->k])));
            if (f->input_id < 0) {
                snprintf(err, errlen, "%s", dataset_errmsg(f->ds));
                return -1;
            }
        }
        pairs_row row;
        int r = pairs_next(f->readers[f->k], &row);
        if (r <= 0) {
            if (r < 0) {
                cc_log(CC_LOG_ERROR, "%s", pairs_errmsg(f->readers[f->k]));
                f->input_failed = 1;
            }
            f->bytes_done_before += file_size(name);
            f->k++;
            f->input_id = -1;
            continue;
        }
        f->rows_read++;
        if (!part_owns_url(&o->part, row.error ? NULL : row.url)) {
            f->other_part++;
            continue;
        }
        int done = dataset_item_done(f->ds, f->input_id, (int64_t)row.row_no, o->retry_failed);
        if (done < 0) {
            snprintf(err, errlen, "%s", dataset_errmsg(f->ds));
            return -1;
        }
        if (done) {
            pipeline_count_skipped(f->pipe);
            continue;
        }
        pipeline_item *it = pipeline_item_new(f->input_id, (int64_t)row.row_no, row.url, row.caption, NULL,
                                              row.caption ? "list" : NULL);
        if (row.extra_json || row.sha256)
            pipeline_item_set_list(it, row.extra_json, row.sha256);
        if (row.caption) /* a list row's caption: judged (and stored) as one, CC_PLACE_LIST */
            pipeline_item_set_place(it, &(dataset_place){.placement = "list"});
        if (row.error) {
            pipeline_record(f->pipe, it, DS_FAILED, "bad_input", row.error);
            continue;
        }
        int admit = pipeline_admit(f->pipe, it);
        if (admit < 0) {
            snprintf(err, errlen, "%s", pipeline_errmsg(f->pipe));
            return -1;
        }
        if (admit)
            http_submit(f->eng, row.url, it);
    }
    return 0;
}

/* How far through the inputs we are, by input bytes read (known for files,
 * not for stdin), counting only rows whose outcome is written. */
static double fraction_done(const feeder *f, double total_bytes)
{
    if (total_bytes <= 0)
        return 0;
    uint64_t done_b = 0, tot_b = 0;
    if (f->k < f->o->n_inputs)
        pairs_progress(f->readers[f->k], &done_b, &tot_b);
    double frac = (f->bytes_done_before + (double)done_b) / total_bytes;
    /* The reader runs up to the queue bound ahead of the downloads (all of a
     * short list at once): count only finished rows. */
    if (f->rows_read > 0) {
        double unfinished = (double)http_pending(f->eng) + pipeline_in_flight(f->pipe);
        frac *= ((double)f->rows_read - unfinished) / (double)f->rows_read;
    }
    return frac;
}

cc_err pipeline_fetch(const fetch_options *o, fetch_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    /* Open every input first, so a typo fails before anything is written. */
    feeder f = {.o = o, .input_id = -1};
    f.readers = xcalloc((size_t)o->n_inputs + 1, sizeof *f.readers);
    double total_bytes = 0;
    cc_err rc = CC_OK;
    int64_t demoted = 0; /* samples demoted by the repeated-caption pass */
    for (int k = 0; k < o->n_inputs; k++) {
        f.readers[k] = pairs_open(o->inputs[k], &o->pairs, err, errlen);
        if (!f.readers[k]) {
            rc = CC_ERR_IO;
            goto close_inputs;
        }
        total_bytes += file_size(o->inputs[k]);
    }
    dataset_options dso = o->dataset;
    part_shard_numbering(&o->part, &dso.shard_base, &dso.shard_stride);
    f.ds = dataset_open(o->out_dir, &dso, err, errlen);
    if (!f.ds) {
        rc = CC_ERR_IO;
        goto close_inputs;
    }
    /* A run that starts is not complete until it ends well. */
    if (part_clear_success(o->out_dir, err, errlen) != 0) {
        dataset_close(f.ds, 0, NULL, 0);
        rc = CC_ERR_IO;
        goto close_inputs;
    }
    dataset_run_begin(f.ds, "fetch", o->run.args);
    res->ran = 1;

    pipeline_options popt = o->images;
    if (!popt.model && getenv("CLIPCRAWL_MODEL") && popt.filters.clip_min_score != 0)
        popt.model = getenv("CLIPCRAWL_MODEL");
    f.pipe = pipeline_new(f.ds, &popt);
    http_options hopt = o->http;
    hopt.on_done = on_http_done;
    hopt.on_drop = on_http_drop;
    hopt.ctx = f.pipe;
    if (pipeline_errmsg(f.pipe)[0]) {
        snprintf(err, errlen, "%s", pipeline_errmsg(f.pipe));
        rc = CC_ERR_IO;
        goto done;
    }
    /* A re-run honours its settings: record them, say which image settings
     * changed, and give rows refused as private addresses another chance
     * once --allow-private is given. */
    run_settings_prev prev;
    if (run_settings_begin(f.ds, "fetch", &popt, &o->http, -1, URL_SCOPE_HOST, &prev) != CC_OK) {
        snprintf(err, errlen, "%s", dataset_errmsg(f.ds));
        rc = CC_ERR_DB;
        goto done;
    }
    if (o->http.allow_private) {
        int64_t n = dataset_forget_outcomes(f.ds, "rejected", "private_address");
        if (n < 0) {
            snprintf(err, errlen, "%s", dataset_errmsg(f.ds));
            rc = CC_ERR_DB;
            goto done;
        }
        if (n > 0)
            fprintf(stderr, "clipcrawl fetch: %lld rows rejected as private_address before are tried again "
                            "(--allow-private)\n", (long long)n);
    }
    f.eng = http_engine_new(&hopt);
    if (!f.eng) {
        snprintf(err, errlen, "cannot set up libcurl");
        rc = CC_ERR_NETWORK;
        goto done;
    }
    pipeline_set_wakeup(f.pipe, wake_engine, f.eng);
    pipeline_set_engine(f.pipe, f.eng);

    /* Keep the download queue a few times the concurrency: enough to feed every
     * slot, little enough that memory does not grow with the list. */
    size_t queue_bound = (size_t)hopt.max_concurrency * 4;
    while (!stopping(o)) {
        if (feed(&f, queue_bound, err, errlen) != 0) {
            rc = CC_ERR_DB;
            break;
        }
        if (f.k >= o->n_inputs && http_pending(f.eng) == 0 && pipeline_in_flight(f.pipe) == 0)
            break;
        http_run(f.eng, 50);
        if (pipeline_poll(f.pipe, 0) < 0) {
            snprintf(err, errlen, "%s", pipeline_errmsg(f.pipe));
            rc = CC_ERR_DB;
            break;
        }
        report(o, f.pipe, fraction_done(&f, total_bytes), 0);
    }
    /* Stopping (signal or error) or done: abandon unstarted downloads, finish
     * what the workers hold, so nothing already fetched is lost. Workers must
     * be idle before the engine they wake goes away. */
    pipeline_set_wakeup(f.pipe, NULL, NULL);
    if (pipeline_poll(f.pipe, 1) < 0 && rc == CC_OK) {
        snprintf(err, errlen, "%s", pipeline_errmsg(f.pipe));
        rc = CC_ERR_DB;
    }
    pipeline_set_engine(f.pipe, NULL); /* pipeline_free polls again: no hold on a freed engine */
    http_engine_free(f.eng);
    /* Captions repeated on many images of many sources (COYO): samples
     * accepted before their caption crossed the threshold are demoted now. */
    if (rc == CC_OK && (demoted = pipeline_demote_repeated(f.ds, pipeline_caption_filter(f.pipe), err, errlen)) < 0) {
        rc = CC_ERR_DB;
        demoted = 0;
    }
done:
    pipeline_get_counts(f.pipe, &res->counts);
    res->counts.accepted -= demoted;
    res->counts.rejected += demoted;
    report(o, f.pipe, 1.0, 1);
    pipeline_free(f.pipe);
    res->stopped = stopping(o);
    res->input_failed = f.input_failed;
    res->other_part = f.other_part;
    char counts[256];
    {
        snprintf(counts, sizeof counts, "{\"accepted\":%lld,\"rejected\":%lld,\"failed\":%lld,\"optout\":%lld}",
                 (long long)res->counts.accepted, (long long)res->counts.rejected, (long long)res->counts.failed,
                 (long long)res->counts.optout);
        dataset_run_end(f.ds, counts);
    }
    /* An interrupted run leaves its shard open so the next run continues it. */
    {
        char cerr[512];
        if (dataset_close(f.ds, !res->stopped && rc == CC_OK, cerr, sizeof cerr) != CC_OK && rc == CC_OK) {
            snprintf(err, errlen, "%s", cerr);
            rc = CC_ERR_IO;
        }
        /* _SUCCESS goes last, after the shard is sealed and the index closed. */
        if (part_finish_run(o->out_dir, "fetch", &o->part, rc == CC_OK && !res->stopped && !f.input_failed,
                            counts, cerr, sizeof cerr) != 0 && rc == CC_OK) {
            snprintf(err, errlen, "%s", cerr);
            rc = CC_ERR_IO;
        }
    }
close_inputs:
    for (int k = 0; k < o->n_inputs; k++)
        pairs_close(f.readers[k]);
    free(f.readers);
    return rc;
}
