/* export.c — a selected subset as a new dataset (see export.h). */
#include "export.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "dataset.h"

/* splitmix64: a seeded, portable shuffle (same seed, same order everywhere) */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void shuffle(int64_t *v, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(mix(&s) % i);
        int64_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

int export_run(const export_options *o, export_counts *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    double t0 = cc_now();
    char src_abs[PATH_MAX], out_abs[PATH_MAX];
    if (!realpath(o->src_dir, src_abs)) {
        cc_seterr(err, errlen, "%s: no such dataset directory", o->src_dir);
        return -1;
    }
    if (realpath(o->out_dir, out_abs) && strcmp(src_abs, out_abs) == 0) {
        cc_seterr(err, errlen, "%s: export needs a new directory, not the source itself (see `compact`)", o->out_dir);
        return -1;
    }
    dataset *src = dataset_open_readonly(o->src_dir, err, errlen);
    if (!src)
        return -1;
    int rc = -1;
    dataset *dst = NULL;
    dataset_item_reader *rows = NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    char *prev = NULL;
    ccbuf image = {0}, extra = {0};
    dataset_emb_model m = {0};
    int64_t score_model = 0;
    if (dataset_emb_model_find(src, NULL, NULL, &m, err, errlen) == CC_OK)
        score_model = m.row; /* KEY.json carries its score */
    dataset_emb_model_clear(&m);
    err[0] = 0;
    if (dataset_select_ids(src, &o->sel, o->hits, o->nhits, &ids, &n, err, errlen) != CC_OK)
        goto out;
    c->selected = (int64_t)n;
    if (n == 0) {
        cc_seterr(err, errlen, "%s: the selection holds no sample; nothing to export", o->src_dir);
        goto out;
    }
    if (o->shuffle)
        shuffle(ids, n, o->seed);
    if (!(rows = dataset_item_reader_new(src, score_model, err, errlen)))
        goto out;
    dataset_options dopt = {.samples_per_shard = o->samples_per_shard};
    if (!(dst = dataset_open(o->out_dir, &dopt, err, errlen)))
        goto out;
    if (dataset_first_run_args(dst, "export", &prev, err, errlen) != CC_OK)
        goto out;
    if (prev && strcmp(prev, o->selection) != 0) {
        cc_seterr(err, errlen, "%s: holds an export of another selection (%s); export into a new directory",
                  o->out_dir, prev);
        goto out;
    }
    int64_t input = dataset_input(dst, src_abs, "dataset");
    if (input < 0 || dataset_run_begin(dst, "export", o->selection) < 0) {
        cc_seterr(err, errlen, "%s", dataset_errmsg(dst));
        goto out;
    }
    double last = cc_now();
    for (size_t i = 0; i < n; i++) {
        int done = dataset_item_done(dst, input, ids[i], 0);
        if (done < 0) {
            cc_seterr(err, errlen, "%s", dataset_errmsg(dst));
            goto out;
        }
        if (done) {
            c->already++;
            continue;
        }
        dataset_item r;
        char ext[8];
        if (dataset_item_get(rows, ids[i], &r, err, errlen) != CC_OK)
            goto out;
        if (dataset_read_sample(src, r.key, &image, ext, NULL, NULL) != CC_OK) {
            cc_seterr(err, errlen, "%s", dataset_errmsg(src));
            goto out;
        }
        ccbuf_reset(&extra);
        ccbuf_printf(&extra, "{\"source_key\":\"%s\"", r.key);
        if (r.has_clip_score)
            ccbuf_printf(&extra, ",\"clip_score\":%.6f", r.clip_score);
        ccbuf_putc(&extra, '}');
        dataset_sample s = {
            .input_id = input, .row_no = ids[i],
            .url = r.url, .caption = r.caption, .page_url = r.page_url, .caption_source = r.caption_source,
            .image = image.data, .image_len = image.len, .ext = ext,
            .width = r.width, .height = r.height,
            .original_width = r.original_width, .original_height = r.original_height,
            .bytes = r.bytes, .sha256 = r.sha256, .http_status = r.http_status,
            .mime = r.mime, .language = r.language, .fetched_at = r.fetched_at,
            .extra_json = (const char *)extra.data,
            .caption_raw = r.caption_raw, .has_phash = r.has_phash, .phash = r.phash,
        };
        if (dataset_add_accepted(dst, &s, NULL) != CC_OK) {
            cc_seterr(err, errlen, "%s", dataset_errmsg(dst));
            goto out;
        }
        c->written++;
        if (o->progress && cc_now() - last >= 1.0) {
            last = cc_now();
            fprintf(stderr, "export: %lld/%zu (%.0f/s)\n", (long long)(c->written + c->already), n,
                    (double)c->written / (last - t0));
        }
    }
    char counts[160];
    snprintf(counts, sizeof counts, "{\"selected\":%lld,\"written\":%lld,\"already\":%lld}", (long long)c->selected,
             (long long)c->written, (long long)c->already);
    if (dataset_run_end(dst, counts) != CC_OK) {
        cc_seterr(err, errlen, "%s", dataset_errmsg(dst));
        goto out;
    }
    rc = 0;
out:
    if (dst) {
        char e2[512];
        /* a finished export seals its last shard; an interrupted one leaves
         * the .part for the re-run to continue */
        if (dataset_close(dst, rc == 0, e2, sizeof e2) != CC_OK && rc == 0) {
            cc_seterr(err, errlen, "%s", e2);
            rc = -1;
        }
    }
    dataset_item_reader_free(rows);
    dataset_close(src, 0, NULL, 0);
    ccbuf_free(&image);
    ccbuf_free(&extra);
    free(ids);
    free(prev);
    c->seconds = cc_now() - t0;
    return rc;
}
