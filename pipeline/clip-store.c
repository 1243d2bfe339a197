/* clip-store.c — CLIP results into the index (see clip-store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip-store.h"
#include "common.h"

/* The little-endian half-float bytes stored in clip_scores. */
static void to_half_le(const float *v, int n, unsigned char *out)
{
    for (int i = 0; i < n; i++) {
        uint16_t h;
        clip_f32_to_f16(&v[i], &h, 1);
        out[2 * i] = (unsigned char)(h & 0xFF);
        out[2 * i + 1] = (unsigned char)(h >> 8);
    }
}

int64_t clip_store_model(sqlite3 *db, const clip_model *m, clip_precision prec)
{
    const clip_config *c = clip_model_config(m);
    char config[512];
    snprintf(config, sizeof config,
             "{\"embed_dim\":%d,\"image_size\":%d,\"patch_size\":%d,\"vision_width\":%d,\"vision_layers\":%d,"
             "\"text_width\":%d,\"text_layers\":%d,\"activation\":\"%s\",\"source\":\"%s\"}",
             c->embed_dim, c->image_size, c->patch_size, c->vision_width, c->vision_layers, c->text_width,
             c->text_layers, c->act == CLIP_ACT_GELU ? "gelu" : "quick_gelu", clip_model_config_source(m));
    sqlite3_stmt *st = NULL;
    int64_t id = -1;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO clip_models(model_id, precision, path, config, embed_dim, logit_scale, added_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(model_id, precision) DO NOTHING",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, clip_model_id(m), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, clip_precision_name(prec), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, clip_model_weights_path(m), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, config, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, c->embed_dim);
    sqlite3_bind_double(st, 6, (double)clip_model_logit_scale(m));
    sqlite3_bind_double(st, 7, cc_wallclock());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return -1;
    if (sqlite3_prepare_v2(db, "SELECT id FROM clip_models WHERE model_id = ?1 AND precision = ?2", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, clip_model_id(m), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, clip_precision_name(prec), -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

int clip_store_score(sqlite3 *db, const char *key, int64_t model_row, float score, const float *image_emb,
                     const float *text_emb, int d)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO clip_scores(key, model, score, image_emb, text_emb, scored_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    unsigned char *hi = xmalloc((size_t)d * 2), *ht = xmalloc((size_t)d * 2);
    to_half_le(image_emb, d, hi);
    to_half_le(text_emb, d, ht);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, model_row);
    sqlite3_bind_double(st, 3, (double)score);
    sqlite3_bind_blob(st, 4, hi, d * 2, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 5, ht, d * 2, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 6, cc_wallclock());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    free(hi);
    free(ht);
    return rc == SQLITE_DONE ? 0 : -1;
}
