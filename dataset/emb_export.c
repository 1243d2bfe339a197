/* emb_export.c — embeddings out in clip-retrieval's layout (see dataset_emb.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset_emb.h"
#include "embfile.h"

/* NumPy format 1.0 header: magic, version, little-endian u16 header length,
 * then a Python dict literal padded with spaces and '\n' so the data starts
 * at a multiple of 64 bytes. */
static void npy_header(ccbuf *b, int64_t n, int dim)
{
    char dict[160];
    int len = snprintf(dict, sizeof dict, "{'descr': '<f2', 'fortran_order': False, 'shape': (%lld, %d), }",
                       (long long)n, dim);
    size_t total = 10 + (size_t)len + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)len + pad + 1;
    ccbuf_append(b, "\x93NUMPY\x01\x00", 8);
    ccbuf_putc(b, (char)(hlen & 0xff));
    ccbuf_putc(b, (char)(hlen >> 8));
    ccbuf_append(b, dict, (size_t)len);
    for (size_t i = 0; i < pad; i++)
        ccbuf_putc(b, ' ');
    ccbuf_putc(b, '\n');
}

static cc_err io_err(char *err, size_t errlen, const char *path)
{
    cc_seterr(err, errlen, "%s: %s", path, strerror(errno));
    return CC_ERR_IO;
}

cc_err dataset_emb_export(dataset *ds, const dataset_emb_model *m, const dataset_selection *sel, const char *out,
                          int64_t *rows, char *err, size_t errlen)
{
    *rows = 0;
    char *path = dataset_emb_path(ds, m->model_id, m->precision);
    embfile_map map;
    if (m->emb_rows == 0 || embfile_map_open(&map, path, m->dim, (uint64_t)m->emb_rows, err, errlen) != 0) {
        if (m->emb_rows == 0)
            cc_seterr(err, errlen, "%s: no embeddings stored for model %s; run `clipcrawl score %s --model M` first",
                      dataset_dir(ds), m->model_id, dataset_dir(ds));
        free(path);
        return CC_ERR_NOTFOUND;
    }
    free(path);
    ccbuf q = {0};
    ccbuf_puts(&q, "SELECT s.emb_row, items.key, items.url, items.caption, s.score");
    cc_err r = dataset_selection_sql(ds, sel, &q, err, errlen);
    sqlite3_stmt *st = NULL;
    char *npy_dir = xasprintf("%s/img_emb", out), *meta_dir = xasprintf("%s/metadata", out);
    char *npy = xasprintf("%s/img_emb_0.npy", npy_dir), *meta = xasprintf("%s/metadata_0.jsonl", meta_dir);
    char *npy_tmp = xasprintf("%s.tmp", npy), *meta_tmp = xasprintf("%s.tmp", meta);
    FILE *fn = NULL, *fm = NULL;
    if (r != CC_OK)
        goto out;
    {
        /* join the scores of this model onto the selection's FROM items */
        const char *s = (const char *)q.data, *from = strstr(s, " FROM items");
        ccbuf full = {0};
        ccbuf_append(&full, s, (size_t)(from - s));
        ccbuf_puts(&full, " FROM clip_scores s JOIN items ON items.key = s.key");
        ccbuf_puts(&full, from + strlen(" FROM items"));
        ccbuf_printf(&full, " AND s.model = %lld AND s.emb_row IS NOT NULL AND s.emb_row < %lld ORDER BY items.key",
                     (long long)m->row, (long long)m->emb_rows);
        if (sqlite3_prepare_v2(dataset_db(ds), (const char *)full.data, -1, &st, NULL) != SQLITE_OK) {
            cc_seterr(err, errlen, "%s/index.sqlite: selection: %s", dataset_dir(ds), sqlite3_errmsg(dataset_db(ds)));
            ccbuf_free(&full);
            r = CC_ERR_DB;
            goto out;
        }
        ccbuf_free(&full);
    }
    dataset_selection_bind(ds, sel, st);
    if (cc_mkdirs(npy_dir, 0755) != CC_OK) {
        r = io_err(err, errlen, npy_dir);
        goto out;
    }
    if (cc_mkdirs(meta_dir, 0755) != CC_OK) {
        r = io_err(err, errlen, meta_dir);
        goto out;
    }
    if (!(fn = fopen(npy_tmp, "wb"))) {
        r = io_err(err, errlen, npy_tmp);
        goto out;
    }
    if (!(fm = fopen(meta_tmp, "wb"))) {
        r = io_err(err, errlen, meta_tmp);
        goto out;
    }
    /* The header holds N, known only at the end: write a placeholder of the
     * same length (N printed wide enough for any count), then rewrite it. */
    ccbuf h = {0};
    npy_header(&h, 999999999999LL, m->dim);
    size_t hlen = h.len;
    if (fwrite(h.data, 1, h.len, fn) != h.len) {
        ccbuf_free(&h);
        r = io_err(err, errlen, npy_tmp);
        goto out;
    }
    ccbuf line = {0};
    const size_t rowbytes = (size_t)m->dim * 2;
    int rc;
    int64_t n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t row = sqlite3_column_int64(st, 0);
        const uint16_t *src = map.rows + (uint64_t)row * (uint64_t)m->dim;
        if (fwrite(src, 1, rowbytes, fn) != rowbytes) {
            r = io_err(err, errlen, npy_tmp);
            break;
        }
        ccbuf_reset(&line);
        ccbuf_puts(&line, "{\"key\":");
        const char *k = (const char *)sqlite3_column_text(st, 1);
        ccbuf_json_string(&line, k, strlen(k));
        for (int c = 2; c <= 3; c++) {
            ccbuf_puts(&line, c == 2 ? ",\"url\":" : ",\"caption\":");
            const char *t = (const char *)sqlite3_column_text(st, c);
            if (t)
                ccbuf_json_string(&line, t, (size_t)sqlite3_column_bytes(st, c));
            else
                ccbuf_puts(&line, "null");
        }
        ccbuf_printf(&line, ",\"clip_score\":%.6f}\n", sqlite3_column_double(st, 4));
        if (fwrite(line.data, 1, line.len, fm) != line.len) {
            r = io_err(err, errlen, meta_tmp);
            break;
        }
        n++;
    }
    ccbuf_free(&line);
    if (r == CC_OK && rc != SQLITE_DONE) {
        cc_seterr(err, errlen, "%s/index.sqlite: %s", dataset_dir(ds), sqlite3_errmsg(dataset_db(ds)));
        r = CC_ERR_DB;
    }
    if (r == CC_OK) {
        /* the real header, padded to the placeholder's length */
        ccbuf_reset(&h);
        npy_header(&h, n, m->dim);
        while (h.len < hlen) { /* shorter N: widen the padding before '\n' */
            h.data[h.len - 1] = ' ';
            ccbuf_putc(&h, '\n');
        }
        unsigned short hl = (unsigned short)(hlen - 10);
        h.data[8] = (char)(hl & 0xff);
        h.data[9] = (char)(hl >> 8);
        if (fseek(fn, 0, SEEK_SET) != 0 || fwrite(h.data, 1, h.len, fn) != h.len)
            r = io_err(err, errlen, npy_tmp);
    }
    ccbuf_free(&h);
    if (r == CC_OK && (fflush(fn) != 0 || fsync(fileno(fn)) != 0))
        r = io_err(err, errlen, npy_tmp);
    if (r == CC_OK && (fflush(fm) != 0 || fsync(fileno(fm)) != 0))
        r = io_err(err, errlen, meta_tmp);
    if (r == CC_OK && rename(npy_tmp, npy) != 0)
        r = io_err(err, errlen, npy);
    if (r == CC_OK && rename(meta_tmp, meta) != 0)
        r = io_err(err, errlen, meta);
    if (r == CC_OK)
        *rows = n;
out:
    if (fn)
        fclose(fn);
    if (fm)
        fclose(fm);
    if (r != CC_OK) {
        unlink(npy_tmp);
        unlink(meta_tmp);
    }
    sqlite3_finalize(st);
    embfile_map_close(&map);
    ccbuf_free(&q);
    free(npy_dir), free(meta_dir), free(npy), free(meta), free(npy_tmp), free(meta_tmp);
    return r;
}
