/* pqwrite.c — see pqwrite.h. Thrift compact protocol written by hand. */
#include "pqwrite.h"

#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* ---- Thrift compact protocol ------------------------------------------------ */

enum { T_I32 = 5, T_I64 = 6, T_BINARY = 8, T_LIST = 9, T_STRUCT = 12 };

static void varint(ccbuf *b, uint64_t v)
{
    while (v >= 0x80) {
        ccbuf_putc(b, (int)(v & 0x7F) | 0x80);
        v >>= 7;
    }
    ccbuf_putc(b, (int)v);
}

static void zigzag(ccbuf *b, int64_t v)
{
    varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* Field header; *last is the previous field id of this struct. */
static void field(ccbuf *b, int *last, int id, int type)
{
    if (id > *last && id - *last <= 15) {
        ccbuf_putc(b, ((id - *last) << 4) | type);
    } else {
        ccbuf_putc(b, type);
        zigzag(b, id);
    }
    *last = id;
}

static void f_int(ccbuf *b, int *last, int id, int type, int64_t v)
{
    field(b, last, id, type);
    zigzag(b, v);
}

static void f_str(ccbuf *b, int *last, int id, const char *s)
{
    field(b, last, id, T_BINARY);
    varint(b, strlen(s));
    ccbuf_puts(b, s);
}

static void list_header(ccbuf *b, size_t n, int etype)
{
    if (n < 15) {
        ccbuf_putc(b, (int)(n << 4) | etype);
    } else {
        ccbuf_putc(b, 0xF0 | etype);
        varint(b, n);
    }
}

static void stop(ccbuf *b) { ccbuf_putc(b, 0); }

/* ---- pages --------------------------------------------------------------------- */

static int phys_type(pqw_type t)
{
    switch (t) {
    case PQW_STRING: return 6;
    case PQW_INT32: return 1;
    case PQW_INT64: return 2;
    case PQW_FLOAT: return 4;
    case PQW_DOUBLE: return 5;
    default: return 7;
    }
}

static int is_null(const pqw_col *c, size_t i)
{
    if (!c->optional)
        return 0;
    if (c->isnull && c->isnull[i])
        return 1;
    return (c->type == PQW_STRING || c->type == PQW_FIXED) && c->str && !c->str[i];
}

static void u32le(ccbuf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    ccbuf_append(b, x, 4);
}

/* The raw page body of rows [r0, r0 + n) of c: levels then PLAIN values. */
static void page_body(const pqw_col *c, size_t r0, size_t n, ccbuf *out)
{
    if (c->optional) {
        /* one bit-packed run: ceil(n / 8) groups of 8 levels, bit width 1 */
        ccbuf lv = {0};
        size_t groups = (n + 7) / 8;
        varint(&lv, (groups << 1) | 1);
        for (size_t g = 0; g < groups; g++) {
            int byte = 0;
            for (size_t k = 0; k < 8 && g * 8 + k < n; k++)
                if (!is_null(c, r0 + g * 8 + k))
                    byte |= 1 << k;
            ccbuf_putc(&lv, byte);
        }
        u32le(out, (uint32_t)lv.len);
        ccbuf_append(out, lv.data, lv.len);
        ccbuf_free(&lv);
    }
    for (size_t i = r0; i < r0 + n; i++) {
        if (is_null(c, i))
            continue;
        switch (c->type) {
        case PQW_STRING: {
            size_t l = strlen(c->str[i]);
            u32le(out, (uint32_t)l);
            ccbuf_append(out, c->str[i], l);
            break;
        }
        case PQW_FIXED:
            ccbuf_append(out, c->str[i], (size_t)c->fixed_len);
            break;
        case PQW_INT32: {
            int32_t v = (int32_t)c->i64[i];
            ccbuf_append(out, &v, 4);
            break;
        }
        case PQW_INT64:
            ccbuf_append(out, &c->i64[i], 8);
            break;
        case PQW_FLOAT: {
            float v = (float)c->f64[i];
            ccbuf_append(out, &v, 4);
            break;
        }
        case PQW_DOUBLE:
            ccbuf_append(out, &c->f64[i], 8);
            break;
        }
    }
}

typedef struct {
    int64_t offset, usize, csize, nvals;
} chunk_meta;

int pqw_write(const char *path, const pqw_col *cols, int ncols, size_t nrows, size_t rows_per_group,
              int codec)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    if (rows_per_group == 0)
        rows_per_group = nrows ? nrows : 1;
    size_t ngroups = (nrows + rows_per_group - 1) / rows_per_group;
    chunk_meta *meta = xcalloc(ngroups * (size_t)ncols + 1, sizeof *meta);
    int64_t pos = 4;
    fwrite("PAR1", 1, 4, f);
    ccbuf body = {0}, comp = {0}, hdr = {0};
    for (size_t g = 0; g < ngroups; g++) {
        size_t r0 = g * rows_per_group, n = nrows - r0 < rows_per_group ? nrows - r0 : rows_per_group;
        for (int k = 0; k < ncols; k++) {
            ccbuf_reset(&body);
            page_body(&cols[k], r0, n, &body);
            const void *data = body.data;
            size_t clen = body.len;
            if (codec == 1) {
                size_t cap = snappy_max_compressed_length(body.len);
                ccbuf_reset(&comp);
                ccbuf_reserve(&comp, cap);
                clen = cap;
                snappy_compress((const char *)body.data, body.len, (char *)comp.data, &clen);
                data = comp.data;
            }
            ccbuf_reset(&hdr);
            int last = 0;
            f_int(&hdr, &last, 1, T_I32, 0); /* DATA_PAGE */
            f_int(&hdr, &last, 2, T_I32, (int64_t)body.len);
            f_int(&hdr, &last, 3, T_I32, (int64_t)clen);
            field(&hdr, &last, 5, T_STRUCT);
            int l2 = 0;
            f_int(&hdr, &l2, 1, T_I32, (int64_t)n);
            f_int(&hdr, &l2, 2, T_I32, 0); /* PLAIN */
            f_int(&hdr, &l2, 3, T_I32, 3); /* RLE levels */
            f_int(&hdr, &l2, 4, T_I32, 3);
            stop(&hdr);
            stop(&hdr);
            chunk_meta *m = &meta[g * (size_t)ncols + (size_t)k];
            m->offset = pos;
            m->usize = (int64_t)(hdr.len + body.len);
            m->csize = (int64_t)(hdr.len + clen);
            m->nvals = (int64_t)n;
            fwrite(hdr.data, 1, hdr.len, f);
            fwrite(data, 1, clen, f);
            pos += m->csize;
        }
    }
    /* footer: FileMetaData */
    ccbuf ft = {0};
    int last = 0;
    f_int(&ft, &last, 1, T_I32, 1);
    field(&ft, &last, 2, T_LIST);
    list_header(&ft, (size_t)ncols + 1, T_STRUCT);
    int l = 0;
    f_str(&ft, &l, 4, "schema");
    f_int(&ft, &l, 5, T_I32, ncols);
    stop(&ft);
    for (int k = 0; k < ncols; k++) {
        l = 0;
        f_int(&ft, &l, 1, T_I32, phys_type(cols[k].type));
        if (cols[k].type == PQW_FIXED)
            f_int(&ft, &l, 2, T_I32, cols[k].fixed_len);
        f_int(&ft, &l, 3, T_I32, cols[k].optional ? 1 : 0);
        f_str(&ft, &l, 4, cols[k].name);
        if (cols[k].type == PQW_STRING)
            f_int(&ft, &l, 6, T_I32, 0); /* UTF8 */
        stop(&ft);
    }
    f_int(&ft, &last, 3, T_I64, (int64_t)nrows);
    field(&ft, &last, 4, T_LIST);
    list_header(&ft, ngroups, T_STRUCT);
    for (size_t g = 0; g < ngroups; g++) {
        size_t n = nrows - g * rows_per_group < rows_per_group ? nrows - g * rows_per_group : rows_per_group;
        int lg = 0;
        field(&ft, &lg, 1, T_LIST);
        list_header(&ft, (size_t)ncols, T_STRUCT);
        int64_t total = 0;
        for (int k = 0; k < ncols; k++) {
            chunk_meta *m = &meta[g * (size_t)ncols + (size_t)k];
            total += m->usize;
            int lc = 0;
            f_int(&ft, &lc, 2, T_I64, m->offset);
            field(&ft, &lc, 3, T_STRUCT);
            int lm = 0;
            f_int(&ft, &lm, 1, T_I32, phys_type(cols[k].type));
            field(&ft, &lm, 2, T_LIST);
            list_header(&ft, 2, T_I32);
            zigzag(&ft, 0);
            zigzag(&ft, 3);
            field(&ft, &lm, 3, T_LIST);
            list_header(&ft, 1, T_BINARY);
            varint(&ft, strlen(cols[k].name));
            ccbuf_puts(&ft, cols[k].name);
            f_int(&ft, &lm, 4, T_I32, codec == 1 ? 1 : 0);
            f_int(&ft, &lm, 5, T_I64, m->nvals);
            f_int(&ft, &lm, 6, T_I64, m->usize);
            f_int(&ft, &lm, 7, T_I64, m->csize);
            f_int(&ft, &lm, 9, T_I64, m->offset);
            stop(&ft);
            stop(&ft);
        }
        f_int(&ft, &lg, 2, T_I64, total);
        f_int(&ft, &lg, 3, T_I64, (int64_t)n);
        stop(&ft);
    }
    f_str(&ft, &last, 6, "clipcrawl tests/pqwrite");
    stop(&ft);
    fwrite(ft.data, 1, ft.len, f);
    unsigned char tail[8] = {(unsigned char)ft.len, (unsigned char)(ft.len >> 8),
                             (unsigned char)(ft.len >> 16), (unsigned char)(ft.len >> 24), 'P', 'A', 'R', '1'};
    fwrite(tail, 1, 8, f);
    ccbuf_free(&ft);
    ccbuf_free(&body);
    ccbuf_free(&comp);
    ccbuf_free(&hdr);
    free(meta);
    return fclose(f) == 0 ? 0 : -1;
}
