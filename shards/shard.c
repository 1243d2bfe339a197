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

/* Frames are gathered in memory and written in pieces of about this size,
 * on a thread of the writer's own while the next piece fills: one small
 * pwrite per frame cost more CPU than compressing it (the kernel zeroes
 * every partly written page first), and copying into the page cache is a
 * fifth of a bulk copy's time. Nothing depends on frames being in the file
 * before shard_writer_sync, which writes the rest. */
#define SHARD_WRITE_CHUNK (1u << 20)

/* zstd level 0 means the default (3); negative levels are zstd's fast ones. */
static int frame_level(int level) { return level != 0 ? level : 3; }

/* What building a frame needs: one zstd context, the level, the tar bytes. */
struct shard_framer {
    ZSTD_CCtx *cctx;
    int level;
    ccbuf tar;
};

static void framer_init(shard_framer *f, int level)
{
    f->level = frame_level(level);
    f->cctx = ZSTD_createCCtx();
    if (!f->cctx)
        abort();
}

static void framer_clear(shard_framer *f)
{
    ZSTD_freeCCtx(f->cctx);
    ccbuf_free(&f->tar);
}

struct shard_writer {
    int fd;
    char *path;
    uint64_t size;    /* bytes of the shard including what is in memory (next frame's offset) */
    uint64_t written; /* bytes known written; then inflight, then pend */
    uint64_t frames;
    int broken;       /* a write failed: frames after `written` are gone */
    shard_framer fr;  /* builds this writer's frames */
    ccbuf pend;     /* compressed frames not yet handed to the io thread */
    ccbuf inflight; /* being written at `written` by the io thread */
    cc_pool *io;    /* one thread, started with the first full chunk */
    int io_busy;
    int io_errno;   /* 0, or the failed write's errno */
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
    w->written = size;
    framer_init(&w->fr, level);
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

static void io_job(void *arg)
{
    shard_writer *w = arg;
    w->io_errno = write_all_at(w->fd, w->inflight.data, w->inflight.len, w->written) < 0 ? errno : 0;
#ifdef SYNC_FILE_RANGE_WRITE
    /* start writing the chunk to disk now, so that the fdatasync before the
     * next commit finds little left to wait for (advice only: errors are
     * the fdatasync's to report) */
    if (!w->io_errno)
        (void)sync_file_range(w->fd, (off_t)w->written, (off_t)w->inflight.len, SYNC_FILE_RANGE_WRITE);
#endif
}

/* A write failed: cut the file back to what was written before, so it ends
 * on a frame boundary, and refuse any further use (frames whose offsets
 * add already returned are gone). */
static cc_err fail_write(shard_writer *w, int err_no)
{
    werr(w, "%s: write failed: %s", w->path, strerror(err_no));
    if (ftruncate(w->fd, (off_t)w->written) < 0)
        cc_log(CC_LOG_ERROR, "%s: cannot cut back a partial frame: %s", w->path, strerror(errno));
    w->broken = 1;
    ccbuf_reset(&w->pend);
    ccbuf_reset(&w->inflight);
    w->size = w->written;
    return CC_ERR_IO;
}

/* Waits for the io thread's write, if one is under way. */
static cc_err wait_io(shard_writer *w)
{
    if (!w->io_busy)
        return CC_OK;
    cc_pool_wait(w->io);
    w->io_busy = 0;
    if (w->io_errno)
        return fail_write(w, w->io_errno);
    w->written += w->inflight.len;
    ccbuf_reset(&w->inflight);
    return CC_OK;
}

/* Hands the pending frames to the io thread (after its previous write). */
static cc_err flush_async(shard_writer *w)
{
    if (wait_io(w) != CC_OK)
        return CC_ERR_IO;
    ccbuf t = w->inflight;
    w->inflight = w->pend;
    w->pend = t;
    if (!w->io)
        w->io = cc_pool_new(1, 1);
    w->io_busy = 1;
    cc_pool_submit(w->io, io_job, w);
    return CC_OK;
}

/* Writes every frame still in memory, here and now. */
static cc_err flush_pending(shard_writer *w)
{
    if (w->broken)
        return CC_ERR_IO;
    if (wait_io(w) != CC_OK)
        return CC_ERR_IO;
    if (w->pend.len == 0)
        return CC_OK;
    if (write_all_at(w->fd, w->pend.data, w->pend.len, w->written) < 0)
        return fail_write(w, errno);
    w->written += w->pend.len;
    ccbuf_reset(&w->pend);
    return CC_OK;
}

/* The members as ustar bytes (header, data, padding each) in tar. Returns -1
 * naming nothing when a name or size does not fit; *bad is the member. */
static int build_tar(ccbuf *tar, const shard_member *m, size_t n, int64_t mtime, size_t *bad)
{
    static const unsigned char zeros[TAR_BLOCK];
    ccbuf_reset(tar);
    for (size_t i = 0; i < n; i++) {
        unsigned char h[TAR_BLOCK];
        if (!m[i].name || make_header(h, m[i].name, m[i].len, mtime) < 0) {
            *bad = i;
            return -1;
        }
        ccbuf_append(tar, h, TAR_BLOCK);
        if (m[i].len)
            ccbuf_append(tar, m[i].data, m[i].len);
        size_t pad = (TAR_BLOCK - m[i].len % TAR_BLOCK) % TAR_BLOCK;
        ccbuf_append(tar, zeros, pad);
    }
    return 0;
}

/* Compresses tar as one frame (content size and checksum recorded) onto
 * the end of out. Returns its length, or 0 with zstd's reason in *why. */
static size_t compress_frame(ZSTD_CCtx *cctx, int level, const ccbuf *tar, ccbuf *out, const char **why)
{
    size_t bound = ZSTD_compressBound(tar->len);
    ccbuf_reserve(out, bound);
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
    size_t z = ZSTD_compress2(cctx, out->data + out->len, bound, tar->data, tar->len);
    if (ZSTD_isError(z)) {
        *why = ZSTD_getErrorName(z);
        return 0;
    }
    out->len += z;
    return z;
}

/* Counts the z bytes just put at the end of pend as the next frame. */
static cc_err commit_frame(shard_writer *w, size_t z, uint64_t *offset, uint64_t *length)
{
    uint64_t at = w->size;
    w->size += z;
    w->frames++;
    if (w->pend.len >= SHARD_WRITE_CHUNK && flush_async(w) != CC_OK)
        return CC_ERR_IO;
    if (offset)
        *offset = at;
    if (length)
        *length = z;
    return CC_OK;
}

cc_err shard_writer_add(shard_writer *w, const shard_member *m, size_t n, int64_t mtime,
                        uint64_t *offset, uint64_t *length)
{
    if (n == 0) {
        werr(w, "%s: a frame needs at least one member", w->path);
        return CC_ERR_USAGE;
    }
    size_t bad;
    if (build_tar(&w->fr.tar, m, n, mtime, &bad) < 0) {
        werr(w, "%s: bad member name '%s' (1..%d bytes) or size", w->path, m[bad].name ? m[bad].name : "(null)",
             SHARD_NAME_MAX);
        return CC_ERR_USAGE;
    }
    if (w->broken)
        return CC_ERR_IO; /* the message of the failed write stays */
    const char *why = NULL;
    size_t z = compress_frame(w->fr.cctx, w->fr.level, &w->fr.tar, &w->pend, &why);
    if (z == 0) {
        werr(w, "%s: zstd compression failed: %s", w->path, why);
        return CC_ERR_IO;
    }
    return commit_frame(w, z, offset, length);
}

cc_err shard_writer_add_frame(shard_writer *w, const void *frame, size_t len, uint64_t *offset, uint64_t *length)
{
    if (len == 0) {
        werr(w, "%s: an empty frame", w->path);
        return CC_ERR_USAGE;
    }
    if (w->broken)
        return CC_ERR_IO;
    ccbuf_append(&w->pend, frame, len);
    return commit_frame(w, len, offset, length);
}

/* ---- frames built away from the writer ------------------------------------------ */

shard_framer *shard_framer_new(int level)
{
    shard_framer *f = xcalloc(1, sizeof *f);
    framer_init(f, level);
    return f;
}

void shard_framer_free(shard_framer *f)
{
    if (!f)
        return;
    framer_clear(f);
    free(f);
}

cc_err shard_frame_build(shard_framer *f, const shard_member *m, size_t n, int64_t mtime, ccbuf *out, char *err,
                         size_t errlen)
{
    ccbuf_reset(out);
    size_t bad;
    if (n == 0 || build_tar(&f->tar, m, n, mtime, &bad) < 0) {
        cc_seterr(err, errlen, "bad member name '%s' (1..%d bytes) or size",
                  n && m[bad].name ? m[bad].name : "(null)", SHARD_NAME_MAX);
        return CC_ERR_USAGE;
    }
    const char *why = NULL;
    if (compress_frame(f->cctx, f->level, &f->tar, out, &why) == 0) {
        cc_seterr(err, errlen, "zstd compression failed: %s", why);
        return CC_ERR_IO;
    }
    return CC_OK;
}

uint64_t shard_writer_size(const shard_writer *w) { return w->size; }
uint64_t shard_writer_frames(const shard_writer *w) { return w->frames; }
const char *shard_writer_errmsg(const shard_writer *w) { return w->err; }

cc_err shard_writer_sync(shard_writer *w)
{
    if (flush_pending(w) != CC_OK)
        return CC_ERR_IO;
    if (fdatasync(w->fd) < 0) {
        werr(w, "%s: fdatasync failed: %s", w->path, strerror(errno));
        return CC_ERR_IO;
    }
    return CC_OK;
}

static void free_writer(shard_writer *w)
{
    cc_pool_free(w->io); /* every caller waited for its write already */
    if (w->fd >= 0)
        close(w->fd);
    framer_clear(&w->fr);
    ccbuf_free(&w->inflight);
    ccbuf_free(&w->pend);
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
    ccbuf_reset(&w->fr.tar);
    static const unsigned char zeros[SHARD_END_BYTES];
    ccbuf_append(&w->fr.tar, zeros, sizeof zeros);
    const char *why = NULL;
    size_t z = w->broken ? 0 : compress_frame(w->fr.cctx, w->fr.level, &w->fr.tar, &w->pend, &why);
    if (w->broken) {
        rc = CC_ERR_IO;
    } else if (z == 0) {
        werr(w, "%s: zstd compression failed: %s", w->path, why);
        rc = CC_ERR_IO;
    } else {
        rc = commit_frame(w, z, NULL, NULL);
    }
    if (rc == CC_OK)
        rc = flush_pending(w);
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
    if (!w)
        return;
    int was_broken = w->broken;
    if (flush_pending(w) != CC_OK && !was_broken)
        cc_log(CC_LOG_ERROR, "%s", w->err);
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
