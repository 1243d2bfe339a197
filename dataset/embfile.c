/* embfile.c — the flat embedding file (see embfile.h, schema/EMBEDDINGS_FORMAT.md). */
#include "embfile.h"
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
#include "embint8.h"
#include "embsearch.h"

struct embfile_writer {
    int fd;
    char *path;
    int dim;
    uint64_t rows;      /* rows in the file */
    uint64_t synced;    /* rows covered by the last sync */
    uint16_t *half;     /* one row of scratch */
    /* the int8 copy (embint8.h), kept in step with the F16 rows */
    int fd8;
    char *path8;
    float *f32;         /* the F16 row as floats, the copy's input */
    unsigned char *row8;
    uint64_t rows8_at_open; /* rows the copy held before this writer added any */
};

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* The two kinds of file share the header layout. */
typedef struct {
    const char *magic; /* 8 bytes */
    uint32_t version, dtype;
    const char *what;
} file_kind;
static const file_kind KIND_F16 = {EMBFILE_MAGIC, EMBFILE_VERSION, EMBFILE_DTYPE_F16, "IEEE half"};
static const file_kind KIND_I8 = {EMBI8_MAGIC, EMBI8_VERSION, EMBI8_DTYPE, "int8 with row scale"};

/* Checks a header; returns its dim (> 0) or -1 with err set. */
static int parse_header_kind(const unsigned char *h, const file_kind *k, const char *path, char *err, size_t errlen)
{
    if (memcmp(h, k->magic, 8) != 0) {
        cc_seterr(err, errlen, "%s: not a clipcrawl embedding file (bad magic)", path);
        return -1;
    }
    uint32_t version = get_u32(h + 8), dtype = get_u32(h + 12), dim = get_u32(h + 16);
    if (version != k->version) {
        cc_seterr(err, errlen, "%s: embedding file version %u, this clipcrawl reads %u", path, version, k->version);
        return -1;
    }
    if (dtype != k->dtype) {
        cc_seterr(err, errlen, "%s: unknown element type %u (%u = %s)", path, dtype, k->dtype, k->what);
        return -1;
    }
    if (dim == 0 || dim > EMBFILE_MAX_DIM) {
        cc_seterr(err, errlen, "%s: bad dimension %u", path, dim);
        return -1;
    }
    return (int)dim;
}

static int parse_header(const unsigned char *h, const char *path, char *err, size_t errlen)
{
    return parse_header_kind(h, &KIND_F16, path, err, errlen);
}

static void make_header(unsigned char *h, const file_kind *k, int dim, const char *model_id)
{
    memset(h, 0, EMBFILE_HEADER);
    memcpy(h, k->magic, 8);
    put_u32(h + 8, k->version);
    put_u32(h + 12, k->dtype);
    put_u32(h + 16, (uint32_t)dim);
    put_u64(h + 24, 0);
    if (model_id)
        snprintf((char *)h + 32, 32, "%s", model_id);
}

char *embfile_i8_path(const char *f16_path)
{
    size_t n = strlen(f16_path);
    if (n > 4 && strcmp(f16_path + n - 4, ".f16") == 0)
        n -= 4;
    return xasprintf("%.*s.i8", (int)n, f16_path);
}

static int write_count(int fd, uint64_t count)
{
    unsigned char b[8];
    put_u64(b, count);
    return pwrite(fd, b, 8, 24) == 8 ? 0 : -1;
}

static void writer_free(embfile_writer *w)
{
    close(w->fd);
    if (w->fd8 >= 0)
        close(w->fd8);
    free(w->path);
    free(w->path8);
    free(w->half);
    free(w->f32);
    free(w->row8);
    free(w);
}

/* Little-endian halves p[0..dim) as floats. */
static void halves_to_f32(const unsigned char *p, int dim, float *out)
{
    for (int i = 0; i < dim; i++)
        out[i] = cc_f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
}

/* Opens the int8 copy beside the F16 file and brings it to the F16 file's
 * rows: a missing, damaged or other-dimension copy starts again (it is
 * derived data), rows past the F16 file's are cut, missing rows are
 * quantised from the F16 rows (backfill). */
static int i8_open(embfile_writer *w, const char *model_id, char *err, size_t errlen)
{
    w->path8 = embfile_i8_path(w->path);
    /* a rewrite (i8_rewrite) killed before its rename leaves X.i8.tmp: the
     * copy itself is intact, the leftover only takes space */
    char *tmp = xasprintf("%s.tmp", w->path8);
    unlink(tmp);
    free(tmp);
    w->fd8 = open(w->path8, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (w->fd8 < 0) {
        cc_seterr(err, errlen, "%s: %s", w->path8, strerror(errno));
        return -1;
    }
    const uint64_t stride = embi8_stride(w->dim);
    struct stat sb;
    unsigned char h[EMBFILE_HEADER];
    uint64_t have = 0;
    if (fstat(w->fd8, &sb) != 0)
        goto io;
    if (sb.st_size >= EMBFILE_HEADER && pread(w->fd8, h, sizeof h, 0) == (ssize_t)sizeof h &&
        parse_header_kind(h, &KIND_I8, w->path8, NULL, 0) == w->dim) {
        have = ((uint64_t)sb.st_size - EMBFILE_HEADER) / stride;
    } else {
        make_header(h, &KIND_I8, w->dim, model_id);
        if (ftruncate(w->fd8, 0) != 0 || pwrite(w->fd8, h, sizeof h, 0) != (ssize_t)sizeof h)
            goto io;
        sb.st_size = EMBFILE_HEADER;
    }
    if (have > w->rows)
        have = w->rows;
    w->rows8_at_open = have;
    if ((uint64_t)sb.st_size != EMBFILE_HEADER + have * stride &&
        ftruncate(w->fd8, (off_t)(EMBFILE_HEADER + have * stride)) != 0)
        goto io;
    if (have < w->rows) {
        cc_log(CC_LOG_INFO, "%s: writing the int8 copy of %llu embedding rows", w->path8,
               (unsigned long long)(w->rows - have));
        const uint64_t batch = 1024, rb = (uint64_t)w->dim * 2;
        unsigned char *in = xmalloc(batch * rb), *out = xmalloc(batch * stride);
        for (uint64_t r = have; r < w->rows; r += batch) {
            uint64_t n = w->rows - r < batch ? w->rows - r : batch;
            errno = 0;
            if (pread(w->fd, in, n * rb, (off_t)(EMBFILE_HEADER + r * rb)) != (ssize_t)(n * rb)) {
                int e = errno;
                free(in), free(out);
                cc_seterr(err, errlen, "%s: %s", w->path, e ? strerror(e) : "short read");
                return -1;
            }
            for (uint64_t i = 0; i < n; i++) {
                halves_to_f32(in + i * rb, w->dim, w->f32);
                embi8_quantize(w->f32, w->dim, out + i * stride);
            }
            if (pwrite(w->fd8, out, n * stride, (off_t)(EMBFILE_HEADER + r * stride)) != (ssize_t)(n * stride)) {
                free(in), free(out);
                goto io;
            }
        }
        free(in), free(out);
    }
    if (fdatasync(w->fd8) != 0 || write_count(w->fd8, w->rows) != 0 || fdatasync(w->fd8) != 0)
        goto io;
    return 0;
io:
    cc_seterr(err, errlen, "%s: %s", w->path8, errno ? strerror(errno) : "short write");
    return -1;
}

embfile_writer *embfile_writer_open(const char *path, int dim, uint64_t valid_rows, const char *model_id,
                                    char *err, size_t errlen)
{
    if (dim <= 0 || dim > EMBFILE_MAX_DIM) {
        cc_seterr(err, errlen, "%s: bad dimension %d", path, dim);
        return NULL;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        cc_seterr(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        goto io;
    const uint64_t rowbytes = (uint64_t)dim * 2;
    if (sb.st_size == 0) {
        if (valid_rows > 0) {
            cc_seterr(err, errlen, "%s: empty, but the index references %llu rows in it", path,
                   (unsigned long long)valid_rows);
            goto fail;
        }
        unsigned char h[EMBFILE_HEADER];
        make_header(h, &KIND_F16, dim, model_id);
        if (pwrite(fd, h, sizeof h, 0) != (ssize_t)sizeof h || fdatasync(fd) != 0)
            goto io;
    } else {
        unsigned char h[EMBFILE_HEADER];
        if (sb.st_size < EMBFILE_HEADER || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
            cc_seterr(err, errlen, "%s: shorter than its %d-byte header", path, EMBFILE_HEADER);
            goto fail;
        }
        int d = parse_header(h, path, err, errlen);
        if (d < 0)
            goto fail;
        if (d != dim) {
            cc_seterr(err, errlen, "%s: holds %d-dimensional rows, the model makes %d", path, d, dim);
            goto fail;
        }
        uint64_t have = ((uint64_t)sb.st_size - EMBFILE_HEADER) / rowbytes;
        if (have < valid_rows) {
            cc_seterr(err, errlen, "%s: holds %llu rows, but the index references %llu (file truncated?)", path,
                   (unsigned long long)have, (unsigned long long)valid_rows);
            goto fail;
        }
        /* Rows past valid_rows were appended by a run that died before its
         * index transaction committed: nothing references them. */
        if ((uint64_t)sb.st_size != EMBFILE_HEADER + valid_rows * rowbytes &&
            (ftruncate(fd, (off_t)(EMBFILE_HEADER + valid_rows * rowbytes)) != 0 || fdatasync(fd) != 0))
            goto io;
        if (get_u64(h + 24) != valid_rows && (write_count(fd, valid_rows) != 0 || fdatasync(fd) != 0))
            goto io;
    }
    embfile_writer *w = xcalloc(1, sizeof *w);
    w->fd = fd;
    w->path = xstrdup(path);
    w->dim = dim;
    w->rows = w->synced = valid_rows;
    w->half = xmalloc(rowbytes);
    w->f32 = xmalloc((size_t)dim * sizeof *w->f32);
    w->row8 = xmalloc(embi8_stride(dim));
    w->fd8 = -1;
    if (i8_open(w, model_id, err, errlen) != 0) {
        writer_free(w);
        return NULL;
    }
    return w;
io:
    cc_seterr(err, errlen, "%s: %s", path, strerror(errno));
fail:
    close(fd);
    return NULL;
}

int64_t embfile_append(embfile_writer *w, const float *v, char *err, size_t errlen)
{
    for (int i = 0; i < w->dim; i++) {
        uint16_t h = cc_f32_to_f16(v[i]);
        unsigned char *p = (unsigned char *)&w->half[i];
        p[0] = (unsigned char)(h & 0xff); /* little-endian whatever the host */
        p[1] = (unsigned char)(h >> 8);
    }
    size_t rowbytes = (size_t)w->dim * 2, stride = embi8_stride(w->dim);
    off_t off = (off_t)(EMBFILE_HEADER + w->rows * rowbytes);
    errno = 0;
    if (pwrite(w->fd, w->half, rowbytes, off) != (ssize_t)rowbytes) {
        cc_seterr(err, errlen, "%s: %s", w->path, errno ? strerror(errno) : "short write");
        return -1;
    }
    /* the int8 copy quantises the half floats as stored, not v */
    halves_to_f32((const unsigned char *)w->half, w->dim, w->f32);
    embi8_quantize(w->f32, w->dim, w->row8);
    if (pwrite(w->fd8, w->row8, stride, (off_t)(EMBFILE_HEADER + w->rows * stride)) != (ssize_t)stride) {
        cc_seterr(err, errlen, "%s: %s", w->path8, errno ? strerror(errno) : "short write");
        return -1;
    }
    return (int64_t)w->rows++;
}

uint64_t embfile_writer_rows(const embfile_writer *w) { return w->rows; }

int embfile_sync(embfile_writer *w, char *err, size_t errlen)
{
    if (w->synced == w->rows)
        return 0;
    /* data first, then the header's count: a header never claims rows the
     * disk may not hold */
    if (fdatasync(w->fd) != 0 || write_count(w->fd, w->rows) != 0) {
        cc_seterr(err, errlen, "%s: %s", w->path, strerror(errno));
        return -1;
    }
    if (fdatasync(w->fd8) != 0 || write_count(w->fd8, w->rows) != 0) {
        cc_seterr(err, errlen, "%s: %s", w->path8, strerror(errno));
        return -1;
    }
    w->synced = w->rows;
    return 0;
}

/* Rewrites the int8 copy into a new file with 4 MiB writes and renames it
 * over the old one. Why: rows appended one at a time leave the copy in the
 * page cache as 4 KiB pages, and a process mapping it then builds one page
 * table entry per 4 KiB (slow in a VM); a file written in large blocks is
 * cached in large folios (Linux 6.x on ext4/XFS), which the kernel maps with
 * one entry per 2 MiB, so a one-shot search can map the copy instead of
 * copying it (dataset/embstore.c checks which it got). Crash-safe: the old
 * copy stays until the rename; the next writer removes a leftover .tmp. */
static int i8_rewrite(embfile_writer *w, char *err, size_t errlen)
{
    const uint64_t len = EMBFILE_HEADER + w->rows * embi8_stride(w->dim);
    const size_t chunk = 4u << 20;
    char *tmp = xasprintf("%s.tmp", w->path8);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    unsigned char *buf = xmalloc(chunk);
    int rc = fd < 0 ? -1 : 0;
    for (uint64_t off = 0; rc == 0 && off < len; off += chunk) {
        size_t n = len - off < chunk ? (size_t)(len - off) : chunk;
        errno = 0;
        if (pread(w->fd8, buf, n, (off_t)off) != (ssize_t)n || pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
            rc = -1;
    }
    free(buf);
    if (rc == 0 && (fdatasync(fd) != 0 || rename(tmp, w->path8) != 0))
        rc = -1;
    if (rc == 0) {
        /* the rename itself made durable */
        char *dir = xstrdup(w->path8);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = 0;
        int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
        close(w->fd8);
        w->fd8 = fd;
    } else {
        cc_seterr(err, errlen, "%s: %s", tmp, errno ? strerror(errno) : "short read or write");
        if (fd >= 0)
            close(fd);
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

int embfile_writer_close(embfile_writer *w, char *err, size_t errlen)
{
    if (!w)
        return 0;
    int rc = embfile_sync(w, err, errlen);
    if ((fdatasync(w->fd) != 0 || fdatasync(w->fd8) != 0) && rc == 0) {
        cc_seterr(err, errlen, "%s: %s", w->path, strerror(errno));
        rc = -1;
    }
    /* when this writer wrote a large part of the copy (a first score run, a
     * backfill), lay it out again in large blocks (see i8_rewrite) */
    const uint64_t added = w->rows - w->rows8_at_open;
    char e2[256];
    if (rc == 0 && added * embi8_stride(w->dim) >= (8u << 20) && added * 4 >= w->rows &&
        i8_rewrite(w, e2, sizeof e2) != 0)
        cc_log(CC_LOG_WARN, "%s (the copy is intact, only slower to map)", e2);
    writer_free(w);
    return rc;
}

int embfile_open_read(const char *path, int dim, uint64_t valid_rows, int *dim_out, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cc_seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    unsigned char h[EMBFILE_HEADER];
    if (fstat(fd, &sb) != 0 || sb.st_size < EMBFILE_HEADER || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
        cc_seterr(err, errlen, "%s: shorter than its %d-byte header", path, EMBFILE_HEADER);
        close(fd);
        return -1;
    }
    int d = parse_header(h, path, err, errlen);
    if (d < 0 || (dim > 0 && d != dim)) {
        if (d >= 0)
            cc_seterr(err, errlen, "%s: holds %d-dimensional rows, expected %d", path, d, dim);
        close(fd);
        return -1;
    }
    uint64_t have = ((uint64_t)sb.st_size - EMBFILE_HEADER) / ((uint64_t)d * 2);
    if (have < valid_rows) {
        cc_seterr(err, errlen, "%s: holds %llu rows, but the index references %llu (file truncated?)", path,
               (unsigned long long)have, (unsigned long long)valid_rows);
        close(fd);
        return -1;
    }
    *dim_out = d;
    return fd;
}

int embfile_open_i8(const char *f16_path, int dim, uint64_t valid_rows)
{
    char *path = embfile_i8_path(f16_path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return -1;
    struct stat sb;
    unsigned char h[EMBFILE_HEADER];
    if (fstat(fd, &sb) != 0 || sb.st_size < EMBFILE_HEADER || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h ||
        parse_header_kind(h, &KIND_I8, "", NULL, 0) != dim ||
        ((uint64_t)sb.st_size - EMBFILE_HEADER) / embi8_stride(dim) < valid_rows) {
        close(fd);
        return -1;
    }
    return fd;
}

int embfile_map_open(embfile_map *m, const char *path, int dim, uint64_t valid_rows, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    int d = 0;
    int fd = embfile_open_read(path, dim, valid_rows, &d, err, errlen);
    if (fd < 0)
        return -1;
    struct stat sb;
    void *p = fstat(fd, &sb) == 0 ? mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
    close(fd);
    if (p == MAP_FAILED) {
        cc_seterr(err, errlen, "%s: mmap: %s", path, strerror(errno));
        return -1;
    }
    madvise(p, (size_t)sb.st_size, MADV_SEQUENTIAL | MADV_WILLNEED);
    m->map = p;
    m->map_len = (size_t)sb.st_size;
    m->rows = (const uint16_t *)((const unsigned char *)p + EMBFILE_HEADER);
    m->count = valid_rows;
    m->dim = d;
    return 0;
}

void embfile_map_close(embfile_map *m)
{
    if (m->map)
        munmap(m->map, m->map_len);
    memset(m, 0, sizeof *m);
}

void embfile_row_f32(const embfile_map *m, uint64_t r, float *out)
{
    const unsigned char *p = (const unsigned char *)(m->rows + r * (uint64_t)m->dim);
    for (int i = 0; i < m->dim; i++)
        out[i] = cc_f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
}
