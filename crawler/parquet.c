/* parquet.c — streaming reader of flat Parquet files (see parquet.h).
 *
 * Layout of this file: Thrift compact protocol decoding; the footer
 * (FileMetaData → schema, row groups, column chunks); value stores; the
 * decoders (RLE/bit-packed hybrid, PLAIN, dictionary, DELTA_*,
 * BYTE_STREAM_SPLIT); codecs; page loop per column chunk; row iteration;
 * JSON output of values. */
#include "parquet.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4.h>
#include <zlib.h>
#include <zstd.h>

#define PQ_DEFAULT_MAX_ROWS ((uint64_t)1 << 26)
#define PQ_DEFAULT_MAX_PAGE ((uint64_t)1 << 30)
#define TC_MAX_DEPTH 64      /* nesting of Thrift structs we accept */
#define SCHEMA_MAX_DEPTH 100 /* nesting of schema groups we walk */

/* ======================================================================
 * Thrift compact protocol
 * ====================================================================== */

enum {
    TC_STOP = 0, TC_TRUE = 1, TC_FALSE = 2, TC_BYTE = 3, TC_I16 = 4, TC_I32 = 5,
    TC_I64 = 6, TC_DOUBLE = 7, TC_BINARY = 8, TC_LIST = 9, TC_SET = 10, TC_MAP = 11,
    TC_STRUCT = 12,
};

typedef struct {
    const uint8_t *p, *end;
    int bad;     /* set on any decoding error; every reader then returns 0s */
    int depth;
} tc;

static uint64_t tc_varint(tc *t)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (t->p >= t->end) {
            t->bad = 1;
            return 0;
        }
        uint8_t b = *t->p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return v;
    }
    t->bad = 1;
    return 0;
}

static int64_t tc_zigzag(tc *t)
{
    uint64_t v = tc_varint(t);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static int tc_byte(tc *t)
{
    if (t->p >= t->end) {
        t->bad = 1;
        return 0;
    }
    return *t->p++;
}

/* A binary/string: pointer into the buffer, length checked. */
static const uint8_t *tc_binary(tc *t, size_t *len)
{
    uint64_t n = tc_varint(t);
    if (t->bad || n > (uint64_t)(t->end - t->p)) {
        t->bad = 1;
        *len = 0;
        return NULL;
    }
    const uint8_t *s = t->p;
    t->p += n;
    *len = (size_t)n;
    return s;
}

/* List/set header: element type and count; the count is bounded by the bytes
 * left (every element takes at least one byte, except BOOLEANs... which also
 * take one byte in a list). */
static uint64_t tc_list(tc *t, int *etype)
{
    int b = tc_byte(t);
    uint64_t n = (uint64_t)(b >> 4) & 0x0F;
    *etype = b & 0x0F;
    if (n == 15)
        n = tc_varint(t);
    if (t->bad || n > (uint64_t)(t->end - t->p)) {
        t->bad = 1;
        return 0;
    }
    return n;
}

static void tc_skip(tc *t, int type);

/* Next field of a struct: 1 with the id and type, 0 at the struct's stop byte. */
static int tc_field(tc *t, int16_t *last, int16_t *id, int *type)
{
    int b = tc_byte(t);
    if (t->bad || b == TC_STOP)
        return 0;
    int delta = (b >> 4) & 0x0F;
    *type = b & 0x0F;
    if (delta)
        *id = (int16_t)(*last + delta);
    else
        *id = (int16_t)tc_zigzag(t);
    *last = *id;
    return !t->bad;
}

/* One level deeper into a struct, list or map: 1, or 0 with t marked bad
 * past TC_MAX_DEPTH (hostile nesting). The caller decrements on the way out. */
static int tc_enter(tc *t)
{
    if (++t->depth > TC_MAX_DEPTH) {
        t->bad = 1;
        return 0;
    }
    return 1;
}

static void tc_skip_struct(tc *t)
{
    if (!tc_enter(t))
        return;
    int16_t last = 0, id;
    int type;
    while (!t->bad && tc_field(t, &last, &id, &type))
        tc_skip(t, type);
    t->depth--;
}

static void tc_skip(tc *t, int type)
{
    size_t len;
    int et, kt, vt;
    switch (type) {
    case TC_TRUE:
    case TC_FALSE:
        break; /* a struct field's bool lives in the type nibble */
    case TC_BYTE:
        tc_byte(t);
        break;
    case TC_I16:
    case TC_I32:
    case TC_I64:
        tc_varint(t);
        break;
    case TC_DOUBLE:
        if (t->end - t->p < 8)
            t->bad = 1;
        else
            t->p += 8;
        break;
    case TC_BINARY:
        tc_binary(t, &len);
        break;
    case TC_LIST:
    case TC_SET: {
        uint64_t n = tc_list(t, &et);
        if (!tc_enter(t))
            return;
        for (uint64_t i = 0; i < n && !t->bad; i++) {
            if (et == TC_TRUE || et == TC_FALSE)
                tc_byte(t); /* a list's bools take a byte each */
            else
                tc_skip(t, et);
        }
        t->depth--;
        break;
    }
    case TC_MAP: {
        uint64_t n = tc_varint(t);
        if (t->bad || n > (uint64_t)(t->end - t->p)) {
            t->bad = 1;
            return;
        }
        if (n == 0)
            break;
        int kv = tc_byte(t);
        kt = (kv >> 4) & 0x0F;
        vt = kv & 0x0F;
        if (!tc_enter(t))
            return;
        for (uint64_t i = 0; i < n && !t->bad; i++) {
            if (kt == TC_TRUE || kt == TC_FALSE)
                tc_byte(t);
            else
                tc_skip(t, kt);
            if (vt == TC_TRUE || vt == TC_FALSE)
                tc_byte(t);
            else
                tc_skip(t, vt);
        }
        t->depth--;
        break;
    }
    case TC_STRUCT:
        tc_skip_struct(t);
        break;
    default:
        t->bad = 1;
    }
}

/* Field readers that check the wire type first: a field whose type does not
 * match what the format defines is skipped (dict-page-offset-zero carries a
 * writer-private list where the format has an i32). Return 1 when read. */
static int tc_want_int(tc *t, int type, int64_t *out)
{
    if (type == TC_BYTE) {
        *out = (int8_t)tc_byte(t);
        return !t->bad;
    }
    if (type == TC_I16 || type == TC_I32 || type == TC_I64) {
        *out = tc_zigzag(t);
        return !t->bad;
    }
    tc_skip(t, type);
    return 0;
}

static int tc_want_bool(tc *t, int type, int *out)
{
    if (type == TC_TRUE || type == TC_FALSE) {
        *out = type == TC_TRUE;
        return 1;
    }
    tc_skip(t, type);
    return 0;
}

/* ======================================================================
 * Footer structures
 * ====================================================================== */

enum { REP_REQUIRED = 0, REP_OPTIONAL = 1, REP_REPEATED = 2 };
enum { CODEC_UNCOMPRESSED = 0, CODEC_SNAPPY = 1, CODEC_GZIP = 2, CODEC_LZO = 3, CODEC_BROTLI = 4,
       CODEC_LZ4 = 5, CODEC_ZSTD = 6, CODEC_LZ4_RAW = 7 };
enum { PAGE_DATA = 0, PAGE_INDEX = 1, PAGE_DICT = 2, PAGE_DATA_V2 = 3 };
enum { ENC_PLAIN = 0, ENC_PLAIN_DICT = 2, ENC_RLE = 3, ENC_BIT_PACKED = 4, ENC_DELTA_BP = 5,
       ENC_DELTA_LBA = 6, ENC_DELTA_BA = 7, ENC_RLE_DICT = 8, ENC_BSS = 9 };

typedef struct {
    int has_type;
    int type, type_length, repetition, num_children, converted;
    int has_converted;
    int logical;          /* LogicalType union field id, 0 when absent */
    int logical_unsigned; /* INTEGER(isSigned = false) */
    char *name;
} schema_el;

typedef struct {
    int meta;             /* ColumnMetaData present */
    int external;         /* file_path set: data lives in another file */
    int type, codec;
    int64_t num_values, total_compressed;
    int64_t data_page_offset, dict_page_offset;
    int has_dict_offset;
} chunk_info;

typedef struct {
    int64_t num_rows;
    chunk_info *chunks; /* nleaves of them */
    size_t nchunks;
} rg_info;

/* A top-level column and the leaves (column chunks) below it. */
typedef struct {
    pq_column pub;
    size_t first_leaf, nleaves;
    int max_def, max_rep;
} col_info;

/* ======================================================================
 * Value store: fixed-width values packed, byte arrays as offsets + data
 * ====================================================================== */

typedef struct {
    size_t width;       /* bytes per fixed-width value; 0 = BYTE_ARRAY */
    size_t n;           /* values held */
    uint8_t *fixed;     /* n * width bytes */
    size_t fixed_cap;
    uint64_t *off;      /* BYTE_ARRAY: n + 1 offsets into data */
    size_t off_cap;
    uint8_t *data;
    size_t data_len, data_cap;
} vstore;

static void vs_clear(vstore *s)
{
    s->n = 0;
    s->data_len = 0;
    if (s->off)
        s->off[0] = 0;
}

static void vs_free(vstore *s)
{
    free(s->fixed);
    free(s->off);
    free(s->data);
    memset(s, 0, sizeof *s);
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need == 0)
        need = 1; /* never hand back NULL: callers do pointer arithmetic on it */
    if (need <= *cap && p)
        return p;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    *cap = c;
    return xrealloc(p, c * elem);
}

/* Room for k more fixed values; returns where they go. */
static uint8_t *vs_fixed_room(vstore *s, size_t k)
{
    s->fixed = grow(s->fixed, &s->fixed_cap, (s->n + k) * s->width, 1);
    return s->fixed + s->n * s->width;
}

static void vs_bytes_reserve(vstore *s, size_t k, size_t bytes)
{
    s->off = grow(s->off, &s->off_cap, s->n + k + 1, sizeof *s->off);
    if (s->n == 0)
        s->off[0] = 0;
    s->data = grow(s->data, &s->data_cap, s->data_len + bytes + 1, 1);
}

static void vs_push_bytes(vstore *s, const uint8_t *p, size_t len)
{
    vs_bytes_reserve(s, 1, len);
    if (len)
        memcpy(s->data + s->data_len, p, len);
    s->data_len += len;
    s->off[++s->n] = s->data_len;
}

/* Copies value i of src (same layout) to the end of dst. */
static void vs_push_from(vstore *dst, const vstore *src, size_t i)
{
    if (dst->width) {
        memcpy(vs_fixed_room(dst, 1), src->fixed + i * src->width, dst->width);
        dst->n++;
    } else {
        vs_push_bytes(dst, src->data + src->off[i], (size_t)(src->off[i + 1] - src->off[i]));
    }
}

/* ======================================================================
 * Reader
 * ====================================================================== */

typedef struct {
    size_t col;          /* index into r->cols */
    vstore vals;         /* non-null values of the current row group */
    vstore dict;         /* dictionary of the chunk being decoded */
    int has_dict;
    uint8_t *present;    /* per row: 1 = has a value */
    size_t present_cap;
    size_t cursor;       /* next value index while iterating rows */
    long cur;            /* value index of the current row, -1 = null */
} sel_col;

struct pq_reader {
    int fd;
    char *path;
    uint64_t fsize;
    uint64_t data_end;   /* first byte of the footer: pages live before it */
    pq_options opt;
    char *created_by;
    int64_t num_rows;

    schema_el *schema;
    size_t nschema;
    col_info *cols;
    size_t ncols;
    size_t nleaves;
    int *leaf_type, *leaf_type_length;

    rg_info *rgs;
    size_t nrgs;

    sel_col *sel;
    size_t nsel;
    int started;

    size_t next_rg;      /* row group to load next */
    uint64_t rg_rows, rg_pos;
    uint64_t row_no;     /* of the current row */
    uint64_t rows_before; /* rows in row groups before the loaded one */
    uint64_t bytes_read;
    int state;           /* 0 running, 1 done, -1 failed */

    /* scratch reused across pages */
    uint8_t *chunk;
    size_t chunk_cap;
    uint8_t *page;
    size_t page_cap;
    uint32_t *levels;
    size_t levels_cap;
    uint32_t *idx;
    size_t idx_cap;
    int64_t *ints;
    size_t ints_cap;
    int64_t *ints2;
    size_t ints2_cap;
    uint8_t *tmp;
    size_t tmp_cap;

    char err[512];
};

static void set_err(pq_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(pq_reader *r, const char *fmt, ...)
{
    if (r->err[0])
        return; /* keep the first, most specific message */
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->err, sizeof r->err, "%s: %s", r->path, msg);
}

/* ---- footer parsing ---------------------------------------------------- */

static void parse_logical(tc *t, schema_el *e)
{
    if (!tc_enter(t))
        return;
    int16_t last = 0, id;
    int type;
    while (tc_field(t, &last, &id, &type)) {
        if (type != TC_STRUCT) {
            tc_skip(t, type);
            continue;
        }
        e->logical = id;
        if (id == 10) { /* INTEGER: IntType { 1: i8 bitWidth, 2: bool isSigned } */
            if (!tc_enter(t))
                return;
            int16_t l2 = 0, id2;
            int ty2;
            while (tc_field(t, &l2, &id2, &ty2)) {
                int b;
                if (id2 == 2 && tc_want_bool(t, ty2, &b))
                    e->logical_unsigned = !b;
                else if (id2 != 2)
                    tc_skip(t, ty2);
            }
            t->depth--;
        } else {
            tc_skip_struct(t);
        }
    }
    t->depth--;
}

static void parse_schema_el(tc *t, schema_el *e)
{
    if (!tc_enter(t))
        return;
    int16_t last = 0, id;
    int type;
    int64_t v;
    size_t len;
    while (tc_field(t, &last, &id, &type)) {
        switch (id) {
        case 1:
            if (tc_want_int(t, type, &v))
                e->type = (int)v, e->has_type = 1;
            break;
        case 2:
            if (tc_want_int(t, type, &v))
                e->type_length = (int)v;
            break;
        case 3:
            if (tc_want_int(t, type, &v))
                e->repetition = (int)v;
            break;
        case 4:
            if (type == TC_BINARY) {
                const uint8_t *s = tc_binary(t, &len);
                if (s && !e->name)
                    e->name = xstrndup((const char *)s, len);
            } else {
                tc_skip(t, type);
            }
            break;
        case 5:
            if (tc_want_int(t, type, &v))
                e->num_children = v < 0 || v > INT32_MAX ? -1 : (int)v;
            break;
        case 6:
            if (tc_want_int(t, type, &v))
                e->converted = (int)v, e->has_converted = 1;
            break;
        case 10:
            if (type == TC_STRUCT)
                parse_logical(t, e);
            else
                tc_skip(t, type);
            break;
        default:
            tc_skip(t, type);
        }
    }
    t->depth--;
    if (!e->name)
        e->name = xstrdup("");
}

static void parse_col_meta(tc *t, chunk_info *c)
{
    if (!tc_enter(t))
        return;
    int16_t last = 0, id;
    int type;
    int64_t v;
    c->meta = 1;
    c->type = -1;
    c->codec = -1;
    c->data_page_offset = -1;
    while (tc_field(t, &last, &id, &type)) {
        switch (id) {
        case 1:
            if (tc_want_int(t, type, &v))
                c->type = (int)v;
            break;
        case 4:
            if (tc_want_int(t, type, &v))
                c->codec = (int)v;
            break;
        case 5:
            if (tc_want_int(t, type, &v))
                c->num_values = v;
            break;
        case 7:
            if (tc_want_int(t, type, &v))
                c->total_compressed = v;
            break;
        case 9:
            if (tc_want_int(t, type, &v))
                c->data_page_offset = v;
            break;
        case 11:
            if (tc_want_int(t, type, &v))
                c->dict_page_offset = v, c->has_dict_offset = 1;
            break;
        default:
            tc_skip(t, type);
        }
    }
    t->depth--;
}

static void parse_chunk(tc *t, chunk_info *c)
{
    if (!tc_enter(t))
        return;
    int16_t last = 0, id;
    int type;
    while (tc_field(t, &last, &id, &type)) {
        if (id == 1 && type == TC_BINARY) {
            size_t len;
            tc_binary(t, &len);
            c->external = 1;
        } else if (id == 3 && type == TC_STRUCT) {
            parse_col_meta(t, c);
        } else {
            tc_skip(t, type);
        }
    }
    t->depth--;
}

static void parse_row_group(tc *t, rg_info *g)
{
    if (!tc_enter(t))
        return;
    int16_t last = 0, id;
    int type, et;
    int64_t v;
    g->num_rows = -1;
    while (tc_field(t, &last, &id, &type)) {
        if (id == 1 && type == TC_LIST && !g->chunks) {
            uint64_t n = tc_list(t, &et);
            if (et != TC_STRUCT && n) {
                t->bad = 1;
                break;
            }
            g->chunks = xcalloc(n ? n : 1, sizeof *g->chunks);
            g->nchunks = n;
            for (uint64_t i = 0; i < n && !t->bad; i++)
                parse_chunk(t, &g->chunks[i]);
        } else if (id == 3) {
            if (tc_want_int(t, type, &v))
                g->num_rows = v;
        } else {
            tc_skip(t, type);
        }
    }
    t->depth--;
}

static int parse_footer(pq_reader *r, const uint8_t *p, size_t n)
{
    tc t = {.p = p, .end = p + n};
    int16_t last = 0, id;
    int type, et;
    int64_t v;
    int have_schema = 0, have_rows = 0, have_rgs = 0;
    while (tc_field(&t, &last, &id, &type)) {
        if (id == 2 && type == TC_LIST && !have_schema) {
            uint64_t k = tc_list(&t, &et);
            if (et != TC_STRUCT && k) {
                t.bad = 1;
                break;
            }
            r->schema = xcalloc(k ? k : 1, sizeof *r->schema);
            r->nschema = k;
            for (uint64_t i = 0; i < k && !t.bad; i++)
                parse_schema_el(&t, &r->schema[i]);
            have_schema = 1;
        } else if (id == 3) {
            if (tc_want_int(&t, type, &v))
                r->num_rows = v, have_rows = 1;
        } else if (id == 4 && type == TC_LIST && !have_rgs) {
            uint64_t k = tc_list(&t, &et);
            if (et != TC_STRUCT && k) {
                t.bad = 1;
                break;
            }
            r->rgs = xcalloc(k ? k : 1, sizeof *r->rgs);
            r->nrgs = k;
            for (uint64_t i = 0; i < k && !t.bad; i++)
                parse_row_group(&t, &r->rgs[i]);
            have_rgs = 1;
        } else if (id == 6 && type == TC_BINARY) {
            size_t len;
            const uint8_t *s = tc_binary(&t, &len);
            if (s && !r->created_by)
                r->created_by = xstrndup((const char *)s, len);
        } else if (id == 7 && type == TC_STRUCT) {
            /* FileMetaData 7 = encryption_algorithm (plaintext footer mode) */
            set_err(r, "encrypted Parquet files are not supported");
            return -1;
        } else {
            tc_skip(&t, type);
        }
    }
    if (t.bad) {
        set_err(r, "footer does not decode (Thrift compact protocol)");
        return -1;
    }
    if (!have_schema || r->nschema == 0) {
        set_err(r, "footer has no schema");
        return -1;
    }
    if (!have_rows || r->num_rows < 0) {
        set_err(r, "footer has no valid num_rows");
        return -1;
    }
    if (!r->created_by)
        r->created_by = xstrdup("");
    return 0;
}

/* ---- schema tree → top-level columns and leaves ----------------------- */

/* Walks the subtree at schema index *i (one element and its descendants),
 * counting leaves and the deepest levels; returns -1 on a malformed tree. */
static int walk_subtree(pq_reader *r, size_t *i, int depth, int def, int rep, size_t *nleaves,
                        int *max_def, int *max_rep, int *first_leaf_type, int *first_leaf_len)
{
    if (depth > SCHEMA_MAX_DEPTH || *i >= r->nschema)
        return -1;
    schema_el *e = &r->schema[*i];
    (*i)++;
    if (e->repetition == REP_OPTIONAL)
        def++;
    else if (e->repetition == REP_REPEATED)
        def++, rep++;
    if (e->num_children < 0)
        return -1;
    if (e->num_children == 0) {
        if (!e->has_type || e->type < 0 || e->type > 7)
            return -1;
        if (*nleaves == 0) {
            *first_leaf_type = e->type;
            *first_leaf_len = e->type_length;
        }
        (*nleaves)++;
        if (def > *max_def)
            *max_def = def;
        if (rep > *max_rep)
            *max_rep = rep;
        return 0;
    }
    for (int c = 0; c < e->num_children; c++)
        if (walk_subtree(r, i, depth + 1, def, rep, nleaves, max_def, max_rep, first_leaf_type,
                         first_leaf_len) != 0)
            return -1;
    return 0;
}

static const char *nested_kind(const schema_el *e)
{
    if (e->logical == 3 || (e->has_converted && e->converted == 3))
        return "LIST";
    if (e->logical == 2 || (e->has_converted && (e->converted == 1 || e->converted == 2)))
        return "MAP";
    if (e->num_children > 0)
        return "struct";
    return "REPEATED";
}

static int build_columns(pq_reader *r)
{
    schema_el *root = &r->schema[0];
    if (root->num_children <= 0 && r->nschema > 1) {
        set_err(r, "schema root has no children");
        return -1;
    }
    size_t nchild = root->num_children > 0 ? (size_t)root->num_children : 0;
    if (nchild > r->nschema) {
        set_err(r, "schema declares more children than elements");
        return -1;
    }
    r->cols = xcalloc(nchild ? nchild : 1, sizeof *r->cols);
    size_t i = 1;
    for (size_t c = 0; c < nchild; c++) {
        if (i >= r->nschema) {
            set_err(r, "schema tree is truncated");
            return -1;
        }
        col_info *ci = &r->cols[c];
        schema_el *e = &r->schema[i];
        size_t nl = 0;
        int md = 0, mr = 0, lt = 0, ll = 0;
        ci->first_leaf = r->nleaves;
        if (walk_subtree(r, &i, 1, 0, 0, &nl, &md, &mr, &lt, &ll) != 0 || nl == 0) {
            set_err(r, "schema tree is malformed at column %zu", c);
            r->ncols = c;
            return -1;
        }
        r->ncols = c + 1;
        ci->nleaves = nl;
        ci->max_def = md;
        ci->max_rep = mr;
        ci->pub.name = e->name;
        ci->pub.type = (pq_type)lt;
        ci->pub.type_length = ll;
        ci->pub.optional = e->repetition == REP_OPTIONAL;
        if (e->num_children > 0 || e->repetition == REP_REPEATED || e->repetition < 0 ||
            e->repetition > 2)
            ci->pub.nested = nested_kind(e);
        int conv = e->has_converted ? e->converted : -1;
        ci->pub.is_string = e->logical == 1 || e->logical == 4 || e->logical == 12 || conv == 0 ||
                            conv == 4 || conv == 19;
        ci->pub.is_unsigned = e->logical_unsigned || (conv >= 11 && conv <= 14);
        if (!ci->pub.nested && lt == PQ_FIXED_LEN_BYTE_ARRAY && (ll <= 0 || (uint64_t)ll > r->fsize)) {
            set_err(r, "column '%s': FIXED_LEN_BYTE_ARRAY with bad length %d", e->name, ll);
            return -1;
        }
        r->nleaves += nl;
    }
    if (i != r->nschema) {
        set_err(r, "schema has %zu elements but the tree uses %zu", r->nschema, i);
        return -1;
    }
    for (size_t g = 0; g < r->nrgs; g++) {
        if (r->rgs[g].nchunks != r->nleaves) {
            set_err(r, "row group %zu has %zu column chunks, the schema %zu leaves", g,
                    r->rgs[g].nchunks, r->nleaves);
            return -1;
        }
        if (r->rgs[g].num_rows < 0) {
            set_err(r, "row group %zu has no valid num_rows", g);
            return -1;
        }
    }
    return 0;
}

/* ---- open -------------------------------------------------------------- */

static int read_at(pq_reader *r, uint8_t *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t k = pread(r->fd, buf + done, n - done, (off_t)(off + done));
        if (k < 0) {
            if (errno == EINTR)
                continue;
            set_err(r, "read failed: %s", strerror(errno));
            return -1;
        }
        if (k == 0) {
            set_err(r, "file shrank while reading");
            return -1;
        }
        done += (size_t)k;
    }
    r->bytes_read += n;
    return 0;
}

pq_reader *pq_open(const char *path, const pq_options *o, char *err, size_t errlen)
{
    pq_reader *r = xcalloc(1, sizeof *r);
    r->path = xstrdup(path);
    r->fd = -1;
    if (o)
        r->opt = *o;
    if (!r->opt.max_rows_per_group)
        r->opt.max_rows_per_group = PQ_DEFAULT_MAX_ROWS;
    if (!r->opt.max_page_bytes)
        r->opt.max_page_bytes = PQ_DEFAULT_MAX_PAGE;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) != 0) {
        cc_seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        pq_close(r);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        cc_seterr(err, errlen, "%s: not a regular file (Parquet needs to seek to its footer)", path);
        pq_close(r);
        return NULL;
    }
    r->fsize = (uint64_t)st.st_size;
    uint8_t head[4], tail[8];
    if (r->fsize < 12) {
        set_err(r, "not a Parquet file: %llu bytes, shorter than the 12 a Parquet file needs",
                (unsigned long long)r->fsize);
    } else if (read_at(r, head, 4, 0) == 0 && read_at(r, tail, 8, r->fsize - 8) == 0) {
        uint32_t flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
                        (uint32_t)tail[3] << 24;
        if (memcmp(tail + 4, "PARE", 4) == 0)
            set_err(r, "encrypted Parquet files (PARE) are not supported");
        else if (memcmp(tail + 4, "PAR1", 4) != 0)
            set_err(r, "not a Parquet file or truncated: no trailing PAR1 magic");
        else if (memcmp(head, "PAR1", 4) != 0)
            set_err(r, "not a Parquet file: no leading PAR1 magic");
        else if ((uint64_t)flen > r->fsize - 12)
            set_err(r, "footer length %u is larger than the file allows", flen);
        else {
            uint8_t *foot = xmalloc(flen ? flen : 1);
            r->data_end = r->fsize - 8 - flen;
            if (read_at(r, foot, flen, r->data_end) == 0 && parse_footer(r, foot, flen) == 0)
                build_columns(r);
            free(foot);
        }
    }
    if (r->err[0]) {
        cc_seterr(err, errlen, "%s", r->err);
        pq_close(r);
        return NULL;
    }
    if (pq_select(r, NULL, 0, NULL, 0) != 0) {
        /* a nested column: start with no selection; pq_next() will say so
         * unless the caller selects flat columns */
        r->err[0] = '\0';
        r->nsel = (size_t)-1;
    }
    return r;
}

size_t pq_ncolumns(const pq_reader *r) { return r->ncols; }
const pq_column *pq_column_at(const pq_reader *r, size_t i) { return i < r->ncols ? &r->cols[i].pub : NULL; }
uint64_t pq_nrows(const pq_reader *r) { return (uint64_t)r->num_rows; }
size_t pq_nrow_groups(const pq_reader *r) { return r->nrgs; }
const char *pq_created_by(const pq_reader *r) { return r->created_by; }
const char *pq_errmsg(const pq_reader *r) { return r->err; }
uint64_t pq_row_no(const pq_reader *r) { return r->row_no; }

long pq_column_index(const pq_reader *r, const char *name)
{
    for (size_t i = 0; i < r->ncols; i++)
        if (strcmp(r->cols[i].pub.name, name) == 0)
            return (long)i;
    return -1;
}

void pq_progress(const pq_reader *r, uint64_t *done, uint64_t *total)
{
    *done = r->bytes_read < r->fsize ? r->bytes_read : r->fsize;
    *total = r->fsize;
}

static void free_sel(pq_reader *r)
{
    if (r->sel && r->nsel != (size_t)-1) {
        for (size_t k = 0; k < r->nsel; k++) {
            vs_free(&r->sel[k].vals);
            vs_free(&r->sel[k].dict);
            free(r->sel[k].present);
        }
    }
    free(r->sel);
    r->sel = NULL;
    r->nsel = 0;
}

static size_t type_width(const col_info *c)
{
    switch (c->pub.type) {
    case PQ_BOOLEAN: return 1;
    case PQ_INT32: case PQ_FLOAT: return 4;
    case PQ_INT64: case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FIXED_LEN_BYTE_ARRAY: return (size_t)c->pub.type_length;
    default: return 0;
    }
}

int pq_select(pq_reader *r, const char *const *names, size_t n, char *err, size_t errlen)
{
    if (r->started) {
        cc_seterr(err, errlen, "%s: pq_select after reading started", r->path);
        return -1;
    }
    size_t count = names ? n : r->ncols;
    size_t *idx = xcalloc(count ? count : 1, sizeof *idx);
    for (size_t k = 0; k < count; k++) {
        long i = names ? pq_column_index(r, names[k]) : (long)k;
        if (i < 0) {
            cc_seterr(err, errlen, "%s: no column '%s'", r->path, names[k]);
            free(idx);
            return -1;
        }
        const col_info *c = &r->cols[i];
        if (c->pub.nested) {
            cc_seterr(err, errlen,
                      "%s: column '%s' is nested (%s, %zu leaf column%s), which this reader does "
                      "not read; select only flat columns",
                      r->path, c->pub.name, c->pub.nested, c->nleaves, c->nleaves == 1 ? "" : "s");
            free(idx);
            return -1;
        }
        idx[k] = (size_t)i;
    }
    free_sel(r);
    r->sel = xcalloc(count ? count : 1, sizeof *r->sel);
    r->nsel = count;
    for (size_t k = 0; k < count; k++) {
        r->sel[k].col = idx[k];
        r->sel[k].vals.width = type_width(&r->cols[idx[k]]);
        r->sel[k].dict.width = r->sel[k].vals.width;
        r->sel[k].cur = -1;
    }
    free(idx);
    return 0;
}

size_t pq_nselected(const pq_reader *r) { return r->nsel == (size_t)-1 ? 0 : r->nsel; }

const pq_column *pq_selected_column(const pq_reader *r, size_t k)
{
    return k < pq_nselected(r) ? &r->cols[r->sel[k].col].pub : NULL;
}

void pq_close(pq_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free_sel(r);
    for (size_t i = 0; i < r->nschema; i++)
        free(r->schema[i].name);
    free(r->schema);
    for (size_t g = 0; g < r->nrgs; g++)
        free(r->rgs[g].chunks);
    free(r->rgs);
    free(r->cols);
    free(r->created_by);
    free(r->chunk);
    free(r->page);
    free(r->levels);
    free(r->idx);
    free(r->ints);
    free(r->ints2);
    free(r->tmp);
    free(r->path);
    free(r);
}

/* ======================================================================
 * Decoders. Each returns 0, or -1 after set_err().
 * ====================================================================== */

/* Decode context for one page: names the column and row group in messages. */
typedef struct {
    pq_reader *r;
    const char *col;
    size_t rg;
} dctx;

#define DERR(d, ...) dctx_err(d, __VA_ARGS__)
static int dctx_err(const dctx *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int dctx_err(const dctx *d, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_err(d->r, "column '%s', row group %zu: %s", d->col, d->rg, msg);
    return -1;
}

static int bit_width(uint64_t max)
{
    int w = 0;
    while (max) {
        w++;
        max >>= 1;
    }
    return w;
}

/* Unsigned LEB128 from [*p, end). */
static int uleb(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* w bits (w <= 64) starting at bit pos of a little-endian bit stream; the
 * caller has checked that the bytes exist. */
static inline uint64_t get_bits(const uint8_t *p, uint64_t pos, int w)
{
    if (w == 0)
        return 0;
    const uint8_t *q = p + (pos >> 3);
    int shift = (int)(pos & 7);
    int nbytes = (shift + w + 7) >> 3;
    uint64_t lo = 0;
    int k;
    for (k = 0; k < nbytes && k < 8; k++)
        lo |= (uint64_t)q[k] << (8 * k);
    uint64_t v = lo >> shift;
    if (nbytes > 8)
        v |= (uint64_t)q[8] << (64 - shift);
    return w == 64 ? v : v & (((uint64_t)1 << w) - 1);
}

/* RLE / bit-packed hybrid: n values of width bw (<= 32) from [p, p+len). */
static int rle_decode(const dctx *d, const uint8_t *p, size_t len, int bw, uint32_t *out, size_t n)
{
    const uint8_t *end = p + len;
    size_t got = 0;
    size_t vbytes = ((size_t)bw + 7) / 8;
    while (got < n) {
        uint64_t h;
        if (uleb(&p, end, &h) != 0)
            return DERR(d, "RLE/bit-packed data ends after %zu of %zu values", got, n);
        if (h & 1) { /* bit-packed: (h >> 1) groups of 8 values, bw bytes each */
            uint64_t groups = h >> 1;
            size_t avail = (size_t)(end - p);
            uint64_t count = groups > (uint64_t)n ? (uint64_t)n * 8 : groups * 8;
            size_t take = count < n - got ? (size_t)count : n - got;
            uint64_t need_bits = (uint64_t)take * (uint64_t)bw;
            if ((need_bits + 7) / 8 > avail)
                return DERR(d, "bit-packed run is truncated");
            for (size_t k = 0; k < take; k++)
                out[got + k] = (uint32_t)get_bits(p, (uint64_t)k * bw, bw);
            got += take;
            /* a short last group is tolerated: stop at the end of the data */
            if (bw && groups >= avail)
                p = end;
            else if (bw)
                p += groups * (uint64_t)bw < avail ? (size_t)(groups * (uint64_t)bw) : avail;
        } else {
            uint64_t count = h >> 1;
            if ((size_t)(end - p) < vbytes)
                return DERR(d, "RLE run is truncated");
            uint32_t v = 0;
            for (size_t k = 0; k < vbytes; k++)
                v |= (uint32_t)p[k] << (8 * k);
            p += vbytes;
            if (bw < 32 && (v >> bw))
                return DERR(d, "RLE run value %u is wider than %d bits", v, bw);
            size_t take = count < n - got ? (size_t)count : n - got;
            for (size_t k = 0; k < take; k++)
                out[got + k] = v;
            got += take;
        }
    }
    return 0;
}

/* v1 BIT_PACKED levels: MSB-first packing, no header. */
static int bitpacked_msb(const dctx *d, const uint8_t *p, size_t len, int bw, uint32_t *out,
                         size_t n, size_t *used)
{
    uint64_t bits = (uint64_t)n * (uint64_t)bw;
    if ((bits + 7) / 8 > len)
        return DERR(d, "BIT_PACKED levels are truncated");
    for (size_t i = 0; i < n; i++) {
        uint32_t v = 0;
        for (int b = 0; b < bw; b++) {
            uint64_t k = (uint64_t)i * bw + b;
            v = (v << 1) | ((p[k >> 3] >> (7 - (k & 7))) & 1);
        }
        out[i] = v;
    }
    *used = (size_t)((bits + 7) / 8);
    return 0;
}

/* DELTA_BINARY_PACKED: reads the header's value count into *count and, when
 * out != NULL, that many values (at most max). *used = bytes consumed. */
static int delta_bp(const dctx *d, const uint8_t *p, size_t len, int64_t **out, size_t *out_cap,
                    size_t max, size_t *count, size_t *used)
{
    const uint8_t *start = p, *end = p + len;
    uint64_t block, nmini, total, zz;
    if (uleb(&p, end, &block) || uleb(&p, end, &nmini) || uleb(&p, end, &total) ||
        uleb(&p, end, &zz))
        return DERR(d, "DELTA_BINARY_PACKED header is truncated");
    if (block == 0 || block % 128 || nmini == 0 || block % nmini || (block / nmini) % 32 ||
        block > ((uint64_t)1 << 24))
        return DERR(d, "DELTA_BINARY_PACKED header is invalid (block %llu, miniblocks %llu)",
                    (unsigned long long)block, (unsigned long long)nmini);
    if (total > max)
        return DERR(d, "DELTA_BINARY_PACKED holds %llu values, more than the page's %zu",
                    (unsigned long long)total, max);
    uint64_t per_mini = block / nmini;
    *count = (size_t)total;
    *out = grow(*out, out_cap, total ? total : 1, sizeof **out);
    int64_t *o = *out;
    uint64_t last = (uint64_t)((int64_t)(zz >> 1) ^ -(int64_t)(zz & 1));
    size_t i = 0;
    if (total)
        o[i++] = (int64_t)last;
    while (i < total) {
        uint64_t mz;
        if (uleb(&p, end, &mz))
            return DERR(d, "DELTA_BINARY_PACKED block is truncated");
        uint64_t min_delta = (uint64_t)((int64_t)(mz >> 1) ^ -(int64_t)(mz & 1));
        if ((uint64_t)(end - p) < nmini)
            return DERR(d, "DELTA_BINARY_PACKED bit widths are truncated");
        const uint8_t *widths = p;
        p += nmini;
        for (uint64_t m = 0; m < nmini && i < total; m++) {
            int w = widths[m];
            if (w > 64)
                return DERR(d, "DELTA_BINARY_PACKED bit width %d is over 64", w);
            uint64_t bytes = per_mini * (uint64_t)w / 8;
            if (bytes > (uint64_t)(end - p))
                return DERR(d, "DELTA_BINARY_PACKED miniblock is truncated");
            for (uint64_t j = 0; j < per_mini && i < total; j++) {
                last += min_delta + get_bits(p, j * (uint64_t)w, w); /* wraps, as the format wants */
                o[i++] = (int64_t)last;
            }
            p += bytes;
        }
    }
    *used = (size_t)(p - start);
    return 0;
}

/* Byte-array lengths from a DELTA_BINARY_PACKED stream into r->ints2. */
static int delta_lengths(const dctx *d, const uint8_t *p, size_t len, size_t max, size_t *count,
                         size_t *used)
{
    pq_reader *r = d->r;
    if (delta_bp(d, p, len, &r->ints2, &r->ints2_cap, max, count, used) != 0)
        return -1;
    for (size_t i = 0; i < *count; i++)
        if (r->ints2[i] < 0 || (uint64_t)r->ints2[i] > len)
            return DERR(d, "negative or oversized byte array length %lld",
                        (long long)r->ints2[i]);
    return 0;
}

/* PLAIN: n values of the column's type into s. */
static int decode_plain(const dctx *d, pq_type type, vstore *s, const uint8_t *p, size_t len,
                        size_t n)
{
    if (type == PQ_BOOLEAN) {
        if ((n + 7) / 8 > len)
            return DERR(d, "PLAIN booleans: %zu values need %zu bytes, page has %zu", n,
                        (n + 7) / 8, len);
        uint8_t *o = vs_fixed_room(s, n);
        for (size_t i = 0; i < n; i++)
            o[i] = (p[i >> 3] >> (i & 7)) & 1;
        s->n += n;
        return 0;
    }
    if (type == PQ_BYTE_ARRAY) {
        const uint8_t *end = p + len;
        /* a first pass checks every length so one reservation suffices */
        const uint8_t *q = p;
        for (size_t i = 0; i < n; i++) {
            if (end - q < 4)
                return DERR(d, "PLAIN byte array %zu of %zu: length is truncated", i, n);
            uint32_t l = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                         (uint32_t)q[3] << 24;
            q += 4;
            if (l > (size_t)(end - q))
                return DERR(d, "PLAIN byte array %zu of %zu: length %u runs past the page", i,
                            n, l);
            q += l;
        }
        vs_bytes_reserve(s, n, (size_t)(q - p) - 4 * n);
        q = p;
        for (size_t i = 0; i < n; i++) {
            uint32_t l = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                         (uint32_t)q[3] << 24;
            q += 4;
            memcpy(s->data + s->data_len, q, l);
            s->data_len += l;
            s->off[++s->n] = s->data_len;
            q += l;
        }
        return 0;
    }
    size_t w = s->width;
    if (w == 0 || n > len / w)
        return DERR(d, "PLAIN: %zu values of %zu bytes do not fit in %zu bytes", n, w, len);
    memcpy(vs_fixed_room(s, n), p, n * w);
    s->n += n;
    return 0;
}

static int decode_dict_indices(const dctx *d, sel_col *sc, const uint8_t *p, size_t len, size_t n)
{
    pq_reader *r = d->r;
    if (!sc->has_dict)
        return DERR(d, "dictionary-encoded page without a dictionary page");
    if (n == 0)
        return 0;
    if (len < 1)
        return DERR(d, "dictionary indices: page is empty");
    int bw = p[0];
    if (bw > 32)
        return DERR(d, "dictionary index bit width %d is over 32", bw);
    r->idx = grow(r->idx, &r->idx_cap, n, sizeof *r->idx);
    if (rle_decode(d, p + 1, len - 1, bw, r->idx, n) != 0)
        return -1;
    size_t dn = sc->dict.n;
    for (size_t i = 0; i < n; i++)
        if (r->idx[i] >= dn)
            return DERR(d, "dictionary index %u out of range (dictionary has %zu values)",
                        r->idx[i], dn);
    vstore *s = &sc->vals;
    if (s->width) {
        uint8_t *o = vs_fixed_room(s, n);
        size_t w = s->width;
        if (w == 8) {
            for (size_t i = 0; i < n; i++)
                memcpy(o + i * 8, sc->dict.fixed + (size_t)r->idx[i] * 8, 8);
        } else if (w == 4) {
            for (size_t i = 0; i < n; i++)
                memcpy(o + i * 4, sc->dict.fixed + (size_t)r->idx[i] * 4, 4);
        } else {
            for (size_t i = 0; i < n; i++)
                memcpy(o + i * w, sc->dict.fixed + (size_t)r->idx[i] * w, w);
        }
        s->n += n;
    } else {
        size_t bytes = 0;
        for (size_t i = 0; i < n; i++)
            bytes += (size_t)(sc->dict.off[r->idx[i] + 1] - sc->dict.off[r->idx[i]]);
        vs_bytes_reserve(s, n, bytes);
        for (size_t i = 0; i < n; i++)
            vs_push_from(s, &sc->dict, r->idx[i]);
    }
    return 0;
}

static int decode_values(const dctx *d, sel_col *sc, int enc, const uint8_t *p, size_t len,
                         size_t n)
{
    pq_reader *r = d->r;
    const col_info *c = &r->cols[sc->col];
    pq_type type = c->pub.type;
    vstore *s = &sc->vals;
    size_t used, count;
    switch (enc) {
    case ENC_PLAIN:
        return decode_plain(d, type, s, p, len, n);
    case ENC_PLAIN_DICT:
    case ENC_RLE_DICT:
        return decode_dict_indices(d, sc, p, len, n);
    case ENC_RLE: {
        if (type != PQ_BOOLEAN)
            return DERR(d, "RLE value encoding is only defined for BOOLEAN");
        if (len < 4)
            return DERR(d, "RLE booleans: length prefix is truncated");
        uint32_t l = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24;
        if (l > len - 4)
            return DERR(d, "RLE booleans: length %u runs past the page", l);
        r->idx = grow(r->idx, &r->idx_cap, n ? n : 1, sizeof *r->idx);
        if (rle_decode(d, p + 4, l, 1, r->idx, n) != 0)
            return -1;
        uint8_t *o = vs_fixed_room(s, n);
        for (size_t i = 0; i < n; i++)
            o[i] = (uint8_t)r->idx[i];
        s->n += n;
        return 0;
    }
    case ENC_DELTA_BP: {
        if (type != PQ_INT32 && type != PQ_INT64)
            return DERR(d, "DELTA_BINARY_PACKED is only defined for INT32 and INT64");
        if (delta_bp(d, p, len, &r->ints, &r->ints_cap, n, &count, &used) != 0)
            return -1;
        if (count != n)
            return DERR(d, "DELTA_BINARY_PACKED holds %zu values, the page %zu", count, n);
        uint8_t *o = vs_fixed_room(s, n);
        for (size_t i = 0; i < n; i++) {
            if (type == PQ_INT32) {
                int32_t v = (int32_t)(uint32_t)(uint64_t)r->ints[i];
                memcpy(o + 4 * i, &v, 4);
            } else {
                memcpy(o + 8 * i, &r->ints[i], 8);
            }
        }
        s->n += n;
        return 0;
    }
    case ENC_DELTA_LBA: {
        if (type != PQ_BYTE_ARRAY)
            return DERR(d, "DELTA_LENGTH_BYTE_ARRAY is only defined for BYTE_ARRAY");
        if (delta_lengths(d, p, len, n, &count, &used) != 0)
            return -1;
        if (count != n)
            return DERR(d, "DELTA_LENGTH_BYTE_ARRAY holds %zu values, the page %zu", count, n);
        const uint8_t *q = p + used, *end = p + len;
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += (uint64_t)r->ints2[i];
        if (total > (uint64_t)(end - q))
            return DERR(d, "DELTA_LENGTH_BYTE_ARRAY data is truncated");
        vs_bytes_reserve(s, n, (size_t)total);
        for (size_t i = 0; i < n; i++) {
            size_t l = (size_t)r->ints2[i];
            memcpy(s->data + s->data_len, q, l);
            s->data_len += l;
            s->off[++s->n] = s->data_len;
            q += l;
        }
        return 0;
    }
    case ENC_DELTA_BA: {
        if (type != PQ_BYTE_ARRAY && type != PQ_FIXED_LEN_BYTE_ARRAY)
            return DERR(d, "DELTA_BYTE_ARRAY is only defined for byte arrays");
        /* prefix lengths (DBP), then suffixes as DELTA_LENGTH_BYTE_ARRAY */
        size_t np, u1;
        if (delta_bp(d, p, len, &r->ints, &r->ints_cap, n, &np, &u1) != 0)
            return -1;
        if (np != n)
            return DERR(d, "DELTA_BYTE_ARRAY holds %zu prefixes, the page %zu values", np, n);
        size_t ns, u2;
        if (delta_lengths(d, p + u1, len - u1, n, &ns, &u2) != 0)
            return -1;
        if (ns != n)
            return DERR(d, "DELTA_BYTE_ARRAY holds %zu suffixes, the page %zu values", ns, n);
        const uint8_t *q = p + u1 + u2, *end = p + len;
        size_t prev_len = 0;
        r->tmp = grow(r->tmp, &r->tmp_cap, 1, 1);
        for (size_t i = 0; i < n; i++) {
            int64_t pre = r->ints[i];
            size_t sl = (size_t)r->ints2[i];
            if (pre < 0 || (uint64_t)pre > prev_len)
                return DERR(d, "DELTA_BYTE_ARRAY prefix %lld is longer than the previous value",
                            (long long)pre);
            if (sl > (size_t)(end - q))
                return DERR(d, "DELTA_BYTE_ARRAY suffix runs past the page");
            size_t vl = (size_t)pre + sl;
            r->tmp = grow(r->tmp, &r->tmp_cap, vl + 1, 1);
            memcpy(r->tmp + pre, q, sl); /* prefix bytes are already there */
            q += sl;
            if (s->width) {
                if (vl != s->width)
                    return DERR(d, "DELTA_BYTE_ARRAY value of %zu bytes in a %zu-byte column", vl,
                                s->width);
                memcpy(vs_fixed_room(s, 1), r->tmp, vl);
                s->n++;
            } else {
                vs_push_bytes(s, r->tmp, vl);
            }
            prev_len = vl;
        }
        return 0;
    }
    case ENC_BSS: {
        size_t w = s->width;
        if (!(type == PQ_FLOAT || type == PQ_DOUBLE || type == PQ_INT32 || type == PQ_INT64 ||
              type == PQ_FIXED_LEN_BYTE_ARRAY))
            return DERR(d, "BYTE_STREAM_SPLIT is not defined for this type");
        if (w == 0 || n > len / w)
            return DERR(d, "BYTE_STREAM_SPLIT: %zu values of %zu bytes do not fit in %zu bytes",
                        n, w, len);
        uint8_t *o = vs_fixed_room(s, n);
        for (size_t b = 0; b < w; b++) {
            const uint8_t *stream = p + b * n;
            for (size_t i = 0; i < n; i++)
                o[i * w + b] = stream[i];
        }
        s->n += n;
        return 0;
    }
    default:
        return DERR(d, "value encoding %d is not supported", enc);
    }
}

/* ======================================================================
 * Codecs
 * ====================================================================== */

static const char *codec_name(int codec)
{
    static const char *names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI",
                                  "LZ4 (Hadoop framing)", "ZSTD", "LZ4_RAW"};
    return codec >= 0 && codec < 8 ? names[codec] : "unknown";
}

static int inflate_all(const uint8_t *src, size_t n, uint8_t *dst, size_t want)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return -1;
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)want;
    int rc = Z_OK;
    for (;;) {
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0)
                break;
            /* another gzip member follows: keep going */
            if (inflateReset(&z) != Z_OK) {
                rc = Z_DATA_ERROR;
                break;
            }
            continue;
        }
        if (rc != Z_OK)
            break;
        if (z.avail_in == 0 || z.avail_out == 0) {
            rc = Z_BUF_ERROR;
            break;
        }
    }
    size_t out = want - z.avail_out;
    inflateEnd(&z);
    return rc == Z_STREAM_END && out == want ? 0 : -1;
}

/* Decompresses src into r->page (exactly want bytes). */
static int decompress(const dctx *d, int codec, const uint8_t *src, size_t n, size_t want,
                      const uint8_t **out)
{
    pq_reader *r = d->r;
    if (codec == CODEC_UNCOMPRESSED) {
        if (n != want)
            return DERR(d, "uncompressed page: sizes %zu and %zu differ", n, want);
        *out = src;
        return 0;
    }
    if ((uint64_t)want > r->opt.max_page_bytes)
        return DERR(d, "page of %zu bytes is larger than the %llu allowed", want,
                    (unsigned long long)r->opt.max_page_bytes);
    r->page = grow(r->page, &r->page_cap, want ? want : 1, 1);
    *out = r->page;
    switch (codec) {
    case CODEC_SNAPPY: {
        size_t ulen = 0;
        if (snappy_uncompressed_length((const char *)src, n, &ulen) != SNAPPY_OK || ulen != want)
            return DERR(d, "SNAPPY page: bad header or size %zu, expected %zu", ulen, want);
        size_t outlen = want;
        if (snappy_uncompress((const char *)src, n, (char *)r->page, &outlen) != SNAPPY_OK ||
            outlen != want)
            return DERR(d, "SNAPPY page is corrupt");
        return 0;
    }
    case CODEC_GZIP:
        if (inflate_all(src, n, r->page, want) != 0)
            return DERR(d, "GZIP page is corrupt or does not inflate to %zu bytes", want);
        return 0;
    case CODEC_ZSTD: {
        size_t k = ZSTD_decompress(r->page, want, src, n);
        if (ZSTD_isError(k) || k != want)
            return DERR(d, "ZSTD page is corrupt or does not decompress to %zu bytes", want);
        return 0;
    }
    case CODEC_LZ4_RAW: {
        if (n > INT32_MAX || want > INT32_MAX)
            return DERR(d, "LZ4_RAW page too large");
        int k = LZ4_decompress_safe((const char *)src, (char *)r->page, (int)n, (int)want);
        if (k < 0 || (size_t)k != want)
            return DERR(d, "LZ4_RAW page is corrupt or does not decompress to %zu bytes", want);
        return 0;
    }
    default:
        return DERR(d, "codec %s (%d) is not supported", codec_name(codec), codec);
    }
}

/* ======================================================================
 * Pages of one column chunk
 * ====================================================================== */

typedef struct {
    int type;
    int64_t usize, csize;
    int has_dp, has_dict, has_v2;
    /* data page v1 */
    int64_t v1_n, v1_enc, v1_def_enc, v1_rep_enc;
    /* dictionary */
    int64_t dict_n, dict_enc;
    /* v2 */
    int64_t v2_n, v2_nulls, v2_rows, v2_enc, v2_def_len, v2_rep_len;
    int v2_compressed;
} page_hdr;

static void parse_sub(tc *t, page_hdr *h, int which)
{
    if (!tc_enter(t))
        return;
    int16_t last = 0, id;
    int type;
    int64_t v;
    while (tc_field(t, &last, &id, &type)) {
        if (which == 8 && id == 7) {
            int b;
            if (tc_want_bool(t, type, &b))
                h->v2_compressed = b;
            continue;
        }
        if (type == TC_STRUCT || type == TC_LIST || type == TC_MAP || type == TC_SET ||
            type == TC_BINARY || type == TC_TRUE || type == TC_FALSE || type == TC_DOUBLE) {
            tc_skip(t, type);
            continue;
        }
        if (!tc_want_int(t, type, &v))
            continue;
        if (which == 5) {
            if (id == 1) h->v1_n = v;
            else if (id == 2) h->v1_enc = v;
            else if (id == 3) h->v1_def_enc = v;
            else if (id == 4) h->v1_rep_enc = v;
        } else if (which == 7) {
            if (id == 1) h->dict_n = v;
            else if (id == 2) h->dict_enc = v;
        } else if (which == 8) {
            if (id == 1) h->v2_n = v;
            else if (id == 2) h->v2_nulls = v;
            else if (id == 3) h->v2_rows = v;
            else if (id == 4) h->v2_enc = v;
            else if (id == 5) h->v2_def_len = v;
            else if (id == 6) h->v2_rep_len = v;
        }
    }
    t->depth--;
}

/* Parses a page header at p (at most len bytes); *hlen = its size. */
static int parse_page_header(const uint8_t *p, size_t len, page_hdr *h, size_t *hlen)
{
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->usize = h->csize = -1;
    h->v1_n = h->v2_n = h->dict_n = -1;
    h->v2_compressed = 1;
    tc t = {.p = p, .end = p + len};
    int16_t last = 0, id;
    int type;
    int64_t v;
    while (tc_field(&t, &last, &id, &type)) {
        switch (id) {
        case 1: if (tc_want_int(&t, type, &v)) h->type = (int)v; break;
        case 2: if (tc_want_int(&t, type, &v)) h->usize = v; break;
        case 3: if (tc_want_int(&t, type, &v)) h->csize = v; break;
        case 5:
            if (type == TC_STRUCT) { h->has_dp = 1; parse_sub(&t, h, 5); }
            else tc_skip(&t, type);
            break;
        case 7:
            if (type == TC_STRUCT) { h->has_dict = 1; parse_sub(&t, h, 7); }
            else tc_skip(&t, type);
            break;
        case 8:
            if (type == TC_STRUCT) { h->has_v2 = 1; parse_sub(&t, h, 8); }
            else tc_skip(&t, type);
            break;
        default:
            tc_skip(&t, type);
        }
    }
    if (t.bad || h->type < 0 || h->usize < 0 || h->csize < 0)
        return -1;
    *hlen = (size_t)(t.p - p);
    return 0;
}

/* Definition levels → sc->present for rows [row0, row0 + n); returns the
 * number of defined values in *ndef. levels == NULL means all defined. */
static void levels_to_present(sel_col *sc, const uint32_t *levels, int max_def, size_t row0,
                              size_t n, size_t *ndef)
{
    size_t k = 0;
    uint8_t *pr = sc->present + row0;
    if (!levels) {
        memset(pr, 1, n);
        *ndef = n;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        pr[i] = levels[i] == (uint32_t)max_def;
        k += pr[i];
    }
    *ndef = k;
}

static int load_dictionary(const dctx *d, sel_col *sc, const page_hdr *h, const uint8_t *raw,
                           size_t usize)
{
    if (sc->has_dict)
        return DERR(d, "second dictionary page in one column chunk");
    if (h->dict_n < 0)
        return DERR(d, "dictionary page header is missing");
    if (h->dict_enc != ENC_PLAIN && h->dict_enc != ENC_PLAIN_DICT)
        return DERR(d, "dictionary page encoding %lld is not PLAIN", (long long)h->dict_enc);
    const col_info *c = &d->r->cols[sc->col];
    /* every PLAIN value takes at least one bit (booleans) or byte */
    if ((uint64_t)h->dict_n > (uint64_t)usize * 8)
        return DERR(d, "dictionary of %lld values cannot fit in %zu bytes", (long long)h->dict_n,
                    usize);
    vs_clear(&sc->dict);
    if (decode_plain(d, c->pub.type, &sc->dict, raw, usize, (size_t)h->dict_n) != 0)
        return -1;
    sc->has_dict = 1;
    return 0;
}

static int data_page(const dctx *d, sel_col *sc, const page_hdr *h, const uint8_t *body,
                     int codec, size_t row0, size_t rows_left, size_t *rows_done)
{
    pq_reader *r = d->r;
    const col_info *c = &r->cols[sc->col];
    int max_def = c->max_def;
    int bw = bit_width((uint64_t)max_def);
    const uint8_t *vals;
    size_t vlen, n, ndef;
    int enc;
    const uint32_t *levels = NULL;
    if (h->type == PAGE_DATA) {
        if (!h->has_dp || h->v1_n < 0)
            return DERR(d, "data page header is missing");
        if ((uint64_t)h->v1_n > rows_left)
            return DERR(d, "page holds %lld values, more than the %zu rows left in the row group",
                        (long long)h->v1_n, rows_left);
        n = (size_t)h->v1_n;
        enc = (int)h->v1_enc;
        const uint8_t *raw;
        if (decompress(d, codec, body, (size_t)h->csize, (size_t)h->usize, &raw) != 0)
            return -1;
        size_t len = (size_t)h->usize, pos = 0;
        if (max_def > 0) {
            r->levels = grow(r->levels, &r->levels_cap, n ? n : 1, sizeof *r->levels);
            if (h->v1_def_enc == ENC_RLE) {
                if (len < 4)
                    return DERR(d, "definition levels: length prefix is truncated");
                uint32_t l = (uint32_t)raw[0] | (uint32_t)raw[1] << 8 | (uint32_t)raw[2] << 16 |
                             (uint32_t)raw[3] << 24;
                if (l > len - 4)
                    return DERR(d, "definition levels run past the page");
                if (rle_decode(d, raw + 4, l, bw, r->levels, n) != 0)
                    return -1;
                pos = 4 + l;
            } else if (h->v1_def_enc == ENC_BIT_PACKED) {
                size_t used = 0;
                if (bitpacked_msb(d, raw, len, bw, r->levels, n, &used) != 0)
                    return -1;
                pos = used;
            } else {
                return DERR(d, "definition level encoding %lld is not supported",
                            (long long)h->v1_def_enc);
            }
            levels = r->levels;
        }
        vals = raw + pos;
        vlen = len - pos;
    } else {
        if (!h->has_v2 || h->v2_n < 0)
            return DERR(d, "data page v2 header is missing");
        if ((uint64_t)h->v2_n > rows_left)
            return DERR(d, "page holds %lld values, more than the %zu rows left in the row group",
                        (long long)h->v2_n, rows_left);
        n = (size_t)h->v2_n;
        enc = (int)h->v2_enc;
        if (h->v2_def_len < 0 || h->v2_rep_len < 0 ||
            (uint64_t)h->v2_def_len + (uint64_t)h->v2_rep_len > (uint64_t)h->csize ||
            (uint64_t)h->v2_def_len + (uint64_t)h->v2_rep_len > (uint64_t)h->usize)
            return DERR(d, "data page v2 level lengths exceed the page");
        size_t lv = (size_t)(h->v2_def_len + h->v2_rep_len);
        if (h->v2_rep_len != 0)
            return DERR(d, "repetition levels in a flat column");
        if (max_def > 0) {
            r->levels = grow(r->levels, &r->levels_cap, n ? n : 1, sizeof *r->levels);
            if (rle_decode(d, body, (size_t)h->v2_def_len, bw, r->levels, n) != 0)
                return -1;
            levels = r->levels;
        }
        size_t cv = (size_t)h->csize - lv, uv = (size_t)h->usize - lv;
        if (h->v2_compressed) {
            if (decompress(d, codec, body + lv, cv, uv, &vals) != 0)
                return -1;
        } else {
            if (cv != uv)
                return DERR(d, "uncompressed v2 page: sizes %zu and %zu differ", cv, uv);
            vals = body + lv;
        }
        vlen = uv;
    }
    levels_to_present(sc, levels, max_def, row0, n, &ndef);
    if (h->type == PAGE_DATA_V2 && h->v2_nulls >= 0 && (uint64_t)h->v2_nulls != n - ndef)
        return DERR(d, "data page v2 says %lld nulls, its levels %zu", (long long)h->v2_nulls,
                    n - ndef);
    if (decode_values(d, sc, enc, vals, vlen, ndef) != 0)
        return -1;
    *rows_done = n;
    return 0;
}

/* Decodes the chunk of selected column sc in row group g into sc->vals. */
static int read_chunk(pq_reader *r, sel_col *sc, size_t g)
{
    const col_info *c = &r->cols[sc->col];
    const rg_info *rg = &r->rgs[g];
    const chunk_info *ch = &rg->chunks[c->first_leaf];
    dctx d = {r, c->pub.name, g};
    size_t rows = (size_t)rg->num_rows;
    vs_clear(&sc->vals);
    vs_clear(&sc->dict);
    sc->has_dict = 0;
    sc->present = grow(sc->present, &sc->present_cap, rows ? rows : 1, 1);
    if (rows == 0)
        return 0;
    if (!ch->meta)
        return DERR(&d, "column chunk has no metadata");
    if (ch->external)
        return DERR(&d, "column chunk lives in another file, which is not supported");
    if (ch->type != (int)c->pub.type)
        return DERR(&d, "column chunk type %d differs from the schema's %d", ch->type,
                    (int)c->pub.type);
    if (ch->codec < 0)
        return DERR(&d, "column chunk has no codec");
    int64_t start = ch->data_page_offset;
    if (ch->has_dict_offset && ch->dict_page_offset > 0 && ch->dict_page_offset < start)
        start = ch->dict_page_offset; /* offset 0 is the magic: absent, as some writers say */
    int64_t len = ch->total_compressed;
    if (start < 4 || len <= 0 || (uint64_t)start > r->data_end ||
        (uint64_t)len > r->data_end - (uint64_t)start)
        return DERR(&d, "column chunk [%lld, +%lld) lies outside the file's data", (long long)start,
                    (long long)len);
    r->chunk = grow(r->chunk, &r->chunk_cap, (size_t)len, 1);
    if (read_at(r, r->chunk, (size_t)len, (uint64_t)start) != 0)
        return -1;
    const uint8_t *p = r->chunk, *end = r->chunk + len;
    size_t done = 0;
    while (done < rows) {
        if (p >= end)
            return DERR(&d, "column chunk ends after %zu of %zu values", done, rows);
        page_hdr h;
        size_t hlen;
        if (parse_page_header(p, (size_t)(end - p), &h, &hlen) != 0)
            return DERR(&d, "page header at chunk offset %zu does not decode",
                        (size_t)(p - r->chunk));
        p += hlen;
        if ((uint64_t)h.csize > (uint64_t)(end - p))
            return DERR(&d, "page runs %llu bytes past the end of its column chunk",
                        (unsigned long long)((uint64_t)h.csize - (uint64_t)(end - p)));
        const uint8_t *body = p;
        p += h.csize;
        if (h.type == PAGE_DICT) {
            if (done > 0)
                return DERR(&d, "dictionary page after data pages");
            const uint8_t *raw;
            if (decompress(&d, ch->codec, body, (size_t)h.csize, (size_t)h.usize, &raw) != 0)
                return -1;
            if (load_dictionary(&d, sc, &h, raw, (size_t)h.usize) != 0)
                return -1;
        } else if (h.type == PAGE_DATA || h.type == PAGE_DATA_V2) {
            size_t k = 0;
            if (data_page(&d, sc, &h, body, ch->codec, done, rows - done, &k) != 0)
                return -1;
            done += k;
        }
        /* index pages and unknown page types are skipped */
    }
    return 0;
}

static int load_row_group(pq_reader *r)
{
    while (r->next_rg < r->nrgs) {
        size_t g = r->next_rg++;
        r->rows_before += r->rg_rows;
        r->rg_rows = (uint64_t)r->rgs[g].num_rows;
        r->rg_pos = 0;
        if (r->rg_rows == 0)
            continue;
        if (r->rg_rows > r->opt.max_rows_per_group) {
            set_err(r, "row group %zu has %llu rows, more than the %llu allowed", g,
                    (unsigned long long)r->rg_rows, (unsigned long long)r->opt.max_rows_per_group);
            return -1;
        }
        for (size_t k = 0; k < r->nsel; k++) {
            if (read_chunk(r, &r->sel[k], g) != 0)
                return -1;
            r->sel[k].cursor = 0;
        }
        return 1;
    }
    return 0;
}

int pq_next(pq_reader *r)
{
    if (r->state == 1)
        return 0;
    if (r->state == -1)
        return -1;
    if (!r->started) {
        r->started = 1;
        if (r->nsel == (size_t)-1) {
            r->nsel = 0;
            for (size_t i = 0; i < r->ncols; i++)
                if (r->cols[i].pub.nested) {
                    set_err(r, "column '%s' is nested (%s), which this reader does not read; "
                            "select only flat columns", r->cols[i].pub.name, r->cols[i].pub.nested);
                    break;
                }
            r->state = -1;
            return -1;
        }
    }
    while (r->rg_pos >= r->rg_rows) {
        int rc = load_row_group(r);
        if (rc <= 0) {
            r->state = rc < 0 ? -1 : 1;
            if (rc == 0 && r->rows_before + r->rg_rows != (uint64_t)r->num_rows) {
                set_err(r, "row groups hold %llu rows, the footer says %lld",
                        (unsigned long long)(r->rows_before + r->rg_rows), (long long)r->num_rows);
                r->state = -1;
                return -1;
            }
            return rc < 0 ? -1 : 0;
        }
    }
    for (size_t k = 0; k < r->nsel; k++) {
        sel_col *sc = &r->sel[k];
        if (sc->present[r->rg_pos]) {
            if (sc->cursor >= sc->vals.n) {
                /* cannot happen: pages decode exactly their defined values */
                set_err(r, "column '%s': fewer values than rows", r->cols[sc->col].pub.name);
                r->state = -1;
                return -1;
            }
            sc->cur = (long)sc->cursor++;
        } else {
            sc->cur = -1;
        }
    }
    r->row_no = r->rows_before + r->rg_pos;
    r->rg_pos++;
    return 1;
}

void pq_get(const pq_reader *r, size_t k, pq_value *v)
{
    memset(v, 0, sizeof *v);
    if (k >= pq_nselected(r)) {
        v->is_null = 1;
        return;
    }
    const sel_col *sc = &r->sel[k];
    const col_info *c = &r->cols[sc->col];
    v->type = c->pub.type;
    if (sc->cur < 0) {
        v->is_null = 1;
        return;
    }
    size_t i = (size_t)sc->cur;
    const vstore *s = &sc->vals;
    const uint8_t *p = s->width ? s->fixed + i * s->width : NULL;
    switch (c->pub.type) {
    case PQ_BOOLEAN:
        v->i = p[0];
        break;
    case PQ_INT32: {
        int32_t x;
        memcpy(&x, p, 4);
        v->i = c->pub.is_unsigned ? (int64_t)(uint32_t)x : x;
        break;
    }
    case PQ_INT64:
        memcpy(&v->i, p, 8);
        break;
    case PQ_FLOAT:
        memcpy(&v->f, p, 4);
        v->d = v->f;
        break;
    case PQ_DOUBLE:
        memcpy(&v->d, p, 8);
        break;
    case PQ_INT96:
    case PQ_FIXED_LEN_BYTE_ARRAY:
        v->bytes = p;
        v->len = s->width;
        break;
    case PQ_BYTE_ARRAY:
        v->bytes = s->data + s->off[i];
        v->len = (size_t)(s->off[i + 1] - s->off[i]);
        break;
    }
}

/* ======================================================================
 * JSON output
 * ====================================================================== */

void pq_format_number(ccbuf *b, double v, int is_float)
{
    if (isnan(v)) {
        ccbuf_puts(b, "\"NaN\"");
        return;
    }
    if (isinf(v)) {
        ccbuf_puts(b, v < 0 ? "\"-Infinity\"" : "\"Infinity\"");
        return;
    }
    if (v == 0) {
        ccbuf_puts(b, signbit(v) ? "-0" : "0");
        return;
    }
    char buf[40];
    int maxp = is_float ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        if (is_float ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            break;
    }
    /* buf = [-]d[.ddd]e[+-]xx → sign, digits, exponent */
    const char *s = buf;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    char digits[24];
    int k = 0;
    while (*s && *s != 'e') {
        if (*s != '.' && k < 20)
            digits[k++] = *s;
        s++;
    }
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    int e = *s == 'e' ? atoi(s + 1) : 0;
    int n = e + 1; /* value = 0.digits × 10^n */
    if (neg)
        ccbuf_putc(b, '-');
    if (k <= n && n <= 21) {
        ccbuf_append(b, digits, (size_t)k);
        for (int i = k; i < n; i++)
            ccbuf_putc(b, '0');
    } else if (0 < n && n <= 21) {
        ccbuf_append(b, digits, (size_t)n);
        ccbuf_putc(b, '.');
        ccbuf_append(b, digits + n, (size_t)(k - n));
    } else if (-6 < n && n <= 0) {
        ccbuf_puts(b, "0.");
        for (int i = 0; i < -n; i++)
            ccbuf_putc(b, '0');
        ccbuf_append(b, digits, (size_t)k);
    } else {
        ccbuf_putc(b, digits[0]);
        if (k > 1) {
            ccbuf_putc(b, '.');
            ccbuf_append(b, digits + 1, (size_t)(k - 1));
        }
        ccbuf_printf(b, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
    }
}

static void base64(ccbuf *b, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        ccbuf_putc(b, tab[(v >> 18) & 63]);
        ccbuf_putc(b, tab[(v >> 12) & 63]);
        ccbuf_putc(b, i + 1 < n ? tab[(v >> 6) & 63] : '=');
        ccbuf_putc(b, i + 2 < n ? tab[v & 63] : '=');
    }
}

/* Integers by the rule: a JSON number when |v| < 2^53, else a string. */
static void put_int128(ccbuf *b, __int128 v)
{
    const __int128 lim = (__int128)1 << 53;
    int quote = v >= lim || v <= -lim;
    char digits[48];
    int k = 0;
    int neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    do {
        digits[k++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (quote)
        ccbuf_putc(b, '"');
    if (neg)
        ccbuf_putc(b, '-');
    while (k)
        ccbuf_putc(b, digits[--k]);
    if (quote)
        ccbuf_putc(b, '"');
}

void pq_value_json(ccbuf *b, const pq_column *c, const pq_value *v)
{
    if (v->is_null) {
        ccbuf_puts(b, "null");
        return;
    }
    switch (v->type) {
    case PQ_BOOLEAN:
        ccbuf_puts(b, v->i ? "true" : "false");
        break;
    case PQ_INT32:
        put_int128(b, v->i);
        break;
    case PQ_INT64:
        put_int128(b, c && c->is_unsigned ? (__int128)(uint64_t)v->i : (__int128)v->i);
        break;
    case PQ_INT96: {
        int64_t nanos;
        int32_t day;
        memcpy(&nanos, v->bytes, 8);
        memcpy(&day, v->bytes + 8, 4);
        put_int128(b, ((__int128)day - 2440588) * (__int128)86400000000000LL + nanos);
        break;
    }
    case PQ_FLOAT:
        pq_format_number(b, v->f, 1);
        break;
    case PQ_DOUBLE:
        pq_format_number(b, v->d, 0);
        break;
    case PQ_BYTE_ARRAY:
    case PQ_FIXED_LEN_BYTE_ARRAY:
        if (cc_utf8_valid(v->bytes, v->len)) {
            ccbuf_json_string(b, (const char *)v->bytes, v->len);
        } else {
            ccbuf_puts(b, "{\"base64\":\"");
            base64(b, v->bytes, v->len);
            ccbuf_puts(b, "\"}");
        }
        break;
    }
}
