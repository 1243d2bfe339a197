/* rows.h — rows of a query over the index, for commands that print them
 * (query, and any command that lists samples), without SQLite in their hands.
 *
 * A cursor comes from a selection (dataset_emb.h: status, --where, --fts,
 * --min-clip-score), from semantic-search hits, or from the user's own
 * statement (query --sql: exactly one read-only statement; the handle is
 * read-only anyway). */
#ifndef CC_DATASET_ROWS_H
#define CC_DATASET_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "dataset_emb.h"

typedef struct dataset_rows dataset_rows;

typedef enum { DATASET_NULL, DATASET_INTEGER, DATASET_FLOAT, DATASET_TEXT, DATASET_BLOB } dataset_value_type;

/* SELECT columns FROM items <sel> ORDER BY order LIMIT limit (< 0: none).
 * order "key" with FTS words ranks best match first. NULL with a one-line
 * message in err (a bad column, condition or status). */
dataset_rows *dataset_rows_select(dataset *ds, const dataset_selection *sel, const char *columns, const char *order,
                                  int64_t limit, char *err, size_t errlen);
/* columns of the hit samples, in hit order, with column similarity. */
dataset_rows *dataset_rows_hits(dataset *ds, const char *columns, const dataset_hit *hits, size_t n, char *err,
                                size_t errlen);
/* The user's own statement: exactly one, read-only. */
dataset_rows *dataset_rows_sql(dataset *ds, const char *sql, char *err, size_t errlen);

/* 1 at the next row, 0 at the end, -1 on an error (dataset_rows_errmsg). */
int dataset_rows_next(dataset_rows *r);
const char *dataset_rows_errmsg(const dataset_rows *r);

/* Columns (valid before the first row too) and the current row's values. */
int dataset_rows_ncols(const dataset_rows *r);
const char *dataset_rows_name(const dataset_rows *r, int col);
dataset_value_type dataset_rows_type(const dataset_rows *r, int col);
int64_t dataset_rows_int(const dataset_rows *r, int col);
double dataset_rows_double(const dataset_rows *r, int col);
const char *dataset_rows_text(const dataset_rows *r, int col);   /* NULL for NULL */
const void *dataset_rows_blob(const dataset_rows *r, int col);
int dataset_rows_bytes(const dataset_rows *r, int col);          /* of text or blob */
void dataset_rows_free(dataset_rows *r);                         /* NULL is a no-op */

#endif
