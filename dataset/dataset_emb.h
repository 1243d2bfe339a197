/* dataset_emb.h — a dataset's stored image embeddings, selections, and
 * semantic search over them.
 *
 * Each CLIP model that scored a dataset has one flat file of image
 * embeddings, DIR/embeddings/<model_id>-<precision>.f16 (format:
 * schema/EMBEDDINGS_FORMAT.md). The index says which row belongs to which
 * sample (clip_scores.emb_row) and how many rows are valid
 * (clip_models.emb_rows); see 005-embeddings.sql.
 *
 * Writers (score, fetch --model) call dataset_emb_add() right after storing
 * a sample's score, and dataset_emb_sync() before committing (dataset_flush),
 * so the rows an index transaction references are on disk before it commits.
 * A run killed at any moment leaves either committed rows (kept) or rows past
 * clip_models.emb_rows (cut off by the next writer open).
 *
 * Errors: each function takes the caller's err buffer and writes one line
 * naming the dataset or file. Allocation failure aborts. */
#ifndef CC_DATASET_EMB_H
#define CC_DATASET_EMB_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "dataset.h"
#include "embstore.h"

/* ---- models ---------------------------------------------------------------- */

typedef struct {
    int64_t row;          /* clip_models.id */
    char model_id[32];    /* clip_model_id(): 16 hex digits */
    char precision[8];    /* "fp32" / "bf16" */
    char *weights_path;   /* as first given to score (owned; free with dataset_emb_model_clear) */
    int dim;
    int64_t emb_rows;     /* valid rows in the embedding file */
} dataset_emb_model;

/* Finds a model that scored the dataset. model_id NULL = the default: the
 * model with the most scores (then the most recently added). precision
 * NULL = any (fp32 preferred). CC_ERR_NOTFOUND with a message saying to run
 * `score` when the dataset holds no such scores; CC_ERR_DB on SQLite errors. */
cc_err dataset_emb_model_find(dataset *ds, const char *model_id, const char *precision, dataset_emb_model *out,
                              char *err, size_t errlen);
void dataset_emb_model_clear(dataset_emb_model *m);

/* The CLIP score of key under the default model (the one that scored the
 * most samples): 1 and *score, 0 when unscored, -1 on an SQLite error. */
int dataset_clip_score(dataset *ds, const char *key, double *score, char *err, size_t errlen);

/* Path of the model's embedding file (free() it). */
char *dataset_emb_path(dataset *ds, const char *model_id, const char *precision);

/* ---- writing ---------------------------------------------------------------- */

typedef struct dataset_emb_writer dataset_emb_writer;

/* Opens the embedding file of clip_models row model_row for appending
 * (creating DIR/embeddings/ and the file), cutting off rows the index does
 * not vouch for, then appends the embeddings of scores stored before the file
 * existed (clip_scores rows with image_emb but no emb_row: datasets scored by
 * an older clipcrawl). Needs a writer handle. NULL on error. */
dataset_emb_writer *dataset_emb_writer_open(dataset *ds, int64_t model_row, char *err, size_t errlen);

/* Appends v (dim floats, L2-normalised) as key's row and records it in the
 * index (in the dataset's open transaction). key must already have its
 * clip_scores row for this model. CC_OK, CC_ERR_IO, CC_ERR_DB. */
cc_err dataset_emb_add(dataset_emb_writer *w, const char *key, const float *v, char *err, size_t errlen);

/* Makes the appended rows durable; call before dataset_flush(). */
cc_err dataset_emb_sync(dataset_emb_writer *w, char *err, size_t errlen);

/* Syncs and closes; NULL is a no-op. */
cc_err dataset_emb_writer_close(dataset_emb_writer *w, char *err, size_t errlen);

/* ---- selections ------------------------------------------------------------- */

/* Which samples a command works on. All fields optional (zero = not set). */
typedef struct {
    const char *status;        /* "accepted" (NULL), "rejected", "failed", "optout" or "all" */
    const char *where;         /* an SQL condition over `items` (the user's own query) */
    const char *fts;           /* words for the caption full-text index */
    int has_min_clip_score;
    double min_clip_score;     /* score under model_row >= this */
    int64_t model_row;         /* the model for min_clip_score (0 = default) */
} dataset_selection;

/* Appends " FROM items [JOIN <fts>] WHERE ..." for sel to sql. The FTS words,
 * when set, are parameter ?1 (bind them with dataset_selection_bind). The
 * words are given to FTS5 as typed when they parse as FTS5 syntax; otherwise
 * (a hyphen, a stray quote, a colon) each word is quoted and searched as a
 * word. CC_ERR_USAGE for a bad status; CC_ERR_DB for a --min-clip-score
 * without any scores. */
cc_err dataset_selection_sql(dataset *ds, const dataset_selection *sel, ccbuf *sql, char *err, size_t errlen);
/* Binds the FTS words of sel (as rewritten by dataset_selection_sql) to st. */
void dataset_selection_bind(dataset *ds, const dataset_selection *sel, sqlite3_stmt *st);

/* The FTS5 query for user words: the words themselves when FTS5 accepts
 * them, else each whitespace-separated word double-quoted (inner quotes
 * doubled). Returns a malloc'ed string. */
char *dataset_fts_query(dataset *ds, const char *words);

/* ---- search -------------------------------------------------------------------- */

typedef struct {
    char key[10];
    float score;    /* cosine similarity to the query */
} dataset_hit;

typedef struct dataset_emb_index dataset_emb_index;

/* How a search reads the rows (dataset/embstore.h): 0 = the default (the
 * int8 copy with exact rescoring when it exists; streamed with pread for
 * the first search, mapped from the second on), or EMB_STORE_NO_INT8 and/or
 * EMB_STORE_MAP. Results are exact either way. */
#define DATASET_EMB_DEFAULT 0

/* Opens the embedding file of model m for searching. CC_ERR_NOTFOUND (with
 * "run score first") when the model's embeddings are not stored. */
dataset_emb_index *dataset_emb_index_open(dataset *ds, const dataset_emb_model *m, int flags, char *err,
                                          size_t errlen);
void dataset_emb_index_close(dataset_emb_index *x); /* NULL is a no-op */
int dataset_emb_index_dim(const dataset_emb_index *x);
/* What the last search did (int8 pass, rescored rows, mapped or streamed). */
emb_store_info dataset_emb_index_info(const dataset_emb_index *x);

/* The stored image embedding of key (dim floats). CC_ERR_NOTFOUND when key
 * has none under this model. */
cc_err dataset_emb_vector(dataset_emb_index *x, const char *key, float *out, char *err, size_t errlen);

/* The k samples whose image embeddings are nearest (cosine) to q (dim floats,
 * L2-normalised) among those sel selects (NULL = accepted samples). Writes
 * a malloc'ed array of hits, best first, to *hits and its length to *n.
 * threads <= 0 = 2. */
cc_err dataset_emb_search(dataset_emb_index *x, const float *q, size_t k, const dataset_selection *sel, int threads,
                          dataset_hit **hits, size_t *n, char *err, size_t errlen);

/* Prepares "SELECT <columns>, similarity FROM the hits joined to items"
 * in hit order (columns: an SQL column list over `items`). NULL with err set
 * on an SQL error (a bad column). */
sqlite3_stmt *dataset_hits_stmt(dataset *ds, const char *columns, const dataset_hit *hits, size_t n, char *err,
                                size_t errlen);

/* ---- listing samples (export, compact) ----------------------------------------- */

/* The item ids of the samples sel selects that have a frame in a shard
 * (NULL sel = accepted samples), in key order; or, when keys is not NULL,
 * the ids of those nkeys keys that sel also selects, in the order given.
 * *ids is malloc'ed. */
cc_err dataset_select_ids(dataset *ds, const dataset_selection *sel, const dataset_hit *keys, size_t nkeys,
                          int64_t **ids, size_t *n, char *err, size_t errlen);

/* One item's stored fields, as KEY.json holds them. Strings point into the
 * statement and stay valid until the next dataset_item_get on the same
 * handle or dataset_item_reader_free. */
typedef struct {
    int64_t id;
    char key[10];
    const char *url, *caption, *page_url, *caption_source, *sha256, *mime, *language, *caption_raw;
    int width, height, original_width, original_height, http_status;
    int64_t bytes;
    double fetched_at;
    int has_clip_score;
    double clip_score;          /* under the reader's model */
    int has_phash;
    uint64_t phash;
    const char *member_sha256;  /* of the stored image bytes */
    dataset_place place;        /* where the caption came from (008); placement NULL = unknown */
    dataset_location loc;       /* where its frame is (dataset_read_sample_at) */
} dataset_item;

typedef struct dataset_item_reader dataset_item_reader;
/* score_model: clip_models.id whose score fills clip_score (0 = none). */
dataset_item_reader *dataset_item_reader_new(dataset *ds, int64_t score_model, char *err, size_t errlen);
/* CC_OK, CC_ERR_NOTFOUND (no such item), CC_ERR_DB. */
cc_err dataset_item_get(dataset_item_reader *r, int64_t id, dataset_item *row, char *err, size_t errlen);
void dataset_item_reader_free(dataset_item_reader *r);

/* The args of the first run of command in ds (malloc'ed), or NULL in *args
 * when there was none. CC_OK / CC_ERR_DB. */
cc_err dataset_first_run_args(dataset *ds, const char *command, char **args, char *err, size_t errlen);

/* ---- export ------------------------------------------------------------------- */

/* Writes the image embeddings of the samples sel selects (NULL = accepted
 * samples) under model m in clip-retrieval's layout:
 *   OUT/img_emb/img_emb_0.npy        NumPy 1.0, '<f2', shape (N, dim), rows
 *                                    L2-normalised
 *   OUT/metadata/metadata_0.jsonl    N lines {"key","url","caption","clip_score"},
 *                                    line i describing row i
 * in key order. Both files are written under temporary names and renamed
 * when complete, so a killed run leaves no half file behind. Samples without
 * a stored embedding are left out. Stores N in *rows. */
cc_err dataset_emb_export(dataset *ds, const dataset_emb_model *m, const dataset_selection *sel, const char *out,
                          int64_t *rows, char *err, size_t errlen);

#endif
