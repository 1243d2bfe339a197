/* overview.c — figures for stats and report (see overview.h). */
#include "overview.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_emb.h"

static cc_err dberr(dataset *ds, char *err, size_t errlen, const char *what)
{
    cc_seterr(err, errlen, "%s/index.sqlite: %s: %s", dataset_dir(ds), what, sqlite3_errmsg(dataset_db(ds)));
    return CC_ERR_DB;
}

static int has_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    int yes = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        yes = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return yes;
}

static cc_err one_int(dataset *ds, const char *sql, int64_t *v, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(dataset_db(ds), sql, -1, &st, NULL) != SQLITE_OK)
        return dberr(ds, err, errlen, sql);
    int rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CC_OK : dberr(ds, err, errlen, sql);
}

static cc_err counts(dataset *ds, const char *sql, dataset_count **out, size_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(dataset_db(ds), sql, -1, &st, NULL) != SQLITE_OK)
        return dberr(ds, err, errlen, sql);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        const char *name = (const char *)sqlite3_column_text(st, 0);
        (*out)[*n] = (dataset_count){xstrdup(name ? name : ""), sqlite3_column_int64(st, 1),
                                     sqlite3_column_count(st) > 2 ? sqlite3_column_int64(st, 2) : 0};
        (*n)++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CC_OK : dberr(ds, err, errlen, sql);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static cc_err values(dataset *ds, const char *sql, int64_t bind, double **out, size_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(dataset_db(ds), sql, -1, &st, NULL) != SQLITE_OK)
        return dberr(ds, err, errlen, sql);
    if (bind)
        sqlite3_bind_int64(st, 1, bind);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = sqlite3_column_double(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return dberr(ds, err, errlen, sql);
    if (*n) /* *out is still NULL when no row came; qsort on NULL is undefined */
        qsort(*out, *n, sizeof **out, cmp_double);
    return CC_OK;
}

#define HOST_EXPR                                                                                              \
    "CASE WHEN instr(substr(url, instr(url, '://') + 3), '/') > 0"                                             \
    " THEN substr(substr(url, instr(url, '://') + 3), 1, instr(substr(url, instr(url, '://') + 3), '/') - 1)" \
    " ELSE substr(url, instr(url, '://') + 3) END"

cc_err dataset_overview_get(dataset *ds, int top_hosts, dataset_overview *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    sqlite3 *db = dataset_db(ds);
    cc_err r;
    if (has_table(db, "crawl_pages") &&
        (r = one_int(ds, "SELECT count(*) FROM crawl_pages WHERE state = 'fetched'", &o->pages, err, errlen)) != CC_OK)
        return r;
    if ((r = one_int(ds, "SELECT count(*) FROM items", &o->candidates, err, errlen)) != CC_OK ||
        (r = one_int(ds, "SELECT count(*) FROM items WHERE status = 'accepted' OR bytes > 0", &o->fetched, err,
                     errlen)) != CC_OK ||
        (r = one_int(ds, "SELECT count(*) FROM items WHERE status = 'accepted'", &o->accepted, err, errlen)) != CC_OK ||
        (r = one_int(ds, "SELECT coalesce(sum(bytes), 0) FROM items WHERE status = 'accepted'", &o->bytes_original,
                     err, errlen)) != CC_OK ||
        (r = one_int(ds, "SELECT coalesce(sum(member_bytes), 0) FROM items WHERE status = 'accepted'",
                     &o->bytes_stored, err, errlen)) != CC_OK)
        goto fail;
    const char *by = "SELECT coalesce(reason, ''), count(*) FROM items WHERE status = '%s' GROUP BY 1 ORDER BY 2 DESC, 1";
    char sql[512];
    snprintf(sql, sizeof sql, by, "rejected");
    if ((r = counts(ds, sql, &o->rejected, &o->nrejected, err, errlen)) != CC_OK)
        goto fail;
    snprintf(sql, sizeof sql, by, "failed");
    if ((r = counts(ds, sql, &o->failed, &o->nfailed, err, errlen)) != CC_OK)
        goto fail;
    snprintf(sql, sizeof sql, by, "optout");
    if ((r = counts(ds, sql, &o->optout, &o->noptout, err, errlen)) != CC_OK)
        goto fail;
    snprintf(sql, sizeof sql,
             "SELECT " HOST_EXPR ", count(*), sum(status = 'accepted') FROM items WHERE url LIKE '%%://%%'"
             " GROUP BY 1 ORDER BY 3 DESC, 2 DESC, 1 LIMIT %d",
             top_hosts > 0 ? top_hosts : 10);
    if ((r = counts(ds, sql, &o->hosts, &o->nhosts, err, errlen)) != CC_OK)
        goto fail;
    if ((r = values(ds, "SELECT length(caption) FROM items WHERE status = 'accepted' AND caption IS NOT NULL", 0,
                    &o->caplen, &o->ncaplen, err, errlen)) != CC_OK)
        goto fail;
    dataset_emb_model m;
    char e2[256];
    if (dataset_emb_model_find(ds, NULL, NULL, &m, e2, sizeof e2) == CC_OK) {
        snprintf(o->clip_model, sizeof o->clip_model, "%s", m.model_id);
        r = values(ds,
                   "SELECT s.score FROM clip_scores s JOIN items i ON i.key = s.key"
                   " WHERE s.model = ?1 AND i.status = 'accepted'",
                   m.row, &o->clip, &o->nclip, err, errlen);
        dataset_emb_model_clear(&m);
        if (r != CC_OK)
            goto fail;
    }
    return CC_OK;
fail:
    dataset_overview_free(o);
    return r;
}

static void free_counts(dataset_count *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].name);
    free(c);
}

void dataset_overview_free(dataset_overview *o)
{
    free_counts(o->rejected, o->nrejected);
    free_counts(o->failed, o->nfailed);
    free_counts(o->optout, o->noptout);
    free_counts(o->hosts, o->nhosts);
    free(o->clip);
    free(o->caplen);
    memset(o, 0, sizeof *o);
}

double dataset_quantile(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

static void counts_json(ccbuf *b, const char *name, const dataset_count *c, size_t n)
{
    ccbuf_printf(b, ",\"%s\":{", name);
    for (size_t i = 0; i < n; i++) {
        if (i)
            ccbuf_putc(b, ',');
        ccbuf_json_string(b, c[i].name, strlen(c[i].name));
        ccbuf_printf(b, ":%lld", (long long)c[i].n);
    }
    ccbuf_putc(b, '}');
}

static void dist_json(ccbuf *b, const char *name, const double *v, size_t n)
{
    static const double qs[] = {0, 0.05, 0.25, 0.5, 0.75, 0.95, 1};
    static const char *const qn[] = {"min", "p5", "p25", "p50", "p75", "p95", "max"};
    ccbuf_printf(b, ",\"%s\":{\"n\":%zu", name, n);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    if (n) {
        ccbuf_printf(b, ",\"mean\":%.6g", sum / (double)n);
        for (int i = 0; i < 7; i++)
            ccbuf_printf(b, ",\"%s\":%.6g", qn[i], dataset_quantile(v, n, qs[i]));
    }
    ccbuf_putc(b, '}');
}

void dataset_overview_json(const dataset_overview *o, ccbuf *b)
{
    ccbuf_printf(b, "\"funnel\":{\"pages\":%lld,\"candidates\":%lld,\"fetched\":%lld,\"accepted\":%lld}",
                 (long long)o->pages, (long long)o->candidates, (long long)o->fetched, (long long)o->accepted);
    counts_json(b, "rejections", o->rejected, o->nrejected);
    counts_json(b, "failures", o->failed, o->nfailed);
    dist_json(b, "clip_score", o->clip, o->nclip);
    if (o->clip_model[0]) {
        b->len--; /* reopen the object for the model id */
        ccbuf_printf(b, ",\"model\":\"%s\"}", o->clip_model);
    }
    dist_json(b, "caption_length", o->caplen, o->ncaplen);
    ccbuf_puts(b, ",\"top_hosts\":[");
    for (size_t i = 0; i < o->nhosts; i++) {
        ccbuf_puts(b, i ? ",{\"host\":" : "{\"host\":");
        ccbuf_json_string(b, o->hosts[i].name, strlen(o->hosts[i].name));
        ccbuf_printf(b, ",\"items\":%lld,\"accepted\":%lld}", (long long)o->hosts[i].n,
                     (long long)o->hosts[i].accepted);
    }
    ccbuf_putc(b, ']');
}

static cc_err examples(dataset *ds, const char *sql, int64_t model, dataset_example **out, size_t *n, char *err,
                       size_t errlen)
{
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(dataset_db(ds), sql, -1, &st, NULL) != SQLITE_OK)
        return dberr(ds, err, errlen, "examples");
    sqlite3_bind_int64(st, 1, model);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        dataset_example *e = &(*out)[(*n)++];
        const char *k = (const char *)sqlite3_column_text(st, 0);
        snprintf(e->key, sizeof e->key, "%s", k ? k : "");
        const char *t;
        e->reason = xstrdup((t = (const char *)sqlite3_column_text(st, 1)) ? t : "");
        e->url = xstrdup((t = (const char *)sqlite3_column_text(st, 2)) ? t : "");
        e->caption = xstrdup((t = (const char *)sqlite3_column_text(st, 3)) ? t : "");
        e->clip_score = sqlite3_column_type(st, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 4);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CC_OK : dberr(ds, err, errlen, "examples");
}

cc_err dataset_examples(dataset *ds, int per_reason, int accepted_n, dataset_example **rej, size_t *nrej,
                        dataset_example **acc, size_t *nacc, char *err, size_t errlen)
{
    int64_t model = 0;
    dataset_emb_model m;
    char e2[256];
    if (dataset_emb_model_find(ds, NULL, NULL, &m, e2, sizeof e2) == CC_OK) {
        model = m.row;
        dataset_emb_model_clear(&m);
    }
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT CASE WHEN shard_no IS NULL THEN '' ELSE key END, reason, url, caption, NULL FROM"
             " (SELECT *, row_number() OVER (PARTITION BY reason ORDER BY id) AS rn FROM items WHERE status = 'rejected')"
             " WHERE rn <= %d AND ?1 = ?1 ORDER BY reason, id",
             per_reason);
    cc_err r = examples(ds, sql, model, rej, nrej, err, errlen);
    if (r != CC_OK)
        return r;
    /* accepted: spread evenly over key order (every k-th) */
    int64_t total = 0;
    one_int(ds, "SELECT count(*) FROM items WHERE status = 'accepted'", &total, err, errlen);
    int64_t step = accepted_n > 0 && total > accepted_n ? total / accepted_n : 1;
    snprintf(sql, sizeof sql,
             "SELECT key, '', url, caption, score FROM"
             " (SELECT i.key, i.url, i.caption, s.score, row_number() OVER (ORDER BY i.key) - 1 AS rn"
             "  FROM items i LEFT JOIN clip_scores s ON s.key = i.key AND s.model = ?1 WHERE i.status = 'accepted')"
             " WHERE rn %% %lld = 0 LIMIT %d",
             (long long)step, accepted_n);
    r = examples(ds, sql, model, acc, nacc, err, errlen);
    if (r != CC_OK) {
        dataset_examples_free(*rej, *nrej);
        *rej = NULL;
        *nrej = 0;
    }
    return r;
}

void dataset_examples_free(dataset_example *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].reason);
        free(v[i].url);
        free(v[i].caption);
    }
    free(v);
}
