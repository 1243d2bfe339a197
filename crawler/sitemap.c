/* sitemap.c — sitemaps.org XML/text sitemaps, sitemap indexes and Google
 * image sitemaps, gzipped or not, read within fixed bounds. See sitemap.h. */
#include "sitemap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>
#include <zlib.h>

#include "common.h"
#include "url.h"

#define MAX_URL_LEN 2048  /* the protocol's limit for <loc> */
#define MAX_TEXT_LEN 2048 /* captions and titles are cut here */
#define MAX_DEPTH 16      /* deeper elements are not sitemap structure */

void sitemap_limits_init(sitemap_limits *l)
{
    l->max_bytes = 50u * 1024 * 1024;
    l->max_entries = 50000;
    l->max_images_per_url = 1000;
}

void sitemap_result_free(sitemap_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_urls; i++) {
        free(r->urls[i].loc);
        for (size_t j = 0; j < r->urls[i].n_images; j++) {
            free(r->urls[i].images[j].loc);
            free(r->urls[i].images[j].caption);
            free(r->urls[i].images[j].title);
        }
        free(r->urls[i].images);
    }
    free(r->urls);
    for (size_t i = 0; i < r->n_sitemaps; i++)
        free(r->sitemaps[i]);
    free(r->sitemaps);
    memset(r, 0, sizeof *r);
}

/* ---- gzip ------------------------------------------------------------------- */

/* Inflates a gzip stream (concatenated members too) into out, at most max
 * bytes. Returns 0 (with *cut = 1 when max or a corrupt tail stopped it), or
 * -1 when not a byte came out. */
static int gunzip(const unsigned char *in, size_t n, size_t max, ccbuf *out, int *cut)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return -1;
    z.next_in = (unsigned char *)in;
    size_t left = n;
    unsigned char chunk[65536];
    int rc = Z_OK;
    *cut = 0;
    while (1) {
        unsigned take = left > (1u << 30) ? (1u << 30) : (unsigned)left;
        z.avail_in = take;
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        const unsigned char *before = z.next_in;
        rc = inflate(&z, Z_NO_FLUSH);
        left -= (size_t)(z.next_in - before);
        size_t got = sizeof chunk - z.avail_out;
        if (out->len + got > max) {
            got = max - out->len;
            *cut = 1;
        }
        ccbuf_append(out, chunk, got);
        if (*cut)
            break;
        if (rc == Z_STREAM_END) {
            /* another member follows (gzip allows concatenation)? */
            if (left >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
                inflateReset(&z);
                continue;
            }
            break;
        }
        if (rc != Z_OK) { /* corrupt or truncated stream */
            if (rc != Z_BUF_ERROR || left == 0)
                *cut = 1;
            break;
        }
        if (left == 0 && z.avail_out != 0) {
            *cut = 1; /* input ended inside the stream */
            break;
        }
    }
    inflateEnd(&z);
    if (out->len == 0 && *cut)
        return -1;
    return 0;
}

/* ---- result building ------------------------------------------------------------ */

typedef struct {
    const sitemap_limits *lim;
    const char *base;
    sitemap_result *r;
    size_t cap_urls, cap_sitemaps;
    /* the <url> being read */
    char *url_loc;
    sitemap_image *imgs;
    size_t n_imgs, cap_imgs;
    /* the <image:image> being read */
    char *img_loc, *img_caption, *img_title;
} builder;

static char *norm_text(const char *s)
{
    ccbuf b = {0};
    int sp = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v') {
            sp = 1;
            continue;
        }
        if (sp && b.len)
            ccbuf_putc(&b, ' ');
        sp = 0;
        ccbuf_putc(&b, *p);
    }
    if (!b.len)
        return NULL;
    return ccbuf_detach(&b, NULL);
}

/* The resolved, normalised URL of a <loc> text, or NULL. */
static char *loc_url(const builder *b, const char *text)
{
    char *t = norm_text(text);
    if (!t)
        return NULL;
    char *u = strlen(t) <= MAX_URL_LEN ? url_resolve(b->base, t, NULL, 0) : NULL;
    free(t);
    return u;
}

static void image_end(builder *b)
{
    if (!b->img_loc) {
        b->r->n_skipped++;
    } else if (b->n_imgs >= b->lim->max_images_per_url) {
        b->r->n_skipped++;
    } else {
        if (b->n_imgs == b->cap_imgs) {
            b->cap_imgs = b->cap_imgs ? 2 * b->cap_imgs : 4;
            b->imgs = xrealloc(b->imgs, b->cap_imgs * sizeof *b->imgs);
        }
        b->imgs[b->n_imgs].loc = b->img_loc;
        b->imgs[b->n_imgs].caption = b->img_caption;
        b->imgs[b->n_imgs].title = b->img_title;
        b->n_imgs++;
        b->img_loc = b->img_caption = b->img_title = NULL;
    }
    free(b->img_loc);
    free(b->img_caption);
    free(b->img_title);
    b->img_loc = b->img_caption = b->img_title = NULL;
}

static void drop_images(builder *b)
{
    for (size_t i = 0; i < b->n_imgs; i++) {
        free(b->imgs[i].loc);
        free(b->imgs[i].caption);
        free(b->imgs[i].title);
    }
    free(b->imgs);
    b->imgs = NULL;
    b->n_imgs = b->cap_imgs = 0;
}

/* Adds a page (taking loc and the images read with it), within the limits. */
static void url_add(builder *b, char *loc)
{
    sitemap_result *r = b->r;
    if (!loc || r->n_urls >= b->lim->max_entries) {
        if (loc) {
            r->truncated = 1;
            free(loc);
        }
        r->n_skipped += 1 + b->n_imgs;
        drop_images(b);
        return;
    }
    if (r->n_urls == b->cap_urls) {
        b->cap_urls = b->cap_urls ? 2 * b->cap_urls : 64;
        r->urls = xrealloc(r->urls, b->cap_urls * sizeof *r->urls);
    }
    r->urls[r->n_urls].loc = loc;
    r->urls[r->n_urls].images = b->imgs;
    r->urls[r->n_urls].n_images = b->n_imgs;
    r->n_urls++;
    b->imgs = NULL;
    b->n_imgs = b->cap_imgs = 0;
}

static void sitemap_add(builder *b, char *loc)
{
    sitemap_result *r = b->r;
    if (!loc || r->n_sitemaps >= b->lim->max_entries) {
        if (loc) {
            r->truncated = 1;
            free(loc);
        }
        r->n_skipped++;
        return;
    }
    if (r->n_sitemaps == b->cap_sitemaps) {
        b->cap_sitemaps = b->cap_sitemaps ? 2 * b->cap_sitemaps : 16;
        r->sitemaps = xrealloc(r->sitemaps, b->cap_sitemaps * sizeof *r->sitemaps);
    }
    r->sitemaps[r->n_sitemaps++] = loc;
}

/* ---- plain-text sitemaps ----------------------------------------------------------- */

static int parse_text(builder *b, const char *s, size_t n, char *err, size_t errlen)
{
    size_t lines = 0;
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        char *line = xstrndup(p, (size_t)(le - p));
        p = nl ? nl + 1 : end;
        char *t = norm_text(line);
        free(line);
        if (!t)
            continue;
        lines++;
        char *u = strlen(t) <= MAX_URL_LEN && url_is_http(t) ? url_normalize(t, NULL, 0) : NULL;
        free(t);
        if (u)
            url_add(b, u);
        else
            b->r->n_skipped++;
    }
    if (lines > 0 && b->r->n_urls == 0) {
        cc_seterr(err, errlen, "neither XML nor a list of URLs");
        return -1;
    }
    return 0;
}

/* ---- XML sitemaps ------------------------------------------------------------------ */

/* Keeps the reader's first message (for the error line) instead of
 * printing it. */
static void reader_error(void *arg, const char *msg, xmlParserSeverities sev, xmlTextReaderLocatorPtr loc)
{
    char *first = arg;
    (void)sev;
    if (first[0] || !msg)
        return;
    snprintf(first, 160, "line %d: %s", loc ? xmlTextReaderLocatorLineNumber(loc) : 0, msg);
    size_t k = strlen(first);
    while (k > 0 && (first[k - 1] == '\n' || first[k - 1] == ' '))
        first[--k] = 0;
}

typedef enum { T_NONE, T_URL_LOC, T_SITEMAP_LOC, T_IMG_LOC, T_IMG_CAPTION, T_IMG_TITLE } target;

static int parse_xml(builder *b, const char *s, size_t n, char *err, size_t errlen)
{
    if (n > (size_t)INT32_MAX)
        n = INT32_MAX;
    xmlTextReaderPtr rd = xmlReaderForMemory(s, (int)n, b->base, NULL,
                                             XML_PARSE_NONET | XML_PARSE_RECOVER | XML_PARSE_NOERROR |
                                                 XML_PARSE_NOWARNING | XML_PARSE_COMPACT);
    if (!rd) {
        cc_seterr(err, errlen, "cannot read it as XML");
        return -1;
    }
    char first_error[160] = "";
    xmlTextReaderSetErrorHandler(rd, reader_error, first_error);
    const char *stack[MAX_DEPTH] = {0}; /* local names of the open elements (interned by the reader) */
    int root_seen = 0, rc = 0;
    target tg = T_NONE;
    int tg_depth = -1;
    ccbuf text = {0};
    int st;
    while ((st = xmlTextReaderRead(rd)) == 1) {
        int type = xmlTextReaderNodeType(rd);
        int depth = xmlTextReaderDepth(rd);
        if (type == XML_READER_TYPE_ELEMENT) {
            const char *name = (const char *)xmlTextReaderConstLocalName(rd);
            if (!name)
                continue;
            if (!root_seen) {
                root_seen = 1;
                if (strcmp(name, "urlset") == 0) {
                    b->r->kind = SITEMAP_URLSET;
                } else if (strcmp(name, "sitemapindex") == 0) {
                    b->r->kind = SITEMAP_INDEX;
                } else {
                    cc_seterr(err, errlen, "root element <%.40s> is neither <urlset> nor <sitemapindex>", name);
                    rc = -1;
                    break;
                }
            }
            if (depth < 0 || depth >= MAX_DEPTH)
                continue;
            stack[depth] = name;
            const char *parent = depth > 0 ? stack[depth - 1] : "";
            target t = T_NONE;
            if (b->r->kind == SITEMAP_URLSET) {
                if (depth == 1 && strcmp(name, "url") == 0) {
                    free(b->url_loc);
                    b->url_loc = NULL;
                    drop_images(b);
                } else if (depth == 2 && strcmp(parent, "url") == 0 && strcmp(name, "loc") == 0) {
                    t = T_URL_LOC;
                } else if (depth == 3 && strcmp(parent, "image") == 0 && strcmp(stack[1], "url") == 0) {
                    t = strcmp(name, "loc") == 0       ? T_IMG_LOC
                        : strcmp(name, "caption") == 0 ? T_IMG_CAPTION
                        : strcmp(name, "title") == 0   ? T_IMG_TITLE
                                                       : T_NONE;
                }
            } else if (depth == 2 && strcmp(parent, "sitemap") == 0 && strcmp(name, "loc") == 0) {
                t = T_SITEMAP_LOC;
            }
            if (t != T_NONE && !xmlTextReaderIsEmptyElement(rd)) {
                tg = t;
                tg_depth = depth;
                ccbuf_reset(&text);
            }
            if (!xmlTextReaderIsEmptyElement(rd))
                continue;
            /* an empty element ends here: fall through to its end */
        } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
                   type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || type == XML_READER_TYPE_WHITESPACE) {
            if (tg != T_NONE && depth == tg_depth + 1 && text.len < MAX_TEXT_LEN + 4) {
                const char *v = (const char *)xmlTextReaderConstValue(rd);
                if (v)
                    ccbuf_append(&text, v, strnlen(v, MAX_TEXT_LEN + 4));
            }
            continue;
        } else if (type != XML_READER_TYPE_END_ELEMENT) {
            continue;
        }
        /* the end of the element at depth */
        if (depth < 0 || depth >= MAX_DEPTH)
            continue;
        if (tg != T_NONE && depth == tg_depth) {
            const char *v = text.len ? (const char *)text.data : "";
            if (tg == T_URL_LOC) { /* a bad one is counted when its <url> ends */
                free(b->url_loc);
                b->url_loc = loc_url(b, v);
            } else if (tg == T_SITEMAP_LOC) {
                char *u = loc_url(b, v);
                if (u)
                    sitemap_add(b, u);
                else
                    b->r->n_skipped++;
            } else if (tg == T_IMG_LOC) {
                free(b->img_loc);
                b->img_loc = loc_url(b, v);
            } else {
                char *t = text.len > MAX_TEXT_LEN ? xstrndup(v, MAX_TEXT_LEN) : xstrdup(v);
                /* do not cut inside a UTF-8 sequence */
                size_t tl = strlen(t);
                if (text.len > MAX_TEXT_LEN)
                    while (tl > 0 && ((unsigned char)t[tl - 1] & 0xC0) == 0x80)
                        t[--tl] = 0;
                if (tl > 0 && text.len > MAX_TEXT_LEN && ((unsigned char)t[tl - 1] & 0xC0) == 0xC0)
                    t[--tl] = 0;
                char **slot = tg == T_IMG_CAPTION ? &b->img_caption : &b->img_title;
                free(*slot);
                *slot = norm_text(t);
                free(t);
            }
            tg = T_NONE;
            tg_depth = -1;
            continue;
        }
        const char *name = stack[depth];
        if (!name)
            continue;
        if (b->r->kind == SITEMAP_URLSET && depth == 2 && strcmp(name, "image") == 0 && stack[1] &&
            strcmp(stack[1], "url") == 0) {
            image_end(b);
        } else if (b->r->kind == SITEMAP_URLSET && depth == 1 && strcmp(name, "url") == 0) {
            char *loc = b->url_loc;
            b->url_loc = NULL;
            url_add(b, loc);
        }
        stack[depth] = NULL;
    }
    ccbuf_free(&text);
    xmlFreeTextReader(rd);
    if (rc == 0 && !root_seen) {
        cc_seterr(err, errlen, "not well-formed XML (%s)", first_error[0] ? first_error : "no element");
        rc = -1;
    } else if (rc == 0 && st < 0) {
        b->r->truncated = 1; /* the reader gave up (fatal error, entity loop): keep what it read */
    }
    return rc;
}

/* ---- entry ---------------------------------------------------------------------------- */

int sitemap_parse(const char *data, size_t n, const char *sitemap_url, const sitemap_limits *limits,
                  sitemap_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sitemap_limits deflim;
    if (!limits) {
        sitemap_limits_init(&deflim);
        limits = &deflim;
    }
    char *base = sitemap_url && url_is_http(sitemap_url) ? url_normalize(sitemap_url, NULL, 0) : NULL;
    if (!base) {
        cc_seterr(err, errlen, "sitemap URL '%.200s' is not an absolute http(s) URL",
                  sitemap_url ? sitemap_url : "(null)");
        return -1;
    }
    if (!data)
        n = 0;
    ccbuf plain = {0};
    const char *s = data;
    if (n >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b) {
        int cut = 0;
        if (gunzip((const unsigned char *)data, n, limits->max_bytes, &plain, &cut) != 0) {
            cc_seterr(err, errlen, "corrupt gzip data");
            ccbuf_free(&plain);
            free(base);
            return -1;
        }
        out->gzipped = 1;
        out->truncated = cut;
        s = plain.len ? (const char *)plain.data : "";
        n = plain.len;
    } else if (n > limits->max_bytes) {
        n = limits->max_bytes;
        out->truncated = 1;
    }
    /* skip a UTF-8 BOM and leading white space */
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3, n -= 3;
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    builder b = {0};
    b.lim = limits;
    b.base = base;
    b.r = out;
    int rc;
    if (i == n) {
        cc_seterr(err, errlen, "empty");
        rc = -1;
    } else if (s[i] == '<') {
        rc = parse_xml(&b, s + i, n - i, err, errlen);
    } else {
        out->kind = SITEMAP_URLSET;
        rc = parse_text(&b, s + i, n - i, err, errlen);
    }
    free(b.url_loc);
    drop_images(&b);
    free(b.img_loc);
    free(b.img_caption);
    free(b.img_title);
    ccbuf_free(&plain);
    free(base);
    if (rc != 0) {
        int gz = out->gzipped;
        sitemap_result_free(out);
        out->gzipped = gz;
    }
    return rc;
}
