/* pairs-parquet.c — URL + caption rows from a Parquet list (see pairs.h). */
#include "pairs-parquet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "parquet.h"
#include "text.h"

struct pairs_pq {
    pq_reader *pq;
    char *path;
    int k_url, k_cap, k_sha;  /* selected positions, -1 = none */
    int k_extra0, n_extra;    /* extras are selected at k_extra0 .. + n_extra */
    ccbuf url, cap, extra;
    char sha[65];
    char rowerr[300];
    char errmsg[600];
};

int pairs_sha256_norm(const char *s, size_t n, char out[65])
{
    if (n != 64)
        return 0;
    for (size_t i = 0; i < 64; i++) {
        int v = cc_hexval((unsigned char)s[i]);
        if (v < 0)
            return 0;
        out[i] = CC_HEX_LOWER[v];
    }
    out[64] = 0;
    return 1;
}

/* The first of names[] that the file has, -1 if none. */
static long first_column(pq_reader *pq, const char *const *names)
{
    for (; *names; names++) {
        long i = pq_column_index(pq, *names);
        if (i >= 0)
            return i;
    }
    return -1;
}

static void list_columns(pq_reader *pq, ccbuf *b)
{
    for (size_t i = 0; i < pq_ncolumns(pq) && b->len < 300; i++)
        ccbuf_printf(b, "%s%s", i ? ", " : "", pq_column_at(pq, i)->name);
}

pairs_pq *pairs_pq_open(const char *path, const pairs_options *o, char *err, size_t errlen)
{
    pq_reader *pq = pq_open(path, NULL, err, errlen);
    if (!pq)
        return NULL;
    static const char *const url_names[] = {"url", "URL", NULL};
    static const char *const cap_names[] = {"caption", "text", "TEXT", NULL};
    const char *want_url = o && o->url_col && *o->url_col ? o->url_col : NULL;
    const char *want_cap = o && o->caption_col && *o->caption_col ? o->caption_col : NULL;
    long i_url = want_url ? pq_column_index(pq, want_url) : first_column(pq, url_names);
    long i_cap = want_cap ? pq_column_index(pq, want_cap) : first_column(pq, cap_names);
    long i_sha = pq_column_index(pq, "sha256");
    const char *missing = i_url < 0 ? (want_url ? want_url : "url' or 'URL") : (want_cap && i_cap < 0) ? want_cap : NULL;
    for (int e = 0; !missing && o && e < o->n_extra; e++)
        if (pq_column_index(pq, o->extra_cols[e]) < 0)
            missing = o->extra_cols[e];
    if (missing) {
        ccbuf cols = {0};
        list_columns(pq, &cols);
        cc_seterr(err, errlen, "%s: no column '%s' (columns: %s)", path, missing,
                  cols.data ? (char *)cols.data : "");
        ccbuf_free(&cols);
        pq_close(pq);
        return NULL;
    }
    const pq_column *cu = pq_column_at(pq, (size_t)i_url);
    if (!cu->nested && cu->type != PQ_BYTE_ARRAY) {
        cc_seterr(err, errlen, "%s: url column '%s' does not hold strings", path, cu->name);
        pq_close(pq);
        return NULL;
    }
    /* selection: url, caption?, sha256?, extras... */
    pairs_pq *q = xcalloc(1, sizeof *q);
    q->pq = pq;
    q->path = xstrdup(path);
    int n_extra = o ? o->n_extra : 0;
    const char **sel = xcalloc((size_t)n_extra + 3, sizeof *sel);
    int k = 0;
    sel[k] = cu->name;
    q->k_url = k++;
    q->k_cap = q->k_sha = -1;
    if (i_cap >= 0) {
        sel[k] = pq_column_at(pq, (size_t)i_cap)->name;
        q->k_cap = k++;
    }
    if (i_sha >= 0 && !pq_column_at(pq, (size_t)i_sha)->nested &&
        pq_column_at(pq, (size_t)i_sha)->type == PQ_BYTE_ARRAY) {
        sel[k] = "sha256";
        q->k_sha = k++;
    }
    q->k_extra0 = k;
    q->n_extra = n_extra;
    for (int e = 0; e < n_extra; e++)
        sel[k++] = o->extra_cols[e];
    int rc = pq_select(pq, sel, (size_t)k, err, errlen);
    free(sel);
    if (rc != 0) {
        pairs_pq_close(q);
        return NULL;
    }
    return q;
}

/* A byte-array value as a NUL-terminated string in b; 0 if it holds a NUL. */
static int as_cstring(ccbuf *b, const pq_value *v)
{
    ccbuf_reset(b);
    ccbuf_append(b, v->bytes ? (const char *)v->bytes : "", v->len);
    return memchr(b->data, 0, v->len) == NULL;
}

int pairs_pq_next(pairs_pq *q, pairs_row *row)
{
    memset(row, 0, sizeof *row);
    int rc = pq_next(q->pq);
    if (rc <= 0) {
        if (rc < 0)
            snprintf(q->errmsg, sizeof q->errmsg, "%s", pq_errmsg(q->pq));
        return rc;
    }
    row->row_no = pq_row_no(q->pq);
    row->line_no = row->row_no + 1;
    q->rowerr[0] = 0;
    pq_value v;
    pq_get(q->pq, (size_t)q->k_url, &v);
    char *url = NULL;
    if (v.is_null)
        snprintf(q->rowerr, sizeof q->rowerr, "null url");
    else if (!as_cstring(&q->url, &v))
        snprintf(q->rowerr, sizeof q->rowerr, "url holds a NUL byte");
    else if (!*(url = cc_trim((char *)q->url.data)))
        snprintf(q->rowerr, sizeof q->rowerr, "empty url");
    if (q->k_cap >= 0) {
        pq_get(q->pq, (size_t)q->k_cap, &v);
        if (!v.is_null) {
            if (v.type == PQ_BYTE_ARRAY) {
                as_cstring(&q->cap, &v); /* a NUL inside ends the caption there */
            } else {
                ccbuf_reset(&q->cap);
                pq_value_json(&q->cap, pq_selected_column(q->pq, (size_t)q->k_cap), &v);
            }
            row->caption = q->cap.data ? (const char *)q->cap.data : "";
        }
    }
    if (q->k_sha >= 0) {
        pq_get(q->pq, (size_t)q->k_sha, &v);
        if (!v.is_null && v.len) {
            if (pairs_sha256_norm((const char *)v.bytes, v.len, q->sha))
                row->sha256 = q->sha;
            else if (!q->rowerr[0])
                snprintf(q->rowerr, sizeof q->rowerr, "sha256 is not 64 hex digits");
        }
    }
    if (q->n_extra) {
        ccbuf_reset(&q->extra);
        ccbuf_putc(&q->extra, '{');
        for (int e = 0; e < q->n_extra; e++) {
            size_t k = (size_t)(q->k_extra0 + e);
            const pq_column *c = pq_selected_column(q->pq, k);
            pq_get(q->pq, k, &v);
            if (e)
                ccbuf_putc(&q->extra, ',');
            ccbuf_json_string(&q->extra, c->name, strlen(c->name));
            ccbuf_putc(&q->extra, ':');
            pq_value_json(&q->extra, c, &v);
        }
        ccbuf_putc(&q->extra, '}');
        row->extra_json = (const char *)q->extra.data;
    }
    if (q->rowerr[0]) {
        row->error = q->rowerr;
        row->url = row->caption = NULL;
        row->sha256 = NULL;
    } else {
        row->url = url;
    }
    return 1;
}

const char *pairs_pq_errmsg(const pairs_pq *q) { return q->errmsg; }

void pairs_pq_progress(const pairs_pq *q, uint64_t *done, uint64_t *total)
{
    pq_progress(q->pq, done, total);
}

void pairs_pq_close(pairs_pq *q)
{
    if (!q)
        return;
    pq_close(q->pq);
    ccbuf_free(&q->url);
    ccbuf_free(&q->cap);
    ccbuf_free(&q->extra);
    free(q->path);
    free(q);
}
