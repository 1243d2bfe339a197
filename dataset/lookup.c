/* lookup.c — duplicate look-ups against the index: by URL, by URL and
 * caption, and near-duplicate candidates by perceptual-hash band (see
 * dataset.h and schema/README.md, phash_bands). Only accepted samples count
 * as the copy to keep. */
#include <stdio.h>

#include "dataset-internal.h"

/* Steps a look-up whose first column is a sample key: 1 found (key copied),
 * 0 none, -1 on an SQLite error (detail set, naming what). */
static int find_key(dataset *ds, sqlite3_stmt *st, const char *what, char key_out[10])
{
    int r = sqlite3_step(st), found = 0;
    if (r == SQLITE_ROW) {
        found = 1;
        if (key_out)
            snprintf(key_out, 10, "%s", (const char *)sqlite3_column_text(st, 0));
    } else if (r != SQLITE_DONE) {
        ds_dberr(ds, what);
        found = -1;
    }
    sqlite3_reset(st);
    return found;
}

int dataset_find_url(dataset *ds, const char *url, int by_caption, const char *caption, char key_out[10])
{
    if (!url)
        return 0;
    sqlite3_stmt *st = by_caption
                           ? ds_stmt(ds, DS_STMT_URL_CAPTION,
                                     "SELECT key FROM items WHERE url = ?1 AND caption IS ?2 AND status = 'accepted' LIMIT 1")
                           : ds_stmt(ds, DS_STMT_URL,
                                     "SELECT key FROM items WHERE url = ?1 AND status = 'accepted' LIMIT 1");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
    if (by_caption)
        sqlite3_bind_text(st, 2, caption, -1, SQLITE_STATIC);
    return find_key(ds, st, "URL look-up", key_out);
}

int dataset_find_sha256(dataset *ds, const char *sha256_hex, char key_out[10])
{
    if (ds_readonly(ds) || !sha256_hex) {
        ds_seterr(ds, "%s: sha256 lookup needs a writer handle and a hash", dataset_dir(ds));
        return -1;
    }
    sqlite3_stmt *st = ds_stmt(ds, DS_STMT_SHA256, "SELECT key FROM items WHERE sha256 = ?1 AND status = 'accepted' LIMIT 1");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, sha256_hex, -1, SQLITE_STATIC);
    return find_key(ds, st, "sha256 lookup", key_out);
}

int dataset_phash_band_each(dataset *ds, int nbands, int band, int64_t value,
                            int (*fn)(const char *key, uint64_t phash, void *ctx), void *ctx)
{
    sqlite3_stmt *st = ds_stmt(ds, DS_STMT_PHASH_FIND,
                               "SELECT i.key, i.phash FROM phash_bands b JOIN items i ON i.id = b.item_id "
                               "WHERE b.nbands = ?1 AND b.band = ?2 AND b.value = ?3 AND i.status = 'accepted'");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, nbands);
    sqlite3_bind_int(st, 2, band);
    sqlite3_bind_int64(st, 3, value);
    int r, ret = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        if ((ret = fn((const char *)sqlite3_column_text(st, 0), (uint64_t)sqlite3_column_int64(st, 1), ctx)) != 0)
            break;
    if (ret == 0 && r != SQLITE_DONE) {
        ds_dberr(ds, "perceptual-hash look-up");
        ret = -1;
    }
    sqlite3_reset(st);
    return ret;
}

cc_err dataset_add_phash_bands(dataset *ds, const char *key, int nbands, const int64_t *values)
{
    cc_err rc = ds_begin(ds);
    if (rc != CC_OK)
        return rc;
    for (int b = 0; b < nbands; b++) {
        sqlite3_stmt *st = ds_stmt(ds, DS_STMT_PHASH_ADD,
                                   "INSERT OR IGNORE INTO phash_bands(band, nbands, value, item_id) "
                                   "SELECT ?1, ?2, ?3, id FROM items WHERE key = ?4");
        if (!st)
            return CC_ERR_DB;
        sqlite3_bind_int(st, 1, b);
        sqlite3_bind_int(st, 2, nbands);
        sqlite3_bind_int64(st, 3, values[b]);
        sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
        int r = sqlite3_step(st);
        sqlite3_reset(st);
        if (r != SQLITE_DONE)
            return ds_dberr(ds, "recording perceptual-hash bands");
    }
    return CC_OK;
}
