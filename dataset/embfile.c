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
#include "embsearch.h"

struct embfile_writer {
    int fd;
    char *path;
    int dim;
    uint64_t rows;      /* rows in the file */
    uint64_t synced;    /* rows covered by the last sync */
    uint16_t *half;     /* one row of scratch */
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

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

/* Checks a header; returns its dim (> 0) or -1 with err set. */
static int parse_header(const unsigned char *h, const char *path, char *err, size_t errlen)
{
    if (memcmp(h, EMBFILE_MAGIC, 8) != 0) {
        seterr(err, errlen, "%s: not a clipcrawl embedding file (bad magic)", path);
        return -1;
    }
    uint32_t version = get_u32(h + 8), dtype = get_u32(h + 12), dim = get_u32(h + 16);
    if (version != EMBFILE_VERSION) {
        seterr(err, errlen, "%s: embedding file version %u, this clipcrawl reads %d", path, version,
               EMBFILE_VERSION);
        return -1;
    }
    if (dtype != EMBFILE_DTYPE_F16) {
        seterr(err, errlen, "%s: unknown element type %u (1 = IEEE half)", path, dtype);
        return -1;
    }
    if (dim == 0 || dim > EMBFILE_MAX_DIM) {
        seterr(err, errlen, "%s: bad dimension %u", path, dim);
        return -1;
    }
    return (int)dim;
}

static int write_count(int fd, uint64_t count)
{
    unsigned char b[8];
    put_u64(b, count);
    return pwrite(fd, b, 8, 24) == 8 ? 0 : -1;
}

embfile_writer *embfile_writer_open(const char *path, int dim, uint64_t valid_rows, const char *model_id,
                                    char *err, size_t errlen)
{
    if (dim <= 0 || dim > EMBFILE_MAX_DIM) {
        seterr(err, errlen, "%s: bad dimension %d", path, dim);
        return NULL;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        goto io;
    const uint64_t rowbytes = (uint64_t)dim * 2;
    if (sb.st_size == 0) {
        if (valid_rows > 0) {
            seterr(err, errlen, "%s: empty, but the index references %llu rows in it", path,
                   (unsigned long long)valid_rows);
            goto fail;
        }
        unsigned char h[EMBFILE_HEADER] = {0};
        memcpy(h, EMBFILE_MAGIC, 8);
        put_u32(h + 8, EMBFILE_VERSION);
        put_u32(h + 12, EMBFILE_DTYPE_F16);
        put_u32(h + 16, (uint32_t)dim);
        put_u64(h + 24, 0);
        if (model_id)
            snprintf((char *)h + 32, 32, "%s", model_id);
        if (pwrite(fd, h, sizeof h, 0) != (ssize_t)sizeof h || fdatasync(fd) != 0)
            goto io;
    } else {
        unsigned char h[EMBFILE_HEADER];
        if (sb.st_size < EMBFILE_HEADER || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
            seterr(err, errlen, "%s: shorter than its %d-byte header", path, EMBFILE_HEADER);
            goto fail;
        }
        int d = parse_header(h, path, err, errlen);
        if (d < 0)
            goto fail;
        if (d != dim) {
            seterr(err, errlen, "%s: holds %d-dimensional rows, the model makes %d", path, d, dim);
            goto fail;
        }
        uint64_t have = ((uint64_t)sb.st_size - EMBFILE_HEADER) / rowbytes;
        if (have < valid_rows) {
            seterr(err, errlen, "%s: holds %llu rows, but the index references %llu (file truncated?)", path,
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
    return w;
io:
    seterr(err, errlen, "%s: %s", path, strerror(errno));
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
    size_t rowbytes = (size_t)w->dim * 2;
    off_t off = (off_t)(EMBFILE_HEADER + w->rows * rowbytes);
    if (pwrite(w->fd, w->half, rowbytes, off) != (ssize_t)rowbytes) {
        seterr(err, errlen, "%s: %s", w->path, errno ? strerror(errno) : "short write");
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
        seterr(err, errlen, "%s: %s", w->path, strerror(errno));
        return -1;
    }
    w->synced = w->rows;
    return 0;
}

int embfile_writer_close(embfile_writer *w, char *err, size_t errlen)
{
    if (!w)
        return 0;
    int rc = embfile_sync(w, err, errlen);
    if (fdatasync(w->fd) != 0 && rc == 0) {
        seterr(err, errlen, "%s: %s", w->path, strerror(errno));
        rc = -1;
    }
    close(w->fd);
    free(w->path);
    free(w->half);
    free(w);
    return rc;
}

int embfile_map_open(embfile_map *m, const char *path, int dim, uint64_t valid_rows, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    unsigned char h[EMBFILE_HEADER];
    if (fstat(fd, &sb) != 0 || sb.st_size < EMBFILE_HEADER || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
        seterr(err, errlen, "%s: shorter than its %d-byte header", path, EMBFILE_HEADER);
        close(fd);
        return -1;
    }
    int d = parse_header(h, path, err, errlen);
    if (d < 0 || (dim > 0 && d != dim)) {
        if (d >= 0)
            seterr(err, errlen, "%s: holds %d-dimensional rows, expected %d", path, d, dim);
        close(fd);
        return -1;
    }
    uint64_t have = ((uint64_t)sb.st_size - EMBFILE_HEADER) / ((uint64_t)d * 2);
    if (have < valid_rows) {
        seterr(err, errlen, "%s: holds %llu rows, but the index references %llu (file truncated?)", path,
               (unsigned long long)have, (unsigned long long)valid_rows);
        close(fd);
        return -1;
    }
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        seterr(err, errlen, "%s: mmap: %s", path, strerror(errno));
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
