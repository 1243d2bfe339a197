/* export.c — a selected subset as a new dataset (see export.h). */
#include "export.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "dataset.h"
#include "image.h"
#include "phash.h"

/* Rows per transaction in OUT: a bulk copy commits (after syncing its
 * frames) every few thousand rows instead of every 256; a kill -9 redoes at
 * most this many. */
#define EXPORT_COMMIT_ROWS 8192
#define EXPORT_COMMIT_SECONDS 10.0
/* zstd level of OUT's frames: images do not compress; the fast level -1
 * gives the same ratio as level 1 on shard frames at about twice its speed
 * (bench/README.md). */
#define EXPORT_ZSTD_LEVEL (-1)
/* Samples re-encoded together (a batch per worker pool round). */
#define REENCODE_BATCH 64

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

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int in_sorted(const int64_t *v, size_t n, int64_t x)
{
    return n && bsearch(&x, v, n, sizeof *v, cmp_i64) != NULL;
}

/* Drops later repeats of an id (a hit list naming a key twice), keeping the
 * order of first appearance: the bulk writer relies on each id once. */
static void drop_repeats(int64_t *ids, size_t *n)
{
    if (*n == 0)
        return;
    int64_t *sorted = xmalloc((*n ? *n : 1) * sizeof *sorted);
    memcpy(sorted, ids, *n * sizeof *ids);
    qsort(sorted, *n, sizeof *sorted, cmp_i64);
    unsigned char *seen = xcalloc(*n ? *n : 1, 1);
    size_t m = 0;
    for (size_t i = 0; i < *n; i++) {
        int64_t *p = bsearch(&ids[i], sorted, *n, sizeof *sorted, cmp_i64);
        while (p > sorted && p[-1] == ids[i]) /* the first of equal ids */
            p--;
        size_t at = (size_t)(p - sorted);
        if (!seen[at]) {
            seen[at] = 1;
            ids[m++] = ids[i];
        }
    }
    *n = m;
    free(seen);
    free(sorted);
}

/* ---- re-encoding ----------------------------------------------------------------- */

typedef struct {
    pipeline_options opt;  /* the image settings */
    img_resize_mode mode;  /* with IMG_RESIZE_ONLY_IF_BIGGER */
    int quality;           /* resolved */
} reencoder;

typedef struct {
    const reencoder *re;
    int64_t id;
    dataset_item row;      /* its strings point into strs */
    ccbuf strs;
    char ext[8];           /* of the stored image */
    ccbuf in, out;         /* stored bytes; re-encoded bytes */
    ccbuf extra;           /* KEY.json's extra members */
    char key[10];          /* the key OUT should give it (a plain copy) */
    dataset_frame frame;   /* its frame, built on the reader thread (a plain copy) */
    int width, height;
    uint64_t phash;
    cc_err rc;
    char err[256];
} slot;

static void reencode_job(void *arg)
{
    slot *s = arg;
    const reencoder *re = s->re;
    img_image im = {0};
    ccbuf_reset(&s->out);
    s->rc = img_decode_resize(s->in.data, s->in.len, re->opt.filters.image_max_pixels, re->opt.image_size, re->mode,
                              &im, s->err, sizeof s->err);
    if (s->rc == CC_OK) {
        s->width = im.width;
        s->height = im.height;
        s->phash = img_phash64(&im);
        s->rc = img_encode(&im, re->opt.encode_format, re->quality, &s->out, s->err, sizeof s->err);
    }
    img_image_free(&im);
}

/* The settings OUT records for this run (runs.settings), with fetch's keys. */
static void settings_json(const export_options *o, const reencoder *re, ccbuf *j)
{
    if (!o->reencode) {
        ccbuf_puts(j, "{\"keep_original\":1}");
        return;
    }
    ccbuf_printf(j,
                 "{\"image_size\":%d,\"resize_mode\":\"%s\",\"resize_only_if_bigger\":%d,\"encode_format\":\"%s\","
                 "\"encode_quality\":%d,\"keep_original\":0}",
                 re->opt.image_size, img_resize_mode_name(re->opt.resize_mode), re->opt.resize_only_if_bigger ? 1 : 0,
                 img_encode_format_ext(re->opt.encode_format), re->quality);
}

/* ---- the run ----------------------------------------------------------------------- */

/* Samples read (on the reader thread) while the previous batch is written. */
#define COPY_BATCH 256

typedef struct {
    const export_options *o;
    dataset *src, *dst;
    dataset_item_reader *rows;
    int64_t input;
    const reencoder *re;
    dataset_framer *framer; /* the reader thread's (plain copies) */
    char *err;
    size_t errlen;
} run_ctx;

/* One batch: its slots are read by read_batch on the reader thread (which
 * alone uses the source handle), then re-encoded and written by the caller. */
typedef struct {
    run_ctx *x;
    slot *slots;
    size_t n;
    int rc;
    char err[768];
} batch;

/* Copies the row's strings into s (the reader's statement reuses its memory). */
static void keep_row(slot *s, const dataset_item *r)
{
    s->row = *r;
    const char *from[] = {r->url, r->caption, r->page_url, r->caption_source, r->sha256,
                          r->mime, r->language, r->caption_raw, r->member_sha256, r->place.placement};
    const char **to[] = {&s->row.url, &s->row.caption, &s->row.page_url, &s->row.caption_source, &s->row.sha256,
                         &s->row.mime, &s->row.language, &s->row.caption_raw, &s->row.member_sha256,
                         &s->row.place.placement};
    size_t off[sizeof from / sizeof from[0]];
    ccbuf_reset(&s->strs);
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        off[i] = s->strs.len;
        if (from[i])
            ccbuf_append(&s->strs, from[i], strlen(from[i]) + 1);
    }
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) /* after the last realloc */
        *to[i] = from[i] ? (const char *)s->strs.data + off[i] : NULL;
}

static void sample_of(const run_ctx *x, slot *s, dataset_sample *d);

static void read_batch(void *arg)
{
    batch *b = arg;
    run_ctx *x = b->x;
    b->rc = 0;
    for (size_t k = 0; k < b->n; k++) {
        slot *s = &b->slots[k];
        dataset_item r;
        if (dataset_item_get(x->rows, s->id, &r, b->err, sizeof b->err) != CC_OK) {
            b->rc = -1;
            return;
        }
        keep_row(s, &r);
        if (dataset_read_sample_at(x->src, &s->row.loc, &s->in, s->ext, NULL, NULL) != CC_OK) {
            cc_seterr(b->err, sizeof b->err, "%s", dataset_errmsg(x->src));
            b->rc = -1;
            return;
        }
        /* a plain copy's frame is built here, off the writing thread; a
         * sample it fails for is built (and its error reported) there */
        if (x->framer) {
            dataset_sample d;
            char err[256];
            sample_of(x, s, &d);
            (void)dataset_frame_build(x->framer, &d, s->key, &s->frame, err, sizeof err);
        }
    }
}

/* OUT's sample for slot s (image bytes in s->in, or re-encoded in s->out). */
static void sample_of(const run_ctx *x, slot *s, dataset_sample *d)
{
    const dataset_item *r = &s->row;
    ccbuf *extra = &s->extra;
    ccbuf_reset(extra);
    ccbuf_printf(extra, "{\"source_key\":\"%s\"", r->key);
    if (r->has_clip_score)
        ccbuf_printf(extra, ",\"clip_score\":%.6f", r->clip_score);
    ccbuf_putc(extra, '}');
    const ccbuf *img = x->re ? &s->out : &s->in;
    *d = (dataset_sample){
        .input_id = x->input, .row_no = r->id,
        .url = r->url, .caption = r->caption, .page_url = r->page_url, .caption_source = r->caption_source,
        .image = img->data, .image_len = img->len,
        .ext = x->re ? img_encode_format_ext(x->re->opt.encode_format) : s->ext,
        .width = x->re ? s->width : r->width, .height = x->re ? s->height : r->height,
        .original_width = r->original_width, .original_height = r->original_height,
        .bytes = r->bytes, .sha256 = r->sha256, .http_status = r->http_status,
        .mime = r->mime, .language = r->language, .fetched_at = r->fetched_at,
        .extra_json = (const char *)extra->data,
        .caption_raw = r->caption_raw,
        .place = r->place, /* so a refilter of the copy judges its captions as the source did */
        .has_phash = x->re ? 1 : r->has_phash, .phash = x->re ? s->phash : r->phash,
        .member_sha256 = x->re ? NULL : r->member_sha256, /* the same bytes: the same hash */
        .fresh = 1, /* export_run listed OUT's rows under the writer lock and skips those */
    };
}

/* Writes the sample of slot s, with the frame built ahead when there is one. */
static int write_one(run_ctx *x, slot *s)
{
    dataset_sample d;
    sample_of(x, s, &d);
    d.frame = &s->frame;
    if (dataset_add_accepted(x->dst, &d, NULL) != CC_OK) {
        cc_seterr(x->err, x->errlen, "%s", dataset_errmsg(x->dst));
        return -1;
    }
    return 0;
}

/* Fills b with the next ids from *i that OUT does not hold yet. */
static void next_batch(batch *b, size_t cap, const int64_t *ids, size_t n, size_t *i, const int64_t *done,
                       size_t ndone, export_counts *c)
{
    b->n = 0;
    while (*i < n && b->n < cap) {
        int64_t id = ids[(*i)++];
        if (in_sorted(done, ndone, id)) {
            c->already++;
            continue;
        }
        b->slots[b->n].re = b->x->re;
        b->slots[b->n++].id = id;
    }
}

/* The keys OUT will give b's samples once `skip` samples before them are
 * written (plain copies only: re-encoded frames are built when written). */
static void plan_keys(run_ctx *x, batch *b, size_t skip)
{
    if (!x->framer)
        return;
    char(*keys)[10] = xmalloc((b->n ? b->n : 1) * sizeof *keys);
    dataset_next_keys(x->dst, skip, b->n, keys);
    for (size_t k = 0; k < b->n; k++)
        memcpy(b->slots[k].key, keys[k], 10);
    free(keys);
}

static int copy_all(run_ctx *x, const int64_t *ids, size_t n, const int64_t *done, size_t ndone, export_counts *c,
                    double t0)
{
    const export_options *o = x->o;
    size_t cap = x->re ? REENCODE_BATCH : COPY_BATCH;
    batch bufs[2];
    for (int k = 0; k < 2; k++)
        bufs[k] = (batch){.x = x, .slots = xcalloc(cap, sizeof(slot))};
    batch *cur = &bufs[0], *nxt = &bufs[1];
    cc_pool *reader = cc_pool_new(1, 2), *coders = NULL;
    if (x->re)
        coders = cc_pool_new(x->re->opt.workers > 0 ? x->re->opt.workers : 1, (int)cap);
    size_t i = 0;
    next_batch(cur, cap, ids, n, &i, done, ndone, c);
    plan_keys(x, cur, 0);
    read_batch(cur);
    int rc = 0;
    if (cur->rc != 0) {
        cc_seterr(x->err, x->errlen, "%s", cur->err);
        rc = -1;
    }
    double last = cc_now();
    while (rc == 0 && cur->n > 0) {
        /* the reader thread reads the next batch while this one is written */
        next_batch(nxt, cap, ids, n, &i, done, ndone, c);
        plan_keys(x, nxt, cur->n); /* after this batch, which is written whole or not at all */
        if (nxt->n)
            cc_pool_submit(reader, read_batch, nxt);
        if (x->re) {
            for (size_t k = 0; k < cur->n; k++)
                cc_pool_submit(coders, reencode_job, &cur->slots[k]);
            cc_pool_wait(coders);
        }
        for (size_t k = 0; k < cur->n && rc == 0; k++) {
            slot *s = &cur->slots[k];
            if (x->re && s->rc != CC_OK) {
                cc_seterr(x->err, x->errlen, "%s: sample %s: cannot re-encode: %s", o->src_dir, s->row.key, s->err);
                rc = -1;
            } else if ((rc = write_one(x, s)) == 0) {
                c->written++;
            }
        }
        cc_pool_wait(reader);
        if (rc == 0 && nxt->n && nxt->rc != 0) {
            cc_seterr(x->err, x->errlen, "%s", nxt->err);
            rc = -1;
        }
        batch *t = cur;
        cur = nxt;
        nxt = t;
        if (o->progress && cc_now() - last >= 1.0) {
            last = cc_now();
            fprintf(stderr, "export: %lld/%zu (%.0f/s)\n", (long long)(c->written + c->already), n,
                    (double)c->written / (last - t0));
        }
    }
    cc_pool_free(reader);
    cc_pool_free(coders);
    for (int b = 0; b < 2; b++) {
        for (size_t k = 0; k < cap; k++) {
            ccbuf_free(&bufs[b].slots[k].in);
            ccbuf_free(&bufs[b].slots[k].out);
            ccbuf_free(&bufs[b].slots[k].strs);
            ccbuf_free(&bufs[b].slots[k].extra);
            dataset_frame_free(&bufs[b].slots[k].frame);
        }
        free(bufs[b].slots);
    }
    return rc;
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
    run_ctx x = {.o = o, .src = src, .err = err, .errlen = errlen};
    int64_t *ids = NULL, *done = NULL;
    size_t n = 0;
    int64_t ndone = 0;
    char *prev = NULL, *prev_settings = NULL;
    ccbuf settings = {0};
    reencoder re;
    if (o->reencode) {
        re.opt = *o->reencode;
        re.mode = (img_resize_mode)(re.opt.resize_mode | (re.opt.resize_only_if_bigger ? IMG_RESIZE_ONLY_IF_BIGGER : 0));
        re.quality = pipeline_encode_quality(&re.opt);
        x.re = &re;
    }
    settings_json(o, x.re, &settings);
    dataset_emb_model m = {0};
    int64_t score_model = 0;
    if (dataset_emb_model_find(src, NULL, NULL, &m, err, errlen) == CC_OK)
        score_model = m.row; /* KEY.json carries its score */
    dataset_emb_model_clear(&m);
    err[0] = 0;
    /* one snapshot of the source for the selection and every read */
    if (dataset_snapshot_begin(src) != CC_OK) {
        cc_seterr(err, errlen, "%s", dataset_errmsg(src));
        goto out;
    }
    if (dataset_select_ids(src, &o->sel, o->hits, o->nhits, &ids, &n, err, errlen) != CC_OK)
        goto out;
    drop_repeats(ids, &n);
    c->selected = (int64_t)n;
    if (n == 0) {
        cc_seterr(err, errlen, "%s: the selection holds no sample; nothing to export", o->src_dir);
        goto out;
    }
    if (o->shuffle)
        shuffle(ids, n, o->seed);
    if (!(x.rows = dataset_item_reader_new(src, score_model, err, errlen)))
        goto out;
    dataset_options dopt = {.samples_per_shard = o->samples_per_shard,
                            .commit_rows = EXPORT_COMMIT_ROWS,
                            .commit_seconds = EXPORT_COMMIT_SECONDS,
                            .zstd_level = EXPORT_ZSTD_LEVEL,
                            .bulk = 1};
    if (!(x.dst = dataset_open(o->out_dir, &dopt, err, errlen)))
        goto out;
    if (!x.re)
        x.framer = dataset_framer_new(x.dst);
    if (dataset_first_run_args(x.dst, "export", &prev, err, errlen) != CC_OK)
        goto out;
    if (prev && strcmp(prev, o->selection) != 0) {
        cc_seterr(err, errlen, "%s: holds an export of another selection (%s); export into a new directory",
                  o->out_dir, prev);
        goto out;
    }
    if (prev) {
        /* an export from before settings were recorded copied the bytes */
        int found = dataset_last_settings(x.dst, "export", &prev_settings);
        if (found < 0) {
            cc_seterr(err, errlen, "%s", dataset_errmsg(x.dst));
            goto out;
        }
        const char *was = found ? prev_settings : "{\"keep_original\":1}";
        if (strcmp(was, (const char *)settings.data) != 0) {
            cc_seterr(err, errlen,
                      "%s: holds an export made with other image settings (%s, now %s): refused, not mixed; "
                      "export into a new directory",
                      o->out_dir, was, (const char *)settings.data);
            goto out;
        }
    }
    x.input = dataset_input(x.dst, src_abs, "dataset");
    /* the run row and its settings in one commit: a kill between two commits
     * would leave a run without settings, read back as a plain copy */
    if (x.input < 0 ||
        dataset_run_begin_with_settings(x.dst, "export", o->selection, (const char *)settings.data) < 0) {
        cc_seterr(err, errlen, "%s", dataset_errmsg(x.dst));
        goto out;
    }
    /* what earlier runs wrote, listed once (this handle holds OUT's writer lock) */
    if ((ndone = dataset_input_rows(x.dst, x.input, &done)) < 0) {
        cc_seterr(err, errlen, "%s", dataset_errmsg(x.dst));
        goto out;
    }
    if (copy_all(&x, ids, n, done, (size_t)ndone, c, t0) != 0)
        goto out;
    char counts[160];
    snprintf(counts, sizeof counts, "{\"selected\":%lld,\"written\":%lld,\"already\":%lld}", (long long)c->selected,
             (long long)c->written, (long long)c->already);
    if (dataset_run_end(x.dst, counts) != CC_OK) {
        cc_seterr(err, errlen, "%s", dataset_errmsg(x.dst));
        goto out;
    }
    rc = 0;
out:
    if (x.dst) {
        char e2[512];
        /* a finished export seals its last shard; an interrupted one leaves
         * the .part for the re-run to continue */
        if (dataset_close(x.dst, rc == 0, e2, sizeof e2) != CC_OK && rc == 0) {
            cc_seterr(err, errlen, "%s", e2);
            rc = -1;
        }
    }
    dataset_framer_free(x.framer);
    dataset_item_reader_free(x.rows);
    dataset_snapshot_end(src);
    dataset_close(src, 0, NULL, 0);
    ccbuf_free(&settings);
    free(ids);
    free(done);
    free(prev);
    free(prev_settings);
    c->seconds = cc_now() - t0;
    return rc;
}
