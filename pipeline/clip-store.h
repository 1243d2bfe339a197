/* clip-store.h — writing CLIP results into the index (002-clip.sql), shared by
 * `score` and the inline scoring of `fetch`/`crawl --model`. */
#ifndef CC_CLI_CLIP_STORE_H
#define CC_CLI_CLIP_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "clip.h"

/* Registers (model id, precision) in clip_models if new; returns its row id,
 * or -1 on an SQLite error (sqlite3_errmsg(db) says why). */
int64_t clip_store_model(sqlite3 *db, const clip_model *m, clip_precision precision);

/* Inserts or replaces the score of sample key under model row model_row, with
 * both L2-normalised embeddings (d floats each) stored as little-endian IEEE
 * half floats. 0 on success, -1 on an SQLite error. */
int clip_store_score(sqlite3 *db, const char *key, int64_t model_row, float score, const float *image_emb,
                     const float *text_emb, int d);

#endif
