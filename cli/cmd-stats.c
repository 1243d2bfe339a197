/* cmd-stats.c — clipcrawl stats DIR...: the dataset's figures as one JSON object.
 * Several DIRs: {"dirs": N, "total": {the additive figures summed}, "parts": [each DIR's object]}.
 *
 * {"dir", "items", "samples", "by_status": {status: n}, "by_reason": {status: {reason: n}},
 *  "bytes": {"original", "stored", "shard_files"}, "shards": {"total", "sealed", "open"},
 *  "runs": {"count", "seconds", "items_per_second", "samples_per_second", "last": {...}}} */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "dataset.h"
#include "overview.h"
#include "json.h"

static void str_or_null(ccbuf *b, const char *s)
{
    if (s)
        ccbuf_json_string(b, s, strlen(s));
    else
        ccbuf_puts(b, "null");
}

static void print_last_run(ccbuf *b, const dataset_stats *s)
{
    if (!s->has_last_run) {
        ccbuf_puts(b, "null");
        return;
    }
    ccbuf_printf(b, "{\"id\":%lld,\"command\":", (long long)s->last_id);
    str_or_null(b, s->last_command);
    ccbuf_puts(b, ",\"args\":");
    str_or_null(b, s->last_args);
    ccbuf_printf(b, ",\"started_at\":%.3f,\"finished_at\":", s->last_started);
    if (s->last_finished < 0)
        ccbuf_puts(b, "null");
    else
        ccbuf_printf(b, "%.3f", s->last_finished);
    ccbuf_puts(b, ",\"counts\":");
    /* counts is stored as JSON text by the run's writer */
    const char *c = s->last_counts;
    char jerr[64];
    json_value *cj = c ? json_parse(c, strlen(c), jerr, sizeof jerr) : NULL;
    if (cj)
        ccbuf_puts(b, c);
    else
        str_or_null(b, c); /* not JSON: keep it as text */
    json_free(cj);
    ccbuf_puts(b, ",\"settings\":");
    ccbuf_puts(b, s->last_settings ? s->last_settings : "null"); /* JSON written by the run */
    ccbuf_puts(b, "}");
}

/* Each run's settings (newest first), so a changed setting shows. */
static void print_run_settings(ccbuf *b, const dataset_stats *s)
{
    ccbuf_puts(b, "[");
    for (size_t i = 0; i < s->n_run_settings; i++) {
        ccbuf_printf(b, "%s{\"id\":%lld,\"command\":", i ? "," : "", (long long)s->run_settings[i].id);
        str_or_null(b, s->run_settings[i].command);
        ccbuf_printf(b, ",\"settings\":%s}", s->run_settings[i].settings);
    }
    ccbuf_puts(b, "]");
}


/* Reasons summed over several DIRs. */
typedef struct {
    char *status, *reason;
    int64_t n;
} reason_total;

typedef struct {
    int64_t items, samples, by_status[4], bytes[3], shards[3];
    reason_total *reasons;
    size_t n_reasons;
} totals;

static void add_totals(totals *t, const dataset_stats *s)
{
    t->items += s->items;
    t->samples += s->samples;
    for (int i = 0; i < 4; i++)
        t->by_status[i] += s->by_status[i];
    t->bytes[0] += s->bytes_original;
    t->bytes[1] += s->bytes_stored;
    t->bytes[2] += s->bytes_shard_files;
    t->shards[0] += s->shards;
    t->shards[1] += s->shards_sealed;
    t->shards[2] += s->shards_open;
    for (size_t i = 0; i < s->n_reasons; i++) {
        const dataset_reason_count *c = &s->reasons[i];
        const char *reason = c->reason ? c->reason : "";
        size_t k = 0;
        while (k < t->n_reasons && (strcmp(t->reasons[k].status, c->status) || strcmp(t->reasons[k].reason, reason)))
            k++;
        if (k == t->n_reasons) {
            t->reasons = xrealloc(t->reasons, (k + 1) * sizeof *t->reasons);
            t->reasons[k] = (reason_total){xasprintf("%s", c->status), xasprintf("%s", reason), 0};
            t->n_reasons++;
        }
        t->reasons[k].n += c->n;
    }
}

static int by_status_then_count(const void *a, const void *b)
{
    const reason_total *x = a, *y = b;
    int c = strcmp(x->status, y->status);
    return c ? c : (x->n < y->n) - (x->n > y->n);
}

/* The additive figures of several DIRs as one JSON object. */
static void totals_json(totals *t, ccbuf *b)
{
    ccbuf_printf(b, "{\"items\":%lld,\"samples\":%lld,\"by_status\":{", (long long)t->items, (long long)t->samples);
    for (int i = 0; i < 4; i++)
        ccbuf_printf(b, "%s\"%s\":%lld", i ? "," : "", dataset_status_name((dataset_status)i),
                     (long long)t->by_status[i]);
    ccbuf_puts(b, "},\"by_reason\":{");
    qsort(t->reasons, t->n_reasons, sizeof *t->reasons, by_status_then_count);
    for (size_t i = 0; i < t->n_reasons; i++) {
        if (i == 0 || strcmp(t->reasons[i].status, t->reasons[i - 1].status) != 0)
            ccbuf_printf(b, "%s\"%s\":{", i ? "}," : "", t->reasons[i].status);
        else
            ccbuf_putc(b, ',');
        ccbuf_json_string(b, t->reasons[i].reason, strlen(t->reasons[i].reason));
        ccbuf_printf(b, ":%lld", (long long)t->reasons[i].n);
    }
    if (t->n_reasons)
        ccbuf_putc(b, '}');
    ccbuf_printf(b, "},\"bytes\":{\"original\":%lld,\"stored\":%lld,\"shard_files\":%lld}",
                 (long long)t->bytes[0], (long long)t->bytes[1], (long long)t->bytes[2]);
    ccbuf_printf(b, ",\"shards\":{\"total\":%lld,\"sealed\":%lld,\"open\":%lld}}", (long long)t->shards[0],
                 (long long)t->shards[1], (long long)t->shards[2]);
    for (size_t i = 0; i < t->n_reasons; i++) {
        free(t->reasons[i].status);
        free(t->reasons[i].reason);
    }
    free(t->reasons);
}

/* One DIR's figures as a JSON object appended to b; its additive figures to t. */
static int stats_one(const char *dir, ccbuf *out, totals *t)
{
    char err[512];
    dataset *ds = dataset_open_readonly(dir, err, sizeof err);
    if (!ds)
        return cli_fail("stats", "%s", err);
    dataset_stats s;
    if (dataset_get_stats(ds, &s) != CC_OK) {
        int status = cli_fail("stats", "%s", dataset_errmsg(ds));
        dataset_close(ds, 0, NULL, 0);
        return status;
    }
    add_totals(t, &s);
    ccbuf b = {0};
    ccbuf_puts(&b, "{\"dir\":");
    ccbuf_json_string(&b, dir, strlen(dir));
    ccbuf_printf(&b, ",\"items\":%lld,\"samples\":%lld,\"by_status\":{", (long long)s.items, (long long)s.samples);
    for (int i = 0; i < 4; i++)
        ccbuf_printf(&b, "%s\"%s\":%lld", i ? "," : "", dataset_status_name((dataset_status)i),
                     (long long)s.by_status[i]);
    ccbuf_puts(&b, "},\"by_reason\":{");
    for (size_t i = 0; i < s.n_reasons; i++) {
        const dataset_reason_count *c = &s.reasons[i];
        if (i == 0 || strcmp(c->status, s.reasons[i - 1].status) != 0)
            ccbuf_printf(&b, "%s\"%s\":{", i ? "}," : "", c->status);
        else
            ccbuf_putc(&b, ',');
        const char *reason = c->reason ? c->reason : "";
        ccbuf_json_string(&b, reason, strlen(reason));
        ccbuf_printf(&b, ":%lld", (long long)c->n);
    }
    if (s.n_reasons)
        ccbuf_putc(&b, '}');
    ccbuf_printf(&b, "},\"bytes\":{\"original\":%lld,\"stored\":%lld,\"shard_files\":%lld}",
                 (long long)s.bytes_original, (long long)s.bytes_stored, (long long)s.bytes_shard_files);
    ccbuf_printf(&b, ",\"shards\":{\"total\":%lld,\"sealed\":%lld,\"open\":%lld}", (long long)s.shards,
                 (long long)s.shards_sealed, (long long)s.shards_open);
    ccbuf_printf(&b, ",\"runs\":{\"count\":%lld,\"seconds\":%.3f,\"items_per_second\":", (long long)s.runs,
                 s.run_seconds);
    if (s.run_seconds > 0)
        ccbuf_printf(&b, "%.2f,\"samples_per_second\":%.2f", s.run_items / s.run_seconds,
                     s.run_samples / s.run_seconds);
    else
        ccbuf_puts(&b, "null,\"samples_per_second\":null");
    ccbuf_puts(&b, ",\"last\":");
    print_last_run(&b, &s);
    ccbuf_puts(&b, ",\"settings\":");
    print_run_settings(&b, &s);
    ccbuf_puts(&b, "},");
    /* the funnel, rejections, failures, CLIP-score and caption-length
     * quantiles and top hosts (dataset/overview.h) */
    dataset_overview ov;
    if (dataset_overview_get(ds, 10, &ov, err, sizeof err) != CC_OK) {
        ccbuf_free(&b);
        dataset_close(ds, 0, NULL, 0);
        return cli_fail("stats", "%s", err);
    }
    dataset_overview_json(&ov, &b);
    dataset_overview_free(&ov);
    ccbuf_puts(&b, "}");
    ccbuf_append(out, b.data, b.len);
    int status = EXIT_OK;
    ccbuf_free(&b);
    dataset_stats_free(&s);
    dataset_close(ds, 0, NULL, 0);
    return status;
}

int cmd_stats(int argc, char **argv)
{
    if (cli_wants_help("stats", argc, argv))
        return EXIT_OK;
    if (argc < 2)
        return cli_usage_error("stats", "needs DIR");
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-')
            return cli_usage_error("stats", "unknown option '%s'", argv[i]);
    ccbuf b = {0};
    totals t = {0};
    int status = EXIT_OK;
    if (argc == 2) {
        status = stats_one(argv[1], &b, &t);
    } else {
        /* Several DIRs (the parts of a partitioned run): the sums, then each DIR. */
        ccbuf parts = {0};
        for (int i = 1; i < argc && status == EXIT_OK; i++) {
            if (i > 1)
                ccbuf_putc(&parts, ',');
            status = stats_one(argv[i], &parts, &t);
        }
        ccbuf_printf(&b, "{\"dirs\":%d,\"total\":", argc - 1);
        totals_json(&t, &b);
        ccbuf_puts(&b, ",\"parts\":[");
        ccbuf_append(&b, parts.data, parts.len);
        ccbuf_puts(&b, "]}");
        ccbuf_free(&parts);
        t.reasons = NULL;
        t.n_reasons = 0;
    }
    for (size_t i = 0; i < t.n_reasons; i++) {
        free(t.reasons[i].status);
        free(t.reasons[i].reason);
    }
    free(t.reasons);
    if (status == EXIT_OK) {
        ccbuf_putc(&b, '\n');
        fwrite(b.data, 1, b.len, stdout);
        if (fflush(stdout) != 0)
            status = cli_fail("stats", "cannot write to stdout");
    }
    ccbuf_free(&b);
    return status;
}
