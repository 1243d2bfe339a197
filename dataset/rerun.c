/* rerun.c — what a re-run needs to honour changed settings: each run's
 * settings (runs.settings, schema/006) and forgetting outcomes that a run's
 * settings decided, so the next run judges those rows again (see dataset.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset-internal.h"

cc_err dataset_run_settings(dataset *ds, const char *settings_json)
{
    if (ds_readonly(ds) || ds_run_id(ds) <= 0) {
        ds_seterr(ds, "no run to record settings for");
        return CC_ERR_USAGE;
    }
    if (ds_begin(ds) != CC_OK)
        return CC_ERR_DB;
    sqlite3 *db = dataset_db(ds);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "UPDATE runs SET settings = ?2 WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "run settings");
    sqlite3_bind_int64(st, 1, ds_run_id(ds));
    sqlite3_bind_text(st, 2, settings_json, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CC_OK : ds_dberr(ds, "run settings");
}

int dataset_last_settings(dataset *ds, const char *command, char **settings_out)
{
    *settings_out = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(dataset_db(ds),
                           "SELECT settings FROM runs WHERE command = ?1 AND id <> ?2 AND settings IS NOT NULL "
                           "ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        ds_dberr(ds, "last run settings");
        return -1;
    }
    sqlite3_bind_text(st, 1, command, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ds_run_id(ds));
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        *settings_out = strdup((const char *)sqlite3_column_text(st, 0));
        found = 1;
    } else if (rc != SQLITE_DONE) {
        ds_dberr(ds, "last run settings");
        found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

int64_t dataset_forget_outcomes(dataset *ds, const char *status, const char *reason)
{
    if (ds_begin(ds) != CC_OK)
        return -1;
    sqlite3 *db = dataset_db(ds);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM items WHERE status = ?1 AND reason = ?2 AND key IS NULL", -1, &st,
                           NULL) != SQLITE_OK) {
        ds_dberr(ds, "forget outcomes");
        return -1;
    }
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        ds_dberr(ds, "forget outcomes");
        return -1;
    }
    return sqlite3_changes(db);
}
