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
/* Tags the samples already scored by model_id whose tag is missing or from
 * another model. Returns how many, or -1 on an SQLite error. */
static int64_t safety_backfill(sqlite3 *db, const clip_safety *saf, int64_t model_id, int E)
{
    sqlite3_stmt *sel = NULL, *upd = NULL;
    int64_t n = 0;
    float *v = xmalloc((size_t)E * sizeof *v);
    if (sqlite3_prepare_v2(db,
                           "SELECT s.key, s.image_emb FROM clip_scores s JOIN items i ON i.key = s.key "
                           "WHERE s.model = ?1 AND s.image_emb IS NOT NULL "
                           "AND (i.nsfw_model IS NULL OR i.nsfw_model <> ?1)",
                           -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE items SET nsfw = ?1, nsfw_model = ?2 WHERE key = ?3", -1, &upd, NULL) !=
            SQLITE_OK) {
        n = -1;
        goto out;
    }
    sqlite3_bind_int64(sel, 1, model_id);
    int rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const unsigned char *b = sqlite3_column_blob(sel, 1);
        if (sqlite3_column_bytes(sel, 1) != E * 2)
            continue; /* written by a model of another width: not ours to read */
        for (int k = 0; k < E; k++)
            v[k] = st_f16_to_f32((uint16_t)(b[2 * k] | b[2 * k + 1] << 8));
        sqlite3_reset(upd);
        sqlite3_bind_text(upd, 1, clip_safety_tag(saf, v), -1, SQLITE_STATIC);
        sqlite3_bind_int64(upd, 2, model_id);
        sqlite3_bind_text(upd, 3, (const char *)sqlite3_column_text(sel, 0), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(upd) != SQLITE_DONE) {
            n = -1;
            goto out;
        }
        n++;
    }
    if (rc != SQLITE_DONE)
        n = -1;
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    free(v);
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
    sqlite3 *db = dataset_db(ds);
    cc_err status = CC_OK;
    int64_t model_id = clip_store_model(db, m, o.precision);
    if (model_id < 0) {
        status = CC_ERR_DB;
        snprintf(err, errlen, "%s: cannot register the model: %s", dir, sqlite3_errmsg(db));
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
    ccbuf where = {0}, unscorable = {0};
    int64_t scored = 0, skipped = 0;
    double t0 = cc_now();
    double score_sum = 0;

    sqlite3_stmt *tag_upd = NULL;
    int64_t tagged = 0, nsfw_count = 0;
    clip_safety *saf = clip_safety_new(m, tok, state, err, errlen);
    if (!saf) {
        status = CC_ERR_IO;
        goto out;
    }
    if (sqlite3_prepare_v2(db, "UPDATE items SET nsfw = ?1, nsfw_model = ?2 WHERE key = ?3", -1, &tag_upd, NULL) !=
        SQLITE_OK) {
        status = CC_ERR_DB, snprintf(err, errlen, "%s: %s", dir, sqlite3_errmsg(db));
        goto out;
    }
    {
        int64_t b = safety_backfill(db, saf, model_id, E);
        if (b < 0 || dataset_flush(ds) != CC_OK) {
            status = CC_ERR_DB, snprintf(err, errlen, "%s: tagging earlier scores: %s", dir, sqlite3_errmsg(db));
            goto out;
        }
        tagged += b;
    }
    /* Samples whose image cannot be decoded get no row (a score must be a
     * cosine); this run excludes them by key so they are not met again. */
    ccbuf_printf(&where, "items.key NOT IN (SELECT key FROM clip_scores WHERE model = %lld)", (long long)model_id);

    for (;;) {
        /* A fresh iterator per batch: the rows just scored drop out of the
         * WHERE, and no read statement stays open across the commit. */
        dataset_iter *it = dataset_iter_new(ds, (const char *)where.data);
        dataset_location loc;
        const char *url, *caption;
        int n = 0, r = 0;
        while (n < B && (limit < 0 || scored + skipped + n < limit) && (r = dataset_iter_next(it, &loc, &url, &caption)) == 1) {
            batch_slot *sl = &slots[n];
            memcpy(sl->key, loc.key, sizeof sl->key);
            clip_tool_tokens(tok, caption ? caption : "", C, ids + (size_t)n * C, &eot[n]);
            sl->ok = 0;
            img_image im = {0};
            if (dataset_read_member(ds, loc.key, "image", &image) == CC_OK &&
                img_decode_native(image.data, image.len, 89478484, &im, ierr, sizeof ierr) == CC_OK &&
                clip_preprocess(&im, S, NULL, NULL, px + (size_t)n * img_floats, NULL, ierr, sizeof ierr) == 0) {
                sl->ok = 1;
            } else {
                cc_log(CC_LOG_WARN, "%s: sample %s: cannot score its image: %s", dir, loc.key,
                       dataset_errmsg(ds)[0] ? dataset_errmsg(ds) : ierr);
            }
            img_image_free(&im);
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
                ccbuf_printf(&unscorable, "%s'%s'", unscorable.len ? "," : "", slots[k].key);
                skipped++;
                continue;
            }
            float s = clip_dot(ie + (size_t)g * E, te + (size_t)g * E, E);
            if (clip_store_score(db, slots[k].key, model_id, s, ie + (size_t)g * E, te + (size_t)g * E, E) != 0) {
                status = CC_ERR_DB, snprintf(err, errlen, "%s: %s", dir, sqlite3_errmsg(db));
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
                sqlite3_reset(tag_upd);
                sqlite3_bind_text(tag_upd, 1, tag, -1, SQLITE_STATIC);
                sqlite3_bind_int64(tag_upd, 2, model_id);
                sqlite3_bind_text(tag_upd, 3, slots[k].key, -1, SQLITE_TRANSIENT);
                if (sqlite3_step(tag_upd) != SQLITE_DONE) {
                    status = CC_ERR_DB, snprintf(err, errlen, "%s: %s", dir, sqlite3_errmsg(db));
                    goto out;
                }
                tagged++;
                nsfw_count += strcmp(tag, CLIP_SAFETY_NSFW) == 0;
            }
        }
        if (unscorable.len) {
            ccbuf_reset(&where);
            ccbuf_printf(&where, "items.key NOT IN (SELECT key FROM clip_scores WHERE model = %lld) AND items.key NOT IN (%s)",
                         (long long)model_id, (const char *)unscorable.data);
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
    sqlite3_finalize(tag_upd);
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
    ccbuf_free(&where);
    ccbuf_free(&unscorable);
    free(px), free(ie), free(te), free(ids), free(eot), free(slots);
    clip_state_free(state);
    clip_model_free(m);
    clip_tokenizer_free(tok);
    return status;
}
