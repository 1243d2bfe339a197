/* warc.c — streaming WARC record reader (see warc.h).
 *
 * Three layers, each pulling from the one below:
 *   raw     bytes from a file descriptor or a memory buffer (cbuf)
 *   decomp  plain copy, or gzip members inflated back to back (win)
 *   record  WARC header parsing, block skipping/loading, resync
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "common.h"
#include "warc.h"

#define WIN_SIZE (256u * 1024u) /* decompressed window */
#define RAW_SIZE (64u * 1024u)  /* compressed input buffer */
#define MAX_HEADER (64u * 1024u)

struct warc_reader {
    warc_options o;
    /* raw input */
    int fd;
    int own_fd;
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    unsigned char *cbuf;
    size_t cpos, clen;
    int raw_eof;
    int raw_error; /* errno of a failed read, 0 if none */
    /* decompression */
    int mode; /* 0 unknown, 1 plain, 2 gzip */
    z_stream zs;
    int zinit;
    int in_member;
    uint64_t member_start; /* file offset of the current member's header */
    int dec_eof;   /* no more decompressed bytes will come */
    char *dec_reason; /* why the decompressed stream ended early (NULL: clean) */
    /* decompressed window */
    unsigned char *win;
    size_t wpos, wlen;
    uint64_t win_base; /* stream offset of win[0] */
    /* current record */
    ccbuf strs;        /* name\0value\0... of the current header */
    warc_field *fields;
    size_t n_fields, cap_fields;
    int have_record;
    int block_taken;
    uint64_t block_left;
    uint64_t rec_offset, rec_length;
    ccbuf block;
    /* end */
    int ended;
    char *end_reason;
    warc_stats_t st;
};

/* ---- raw layer ----------------------------------------------------------------- */

/* Refills cbuf when it is empty. Returns bytes available (0 at EOF/error). */
static size_t raw_avail(warc_reader *r)
{
    if (r->cpos < r->clen)
        return r->clen - r->cpos;
    if (r->raw_eof)
        return 0;
    r->cpos = r->clen = 0;
    if (r->mem) {
        size_t n = r->mem_len - r->mem_pos;
        if (n > RAW_SIZE)
            n = RAW_SIZE;
        memcpy(r->cbuf, r->mem + r->mem_pos, n);
        r->mem_pos += n;
        r->clen = n;
    } else {
        for (;;) {
            ssize_t k = read(r->fd, r->cbuf, RAW_SIZE);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0) {
                r->raw_error = errno ? errno : EIO;
                k = 0;
            }
            r->clen = (size_t)k;
            break;
        }
    }
    if (r->clen == 0)
        r->raw_eof = 1;
    return r->clen;
}

static void raw_take(warc_reader *r, size_t n)
{
    r->cpos += n;
    r->st.raw_bytes += n;
}

static void set_dec_reason(warc_reader *r, const char *what)
{
    if (!r->dec_reason)
        r->dec_reason = xasprintf("%s at byte %llu of the file", what, (unsigned long long)r->st.raw_bytes);
}

/* raw_avail() where the input may end between gzip members: at the end the
 * decoder ends too, with a reason when reading failed. */
static size_t raw_more(warc_reader *r)
{
    size_t n = raw_avail(r);
    if (n == 0) {
        r->dec_eof = 1;
        if (r->raw_error)
            set_dec_reason(r, "read error");
    }
    return n;
}

/* ---- decompression layer -------------------------------------------------------- */

/* Makes at least want (<= RAW_SIZE) bytes available at cbuf[cpos], fewer
 * only at the end of input. Returns the bytes available. */
static size_t raw_ensure(warc_reader *r, size_t want)
{
    while (r->clen - r->cpos < want && !r->raw_eof) {
        size_t keep = r->clen - r->cpos;
        if (keep == 0) {
            raw_avail(r);
            continue;
        }
        memmove(r->cbuf, r->cbuf + r->cpos, keep);
        r->cpos = 0;
        r->clen = keep;
        size_t got = 0;
        if (r->mem) {
            got = r->mem_len - r->mem_pos;
            if (got > RAW_SIZE - keep)
                got = RAW_SIZE - keep;
            memcpy(r->cbuf + keep, r->mem + r->mem_pos, got);
            r->mem_pos += got;
        } else {
            ssize_t k;
            do
                k = read(r->fd, r->cbuf + keep, RAW_SIZE - keep);
            while (k < 0 && errno == EINTR);
            if (k < 0)
                r->raw_error = errno ? errno : EIO;
            got = k > 0 ? (size_t)k : 0;
        }
        if (got == 0)
            r->raw_eof = 1;
        r->clen += got;
    }
    return r->clen - r->cpos;
}

/* Moves the raw input back to file offset off when it can (memory input,
 * seekable files); otherwise leaves it where it is. */
static void raw_rewind(warc_reader *r, uint64_t off)
{
    if (off >= r->st.raw_bytes)
        return;
    if (r->mem) {
        r->mem_pos = (size_t)off;
    } else if (lseek(r->fd, (off_t)off, SEEK_SET) == (off_t)-1) {
        return;
    }
    r->cpos = r->clen = 0;
    r->raw_eof = 0;
    r->st.raw_bytes = off;
}

/* Skips compressed bytes up to the next "1f 8b 08" (a gzip member header).
 * Returns 1 when positioned on one, 0 at the end of input. */
static int gz_seek_member(warc_reader *r)
{
    for (;;) {
        size_t n = raw_ensure(r, 3);
        if (n < 3) {
            raw_take(r, n);
            return 0;
        }
        const unsigned char *p = r->cbuf + r->cpos;
        if (p[0] == 0x1f && p[1] == 0x8b && p[2] == 0x08)
            return 1;
        const unsigned char *q = memchr(p + 1, 0x1f, n - 1);
        raw_take(r, q ? (size_t)(q - p) : n);
    }
}

/* Writes up to cap decompressed bytes to out. Returns the count; 0 means the
 * decompressed stream is over (r->dec_eof set). */
static size_t dec_produce(warc_reader *r, unsigned char *out, size_t cap)
{
    if (r->dec_eof)
        return 0;
    if (r->mode == 0) {
        size_t n = raw_ensure(r, 2);
        if (n >= 2 && r->cbuf[r->cpos] == 0x1f && r->cbuf[r->cpos + 1] == 0x8b) {
            r->mode = 2;
            r->st.gzip = 1;
            if (inflateInit2(&r->zs, 15 + 16) != Z_OK)
                abort();
            r->zinit = 1;
        } else {
            r->mode = 1;
        }
    }
    if (r->mode == 1) {
        size_t n = raw_more(r);
        if (n == 0)
            return 0;
        if (n > cap)
            n = cap;
        memcpy(out, r->cbuf + r->cpos, n);
        raw_take(r, n);
        return n;
    }
    size_t produced = 0;
    while (produced == 0) {
        if (!r->in_member) {
            size_t n = raw_more(r);
            if (n == 0)
                return 0;
            if (r->cbuf[r->cpos] == 0) {
                /* zero padding after the last member (some tools pad to a block size) */
                raw_take(r, 1);
                continue;
            }
            n = raw_ensure(r, 3);
            const unsigned char *h = r->cbuf + r->cpos;
            if (!(n >= 3 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 0x08)) {
                uint64_t at = r->st.raw_bytes;
                if (!gz_seek_member(r)) {
                    r->dec_eof = 1;
                    if (!r->dec_reason)
                        r->dec_reason =
                            xasprintf("garbage after the gzip member ending at byte %llu", (unsigned long long)at);
                    return 0;
                }
                r->st.gzip_skips++;
            }
            inflateReset(&r->zs);
            r->member_start = r->st.raw_bytes;
            r->in_member = 1;
            r->st.gzip_members++;
        }
        size_t n = raw_avail(r);
        if (n == 0) {
            r->dec_eof = 1;
            set_dec_reason(r, r->raw_error ? "read error" : "truncated gzip stream: input ends inside a member");
            return produced;
        }
        r->zs.next_in = r->cbuf + r->cpos;
        r->zs.avail_in = (uInt)n;
        r->zs.next_out = out + produced;
        r->zs.avail_out = (uInt)(cap - produced);
        int rc = inflate(&r->zs, Z_NO_FLUSH);
        size_t used = n - r->zs.avail_in;
        raw_take(r, used);
        produced = cap - r->zs.avail_out;
        if (rc == Z_STREAM_END) {
            r->in_member = 0;
        } else if (rc == Z_OK || rc == Z_BUF_ERROR) {
            /* more input needed (or output full): loop */
            if (produced == 0 && used == 0 && rc == Z_BUF_ERROR && r->zs.avail_out > 0) {
                /* no progress with input available cannot happen with a sane zlib */
                r->dec_eof = 1;
                set_dec_reason(r, "gzip decoder stalled");
                return 0;
            }
        } else {
            /* corrupt member: look for the next gzip header from just after
             * this member's start (the decoder may have read past its end) */
            r->in_member = 0;
            r->st.gzip_skips++;
            raw_rewind(r, r->member_start + 1);
            if (!gz_seek_member(r)) {
                r->dec_eof = 1;
                set_dec_reason(r, "gzip data corrupt");
                return produced;
            }
            /* what the broken member gave ends mid-line; a line break lets
             * the record layer find the next member's "WARC/" line */
            if (produced < cap)
                out[produced++] = '\n';
        }
    }
    return produced;
}

/* Makes at least want bytes available at win[wpos] (fewer only at the end
 * of the stream; want <= WIN_SIZE). Returns the bytes available. */
static size_t win_ensure(warc_reader *r, size_t want)
{
    while (r->wlen - r->wpos < want && !r->dec_eof) {
        if (r->wpos > 0) {
            memmove(r->win, r->win + r->wpos, r->wlen - r->wpos);
            r->win_base += r->wpos;
            r->wlen -= r->wpos;
            r->wpos = 0;
        }
        size_t got = dec_produce(r, r->win + r->wlen, WIN_SIZE - r->wlen);
        r->wlen += got;
        if (got == 0)
            break;
    }
    return r->wlen - r->wpos;
}

static void win_take(warc_reader *r, size_t n)
{
    r->wpos += n;
    r->st.bytes += n;
}

static uint64_t stream_pos(const warc_reader *r)
{
    return r->win_base + r->wpos;
}

/* ---- opening ------------------------------------------------------------------------ */

void warc_options_init(warc_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_block = 16u << 20;
}

static warc_reader *reader_new(const warc_options *opts)
{
    warc_reader *r = xcalloc(1, sizeof *r);
    if (opts)
        r->o = *opts;
    else
        warc_options_init(&r->o);
    if (r->o.max_block == 0)
        r->o.max_block = 16u << 20;
    r->fd = -1;
    r->cbuf = xmalloc(RAW_SIZE);
    r->win = xmalloc(WIN_SIZE);
    return r;
}

warc_reader *warc_open(const char *path, const warc_options *opts, char *err, size_t errlen)
{
    int fd;
    int own = 1;
    if (strcmp(path, "-") == 0) {
        fd = 0;
        own = 0;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            cc_seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
            return NULL;
        }
    }
    warc_reader *r = reader_new(opts);
    r->fd = fd;
    r->own_fd = own;
    return r;
}

warc_reader *warc_open_mem(const void *data, size_t n, const warc_options *opts)
{
    warc_reader *r = reader_new(opts);
    r->mem = data ? data : (const unsigned char *)"";
    r->mem_len = data ? n : 0;
    return r;
}

void warc_close(warc_reader *r)
{
    if (!r)
        return;
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    if (r->zinit)
        inflateEnd(&r->zs);
    free(r->cbuf);
    free(r->win);
    free(r->fields);
    ccbuf_free(&r->strs);
    ccbuf_free(&r->block);
    free(r->dec_reason);
    free(r->end_reason);
    free(r);
}

/* ---- records ------------------------------------------------------------------------- */

static const char *const type_names[] = {"other",    "warcinfo", "response",   "resource",    "request",
                                         "metadata", "revisit",  "conversion", "continuation"};

const char *warc_type_name(warc_type t)
{
    return (unsigned)t < sizeof type_names / sizeof type_names[0] ? type_names[t] : "other";
}

const char *warc_field_get(const warc_record *rec, const char *name)
{
    for (size_t i = 0; i < rec->n_fields; i++)
        if (strcasecmp(rec->fields[i].name, name) == 0)
            return rec->fields[i].value;
    return NULL;
}

static int is_warc_line(const unsigned char *p, size_t n)
{
    return n >= 7 && memcmp(p, "WARC/", 5) == 0 && (p[5] == '0' || p[5] == '1') && p[6] == '.';
}

/* Ends the stream: the reason combines what the record layer saw (what, may
 * be NULL) with what the decompressor saw. */
static void finish(warc_reader *r, char *what)
{
    r->ended = 1;
    r->have_record = 0;
    if (what && r->dec_reason) {
        r->end_reason = xasprintf("%s; %s", what, r->dec_reason);
        free(what);
    } else if (what) {
        r->end_reason = what;
    } else if (r->dec_reason) {
        r->end_reason = xstrdup(r->dec_reason);
    }
}

/* Skips the current line and every following line until one that starts
 * with "WARC/0." or "WARC/1." (or the end). */
static void resync(warc_reader *r)
{
    r->st.resyncs++;
    int first = 1;
    for (;;) {
        size_t n = win_ensure(r, 8);
        if (n == 0)
            return;
        if (!first && is_warc_line(r->win + r->wpos, n))
            return;
        first = 0;
        const unsigned char *p = memchr(r->win + r->wpos, '\n', r->wlen - r->wpos);
        size_t k = p ? (size_t)(p - (r->win + r->wpos)) + 1 : r->wlen - r->wpos;
        win_take(r, k);
        r->st.skipped_bytes += k;
    }
}

/* Streams past the rest of the current block. */
static void skip_block(warc_reader *r)
{
    while (r->block_left > 0) {
        size_t n = win_ensure(r, 1);
        if (n == 0)
            return;
        if ((uint64_t)n > r->block_left)
            n = (size_t)r->block_left;
        win_take(r, n);
        r->block_left -= n;
    }
}

static void add_field(warc_reader *r, const char *name, size_t nl, const char *value, size_t vl)
{
    /* stored as offsets first; pointers are fixed once strs stops growing */
    if (r->n_fields == r->cap_fields) {
        r->cap_fields = r->cap_fields ? r->cap_fields * 2 : 16;
        r->fields = xrealloc(r->fields, r->cap_fields * sizeof *r->fields);
    }
    r->fields[r->n_fields].name = (const char *)(uintptr_t)r->strs.len;
    ccbuf_append(&r->strs, name, nl);
    ccbuf_putc(&r->strs, 0);
    r->fields[r->n_fields].value = (const char *)(uintptr_t)r->strs.len;
    ccbuf_append(&r->strs, value, vl);
    ccbuf_putc(&r->strs, 0);
    r->n_fields++;
}

static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
        (*n)--;
}

void warc_header_lines(const char *p, const char *end, warc_header_fn fn, void *ctx)
{
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t len = (size_t)(le - p);
        if (len && p[len - 1] == '\r')
            len--;
        int taken = 0;
        if (len > 0 && (p[0] == ' ' || p[0] == '\t')) {
            const char *v = p;
            size_t vl = len;
            trim(&v, &vl);
            taken = fn(NULL, 0, v, vl, ctx);
        }
        if (!taken && len > 0) {
            const char *colon = memchr(p, ':', len);
            if (colon) {
                const char *nm = p, *v = colon + 1;
                size_t nml = (size_t)(colon - p), vl = len - nml - 1;
                trim(&nm, &nml);
                trim(&v, &vl);
                if (nml)
                    fn(nm, nml, v, vl, ctx);
            }
        }
        p = nl ? nl + 1 : end;
    }
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* warc_header_lines' callback: a field into r->fields; a folded line joins
 * the last field's value (not the version line's). */
static int record_field(const char *name, size_t nl, const char *value, size_t vl, void *ctx)
{
    warc_reader *r = ctx;
    if (name) {
        add_field(r, name, nl, value, vl);
        return 1;
    }
    if (r->n_fields <= 1)
        return 0;
    if (vl) {
        r->strs.len--; /* drop the value's NUL */
        ccbuf_putc(&r->strs, ' ');
        ccbuf_append(&r->strs, value, vl);
        ccbuf_putc(&r->strs, 0);
    }
    return 1;
}

/* Parses the header block h[0..n) (starting with the version line, ending
 * before the blank line) into r->fields. */
static void parse_header(warc_reader *r, const char *h, size_t n, warc_record *rec)
{
    r->n_fields = 0;
    ccbuf_reset(&r->strs);
    size_t vlen = 0;
    while (vlen < n && h[vlen] != '\n' && h[vlen] != '\r')
        vlen++;
    add_field(r, "", 0, h, vlen); /* the version line, kept as field 0 */
    warc_header_lines(h + vlen, h + n, record_field, r);
    for (size_t i = 0; i < r->n_fields; i++) {
        r->fields[i].name = (const char *)r->strs.data + (uintptr_t)r->fields[i].name;
        r->fields[i].value = (const char *)r->strs.data + (uintptr_t)r->fields[i].value;
    }
    memset(rec, 0, sizeof *rec);
    rec->version = r->fields[0].value;
    rec->fields = r->fields + 1;
    rec->n_fields = r->n_fields - 1;
    const char *t = warc_field_get(rec, "WARC-Type");
    rec->type_name = t ? t : "";
    rec->type = WARC_OTHER;
    for (size_t i = 1; i < sizeof type_names / sizeof type_names[0]; i++)
        if (t && strcasecmp(t, type_names[i]) == 0)
            rec->type = (warc_type)i;
    const char *u = warc_field_get(rec, "WARC-Target-URI");
    if (u && u[0] == '<') {
        /* "<uri>" as some WARC/1.1 writers emit: strip in place */
        char *m = (char *)u;
        size_t ul = strlen(m);
        if (ul >= 2 && m[ul - 1] == '>') {
            memmove(m, m + 1, ul - 2);
            m[ul - 2] = 0;
        }
    }
    rec->target_uri = u && *u ? u : NULL;
    rec->date = warc_field_get(rec, "WARC-Date");
    rec->record_id = warc_field_get(rec, "WARC-Record-ID");
    rec->content_type = warc_field_get(rec, "Content-Type");
}

/* Finds the blank line ending a header in p[0..n): returns the length of the
 * header (without the blank line) and sets *hdr_total to header + blank line;
 * -1 when there is none. */
static long header_end(const unsigned char *p, size_t n, size_t *hdr_total)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n')
            continue;
        if (i + 1 < n && p[i + 1] == '\n') {
            *hdr_total = i + 2;
            return (long)i;
        }
        if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n') {
            *hdr_total = i + 3;
            return (long)i;
        }
    }
    return -1;
}

int warc_next(warc_reader *r, warc_record *rec)
{
    if (r->ended)
        return 0;
    if (r->have_record) {
        skip_block(r);
        if (r->block_left > 0) {
            finish(r, xasprintf("truncated record at offset %llu: %llu of %llu block bytes present",
                                (unsigned long long)r->rec_offset,
                                (unsigned long long)(r->rec_length - r->block_left),
                                (unsigned long long)r->rec_length));
            return 0;
        }
        r->have_record = 0;
    }
    for (;;) {
        /* whitespace between records */
        for (;;) {
            size_t n = win_ensure(r, 1);
            if (n == 0)
                break;
            const unsigned char *p = r->win + r->wpos;
            size_t k = 0;
            while (k < n && (p[k] == '\r' || p[k] == '\n'))
                k++;
            win_take(r, k);
            if (k < n)
                break;
        }
        size_t n = win_ensure(r, MAX_HEADER);
        if (n == 0) {
            finish(r, NULL);
            return 0;
        }
        const unsigned char *p = r->win + r->wpos;
        if (!is_warc_line(p, n)) {
            if (r->st.records == 0 && r->st.resyncs == 0) {
                char shown[33];
                size_t k = 0;
                for (; k < n && k < 16; k++)
                    shown[k] = p[k] >= 0x20 && p[k] < 0x7f ? (char)p[k] : '.';
                shown[k] = 0;
                finish(r, xasprintf("not a WARC file (starts with \"%s\"%s)", shown,
                                    r->st.gzip ? " after gunzip" : ""));
                return 0;
            }
            resync(r);
            continue;
        }
        size_t total = 0;
        long hl = header_end(p, n, &total);
        if (hl < 0) {
            if (n < MAX_HEADER && r->dec_eof) {
                finish(r, xasprintf("truncated record header at offset %llu", (unsigned long long)stream_pos(r)));
                return 0;
            }
            resync(r); /* a header over 64 KiB is not a header */
            continue;
        }
        uint64_t off = stream_pos(r);
        parse_header(r, (const char *)p, (size_t)hl, rec);
        uint64_t cl;
        const char *cls = warc_field_get(rec, "Content-Length");
        if (parse_u64(cls, &cl) != 0) {
            resync(r); /* no way to know where the block ends */
            continue;
        }
        win_take(r, total);
        rec->content_length = cl;
        rec->offset = off;
        r->rec_offset = off;
        r->rec_length = cl;
        r->block_left = cl;
        r->block_taken = 0;
        r->have_record = 1;
        r->st.records++;
        return 1;
    }
}

warc_block_status warc_read_block(warc_reader *r, const unsigned char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (!r->have_record || r->block_taken)
        return WARC_BLOCK_GONE;
    if (r->block_left > r->o.max_block)
        return WARC_BLOCK_TOO_LARGE;
    r->block_taken = 1;
    ccbuf_reset(&r->block);
    ccbuf_reserve(&r->block, (size_t)r->block_left);
    while (r->block_left > 0) {
        size_t n = win_ensure(r, 1);
        if (n == 0)
            break;
        if ((uint64_t)n > r->block_left)
            n = (size_t)r->block_left;
        ccbuf_append(&r->block, r->win + r->wpos, n);
        win_take(r, n);
        r->block_left -= n;
    }
    ccbuf_append(&r->block, "", 0); /* the NUL terminator, also for an empty block */
    *data = r->block.data;
    *len = r->block.len;
    return r->block_left > 0 ? WARC_BLOCK_TRUNCATED : WARC_BLOCK_OK;
}

const char *warc_end_reason(const warc_reader *r)
{
    return r->end_reason;
}

void warc_stats(const warc_reader *r, warc_stats_t *out)
{
    *out = r->st;
}
