/* test_warc.c — the WARC/WAT reader (crawler/warc.h, crawler/wat.h):
 * every file of tests/data/warc (copied from the conformance set) read to
 * its end with the expected record counts, the images of every HTML
 * response against expected_images.json (the oracle), HTTP de-chunking and
 * content decoding traps, damaged streams (truncated, corrupt gzip,
 * garbage, missing Content-Length), bounded memory on a huge record, the
 * hand-made WAT file, and the fuzz target over the data and mutations of it. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "check.h"
#include "common.h"
#include "extract.h"
#include "json.h"
#include "optout.h"
#include "url.h"
#include "warc-images.h"
#include "warc.h"
#include "wat.h"

#include "fuzz/fuzz_dir.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *data_path(const char *rel)
{
    const char *t = getenv("CLIPCRAWL_TESTS");
    return xasprintf("%s/data/warc/%s", t ? t : "tests", rel);
}

/* ---- every file: records, end state ------------------------------------------------- */

typedef struct {
    const char *file;
    int records;
    int resyncs;   /* exact */
    int members;   /* gzip members, -1 for plain */
} file_case;

static const file_case files[] = {
    {"cc-whirlwind/whirlwind.warc.gz", 4, 0, 4},
    {"cc-whirlwind/whirlwind.warc.wat.gz", 2, 0, 2},
    {"cc-whirlwind/whirlwind.warc.wet.gz", 2, 0, 2},
    {"pywb/iana.warc.gz", 343, 0, 343},
    {"ia-web-commons/IAH-urls-wget.warc.gz", 36, 0, 36},
    {"ia-web-commons/link-extraction-test.warc", 10, 0, -1},
    {"warcio/example.warc.gz", 6, 0, 6},
    {"warcio/example-iana.org-chunked.warc", 3, 0, -1},
    /* the response's Content-Length is 2 bytes short: one resync finds the request */
    {"warcio/example-trunc.warc", 4, 1, -1},
    /* 3 gzip members for 2 records, split inside the response */
    {"warcio/example-wrong-chunks.warc.gz", 2, 0, 3},
    /* the whole file as one member */
    {"warcio/example-bad-non-chunked.warc.gz", 6, 0, 1},
    {"wat/images.warc.wat.gz", 9, 0, 9},
};

static void test_files(void)
{
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const file_case *fc = &files[i];
        char *p = data_path(fc->file);
        char err[256];
        warc_reader *r = warc_open(p, NULL, err, sizeof err);
        CHECK(r != NULL, "%s", err);
        if (!r) {
            free(p);
            continue;
        }
        warc_record rec;
        int n = 0, http_ok = 0, http_msgs = 0;
        while (warc_next(r, &rec) == 1) {
            n++;
            CHECK(strncmp(rec.version, "WARC/1.", 7) == 0, "%s: version %s", fc->file, rec.version);
            if (rec.type == WARC_RESPONSE || rec.type == WARC_REQUEST || rec.type == WARC_REVISIT) {
                const unsigned char *b;
                size_t len;
                warc_block_status bs = warc_read_block(r, &b, &len);
                CHECK(bs == WARC_BLOCK_OK, "%s #%d: block status %d", fc->file, n, bs);
                warc_http h;
                http_msgs++;
                if (warc_http_parse(b, len, 0, &h, err, sizeof err) == 0)
                    http_ok++;
                else
                    fprintf(stderr, "%s #%d: %s\n", fc->file, n, err);
                warc_http_free(&h);
            }
        }
        warc_stats_t st;
        warc_stats(r, &st);
        CHECK(n == fc->records, "%s: %d records, want %d", fc->file, n, fc->records);
        CHECK((int)st.resyncs == fc->resyncs, "%s: %d resyncs, want %d", fc->file, (int)st.resyncs, fc->resyncs);
        CHECK(warc_end_reason(r) == NULL, "%s: ended with '%s'", fc->file, warc_end_reason(r));
        if (fc->members >= 0)
            CHECK(st.gzip && (int)st.gzip_members == fc->members, "%s: %d members", fc->file, (int)st.gzip_members);
        else
            CHECK(!st.gzip, "%s: plain", fc->file);
        CHECK(http_ok == http_msgs, "%s: %d of %d HTTP messages parse", fc->file, http_ok, http_msgs);
        warc_close(r);
        free(p);
    }
    /* every WARC-ish file in the data directory is in the table above */
    const char *dirs[] = {"cc-whirlwind", "pywb", "ia-web-commons", "warcio", "wat"};
    for (size_t d = 0; d < 5; d++) {
        char *dp = data_path(dirs[d]);
        DIR *dir = opendir(dp);
        CHECK(dir != NULL, "open %s", dp);
        struct dirent *e;
        while (dir && (e = readdir(dir)) != NULL) {
            if (!strstr(e->d_name, ".warc") && !strstr(e->d_name, ".wat"))
                continue;
            char *rel = xasprintf("%s/%s", dirs[d], e->d_name);
            int known = 0;
            for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
                known |= strcmp(files[i].file, rel) == 0;
            CHECK(known, "%s is not covered by the file table", rel);
            free(rel);
        }
        if (dir)
            closedir(dir);
        free(dp);
    }
}

/* ---- the oracle: images and alt of every HTML response ------------------------------- */

static char *norm_ws(const char *s)
{
    ccbuf b = {0};
    int sp = 0;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            sp = b.len > 0;
            continue;
        }
        if (sp)
            ccbuf_putc(&b, ' ');
        sp = 0;
        ccbuf_putc(&b, c);
    }
    ccbuf_putc(&b, 0);
    return ccbuf_detach(&b, NULL);
}

/* 1 when extracted image im is the expected image e (its src, data-src or a
 * srcset candidate, resolved against base). */
static int same_image(const extract_image *im, const json_value *e, const char *base)
{
    const char *cands[64];
    int nc = 0;
    char *owned[64];
    int no = 0;
    const char *abs = json_get_string(e, "abs_url", NULL);
    if (abs) {
        char *u = url_normalize(abs, NULL, 0);
        if (u)
            cands[nc++] = owned[no++] = u;
    }
    const char *ds = json_get_string(e, "data-src", NULL);
    if (ds) {
        char *u = url_resolve(base, ds, NULL, 0);
        if (u)
            cands[nc++] = owned[no++] = u;
    }
    const char *ss = json_get_string(e, "srcset", NULL);
    if (ss) {
        char *copy = xstrdup(ss);
        for (char *tok = strtok(copy, ","); tok && nc < 60; tok = strtok(NULL, ",")) {
            while (*tok == ' ')
                tok++;
            char *sp = strchr(tok, ' ');
            if (sp)
                *sp = 0;
            char *u = url_resolve(base, tok, NULL, 0);
            if (u)
                cands[nc++] = owned[no++] = u;
        }
        free(copy);
    }
    int hit = 0;
    for (int i = 0; i < nc && !hit; i++)
        hit = strcmp(cands[i], im->url) == 0 || (im->fallback_url && strcmp(cands[i], im->fallback_url) == 0);
    for (int i = 0; i < no; i++)
        free(owned[i]);
    return hit;
}

static void test_oracle(void)
{
    char *op = data_path("expected_images.json");
    ccbuf js = {0};
    CHECK(cc_read_file(op, &js) == CC_OK, "read %s", op);
    char err[256];
    json_value *root = json_parse((const char *)js.data, js.len, err, sizeof err);
    CHECK(root && root->type == JSON_OBJECT, "oracle: %s", err);
    int want = 0, found = 0, same = 0, pages = 0;
    for (size_t f = 0; root && f < root->len; f++) {
        const char *file = root->keys[f];
        const json_value *recs = root->items[f];
        char *p = data_path(file);
        warc_reader *r = warc_open(p, NULL, err, sizeof err);
        CHECK(r != NULL, "%s", err);
        warc_record rec;
        while (r && warc_next(r, &rec) == 1) {
            if (rec.type != WARC_RESPONSE || !rec.target_uri)
                continue;
            /* the oracle record for this URI + date */
            const json_value *ex = NULL;
            for (size_t k = 0; k < recs->len && !ex; k++) {
                const json_value *o = recs->items[k];
                const char *ou = json_get_string(o, "warc_target_uri", "");
                size_t oul = strlen(ou);
                if (ou[0] == '<' && oul > 2) /* the oracle keeps WARC/1.1's <uri> form */
                    ou++, oul -= 2;
                if (oul == strlen(rec.target_uri) && strncmp(ou, rec.target_uri, oul) == 0 &&
                    strcmp(json_get_string(o, "warc_date", ""), rec.date ? rec.date : "") == 0)
                    ex = o;
            }
            if (!ex)
                continue;
            const unsigned char *b;
            size_t len;
            warc_read_block(r, &b, &len);
            warc_http h;
            if (warc_http_parse(b, len, 0, &h, err, sizeof err) != 0) {
                CHECK(0, "%s %s: %s", file, rec.target_uri, err);
                continue;
            }
            pages++;
            extract_result xr;
            int xrc = extract_page_opts((const char *)h.payload, h.payload_len, rec.target_uri,
                                        warc_http_get(&h, "Content-Type"), NULL, &xr, err, sizeof err);
            CHECK(xrc == 0, "%s %s: extract: %s", file, rec.target_uri, err);
            const json_value *imgs = json_get(ex, "images");
            for (size_t k = 0; xrc == 0 && imgs && k < imgs->len; k++) {
                const json_value *e = imgs->items[k];
                const char *alt = json_get_string(e, "alt", NULL);
                char *na = norm_ws(alt);
                if (!alt || !na[0]) {
                    free(na);
                    continue;
                }
                want++;
                const extract_image *hit = NULL;
                for (size_t m = 0; m < xr.n_images && !hit; m++)
                    if (same_image(&xr.images[m], e, xr.base_url))
                        hit = &xr.images[m];
                if (hit) {
                    found++;
                    int alt_ok = 0;
                    for (size_t c = 0; c < hit->n_cands; c++)
                        if (hit->cands[c].source == CAPTION_ALT && strcmp(hit->cands[c].text, na) == 0)
                            alt_ok = 1;
                    same += alt_ok;
                    if (!alt_ok)
                        fprintf(stderr, "oracle: %s %s: alt '%s' differs\n", file,
                                json_get_string(e, "abs_url", ""), na);
                } else {
                    fprintf(stderr, "oracle: %s page %s: image %s (alt '%s') not found\n", file, rec.target_uri,
                            json_get_string(e, "abs_url", ""), na);
                }
                free(na);
            }
            extract_result_free(&xr);
            warc_http_free(&h);
        }
        warc_close(r);
        free(p);
    }
    printf("oracle: %d HTML pages, %d alt-bearing images, %d found, %d with the same alt\n", pages, want, found, same);
    CHECK(pages == 43, "%d oracle pages", pages);
    CHECK(want >= 70, "only %d alt-bearing images in the oracle", want);
    CHECK(found * 100 >= want * 98, "found %d of %d (< 98%%)", found, want);
    CHECK(same * 100 >= want * 98, "same alt for %d of %d (< 98%%)", same, want);
    json_free(root);
    ccbuf_free(&js);
    free(op);
}

/* ---- HTTP: chunked, encodings ------------------------------------------------------------ */

static int http(const char *head, const void *body, size_t bl, size_t cap, warc_http *h)
{
    ccbuf b = {0};
    ccbuf_puts(&b, head);
    ccbuf_append(&b, body, bl);
    char err[200];
    int rc = warc_http_parse(b.data, b.len, cap, h, err, sizeof err);
    ccbuf_free(&b);
    return rc;
}

static size_t gz(const char *s, size_t n, unsigned char *out, size_t cap, int bits)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, 6, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (unsigned char *)s;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    size_t len = cap - zs.avail_out;
    deflateEnd(&zs);
    return len;
}

static void test_http(void)
{
    warc_http h;
    const char *page = "<html><body><img src=a.jpg alt='x'></body></html>";
    size_t pl = strlen(page);
    /* real chunks with an extension, trailer ignored */
    const char *ch = "5;ext=1\r\n<html\r\n3\r\n><b\r\n0\r\nX-Trailer: 1\r\n\r\n";
    CHECK_EQ_INT(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n", ch,
                      strlen(ch), 0, &h), 0);
    CHECK_EQ_STR((char *)h.payload, "<html><b");
    CHECK(h.flags == WARC_HTTP_DECHUNKED, "flags %x", h.flags);
    CHECK_EQ_INT(h.status, 200);
    CHECK_EQ_STR(warc_http_get(&h, "content-type"), "text/html");
    warc_http_free(&h);
    /* says chunked, stored de-chunked (pywb/iana) */
    CHECK_EQ_INT(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", page, pl, 0, &h), 0);
    CHECK(h.payload_len == pl && memcmp(h.payload, page, pl) == 0, "not chunked kept");
    CHECK(h.flags == WARC_HTTP_NOT_CHUNKED, "flags %x", h.flags);
    warc_http_free(&h);
    /* a bad chunk size after a good chunk: the good one is kept */
    const char *bad = "4\r\nabcd\r\nzz\r\nefgh\r\n0\r\n\r\n";
    CHECK_EQ_INT(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", bad, strlen(bad), 0, &h), 0);
    CHECK_EQ_STR((char *)h.payload, "abcd");
    CHECK(h.flags & WARC_HTTP_BAD_CHUNKS, "flags %x", h.flags);
    warc_http_free(&h);
    /* a chunk cut short by a truncated record */
    const char *cut = "4\r\nabcd\r\n10\r\nefg";
    CHECK_EQ_INT(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", cut, strlen(cut), 0, &h), 0);
    CHECK_EQ_STR((char *)h.payload, "abcdefg");
    CHECK(h.flags & WARC_HTTP_BAD_CHUNKS, "flags %x", h.flags);
    warc_http_free(&h);
    /* a chunk size too large to hold in 60 bits */
    const char *huge = "ffffffffffffffffff\r\nabc";
    CHECK_EQ_INT(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", huge, strlen(huge), 0, &h), 0);
    CHECK(h.flags & WARC_HTTP_NOT_CHUNKED, "flags %x", h.flags);
    warc_http_free(&h);
    /* gzip, x-gzip, deflate (zlib and raw), zstd */
    unsigned char z[4096];
    struct {
        const char *coding;
        int bits;
    } zc[] = {{"gzip", 31}, {"x-gzip", 31}, {"deflate", 15}, {"deflate", -15}};
    for (int i = 0; i < 4; i++) {
        size_t zl = gz(page, pl, z, sizeof z, zc[i].bits);
        char *head = xasprintf("HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n\r\n", zc[i].coding);
        CHECK_EQ_INT(http(head, z, zl, 0, &h), 0);
        CHECK(h.payload_len == pl && memcmp(h.payload, page, pl) == 0, "%s bits %d decoded", zc[i].coding,
              zc[i].bits);
        CHECK(h.flags == WARC_HTTP_DECODED, "%s flags %x", zc[i].coding, h.flags);
        warc_http_free(&h);
        /* cut in half: what decoded is kept */
        CHECK_EQ_INT(http(head, z, zl / 2, 0, &h), 0);
        CHECK(h.payload_len < pl && memcmp(h.payload, page, h.payload_len) == 0, "%s half", zc[i].coding);
        CHECK(h.flags & WARC_HTTP_BAD_ENCODING || h.flags & WARC_HTTP_NOT_ENCODED, "%s half flags %x",
              zc[i].coding, h.flags);
        warc_http_free(&h);
        free(head);
    }
    size_t zl = ZSTD_compress(z, sizeof z, page, pl, 3);
    CHECK_EQ_INT(http("HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\n\r\n", z, zl, 0, &h), 0);
    CHECK(h.payload_len == pl && memcmp(h.payload, page, pl) == 0, "zstd");
    warc_http_free(&h);
    /* a brotli stream: the 'br' encoding of "hello" (quality 11, from brotli -c) */
    static const unsigned char br[] = {0x0b, 0x02, 0x80, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x03};
    CHECK_EQ_INT(http("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n", br, sizeof br, 0, &h), 0);
    CHECK(h.payload_len == 5 && memcmp(h.payload, "hello", 5) == 0 && h.flags == WARC_HTTP_DECODED,
          "br: '%s' flags %x", (char *)h.payload, h.flags);
    warc_http_free(&h);
    /* chunked AND gzip, as servers send */
    zl = gz(page, pl, z, sizeof z, 31);
    ccbuf cz = {0};
    ccbuf_printf(&cz, "%zx\r\n", zl / 2);
    ccbuf_append(&cz, z, zl / 2);
    ccbuf_printf(&cz, "\r\n%zx\r\n", zl - zl / 2);
    ccbuf_append(&cz, z + zl / 2, zl - zl / 2);
    ccbuf_puts(&cz, "\r\n0\r\n\r\n");
    CHECK_EQ_INT(
        http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n", cz.data, cz.len, 0, &h),
        0);
    CHECK(h.payload_len == pl && memcmp(h.payload, page, pl) == 0, "chunked+gzip");
    CHECK(h.flags == (WARC_HTTP_DECHUNKED | WARC_HTTP_DECODED), "flags %x", h.flags);
    warc_http_free(&h);
    ccbuf_free(&cz);
    /* says gzip, stored decoded */
    CHECK_EQ_INT(http("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", page, pl, 0, &h), 0);
    CHECK(h.payload_len == pl && h.flags == WARC_HTTP_NOT_ENCODED, "stored decoded: flags %x", h.flags);
    warc_http_free(&h);
    /* an encoding we do not know */
    CHECK_EQ_INT(http("HTTP/1.1 200 OK\r\nContent-Encoding: compress\r\n\r\n", page, pl, 0, &h), 0);
    CHECK(h.flags == WARC_HTTP_UNKNOWN_ENCODING && h.payload_len == pl, "flags %x", h.flags);
    warc_http_free(&h);
    /* a gzip bomb stops at max_payload */
    size_t big = 8u << 20;
    char *zeros = xcalloc(1, big);
    unsigned char *bz = xmalloc(big);
    size_t bzl = gz(zeros, big, bz, big, 31);
    CHECK_EQ_INT(http("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", bz, bzl, 100000, &h), 0);
    CHECK(h.payload_len == 100000 && (h.flags & WARC_HTTP_CUT), "bomb: %zu flags %x", h.payload_len, h.flags);
    warc_http_free(&h);
    free(zeros);
    free(bz);
    /* headers: folding, repeated X-Robots-Tag, LF-only lines */
    CHECK_EQ_INT(http("HTTP/1.0 404 Not Found\nX-Robots-Tag: noai\nX-Long: a\n  b\nx-robots-tag: clipcrawl: noimageai\n\nbody",
                      "", 0, 0, &h),
                 0);
    CHECK_EQ_INT(h.status, 404);
    CHECK_EQ_STR(warc_http_get(&h, "X-Long"), "a b");
    char *xr = warc_http_get_all(&h, "X-Robots-Tag");
    CHECK_EQ_STR(xr, "noai\nclipcrawl: noimageai");
    free(xr);
    CHECK(warc_http_get_all(&h, "nope") == NULL, "absent header");
    CHECK_EQ_STR((char *)h.payload, "body");
    warc_http_free(&h);
    /* a request; a header without the blank line; not HTTP; a huge header */
    CHECK_EQ_INT(http("GET /x HTTP/1.1\r\nHost: a\r\n\r\n", "", 0, 0, &h), 0);
    CHECK(h.status == 0 && strcmp(h.start_line, "GET /x HTTP/1.1") == 0, "request");
    warc_http_free(&h);
    CHECK_EQ_INT(http("HTTP/1.1 304 Not Modified\r\nETag: x", "", 0, 0, &h), 0);
    CHECK(h.payload_len == 0 && (h.flags & WARC_HTTP_NO_BODY_END), "no blank line");
    warc_http_free(&h);
    CHECK_EQ_INT(http("<html>", "", 0, 0, &h), -1);
    char *hh = xmalloc(70000);
    memcpy(hh, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(hh + 20, 'a', 70000 - 21);
    hh[69999] = 0;
    CHECK_EQ_INT(http(hh, "", 0, 0, &h), -1);
    free(hh);
    CHECK(warc_is_html_type("text/html; charset=utf-8") && warc_is_html_type(" Application/XHTML+XML") &&
              !warc_is_html_type("text/htmlx") && !warc_is_html_type("image/jpeg") && !warc_is_html_type(NULL),
          "html types");
}

/* ---- damaged and synthetic streams ------------------------------------------------------- */

static char *rec(const char *type, const char *uri, const char *body)
{
    return xasprintf("WARC/1.0\r\nWARC-Type: %s\r\n%s%s%sContent-Length: %zu\r\n\r\n%s\r\n\r\n", type,
                     uri ? "WARC-Target-URI: " : "", uri ? uri : "", uri ? "\r\n" : "", strlen(body), body);
}

/* Reads everything; returns the record count, fills the types seen. */
static int read_all(const void *d, size_t n, const warc_options *o, warc_stats_t *st, char *reason, size_t rl,
                    char *types, size_t tl)
{
    warc_reader *r = warc_open_mem(d, n, o);
    warc_record x;
    int k = 0;
    if (types)
        types[0] = 0;
    while (warc_next(r, &x) == 1) {
        k++;
        if (types) {
            strncat(types, x.type_name, tl - strlen(types) - 2);
            strncat(types, ",", tl - strlen(types) - 1);
        }
    }
    if (st)
        warc_stats(r, st);
    if (reason)
        snprintf(reason, rl, "%s", warc_end_reason(r) ? warc_end_reason(r) : "");
    warc_close(r);
    return k;
}

static unsigned char *gzip_members(const char *const *parts, int n, size_t *len)
{
    ccbuf b = {0};
    for (int i = 0; i < n; i++) {
        unsigned char *z = xmalloc(strlen(parts[i]) + 1024);
        size_t zl = gz(parts[i], strlen(parts[i]), z, strlen(parts[i]) + 1024, 31);
        ccbuf_append(&b, z, zl);
        free(z);
    }
    return (unsigned char *)ccbuf_detach(&b, len);
}

static void test_damaged(void)
{
    char reason[300], types[300];
    warc_stats_t st;
    char *a = rec("warcinfo", NULL, "software: test");
    char *b = rec("response", "http://a.example/", "HTTP/1.1 200 OK\r\n\r\nhi");
    char *c = rec("request", "http://a.example/", "GET / HTTP/1.1\r\n\r\n");
    /* plain, three records, clean end */
    char *all = xasprintf("%s%s%s", a, b, c);
    CHECK_EQ_INT(read_all(all, strlen(all), NULL, &st, reason, sizeof reason, types, sizeof types), 3);
    CHECK_EQ_STR(types, "warcinfo,response,request,");
    CHECK(reason[0] == 0 && st.resyncs == 0, "clean: %s", reason);
    /* garbage between records: one resync, the rest read */
    char *g = xasprintf("%sgarbage line\r\nmore garbage\n%s%s", a, b, c);
    CHECK_EQ_INT(read_all(g, strlen(g), NULL, &st, reason, sizeof reason, types, sizeof types), 3);
    CHECK(st.resyncs == 1 && st.skipped_bytes == 27, "resync %d skipped %d", (int)st.resyncs, (int)st.skipped_bytes);
    free(g);
    /* a record without Content-Length is skipped */
    g = xasprintf("%sWARC/1.0\r\nWARC-Type: response\r\n\r\nbody\r\n\r\n%s", a, c);
    CHECK_EQ_INT(read_all(g, strlen(g), NULL, &st, reason, sizeof reason, types, sizeof types), 2);
    CHECK_EQ_STR(types, "warcinfo,request,");
    free(g);
    /* folded header line, <uri> form, LF-only header */
    g = xstrdup("WARC/1.1\nWARC-Type: response\nWARC-Target-URI: <http://x.example/p>\nX-Long: one\n two\nContent-Length: 2\n\nok\n\n");
    warc_reader *r = warc_open_mem(g, strlen(g), NULL);
    warc_record x;
    CHECK_EQ_INT(warc_next(r, &x), 1);
    CHECK_EQ_STR(x.target_uri, "http://x.example/p");
    CHECK_EQ_STR(warc_field_get(&x, "x-long"), "one two");
    CHECK_EQ_STR(x.version, "WARC/1.1");
    CHECK(x.type == WARC_RESPONSE && x.content_length == 2, "type/length");
    const unsigned char *blk;
    size_t bl;
    CHECK_EQ_INT(warc_read_block(r, &blk, &bl), WARC_BLOCK_OK);
    CHECK(bl == 2 && memcmp(blk, "ok", 2) == 0, "block");
    CHECK_EQ_INT(warc_read_block(r, &blk, &bl), WARC_BLOCK_GONE);
    CHECK_EQ_INT(warc_next(r, &x), 0);
    CHECK_EQ_INT(warc_next(r, &x), 0);
    warc_close(r);
    free(g);
    /* truncated inside a block: the record comes back, reading ends with a reason */
    size_t cutlen = strlen(a) + strlen(b) - 8;
    r = warc_open_mem(all, cutlen, NULL);
    CHECK_EQ_INT(warc_next(r, &x), 1);
    CHECK_EQ_INT(warc_next(r, &x), 1);
    CHECK_EQ_INT(warc_read_block(r, &blk, &bl), WARC_BLOCK_TRUNCATED);
    CHECK_EQ_INT(warc_next(r, &x), 0);
    CHECK(warc_end_reason(r) && strstr(warc_end_reason(r), "truncated record"), "reason %s", warc_end_reason(r));
    warc_close(r);
    /* truncated without reading the block */
    CHECK_EQ_INT(read_all(all, cutlen, NULL, NULL, reason, sizeof reason, NULL, 0), 2);
    CHECK(strstr(reason, "truncated record at offset"), "%s", reason);
    /* truncated inside a header */
    CHECK_EQ_INT(read_all(all, strlen(a) + 20, NULL, NULL, reason, sizeof reason, NULL, 0), 1);
    CHECK(strstr(reason, "truncated record header"), "%s", reason);
    /* not a WARC file; an empty one */
    CHECK_EQ_INT(read_all("<html>hello</html>", 18, NULL, NULL, reason, sizeof reason, NULL, 0), 0);
    CHECK(strstr(reason, "not a WARC file"), "%s", reason);
    CHECK_EQ_INT(read_all("", 0, NULL, NULL, reason, sizeof reason, NULL, 0), 0);
    CHECK(reason[0] == 0, "empty: %s", reason);
    /* max_block: a too-large block is streamed past, the next record read */
    warc_options o;
    warc_options_init(&o);
    o.max_block = 10;
    r = warc_open_mem(all, strlen(all), &o);
    CHECK_EQ_INT(warc_next(r, &x), 1);
    CHECK_EQ_INT(warc_read_block(r, &blk, &bl), WARC_BLOCK_TOO_LARGE);
    CHECK(blk == NULL, "nothing loaded");
    CHECK_EQ_INT(warc_next(r, &x), 1);
    CHECK_EQ_INT(warc_next(r, &x), 1);
    CHECK_EQ_STR(x.type_name, "request");
    warc_close(r);

    /* gzip: one member per record */
    const char *parts[] = {a, b, c};
    size_t zl;
    unsigned char *z = gzip_members(parts, 3, &zl);
    CHECK_EQ_INT(read_all(z, zl, NULL, &st, reason, sizeof reason, types, sizeof types), 3);
    CHECK(st.gzip && st.gzip_members == 3 && reason[0] == 0 && st.raw_bytes == zl, "gzip: %s", reason);
    /* zero padding after the last member is fine */
    unsigned char *zp = xcalloc(1, zl + 512);
    memcpy(zp, z, zl);
    CHECK_EQ_INT(read_all(zp, zl + 512, NULL, &st, reason, sizeof reason, NULL, 0), 3);
    CHECK(reason[0] == 0, "padding: %s", reason);
    free(zp);
    /* truncated gzip: the first records come back, then a reason */
    CHECK_EQ_INT(read_all(z, zl - 10, NULL, &st, reason, sizeof reason, types, sizeof types), 3);
    CHECK(strstr(reason, "truncated gzip stream"), "%s", reason);
    int k = read_all(z, zl / 2, NULL, &st, reason, sizeof reason, NULL, 0);
    CHECK(k >= 1 && reason[0], "half gzip: %d records, '%s'", k, reason);
    /* a corrupt member in the middle: skipped, the next member read */
    unsigned char *zc = xmalloc(zl);
    memcpy(zc, z, zl);
    size_t m1;
    {
        unsigned char *t = xmalloc(strlen(a) + 1024);
        m1 = gz(a, strlen(a), t, strlen(a) + 1024, 31);
        free(t);
    }
    for (size_t i = m1 + 12; i < m1 + 30; i++)
        zc[i] ^= 0x5a;
    CHECK_EQ_INT(read_all(zc, zl, NULL, &st, reason, sizeof reason, types, sizeof types), 2);
    CHECK_EQ_STR(types, "warcinfo,request,");
    CHECK(st.gzip_skips >= 1 && reason[0] == 0, "skips %d reason '%s'", (int)st.gzip_skips, reason);
    free(zc);
    /* garbage after the last member */
    ccbuf gb = {0};
    ccbuf_append(&gb, z, zl);
    ccbuf_puts(&gb, "trailing junk");
    CHECK_EQ_INT(read_all(gb.data, gb.len, NULL, &st, reason, sizeof reason, NULL, 0), 3);
    CHECK(strstr(reason, "garbage after the gzip member"), "%s", reason);
    ccbuf_free(&gb);
    free(z);
    free(a);
    free(b);
    free(c);
    free(all);
}

/* A 600 MB record in a sparse file streams past in constant memory. */
static void test_memory(void)
{
    char path[] = "/tmp/cc-warc-big-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    uint64_t big = 600ull << 20;
    char *h = xasprintf("WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: %llu\r\n\r\n", (unsigned long long)big);
    char *tail = rec("request", "http://b.example/", "GET / HTTP/1.1\r\n\r\n");
    CHECK(write(fd, h, strlen(h)) == (ssize_t)strlen(h), "write");
    CHECK(pwrite(fd, "\r\n\r\n", 4, (off_t)(strlen(h) + big)) == 4, "pwrite");
    CHECK(pwrite(fd, tail, strlen(tail), (off_t)(strlen(h) + big + 4)) == (ssize_t)strlen(tail), "pwrite");
    close(fd);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    warc_options o;
    warc_options_init(&o);
    char err[200];
    warc_reader *r = warc_open(path, &o, err, sizeof err);
    warc_record x;
    CHECK_EQ_INT(warc_next(r, &x), 1);
    const unsigned char *blk;
    size_t bl;
    CHECK_EQ_INT(warc_read_block(r, &blk, &bl), WARC_BLOCK_TOO_LARGE);
    CHECK_EQ_INT(warc_next(r, &x), 1);
    CHECK_EQ_STR(x.target_uri, "http://b.example/");
    CHECK_EQ_INT(warc_next(r, &x), 0);
    CHECK(warc_end_reason(r) == NULL, "%s", warc_end_reason(r));
    warc_close(r);
    getrusage(RUSAGE_SELF, &ru1);
    printf("600 MB record: max RSS %ld -> %ld KiB\n", ru0.ru_maxrss, ru1.ru_maxrss);
    CHECK(ru1.ru_maxrss - ru0.ru_maxrss < 32 * 1024, "RSS grew by %ld KiB", ru1.ru_maxrss - ru0.ru_maxrss);
    unlink(path);
    free(h);
    free(tail);
}

/* ---- WAT ------------------------------------------------------------------------------------- */

static const wat_image *wat_find(const wat_page *p, const char *url)
{
    for (size_t i = 0; i < p->n_images; i++)
        if (strcmp(p->images[i].url, url) == 0)
            return &p->images[i];
    return NULL;
}

static void test_wat(void)
{
    char *p = data_path("wat/images.warc.wat.gz");
    char err[256];
    warc_reader *r = warc_open(p, NULL, err, sizeof err);
    CHECK(r != NULL, "%s", err);
    warc_record x;
    int n = 0, ones = 0, zeros = 0, bad = 0;
    while (r && warc_next(r, &x) == 1) {
        n++;
        if (x.type != WARC_METADATA)
            continue;
        const unsigned char *b;
        size_t bl;
        CHECK_EQ_INT(warc_read_block(r, &b, &bl), WARC_BLOCK_OK);
        wat_page pg;
        int rc = wat_parse((const char *)b, bl, x.target_uri, NULL, &pg, err, sizeof err);
        if (rc < 0) {
            bad++;
            CHECK(strstr(err, "not JSON") != NULL, "%s", err);
            continue;
        }
        if (rc == 0) {
            zeros++;
            CHECK(pg.page_url == NULL && pg.n_images == 0, "zeroed");
            continue;
        }
        ones++;
        if (strcmp(pg.page_url, "https://example.org/gallery/index.html") == 0) {
            CHECK_EQ_STR(pg.base_url, "https://example.org/static/");
            CHECK(pg.n_images == 5, "%zu images", pg.n_images);
            const wat_image *im = wat_find(&pg, "https://example.org/static/fox.jpg");
            CHECK(im && im->alt && strcmp(im->alt, "A red fox in the snow") == 0 && im->title &&
                      strcmp(im->title, "Fox") == 0,
                  "fox");
            im = wat_find(&pg, "https://cdn.example.net/img/owl.png");
            CHECK(im && strcmp(im->alt, "Snowy owl on a branch") == 0 && !im->title, "owl");
            im = wat_find(&pg, "https://example.org/pics/no-alt.jpg");
            CHECK(im && !im->alt && strcmp(im->title, "Only a title here") == 0, "title only");
            im = wat_find(&pg, "https://example.org/pics/caf%C3%A9.jpg");
            CHECK(im && strcmp(im->alt, "Caf\xc3\xa9 au lait in a Paris street") == 0, "unicode");
            CHECK(wat_find(&pg, "https://example.org/static/IMG_7007.JPG") != NULL, "filename alt kept");
            CHECK(pg.optout == 0, "no optout");
            CHECK_EQ_STR(pg.content_type, "text/html; charset=UTF-8");
        } else if (strcmp(pg.page_url, "http://example.com/blog/post?id=3") == 0) {
            CHECK(pg.n_images == 1 && strcmp(pg.images[0].url, "http://example.com/img/sunset.jpg") == 0, "sunset");
            CHECK(pg.optout == OPTOUT_NOAI, "noai %u", pg.optout);
        } else if (strcmp(pg.page_url, "https://photos.example.net/a/b.html") == 0) {
            CHECK(pg.optout == OPTOUT_NOIMAGEAI, "meta noimageai %u", pg.optout);
            CHECK(pg.n_images == 1 && strcmp(pg.images[0].url, "https://photos.example.net/a/c.jpg") == 0, "c");
        } else if (strcmp(pg.page_url, "https://example.org/record-uri-only.html") == 0) {
            CHECK(pg.n_images == 1 && strcmp(pg.images[0].url, "https://example.org/d.png") == 0, "record uri");
            CHECK(pg.optout == OPTOUT_NOIMAGEAI, "array x-robots-tag %u", pg.optout);
        } else if (strcmp(pg.page_url, "http://example.com/plain.html") == 0) {
            CHECK(pg.n_images == 1, "plain");
        } else {
            CHECK(0, "unexpected page %s", pg.page_url);
        }
        wat_page_free(&pg);
    }
    warc_close(r);
    CHECK(n == 9 && ones == 5 && zeros == 2 && bad == 1, "records %d pages %d other %d bad %d", n, ones, zeros, bad);
    free(p);
    /* the real Common Crawl WAT: request metadata only */
    p = data_path("cc-whirlwind/whirlwind.warc.wat.gz");
    r = warc_open(p, NULL, err, sizeof err);
    int pages = 0;
    while (r && warc_next(r, &x) == 1) {
        const unsigned char *b;
        size_t bl;
        if (x.type != WARC_METADATA || warc_read_block(r, &b, &bl) != WARC_BLOCK_OK)
            continue;
        wat_page pg;
        int rc = wat_parse((const char *)b, bl, x.target_uri, NULL, &pg, err, sizeof err);
        CHECK_EQ_INT(rc, 0);
        pages += rc == 1;
    }
    CHECK_EQ_INT(pages, 0);
    warc_close(r);
    free(p);
    /* no usable page URL */
    const char *nourl = "{\"Envelope\":{\"WARC-Header-Metadata\":{\"WARC-Type\":\"response\"},\"Payload-Metadata\":"
                        "{\"HTTP-Response-Metadata\":{\"HTML-Metadata\":{\"Links\":[]}}}}}";
    wat_page pg;
    CHECK_EQ_INT(wat_parse(nourl, strlen(nourl), NULL, NULL, &pg, err, sizeof err), -1);
    CHECK(strstr(err, "page URL") != NULL, "%s", err);
    CHECK_EQ_INT(wat_parse(nourl, strlen(nourl), "ftp://x/", NULL, &pg, err, sizeof err), -1);
    CHECK_EQ_INT(wat_parse(nourl, strlen(nourl), "http://ok.example/", NULL, &pg, err, sizeof err), 1);
    CHECK(pg.n_images == 0 && strcmp(pg.base_url, "http://ok.example/") == 0, "empty page");
    wat_page_free(&pg);
    wat_page_free(NULL);
}

/* ---- the input loop of `warc`: records → judged images (warc-images.h) ------------------- */

typedef struct {
    int n, kept, optout, stop_after;
    ccbuf log; /* "url|caption|source|reason|optout\n" per image */
} img_seen;

static int on_image(const warc_image *im, void *ctx)
{
    img_seen *s = ctx;
    s->n++;
    s->kept += im->chosen >= 0;
    s->optout += im->optout != 0;
    CHECK(im->n_cands >= 1 && im->page_url && im->url && im->file, "image view");
    ccbuf_printf(&s->log, "%s|%s|%s|%s|%u\n", im->url, im->chosen >= 0 ? im->cand_text[im->chosen] : "-",
                 im->chosen >= 0 ? im->cand_source[im->chosen] : "-", im->reason ? im->reason : "keep", im->optout);
    return s->stop_after && s->n >= s->stop_after;
}

/* What the judge was told about each candidate's image. */
typedef struct {
    int page;    /* placement known: a WARC response's page */
    int unknown; /* CC_PLACE_UNKNOWN: a WAT record's image */
    int none;    /* no image at all */
} judged_places;

static int judge_no_filenames(const char *text, const extract_image *img, void *ctx, const char **reason)
{
    judged_places *jp = ctx;
    if (jp && !img)
        jp->none++;
    else if (jp)
        (img->placement & CC_PLACE_PAGE ? &jp->page : &jp->unknown)[0]++;
    size_t n = strlen(text);
    if (n >= 4 && (strcasecmp(text + n - 4, ".jpg") == 0 || strcasecmp(text + n - 4, ".png") == 0)) {
        *reason = "filename";
        return 0;
    }
    return 1;
}

static int want_none(const char *uri, void *ctx)
{
    (void)uri;
    (void)ctx;
    return 0;
}

static void test_images(void)
{
    warc_images_options o;
    warc_images_options_init(&o);
    o.judge = judge_no_filenames;
    judged_places jp = {0};
    o.judge_ctx = &jp;
    char err[300];
    /* the hand-made WAT */
    char *p = data_path("wat/images.warc.wat.gz");
    img_seen s = {0};
    warc_images_stats st = {0};
    CHECK_EQ_INT(warc_images_file(p, &o, on_image, &s, &st, err, sizeof err), 0);
    const char *log = s.log.data ? (const char *)s.log.data : "";
    CHECK(s.n == 9 && s.kept == 8 && s.optout == 3, "wat: %d images %d kept %d optout\n%s", s.n, s.kept, s.optout, log);
    CHECK(st.pages == 5 && st.bad_wat == 1 && st.records == 9 && st.images == 9 && st.kept == 8, "wat stats");
    CHECK(jp.unknown >= 9 && jp.page == 0 && jp.none == 0, "wat: the judge sees no placement (%d %d %d)", jp.unknown,
          jp.page, jp.none);
    CHECK(strstr(log, "https://example.org/static/fox.jpg|A red fox in the snow|alt|keep|0\n") != NULL, "%s", log);
    CHECK(strstr(log, "https://example.org/pics/no-alt.jpg|Only a title here|title|keep|0\n") != NULL, "%s", log);
    CHECK(strstr(log, "https://example.org/static/IMG_7007.JPG|-|-|filename|0\n") != NULL, "%s", log);
    CHECK(strstr(log, "http://example.com/img/sunset.jpg|Sunset over the harbour|alt|keep|1\n") != NULL, "%s", log);
    ccbuf_free(&s.log);
    /* stop after 2 */
    memset(&s, 0, sizeof s);
    s.stop_after = 2;
    CHECK_EQ_INT(warc_images_file(p, &o, on_image, &s, NULL, err, sizeof err), 2);
    CHECK_EQ_INT(s.n, 2);
    ccbuf_free(&s.log);
    /* the per-record filter passes everything over */
    memset(&s, 0, sizeof s);
    memset(&st, 0, sizeof st);
    o.want = want_none;
    CHECK_EQ_INT(warc_images_file(p, &o, on_image, &s, &st, err, sizeof err), 0);
    CHECK(s.n == 0 && st.filtered == 8, "filtered %d", (int)st.filtered);
    o.want = NULL;
    ccbuf_free(&s.log);
    free(p);
    /* WARC responses: the Common Crawl page; stats summed over files */
    memset(&st, 0, sizeof st);
    memset(&jp, 0, sizeof jp);
    const char *wf[] = {"cc-whirlwind/whirlwind.warc.gz", "pywb/iana.warc.gz", "warcio/example.warc.gz"};
    int per[3];
    for (int i = 0; i < 3; i++) {
        memset(&s, 0, sizeof s);
        p = data_path(wf[i]);
        CHECK_EQ_INT(warc_images_file(p, &o, on_image, &s, &st, err, sizeof err), 0);
        per[i] = s.n;
        ccbuf_free(&s.log);
        free(p);
    }
    /* whirlwind: 7 images with a non-empty alt (the oracle's count), maybe more with other candidates */
    CHECK(per[0] >= 7, "whirlwind: %d images", per[0]);
    CHECK(per[1] >= 16, "iana: %d images", per[1]);
    CHECK(per[2] == 0, "example.com has no images: %d", per[2]);
    CHECK(jp.page >= per[0] + per[1] && jp.unknown == 0 && jp.none == 0,
          "warc responses: the judge sees each image's placement (%d %d %d)", jp.page, jp.unknown, jp.none);
    CHECK(st.pages == 1 + 16 + 1 && st.revisits > 0 && st.not_html > 0, "pages %d revisits %d not_html %d",
          (int)st.pages, (int)st.revisits, (int)st.not_html);
    /* HTML without a Content-Type, or mislabelled but sniffed by the archive;
     * a text/plain page that only looks like HTML is not taken */
    {
        char tmpw[] = "/tmp/cc-warc-lbl-XXXXXX";
        int fdw = mkstemp(tmpw);
        const char *page = "<!DOCTYPE html><img src=a.jpg alt=\"A heron in the reeds\">";
        char *r1 = xasprintf("HTTP/1.1 200 OK\r\n\r\n%s", page);
        char *r2 = xasprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n%s", page);
        char *w1 = rec("response", "http://a.example/1", r1), *w2 = rec("response", "http://b.example/2", r2);
        char *all2 = xasprintf("%s%s"
                               "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://c.example/3\r\n"
                               "WARC-Identified-Payload-Type: text/html\r\nContent-Length: %zu\r\n\r\n%s\r\n\r\n",
                               w1, w2, strlen(r2), r2);
        CHECK(fdw >= 0 && write(fdw, all2, strlen(all2)) == (ssize_t)strlen(all2), "write");
        close(fdw);
        memset(&s, 0, sizeof s);
        warc_images_stats st2 = {0};
        CHECK_EQ_INT(warc_images_file(tmpw, &o, on_image, &s, &st2, err, sizeof err), 0);
        log = s.log.data ? (const char *)s.log.data : "";
        CHECK(s.n == 2 && strstr(log, "http://a.example/a.jpg|A heron") && strstr(log, "http://c.example/a.jpg|A heron") &&
                  st2.not_html == 1, "labels: %d images, %d not html\n%s", s.n, (int)st2.not_html, log);
        ccbuf_free(&s.log);
        unlink(tmpw);
        free(r1), free(r2), free(w1), free(w2), free(all2);
    }
    /* a truncated copy: images before the cut, then 1 with the reason */
    ccbuf b = {0};
    p = data_path("cc-whirlwind/whirlwind.warc.gz");
    CHECK(cc_read_file(p, &b) == CC_OK, "read");
    char tmp[] = "/tmp/cc-warc-cut-XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0 && write(fd, b.data, b.len * 3 / 4) == (ssize_t)(b.len * 3 / 4), "write cut copy");
    close(fd);
    memset(&s, 0, sizeof s);
    CHECK_EQ_INT(warc_images_file(tmp, &o, on_image, &s, NULL, err, sizeof err), 1);
    CHECK(strstr(err, tmp) && strstr(err, "truncated"), "%s", err);
    printf("truncated whirlwind: %d images before the cut (%s)\n", s.n, err);
    ccbuf_free(&s.log);
    /* not a WARC; missing */
    fd = open(tmp, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && write(fd, "hello world\n", 12) == 12, "write");
    close(fd);
    CHECK_EQ_INT(warc_images_file(tmp, &o, on_image, &s, NULL, err, sizeof err), -1);
    CHECK(strstr(err, "not a WARC file") && strstr(err, tmp), "%s", err);
    unlink(tmp);
    CHECK_EQ_INT(warc_images_file(tmp, &o, on_image, &s, NULL, err, sizeof err), -1);
    CHECK(strstr(err, "cannot open"), "%s", err);
    ccbuf_free(&b);
    free(p);
}

/* ---- the fuzz target over the data and mutations of it ----------------------------------- */

static void test_fuzz(void)
{
    char *dir = data_path("");
    long n = fuzz_run_path(dir, LLVMFuzzerTestOneInput);
    CHECK(n >= 13, "only %ld inputs", n);
    free(dir);
    /* every prefix length (step 97) and byte flips of two small files */
    const char *small[] = {"warcio/example.warc.gz", "warcio/example-iana.org-chunked.warc", "wat/images.warc.wat.gz"};
    long runs = 0;
    for (int f = 0; f < 3; f++) {
        char *p = data_path(small[f]);
        size_t len;
        ccbuf b = {0};
        CHECK(cc_read_file(p, &b) == CC_OK, "read %s", p);
        len = b.len;
        for (size_t cut = 0; cut < len; cut += 97) {
            unsigned char *t = xmalloc(cut ? cut : 1);
            memcpy(t, b.data, cut);
            LLVMFuzzerTestOneInput(t, cut);
            free(t);
            runs++;
        }
        unsigned seed = 12345;
        for (int i = 0; i < 200; i++) {
            unsigned char *t = xmalloc(len);
            memcpy(t, b.data, len);
            for (int k = 0; k < 4; k++) {
                seed = seed * 1103515245u + 12345u;
                t[(seed >> 8) % len] ^= (unsigned char)(1u << ((seed >> 3) & 7));
            }
            LLVMFuzzerTestOneInput(t, len);
            free(t);
            runs++;
        }
        ccbuf_free(&b);
        free(p);
    }
    printf("fuzz target: %ld data files, %ld mutations\n", n, runs);
}

int main(void)
{
    test_files();
    test_oracle();
    test_http();
    test_damaged();
    test_memory();
    test_wat();
    test_images();
    test_fuzz();
    return check_summary();
}
