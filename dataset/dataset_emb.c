/* dataset_emb.c — stored embeddings, selections and semantic search (see dataset_emb.h). */
#include "dataset_emb.h"
#include "half.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "embfile.h"
#include "embsearch.h"
#include "embstore.h"

/* The index version that has clip_scores.emb_row (005-embeddings.sql). */
#define EMB_SCHEMA_VERSION 5

static cc_err dberr(dataset *ds, char *err, size_t errlen, const char *what)
{
    cc_seterr(err, errlen, "%s/index.sqlite: %s: %s", dataset_dir(ds), what, sqlite3_errmsg(dataset_db(ds)));
    return CC_ERR_DB;
}

static int schema_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

char *dataset_emb_path(dataset *ds, const char *model_id, const char *precision)
{
    return xasprintf("%s/embeddings/%s-%s.f16", dataset_dir(ds), model_id, precision);
}

/* ---- models ------------------------------------------------------------------ */

void dataset_emb_model_clear(dataset_emb_model *m)
{
    if (m) {
        free(m->weights_path);
        memset(m, 0, sizeof *m);
    }
}

cc_err dataset_emb_model_find(dataset *ds, const char *model_id, const char *precision, dataset_emb_model *out,
                              char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sqlite3 *db = dataset_db(ds);
    if (schema_version(db) < EMB_SCHEMA_VERSION) {
        cc_seterr(err, errlen,
                  "%s: this index predates stored embeddings; run `clipcrawl score %s --model M` to update it",
                  dataset_dir(ds), dataset_dir(ds));
        return CC_ERR_NOTFOUND;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           /* counting a model's scores reads its whole index range (a million
                            * rows: tens of ms), so count only when several models compete */
                           "WITH c AS (SELECT m.id, m.model_id, m.precision, m.path, m.embed_dim, m.emb_rows,"
                           " EXISTS (SELECT 1 FROM clip_scores s WHERE s.model = m.id) AS has"
                           " FROM clip_models m"
                           " WHERE (?1 IS NULL OR m.model_id = ?1) AND (?2 IS NULL OR m.precision = ?2))"
                           " SELECT id, model_id, precision, path, embed_dim, emb_rows,"
                           " CASE WHEN (SELECT count(*) FROM c WHERE has) > 1"
                           " THEN (SELECT count(*) FROM clip_scores s WHERE s.model = c.id) ELSE has END AS n"
                           " FROM c ORDER BY n DESC, precision = 'fp32' DESC, id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return dberr(ds, err, errlen, "finding the CLIP model");
    sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, precision, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    cc_err r = CC_OK;
    if (rc == SQLITE_ROW && sqlite3_column_int64(st, 6) > 0) {
        out->row = sqlite3_column_int64(st, 0);
        snprintf(out->model_id, sizeof out->model_id, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(out->precision, sizeof out->precision, "%s", (const char *)sqlite3_column_text(st, 2));
        out->weights_path = xstrdup((const char *)sqlite3_column_text(st, 3));
        out->dim = sqlite3_column_int(st, 4);
        out->emb_rows = sqlite3_column_int64(st, 5);
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        if (model_id)
            cc_seterr(err, errlen, "%s: no embeddings stored for model %s%s%s; run `clipcrawl score %s --model M` first",
                      dataset_dir(ds), model_id, precision ? " " : "", precision ? precision : "", dataset_dir(ds));
        else
            cc_seterr(err, errlen, "%s: no embeddings stored (nothing scored yet); run `clipcrawl score %s --model M` first",
                      dataset_dir(ds), dataset_dir(ds));
        r = CC_ERR_NOTFOUND;
    } else {
        r = dberr(ds, err, errlen, "finding the CLIP model");
    }
    sqlite3_finalize(st);
    return r;
}

int dataset_clip_score(dataset *ds, const char *key, double *score, char *err, size_t errlen)
{
    dataset_emb_model m;
    char e2[256];
    if (schema_version(dataset_db(ds)) < EMB_SCHEMA_VERSION ||
        dataset_emb_model_find(ds, NULL, NULL, &m, e2, sizeof e2) != CC_OK)
        return 0;
    sqlite3_stmt *st;
    int r = -1;
    if (sqlite3_prepare_v2(dataset_db(ds), "SELECT score FROM clip_scores WHERE key = ?1 AND model = ?2", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, m.row);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *score = sqlite3_column_double(st, 0);
            r = 1;
        } else if (rc == SQLITE_DONE) {
            r = 0;
        }
        sqlite3_finalize(st);
    }
    dataset_emb_model_clear(&m);
    if (r < 0)
        dberr(ds, err, errlen, "reading the CLIP score");
    return r;
}

/* ---- writing ------------------------------------------------------------------ */

struct dataset_emb_writer {
    dataset *ds;
    int64_t model_row;
    int dim;
    embfile_writer *f;
    sqlite3_stmt *set_row, *set_count;
};

static cc_err record_row(dataset_emb_writer *w, const char *key, int64_t row, char *err, size_t errlen)
{
    sqlite3_reset(w->set_row);
    sqlite3_bind_int64(w->set_row, 1, row);
    sqlite3_bind_text(w->set_row, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(w->set_row, 3, w->model_row);
    if (sqlite3_step(w->set_row) != SQLITE_DONE)
        return dberr(w->ds, err, errlen, "recording an embedding row");
    if (sqlite3_changes(dataset_db(w->ds)) != 1) {
        cc_seterr(err, errlen, "%s: sample %s has no score under model row %lld to attach its embedding to",
                  dataset_dir(w->ds), key, (long long)w->model_row);
        return CC_ERR_USAGE;
    }
    sqlite3_reset(w->set_count);
    sqlite3_bind_int64(w->set_count, 1, row + 1);
    sqlite3_bind_int64(w->set_count, 2, w->model_row);
    if (sqlite3_step(w->set_count) != SQLITE_DONE)
        return dberr(w->ds, err, errlen, "recording the embedding count");
    return CC_OK;
}

/* Appends the embeddings of scores stored before the file existed, in
 * batches: each SELECT is finished before its rows are updated. */
static cc_err backfill(dataset_emb_writer *w, char *err, size_t errlen)
{
    sqlite3 *db = dataset_db(w->ds);
    enum { BATCH = 1024 };
    float *v = xmalloc((size_t)BATCH * (size_t)w->dim * sizeof *v);
    char (*keys)[10] = xmalloc(BATCH * sizeof *keys);
    cc_err r = CC_OK;
    for (;;) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "SELECT key, image_emb FROM clip_scores WHERE model = ?1 AND emb_row IS NULL"
                               " AND length(image_emb) = ?2 ORDER BY key LIMIT ?3",
                               -1, &st, NULL) != SQLITE_OK) {
            r = dberr(w->ds, err, errlen, "reading stored embeddings");
            break;
        }
        sqlite3_bind_int64(st, 1, w->model_row);
        sqlite3_bind_int(st, 2, w->dim * 2);
        sqlite3_bind_int(st, 3, BATCH);
        int n = 0, rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const unsigned char *b = sqlite3_column_blob(st, 1);
            for (int i = 0; i < w->dim; i++)
                v[(size_t)n * w->dim + i] = cc_f16_to_f32((uint16_t)(b[2 * i] | b[2 * i + 1] << 8));
            snprintf(keys[n], 10, "%s", (const char *)sqlite3_column_text(st, 0));
            n++;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            r = dberr(w->ds, err, errlen, "reading stored embeddings");
            break;
        }
        for (int i = 0; i < n && r == CC_OK; i++)
            r = dataset_emb_add(w, keys[i], v + (size_t)i * w->dim, err, errlen);
        if (r != CC_OK || n < BATCH)
            break;
    }
    free(v);
    free(keys);
    if (r == CC_OK && embfile_sync(w->f, err, errlen) != 0)
        r = CC_ERR_IO;
    return r;
}

dataset_emb_writer *dataset_emb_writer_open(dataset *ds, int64_t model_row, char *err, size_t errlen)
{
    sqlite3 *db = dataset_db(ds);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT model_id, precision, embed_dim, emb_rows FROM clip_models WHERE id = ?1", -1,
                           &st, NULL) != SQLITE_OK) {
        dberr(ds, err, errlen, "reading clip_models");
        return NULL;
    }
    sqlite3_bind_int64(st, 1, model_row);
    if (sqlite3_step(st) != SQLITE_ROW) {
        cc_seterr(err, errlen, "%s: no CLIP model row %lld", dataset_dir(ds), (long long)model_row);
        sqlite3_finalize(st);
        return NULL;
    }
    char *mid = xstrdup((const char *)sqlite3_column_text(st, 0));
    char *prec = xstrdup((const char *)sqlite3_column_text(st, 1));
    int dim = sqlite3_column_int(st, 2);
    int64_t valid = sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);

    char *edir = xasprintf("%s/embeddings", dataset_dir(ds));
    char *path = dataset_emb_path(ds, mid, prec);
    dataset_emb_writer *w = NULL;
    if (cc_mkdirs(edir, 0755) != CC_OK) {
        cc_seterr(err, errlen, "%s: %s", edir, strerror(errno));
        goto out;
    }
    /* A file shorter than the index says (lost in a power cut, or deleted):
     * the rows it lacks are detached and appended again from the copies in
     * clip_scores.image_emb by the backfill below. */
    struct stat sb;
    int64_t have = stat(path, &sb) != 0 ? 0
                   : sb.st_size < EMBFILE_HEADER ? 0
                                                 : (int64_t)(((uint64_t)sb.st_size - EMBFILE_HEADER) / ((uint64_t)dim * 2));
    if (have < valid) {
        char *fix = sqlite3_mprintf("UPDATE clip_scores SET emb_row = NULL WHERE model = %lld AND emb_row >= %lld;"
                                    "UPDATE clip_models SET emb_rows = %lld WHERE id = %lld;",
                                    (long long)model_row, (long long)have, (long long)have, (long long)model_row);
        int rc = sqlite3_exec(db, fix, NULL, NULL, NULL);
        sqlite3_free(fix);
        if (rc != SQLITE_OK) {
            dberr(ds, err, errlen, "detaching lost embedding rows");
            goto out;
        }
        cc_log(CC_LOG_WARN, "%s: holds %lld embedding rows, the index %lld; re-adding the missing ones", path,
               (long long)have, (long long)valid);
        valid = have;
    }
    embfile_writer *f = embfile_writer_open(path, dim, (uint64_t)valid, mid, err, errlen);
    if (!f)
        goto out;
    w = xcalloc(1, sizeof *w);
    w->ds = ds;
    w->model_row = model_row;
    w->dim = dim;
    w->f = f;
    if (sqlite3_prepare_v2(db, "UPDATE clip_scores SET emb_row = ?1 WHERE key = ?2 AND model = ?3", -1, &w->set_row,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE clip_models SET emb_rows = ?1 WHERE id = ?2", -1, &w->set_count, NULL) !=
            SQLITE_OK) {
        dberr(ds, err, errlen, "preparing embedding updates");
        dataset_emb_writer_close(w, NULL, 0);
        w = NULL;
        goto out;
    }
    if (backfill(w, err, errlen) != CC_OK) {
        dataset_emb_writer_close(w, NULL, 0);
        w = NULL;
    }
out:
    free(mid);
    free(prec);
    free(edir);
    free(path);
    return w;
}

cc_err dataset_emb_add(dataset_emb_writer *w, const char *key, const float *v, char *err, size_t errlen)
{
    int64_t row = embfile_append(w->f, v, err, errlen);
    if (row < 0)
        return CC_ERR_IO;
    return record_row(w, key, row, err, errlen);
}

cc_err dataset_emb_sync(dataset_emb_writer *w, char *err, size_t errlen)
{
    return embfile_sync(w->f, err, errlen) == 0 ? CC_OK : CC_ERR_IO;
}

cc_err dataset_emb_writer_close(dataset_emb_writer *w, char *err, size_t errlen)
{
    if (!w)
        return CC_OK;
    cc_err r = embfile_writer_close(w->f, err, errlen) == 0 ? CC_OK : CC_ERR_IO;
    sqlite3_finalize(w->set_row);
    sqlite3_finalize(w->set_count);
    free(w);
    return r;
}

/* ---- selections ----------------------------------------------------------------- */

char *dataset_fts_query(dataset *ds, const char *words)
{
    sqlite3_stmt *st;
    int ok = 0;
    if (sqlite3_prepare_v2(dataset_db(ds), "SELECT 1 FROM captions_fts WHERE captions_fts MATCH ?1 LIMIT 1", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, words, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
        sqlite3_finalize(st);
    }
    if (ok)
        return xstrdup(words);
    /* Not FTS5 syntax: every word a quoted string, so "t-shirt" or
     * "don't" or 5" is searched as written. */
    ccbuf b = {0};
    const char *p = words;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        if (b.len)
            ccbuf_putc(&b, ' ');
        ccbuf_putc(&b, '"');
        for (; *p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r'; p++) {
            if (*p == '"')
                ccbuf_putc(&b, '"');
            ccbuf_putc(&b, *p);
        }
        ccbuf_putc(&b, '"');
    }
    if (!b.len)
        ccbuf_puts(&b, "\"\"");
    return ccbuf_detach(&b, NULL);
}

cc_err dataset_selection_sql(dataset *ds, const dataset_selection *sel, ccbuf *sql, char *err, size_t errlen)
{
    const char *status = sel && sel->status ? sel->status : "accepted";
    if (strcmp(status, "all") != 0 && dataset_status_parse(status) < 0) {
        cc_seterr(err, errlen, "bad status '%s' (accepted, rejected, failed, optout or all)", status);
        return CC_ERR_USAGE;
    }
    ccbuf_puts(sql, " FROM items");
    if (sel && sel->fts)
        /* a subquery, so column names stay unambiguous */
        ccbuf_puts(sql, " JOIN (SELECT rowid AS fts_rowid, rank AS fts_rank FROM captions_fts"
                        " WHERE captions_fts MATCH ?1) AS fts ON fts.fts_rowid = items.id");
    ccbuf_puts(sql, " WHERE 1");
    if (strcmp(status, "all") != 0)
        ccbuf_printf(sql, " AND items.status = '%s'", status);
    if (sel && sel->has_min_clip_score) {
        int64_t model = sel->model_row;
        if (model <= 0) {
            dataset_emb_model m;
            if (dataset_emb_model_find(ds, NULL, NULL, &m, err, errlen) != CC_OK)
                return CC_ERR_NOTFOUND;
            model = m.row;
            dataset_emb_model_clear(&m);
        }
        ccbuf_printf(sql, " AND items.key IN (SELECT key FROM clip_scores WHERE model = %lld AND score >= %.9g)",
                     (long long)model, sel->min_clip_score);
    }
    if (sel && sel->where)
        ccbuf_printf(sql, " AND (%s)", sel->where);
    return CC_OK;
}

void dataset_selection_bind(dataset *ds, const dataset_selection *sel, sqlite3_stmt *st)
{
    if (sel && sel->fts) {
        char *q = dataset_fts_query(ds, sel->fts);
        sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
        free(q);
    }
}

/* ---- search ---------------------------------------------------------------------- */

struct dataset_emb_index {
    dataset *ds;
    int64_t model_row;
    emb_store *store;
    emb_store_info info; /* of the last search */
    sqlite3_stmt *row_of, *key_of, *key_any;
};

dataset_emb_index *dataset_emb_index_open(dataset *ds, const dataset_emb_model *m, int flags, char *err,
                                          size_t errlen)
{
    char *path = dataset_emb_path(ds, m->model_id, m->precision);
    struct stat sb;
    if (m->emb_rows == 0 || stat(path, &sb) != 0) {
        cc_seterr(err, errlen,
                  "%s: no embedding file for model %s (%s); run `clipcrawl score %s --model M` first to store them",
                  dataset_dir(ds), m->model_id, m->precision, dataset_dir(ds));
        free(path);
        return NULL;
    }
    dataset_emb_index *x = xcalloc(1, sizeof *x);
    x->ds = ds;
    x->model_row = m->row;
    x->store = emb_store_open(path, m->dim, (uint64_t)m->emb_rows, flags, err, errlen);
    free(path);
    if (!x->store) {
        free(x);
        return NULL;
    }
    sqlite3 *db = dataset_db(ds);
    if (sqlite3_prepare_v2(db, "SELECT emb_row FROM clip_scores WHERE key = ?1 AND model = ?2", -1, &x->row_of,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT s.key FROM clip_scores s JOIN items ON items.key = s.key"
                           " WHERE s.model = ?1 AND s.emb_row = ?2 AND items.status = 'accepted'",
                           -1, &x->key_of, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT key FROM clip_scores WHERE model = ?1 AND emb_row = ?2", -1, &x->key_any,
                           NULL) != SQLITE_OK) {
        dberr(ds, err, errlen, "preparing embedding look-ups");
        dataset_emb_index_close(x);
        return NULL;
    }
    return x;
}

void dataset_emb_index_close(dataset_emb_index *x)
{
    if (!x)
        return;
    emb_store_close(x->store);
    sqlite3_finalize(x->row_of);
    sqlite3_finalize(x->key_of);
    sqlite3_finalize(x->key_any);
    free(x);
}

int dataset_emb_index_dim(const dataset_emb_index *x) { return emb_store_dim(x->store); }

emb_store_info dataset_emb_index_info(const dataset_emb_index *x) { return x->info; }

cc_err dataset_emb_vector(dataset_emb_index *x, const char *key, float *out, char *err, size_t errlen)
{
    sqlite3_reset(x->row_of);
    sqlite3_bind_text(x->row_of, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(x->row_of, 2, x->model_row);
    int rc = sqlite3_step(x->row_of);
    if (rc == SQLITE_ROW && sqlite3_column_type(x->row_of, 0) == SQLITE_INTEGER) {
        int64_t r = sqlite3_column_int64(x->row_of, 0);
        if (r >= 0 && (uint64_t)r < emb_store_count(x->store))
            return emb_store_row(x->store, (uint64_t)r, out, err, errlen) == 0 ? CC_OK : CC_ERR_IO;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return dberr(x->ds, err, errlen, "looking up an embedding");
    }
    cc_seterr(err, errlen, "%s: sample %s has no stored image embedding (not scored by this model?)",
              dataset_dir(x->ds), key);
    return CC_ERR_NOTFOUND;
}

/* Unfiltered search (accepted samples): the top candidates from the file are
 * checked against the index, widening until k check out or every row was
 * seen. Rows of samples no longer accepted (refilter) drop out here. */
static cc_err search_accepted(dataset_emb_index *x, const float *q, size_t k, int threads, dataset_hit *out,
                              size_t *n, char *err, size_t errlen)
{
    size_t want = k + 16;
    const uint64_t count = emb_store_count(x->store);
    *n = 0;
    for (;;) {
        if (want > count)
            want = (size_t)count;
        emb_hit *h = xmalloc((want ? want : 1) * sizeof *h);
        size_t got = 0;
        if (emb_store_search(x->store, q, NULL, want, threads, h, &got, &x->info, err, errlen) != 0) {
            free(h);
            return CC_ERR_IO;
        }
        size_t m = 0;
        for (size_t i = 0; i < got && m < k; i++) {
            sqlite3_reset(x->key_of);
            sqlite3_bind_int64(x->key_of, 1, x->model_row);
            sqlite3_bind_int64(x->key_of, 2, (int64_t)h[i].row);
            int rc = sqlite3_step(x->key_of);
            if (rc == SQLITE_ROW) {
                snprintf(out[m].key, sizeof out[m].key, "%s", (const char *)sqlite3_column_text(x->key_of, 0));
                out[m++].score = h[i].score;
            } else if (rc != SQLITE_DONE) {
                free(h);
                return dberr(x->ds, err, errlen, "mapping embedding rows to keys");
            }
        }
        free(h);
        if (m == k || want >= count) {
            *n = m;
            return CC_OK;
        }
        want *= 4;
    }
}

cc_err dataset_emb_search(dataset_emb_index *x, const float *q, size_t k, const dataset_selection *sel, int threads,
                          dataset_hit **hits, size_t *n, char *err, size_t errlen)
{
    *hits = NULL;
    *n = 0;
    if (threads <= 0)
        threads = 2;
    dataset_hit *out = xcalloc(k ? k : 1, sizeof *out);
    const char *status = sel && sel->status ? sel->status : "accepted";
    int plain = !sel || (!sel->where && !sel->fts && !sel->has_min_clip_score && strcmp(status, "accepted") == 0);
    if (plain) {
        cc_err r = search_accepted(x, q, k, threads, out, n, err, errlen);
        if (r != CC_OK) {
            free(out);
            return r;
        }
        *hits = out;
        return CC_OK;
    }
    /* Filtered: the selection's rows as a bitmap, then one pass over them. */
    ccbuf sql = {0};
    ccbuf_printf(&sql, "SELECT s.emb_row, s.key");
    cc_err r = dataset_selection_sql(x->ds, sel, &sql, err, errlen);
    if (r != CC_OK) {
        ccbuf_free(&sql);
        free(out);
        return r;
    }
    /* the selection's FROM is items (+fts); join the scores onto it */
    ccbuf full = {0};
    const char *s = (const char *)sql.data;
    const char *from = strstr(s, " FROM items");
    ccbuf_append(&full, s, (size_t)(from - s));
    ccbuf_puts(&full, " FROM clip_scores s JOIN items ON items.key = s.key");
    ccbuf_puts(&full, from + strlen(" FROM items"));
    ccbuf_printf(&full, " AND s.model = %lld AND s.emb_row IS NOT NULL", (long long)x->model_row);
    ccbuf_free(&sql);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(dataset_db(x->ds), (const char *)full.data, -1, &st, NULL) != SQLITE_OK) {
        r = dberr(x->ds, err, errlen, "selection");
        ccbuf_free(&full);
        free(out);
        return r;
    }
    ccbuf_free(&full);
    dataset_selection_bind(x->ds, sel, st);
    uint64_t nrows = emb_store_count(x->store);
    uint8_t *allow = xcalloc((size_t)(nrows / 8 + 1), 1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t row = sqlite3_column_int64(st, 0);
        if (row >= 0 && (uint64_t)row < nrows)
            allow[row >> 3] |= (uint8_t)(1u << (row & 7));
    }
    if (rc != SQLITE_DONE) {
        r = dberr(x->ds, err, errlen, "selection");
    } else {
        emb_hit *h = xmalloc((k ? k : 1) * sizeof *h);
        size_t got = 0;
        if (emb_store_search(x->store, q, allow, k, threads, h, &got, &x->info, err, errlen) != 0)
            r = CC_ERR_IO;
        for (size_t i = 0; i < got && r == CC_OK; i++) {
            sqlite3_reset(x->key_any);
            sqlite3_bind_int64(x->key_any, 1, x->model_row);
            sqlite3_bind_int64(x->key_any, 2, (int64_t)h[i].row);
            if (sqlite3_step(x->key_any) != SQLITE_ROW)
                r = dberr(x->ds, err, errlen, "mapping embedding rows to keys");
            else
                snprintf(out[i].key, sizeof out[i].key, "%s", (const char *)sqlite3_column_text(x->key_any, 0));
            out[i].score = h[i].score;
        }
        *n = got;
        free(h);
    }
    sqlite3_finalize(st);
    free(allow);
    if (r != CC_OK) {
        free(out);
        return r;
    }
    *hits = out;
    return CC_OK;
}

sqlite3_stmt *dataset_hits_stmt(dataset *ds, const char *columns, const dataset_hit *hits, size_t n, char *err,
                                size_t errlen)
{
    ccbuf q = {0};
    /* keys are 9 digits from our own index, scores numbers: safe to inline */
    ccbuf_puts(&q, "WITH hits(hit_key, similarity, hit_rank) AS (");
    if (n == 0)
        ccbuf_puts(&q, "SELECT NULL, NULL, NULL WHERE 0");
    else
        ccbuf_puts(&q, "VALUES ");
    for (size_t i = 0; i < n; i++)
        ccbuf_printf(&q, "%s('%s', %.9g, %zu)", i ? "," : "", hits[i].key, (double)hits[i].score, i);
    ccbuf_printf(&q, ") SELECT %s, hits.similarity AS similarity FROM hits JOIN items ON items.key = hits.hit_key"
                     " ORDER BY hits.hit_rank",
                 columns);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(dataset_db(ds), (const char *)q.data, -1, &st, NULL) != SQLITE_OK) {
        dberr(ds, err, errlen, "query");
        st = NULL;
    }
    ccbuf_free(&q);
    return st;
}
