/* warc-http.c — the HTTP message inside a WARC record: headers, de-chunking
 * and content decoding, tolerant of what archives hold (see warc.h). */
#include <brotli/decode.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#include "common.h"
#include "warc.h"

#define MAX_HTTP_HEADER (64u * 1024u)
#define DEFAULT_MAX_PAYLOAD (64u << 20)

void warc_http_free(warc_http *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_fields; i++) {
        free(h->fields[i].name);
        free(h->fields[i].value);
    }
    free(h->fields);
    free(h->start_line);
    free(h->payload);
    memset(h, 0, sizeof *h);
}

const char *warc_http_get(const warc_http *h, const char *name)
{
    for (size_t i = 0; i < h->n_fields; i++)
        if (strcasecmp(h->fields[i].name, name) == 0)
            return h->fields[i].value;
    return NULL;
}

char *warc_http_get_all(const warc_http *h, const char *name)
{
    ccbuf b = {0};
    int any = 0;
    for (size_t i = 0; i < h->n_fields; i++)
        if (strcasecmp(h->fields[i].name, name) == 0) {
            if (any)
                ccbuf_putc(&b, '\n');
            ccbuf_puts(&b, h->fields[i].value);
            any = 1;
        }
    if (!any)
        return NULL;
    return ccbuf_detach(&b, NULL);
}

int warc_is_html_type(const char *ct)
{
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, "; \t");
    return (n == 9 && strncasecmp(ct, "text/html", 9) == 0) ||
           (n == 21 && strncasecmp(ct, "application/xhtml+xml", 21) == 0);
}

/* 1 when the comma-separated list value holds token (case-insensitive). */
static int has_token(const char *value, const char *token)
{
    size_t tl = strlen(token);
    const char *p = value;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, ",; \t");
        if (n == tl && strncasecmp(p, token, tl) == 0)
            return 1;
        p += n;
        p = strchr(p, ',');
    }
    return 0;
}

static void add_field(warc_http *h, const char *name, size_t nl, const char *value, size_t vl)
{
    h->fields = xrealloc(h->fields, (h->n_fields + 1) * sizeof *h->fields);
    h->fields[h->n_fields].name = xstrndup(name, nl);
    h->fields[h->n_fields].value = xstrndup(value, vl);
    h->n_fields++;
}

/* warc_header_lines' callback: a field into h->fields; a folded line joins
 * the last field's value. */
static int http_field(const char *name, size_t nl, const char *value, size_t vl, void *ctx)
{
    warc_http *h = ctx;
    if (name) {
        add_field(h, name, nl, value, vl);
        return 1;
    }
    if (!h->n_fields)
        return 0;
    warc_http_field *f = &h->fields[h->n_fields - 1];
    char *joined = xasprintf("%s %.*s", f->value, (int)vl, value);
    free(f->value);
    f->value = joined;
    return 1;
}

/* ---- chunked transfer coding ------------------------------------------------------- */

/* Parses one chunk-size line at p[0..n): returns the bytes it takes (line
 * included) and the size in *size, or 0 when it is not a chunk-size line. */
static size_t chunk_line(const unsigned char *p, size_t n, uint64_t *size)
{
    size_t i = 0;
    uint64_t v = 0;
    int digits = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    for (; i < n; i++) {
        int d;
        if (p[i] >= '0' && p[i] <= '9')
            d = p[i] - '0';
        else if (p[i] >= 'a' && p[i] <= 'f')
            d = p[i] - 'a' + 10;
        else if (p[i] >= 'A' && p[i] <= 'F')
            d = p[i] - 'A' + 10;
        else
            break;
        if (++digits > 15)
            return 0;
        v = v * 16 + (uint64_t)d;
    }
    if (!digits || i >= n)
        return 0;
    if (p[i] != ';' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
        return 0;
    /* chunk extensions up to the line end, bounded */
    size_t lim = i + 1024 < n ? i + 1024 : n;
    while (i < lim && p[i] != '\n')
        i++;
    if (i >= lim)
        return 0;
    *size = v;
    return i + 1;
}

/* Undoes chunked coding of b[0..n) into out (at most cap bytes). Returns the
 * WARC_HTTP_* flags that apply. */
static unsigned dechunk(const unsigned char *b, size_t n, size_t cap, ccbuf *out)
{
    ccbuf_reserve(out, n < cap ? n : cap);
    size_t pos = 0;
    int first = 1;
    for (;;) {
        uint64_t size = 0;
        size_t k = chunk_line(b + pos, n - pos, &size);
        if (k == 0) {
            if (first)
                goto not_chunked;
            return WARC_HTTP_DECHUNKED | WARC_HTTP_BAD_CHUNKS;
        }
        if (size == 0)
            return WARC_HTTP_DECHUNKED; /* last chunk; trailers ignored */
        pos += k;
        size_t left = n - pos;
        if (size > left) {
            /* cut short (a truncated record): keep what is there */
            if (first && left == 0)
                goto not_chunked;
            size_t take = left;
            if (out->len + take > cap)
                take = cap - out->len;
            ccbuf_append(out, b + pos, take);
            return WARC_HTTP_DECHUNKED | WARC_HTTP_BAD_CHUNKS | (take < left ? WARC_HTTP_CUT : 0);
        }
        size_t take = (size_t)size;
        if (out->len + take > cap) {
            ccbuf_append(out, b + pos, cap - out->len);
            return WARC_HTTP_DECHUNKED | WARC_HTTP_CUT;
        }
        /* the chunk's data must be followed by CRLF (or LF); at the very end
         * of the body a missing one is a cut, not a format error */
        size_t after = pos + take;
        int crlf = (after + 1 < n && b[after] == '\r' && b[after + 1] == '\n') || (after < n && b[after] == '\n');
        if (!crlf && after < n) {
            if (first)
                goto not_chunked;
            ccbuf_append(out, b + pos, take);
            return WARC_HTTP_DECHUNKED | WARC_HTTP_BAD_CHUNKS;
        }
        ccbuf_append(out, b + pos, take);
        if (!crlf)
            return WARC_HTTP_DECHUNKED | WARC_HTTP_BAD_CHUNKS;
        pos = after + (b[after] == '\r' ? 2 : 1);
        first = 0;
    }
not_chunked:
    ccbuf_reset(out);
    ccbuf_append(out, b, n < cap ? n : cap);
    return WARC_HTTP_NOT_CHUNKED | (n > cap ? WARC_HTTP_CUT : 0);
}

/* ---- content codings --------------------------------------------------------------- */

/* Each decoder returns 1 when the stream ended cleanly, 0 when the input ran
 * out (or the output hit cap: *cut set) first, -1 on a format error; out
 * holds what decoded either way. */
static int inflate_any(const unsigned char *in, size_t n, int window_bits, size_t cap, ccbuf *out, int *cut)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, window_bits) != Z_OK)
        abort();
    unsigned char tmp[65536];
    int result = 0;
    size_t pos = 0;
    for (;;) {
        zs.next_in = (unsigned char *)in + pos;
        zs.avail_in = (uInt)(n - pos > (1u << 30) ? (1u << 30) : n - pos);
        zs.next_out = tmp;
        zs.avail_out = sizeof tmp;
        size_t before = zs.avail_in;
        int rc = inflate(&zs, Z_NO_FLUSH);
        pos += before - zs.avail_in;
        size_t got = sizeof tmp - zs.avail_out;
        if (out->len + got > cap) {
            ccbuf_append(out, tmp, cap - out->len);
            *cut = 1;
            result = 0;
            break;
        }
        ccbuf_append(out, tmp, got);
        if (rc == Z_STREAM_END) {
            /* another gzip member may follow */
            if (pos + 2 < n && in[pos] == 0x1f && in[pos + 1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            result = 1;
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            result = -1;
            break;
        }
        if (got == 0 && (pos >= n || rc == Z_BUF_ERROR)) {
            result = 0; /* input exhausted */
            break;
        }
    }
    inflateEnd(&zs);
    return result;
}

static int brotli_decode(const unsigned char *in, size_t n, size_t cap, ccbuf *out, int *cut)
{
    BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!s)
        abort();
    unsigned char tmp[65536];
    const uint8_t *next_in = in;
    size_t avail_in = n;
    int result = 0;
    for (;;) {
        uint8_t *next_out = tmp;
        size_t avail_out = sizeof tmp;
        BrotliDecoderResult rc = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, NULL);
        size_t got = sizeof tmp - avail_out;
        if (out->len + got > cap) {
            ccbuf_append(out, tmp, cap - out->len);
            *cut = 1;
            break;
        }
        ccbuf_append(out, tmp, got);
        if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
            result = 1;
            break;
        }
        if (rc == BROTLI_DECODER_RESULT_ERROR) {
            result = -1;
            break;
        }
        if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
            break;
    }
    BrotliDecoderDestroyInstance(s);
    return result;
}

static int zstd_decode(const unsigned char *in, size_t n, size_t cap, ccbuf *out, int *cut)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds)
        abort();
    ZSTD_initDStream(ds);
    unsigned char tmp[65536];
    ZSTD_inBuffer ib = {in, n, 0};
    int result = 0;
    for (;;) {
        ZSTD_outBuffer ob = {tmp, sizeof tmp, 0};
        size_t rc = ZSTD_decompressStream(ds, &ob, &ib);
        if (ZSTD_isError(rc)) {
            result = -1;
            break;
        }
        if (out->len + ob.pos > cap) {
            ccbuf_append(out, tmp, cap - out->len);
            *cut = 1;
            break;
        }
        ccbuf_append(out, tmp, ob.pos);
        if (rc == 0 && ib.pos == ib.size) {
            result = 1;
            break;
        }
        if (ob.pos == 0 && ib.pos == ib.size)
            break;
    }
    ZSTD_freeDStream(ds);
    return result;
}

/* Undoes one content coding of cur into out; returns the flags. */
static unsigned decode_one(const char *coding, size_t cl, const ccbuf *cur, size_t cap, ccbuf *out)
{
    int cut = 0, rc;
    if ((cl == 4 && strncasecmp(coding, "gzip", 4) == 0) || (cl == 6 && strncasecmp(coding, "x-gzip", 6) == 0)) {
        rc = inflate_any(cur->data, cur->len, 15 + 32, cap, out, &cut);
    } else if (cl == 7 && strncasecmp(coding, "deflate", 7) == 0) {
        rc = inflate_any(cur->data, cur->len, 15 + 32, cap, out, &cut);
        if (rc < 0 && out->len == 0) {
            /* raw deflate without the zlib wrapper, as some servers send */
            ccbuf_reset(out);
            cut = 0;
            rc = inflate_any(cur->data, cur->len, -15, cap, out, &cut);
        }
    } else if (cl == 2 && strncasecmp(coding, "br", 2) == 0) {
        rc = brotli_decode(cur->data, cur->len, cap, out, &cut);
    } else if ((cl == 4 && strncasecmp(coding, "zstd", 4) == 0)) {
        rc = zstd_decode(cur->data, cur->len, cap, out, &cut);
    } else {
        return WARC_HTTP_UNKNOWN_ENCODING;
    }
    if (cut)
        return WARC_HTTP_DECODED | WARC_HTTP_CUT;
    if (rc == 1)
        return WARC_HTTP_DECODED;
    if (out->len == 0) {
        /* nothing decoded: the archive stored it decoded (or it is garbage) */
        return WARC_HTTP_NOT_ENCODED;
    }
    return WARC_HTTP_DECODED | WARC_HTTP_BAD_ENCODING;
}

/* Undoes the codings listed in value (applied left to right, so undone
 * right to left) on *body. */
static unsigned decode_content(const char *value, size_t cap, ccbuf *body)
{
    const char *codings[4];
    size_t lens[4];
    int nc = 0;
    for (const char *p = value; *p && nc < 4;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, ", \t;");
        if (n && !(n == 8 && strncasecmp(p, "identity", 8) == 0)) {
            codings[nc] = p;
            lens[nc] = n;
            nc++;
        }
        p += n;
        while (*p && *p != ',')
            p++;
    }
    unsigned flags = 0;
    for (int i = nc - 1; i >= 0; i--) {
        ccbuf out = {0};
        unsigned f = decode_one(codings[i], lens[i], body, cap, &out);
        flags |= f;
        if (f & (WARC_HTTP_NOT_ENCODED | WARC_HTTP_UNKNOWN_ENCODING)) {
            ccbuf_free(&out);
            break; /* keep the body as stored */
        }
        ccbuf_free(body);
        *body = out;
        if (f & (WARC_HTTP_CUT | WARC_HTTP_BAD_ENCODING))
            break;
    }
    if ((flags & WARC_HTTP_DECODED) && (flags & WARC_HTTP_NOT_ENCODED))
        flags &= ~(unsigned)WARC_HTTP_NOT_ENCODED; /* the outer coding decoded */
    return flags;
}

/* ---- the message ------------------------------------------------------------------- */

static int is_start_line(const unsigned char *p, size_t n)
{
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
        return 1;
    /* request line: METHOD SP target SP HTTP/x */
    size_t i = 0;
    while (i < n && i < 32 && p[i] >= 'A' && p[i] <= 'Z')
        i++;
    if (i == 0 || i >= n || p[i] != ' ')
        return 0;
    const unsigned char *nl = memchr(p, '\n', n < 16384 ? n : 16384);
    size_t ll = nl ? (size_t)(nl - p) : (n < 16384 ? n : 16384);
    for (size_t k = i; k + 6 <= ll; k++)
        if (memcmp(p + k, " HTTP/", 6) == 0)
            return 1;
    return 0;
}

int warc_http_parse(const unsigned char *block, size_t n, size_t max_payload, warc_http *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (max_payload == 0)
        max_payload = DEFAULT_MAX_PAYLOAD;
    if (!is_start_line(block, n)) {
        cc_seterr(err, errlen, "not an HTTP message (no status or request line)");
        return -1;
    }
    /* the header ends at the first blank line */
    size_t scan = n < MAX_HTTP_HEADER ? n : MAX_HTTP_HEADER;
    size_t hlen = 0, body = 0;
    int found = 0;
    for (size_t i = 0; i < scan; i++) {
        if (block[i] != '\n')
            continue;
        if (i + 1 < n && block[i + 1] == '\n') {
            hlen = i;
            body = i + 2;
            found = 1;
            break;
        }
        if (i + 2 < n && block[i + 1] == '\r' && block[i + 2] == '\n') {
            hlen = i;
            body = i + 3;
            found = 1;
            break;
        }
    }
    if (!found) {
        if (n > MAX_HTTP_HEADER) {
            cc_seterr(err, errlen, "HTTP header block over %u KiB", MAX_HTTP_HEADER / 1024);
            return -1;
        }
        hlen = n;
        body = n;
        out->flags |= WARC_HTTP_NO_BODY_END;
    }
    const char *h = (const char *)block;
    const char *end = h + hlen;
    const char *nl = memchr(h, '\n', hlen);
    const char *le = nl ? nl : end;
    size_t sl = (size_t)(le - h);
    if (sl && h[sl - 1] == '\r')
        sl--;
    out->start_line = xstrndup(h, sl);
    if (strncmp(out->start_line, "HTTP/", 5) == 0) {
        const char *sp = strchr(out->start_line, ' ');
        if (sp) {
            int code = 0, k = 0;
            for (sp++; *sp >= '0' && *sp <= '9' && k < 3; sp++, k++)
                code = code * 10 + (*sp - '0');
            out->status = k == 3 ? code : 0;
        }
    }
    warc_header_lines(nl ? nl + 1 : end, end, http_field, out);
    ccbuf pay = {0};
    const unsigned char *b = block + body;
    size_t bl = n - body;
    const char *te = warc_http_get(out, "Transfer-Encoding");
    if (te && has_token(te, "chunked")) {
        out->flags |= dechunk(b, bl, max_payload, &pay);
    } else {
        ccbuf_reserve(&pay, bl < max_payload ? bl : max_payload);
        if (bl > max_payload) {
            bl = max_payload;
            out->flags |= WARC_HTTP_CUT;
        }
        ccbuf_append(&pay, b, bl);
    }
    const char *ce = warc_http_get(out, "Content-Encoding");
    if (ce && pay.len)
        out->flags |= decode_content(ce, max_payload, &pay);
    ccbuf_append(&pay, "", 0); /* the NUL terminator, also for an empty payload */
    out->payload_len = pay.len;
    out->payload = (unsigned char *)ccbuf_detach(&pay, NULL);
    return 0;
}
