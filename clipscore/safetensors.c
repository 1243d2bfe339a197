/* safetensors.c — see safetensors.h. Every check happens in st_open(). */
#include "safetensors.h"

#include "half.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "json.h"

/* Header larger than this is refused (real CLIP headers are ~50 KB). */
#define ST_MAX_HEADER (100u << 20)

struct st_file {
    char *path;
    unsigned char *map;
    size_t size;
    size_t data_start;     /* 8 + header length */
    json_value *header;
    st_tensor *t;
    size_t n;
};

static const struct { const char *name; st_dtype d; int size; } dtypes[] = {
    {"F32", ST_F32, 4},   {"F16", ST_F16, 2},   {"BF16", ST_BF16, 2}, {"F64", ST_F64, 8},
    {"I64", ST_I64, 8},   {"I32", ST_I32, 4},   {"I16", ST_I16, 2},   {"I8", ST_I8, 1},
    {"U8", ST_U8, 1},     {"U16", ST_U16, 2},   {"U32", ST_U32, 4},   {"U64", ST_U64, 8},
    {"BOOL", ST_BOOL, 1}, {"F8_E4M3", ST_F8_E4M3, 1}, {"F8_E5M2", ST_F8_E5M2, 1},
};

const char *st_dtype_name(st_dtype d)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].d == d)
            return dtypes[i].name;
    return "?";
}

int st_dtype_is_float(st_dtype d)
{
    return d == ST_F32 || d == ST_F16 || d == ST_BF16 || d == ST_F64;
}

void st_close(st_file *f)
{
    if (!f)
        return;
    if (f->map && f->size)
        munmap(f->map, f->size);
    json_free(f->header);
    free(f->t);
    free(f->path);
    free(f);
}

static int cmp_by_begin(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    return x->data < y->data ? -1 : x->data > y->data ? 1 : 0;
}

/* Reads a JSON number that must be a non-negative integer < 2^53. */
static int get_uint(const json_value *v, uint64_t *out)
{
    if (!v || v->type != JSON_NUMBER || v->number < 0 || v->number > 9007199254740992.0 ||
        v->number != (double)(uint64_t)v->number)
        return -1;
    *out = (uint64_t)v->number;
    return 0;
}

st_file *st_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cc_seterr(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        cc_seterr(err, errlen, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    st_file *f = xcalloc(1, sizeof *f);
    f->path = xstrdup(path);
    f->size = (size_t)sb.st_size;
    if (f->size < 8) {
        cc_seterr(err, errlen, "%s: truncated: %zu bytes, too short for a safetensors header", path, f->size);
        goto fail_fd;
    }
    f->map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    fd = -1;
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        cc_seterr(err, errlen, "%s: mmap: %s", path, strerror(errno));
        goto fail;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | f->map[i];
    if (hlen < 2 || hlen > ST_MAX_HEADER || hlen > f->size - 8) {
        cc_seterr(err, errlen, "%s: truncated or corrupt: header length %llu but file has %zu bytes", path,
               (unsigned long long)hlen, f->size);
        goto fail;
    }
    f->data_start = 8 + (size_t)hlen;
    size_t data_len = f->size - f->data_start;
    char jerr[128];
    f->header = json_parse((const char *)f->map + 8, (size_t)hlen, jerr, sizeof jerr);
    if (!f->header) {
        cc_seterr(err, errlen, "%s: header JSON: %s", path, jerr);
        goto fail;
    }
    if (f->header->type != JSON_OBJECT) {
        cc_seterr(err, errlen, "%s: header is not a JSON object", path);
        goto fail;
    }
    f->t = xcalloc(f->header->len ? f->header->len : 1, sizeof *f->t);
    for (size_t i = 0; i < f->header->len; i++) {
        const char *name = f->header->keys[i];
        const json_value *info = f->header->items[i];
        if (strcmp(name, "__metadata__") == 0) {
            if (info->type != JSON_OBJECT) {
                cc_seterr(err, errlen, "%s: __metadata__ is not an object", path);
                goto fail;
            }
            continue;
        }
        st_tensor *t = &f->t[f->n];
        t->name = name;
        if (info->type != JSON_OBJECT) {
            cc_seterr(err, errlen, "%s: tensor '%s': entry is not an object", path, name);
            goto fail;
        }
        const char *dt = json_get_string(info, "dtype", NULL);
        if (!dt) {
            cc_seterr(err, errlen, "%s: tensor '%s': missing dtype", path, name);
            goto fail;
        }
        int esize = 0;
        for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++)
            if (strcmp(dtypes[k].name, dt) == 0) {
                t->dtype = dtypes[k].d;
                esize = dtypes[k].size;
            }
        if (!esize) {
            cc_seterr(err, errlen, "%s: tensor '%s': unknown dtype '%.32s'", path, name, dt);
            goto fail;
        }
        const json_value *shape = json_get(info, "shape");
        if (!shape || shape->type != JSON_ARRAY || shape->len > ST_MAX_DIMS) {
            cc_seterr(err, errlen, "%s: tensor '%s': bad or missing shape", path, name);
            goto fail;
        }
        t->ndim = (int)shape->len;
        uint64_t numel = 1;
        for (int d = 0; d < t->ndim; d++) {
            uint64_t s;
            if (get_uint(shape->items[d], &s) != 0 || s > ((uint64_t)1 << 40)) {
                cc_seterr(err, errlen, "%s: tensor '%s': bad shape entry %d", path, name, d);
                goto fail;
            }
            t->shape[d] = (int64_t)s;
            if (s && numel > (((uint64_t)1 << 62) / s)) {
                cc_seterr(err, errlen, "%s: tensor '%s': shape overflows", path, name);
                goto fail;
            }
            numel *= s;
        }
        t->numel = (int64_t)numel;
        const json_value *offs = json_get(info, "data_offsets");
        uint64_t b, e;
        if (!offs || offs->type != JSON_ARRAY || offs->len != 2 || get_uint(offs->items[0], &b) != 0 ||
            get_uint(offs->items[1], &e) != 0 || e < b) {
            cc_seterr(err, errlen, "%s: tensor '%s': bad data_offsets", path, name);
            goto fail;
        }
        if (e > data_len) {
            cc_seterr(err, errlen, "%s: tensor '%s': data_offsets [%llu,%llu] out of range (data section has %zu bytes; truncated file?)",
                   path, name, (unsigned long long)b, (unsigned long long)e, data_len);
            goto fail;
        }
        if (numel > UINT64_MAX / (uint64_t)esize || e - b != numel * (uint64_t)esize) {
            cc_seterr(err, errlen, "%s: tensor '%s': %llu bytes of data for %s with %llu elements", path, name,
                   (unsigned long long)(e - b), dt, (unsigned long long)numel);
            goto fail;
        }
        t->nbytes = (size_t)(e - b);
        t->data = f->map + f->data_start + b;
        f->n++;
    }
    /* No two tensors may share bytes. */
    if (f->n > 1) {
        st_tensor **order = xmalloc(f->n * sizeof *order);
        for (size_t i = 0; i < f->n; i++)
            order[i] = &f->t[i];
        qsort(order, f->n, sizeof *order, cmp_by_begin);
        for (size_t i = 1; i < f->n; i++) {
            const st_tensor *p = order[i - 1], *q = order[i];
            if (p->nbytes && q->nbytes && p->data + p->nbytes > q->data) {
                cc_seterr(err, errlen, "%s: tensor '%s': data overlaps tensor '%s'", path, q->name, p->name);
                free(order);
                goto fail;
            }
        }
        free(order);
    }
    return f;
fail_fd:
    if (fd >= 0)
        close(fd);
fail:
    st_close(f);
    return NULL;
}

const char *st_path(const st_file *f) { return f->path; }
size_t st_count(const st_file *f) { return f->n; }
const st_tensor *st_at(const st_file *f, size_t i) { return i < f->n ? &f->t[i] : NULL; }
uint64_t st_file_size(const st_file *f) { return f->size; }

const unsigned char *st_header(const st_file *f, size_t *len)
{
    *len = f->data_start - 8;
    return f->map + 8;
}

const st_tensor *st_find(const st_file *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0)
            return &f->t[i];
    return NULL;
}

const char *st_metadata(const st_file *f, const char *key)
{
    const json_value *m = json_get(f->header, "__metadata__");
    const json_value *v = json_get(m, key);
    return v && v->type == JSON_STRING ? v->string : NULL;
}

float st_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

int st_to_f32(const st_file *f, const st_tensor *t, float *out, char *err, size_t errlen)
{
    const unsigned char *p = t->data;
    size_t n = (size_t)t->numel;
    switch (t->dtype) {
    case ST_F32:
        memcpy(out, p, n * 4);  /* little-endian host assumed (x86-64, aarch64) */
        return 0;
    case ST_F16:
    case ST_BF16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
            out[i] = t->dtype == ST_F16 ? cc_f16_to_f32(h) : st_bf16_to_f32(h);
        }
        return 0;
    case ST_F64:
        for (size_t i = 0; i < n; i++) {
            double d;
            memcpy(&d, p + 8 * i, 8);
            out[i] = (float)d;
        }
        return 0;
    default:
        cc_seterr(err, errlen, "%s: tensor '%s': dtype %s is not floating point", f->path, t->name, st_dtype_name(t->dtype));
        return -1;
    }
}

static void fmt_shape(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, n - o, "[");
    for (int i = 0; i < ndim && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? "," : "", (long long)shape[i]);
    if (o < n)
        snprintf(buf + o, n - o, "]");
}

float *st_load_f32(const st_file *f, const char *name, int ndim, const int64_t *shape, char *err, size_t errlen)
{
    const st_tensor *t = st_find(f, name);
    if (!t) {
        cc_seterr(err, errlen, "%s: tensor '%s': missing", f->path, name);
        return NULL;
    }
    int ok = t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = t->shape[i] == shape[i];
    if (!ok) {
        char a[128], b[128];
        fmt_shape(a, sizeof a, t->ndim, t->shape);
        fmt_shape(b, sizeof b, ndim, shape);
        cc_seterr(err, errlen, "%s: tensor '%s': shape %s, expected %s", f->path, name, a, b);
        return NULL;
    }
    if (!st_dtype_is_float(t->dtype)) {
        cc_seterr(err, errlen, "%s: tensor '%s': dtype %s is not floating point", f->path, name, st_dtype_name(t->dtype));
        return NULL;
    }
    float *out = xmalloc((size_t)(t->numel ? t->numel : 1) * sizeof(float));
    if (st_to_f32(f, t, out, err, errlen) != 0) {
        free(out);
        return NULL;
    }
    return out;
}
