/* select_rows.c — listing selected samples and reading their stored fields
 * (export, compact); see dataset_emb.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_emb.h"

static cc_err dberr(dataset *ds, char *err, size_t errlen, const char *what)
{
    cc_seterr(err, errlen, "%s/index.sqlite: %s: %s", dataset_dir(ds), what, sqlite3_errmsg(dataset_db(ds)));
    return CC_ERR_DB;
}

cc_err dataset_select_ids(dataset *ds, const dataset_selection *sel, const dataset_hit *keys, size_t nkeys,
                          int64_t **ids, size_t *n, char *err, size_t errlen)
{
    *ids = NULL;
    *n = 0;
    ccbuf q = {0};
    ccbuf_puts(&q, "SELECT items.id");
    cc_err r = dataset_selection_sql(ds, sel, &q, err, errlen);
    if (r != CC_OK) {
        ccbuf_free(&q);
        return r;
    }
    ccbuf_puts(&q, " AND items.shard_no IS NOT NULL");
    if (keys)
        ccbuf_puts(&q, " AND items.key = ?2");
    else
        ccbuf_puts(&q, " ORDER BY items.key");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(dataset_db(ds), (const char *)q.data, -1, &st, NULL) != SQLITE_OK) {
        ccbuf_free(&q);
        return dberr(ds, err, errlen, "selection");
    }
    ccbuf_free(&q);
    dataset_selection_bind(ds, sel, st);
    size_t cap = 0;
    int rc = SQLITE_DONE;
    for (size_t k = 0; k < (keys ? nkeys : 1); k++) {
        if (keys) {
            sqlite3_reset(st);
            sqlite3_bind_text(st, 2, keys[k].key, -1, SQLITE_TRANSIENT);
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 1024;
                *ids = xrealloc(*ids, cap * sizeof **ids);
            }
            (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
        }
        if (rc != SQLITE_DONE)
            break;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(*ids);
        *ids = NULL;
        *n = 0;
        return dberr(ds, err, errlen, "selection");
    }
    return CC_OK;
}

struct dataset_item_reader {
    dataset *ds;
    sqlite3_stmt *st;
};

dataset_item_reader *dataset_item_reader_new(dataset *ds, int64_t score_model, char *err, size_t errlen)
{
    dataset_item_reader *r = xcalloc(1, sizeof *r);
    r->ds = ds;
    char *sql = xasprintf("SELECT i.id, i.key, i.url, i.caption, i.page_url, i.caption_source, i.sha256, i.mime,"
                          " i.language, i.caption_raw, i.width, i.height, i.original_width, i.original_height,"
                          " i.http_status, i.bytes, i.fetched_at, s.score, i.phash, i.member_sha256,"
                          " i.shard_no, i.frame_offset, i.frame_length,"
                          " i.placement, i.place_width, i.place_height, i.alt_repeats"
                          " FROM items i LEFT JOIN clip_scores s ON s.key = i.key AND s.model = %lld"
                          " WHERE i.id = ?1",
                          (long long)score_model);
    if (sqlite3_prepare_v2(dataset_db(ds), sql, -1, &r->st, NULL) != SQLITE_OK) {
        dberr(ds, err, errlen, "reading items");
        free(sql);
        free(r);
        return NULL;
    }
    free(sql);
    return r;
}

static const char *txt(sqlite3_stmt *st, int c) { return (const char *)sqlite3_column_text(st, c); }

cc_err dataset_item_get(dataset_item_reader *r, int64_t id, dataset_item *row, char *err, size_t errlen)
{
    sqlite3_reset(r->st);
    sqlite3_bind_int64(r->st, 1, id);
    int rc = sqlite3_step(r->st);
    if (rc == SQLITE_DONE) {
        cc_seterr(err, errlen, "%s: no item %lld", dataset_dir(r->ds), (long long)id);
        return CC_ERR_NOTFOUND;
    }
    if (rc != SQLITE_ROW)
        return dberr(r->ds, err, errlen, "reading items");
    sqlite3_stmt *st = r->st;
    memset(row, 0, sizeof *row);
    row->id = sqlite3_column_int64(st, 0);
    snprintf(row->key, sizeof row->key, "%s", txt(st, 1) ? txt(st, 1) : "");
    row->url = txt(st, 2);
    row->caption = txt(st, 3);
    row->page_url = txt(st, 4);
    row->caption_source = txt(st, 5);
    row->sha256 = txt(st, 6);
    row->mime = txt(st, 7);
    row->language = txt(st, 8);
    row->caption_raw = txt(st, 9);
    row->width = sqlite3_column_int(st, 10);
    row->height = sqlite3_column_int(st, 11);
    row->original_width = sqlite3_column_int(st, 12);
    row->original_height = sqlite3_column_int(st, 13);
    row->http_status = sqlite3_column_int(st, 14);
    row->bytes = sqlite3_column_int64(st, 15);
    row->fetched_at = sqlite3_column_double(st, 16);
    row->has_clip_score = sqlite3_column_type(st, 17) != SQLITE_NULL;
    row->clip_score = sqlite3_column_double(st, 17);
    row->has_phash = sqlite3_column_type(st, 18) != SQLITE_NULL;
    row->phash = (uint64_t)sqlite3_column_int64(st, 18);
    row->member_sha256 = txt(st, 19);
    snprintf(row->loc.key, sizeof row->loc.key, "%s", row->key);
    row->loc.item_id = row->id;
    row->loc.shard_no = sqlite3_column_type(st, 20) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 20);
    row->loc.frame_offset = (uint64_t)sqlite3_column_int64(st, 21);
    row->loc.frame_length = (uint64_t)sqlite3_column_int64(st, 22);
    row->place = (dataset_place){txt(st, 23), sqlite3_column_int(st, 24), sqlite3_column_int(st, 25),
                                 sqlite3_column_int(st, 26)};
    return CC_OK;
}

void dataset_item_reader_free(dataset_item_reader *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->st);
    free(r);
}

cc_err dataset_first_run_args(dataset *ds, const char *command, char **args, char *err, size_t errlen)
{
    *args = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(dataset_db(ds), "SELECT coalesce(args, '') FROM runs WHERE command = ?1 ORDER BY id LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return dberr(ds, err, errlen, "reading runs");
    sqlite3_bind_text(st, 1, command, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *args = xstrdup(txt(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dberr(ds, err, errlen, "reading runs");
    return CC_OK;
}
