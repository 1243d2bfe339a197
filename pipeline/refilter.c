/* refilter.c — re-judges an
 * existing dataset with new filter settings, without fetching anything.
 *
 * Every row goes through the one judge (judge.h), the rules fetch and crawl
 * apply, in the same order, with the facts the index keeps:
 *   1. the caption (items.caption_raw, else items.caption), with where it
 *      came from as the row stores it (items.placement, place_width,
 *      place_height, alt_repeats: the image's placement on its page, the
 *      facts crawl and warc judged it with; 'list' for a list row, as fetch
 *      judged it; NULL: text alone); the language is recorded in items.language
 *   2. repeated captions (COYO, repeats.h): a caption (caption_repeat_key)
 *      attached to >= boilerplate_repeat_threshold distinct images (sha256)
 *      from >= boilerplate_repeat_min_sources pages or hosts -> boilerplate
 *   3. image checks on the stored original size and byte count
 *   4. nsfw_reject: items.nsfw = 'NSFW' -> unsafe_image
 *   5. clip_min_score: clip_scores.score of the chosen model -> low_clip_score
 *   6. dedup (url, url_caption, sha256, phash) in key order: the earliest
 *      sample that passed 1-5 is kept, later ones become 'duplicate' with
 *      duplicate_of = the kept key
 *
 * Samples (rows with a key) change between 'accepted' and 'rejected' in place:
 * their frames stay in the shards and key/shard/offset stay on the row, so a
 * later refilter can bring them back. Rows rejected before a sample was
 * written (no key; caption, image-size or duplicate reasons) that would now
 * pass are deleted when they came from an input list, so the next `fetch` of
 * that list does them again. Everything is applied in one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caption.h"
#include "judge.h"
#include "pipeline.h"
#include "common.h"
#include "dataset.h"
#include "filterconf.h"
#include "image.h"
#include "phash.h"
#include "repeats.h"
#include "strmap.h"
#include "url.h"

/* The row a dedup map holds for key, or -1. */
static int row_of(const cc_strmap *m, const char *key)
{
    uintptr_t row;
    return cc_strmap_get(m, key, &row) ? (int)row : -1;
}

/* Near-duplicate index over kept hashes (multi-index hashing): the 64 bits
 * are cut into 4 bands of 16 bits; two hashes within distance d differ in at
 * most r = d / 4 bits of some band (pigeonhole), so the candidates are the
 * kept hashes whose band equals one of the query's band values with up to r
 * bits flipped. Each band is a direct-addressed table of 65536 lists. Exact
 * at any distance; the probe count grows as C(16, <= r), so distances up to
 * ~12 stay fast (unrelated pictures are ~32 apart). */
#define PH_BANDS 4
typedef struct {
    int d, r;
    int *head;           /* PH_BANDS × 65536 list heads, -1 = empty */
    struct pnode { int row, next; } *nodes;
    size_t n_nodes, cap_nodes;
    int *kept;           /* rows kept, for d >= 64 (everything matches) */
    size_t n_kept;
} phindex;

static void ph_init(phindex *p, int d)
{
    memset(p, 0, sizeof *p);
    p->d = d;
    p->r = d / PH_BANDS;
    p->head = xmalloc((size_t)PH_BANDS * 65536 * sizeof *p->head);
    for (size_t i = 0; i < (size_t)PH_BANDS * 65536; i++)
        p->head[i] = -1;
}

typedef struct {
    const phindex *p;
    uint64_t h;
    const uint64_t *hashes;
    int best;
} ph_query;

/* Visits every value within `left` flips of v (flipping bits >= from). */
static void ph_probe(ph_query *q, int band, unsigned v, int from, int left)
{
    for (int k = q->p->head[band * 65536 + (int)v]; k >= 0; k = q->p->nodes[k].next) {
        int row = q->p->nodes[k].row;
        if ((q->best < 0 || row < q->best) && img_hamming64(q->h, q->hashes[row]) <= q->p->d)
            q->best = row;
    }
    if (left == 0)
        return;
    for (int bit = from; bit < 16; bit++)
        ph_probe(q, band, v ^ (1u << bit), bit + 1, left - 1);
}

/* The earliest kept row within distance d of h, or -1. hashes[] gives each row's hash. */
static int ph_find(const phindex *p, uint64_t h, const uint64_t *hashes)
{
    if (p->d >= 64)
        return p->n_kept ? p->kept[0] : -1;
    ph_query q = {p, h, hashes, -1};
    for (int b = 0; b < PH_BANDS; b++)
        ph_probe(&q, b, (unsigned)(h >> (16 * b)) & 0xFFFFu, 0, p->r);
    return q.best;
}

static void ph_add(phindex *p, uint64_t h, int row)
{
    if (p->d >= 64) {
        p->kept = xrealloc(p->kept, (p->n_kept + 1) * sizeof *p->kept);
        p->kept[p->n_kept++] = row;
        return;
    }
    for (int b = 0; b < PH_BANDS; b++) {
        if (p->n_nodes == p->cap_nodes) {
            p->cap_nodes = p->cap_nodes ? p->cap_nodes * 2 : 1024;
            p->nodes = xrealloc(p->nodes, p->cap_nodes * sizeof *p->nodes);
        }
        int *head = &p->head[b * 65536 + (int)((h >> (16 * b)) & 0xFFFFu)];
        p->nodes[p->n_nodes] = (struct pnode){row, *head};
        *head = (int)p->n_nodes++;
    }
}

static void ph_free(phindex *p)
{
    free(p->head);
    free(p->nodes);
    free(p->kept);
}

/* ---- the rows ------------------------------------------------------------------- */

typedef struct {
    int64_t id, input_id;
    char key[10];                /* "" when the row has no sample */
    int status;                  /* DS_ACCEPTED or DS_REJECTED */
    char *reason, *error, *detail, *dup, *language;
    char *url, *text, *sha256, *nsfw, *page_url;
    int has_phash, has_score;
    uint64_t phash;
    double score;
    int ow, oh;
    int64_t bytes;
    dataset_place place;         /* placement owned */
    /* judged */
    char *norm;                  /* normalised caption */
    uint64_t rkey;               /* caption_repeat_key(norm) */
    int judge;                   /* 0: reason we do not re-judge; row untouched */
    int new_status;
    const char *new_reason;
    char *new_error, *new_detail;
    char new_dup[10];
    char new_language[16];
} rrow;

static int streq_null(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A caption rule's reason ("too_short", or "caption_too_short" as older rows have it). */
static int is_caption_reason(const char *reason)
{
    return reason && (caption_reason_parse(reason) > 0 ||
                      (strncmp(reason, "caption_", 8) == 0 && caption_reason_parse(reason + 8) > 0));
}

/* Reasons a row without a sample can have that refilter knows how to judge. */
static int keyless_judgeable(const char *reason)
{
    static const char *const img[] = {"too_small", "too_small_bytes", "aspect_ratio", "too_many_pixels",
                                      "duplicate"};
    if (!reason)
        return 0;
    if (is_caption_reason(reason))
        return 1;
    for (size_t i = 0; i < sizeof img / sizeof img[0]; i++)
        if (strcmp(reason, img[i]) == 0)
            return 1;
    return 0;
}


/* Counts by reason for the summary. */
typedef struct {
    const char *reason[64];
    int64_t n[64];
    int len;
} reason_counts;

static void rc_add(reason_counts *c, const char *reason)
{
    for (int i = 0; i < c->len; i++)
        if (strcmp(c->reason[i], reason) == 0) {
            c->n[i]++;
            return;
        }
    if (c->len < 64) {
        c->reason[c->len] = reason;
        c->n[c->len++] = 1;
    }
}

static void set_reject(rrow *r, const char *reason, const char *error, const char *detail, const char *dup)
{
    /* detail may be r->new_detail itself: copy before freeing */
    char *e = error && *error ? xstrdup(error) : NULL, *d = detail && *detail ? xstrdup(detail) : NULL;
    r->new_status = DS_REJECTED;
    r->new_reason = reason;
    free(r->new_error);
    free(r->new_detail);
    r->new_error = e;
    r->new_detail = d;
    snprintf(r->new_dup, sizeof r->new_dup, "%s", dup ? dup : "");
}

/* Loads every row dataset_each_row gives into an array. */
typedef struct {
    rrow *rows;
    size_t n, cap;
} rows_ctx;

static int load_row(const dataset_row *d, void *ctx)
{
    rows_ctx *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->rows = xrealloc(c->rows, c->cap * sizeof *c->rows);
    }
    rrow *r = &c->rows[c->n++];
    memset(r, 0, sizeof *r);
    r->id = d->id;
    r->input_id = d->input_id;
    snprintf(r->key, sizeof r->key, "%s", d->key);
    r->status = d->status;
    r->reason = xstrdup(d->reason);
    r->error = xstrdup(d->error);
    r->detail = xstrdup(d->caption_detail);
    r->dup = xstrdup(d->duplicate_of);
    r->language = xstrdup(d->language);
    r->url = xstrdup(d->url);
    r->page_url = xstrdup(d->page_url);
    r->text = xstrdup(d->caption);
    r->sha256 = xstrdup(d->sha256);
    r->nsfw = xstrdup(d->nsfw);
    r->has_phash = d->has_phash;
    r->phash = d->phash;
    r->has_score = d->has_score;
    r->score = d->score;
    r->ow = d->original_width;
    r->oh = d->original_height;
    r->bytes = d->bytes;
    r->place = d->place;
    r->place.placement = xstrdup(d->place.placement);
    r->judge = r->key[0] || (r->status == DS_REJECTED && keyless_judgeable(r->reason));
    /* a caption verdict stored without its caption cannot be reached again
     * (crawls before 008 kept no text for the images they turned away): left
     * as it is rather than judged as an empty caption */
    if (!r->key[0] && !r->text && is_caption_reason(r->reason))
        r->judge = 0;
    return 0;
}

void refilter_options_init(refilter_options *o)
{
    memset(o, 0, sizeof *o);
    filter_config_defaults(&o->filters);
}

cc_err pipeline_refilter(const refilter_options *o, refilter_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    res->model_id = -1;
    filter_config fc = o->filters;
    const char *dir = o->dir;
    const int dry_run = o->dry_run;
    const int64_t model_arg = o->model_id;
    judge *jd = judge_new(&fc, err, errlen);
    if (!jd)
        return CC_ERR_IO;
    dataset *ds = dry_run ? dataset_open_readonly(dir, err, errlen) : dataset_open(dir, NULL, err, errlen);
    if (!ds) {
        judge_free(jd);
        return CC_ERR_IO;
    }
    cc_err status = CC_OK;
    double t0 = cc_now();
    rows_ctx rl = {0};

    /* The CLIP model whose scores clip_min_score applies to. */
    int64_t model_id = dataset_clip_model_pick(ds, model_arg);
    if (model_id < 0) {
        status = CC_ERR_DB, snprintf(err, errlen, "%s", dataset_errmsg(ds));
        goto out;
    }
    if (model_id == 0)
        model_id = -1;
    if (model_arg > 0 && model_id < 0) {
        status = CC_ERR_USAGE;
        snprintf(err, errlen, "%s: no CLIP model with id %lld (see: query %s --sql 'SELECT * FROM clip_models')", dir,
                 (long long)model_arg, dir);
        goto out;
    }

    /* ---- load: samples first in key order (dedup keeps the earliest key), then
     * the rows without a sample ---- */
    if (dataset_each_row(ds, model_id, load_row, &rl) != 0) {
        status = CC_ERR_DB, snprintf(err, errlen, "%s", dataset_errmsg(ds));
        goto out;
    }
    rrow *rows = rl.rows;
    size_t n = rl.n;

    /* ---- captions, and images and sources per caption for the repeated-caption rule ---- */
    caption_verdict *verdicts = xcalloc(n ? n : 1, sizeof *verdicts);
    repeat_counter *repeats = repeat_counter_new();
    ccbuf norm = {0};
    int64_t placed_page = 0, placed_list = 0, text_alone = 0;
    for (size_t i = 0; i < n; i++) {
        rrow *r = &rows[i];
        const char *t = r->text ? r->text : "";
        caption_place cp;
        const caption_place *place = judge_place(&r->place, &cp);
        verdicts[i] = caption_judge_placed(judge_captions(jd), t, strlen(t), place, &norm);
        if (r->judge) {
            if (!place)
                text_alone++;
            else if (place->bits & CC_PLACE_LIST)
                placed_list++;
            else
                placed_page++;
        }
        r->norm = xstrndup(norm.len ? (const char *)norm.data : "", norm.len);
        r->rkey = caption_repeat_key(r->norm, strlen(r->norm));
        /* a downloaded image: identified by its bytes (distinct sha256) */
        if (r->norm[0])
            repeat_counter_add(repeats, r->rkey, r->sha256, r->page_url, r->url);
    }
    ccbuf_free(&norm);
    repeat_counter_finish(repeats);

    /* ---- decide ---- */
    cc_strmap by_url = {0}, by_url_caption = {0}, by_sha = {0}; /* key -> first row */
    phindex ph;
    ph_init(&ph, fc.phash_max_distance);
    uint64_t *hashes = xcalloc(n ? n : 1, sizeof *hashes);
    for (size_t i = 0; i < n; i++)
        hashes[i] = rows[i].phash;
    ccbuf tmp = {0};
    for (size_t i = 0; i < n; i++) {
        rrow *r = &rows[i];
        if (!r->judge)
            continue;
        caption_verdict *v = &verdicts[i];
        snprintf(r->new_language, sizeof r->new_language, "%s", v->language);
        r->new_status = DS_ACCEPTED;
        r->new_detail = v->detail[0] ? xstrdup(v->detail) : NULL;
        uint64_t images = 0, sources = 0;
        if (r->norm[0])
            repeat_counter_get(repeats, r->rkey, &images, &sources);
        judge_facts facts = {
            .caption = v, .caption_repeat_images = images, .caption_repeat_sources = sources,
            .has_size = r->ow > 0 && r->oh > 0, .width = r->ow, .height = r->oh, .bytes = r->bytes,
            /* only samples (rows with a key) have a safety tag and a score */
            .safety_tag = r->key[0] ? r->nsfw : NULL,
            .has_score = r->key[0] && r->has_score, .score = r->score,
        };
        judge_verdict jv;
        if (judge_sample(jd, &facts, &jv)) {
            /* the caption rules' note is also the row's caption_detail */
            int caption_rule = caption_reason_parse(jv.reason) > 0;
            set_reject(r, jv.reason, jv.detail, caption_rule ? jv.detail : r->new_detail, NULL);
            continue;
        }
        /* dedup against the samples kept so far */
        char *nurl = r->url ? url_normalize(r->url, NULL, 0) : NULL;
        const char *u = nurl ? nurl : r->url;
        int k = -1;
        const char *how = NULL;
        if (u && (fc.dedup & FILTER_DEDUP_URL) && (k = row_of(&by_url, u)) >= 0)
            how = "same URL";
        if (k < 0 && u && (fc.dedup & FILTER_DEDUP_URL_CAPTION)) {
            ccbuf_reset(&tmp);
            ccbuf_printf(&tmp, "%s\x1f%s", u, r->norm);
            if ((k = row_of(&by_url_caption, (const char *)tmp.data)) >= 0)
                how = "same URL and caption";
        }
        if (k < 0 && r->sha256 && (fc.dedup & FILTER_DEDUP_SHA256) && (k = row_of(&by_sha, r->sha256)) >= 0)
            how = "same bytes";
        if (k < 0 && r->has_phash && (fc.dedup & FILTER_DEDUP_PHASH) && (k = ph_find(&ph, r->phash, hashes)) >= 0)
            how = "same picture (perceptual hash)";
        if (k >= 0) {
            char d[128];
            if (rows[k].has_phash && r->has_phash && strcmp(how, "same picture (perceptual hash)") == 0)
                snprintf(d, sizeof d, "%s as sample %s (distance %d)", how, rows[k].key,
                         img_hamming64(r->phash, rows[k].phash));
            else
                snprintf(d, sizeof d, "%s as sample %s", how, rows[k].key);
            set_reject(r, "duplicate", d, r->new_detail, rows[k].key);
        } else if (r->key[0]) {
            /* kept: later samples are compared with it */
            if (u)
                cc_strmap_put(&by_url, u, i);
            if (u) {
                ccbuf_reset(&tmp);
                ccbuf_printf(&tmp, "%s\x1f%s", u, r->norm);
                cc_strmap_put(&by_url_caption, (const char *)tmp.data, i);
            }
            if (r->sha256)
                cc_strmap_put(&by_sha, r->sha256, i);
            if (r->has_phash)
                ph_add(&ph, r->phash, (int)i);
        }
        free(nurl);
    }
    ccbuf_free(&tmp);
    free(hashes);
    ph_free(&ph);
    cc_strmap_free(&by_url);
    cc_strmap_free(&by_url_caption);
    cc_strmap_free(&by_sha);
    free(verdicts);
    repeat_counter_free(repeats);

    /* ---- what changes ---- */
    reason_counts demoted = {0};
    int64_t to_reject = 0, restored = 0, unfetched = 0, not_refetchable = 0, reason_changed = 0, lang_changed = 0;
    int64_t accepted_before = 0, accepted_after = 0, examined = 0;
    enum { CH_NONE, CH_UPDATE, CH_DELETE };
    unsigned char *change = xcalloc(n ? n : 1, 1), *lang = xcalloc(n ? n : 1, 1);
    for (size_t i = 0; i < n; i++) {
        rrow *r = &rows[i];
        accepted_before += r->status == DS_ACCEPTED;
        if (!r->judge) {
            accepted_after += r->status == DS_ACCEPTED;
            continue;
        }
        examined++;
        if (r->new_language[0] && !streq_null(r->language, r->new_language)) {
            lang[i] = 1;
            lang_changed++;
        }
        if (!r->key[0]) {
            /* rejected before a sample was written */
            if (r->new_status == DS_ACCEPTED) {
                if (r->input_id > 0) {
                    change[i] = CH_DELETE;
                    unfetched++;
                } else {
                    not_refetchable++;
                }
            } else if (!streq_null(r->reason, r->new_reason) || !streq_null(r->dup, r->new_dup[0] ? r->new_dup : NULL)) {
                change[i] = CH_UPDATE;
                reason_changed++;
            }
            continue;
        }
        accepted_after += r->new_status == DS_ACCEPTED;
        if (r->status == DS_ACCEPTED && r->new_status == DS_REJECTED) {
            change[i] = CH_UPDATE;
            to_reject++;
            rc_add(&demoted, r->new_reason);
        } else if (r->status == DS_REJECTED && r->new_status == DS_ACCEPTED) {
            change[i] = CH_UPDATE;
            restored++;
        } else if (r->status == DS_REJECTED &&
                   (!streq_null(r->reason, r->new_reason) || !streq_null(r->dup, r->new_dup[0] ? r->new_dup : NULL))) {
            change[i] = CH_UPDATE;
            reason_changed++;
        }
    }

    /* ---- apply, in one transaction ---- */
    if (!dry_run) {
        if (dataset_run_begin(ds, "refilter", o->run.args) < 0) {
            status = CC_ERR_DB, snprintf(err, errlen, "%s", dataset_errmsg(ds));
            goto applied;
        }
        cc_err ok = dataset_edit_begin(ds);
        const int nbands = img_phash_nbands(fc.phash_max_distance);
        for (size_t i = 0; ok == CC_OK && i < n; i++) {
            rrow *r = &rows[i];
            if (change[i] == CH_DELETE) {
                ok = dataset_edit_delete(ds, r->id);
                continue;
            }
            if (lang[i])
                ok = dataset_edit_language(ds, r->id, r->new_language);
            if (ok == CC_OK && change[i] == CH_UPDATE)
                ok = dataset_edit_verdict(ds, r->id, (dataset_status)r->new_status, r->new_reason, r->new_error,
                                          r->new_detail, r->new_dup);
            /* Keep phash_bands complete for the next fetch's near-duplicate
             * lookups at this distance: every accepted sample, this layout. */
            if (ok == CC_OK && r->key[0] && r->has_phash && r->new_status == DS_ACCEPTED &&
                (fc.dedup & FILTER_DEDUP_PHASH)) {
                int64_t bands[64];
                for (int b = 0; b < nbands; b++)
                    bands[b] = img_phash_band(r->phash, b, nbands);
                ok = dataset_add_phash_bands(ds, r->key, nbands, bands);
            }
        }
        if (ok == CC_OK)
            ok = dataset_edit_commit(ds);
        if (ok != CC_OK) {
            status = CC_ERR_DB, snprintf(err, errlen, "%s (nothing changed)", dataset_errmsg(ds));
            dataset_edit_rollback(ds);
        }
    }
applied:
    if (status == CC_OK) {
        res->examined = examined;
        res->accepted_before = accepted_before;
        res->accepted_after = accepted_after;
        res->to_reject = to_reject;
        res->restored = restored;
        res->unfetched = unfetched;
        res->reason_changed = reason_changed;
        res->lang_changed = lang_changed;
        res->not_refetchable = not_refetchable;
        res->placed_page = placed_page;
        res->placed_list = placed_list;
        res->text_alone = text_alone;
        res->n_demoted = demoted.len;
        for (int i = 0; i < demoted.len; i++) {
            res->demoted_reason[i] = demoted.reason[i];
            res->demoted[i] = demoted.n[i];
        }
        res->model_id = model_id;
        res->seconds = cc_now() - t0;
        if (!dry_run) {
            char cj[256];
            snprintf(cj, sizeof cj,
                     "{\"accepted_to_rejected\":%lld,\"rejected_to_accepted\":%lld,\"unfetched_now_passing\":%lld}",
                     (long long)to_reject, (long long)restored, (long long)unfetched);
            dataset_run_end(ds, cj);
        }
    }
    free(change);
    free(lang);
out:
    for (size_t i = 0; i < rl.n; i++) {
        rrow *r = &rl.rows[i];
        free(r->reason), free(r->error), free(r->detail), free(r->dup), free(r->language);
        free(r->url), free(r->text), free(r->sha256), free(r->nsfw), free(r->norm), free(r->page_url);
        free((char *)r->place.placement);
        free(r->new_error), free(r->new_detail);
    }
    free(rl.rows);
    char cerr[512];
    if (dataset_close(ds, 0, cerr, sizeof cerr) != CC_OK && status == CC_OK) {
        snprintf(err, errlen, "%s", cerr);
        status = CC_ERR_IO;
    }
    judge_free(jd);
    return status;
}
