/* stats.c — a dataset's figures from one snapshot of the index (dataset_get_stats). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset-internal.h"
#include "shard.h"

/* One integer from a one-row query; -1 on an SQLite error (detail set). */
static int one_int(dataset *ds, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(dataset_db(ds), sql, -1, &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "statistics"), -1;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (r != SQLITE_ROW)
        return ds_dberr(ds, "statistics"), -1;
    return 0;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xstrdup((const char *)t) : NULL;
}

static int reasons(dataset *ds, dataset_stats *s)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(dataset_db(ds),
                           "SELECT status, reason, count(*) FROM items WHERE status != 'accepted' "
                           "GROUP BY status, reason ORDER BY status, count(*) DESC, reason",
                           -1, &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "statistics"), -1;
    size_t cap = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->n_reasons == cap) {
            cap = cap ? cap * 2 : 16;
            s->reasons = xrealloc(s->reasons, cap * sizeof *s->reasons);
        }
        dataset_reason_count *c = &s->reasons[s->n_reasons++];
        memset(c, 0, sizeof *c);
        const char *status = (const char *)sqlite3_column_text(st, 0);
        strncpy(c->status, status ? status : "", sizeof c->status - 1);
        c->reason = col_dup(st, 1);
        c->n = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? 0 : (ds_dberr(ds, "statistics"), -1);
}

static int shard_files(dataset *ds, dataset_stats *s)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(dataset_db(ds), "SELECT shard_no, state FROM shards", -1, &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "statistics"), -1;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 1);
        int sealed = state && strcmp(state, "sealed") == 0;
        char *p = shard_path(dataset_dir(ds), sqlite3_column_int64(st, 0), !sealed);
        struct stat sb;
        if (stat(p, &sb) == 0)
            s->bytes_shard_files += sb.st_size;
        free(p);
    }
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? 0 : (ds_dberr(ds, "statistics"), -1);
}

/* Rate: items recorded by finished runs over those runs' wall time; and the last run. */
static int runs(dataset *ds, dataset_stats *s)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(dataset_db(ds),
                           "SELECT coalesce(sum(finished_at - started_at), 0), "
                           "(SELECT count(*) FROM items WHERE run_id IN (SELECT id FROM runs WHERE finished_at IS NOT NULL)), "
                           "(SELECT count(*) FROM items WHERE status = 'accepted' AND run_id IN "
                           "   (SELECT id FROM runs WHERE finished_at IS NOT NULL)) "
                           "FROM runs WHERE finished_at IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "statistics"), -1;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        s->run_seconds = sqlite3_column_double(st, 0);
        s->run_items = sqlite3_column_int64(st, 1);
        s->run_samples = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (r != SQLITE_ROW)
        return ds_dberr(ds, "statistics"), -1;
    if (sqlite3_prepare_v2(dataset_db(ds),
                           "SELECT id, command, args, started_at, finished_at, counts, settings FROM runs "
                           "ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "statistics"), -1;
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        s->has_last_run = 1;
        s->last_id = sqlite3_column_int64(st, 0);
        s->last_command = col_dup(st, 1);
        s->last_args = col_dup(st, 2);
        s->last_started = sqlite3_column_double(st, 3);
        s->last_finished = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 4);
        s->last_counts = col_dup(st, 5);
        s->last_settings = col_dup(st, 6);
    }
    sqlite3_finalize(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        return ds_dberr(ds, "statistics"), -1;
    /* each run's settings, newest first */
    if (sqlite3_prepare_v2(dataset_db(ds),
                           "SELECT id, command, settings FROM runs WHERE settings IS NOT NULL ORDER BY id DESC "
                           "LIMIT 20",
                           -1, &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "statistics"), -1;
    while ((r = sqlite3_step(st)) == SQLITE_ROW && s->n_run_settings < 20) {
        dataset_run_settings_row *x = &s->run_settings[s->n_run_settings++];
        x->id = sqlite3_column_int64(st, 0);
        x->command = col_dup(st, 1);
        x->settings = col_dup(st, 2);
    }
    sqlite3_finalize(st);
    return r == SQLITE_DONE || r == SQLITE_ROW ? 0 : (ds_dberr(ds, "statistics"), -1);
}

cc_err dataset_get_stats(dataset *ds, dataset_stats *s)
{
    memset(s, 0, sizeof *s);
    sqlite3 *db = dataset_db(ds);
    /* One snapshot: every figure from the same state of the index. */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return ds_dberr(ds, "statistics");
    static const char *const by_status[] = {
        "SELECT count(*) FROM items WHERE status = 'accepted'", "SELECT count(*) FROM items WHERE status = 'rejected'",
        "SELECT count(*) FROM items WHERE status = 'failed'", "SELECT count(*) FROM items WHERE status = 'optout'"};
    int bad = one_int(ds, "SELECT count(*) FROM items", &s->items);
    for (int i = 0; i < 4 && !bad; i++)
        bad = one_int(ds, by_status[i], &s->by_status[i]);
    s->samples = s->by_status[DS_ACCEPTED];
    bad = bad || reasons(ds, s) || shard_files(ds, s) ||
          one_int(ds, "SELECT coalesce(sum(bytes), 0) FROM items WHERE status = 'accepted'", &s->bytes_original) ||
          one_int(ds, "SELECT coalesce(sum(member_bytes), 0) FROM items WHERE status = 'accepted'", &s->bytes_stored) ||
          one_int(ds, "SELECT count(*) FROM shards", &s->shards) ||
          one_int(ds, "SELECT count(*) FROM shards WHERE state = 'sealed'", &s->shards_sealed) ||
          one_int(ds, "SELECT count(*) FROM shards WHERE state = 'open'", &s->shards_open) ||
          one_int(ds, "SELECT count(*) FROM runs", &s->runs) || runs(ds, s);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (bad) {
        dataset_stats_free(s);
        return CC_ERR_DB;
    }
    return CC_OK;
}

void dataset_stats_free(dataset_stats *s)
{
    for (size_t i = 0; i < s->n_reasons; i++)
        free(s->reasons[i].reason);
    free(s->reasons);
    free(s->last_command);
    free(s->last_args);
    free(s->last_counts);
    free(s->last_settings);
    for (size_t i = 0; i < s->n_run_settings; i++) {
        free(s->run_settings[i].command);
        free(s->run_settings[i].settings);
    }
    memset(s, 0, sizeof *s);
}
