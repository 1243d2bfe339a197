/* dataset.h — a dataset directory: shards + index, written by one thread.
 *
 *   DIR/index.sqlite              the index (WAL); the source of truth
 *   DIR/shards/NNNNN.tar.zst      sealed shards
 *   DIR/shards/NNNNN.tar.zst.part the shard being written
 *
 * The writer side is used by the fetch/crawl/warc pipelines from ONE writer
 * thread; a dataset handle is not thread-safe. Every input row or URL the
 * tool touches gets one row in `items` with its outcome:
 *   accepted  the sample is in a shard (key, shard_no, frame offset/length)
 *   rejected  a filter refused it (reason: 'too_small', 'duplicate', ...)
 *   failed    it could not be fetched/decoded (reason 'http_404', 'timeout', ...; error text)
 *   optout    the site opted out (reason 'noai', 'noimageai', 'robots')
 *
 * Crash safety: a sample's frame is appended (and fdatasync'ed) before the
 * transaction holding its row commits. Rows are committed in batches (every
 * commit_rows rows or commit_seconds, whichever first, and at dataset_flush /
 * dataset_close). On open, a .part shard is cut back to the end offset the
 * index recorded, so frames whose rows never committed vanish and their
 * items, having no outcome, are redone by a resumed run. kill -9 at any
 * moment loses nothing committed and doubles nothing.
 *
 * Keys: 9 digits, 5 of shard number + 4 of position in the shard
 * ("000070042"), unique in the dataset and sorting in write order.
 *
 * Shards: rotate after samples_per_shard samples (the full one is sealed).
 * dataset_close(ds, 1) seals the open shard and a later run starts a new
 * shard; dataset_close(ds, 0) leaves the .part, and the next open continues
 * it (keys continue where they stopped).
 *
 * One writer per directory: dataset_open() holds an flock on DIR/.writer.lock
 * and fails while another process (or handle) writes the same DIR. Readers
 * (dataset_open_readonly) never block and see committed rows only.
 *
 * Errors: functions returning cc_err put a one-line detail in
 * dataset_errmsg(ds). Open functions take a caller err buffer.
 */
#ifndef CC_SCHEMA_DATASET_H
#define CC_SCHEMA_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "common.h"

typedef struct dataset dataset;

#define DATASET_MAX_SAMPLES_PER_SHARD 10000

typedef struct {
    int samples_per_shard;  /* 0 = 10000 (also the maximum: 4 digits of position) */
    int commit_rows;        /* rows per transaction; 0 = 256 */
    double commit_seconds;  /* commit at least this often while adding; 0 = 1.0 */
    int zstd_level;         /* 0 = 3; -50..-1 = zstd's fast levels (export: -1) */
    /* Shard numbering: shard_base, shard_base + shard_stride, ... A part I of
     * N of a partitioned run (--part I/N) numbers its shards I, I+N, I+2N, so
     * the keys of all parts are unique and `merge` can hard-link the shards
     * as they are. 0/0 = 0, 1, 2, ... Reopening a DIR whose shards do not
     * follow the numbering fails (a part re-run with another --part). */
    int shard_base;
    int shard_stride;
    /* A bulk writer (export) that only adds accepted samples, each with
     * dataset_sample.fresh: the caption's full-text entry is written by
     * dataset_add_accepted itself, with the index's triggers off on this
     * connection (SQLite runs a trigger's FTS5 insert inside a statement
     * savepoint, and FTS5 flushes its buffer at every savepoint: one new
     * FTS segment per row, most of a row's cost). Edits (dataset_edit_*) and
     * non-fresh samples are refused on such a handle. Ignored (a plain
     * writer) when the index holds triggers this version does not know. */
    int bulk;
} dataset_options;

/* Outcome of an item; stored as text ('accepted', ...). */
typedef enum {
    DS_ACCEPTED = 0,
    DS_REJECTED = 1,
    DS_FAILED = 2,
    DS_OPTOUT = 3
} dataset_status;

const char *dataset_status_name(dataset_status s); /* "accepted", ... */
/* Parses a status name; -1 if unknown. */
int dataset_status_parse(const char *name);

/* ---- opening --------------------------------------------------------------- */

/* Opens DIR for writing: creates DIR, DIR/shards and the index when missing,
 * migrates the index, and recovers from a crash (see above). o may be NULL
 * (defaults). Returns NULL with a one-line message naming DIR in err on
 * failure (bad options, newer index, a .part shorter than the index says). */
dataset *dataset_open(const char *dir, const dataset_options *o, char *err, size_t errlen);

/* Opens DIR for reading only (cat, query, verify, stats, score readers):
 * the index connection is read-only; nothing on disk changes. */
dataset *dataset_open_readonly(const char *dir, char *err, size_t errlen);

/* Flushes (writer), then closes; seal != 0 seals the open shard. Returns
 * CC_OK or the first error (detail copied into err, which may be NULL).
 * The handle is freed either way. NULL is a no-op returning CC_OK. */
cc_err dataset_close(dataset *ds, int seal, char *err, size_t errlen);

const char *dataset_errmsg(const dataset *ds);
const char *dataset_dir(const dataset *ds);
/* The index connection, for this stage's own files (scores, the crawl
 * frontier, ...) and for tests; other stages go through the functions here.
 * Writes through it while a writer handle is open join the dataset's open
 * transaction; call dataset_flush() to commit. */
sqlite3 *dataset_db(dataset *ds);

/* ---- runs ---------------------------------------------------------------------- */

/* Records the start of a run (command name, its arguments joined by spaces)
 * and returns its id (> 0), or -1 on error. Items written afterwards carry it. */
int64_t dataset_run_begin(dataset *ds, const char *command, const char *args);
/* The same, with the run's settings (runs.settings, a JSON object or NULL)
 * committed in the same transaction as the run row, so a process killed at
 * any moment never leaves a run whose settings are missing. */
int64_t dataset_run_begin_with_settings(dataset *ds, const char *command, const char *args,
                                        const char *settings_json);
/* Marks the current run finished, with counts_json (a JSON object, e.g.
 * {"accepted":10,"failed":2}; may be NULL) and commits. */
cc_err dataset_run_end(dataset *ds, const char *counts_json);

/* Stores settings_json (a JSON object) as the current run's settings
 * (runs.settings). CC_OK, CC_ERR_USAGE without a run, CC_ERR_DB. */
cc_err dataset_run_settings(dataset *ds, const char *settings_json);
/* The settings of the latest earlier run of command that recorded any:
 * 1 and *settings_out (malloc'd), 0 when none, -1 on error. */
int dataset_last_settings(dataset *ds, const char *command, char **settings_out);
/* Deletes the outcomes (not accepted samples) with this status and reason,
 * so the next pass over their inputs judges those rows again (e.g.
 * 'rejected'/'private_address' once --allow-private is given). Returns how
 * many, -1 on error. Joins the writer's transaction. */
int64_t dataset_forget_outcomes(dataset *ds, const char *status, const char *reason);

/* ---- inputs and resume ------------------------------------------------------------- */

/* Returns the id of the input called name (a path, "-" for stdin, or a crawl
 * name), registering it with kind ("txt", "csv", "jsonl", "crawl", "warc"...)
 * the first time. -1 on error. */
int64_t dataset_input(dataset *ds, const char *name, const char *kind);

/* 1 if input row (input_id,row_no) already has an outcome that a resumed run
 * keeps: accepted, rejected or optout, and also failed unless retry_failed.
 * 0 if it must be (re)done, -1 on error. One indexed lookup; nothing is
 * cached, so 100M-row inputs stream. */
int dataset_item_done(dataset *ds, int64_t input_id, int64_t row_no, int retry_failed);

/* The row numbers of input_id that have a row (any outcome), ascending, in a
 * malloc'ed array stored in *rows (NULL when none). Returns how many, or -1
 * on an SQLite error. For a bulk writer that checks resume state in memory
 * (then dataset_sample.fresh) instead of one look-up per row. */
int64_t dataset_input_rows(dataset *ds, int64_t input_id, int64_t **rows);

/* 1 if an accepted sample whose original bytes have this sha256 (hex)
 * exists (exact-duplicate check), storing its key into key_out when not
 * NULL; 0 if none; -1 on error. */
int dataset_find_sha256(dataset *ds, const char *sha256_hex, char key_out[10]);

/* ---- writing ------------------------------------------------------------------------ */

/* Where a caption came from (schema/008-placement.sql): a crawled image's
 * placement on its page, or a URL list: the facts the caption was judged
 * with, stored so that every later judging (refilter) uses them again. All
 * unknown = zeroed. */
typedef struct {
    const char *placement;      /* common/placement.h's stored form ("nav,linked"; "" = on a
                                   page, nothing special; "list" = a URL list row); NULL = unknown */
    int width, height;          /* declared size in CSS px; 0 = unknown */
    int repeats;                /* images on the page with the same alt text; 0 = unknown */
} dataset_place;

/* A sample's shard frame built ahead of dataset_add_accepted, on another
 * thread (dataset_frame_build): for a bulk copy, where building and
 * compressing frames would otherwise be most of the writing thread's work. */
typedef struct {
    char key[10];               /* the key it was built for ("" = none) */
    double fetched;             /* the fetched_at it carries (the members' mtime) */
    char member_sha256[65];     /* hex SHA-256 of the image bytes */
    ccbuf bytes;                /* one compressed shard frame */
} dataset_frame;

/* One accepted sample. Strings may be NULL (stored as NULL / omitted).
 * input_id <= 0 means "no input row" (e.g. a URL found by the crawler):
 * then row_no is ignored and resume does not apply. */
typedef struct {
    int64_t input_id, row_no;
    const char *url, *caption, *page_url, *caption_source;
    const void *image; size_t image_len;   /* the bytes stored in the shard */
    const char *ext;                       /* "jpg", "png" or "webp" */
    int width, height;                     /* of the stored image */
    int original_width, original_height;   /* as downloaded */
    int64_t bytes;                         /* size of the original download */
    const char *sha256;                    /* hex of the original bytes; NULL = hash image[] */
    int http_status;
    const char *mime, *language;
    double fetched_at;                     /* epoch seconds; 0 = now */
    const char *extra_json;                /* NULL or a JSON object text whose members are
                                              appended to KEY.json (e.g. "{\"clip_score\":0.31}") */
    /* filters (004-filters.sql) */
    const char *caption_raw;               /* the caption as found, before normalisation */
    const char *caption_detail;            /* the caption rule's note; NULL usually */
    int has_phash;                         /* phash below is set */
    uint64_t phash;                        /* 64-bit perceptual hash (filters/phash.h) */
    /* list columns (007-list-columns.sql) */
    const char *list_columns;              /* NULL or a JSON object of the input list's extra
                                              columns: stored in items.list_columns and its
                                              members appended to KEY.json */
    dataset_place place;                   /* 008: where the caption came from (index only) */
    /* for bulk copies (export) */
    const char *member_sha256;             /* hex SHA-256 of image[] when the caller already
                                              knows it (bytes copied from another dataset's
                                              index); NULL = computed here */
    int fresh;                             /* the caller knows (input_id,row_no) has no row
                                              yet (it listed the input's rows with
                                              dataset_input_rows under this writer): the
                                              look-up before writing is skipped */
    const dataset_frame *frame;            /* NULL, or this sample's frame built ahead: used
                                              when built for the key the sample gets (the
                                              same bytes), else ignored and built here */
} dataset_sample;

/* ---- frames built ahead (bulk copies) ------------------------------------------------ */

/* The keys the next n accepted samples will get, after skipping `skip`,
 * if every add until then succeeds (shards rotate every samples_per_shard). */
void dataset_next_keys(const dataset *ds, size_t skip, size_t n, char (*keys)[10]);

/* A framer builds frames for ds's writer (its zstd level) on any thread;
 * one per thread. Free it before ds is closed or after; it keeps no
 * pointer into ds. */
typedef struct dataset_framer dataset_framer;
dataset_framer *dataset_framer_new(const dataset *ds);
void dataset_framer_free(dataset_framer *f); /* NULL is a no-op */

/* Builds into out the exact frame dataset_add_accepted writes for s under
 * key (KEY.json, KEY.txt and the image as members; fetched_at 0 is taken
 * as now, here). s's checks are dataset_add_accepted's: CC_ERR_USAGE with
 * the reason in err. */
cc_err dataset_frame_build(dataset_framer *f, const dataset_sample *s, const char key[10], dataset_frame *out,
                           char *err, size_t errlen);
void dataset_frame_free(dataset_frame *fr); /* its bytes; the struct stays */

/* Writes s as one frame (KEY.<ext>, KEY.txt = caption, KEY.json) to the open
 * shard, then inserts/updates its items row (status 'accepted', key, shard,
 * frame offset and length, member_sha256 = sha256 of the stored image bytes).
 * Rotates to a new shard when the open one is full. Stores the key in
 * key_out (may be NULL). Returns CC_OK; CC_ERR_USAGE for bad input (no
 * image, ext not jpg/png/webp, extra_json not an object) or when the input row
 * is already accepted (nothing is written then); CC_ERR_IO / CC_ERR_DB. */
cc_err dataset_add_accepted(dataset *ds, const dataset_sample *s, char key_out[10]);

/* One rejected / failed / opted-out item. */
typedef struct {
    int64_t input_id, row_no;              /* as in dataset_sample */
    const char *url, *caption, *page_url, *caption_source;
    dataset_status status;                 /* DS_REJECTED, DS_FAILED or DS_OPTOUT */
    const char *reason;                    /* short code: 'too_small', 'http_404', 'noai' ... */
    const char *error;                     /* free text, may be NULL */
    int http_status;                       /* 0 = unknown */
    const char *mime;
    int64_t bytes;                         /* bytes downloaded; -1/0 = unknown */
    const char *sha256;
    int original_width, original_height;   /* 0 = unknown */
    double fetched_at;                     /* 0 = now */
    /* filters (004-filters.sql) */
    const char *language;                  /* detected caption language, NULL = unknown */
    const char *caption_raw;               /* the caption as found, before normalisation */
    const char *caption_detail;            /* the caption rule's note ("matched 'logo'") */
    const char *duplicate_of;              /* reason 'duplicate': the kept sample's key */
    int has_phash;
    uint64_t phash;
    const char *list_columns;              /* as in dataset_sample (index only) */
    dataset_place place;                   /* as in dataset_sample */
} dataset_outcome;

/* Records o (upsert on (input_id,row_no): a retried failure is replaced).
 * CC_ERR_USAGE if status is DS_ACCEPTED or reason is empty, or the row is
 * already accepted; CC_ERR_DB on SQLite errors. */
cc_err dataset_add_outcome(dataset *ds, const dataset_outcome *o);

/* Makes everything added so far durable: fdatasyncs the shard, commits. */
cc_err dataset_flush(dataset *ds);

/* Counts of this handle's writes so far (accepted samples, other outcomes). */
void dataset_counts(const dataset *ds, int64_t *accepted, int64_t *other);

/* ---- reading -------------------------------------------------------------------- */

/* Reads one member of the sample with key: member "jpg"/"png"/"webp" or
 * "image" / NULL (whichever image member it has), "txt" or "json". One pread,
 * one frame decompression. out receives exactly the member bytes (replacing
 * its contents). CC_ERR_NOTFOUND if no accepted sample has that key or it
 * lacks that member; CC_ERR_CORRUPT / CC_ERR_IO naming the shard otherwise. */
cc_err dataset_read_member(dataset *ds, const char *key, const char *member, ccbuf *out);

/* Where an accepted sample lives. */
typedef struct {
    char key[10];
    int64_t item_id;
    int64_t shard_no;
    uint64_t frame_offset, frame_length;
} dataset_location;

/* Looks key up. CC_OK, CC_ERR_NOTFOUND, CC_ERR_DB. */
cc_err dataset_locate(dataset *ds, const char *key, dataset_location *loc);

/* Reads and parses the whole frame of a sample once: fills image (and its
 * extension into ext, e.g. "jpg"), txt and json (any may be NULL).
 * Same returns as dataset_read_member. */
cc_err dataset_read_sample(dataset *ds, const char *key, ccbuf *image, char ext[8],
                           ccbuf *txt, ccbuf *json);

/* The same for a sample already located (loc->key, shard_no, frame offset
 * and length, e.g. from dataset_item): no index look-up. */
cc_err dataset_read_sample_at(dataset *ds, const dataset_location *loc, ccbuf *image, char ext[8], ccbuf *txt,
                              ccbuf *json);

/* A read snapshot on a read-only handle: between begin and end every read
 * sees the index as it was at the first one (one read transaction, instead of
 * one per statement: a long copy reads a consistent selection and skips a lock
 * round trip per sample). CC_OK or CC_ERR_DB / CC_ERR_USAGE (writer handle). */
cc_err dataset_snapshot_begin(dataset *ds);
void dataset_snapshot_end(dataset *ds);

/* Iterates over accepted samples in key order, optionally restricted by an
 * SQL condition on the items table (aliased `items`), e.g.
 * "items.key NOT IN (SELECT key FROM clip_scores)". The condition is trusted
 * code, not user input. */
typedef struct dataset_iter dataset_iter;
dataset_iter *dataset_iter_new(dataset *ds, const char *where_sql);
/* 1 and fills the sample's location, url and caption (valid until the next
 * call); 0 at the end; -1 on error (detail in dataset_errmsg). */
int dataset_iter_next(dataset_iter *it, dataset_location *loc, const char **url,
                      const char **caption);
void dataset_iter_free(dataset_iter *it); /* NULL is a no-op */

/* ---- dedup look-ups (lookup.c) ---------------------------------------------------
 * All return 1 found (key copied into key_out), 0 none, -1 on an SQLite error
 * (detail in dataset_errmsg): a failed look-up is never "not found". */

/* An accepted sample with this URL (and, when by_caption, this caption; NULL
 * matches a NULL caption). */
int dataset_find_url(dataset *ds, const char *url, int by_caption, const char *caption, char key_out[10]);

/* Near-duplicate candidates: calls fn(key, phash, ctx) for every accepted
 * sample whose perceptual-hash band `band` of `nbands` (schema/README.md,
 * phash_bands) has this value, until fn returns non-zero. Returns fn's
 * non-zero value, 0 when the candidates ran out, -1 on an SQLite error. */
int dataset_phash_band_each(dataset *ds, int nbands, int band, int64_t value,
                            int (*fn)(const char *key, uint64_t phash, void *ctx), void *ctx);

/* Records the nbands band values of sample key's pHash (writer; joins the
 * open transaction). Rows already there are kept. CC_OK or CC_ERR_DB. */
cc_err dataset_add_phash_bands(dataset *ds, const char *key, int nbands, const int64_t *values);

/* ---- CLIP models, scores and safety tags (scores.c; 002-clip.sql) -------------- */

typedef struct {
    const char *model_id;         /* e.g. "ViT-B-32/openai" */
    const char *precision;        /* "fp32" / "bf16" */
    const char *path;             /* where the weights were loaded from */
    const char *config_json;      /* the architecture, as a JSON object */
    int embed_dim;
    double logit_scale;
} dataset_clip_model;

/* Registers (model_id, precision) in clip_models if new; returns its row id,
 * or -1 on an SQLite error. Writer. */
int64_t dataset_clip_model_add(dataset *ds, const dataset_clip_model *m);
/* want > 0: want when such a row exists, else 0; want <= 0: the latest row,
 * else 0 when nothing was ever scored. -1 on an SQLite error. */
int64_t dataset_clip_model_pick(dataset *ds, int64_t want);

/* Inserts or replaces the score of sample key under model row model_row,
 * with both L2-normalised embeddings as d IEEE half floats each (stored
 * little-endian). Writer; joins the open transaction. CC_OK or CC_ERR_DB. */
cc_err dataset_put_clip_score(dataset *ds, const char *key, int64_t model_row, double score,
                              const uint16_t *image_f16, const uint16_t *text_f16, int d);

/* Sets items.nsfw = tag and items.nsfw_model = model_row for sample key. */
cc_err dataset_set_safety_tag(dataset *ds, const char *key, const char *tag, int64_t model_row);

/* Calls fn(key, image_f16, ctx) for every sample scored by model_row with a
 * d-wide stored image embedding whose safety tag is missing or from another
 * model (fn may call dataset_set_safety_tag). Returns the number visited, or
 * -1 on an SQLite error or when fn returns non-zero. */
int64_t dataset_each_untagged(dataset *ds, int64_t model_row, int d,
                              int (*fn)(const char *key, const uint16_t *image_f16, void *ctx), void *ctx);

/* Iterates (as dataset_iter_new) over accepted samples without a score from
 * model_row, leaving out the n keys in skip (samples that could not be scored). */
dataset_iter *dataset_iter_unscored(dataset *ds, int64_t model_row, const char *const *skip, size_t n);

/* ---- statistics (stats.c) -------------------------------------------------------- */

typedef struct {
    char status[12];
    char *reason;                 /* NULL for rows without one */
    int64_t n;
} dataset_reason_count;

typedef struct {
    int64_t id;
    char *command, *settings;     /* settings: the run's JSON object (runs.settings) */
} dataset_run_settings_row;

typedef struct {
    int64_t items, samples;
    int64_t by_status[4];         /* indexed by dataset_status */
    dataset_reason_count *reasons;/* non-accepted rows by (status, reason), most frequent first per status */
    size_t n_reasons;
    int64_t bytes_original, bytes_stored, bytes_shard_files;
    int64_t shards, shards_sealed, shards_open;
    int64_t runs;
    double run_seconds;           /* wall time of finished runs */
    int64_t run_items, run_samples;  /* items / samples those runs recorded */
    int has_last_run;
    int64_t last_id;
    char *last_command, *last_args, *last_counts;  /* may be NULL */
    char *last_settings;                           /* may be NULL (runs before 006) */
    dataset_run_settings_row run_settings[20];     /* runs that recorded settings, newest first */
    size_t n_run_settings;
    double last_started, last_finished;            /* last_finished < 0: still running */
} dataset_stats;

/* Fills st from one consistent snapshot of the index. CC_OK, or CC_ERR_DB
 * with the detail in dataset_errmsg (a failed query is an error, never a zero). */
cc_err dataset_get_stats(dataset *ds, dataset_stats *st);
void dataset_stats_free(dataset_stats *st);

/* ---- verification (verify.c) ---------------------------------------------------- */

typedef struct {
    long shards, samples, problems;
} dataset_verify_result;

/* Checks that shards and index agree (see cli/cmd-verify.c's usage): each
 * problem is reported through problem(msg, ctx) as one line naming the file
 * and the sample; note(msg, ctx) gets remarks that are not problems (NULL =
 * dropped). CC_OK when the check ran (problems or not), CC_ERR_DB when the
 * index could not be read (detail in dataset_errmsg). */
cc_err dataset_verify(dataset *ds, void (*problem)(const char *msg, void *ctx),
                      void (*note)(const char *msg, void *ctx), void *ctx, dataset_verify_result *res);

/* ---- re-judging stored rows (rejudge.c; used by refilter) ----------------------- */

/* One stored row with what refilter judges. Strings are valid during the call. */
typedef struct {
    int64_t id, input_id;
    const char *key;              /* "" when the row has no sample */
    dataset_status status;        /* DS_ACCEPTED or DS_REJECTED */
    const char *reason, *error, *caption_detail, *duplicate_of, *language;
    const char *url, *caption;    /* caption_raw when known, else caption */
    const char *page_url;         /* the page the image was found on, or NULL */
    const char *sha256, *nsfw;
    int has_phash;
    uint64_t phash;
    int has_score;
    double score;                 /* clip_scores.score under the model asked for */
    int original_width, original_height;
    int64_t bytes;
    dataset_place place;          /* where the caption came from (008); placement NULL = unknown */
} dataset_row;

/* Calls fn for every accepted or rejected row: samples first in key order,
 * then rows without a sample by id; scores are those of model_row (<= 0:
 * none). Returns 0, -1 on an SQLite error, or fn's non-zero return. */
int dataset_each_row(dataset *ds, int64_t model_row, int (*fn)(const dataset_row *r, void *ctx), void *ctx);

/* Changes to rows, all in one transaction (writer): dataset_edit_begin()
 * commits what is pending and starts it; dataset_edit_commit() makes all
 * durable; dataset_edit_rollback() drops all. The set_ functions record the
 * current run as the row's run. CC_OK or CC_ERR_DB. */
cc_err dataset_edit_begin(dataset *ds);
cc_err dataset_edit_verdict(dataset *ds, int64_t item_id, dataset_status status, const char *reason,
                            const char *error, const char *caption_detail, const char *duplicate_of);
cc_err dataset_edit_language(dataset *ds, int64_t item_id, const char *language);
cc_err dataset_edit_delete(dataset *ds, int64_t item_id);
cc_err dataset_edit_commit(dataset *ds);
void dataset_edit_rollback(dataset *ds);
/* ---- merge (dataset/merge.c) ------------------------------------------------ */

/* The duplicate rules a merge applies across parts: the image path's
 * (filters' dedup modes), in its order. */
typedef struct {
    int by_url;              /* same image URL */
    int by_url_caption;      /* same (URL, caption) */
    int by_sha256;           /* same original bytes */
    int phash_max_distance;  /* same picture within this Hamming distance; < 0 = off */
} dataset_merge_rules;

typedef struct {
    int64_t parts, items, accepted, duplicates, shards;
} dataset_merge_counts;

/* Appends the dataset in part_dir to ds (opened for writing): its shards are
 * hard-linked into ds's shards/ (copied across file systems; an open shard,
 * allowed only with allow_open_shard, is copied and sealed), its index rows
 * copied with ids remapped, and its accepted samples checked against the
 * samples already in ds by the rules r; duplicates are demoted to
 * rejected/'duplicate' (duplicate_of names the kept sample). One
 * transaction: on failure nothing of the part is in the index (shard links
 * may be left: merge into a fresh directory). Adds to *c. The part's index
 * must be at this build's version (open it for writing once to migrate).
 * Embedding rows arrive without a file row: open a dataset_emb_writer per
 * model afterwards to write them (backfill). CC_OK, or an error with a
 * one-line message naming the part in err. See merge.c for the rules. */
cc_err dataset_merge_from(dataset *ds, const char *part_dir, int allow_open_shard, const dataset_merge_rules *r,
                          dataset_merge_counts *c, char *err, size_t errlen);

/* After the last dataset_merge_from: writes each model's embedding file
 * from the merged clip_scores (dataset_emb backfill). CC_OK or an error. */
cc_err dataset_merge_finish(dataset *ds, char *err, size_t errlen);

#endif
