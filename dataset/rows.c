/* rows.c — query cursors over the index (see rows.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset-internal.h"
#include "rows.h"

struct dataset_rows {
    dataset *ds;
    sqlite3_stmt *st;
    char err[512];
};

static dataset_rows *wrap(dataset *ds, sqlite3_stmt *st)
{
    dataset_rows *r = xcalloc(1, sizeof *r);
    r->ds = ds;
    r->st = st;
    return r;
}

dataset_rows *dataset_rows_select(dataset *ds, const dataset_selection *sel, const char *columns, const char *order,
                                  int64_t limit, char *err, size_t errlen)
{
    ccbuf q = {0};
    ccbuf_printf(&q, "SELECT %s", columns);
    if (dataset_selection_sql(ds, sel, &q, err, errlen) != CC_OK) {
        ccbuf_free(&q);
        return NULL;
    }
    ccbuf_printf(&q, " ORDER BY %s", sel->fts && strcmp(order, "key") == 0 ? "fts.fts_rank, items.key" : order);
    if (limit >= 0)
        ccbuf_printf(&q, " LIMIT %lld", (long long)limit);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(dataset_db(ds), (const char *)q.data, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "query: %s", sqlite3_errmsg(dataset_db(ds)));
        ccbuf_free(&q);
        return NULL;
    }
    dataset_selection_bind(ds, sel, st);
    ccbuf_free(&q);
    return wrap(ds, st);
}

dataset_rows *dataset_rows_hits(dataset *ds, const char *columns, const dataset_hit *hits, size_t n, char *err,
                                size_t errlen)
{
    sqlite3_stmt *st = dataset_hits_stmt(ds, columns, hits, n, err, errlen);
    return st ? wrap(ds, st) : NULL;
}

dataset_rows *dataset_rows_sql(dataset *ds, const char *sql, char *err, size_t errlen)
{
    sqlite3 *db = dataset_db(ds);
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK) {
        snprintf(err, errlen, "--sql: %s", sqlite3_errmsg(db));
        return NULL;
    }
    if (!st) {
        snprintf(err, errlen, "--sql holds no statement");
        return NULL;
    }
    while (tail && *tail && strchr(" \t\r\n;", *tail))
        tail++;
    if (tail && *tail)
        snprintf(err, errlen, "--sql takes one statement; found more after it: '%.40s'", tail);
    else if (!sqlite3_stmt_readonly(st))
        snprintf(err, errlen, "--sql must not change the dataset (read-only): '%.60s'", sql);
    else
        return wrap(ds, st);
    sqlite3_finalize(st);
    return NULL;
}

int dataset_rows_next(dataset_rows *r)
{
    int rc = sqlite3_step(r->st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    snprintf(r->err, sizeof r->err, "%s", sqlite3_errmsg(dataset_db(r->ds)));
    return -1;
}

const char *dataset_rows_errmsg(const dataset_rows *r) { return r->err; }
int dataset_rows_ncols(const dataset_rows *r) { return sqlite3_column_count(r->st); }
const char *dataset_rows_name(const dataset_rows *r, int col) { return sqlite3_column_name(r->st, col); }
int64_t dataset_rows_int(const dataset_rows *r, int col) { return sqlite3_column_int64(r->st, col); }
double dataset_rows_double(const dataset_rows *r, int col) { return sqlite3_column_double(r->st, col); }
const char *dataset_rows_text(const dataset_rows *r, int col) { return (const char *)sqlite3_column_text(r->st, col); }
const void *dataset_rows_blob(const dataset_rows *r, int col) { return sqlite3_column_blob(r->st, col); }
int dataset_rows_bytes(const dataset_rows *r, int col) { return sqlite3_column_bytes(r->st, col); }

dataset_value_type dataset_rows_type(const dataset_rows *r, int col)
{
    switch (sqlite3_column_type(r->st, col)) {
    case SQLITE_INTEGER: return DATASET_INTEGER;
    case SQLITE_FLOAT: return DATASET_FLOAT;
    case SQLITE_TEXT: return DATASET_TEXT;
    case SQLITE_BLOB: return DATASET_BLOB;
    default: return DATASET_NULL;
    }
}

void dataset_rows_free(dataset_rows *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->st);
    free(r);
}
