/* dataset-internal.h — what dataset.c lends the stage's other files
 * (lookup.c, scores.c, stats.c, verify.c, rejudge.c). Internal to dataset/. */
#ifndef CC_DATASET_INTERNAL_H
#define CC_DATASET_INTERNAL_H

#include "dataset.h"

/* Sets dataset_errmsg(ds). */
void ds_seterr(dataset *ds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets dataset_errmsg(ds) to "DIR/index.sqlite: what: <SQLite's message>"; returns CC_ERR_DB. */
cc_err ds_dberr(dataset *ds, const char *what);
int ds_readonly(const dataset *ds);
/* A bulk writer (dataset_options.bulk): the index's triggers are off. */
int ds_is_bulk(const dataset *ds);
/* The run begun by dataset_run_begin, 0 if none. */
int64_t ds_run_id(const dataset *ds);
/* Opens (or joins) the writer's transaction; dataset_flush() commits it.
 * CC_ERR_USAGE on a read-only handle. */
cc_err ds_begin(dataset *ds);
/* Drops the open transaction, if any. */
void ds_rollback(dataset *ds);

/* Statements the handle keeps prepared (one slot each), finalized with it. */
enum {
    DS_STMT_URL, DS_STMT_URL_CAPTION, DS_STMT_SHA256, DS_STMT_PHASH_FIND, DS_STMT_PHASH_ADD,
    DS_STMT_CLIP_SCORE, DS_STMT_SAFETY_TAG,
    DS_STMT_EDIT_VERDICT, DS_STMT_EDIT_LANGUAGE, DS_STMT_EDIT_DELETE,
    DS_STMT__COUNT
};
/* The statement of slot (prepared from sql on first use), reset and with its
 * bindings cleared; NULL on an SQLite error (detail in dataset_errmsg). */
sqlite3_stmt *ds_stmt(dataset *ds, int slot, const char *sql);

#endif
