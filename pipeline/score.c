/* score.c — CLIP-scores every accepted sample of a dataset that has no score
 * for this model yet (pipeline_score). Stores the cosine, and both embeddings
 * as IEEE half floats, in clip_scores (002-clip.sql), and each sample's CLIP
 * safety tag in items.nsfw. Resumable: a killed run loses at most the batch
 * in progress. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip-store.h"
#include "half.h"
#include "common.h"
#include "dataset.h"
#include "dataset_emb.h"
#include "image.h"
#include "pipeline.h"
#include "preprocess.h"
#include "safetensors.h"
#include "safety.h"

/* Every scored sample also gets its CLIP zero-shot safety tag (clipscore/safety.h)
 * in items.nsfw / items.nsfw_model. Samples scored before tagging existed (a
 * clip_scores row for this model, no tag from it) are tagged from their stored
 * image embedding, so no image is decoded twice. */
typedef struct {
    dataset *ds;
    const clip_safety *saf;
    int64_t model_id;
    float *v;
    int E;
} backfill_ctx;

/* One sample scored before tagging existed: its tag from the stored embedding. */
static int backfill_one(const char *key, const uint16_t *image_f16, void *ctx)
{
    backfill_ctx *b = ctx;
    for (int k = 0; k < b->E; k++)
        b->v[k] = cc_f16_to_f32(image_f16[k]);
    return dataset_set_safety_tag(b->ds, key, clip_safety_tag(b->saf, b->v), b->model_id) == CC_OK ? 0 : -1;
}

/* Tags the samples already scored by model_id whose tag is missing or from
 * another model. Returns how many, or -1 on a dataset error. */
static int64_t safety_backfill(dataset *ds, const clip_safety *saf, int64_t model_id, int E)
{
    backfill_ctx b = {ds, saf, model_id, xmalloc((size_t)E * sizeof(float)), E};
    int64_t n = dataset_each_untagged(ds, model_id, E, backfill_one, &b);
    free(b.v);
    return n;
}

typedef struct {
    char key[10];
    int ok;         /* image decoded; otherwise the sample is skipped with a warning */
} batch_slot;

/* Progress: scored so far, as the accepted count. */
static void report(const pipeline_run_options *r, int64_t scored, int final)
{
    if (!r->progress)
        return;
    pipeline_counts c = {.accepted = scored};
    r->progress(&c, 0, final, r->progress_ctx);
}

cc_err pipeline_score(const score_options *o_, score_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    const clip_tool_options o = o_->clip;
    const char *dir = o_->dir;
    const int64_t limit = o_->limit;
    clip_model *m = NULL;
    clip_tokenizer *tok = NULL;
    if (clip_tool_load(&o, &m, &tok, err, errlen) != 0)
        return CC_ERR_IO;
    dataset *ds = dataset_open(dir, NULL, err, errlen);
    if (!ds) {
        clip_model_free(m);
        clip_tokenizer_free(tok);
        return CC_ERR_IO;
    }
    cc_err status = CC_OK;
    int64_t model_id = clip_store_model(ds, m, o.precision);
    if (model_id < 0) {
        status = CC_ERR_DB;
        snprintf(err, errlen, "%s: cannot register the model: %s", dir, dataset_errmsg(ds));
        dataset_close(ds, 0, NULL, 0);
        clip_model_free(m);
        clip_tokenizer_free(tok);
        return status;
    }
    dataset_emb_writer *emb = dataset_emb_writer_open(ds, model_id, err, errlen);
    if (!emb) {
        dataset_close(ds, 0, NULL, 0);
        clip_model_free(m);
        clip_tokenizer_free(tok);
        return CC_ERR_IO;
    }
    dataset_run_begin(ds, "score", clip_model_weights_path(m));
    res->ran = 1;
    char ierr[512] = "";

    const clip_config *c = clip_model_config(m);
    const int S = c->image_size, E = c->embed_dim, C = c->context_length;
    const int B = o.batch > 0 ? o.batch : 32;
    const size_t img_floats = (size_t)3 * S * S;
    clip_state *state = clip_state_new(m, B);
    clip_state_set_threads(state, o.threads);
    float *px = xmalloc((size_t)B * img_floats * sizeof(float));
    float *ie = xmalloc((size_t)B * E * sizeof(float)), *te = xmalloc((size_t)B * E * sizeof(float));
    int32_t *ids = xcalloc((size_t)B * C, sizeof *ids);
    int *eot = xcalloc((size_t)B, sizeof *eot);
    batch_slot *slots = xcalloc((size_t)B, sizeof *slots);
    ccbuf image = {0};
    char (*unscorable)[10] = NULL; /* keys this run could not score */
    const char **skip = NULL;
    size_t n_unscorable = 0;
    int64_t scored = 0, skipped = 0;
    double t0 = cc_now();
    double score_sum = 0;

    int64_t tagged = 0, nsfw_count = 0;
    clip_safety *saf = clip_safety_new(m, tok, state, err, errlen);
    if (!saf) {
        status = CC_ERR_IO;
        goto out;
    }
    {
        int64_t b = safety_backfill(ds, saf, model_id, E);
        if (b < 0 || dataset_flush(ds) != CC_OK) {
            status = CC_ERR_DB, snprintf(err, errlen, "tagging earlier scores: %s", dataset_errmsg(ds));
            goto out;
        }
        tagged += b;
    }
    /* Samples whose image cannot be decoded get no row (a score must be a
     * cosine); this run excludes them by key so they are not met again. */

    for (;;) {
        /* A fresh iterator per batch: the rows just scored drop out of the
         * WHERE, and no read statement stays open across the commit. */
        dataset_iter *it = dataset_iter_unscored(ds, model_id, skip, n_unscorable);
        if (!it) {
            status = CC_ERR_DB, snprintf(err, errlen, "%s", dataset_errmsg(ds));
            break;
        }
        dataset_location loc;
        const char *url, *caption;
        int n = 0, r = 0;
        while (n < B && (limit < 0 || scored + skipped + n < limit) && (r = dataset_iter_next(it, &loc, &url, &caption)) == 1) {
            batch_slot *sl = &slots[n];
            memcpy(sl->key, loc.key, sizeof sl->key);
            clip_tool_tokens(tok, caption ? caption : "", C, ids + (size_t)n * C, &eot[n]);
            sl->ok = 0;
            if (dataset_read_member(ds, loc.key, "image", &image) == CC_OK &&
                clip_tool_pixels(image.data, image.len, CLIP_TOOL_MAX_PIXELS, S, px + (size_t)n * img_floats, ierr,
                                 sizeof ierr) == 0) {
                sl->ok = 1;
            } else {
                cc_log(CC_LOG_WARN, "%s: sample %s: cannot score its image: %s", dir, loc.key,
                       dataset_errmsg(ds)[0] ? dataset_errmsg(ds) : ierr);
            }
            n++;
        }
        dataset_iter_free(it);
        if (r < 0) {
            status = CC_ERR_DB, snprintf(err, errlen, "%s", dataset_errmsg(ds));
            break;
        }
        if (n == 0)
            break;
        int good = 0;
        for (int k = 0; k < n; k++) {
            if (!slots[k].ok)
                continue;
            if (good != k) {
                memcpy(px + (size_t)good * img_floats, px + (size_t)k * img_floats, img_floats * sizeof(float));
                memcpy(ids + (size_t)good * C, ids + (size_t)k * C, (size_t)C * sizeof *ids);
                eot[good] = eot[k];
            }
            good++;
        }
        if (good > 0 && (clip_encode_images(state, px, good, ie) != 0 ||
                         clip_encode_texts(state, ids, eot, good, te) != 0)) {
            status = CC_ERR_DB, snprintf(err, errlen, "%s", clip_state_errmsg(state));
            break;
        }
        clip_l2_normalize(ie, good, E);
        clip_l2_normalize(te, good, E);
        int g = 0;
        for (int k = 0; k < n; k++) {
            if (!slots[k].ok) {
                unscorable = xrealloc(unscorable, (n_unscorable + 1) * sizeof *unscorable);
                memcpy(unscorable[n_unscorable++], slots[k].key, sizeof *unscorable);
                skip = xrealloc(skip, n_unscorable * sizeof *skip);
                for (size_t u = 0; u < n_unscorable; u++)
                    skip[u] = unscorable[u];
                skipped++;
                continue;
            }
            float s = clip_dot(ie + (size_t)g * E, te + (size_t)g * E, E);
            if (clip_store_score(ds, slots[k].key, model_id, s, ie + (size_t)g * E, te + (size_t)g * E, E) != CC_OK) {
                status = CC_ERR_DB, snprintf(err, errlen, "%s", dataset_errmsg(ds));
                goto out;
            }
            if (dataset_emb_add(emb, slots[k].key, ie + (size_t)g * E, err, errlen) != CC_OK) {
                status = CC_ERR_IO;
                goto out;
            }
            score_sum += s;
            scored++;
            g++;
            { /* the safety tag: same transaction as the score */
                const char *tag = clip_safety_tag(saf, ie + (size_t)(g - 1) * E);
                if (dataset_set_safety_tag(ds, slots[k].key, tag, model_id) != CC_OK) {
                    status = CC_ERR_DB, snprintf(err, errlen, "%s", dataset_errmsg(ds));
                    goto out;
                }
                tagged++;
                nsfw_count += strcmp(tag, CLIP_SAFETY_NSFW) == 0;
            }
        }
        /* embedding rows on disk before the transaction that references them */
        if (dataset_emb_sync(emb, err, errlen) != CC_OK) {
            status = CC_ERR_IO;
            break;
        }
        if (dataset_flush(ds) != CC_OK) {
            status = CC_ERR_DB, snprintf(err, errlen, "%s", dataset_errmsg(ds));
            break;
        }
        report(&o_->run, scored, 0);
        if (o_->run.stop && *o_->run.stop)
            break;
    }
out:
    clip_safety_free(saf);
    res->scored = scored;
    res->unscorable = skipped;
    res->tagged = tagged;
    res->nsfw = nsfw_count;
    snprintf(res->model, sizeof res->model, "%s", clip_model_id(m));
    res->precision = clip_precision_name(o.precision);
    res->mean_score = scored ? score_sum / (double)scored : 0.0;
    res->seconds = cc_now() - t0;
    res->stopped = o_->run.stop && *o_->run.stop;
    {
        char counts[256];
        snprintf(counts, sizeof counts, "{\"scored\":%lld,\"unscorable\":%lld,\"tagged\":%lld,\"nsfw\":%lld}",
                 (long long)scored, (long long)skipped, (long long)tagged, (long long)nsfw_count);
        char eerr[512];
        if (dataset_emb_writer_close(emb, eerr, sizeof eerr) != CC_OK && status == CC_OK) {
            snprintf(err, errlen, "%s", eerr);
            status = CC_ERR_IO;
        }
        dataset_run_end(ds, counts);
    }
    report(&o_->run, scored, 1);
    char cerr[512];
    if (dataset_close(ds, 0, cerr, sizeof cerr) != CC_OK && status == CC_OK) {
        snprintf(err, errlen, "%s", cerr);
        status = CC_ERR_IO;
    }
    ccbuf_free(&image);
    free(unscorable);
    free(skip);
    free(px), free(ie), free(te), free(ids), free(eot), free(slots);
    clip_state_free(state);
    clip_model_free(m);
    clip_tokenizer_free(tok);
    return status;
}
