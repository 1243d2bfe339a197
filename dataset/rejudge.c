/* rejudge.c — reading stored rows for a new verdict, and changing verdicts
 * in one transaction (refilter; see dataset.h). */
#include <string.h>

#include "dataset-internal.h"

static const char *text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

int dataset_each_row(dataset *ds, int64_t model_row, int (*fn)(const dataset_row *r, void *ctx), void *ctx)
{
    sqlite3_stmt *st = NULL;
    /* Samples first in key order (dedup keeps the earliest key), then rows without one. */
    if (sqlite3_prepare_v2(dataset_db(ds),
                           "SELECT i.id, i.input_id, i.key, i.status, i.reason, i.error, i.caption_detail, "
                           "i.duplicate_of, i.language, i.url, coalesce(i.caption_raw, i.caption), i.sha256, i.nsfw, "
                           "i.phash, s.score, i.original_width, i.original_height, i.bytes, i.page_url, "
                           "i.placement, i.place_width, i.place_height, i.alt_repeats "
                           "FROM items i LEFT JOIN clip_scores s ON s.key = i.key AND s.model = ?1 "
                           "WHERE i.status IN ('accepted', 'rejected') "
                           "ORDER BY i.key IS NULL, i.key, i.id",
                           -1, &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "reading items"), -1;
    sqlite3_bind_int64(st, 1, model_row);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dataset_row r = {
            .id = sqlite3_column_int64(st, 0),
            .input_id = sqlite3_column_int64(st, 1),
            .key = text(st, 2) ? text(st, 2) : "",
            .status = dataset_status_parse(text(st, 3)) == DS_ACCEPTED ? DS_ACCEPTED : DS_REJECTED,
            .reason = text(st, 4), .error = text(st, 5), .caption_detail = text(st, 6),
            .duplicate_of = text(st, 7), .language = text(st, 8), .url = text(st, 9), .caption = text(st, 10),
            .sha256 = text(st, 11), .nsfw = text(st, 12),
            .has_phash = sqlite3_column_type(st, 13) != SQLITE_NULL,
            .phash = (uint64_t)sqlite3_column_int64(st, 13),
            .has_score = sqlite3_column_type(st, 14) != SQLITE_NULL,
            .score = sqlite3_column_double(st, 14),
            .original_width = sqlite3_column_int(st, 15),
            .original_height = sqlite3_column_int(st, 16),
            .bytes = sqlite3_column_int64(st, 17),
            .page_url = text(st, 18),
            .place = {text(st, 19), sqlite3_column_int(st, 20), sqlite3_column_int(st, 21),
                      sqlite3_column_int(st, 22)},
        };
        if ((ret = fn(&r, ctx)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE) {
        ds_dberr(ds, "reading items");
        ret = -1;
    }
    sqlite3_finalize(st);
    return ret;
}

cc_err dataset_edit_begin(dataset *ds)
{
    if (ds_is_bulk(ds)) {
        ds_seterr(ds, "%s: edits need the index's triggers: not on a bulk writer", dataset_dir(ds));
        return CC_ERR_USAGE;
    }
    cc_err rc = dataset_flush(ds);
    return rc != CC_OK ? rc : ds_begin(ds);
}

static cc_err step(dataset *ds, sqlite3_stmt *st, const char *what)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? CC_OK : ds_dberr(ds, what);
}

cc_err dataset_edit_verdict(dataset *ds, int64_t item_id, dataset_status status, const char *reason,
                            const char *error, const char *caption_detail, const char *duplicate_of)
{
    sqlite3_stmt *st = ds_stmt(ds, DS_STMT_EDIT_VERDICT,
                               "UPDATE items SET status = ?1, reason = ?2, error = ?3, caption_detail = ?4, "
                               "duplicate_of = ?5, run_id = ?6 WHERE id = ?7");
    if (!st)
        return CC_ERR_DB;
    sqlite3_bind_text(st, 1, dataset_status_name(status), -1, SQLITE_STATIC);
    if (status != DS_ACCEPTED) {
        sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
    }
    sqlite3_bind_text(st, 4, caption_detail, -1, SQLITE_STATIC);
    if (duplicate_of && *duplicate_of)
        sqlite3_bind_text(st, 5, duplicate_of, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, ds_run_id(ds));
    sqlite3_bind_int64(st, 7, item_id);
    return step(ds, st, "changing a verdict");
}

cc_err dataset_edit_language(dataset *ds, int64_t item_id, const char *language)
{
    sqlite3_stmt *st = ds_stmt(ds, DS_STMT_EDIT_LANGUAGE, "UPDATE items SET language = ?1 WHERE id = ?2");
    if (!st)
        return CC_ERR_DB;
    sqlite3_bind_text(st, 1, language, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, item_id);
    return step(ds, st, "changing a language");
}

cc_err dataset_edit_delete(dataset *ds, int64_t item_id)
{
    sqlite3_stmt *st = ds_stmt(ds, DS_STMT_EDIT_DELETE, "DELETE FROM items WHERE id = ?1");
    if (!st)
        return CC_ERR_DB;
    sqlite3_bind_int64(st, 1, item_id);
    return step(ds, st, "deleting a row");
}

cc_err dataset_edit_commit(dataset *ds)
{
    return dataset_flush(ds);
}

void dataset_edit_rollback(dataset *ds)
{
    ds_rollback(ds);
}
