/* extract.c — images, caption candidates, links and page signals from HTML,
 * on libxml2's HTML parser. See extract.h. */
#include "extract.h"
#include "extract-dom.h"
#include "extract-nav.h"
#include "extract-nearby.h"
#include "extract-place.h"
#include "strmap.h"
#include "text.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/encoding.h>
#include <libxml/tree.h>

#include "common.h"
#include "optout.h"
#include "url.h"

/* ---- small helpers ---------------------------------------------------------- */

static const char *const source_names[CAPTION_SOURCE__COUNT] = {
    "alt",   "figcaption",   "gallery-caption",  "thumbcaption",     "aria-labelledby", "aria-label",
    "title", "data-caption", "og:image:alt", "aria-describedby", "nearby",
};

const char *caption_source_name(caption_source s)
{
    return (unsigned)s < CAPTION_SOURCE__COUNT ? source_names[s] : "?";
}

int caption_source_parse(const char *name)
{
    for (int i = 0; name && i < CAPTION_SOURCE__COUNT; i++)
        if (strcmp(name, source_names[i]) == 0)
            return i;
    return -1;
}

void extract_options_init(extract_options *o)
{
    o->max_width = 1600;
    o->nearby_max = 300;
    o->agent = "clipcrawl";
    o->max_images = 10000;
    o->max_links = 100000;
}

/* ---- srcset ------------------------------------------------------------------- */

char *extract_srcset_pick(const char *s, int max_width, int *width_out)
{
    if (width_out)
        *width_out = 0;
    if (!s)
        return NULL;
    const char *best_w = NULL, *small_w = NULL, *best_x = NULL;
    size_t best_w_len = 0, small_w_len = 0, best_x_len = 0;
    long bw = -1, sw = LONG_MAX;
    double bx = -1;
    const char *p = s;
    while (*p) {
        while (*p && (is_space_byte((unsigned char)*p) || *p == ','))
            p++;
        if (!*p)
            break;
        const char *u = p;
        while (*p && !is_space_byte((unsigned char)*p))
            p++;
        size_t ulen = (size_t)(p - u);
        int had_desc = 1;
        if (ulen && u[ulen - 1] == ',') { /* "a.jpg," : no descriptors */
            while (ulen && u[ulen - 1] == ',')
                ulen--;
            had_desc = 0;
        }
        long w = -1;
        double x = -1;
        int bad = 0;
        if (had_desc) {
            /* descriptors up to the next ',' outside parentheses */
            int paren = 0;
            while (*p) {
                while (*p && is_space_byte((unsigned char)*p))
                    p++;
                if (!*p || *p == ',')
                    break;
                const char *d = p;
                while (*p && (paren || (!is_space_byte((unsigned char)*p) && *p != ','))) {
                    if (*p == '(')
                        paren = 1;
                    else if (*p == ')')
                        paren = 0;
                    p++;
                }
                size_t dl = (size_t)(p - d);
                char tmp[32];
                if (dl == 0 || dl >= sizeof tmp) {
                    bad = 1;
                    continue;
                }
                memcpy(tmp, d, dl);
                tmp[dl] = 0;
                char *end;
                if (tmp[dl - 1] == 'w') {
                    long v = strtol(tmp, &end, 10);
                    if (end == tmp + dl - 1 && v > 0)
                        w = v;
                    else
                        bad = 1;
                } else if (tmp[dl - 1] == 'x') {
                    double v = strtod(tmp, &end);
                    if (end == tmp + dl - 1 && v > 0)
                        x = v;
                    else
                        bad = 1;
                } /* 'h' and unknown descriptors are ignored */
            }
        }
        if (bad || ulen == 0 || (ulen >= 5 && strncasecmp(u, "data:", 5) == 0))
            continue;
        if (w > 0) {
            if (w <= max_width && w > bw) {
                bw = w;
                best_w = u;
                best_w_len = ulen;
            }
            if (w < sw) {
                sw = w;
                small_w = u;
                small_w_len = ulen;
            }
        } else {
            if (x < 0)
                x = 1;
            if (x > bx) {
                bx = x;
                best_x = u;
                best_x_len = ulen;
            }
        }
    }
    if (best_w) {
        if (width_out)
            *width_out = (int)bw;
        return xstrndup(best_w, best_w_len);
    }
    if (small_w) {
        if (width_out)
            *width_out = (int)sw;
        return xstrndup(small_w, small_w_len);
    }
    if (best_x)
        return xstrndup(best_x, best_x_len);
    return NULL;
}

/* ---- charset --------------------------------------------------------------- */

/* Copies a charset label found at p (after "charset=") into out. */
static int read_label(const char *p, const char *end, char *out, size_t outlen)
{
    while (p < end && (is_space_byte((unsigned char)*p) || *p == '"' || *p == '\''))
        p++;
    size_t k = 0;
    while (p < end && k + 1 < outlen && (isalnum((unsigned char)*p) || strchr("-_.:", *p)))
        out[k++] = *p++;
    out[k] = 0;
    return k > 0;
}

static const char *memcasemem(const char *h, size_t hn, const char *needle)
{
    size_t nn = strlen(needle);
    for (size_t i = 0; i + nn <= hn; i++)
        if (strncasecmp(h + i, needle, nn) == 0)
            return h + i;
    return NULL;
}

/* <meta charset> / http-equiv in the first 4 KiB (HTML5's prescan, roughly). */
static int sniff_meta_charset(const char *html, size_t n, char *out, size_t outlen)
{
    if (n > 4096)
        n = 4096;
    const char *p = html, *end = html + n;
    while ((p = memcasemem(p, (size_t)(end - p), "<meta")) != NULL) {
        const char *gt = memchr(p, '>', (size_t)(end - p));
        const char *tend = gt ? gt : end;
        const char *cs = memcasemem(p, (size_t)(tend - p), "charset");
        if (cs) {
            cs += 7;
            while (cs < tend && is_space_byte((unsigned char)*cs))
                cs++;
            if (cs < tend && *cs == '=' && read_label(cs + 1, tend, out, outlen))
                return 1;
        }
        p += 5;
    }
    return 0;
}

/* Maps a label to the name handed to libxml2 (HTML5's label rules, abridged),
 * or NULL when libxml2/iconv does not know it. */
static const char *canon_charset(const char *label, int from_meta, char *buf, size_t buflen)
{
    if (strcasecmp(label, "iso-8859-1") == 0 || strcasecmp(label, "latin1") == 0 ||
        strcasecmp(label, "iso8859-1") == 0 || strcasecmp(label, "l1") == 0 ||
        strcasecmp(label, "us-ascii") == 0 || strcasecmp(label, "ascii") == 0 ||
        strcasecmp(label, "iso_8859-1") == 0 || strcasecmp(label, "cp1252") == 0)
        return "WINDOWS-1252";
    if (strcasecmp(label, "utf8") == 0 || strcasecmp(label, "unicode-1-1-utf-8") == 0)
        return "UTF-8";
    if (from_meta && strncasecmp(label, "utf-16", 6) == 0)
        return "UTF-8"; /* HTML5: a meta tag cannot switch to UTF-16 */
    snprintf(buf, buflen, "%s", label);
    for (char *q = buf; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(buf);
    if (!h)
        return NULL;
    xmlCharEncCloseFunc(h);
    return buf;
}

/* Windows-1252 (what HTML5 decodes "iso-8859-1" and unlabelled pages as)
 * to UTF-8, done here because iconv refuses 0x81, 0x8D, 0x8F, 0x90 and 0x9D
 * and libxml2 then drops the rest of the page. Those five map to U+0081...
 * as the WHATWG encoding standard says. */
static char *cp1252_to_utf8(const char *s, size_t n, size_t *outlen)
{
    static const unsigned short hi[32] = {
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
    ccbuf b = {0};
    ccbuf_reserve(&b, n + n / 4 + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        if (c >= 0x80 && c < 0xA0)
            c = hi[c - 0x80];
        cc_utf8_put(&b, c);
    }
    return ccbuf_detach(&b, outlen);
}

static void quiet_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void quiet_structured(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

/* ---- extraction state -------------------------------------------------------- */

typedef struct {
    caption_candidate *v;
    size_t n, cap;
} candlist;

typedef struct {
    const extract_options *o;
    extract_result *r;
    size_t cap_images, cap_links;
    cc_strmap img_index, link_index; /* url -> index into images / links */
    const char *base;
    xmlNode **ids;      /* elements with an id, sorted by id */
    size_t n_ids;
    nav_index *nav;     /* text/link counts per element, for nearby text and placement */
    place_page pg;      /* the page every image's placement is compared with */
    alt_tally *alts;    /* the alt text of every <img>, for alt_repeats */
} ctx_t;

static void cand_add(candlist *l, caption_source src, const char *raw)
{
    char *t = norm_ws(raw);
    if (!t)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].source == src && strcmp(l->v[i].text, t) == 0) {
            free(t);
            return;
        }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n].source = src;
    l->v[l->n].text = t;
    l->n++;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(attr(*(xmlNode *const *)a, "id"), attr(*(xmlNode *const *)b, "id"));
}

static xmlNode *find_id(const ctx_t *c, const char *id)
{
    size_t lo = 0, hi = c->n_ids;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int d = strcmp(attr(c->ids[mid], "id"), id);
        if (d == 0)
            return c->ids[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Whitespace-normalised text of n's subtree (script/style left out). */
static void subtree_text(xmlNode *n, ccbuf *b, int *sp)
{
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (n->content)
            append_collapsed(b, (const char *)n->content, sp);
        return;
    }
    for (xmlNode *x = n->children; x;) {
        int skip = is_skipped_text_container(x);
        if (!skip && (x->type == XML_TEXT_NODE || x->type == XML_CDATA_SECTION_NODE) && x->content)
            append_collapsed(b, (const char *)x->content, sp);
        else if (x->type == XML_ELEMENT_NODE && !is_inline(x))
            *sp = 1; /* a block or <br> boundary separates words; inline ones do not */
        x = next_node(x, n, skip);
    }
}

static char *element_text(xmlNode *n)
{
    ccbuf b = {0};
    int sp = 0;
    subtree_text(n, &b, &sp);
    if (!b.len) {
        ccbuf_free(&b);
        return NULL;
    }
    return ccbuf_detach(&b, NULL);
}

/* Texts of the elements named by an id list ("a b c"), joined by spaces. */
static char *idref_text(const ctx_t *c, const char *ids, xmlNode **excl, size_t *n_excl, size_t max_excl)
{
    if (!ids)
        return NULL;
    ccbuf b = {0};
    const char *p = ids;
    while (*p) {
        while (*p && is_space_byte((unsigned char)*p))
            p++;
        const char *s = p;
        while (*p && !is_space_byte((unsigned char)*p))
            p++;
        if (p == s)
            break;
        char *id = xstrndup(s, (size_t)(p - s));
        xmlNode *t = find_id(c, id);
        free(id);
        if (!t)
            continue;
        if (excl && *n_excl < max_excl)
            excl[(*n_excl)++] = t;
        char *txt = element_text(t);
        if (txt) {
            if (b.len)
                ccbuf_putc(&b, ' ');
            ccbuf_puts(&b, txt);
            free(txt);
        }
    }
    if (!b.len) {
        ccbuf_free(&b);
        return NULL;
    }
    return ccbuf_detach(&b, NULL);
}

/* ---- images ----------------------------------------------------------------- */

static int parse_dim(const char *s)
{
    if (!s)
        return 0;
    while (is_space_byte((unsigned char)*s))
        s++;
    long v = 0;
    int any = 0;
    while (isdigit((unsigned char)*s) && v < 1000000) {
        v = v * 10 + (*s++ - '0');
        any = 1;
    }
    return any ? (int)v : 0;
}

static int supported_type(const char *type)
{
    if (!type || !*type)
        return 1;
    return strncasecmp(type, "image/jpeg", 10) == 0 || strncasecmp(type, "image/jpg", 9) == 0 ||
           strncasecmp(type, "image/png", 9) == 0 || strncasecmp(type, "image/webp", 10) == 0 ||
           strncasecmp(type, "image/gif", 9) == 0;
}

/* Where an image comes from: its URL and why, and (when that is a
 * full-size image behind a thumbnail) the thumbnail to fall back to. */
typedef struct {
    char *url;
    const char *via;
    char *fallback_url;
    const char *fallback_via;
    int unverified;
    int width, height;
    unsigned placement; /* CC_PLACE_* bits; 0 for an image not in the body (og:image) */
} img_pick;

/* Adds (or merges into) the image with this resolved URL. Takes p's
 * strings and cands. Returns the image's index, or -1 when max_images
 * left it out. A merged image keeps its first occurrence's placement. */
static long add_image(ctx_t *c, img_pick *p, candlist *cands)
{
    extract_result *r = c->r;
    char *url = p->url;
    const char *via = p->via;
    int width = p->width, height = p->height;
    uintptr_t found;
    long idx = cc_strmap_get(&c->img_index, url, &found) ? (long)found : -1;
    if (idx >= 0) {
        extract_image *im = &r->images[idx];
        if (!im->fallback_url && p->fallback_url) {
            im->fallback_url = p->fallback_url;
            im->fallback_via = p->fallback_via;
            p->fallback_url = NULL;
        }
        if (!p->unverified)
            im->url_unverified = 0; /* named as an image somewhere on the page */
        candlist l = {im->cands, im->n_cands, im->n_cands};
        for (size_t i = 0; i < cands->n; i++) {
            cand_add(&l, cands->v[i].source, cands->v[i].text);
            free(cands->v[i].text);
        }
        free(cands->v);
        im->cands = l.v;
        im->n_cands = l.n;
        if (!im->width)
            im->width = width;
        if (!im->height)
            im->height = height;
        free(url);
    } else {
        if (r->n_images >= c->o->max_images) {
            for (size_t i = 0; i < cands->n; i++)
                free(cands->v[i].text);
            free(cands->v);
            free(url);
            free(p->fallback_url);
            memset(cands, 0, sizeof *cands);
            memset(p, 0, sizeof *p);
            return -1;
        }
        if (r->n_images == c->cap_images) {
            c->cap_images = c->cap_images ? 2 * c->cap_images : 16;
            r->images = xrealloc(r->images, c->cap_images * sizeof *r->images);
        }
        extract_image *im = &r->images[r->n_images];
        im->url = url;
        im->via = via;
        im->fallback_url = p->fallback_url;
        im->fallback_via = p->fallback_url ? p->fallback_via : NULL;
        im->url_unverified = p->unverified;
        p->fallback_url = NULL;
        im->width = width;
        im->height = height;
        im->placement = p->placement | CC_PLACE_PAGE;
        im->alt_repeats = 0;
        im->cands = cands->v;
        im->n_cands = cands->n;
        cc_strmap_put(&c->img_index, im->url, r->n_images);
        r->n_images++;
    }
    /* keep candidates in priority order (stable insertion sort) */
    extract_image *im = &r->images[idx >= 0 ? (size_t)idx : r->n_images - 1];
    for (size_t i = 1; i < im->n_cands; i++) {
        caption_candidate t = im->cands[i];
        size_t j = i;
        while (j > 0 && im->cands[j - 1].source > t.source) {
            im->cands[j] = im->cands[j - 1];
            j--;
        }
        im->cands[j] = t;
    }
    free(p->fallback_url);
    memset(cands, 0, sizeof *cands);
    memset(p, 0, sizeof *p);
    return idx >= 0 ? idx : (long)r->n_images - 1;
}

/* Resolves a reference against the page's base; NULL when unusable. */
static char *resolve(const ctx_t *c, const char *ref)
{
    if (!ref || !*ref)
        return NULL;
    return url_resolve(c->base, ref, NULL, 0);
}

/* Picks the URL of an <img> (lazy attributes first, then srcset, then src). */
static char *img_url(const ctx_t *c, xmlNode *img, const char **via, int *width)
{
    static const char *const lazy[] = {"data-src", "data-lazy-src", "data-original", NULL};
    *width = 0;
    const char *ds = attr(img, "data-srcset");
    if (ds) {
        char *u = extract_srcset_pick(ds, c->o->max_width, width);
        char *res = resolve(c, u);
        free(u);
        if (res) {
            *via = "data-srcset";
            return res;
        }
    }
    for (int i = 0; lazy[i]; i++) {
        char *res = resolve(c, attr(img, lazy[i]));
        if (res) {
            *via = lazy[i];
            return res;
        }
    }
    const char *ss = attr(img, "srcset");
    if (ss) {
        char *u = extract_srcset_pick(ss, c->o->max_width, width);
        char *res = resolve(c, u);
        free(u);
        if (res) {
            *via = "srcset";
            return res;
        }
    }
    *width = 0;
    char *res = resolve(c, attr(img, "src"));
    if (res)
        *via = "img";
    return res;
}

/* The nearest <picture> ancestor within a few levels (libxml2 does not know
 * that <source> is void, so the <img> may sit inside a <source>). */
static xmlNode *picture_of(xmlNode *n)
{
    int k = 0;
    for (xmlNode *p = n->parent; p && p->type == XML_ELEMENT_NODE && k < 8; p = p->parent, k++) {
        if (name_is(p, "picture"))
            return p;
        if (!name_is(p, "source"))
            return NULL;
    }
    return NULL;
}

/* Picks the first usable <source srcset> of a picture. */
static char *picture_url(const ctx_t *c, xmlNode *pic, int *width)
{
    for (xmlNode *x = pic->children; x; x = next_node(x, pic, 0)) {
        if (!name_is(x, "source") || !supported_type(attr(x, "type")))
            continue;
        const char *ss = attr(x, "data-srcset");
        if (!ss)
            ss = attr(x, "srcset");
        if (!ss)
            continue;
        char *u = extract_srcset_pick(ss, c->o->max_width, width);
        char *res = resolve(c, u);
        free(u);
        if (res)
            return res;
    }
    return NULL;
}

/* ---- full-size images behind thumbnails --------------------------------------- */

/* The extension of url's last path segment, lower-cased into ext ("" when
 * the segment has none); returns 0 when the path ends in '/' or the segment
 * is a MediaWiki-style namespaced title ("File:X.jpg" is a page). */
static int url_path_ext(const char *url, char *ext, size_t extlen)
{
    ext[0] = 0;
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    if (!p)
        return 0;
    const char *end = p + strcspn(p, "?#");
    const char *seg = end;
    while (seg > p && seg[-1] != '/')
        seg--;
    if (seg == end)
        return 0;
    const char *dot = NULL;
    for (const char *q = seg; q < end; q++) {
        if (*q == ':')
            return 0;
        if (*q == '.')
            dot = q;
    }
    if (!dot || (size_t)(end - dot - 1) >= extlen)
        return 1;
    size_t k = 0;
    for (const char *q = dot + 1; q < end; q++)
        ext[k++] = (char)tolower((unsigned char)*q);
    ext[k] = 0;
    return 1;
}

static int is_image_ext(const char *ext)
{
    static const char *const exts[] = {"jpg", "jpeg", "jpe", "png", "webp", "gif", "avif", "bmp", NULL};
    for (int i = 0; exts[i]; i++)
        if (strcmp(ext, exts[i]) == 0)
            return 1;
    return 0;
}

/* 1 if url's path ends in an image file name (see is_image_ext). */
static int url_is_image_file(const char *url)
{
    char ext[16];
    return url_path_ext(url, ext, sizeof ext) && is_image_ext(ext);
}

/* The nearest enclosing <a href> at most 3 levels above n, or NULL. */
static xmlNode *image_link_of(xmlNode *n)
{
    int k = 0;
    for (xmlNode *p = n->parent; p && p->type == XML_ELEMENT_NODE && k < 3; p = p->parent, k++)
        if (name_is(p, "a"))
            return attr(p, "href") ? p : NULL;
    return NULL;
}

/* A zoom attribute's value that can be a URL ("true", "1", "" are not). */
static int url_like(const char *v)
{
    if (!v)
        return 0;
    while (is_space_byte((unsigned char)*v))
        v++;
    return *v && (strchr(v, '/') || strchr(v, '.')) && strcasecmp(v, "true") != 0;
}

/* MediaWiki thumbnail → original: ".../thumb/a/ab/NAME/220px-NAME[.png]"
 * → ".../a/ab/NAME" (malloc'd), or NULL when url is not of that shape. */
static char *mediawiki_original(const char *url)
{
    const char *t = strstr(url, "/thumb/");
    if (!t)
        return NULL;
    const char *q = url + strcspn(url, "?#");
    if (t > q)
        return NULL;
    const char *last = q;
    while (last > t && last[-1] != '/')
        last--;
    /* last segment: digits "px-" NAME...; the segment before it is NAME */
    const char *d = last;
    while (d < q && isdigit((unsigned char)*d))
        d++;
    if (d == last || q - d < 4 || strncmp(d, "px-", 3) != 0)
        return NULL;
    const char *name_end = last - 1, *name = name_end;
    while (name > t + 7 && name[-1] != '/')
        name--;
    size_t nl = (size_t)(name_end - name);
    if (nl == 0 || (size_t)(q - d - 3) < nl || strncmp(d + 3, name, nl) != 0)
        return NULL;
    ccbuf b = {0};
    ccbuf_append(&b, url, (size_t)(t - url));
    ccbuf_append(&b, t + 6, (size_t)(name_end - (t + 6)));
    char *orig = ccbuf_detach(&b, NULL);
    if (!url_is_image_file(orig)) { /* an SVG/PDF/video original: keep the raster thumbnail */
        free(orig);
        return NULL;
    }
    return orig;
}

/* 1 if the words of u's path or query name an image (see extract.h, 4.). */
static int url_hints_image(const char *u)
{
    static const char *const hints[] = {"image", "img", "photo", "media", "full", "original", "large",
                                        "zoom", "download", "file", "upload", NULL};
    const char *p = strstr(u, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    if (!p)
        return 0;
    for (int i = 0; hints[i]; i++)
        if (memcasemem(p, strcspn(p, "#"), hints[i]))
            return 1;
    return 0;
}

/* The full-size image behind the thumbnail img (see extract.h), resolved:
 * its URL (malloc'd) with *via and *unverified set, or NULL. */
static char *full_size_url(const ctx_t *c, xmlNode *img, xmlNode *ctxnode, const char *thumb, const char **via,
                           int *unverified, int *width)
{
    static const char *const zoom[] = {"data-orig-file", "data-zoom-image", "data-large_image", "data-full",
                                       "data-full-src",  "data-fullsrc",    "data-hi-res-src",  "data-hires",
                                       "data-highres",   "data-zoom-src",   "data-large-file",  "data-large-src",
                                       "data-large",     NULL};
    *unverified = 0;
    xmlNode *a = image_link_of(ctxnode);
    xmlNode *holders[2] = {img, a};
    for (int h = 0; h < 2; h++) {
        for (int i = 0; holders[h] && zoom[i]; i++) {
            const char *v = attr(holders[h], zoom[i]);
            if (!url_like(v))
                continue;
            char *u = resolve(c, v);
            if (u) {
                *via = zoom[i];
                if (strcmp(zoom[i], "data-large_image") == 0)
                    *width = parse_dim(attr(img, "data-large_image_width"));
                return u;
            }
        }
    }
    char *href = a ? resolve(c, attr(a, "href")) : NULL;
    int wiki_page = a && (class_has(a, "image") || class_has(a, "mw-file-description"));
    if (href && !wiki_page && url_is_image_file(href)) {
        *via = "a_href";
        return href;
    }
    char *orig = mediawiki_original(thumb);
    if (orig) {
        free(href);
        *via = "mediawiki-original";
        return orig;
    }
    char ext[16];
    if (href && !wiki_page && url_path_ext(href, ext, sizeof ext) && !ext[0] && url_hints_image(href) &&
        strcmp(href, c->base) != 0) {
        char *text = element_text(a);
        int bare = text == NULL;
        free(text);
        if (bare) {
            *via = "a_href";
            *unverified = 1;
            return href;
        }
    }
    free(href);
    return NULL;
}

/* ---- gallery captions and caption attributes ------------------------------------ */

/* Counts <img> elements below n (not inside <noscript>), stopping at limit
 * or after a bounded number of nodes (then returns limit: "too big"). */
static int count_imgs(xmlNode *n, int limit)
{
    int k = 0;
    size_t seen = 0;
    for (xmlNode *x = n->children; x && k < limit; x = next_node(x, n, name_is(x, "noscript"))) {
        if (++seen > 4000)
            return limit;
        if (name_is(x, "img"))
            k++;
    }
    return k;
}

/* The first element below n whose class makes it a gallery caption (source
 * set in *src), or NULL; bounded like count_imgs. */
static xmlNode *find_gallery_caption(xmlNode *n, caption_source *src)
{
    static const char *const wp[] = {"wp-caption-text", "gallery-caption", "image-caption", "caption-text", NULL};
    size_t seen = 0;
    for (xmlNode *x = n->children; x; x = next_node(x, n, is_skipped_text_container(x))) {
        if (++seen > 4000)
            return NULL;
        if (x->type != XML_ELEMENT_NODE)
            continue;
        if (class_has(x, "thumbcaption")) {
            *src = CAPTION_THUMBCAPTION;
            return x;
        }
        for (int i = 0; wp[i]; i++)
            if (class_has(x, wp[i])) {
                *src = CAPTION_GALLERY;
                return x;
            }
    }
    return NULL;
}

/* Gallery/thumb caption of the image at ctxnode: searched in the nearest
 * ancestors (up to 6) that hold no other image. Adds the candidate and
 * excludes its element from the nearby text. */
static void add_gallery_caption(candlist *l, xmlNode *ctxnode, xmlNode **excl, size_t *n_excl, size_t max_excl)
{
    int k = 0;
    for (xmlNode *p = ctxnode->parent; p && p->type == XML_ELEMENT_NODE && k < 6; p = p->parent, k++) {
        if (name_is(p, "body") || name_is(p, "html") || count_imgs(p, 2) > 1)
            return;
        caption_source src;
        xmlNode *cap = find_gallery_caption(p, &src);
        if (cap) {
            char *t = element_text(cap);
            cand_add(l, src, t);
            free(t);
            if (*n_excl < max_excl)
                excl[(*n_excl)++] = cap;
            return;
        }
    }
}

/* Text of a caption attribute that may hold HTML (Jetpack's
 * data-image-caption): tags dropped. */
static char *strip_tags(const char *v)
{
    if (!v)
        return NULL;
    ccbuf b = {0};
    int in_tag = 0;
    for (const char *p = v; *p; p++) {
        if (*p == '<')
            in_tag = 1, ccbuf_putc(&b, ' ');
        else if (*p == '>' && in_tag)
            in_tag = 0;
        else if (!in_tag)
            ccbuf_putc(&b, *p);
    }
    char *s = ccbuf_detach(&b, NULL);
    char *t = norm_ws(s);
    free(s);
    return t;
}

static void add_data_caption(candlist *l, xmlNode *img, xmlNode *ctxnode)
{
    static const char *const on_img[] = {"data-caption", "data-image-caption", NULL};
    static const char *const on_link[] = {"data-caption", "data-title", "title", NULL};
    for (int i = 0; on_img[i]; i++) {
        char *t = strip_tags(attr(img, on_img[i]));
        if (t) {
            cand_add(l, CAPTION_DATA_CAPTION, t);
            free(t);
            return;
        }
    }
    xmlNode *a = image_link_of(ctxnode);
    for (int i = 0; a && on_link[i]; i++) {
        char *t = strip_tags(attr(a, on_link[i]));
        if (t) {
            cand_add(l, CAPTION_DATA_CAPTION, t);
            free(t);
            return;
        }
    }
}

/* One <img> element. ctxnode is where it sits in the page (the img itself,
 * or the <noscript> a re-parsed fragment came from). */
static void handle_img(ctx_t *c, xmlNode *img, xmlNode *ctxnode, int from_noscript)
{
    img_pick pk = {0};
    pk.via = "img";
    xmlNode *pic = picture_of(img);
    if (pic) {
        pk.url = picture_url(c, pic, &pk.width);
        if (pk.url)
            pk.via = "picture";
    }
    if (!pk.url)
        pk.url = img_url(c, img, &pk.via, &pk.width);
    if (!pk.url)
        return;
    if (from_noscript)
        pk.via = "noscript";
    if (!pk.width)
        pk.width = parse_dim(attr(img, "width"));
    pk.height = parse_dim(attr(img, "height"));

    const char *full_via = NULL;
    int unverified = 0, full_width = 0;
    char *full = full_size_url(c, img, ctxnode, pk.url, &full_via, &unverified, &full_width);
    if (full && strcmp(full, pk.url) != 0) {
        pk.fallback_url = pk.url;
        pk.fallback_via = pk.via;
        pk.url = full;
        pk.via = full_via;
        pk.unverified = unverified;
        pk.width = full_width; /* the size attributes describe the thumbnail */
        pk.height = 0;
    } else {
        free(full);
    }

    candlist l = {0};
    xmlNode *excl[16];
    size_t n_excl = 0;
    cand_add(&l, CAPTION_ALT, attr(img, "alt"));
    for (xmlNode *p = ctxnode->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent) {
        if (name_is(p, "figure")) {
            for (xmlNode *x = p->children; x; x = next_node(x, p, name_is(x, "figure"))) {
                if (name_is(x, "figcaption")) {
                    char *t = element_text(x);
                    cand_add(&l, CAPTION_FIGCAPTION, t);
                    free(t);
                    break;
                }
            }
            break;
        }
    }
    add_gallery_caption(&l, ctxnode, excl, &n_excl, 16);
    char *t = idref_text(c, attr(img, "aria-labelledby"), excl, &n_excl, 16);
    cand_add(&l, CAPTION_ARIA_LABELLEDBY, t);
    free(t);
    cand_add(&l, CAPTION_ARIA_LABEL, attr(img, "aria-label"));
    cand_add(&l, CAPTION_TITLE, attr(img, "title"));
    add_data_caption(&l, img, ctxnode);
    t = idref_text(c, attr(img, "aria-describedby"), excl, &n_excl, 16);
    cand_add(&l, CAPTION_ARIA_DESCRIBEDBY, t);
    free(t);
    t = nearby_text(ctxnode, excl, n_excl, c->o->nearby_max);
    cand_add(&l, CAPTION_NEARBY, t);
    free(t);
    pk.placement = place_image(&c->pg, img, ctxnode, pk.url, pk.fallback_url);
    long idx = add_image(c, &pk, &l);
    if (idx >= 0)
        alt_tally_add(c->alts, (size_t)idx, attr(img, "alt"), from_noscript);
}

static void add_link(ctx_t *c, xmlNode *a)
{
    extract_result *r = c->r;
    if (r->n_links >= c->o->max_links)
        return;
    char *url = resolve(c, attr(a, "href"));
    if (!url)
        return;
    if (url_is_image_file(url)) { /* an image (full-size behind a thumbnail), not a page */
        free(url);
        return;
    }
    int nofollow = r->meta_nofollow;
    const char *rel = attr(a, "rel");
    if (rel) {
        const char *p = rel;
        while (*p) {
            while (*p && is_space_byte((unsigned char)*p))
                p++;
            const char *s = p;
            while (*p && !is_space_byte((unsigned char)*p))
                p++;
            if (p - s == 8 && strncasecmp(s, "nofollow", 8) == 0)
                nofollow = 1;
        }
    }
    uintptr_t idx;
    if (cc_strmap_get(&c->link_index, url, &idx)) {
        if (!nofollow)
            r->links[idx].nofollow = 0; /* followable if any link to it is */
        free(url);
        return;
    }
    if (r->n_links == c->cap_links) {
        c->cap_links = c->cap_links ? 2 * c->cap_links : 32;
        r->links = xrealloc(r->links, c->cap_links * sizeof *r->links);
    }
    r->links[r->n_links].url = url;
    r->links[r->n_links].nofollow = nofollow;
    cc_strmap_put(&c->link_index, url, r->n_links);
    r->n_links++;
}

/* libxml2 turns "&#0;" into a NUL byte inside an attribute, which cuts the
 * alt text there ("a kite&#0; over the hill" -> "a kite"). HTML (and
 * Python's html.unescape) make it U+FFFD: rewrite every numeric reference
 * to 0 as "&#xFFFD;" before parsing. Returns a new buffer (its length in
 * *n), or NULL when there is none. */
static char *nul_refs_replaced(const char *s, size_t len, size_t *n)
{
    ccbuf out = {0};
    size_t from = 0;
    for (size_t i = 0; i + 3 < len; i++) {
        if (s[i] != '&' || s[i + 1] != '#')
            continue;
        size_t k = i + 2;
        int hex = k < len && (s[k] == 'x' || s[k] == 'X');
        k += (size_t)hex;
        size_t d0 = k;
        while (k < len && s[k] == '0')
            k++;
        if (k == d0 || (k < len && (hex ? isxdigit((unsigned char)s[k]) : isdigit((unsigned char)s[k]))))
            continue; /* no digits, or a non-zero value */
        if (k < len && s[k] == ';')
            k++;
        ccbuf_append(&out, s + from, i - from);
        ccbuf_puts(&out, "&#xFFFD;");
        from = k;
        i = k - 1;
    }
    if (!out.len)
        return NULL;
    ccbuf_append(&out, s + from, len - from);
    return ccbuf_detach(&out, n);
}

/* <noscript> whose content came through as text: parse it as a fragment. */
static void handle_noscript_text(ctx_t *c, xmlNode *ns)
{
    ccbuf b = {0};
    for (xmlNode *x = ns->children; x; x = x->next)
        if (x->type == XML_TEXT_NODE && x->content)
            ccbuf_puts(&b, (const char *)x->content);
    if (!b.len || !memchr(b.data, '<', b.len) || b.len > INT_MAX) {
        ccbuf_free(&b);
        return;
    }
    htmlDocPtr frag = htmlReadMemory((const char *)b.data, (int)b.len, NULL, "UTF-8",
                                     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                         HTML_PARSE_NONET | HTML_PARSE_NOIMPLIED);
    ccbuf_free(&b);
    if (!frag)
        return;
    for (xmlNode *x = frag->children; x; x = next_node(x, (xmlNode *)frag, 0))
        if (name_is(x, "img"))
            handle_img(c, x, ns, 1);
    xmlFreeDoc(frag);
}

/* ---- page ------------------------------------------------------------------- */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void) { xmlInitParser(); }

void extract_result_free(extract_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_images; i++) {
        free(r->images[i].url);
        free(r->images[i].fallback_url);
        for (size_t j = 0; j < r->images[i].n_cands; j++)
            free(r->images[i].cands[j].text);
        free(r->images[i].cands);
    }
    free(r->images);
    for (size_t i = 0; i < r->n_links; i++)
        free(r->links[i].url);
    free(r->links);
    free(r->base_url);
    free(r->charset);
    free(r->title);
    free(r->lang);
    free(r->tdm_policy);
    memset(r, 0, sizeof *r);
}

static void meta_robots(extract_result *r, const char *content)
{
    r->optout |= optout_robots_meta(content);
    const char *p = content;
    while (p && *p) {
        while (*p && (*p == ',' || is_space_byte((unsigned char)*p)))
            p++;
        const char *s = p;
        while (*p && *p != ',' && !is_space_byte((unsigned char)*p))
            p++;
        size_t n = (size_t)(p - s);
        if ((n == 7 && strncasecmp(s, "noindex", 7) == 0) || (n == 4 && strncasecmp(s, "none", 4) == 0))
            r->meta_noindex = 1;
        if ((n == 8 && strncasecmp(s, "nofollow", 8) == 0) || (n == 4 && strncasecmp(s, "none", 4) == 0))
            r->meta_nofollow = 1;
    }
}

int extract_page(const char *html, size_t n, const char *page_url, const char *content_type_header,
                 extract_result *out)
{
    return extract_page_opts(html, n, page_url, content_type_header, NULL, out, NULL, 0);
}

int extract_page_opts(const char *html, size_t n, const char *page_url, const char *content_type_header,
                      const extract_options *opts, extract_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    extract_options defo;
    if (!opts) {
        extract_options_init(&defo);
        opts = &defo;
    }
    char *page = page_url ? url_normalize(page_url, NULL, 0) : NULL;
    if (!page) {
        cc_seterr(err, errlen, "page URL '%.200s' is not an absolute http(s) URL", page_url ? page_url : "(null)");
        return -1;
    }
    pthread_once(&xml_once, xml_init);
    if (!html)
        n = 0;
    if (n > INT_MAX - 1)
        n = INT_MAX - 1;

    /* Charset: header, else BOM, else <meta>, else libxml2's guess. */
    char label[64], buf[64];
    const char *enc = NULL;
    if (n >= 3 && memcmp(html, "\xEF\xBB\xBF", 3) == 0)
        enc = "UTF-8";
    if (!enc && content_type_header) {
        const char *cs = memcasemem(content_type_header, strlen(content_type_header), "charset=");
        if (cs && read_label(cs + 8, cs + strlen(cs), label, sizeof label))
            enc = canon_charset(label, 0, buf, sizeof buf);
    }
    if (!enc && sniff_meta_charset(html, n, label, sizeof label))
        enc = canon_charset(label, 1, buf, sizeof buf);
    if (!enc) /* unlabelled: UTF-8 when it is, else windows-1252 (HTML5's default) */
        enc = cc_utf8_valid(html, n) ? "UTF-8" : "WINDOWS-1252";
    char *conv = NULL;
    const char *parse_enc = enc;
    if (strcmp(enc, "WINDOWS-1252") == 0) {
        conv = cp1252_to_utf8(html, n, &n);
        if (n > INT_MAX - 1)
            n = INT_MAX - 1;
        html = conv;
        parse_enc = "UTF-8";
    }
    char *nulfix = nul_refs_replaced(html, n, &n);
    if (nulfix)
        html = nulfix;
    /* libxml2 reports encoding trouble through the (per-thread) generic error
     * handler even with NOERROR; keep stderr quiet while we parse. */
    xmlGenericErrorFunc old_generic = xmlGenericError;
    void *old_generic_ctx = xmlGenericErrorContext;
    xmlStructuredErrorFunc old_structured = xmlStructuredError;
    void *old_structured_ctx = xmlStructuredErrorContext;
    xmlSetGenericErrorFunc(NULL, quiet_generic);
    xmlSetStructuredErrorFunc(NULL, quiet_structured);

    htmlParserCtxtPtr pc = htmlNewParserCtxt();
    if (!pc) {
        fprintf(stderr, "clipcrawl: out of memory\n");
        abort();
    }
    int flags = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET;
    htmlDocPtr doc = htmlCtxtReadMemory(pc, n ? html : "", (int)n, page, parse_enc, flags);
    htmlFreeParserCtxt(pc);
    xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
    xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
    free(conv);
    free(nulfix);
    extract_result *r = out;
    r->charset = xstrdup(enc);
    for (char *q = r->charset; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    if (!doc) {
        r->base_url = page;
        return 0; /* nothing parsed (empty input): an empty page, not an error */
    }
    xmlNode *root = xmlDocGetRootElement(doc);

    ctx_t c = {0};
    c.o = opts;
    c.r = r;
    /* Pass 1: <base>, <meta>, <title>, lang, ids. */
    size_t cap_ids = 0;
    int have_base = 0;
    struct og { char *url; char *alt; } *ogs = NULL;
    size_t n_og = 0;
    for (xmlNode *x = root; x; x = next_node(x, root, 0)) {
        if (x->type != XML_ELEMENT_NODE)
            continue;
        const char *id = attr(x, "id");
        if (id && *id) {
            if (c.n_ids == cap_ids) {
                cap_ids = cap_ids ? 2 * cap_ids : 32;
                c.ids = xrealloc(c.ids, cap_ids * sizeof *c.ids);
            }
            c.ids[c.n_ids++] = x;
        }
        if (name_is(x, "html") && !r->lang && attr(x, "lang"))
            r->lang = norm_ws(attr(x, "lang"));
        else if (name_is(x, "base") && !have_base && attr(x, "href")) {
            char *b = url_resolve(page, attr(x, "href"), NULL, 0);
            if (b) {
                have_base = 1;
                r->base_url = b;
            }
        } else if (name_is(x, "title") && !r->title) {
            r->title = element_text(x);
        } else if (name_is(x, "meta")) {
            const char *name = attr(x, "name");
            const char *prop = attr(x, "property");
            const char *content = attr(x, "content");
            if (!content)
                continue;
            if (name && (strcasecmp(name, "robots") == 0 || (opts->agent && strcasecmp(name, opts->agent) == 0)))
                meta_robots(r, content);
            else if (name && strcasecmp(name, "tdm-reservation") == 0)
                r->optout |= optout_tdm_value(content);
            else if (name && strcasecmp(name, "tdm-policy") == 0 && !r->tdm_policy)
                r->tdm_policy = norm_ws(content);
            const char *key = prop ? prop : name;
            if (key && (strcasecmp(key, "og:image") == 0 || strcasecmp(key, "og:image:url") == 0 ||
                        strcasecmp(key, "og:image:secure_url") == 0)) {
                /* og:image:url / secure_url repeat the og:image before them */
                if (strcasecmp(key, "og:image") == 0 || n_og == 0) {
                    ogs = xrealloc(ogs, (n_og + 1) * sizeof *ogs);
                    ogs[n_og].url = xstrdup(content);
                    ogs[n_og].alt = NULL;
                    n_og++;
                }
            } else if (key && strcasecmp(key, "og:image:alt") == 0 && n_og > 0 && !ogs[n_og - 1].alt) {
                ogs[n_og - 1].alt = xstrdup(content);
            }
        }
    }
    if (!r->base_url)
        r->base_url = xstrdup(page);
    c.base = r->base_url;
    if (c.n_ids)
        qsort(c.ids, c.n_ids, sizeof *c.ids, cmp_id);

    /* Pass 2: images and links in document order. */
    c.nav = nav_index_build(root);
    char *page_host = url_host(page);
    char *page_site = page_host ? url_registrable_domain(page_host) : NULL;
    c.pg = (place_page){.page_url = page, .page_host = page_host, .page_site = page_site, .base = c.base};
    c.alts = alt_tally_new();
    for (xmlNode *x = root; x; x = next_node(x, root, 0)) {
        if (x->type != XML_ELEMENT_NODE)
            continue;
        if (name_is(x, "img")) {
            xmlNode *ns = x->parent;
            while (ns && ns->type == XML_ELEMENT_NODE && !name_is(ns, "noscript"))
                ns = ns->parent;
            if (ns && ns->type == XML_ELEMENT_NODE)
                handle_img(&c, x, ns, 1); /* <noscript><img> parsed as elements */
            else
                handle_img(&c, x, x, 0);
        }
        else if (name_is(x, "noscript")) {
            int under_ns = 0;
            for (xmlNode *p = x->children; p; p = p->next)
                if (p->type == XML_ELEMENT_NODE)
                    under_ns = 1;
            if (!under_ns)
                handle_noscript_text(&c, x);
        } else if (name_is(x, "a") || name_is(x, "area"))
            add_link(&c, x);
    }
    for (size_t i = 0; i < n_og; i++) {
        char *u = resolve(&c, ogs[i].url);
        if (u) {
            candlist l = {0};
            cand_add(&l, CAPTION_OG_IMAGE_ALT, ogs[i].alt);
            img_pick pk = {.url = u, .via = "og:image"};
            add_image(&c, &pk, &l);
        }
        free(ogs[i].url);
        free(ogs[i].alt);
    }
    free(ogs);
    alt_tally_apply(c.alts, r->images, r->n_images);
    alt_tally_free(c.alts);
    free(page_host);
    free(page_site);
    free(c.ids);
    nav_index_free(c.nav);
    cc_strmap_free(&c.img_index);
    cc_strmap_free(&c.link_index);
    xmlFreeDoc(doc);
    free(page);
    return 0;
}

/* ---- caption choice ------------------------------------------------------- */

int extract_choose_caption(const extract_image *img, extract_judge_fn judge, void *ctx, const char **reason)
{
    if (reason)
        *reason = NULL;
    if (!img || img->n_cands == 0) {
        if (reason)
            *reason = "no_caption";
        return -1;
    }
    const char *first_reason = NULL;
    for (size_t i = 0; i < img->n_cands; i++) {
        const char *why = NULL;
        if (!judge || judge(img->cands[i].text, img, ctx, &why))
            return (int)i;
        if (i == 0)
            first_reason = why ? why : "rejected";
    }
    if (reason)
        *reason = first_reason;
    return -1;
}
