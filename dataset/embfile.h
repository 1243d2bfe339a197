/* embfile.h — the flat image-embedding file of one CLIP model
 * (DIR/embeddings/<model_id>-<precision>.f16; format in schema/EMBEDDINGS_FORMAT.md).
 *
 * A 64-byte header, then `count` rows of `dim` IEEE half floats
 * (little-endian, L2-normalised), one row per scored sample, in the order
 * the rows were appended. Which key a row belongs to is recorded in the index
 * (clip_scores.emb_row); how many rows are valid is recorded there too
 * (clip_models.emb_rows), so a row appended by a run that was killed before
 * its index transaction committed is cut off at the next open for writing.
 *
 * Writer: one process (the dataset's writer). Readers map the file read-only
 * and use only the first `valid` rows the index vouches for.
 *
 * Errors: functions returning int give 0 / -1 with a one-line message naming
 * the file in the caller's err buffer. Allocation failure aborts. */
#ifndef CC_DATASET_EMBFILE_H
#define CC_DATASET_EMBFILE_H

#include <stddef.h>
#include <stdint.h>

#define EMBFILE_MAGIC "CCEMBED\0"  /* 8 bytes */
#define EMBFILE_VERSION 1
#define EMBFILE_HEADER 64          /* rows start here; 64-byte aligned */
#define EMBFILE_DTYPE_F16 1
#define EMBFILE_MAX_DIM 8192

/* ---- writing --------------------------------------------------------------- */

typedef struct embfile_writer embfile_writer;

/* Opens path for appending rows of dim halves, creating it (and nothing
 * else: the directory must exist) when missing, and its int8 copy (below). valid_rows is the count the
 * index vouches for: a longer file is cut back to it (rows of a run killed
 * before it committed), a shorter one is an error (the file lost rows the
 * index references). model_id (<= 31 bytes, may be NULL) is written into a
 * new header for people reading the file without the index; an existing
 * header must agree on dim. NULL on error. */
embfile_writer *embfile_writer_open(const char *path, int dim, uint64_t valid_rows, const char *model_id,
                                    char *err, size_t errlen);

/* Appends one row (dim floats, converted to half floats). Returns its row
 * number (0-based), or -1 on a write error. Not durable until embfile_sync. */
int64_t embfile_append(embfile_writer *w, const float *v, char *err, size_t errlen);

/* Rows in the file, including appended ones not yet synced. */
uint64_t embfile_writer_rows(const embfile_writer *w);

/* fdatasyncs the rows appended so far and records their count in the
 * header. Call it BEFORE committing the index transaction that references
 * the rows. 0 / -1. */
int embfile_sync(embfile_writer *w, char *err, size_t errlen);

/* Syncs and closes; NULL is a no-op returning 0. Frees w either way. */
int embfile_writer_close(embfile_writer *w, char *err, size_t errlen);

/* ---- reading --------------------------------------------------------------- */

typedef struct {
    void *map;            /* the whole file, mapped read-only */
    size_t map_len;
    const uint16_t *rows; /* row r starts at rows + r * dim */
    uint64_t count;       /* usable rows: min(valid_rows, rows in the file) */
    int dim;
} embfile_map;

/* Maps path read-only. valid_rows is the index's count; rows beyond it are
 * ignored. Fails (-1) when the file is missing, its header is wrong, the
 * dim disagrees with dim (when dim > 0), or it holds fewer than valid_rows
 * rows. An empty map (count 0) is fine. */
int embfile_map_open(embfile_map *m, const char *path, int dim, uint64_t valid_rows, char *err, size_t errlen);
void embfile_map_close(embfile_map *m); /* zeroed or closed maps are a no-op */

/* Opens path read-only after the same checks as embfile_map_open, for
 * callers that read rows with pread (dataset/embstore.h). Returns the fd
 * and the file's dim in *dim_out, or -1 with err set. */
int embfile_open_read(const char *path, int dim, uint64_t valid_rows, int *dim_out, char *err, size_t errlen);

/* ---- the int8 copy ------------------------------------------------------------ */

/* Beside every F16 file the writer keeps DIR/embeddings/<model>-<prec>.i8:
 * the same rows as int8 with a per-row scale and error bound (embint8.h,
 * schema/EMBEDDINGS_FORMAT.md), appended and synced with the F16 rows, cut
 * back with them, and rebuilt from them (backfill) by embfile_writer_open
 * when missing, short or damaged. A writer that wrote a quarter of the copy
 * or more (and at least 8 MiB) rewrites it at close in 4 MiB blocks into
 * X.i8.tmp, renamed over X.i8, so the page cache holds it in large folios
 * that a one-shot search can map cheaply (embstore.h). It is derived data:
 * deleting it is safe. */

/* The copy's path for an F16 file's path ("x.f16" -> "x.i8"; free() it). */
char *embfile_i8_path(const char *f16_path);

/* Opens the copy beside f16_path read-only when it is usable: its header is
 * right, its dim is dim and it holds at least valid_rows rows. Otherwise -1
 * (missing, damaged or behind: search the F16 rows alone); never an error. */
int embfile_open_i8(const char *f16_path, int dim, uint64_t valid_rows);

/* Half-float row r as floats (out holds dim floats). */
void embfile_row_f32(const embfile_map *m, uint64_t r, float *out);

#endif
