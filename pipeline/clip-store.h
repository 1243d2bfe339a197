/* clip-store.h — CLIP results into the dataset (002-clip.sql): the glue
 * between clipscore's model and dataset's tables, shared by `score` and the
 * inline scoring of `fetch`/`crawl --model`. Internal to pipeline/. */
#ifndef CC_PIPELINE_CLIP_STORE_H
#define CC_PIPELINE_CLIP_STORE_H

#include <stdint.h>

#include "clip.h"
#include "dataset.h"

/* Registers (model id, precision) in clip_models if new; returns its row id,
 * or -1 on an SQLite error (dataset_errmsg says why). */
int64_t clip_store_model(dataset *ds, const clip_model *m, clip_precision precision);

/* Inserts or replaces the score of sample key under model row model_row, with
 * both L2-normalised embeddings (d floats each) stored as little-endian IEEE
 * half floats. CC_OK or CC_ERR_DB (dataset_errmsg). */
cc_err clip_store_score(dataset *ds, const char *key, int64_t model_row, float score, const float *image_emb,
                        const float *text_emb, int d);

#endif
