/* scores.c — CLIP models, scores and safety tags in the index (002-clip.sql,
 * 004-filters.sql: items.nsfw). See dataset.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset-internal.h"

int64_t dataset_clip_model_add(dataset *ds, const dataset_clip_model *m)
{
    if (ds_begin(ds) != CC_OK)
        return -1;
    sqlite3 *db = dataset_db(ds);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO clip_models(model_id, precision, path, config, embed_dim, logit_scale, added_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(model_id, precision) DO NOTHING",
                           -1, &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "registering the CLIP model"), -1;
    sqlite3_bind_text(st, 1, m->model_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->precision, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, m->config_json, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, m->embed_dim);
    sqlite3_bind_double(st, 6, m->logit_scale);
    sqlite3_bind_double(st, 7, cc_wallclock());
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE)
        return ds_dberr(ds, "registering the CLIP model"), -1;
    int64_t id = -1;
    if (sqlite3_prepare_v2(db, "SELECT id FROM clip_models WHERE model_id = ?1 AND precision = ?2", -1, &st, NULL) !=
        SQLITE_OK)
        return ds_dberr(ds, "looking up the CLIP model"), -1;
    sqlite3_bind_text(st, 1, m->model_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->precision, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (r != SQLITE_ROW)
        return ds_dberr(ds, "looking up the CLIP model"), -1;
    return id;
}

int64_t dataset_clip_model_pick(dataset *ds, int64_t want)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(dataset_db(ds),
                           want > 0 ? "SELECT id FROM clip_models WHERE id = ?1" : "SELECT max(id) FROM clip_models", -1,
                           &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "looking up CLIP models"), -1;
    if (want > 0)
        sqlite3_bind_int64(st, 1, want);
    int64_t id = 0;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        return ds_dberr(ds, "looking up CLIP models"), -1;
    return id;
}

/* n half floats as little-endian bytes (the stored form). */
static void half_le(const uint16_t *v, int n, unsigned char *out)
{
    for (int i = 0; i < n; i++) {
        out[2 * i] = (unsigned char)(v[i] & 0xFF);
        out[2 * i + 1] = (unsigned char)(v[i] >> 8);
    }
}

cc_err dataset_put_clip_score(dataset *ds, const char *key, int64_t model_row, double score,
                              const uint16_t *image_f16, const uint16_t *text_f16, int d)
{
    cc_err rc = ds_begin(ds);
    if (rc != CC_OK)
        return rc;
    sqlite3_stmt *st = ds_stmt(ds, DS_STMT_CLIP_SCORE,
                               "INSERT OR REPLACE INTO clip_scores(key, model, score, image_emb, text_emb, scored_at) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st)
        return CC_ERR_DB;
    unsigned char *hi = xmalloc((size_t)d * 2), *ht = xmalloc((size_t)d * 2);
    half_le(image_f16, d, hi);
    half_le(text_f16, d, ht);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, model_row);
    sqlite3_bind_double(st, 3, score);
    sqlite3_bind_blob(st, 4, hi, d * 2, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, ht, d * 2, SQLITE_STATIC);
    sqlite3_bind_double(st, 6, cc_wallclock());
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    free(hi);
    free(ht);
    return r == SQLITE_DONE ? CC_OK : ds_dberr(ds, "storing a CLIP score");
}

cc_err dataset_set_safety_tag(dataset *ds, const char *key, const char *tag, int64_t model_row)
{
    cc_err rc = ds_begin(ds);
    if (rc != CC_OK)
        return rc;
    sqlite3_stmt *st = ds_stmt(ds, DS_STMT_SAFETY_TAG, "UPDATE items SET nsfw = ?1, nsfw_model = ?2 WHERE key = ?3");
    if (!st)
        return CC_ERR_DB;
    sqlite3_bind_text(st, 1, tag, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, model_row);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? CC_OK : ds_dberr(ds, "storing a safety tag");
}

int64_t dataset_each_untagged(dataset *ds, int64_t model_row, int d,
                              int (*fn)(const char *key, const uint16_t *image_f16, void *ctx), void *ctx)
{
    sqlite3_stmt *sel = NULL;
    if (sqlite3_prepare_v2(dataset_db(ds),
                           "SELECT s.key, s.image_emb FROM clip_scores s JOIN items i ON i.key = s.key "
                           "WHERE s.model = ?1 AND s.image_emb IS NOT NULL "
                           "AND (i.nsfw_model IS NULL OR i.nsfw_model <> ?1)",
                           -1, &sel, NULL) != SQLITE_OK)
        return ds_dberr(ds, "finding untagged scores"), -1;
    sqlite3_bind_int64(sel, 1, model_row);
    uint16_t *v = xmalloc((size_t)d * sizeof *v);
    char key[16];
    int64_t n = 0;
    int r;
    while ((r = sqlite3_step(sel)) == SQLITE_ROW) {
        const unsigned char *b = sqlite3_column_blob(sel, 1);
        if (sqlite3_column_bytes(sel, 1) != d * 2)
            continue; /* written by a model of another width: not ours to read */
        for (int k = 0; k < d; k++)
            v[k] = (uint16_t)(b[2 * k] | b[2 * k + 1] << 8);
        snprintf(key, sizeof key, "%s", (const char *)sqlite3_column_text(sel, 0));
        if (fn(key, v, ctx) != 0) {
            n = -1;
            break;
        }
        n++;
    }
    if (n >= 0 && r != SQLITE_DONE) {
        ds_dberr(ds, "finding untagged scores");
        n = -1;
    }
    sqlite3_finalize(sel);
    free(v);
    return n;
}

dataset_iter *dataset_iter_unscored(dataset *ds, int64_t model_row, const char *const *skip, size_t n)
{
    ccbuf where = {0};
    ccbuf_printf(&where, "items.key NOT IN (SELECT key FROM clip_scores WHERE model = %lld)", (long long)model_row);
    if (n) {
        ccbuf_puts(&where, " AND items.key NOT IN (");
        int first = 1;
        for (size_t i = 0; i < n; i++) {
            /* keys are 9 digits: nothing to quote, but never trust a caller's text in SQL */
            if (strspn(skip[i], "0123456789") != strlen(skip[i]))
                continue;
            ccbuf_printf(&where, "%s'%s'", first ? "" : ",", skip[i]);
            first = 0;
        }
        ccbuf_puts(&where, ")");
    }
    dataset_iter *it = dataset_iter_new(ds, (const char *)where.data);
    ccbuf_free(&where);
    return it;
}
