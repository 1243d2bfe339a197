/* shard.c — ustar members in independent zstd frames (format: schema/SHARD_FORMAT.md). */
#include "shard.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#define TAR_BLOCK 512

/* ---- tar headers ------------------------------------------------------------ */

/* Writes v as width-1 octal digits + NUL (the ustar numeric field form). */
static int put_octal(char *field, size_t width, uint64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%0*" PRIo64, (int)(width - 1), v);
    if (strlen(tmp) != width - 1)
        return -1; /* does not fit */
    memcpy(field, tmp, width); /* includes the NUL */
    return 0;
}

static unsigned header_checksum(const unsigned char *h)
{
    unsigned sum = 0;
    for (int i = 0; i < TAR_BLOCK; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return sum;
}

static int make_header(unsigned char h[TAR_BLOCK], const char *name, uint64_t size, int64_t mtime)
{
    memset(h, 0, TAR_BLOCK);
    size_t nl = strlen(name);
    if (nl == 0 || nl > SHARD_NAME_MAX)
        return -1;
    memcpy(h, name, nl);                      /* name[100] */
    memcpy(h + 100, "0000644", 8);            /* mode[8] */
    memcpy(h + 108, "0000000", 8);            /* uid[8] */
    memcpy(h + 116, "0000000", 8);            /* gid[8] */
    if (put_octal((char *)h + 124, 12, size)) /* size[12] */
        return -1;
    if (put_octal((char *)h + 136, 12, mtime < 0 ? 0 : (uint64_t)mtime)) /* mtime[12] */
        return -1;
    h[156] = '0';                             /* typeflag: regular file */
    memcpy(h + 257, "ustar", 6);              /* magic "ustar\0" */
    memcpy(h + 263, "00", 2);                 /* version */
    /* uname/gname empty; devmajor/devminor as octal zero like GNU tar writes */
    memcpy(h + 329, "0000000", 8);
    memcpy(h + 337, "0000000", 8);
    char ck[8];
    snprintf(ck, sizeof ck, "%06o", header_checksum(h));
    memcpy(h + 148, ck, 7); /* six digits, NUL, space */
    h[155] = ' ';
    return 0;
}

/* Parses an octal numeric field (leading spaces, digits, then NUL/space). */
static int parse_octal(const unsigned char *f, size_t width, uint64_t *out)
{
    size_t i = 0;
    while (i < width && f[i] == ' ')
        i++;
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < width && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v >> 60)
            return -1;
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    for (; i < width; i++)
        if (f[i] != 0 && f[i] != ' ')
            return -1;
    if (!digits)
        return -1;
    *out = v;
    return 0;
}

int shard_is_end_frame(const unsigned char *buf, size_t n)
{
    if (n != SHARD_END_BYTES)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (buf[i])
            return 0;
    return 1;
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

cc_err shard_parse_tar(const unsigned char *buf, size_t n, const char *name, shard_member *out,
                       char (*names)[SHARD_NAME_MAX + 1], size_t max, size_t *count,
                       char *err, size_t errlen)
{
    size_t pos = 0, k = 0;
    *count = 0;
    if (n % TAR_BLOCK) {
        cc_seterr(err, errlen, "%s: frame holds %zu bytes, not a whole number of tar blocks", name, n);
        return CC_ERR_CORRUPT;
    }
    while (pos < n) {
        const unsigned char *h = buf + pos;
        if (all_zero(h, TAR_BLOCK)) {
            /* end marker: everything that follows must be zero too */
            if (!all_zero(h, n - pos)) {
                cc_seterr(err, errlen, "%s: data after a tar end block at frame byte %zu", name, pos);
                return CC_ERR_CORRUPT;
            }
            break;
        }
        uint64_t want, size;
        if (parse_octal(h + 148, 8, &want) || want != header_checksum(h)) {
            cc_seterr(err, errlen, "%s: tar header checksum mismatch at frame byte %zu", name, pos);
            return CC_ERR_CORRUPT;
        }
        if (memcmp(h + 257, "ustar", 5) != 0) {
            cc_seterr(err, errlen, "%s: tar header at frame byte %zu is not ustar", name, pos);
            return CC_ERR_CORRUPT;
        }
        if (h[156] != '0' && h[156] != 0) {
            cc_seterr(err, errlen, "%s: tar member at frame byte %zu has type '%c', not a regular file",
                    name, pos, h[156] >= 32 && h[156] < 127 ? h[156] : '?');
            return CC_ERR_CORRUPT;
        }
        if (parse_octal(h + 124, 12, &size) || size > n - pos - TAR_BLOCK) {
            cc_seterr(err, errlen, "%s: tar member at frame byte %zu has a bad size", name, pos);
            return CC_ERR_CORRUPT;
        }
        size_t nl = strnlen((const char *)h, 100);
        if (nl == 0 || nl > SHARD_NAME_MAX || h[0] == '\0') {
            cc_seterr(err, errlen, "%s: tar member at frame byte %zu has a bad name", name, pos);
            return CC_ERR_CORRUPT;
        }
        if (k == max) {
            cc_seterr(err, errlen, "%s: frame holds more than %zu members", name, max);
            return CC_ERR_RANGE;
        }
        memcpy(names[k], h, nl);
        names[k][nl] = 0;
        out[k].name = names[k];
        out[k].data = buf + pos + TAR_BLOCK;
        out[k].len = (size_t)size;
        k++;
        uint64_t padded = (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
        if (padded > n - pos - TAR_BLOCK) {
            cc_seterr(err, errlen, "%s: tar member at frame byte %zu runs past the frame", name, pos);
            return CC_ERR_CORRUPT;
        }
        pos += TAR_BLOCK + (size_t)padded;
    }
    *count = k;
    return CC_OK;
}

/* ---- writer ---------------------------------------------------------------------- */

struct shard_writer {
    int fd;
    char *path;
    uint64_t size;
    uint64_t frames;
    int level;
    ZSTD_CCtx *cctx;
    ccbuf tar;   /* the frame's uncompressed tar bytes */
    ccbuf zbuf;  /* compressed frame */
    char err[512];
};

static void werr(shard_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void werr(shard_writer *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof w->err, fmt, ap);
    va_end(ap);
}

shard_writer *shard_writer_open(const char *path, int64_t keep_bytes, int level, char *err, size_t errlen)
{
    int flags = O_WRONLY | O_CLOEXEC | (keep_bytes < 0 ? O_CREAT | O_TRUNC : 0);
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        cc_seterr(err, errlen, "%s: cannot open shard: %s", path, strerror(errno));
        return NULL;
    }
    uint64_t size = 0;
    if (keep_bytes >= 0) {
        struct stat st;
        if (fstat(fd, &st) < 0) {
            cc_seterr(err, errlen, "%s: %s", path, strerror(errno));
            close(fd);
            return NULL;
        }
        if ((uint64_t)st.st_size < (uint64_t)keep_bytes) {
            cc_seterr(err, errlen, "%s: shard holds %lld bytes but the index expects %lld",
                    path, (long long)st.st_size, (long long)keep_bytes);
            close(fd);
            return NULL;
        }
        if ((uint64_t)st.st_size > (uint64_t)keep_bytes) {
            if (ftruncate(fd, keep_bytes) < 0 || fsync(fd) < 0) {
                cc_seterr(err, errlen, "%s: cannot cut shard back to %lld bytes: %s", path,
                        (long long)keep_bytes, strerror(errno));
                close(fd);
                return NULL;
            }
        }
        size = (uint64_t)keep_bytes;
    }
    shard_writer *w = xcalloc(1, sizeof *w);
    w->fd = fd;
    w->path = xstrdup(path);
    w->size = size;
    w->level = level != 0 ? level : 3; /* negative: zstd's fast levels */
    w->cctx = ZSTD_createCCtx();
    if (!w->cctx)
        abort();
    return w;
}

static int write_all_at(int fd, const void *p, size_t n, uint64_t off)
{
    const unsigned char *c = p;
    while (n) {
        ssize_t k = pwrite(fd, c, n, (off_t)off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

/* Compresses w->tar into one frame (content size and checksum recorded) and appends it. */
static cc_err append_frame(shard_writer *w, uint64_t *offset, uint64_t *length)
{
    size_t bound = ZSTD_compressBound(w->tar.len);
    ccbuf_reset(&w->zbuf);
    ccbuf_reserve(&w->zbuf, bound);
    ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->level);
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);
    size_t z = ZSTD_compress2(w->cctx, w->zbuf.data, bound, w->tar.data, w->tar.len);
    if (ZSTD_isError(z)) {
        werr(w, "%s: zstd compression failed: %s", w->path, ZSTD_getErrorName(z));
        return CC_ERR_IO;
    }
    if (write_all_at(w->fd, w->zbuf.data, z, w->size) < 0) {
        werr(w, "%s: write failed: %s", w->path, strerror(errno));
        /* leave no partial frame behind */
        if (ftruncate(w->fd, (off_t)w->size) < 0)
            cc_log(CC_LOG_ERROR, "%s: cannot cut back a partial frame: %s", w->path, strerror(errno));
        return CC_ERR_IO;
    }
    if (offset)
        *offset = w->size;
    if (length)
        *length = z;
    w->size += z;
    w->frames++;
    return CC_OK;
}

cc_err shard_writer_add(shard_writer *w, const shard_member *m, size_t n, int64_t mtime,
                        uint64_t *offset, uint64_t *length)
{
    if (n == 0) {
        werr(w, "%s: a frame needs at least one member", w->path);
        return CC_ERR_USAGE;
    }
    ccbuf_reset(&w->tar);
    static const unsigned char zeros[TAR_BLOCK];
    for (size_t i = 0; i < n; i++) {
        unsigned char h[TAR_BLOCK];
        if (!m[i].name || make_header(h, m[i].name, m[i].len, mtime) < 0) {
            werr(w, "%s: bad member name '%s' (1..%d bytes) or size", w->path,
                 m[i].name ? m[i].name : "(null)", SHARD_NAME_MAX);
            return CC_ERR_USAGE;
        }
        ccbuf_append(&w->tar, h, TAR_BLOCK);
        if (m[i].len)
            ccbuf_append(&w->tar, m[i].data, m[i].len);
        size_t pad = (TAR_BLOCK - m[i].len % TAR_BLOCK) % TAR_BLOCK;
        ccbuf_append(&w->tar, zeros, pad);
    }
    return append_frame(w, offset, length);
}

uint64_t shard_writer_size(const shard_writer *w) { return w->size; }
uint64_t shard_writer_frames(const shard_writer *w) { return w->frames; }
const char *shard_writer_errmsg(const shard_writer *w) { return w->err; }

cc_err shard_writer_sync(shard_writer *w)
{
    if (fdatasync(w->fd) < 0) {
        werr(w, "%s: fdatasync failed: %s", w->path, strerror(errno));
        return CC_ERR_IO;
    }
    return CC_OK;
}

static void free_writer(shard_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    ZSTD_freeCCtx(w->cctx);
    ccbuf_free(&w->tar);
    ccbuf_free(&w->zbuf);
    free(w->path);
    free(w);
}

static int fsync_parent_dir(const char *path)
{
    char *copy = xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

cc_err shard_writer_seal(shard_writer *w, const char *final_path, char *err, size_t errlen)
{
    cc_err rc = CC_OK;
    ccbuf_reset(&w->tar);
    static const unsigned char zeros[SHARD_END_BYTES];
    ccbuf_append(&w->tar, zeros, sizeof zeros);
    rc = append_frame(w, NULL, NULL);
    if (rc == CC_OK && fsync(w->fd) < 0) {
        werr(w, "%s: fsync failed: %s", w->path, strerror(errno));
        rc = CC_ERR_IO;
    }
    if (rc == CC_OK && rename(w->path, final_path) < 0) {
        werr(w, "%s: cannot rename to %s: %s", w->path, final_path, strerror(errno));
        rc = CC_ERR_IO;
    }
    if (rc == CC_OK && fsync_parent_dir(final_path) < 0) {
        werr(w, "%s: cannot fsync its directory: %s", final_path, strerror(errno));
        rc = CC_ERR_IO;
    }
    if (rc != CC_OK)
        cc_seterr(err, errlen, "%s", w->err);
    free_writer(w);
    return rc;
}

void shard_writer_close(shard_writer *w)
{
    if (w)
        free_writer(w);
}

/* ---- reading ----------------------------------------------------------------------- */

struct shard_reader {
    ZSTD_DCtx *dctx;
    ccbuf src;   /* the compressed bytes of the last frame */
};

shard_reader *shard_reader_new(void)
{
    shard_reader *r = xcalloc(1, sizeof *r);
    r->dctx = ZSTD_createDCtx();
    if (!r->dctx)
        abort();
    return r;
}

void shard_reader_free(shard_reader *r)
{
    if (!r)
        return;
    ZSTD_freeDCtx(r->dctx);
    ccbuf_free(&r->src);
    free(r);
}

/* dctx NULL: ZSTD_decompress's own context (allocated per call) */
static cc_err decompress_frame(ZSTD_DCtx *dctx, const unsigned char *src, size_t len, const char *name,
                               uint64_t offset, ccbuf *out, char *err, size_t errlen)
{
    size_t fl = ZSTD_findFrameCompressedSize(src, len);
    if (ZSTD_isError(fl) || fl != len) {
        cc_seterr(err, errlen, "%s: bytes at offset %" PRIu64 " are not one zstd frame of %zu bytes",
                name, offset, len);
        return CC_ERR_CORRUPT;
    }
    unsigned long long cs = ZSTD_getFrameContentSize(src, len);
    if (cs == ZSTD_CONTENTSIZE_ERROR || cs == ZSTD_CONTENTSIZE_UNKNOWN || cs > SHARD_FRAME_MAX) {
        cc_seterr(err, errlen, "%s: frame at offset %" PRIu64 " has no usable content size", name, offset);
        return CC_ERR_CORRUPT;
    }
    ccbuf_reset(out);
    ccbuf_reserve(out, (size_t)cs + 1);
    size_t d = dctx ? ZSTD_decompressDCtx(dctx, out->data, (size_t)cs + 1, src, len)
                    : ZSTD_decompress(out->data, (size_t)cs + 1, src, len);
    if (ZSTD_isError(d) || d != cs) {
        cc_seterr(err, errlen, "%s: frame at offset %" PRIu64 " does not decompress: %s", name, offset,
                ZSTD_isError(d) ? ZSTD_getErrorName(d) : "size mismatch");
        return CC_ERR_CORRUPT;
    }
    out->len = d;
    out->data[d] = 0;
    return CC_OK;
}

cc_err shard_read_frame(int fd, const char *name, uint64_t offset, uint64_t length,
                        ccbuf *out, char *err, size_t errlen)
{
    return shard_reader_read(NULL, fd, name, offset, length, out, err, errlen);
}

cc_err shard_reader_read(shard_reader *r, int fd, const char *name, uint64_t offset, uint64_t length, ccbuf *out,
                         char *err, size_t errlen)
{
    if (length == 0 || length > SHARD_FRAME_MAX) {
        cc_seterr(err, errlen, "%s: bad frame length %" PRIu64 " at offset %" PRIu64, name, length, offset);
        return CC_ERR_CORRUPT;
    }
    unsigned char *src;
    if (r) {
        ccbuf_reset(&r->src);
        ccbuf_reserve(&r->src, (size_t)length);
        src = r->src.data;
    } else {
        src = xmalloc((size_t)length);
    }
    size_t got = 0;
    while (got < length) {
        ssize_t k = pread(fd, src + got, (size_t)length - got, (off_t)(offset + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            cc_seterr(err, errlen, "%s: cannot read %" PRIu64 " bytes at offset %" PRIu64 ": %s", name,
                    length, offset, k < 0 ? strerror(errno) : "file too short");
            if (!r)
                free(src);
            return CC_ERR_IO;
        }
        got += (size_t)k;
    }
    cc_err rc = decompress_frame(r ? r->dctx : NULL, src, (size_t)length, name, offset, out, err, errlen);
    if (!r)
        free(src);
    return rc;
}

/* ---- iterator ------------------------------------------------------------------------ */

struct shard_iter {
    char *path;
    unsigned char *map;
    uint64_t size;
    uint64_t pos;
    int failed;
    char err[512];
    ZSTD_DCtx *dctx;  /* made on the first decompression, kept for the walk */
};

shard_iter *shard_iter_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cc_seterr(err, errlen, "%s: cannot open shard: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        cc_seterr(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    shard_iter *it = xcalloc(1, sizeof *it);
    it->path = xstrdup(path);
    it->size = (uint64_t)st.st_size;
    if (it->size) {
        void *m = mmap(NULL, (size_t)it->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            cc_seterr(err, errlen, "%s: cannot map shard: %s", path, strerror(errno));
            close(fd);
            free(it->path);
            free(it);
            return NULL;
        }
        it->map = m;
    }
    close(fd);
    return it;
}

int shard_iter_next(shard_iter *it, uint64_t *offset, uint64_t *length, ccbuf *out)
{
    if (it->failed)
        return -1;
    if (it->pos >= it->size)
        return 0;
    const unsigned char *p = it->map + it->pos;
    size_t avail = (size_t)(it->size - it->pos);
    size_t fl = ZSTD_findFrameCompressedSize(p, avail);
    if (ZSTD_isError(fl) || fl > avail) {
        snprintf(it->err, sizeof it->err, "%s: no complete zstd frame at offset %" PRIu64 " (%zu bytes left)",
                 it->path, it->pos, avail);
        it->failed = 1;
        return -1;
    }
    if (out && !it->dctx && !(it->dctx = ZSTD_createDCtx()))
        abort();
    if (out && decompress_frame(it->dctx, p, fl, it->path, it->pos, out, it->err, sizeof it->err) != CC_OK) {
        it->failed = 1;
        return -1;
    }
    if (offset)
        *offset = it->pos;
    if (length)
        *length = fl;
    it->pos += fl;
    return 1;
}

void shard_iter_seek(shard_iter *it, uint64_t offset)
{
    it->pos = offset < it->size ? offset : it->size;
    it->failed = 0;
    it->err[0] = 0;
}

uint64_t shard_iter_pos(const shard_iter *it) { return it->pos; }
uint64_t shard_iter_file_size(const shard_iter *it) { return it->size; }
const char *shard_iter_errmsg(const shard_iter *it) { return it->err; }

void shard_iter_close(shard_iter *it)
{
    if (!it)
        return;
    if (it->map)
        munmap(it->map, (size_t)it->size);
    ZSTD_freeDCtx(it->dctx);
    free(it->path);
    free(it);
}

/* ---- helpers --------------------------------------------------------------------------- */

cc_err shard_truncate(const char *path, uint64_t end, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        cc_seterr(err, errlen, "%s: cannot open shard: %s", path, strerror(errno));
        return CC_ERR_IO;
    }
    struct stat st;
    cc_err rc = CC_OK;
    if (fstat(fd, &st) < 0) {
        cc_seterr(err, errlen, "%s: %s", path, strerror(errno));
        rc = CC_ERR_IO;
    } else if ((uint64_t)st.st_size < end) {
        cc_seterr(err, errlen, "%s: shard holds %lld bytes, fewer than %" PRIu64, path,
                (long long)st.st_size, end);
        rc = CC_ERR_CORRUPT;
    } else if ((ftruncate(fd, (off_t)end) < 0 || fsync(fd) < 0)) {
        cc_seterr(err, errlen, "%s: cannot cut back to %" PRIu64 " bytes: %s", path, end, strerror(errno));
        rc = CC_ERR_IO;
    }
    close(fd);
    return rc;
}

char *shard_path(const char *dir, int64_t shard_no, int part)
{
    return xasprintf("%s/shards/%05lld.tar.zst%s", dir, (long long)shard_no, part ? ".part" : "");
}
