/* extract-place.c — the placement bits of an image and the alt repeat count.
 * See extract-place.h; common/placement.h defines the bits. */
#include "extract-place.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "common.h"
#include "extract-dom.h"
#include "extract-nav.h"
#include "placement.h"
#include "strmap.h"
#include "text.h"
#include "url.h"

/* ---- word lists (lower case; see placement.h) ------------------------------ */

static const char *const aside_words[] = {
    "aside", "sidebar", "sidebars", "widget", "widgets", "widgetarea", "related", "recommended",
    "recommendation", "recommendations", "comments", "comment", "commentlist", "discussion", "trending",
    "popular", "rail", NULL};
static const char *const profile_words[] = {
    "author", "authors", "avatar", "avatars", "byline", "profile", "profiles", "user", "users", "gravatar",
    "userpic", "userpics", "headshot", "contributor", "contributors", NULL};
/* an image URL that names a person's picture */
static const char *const profile_url_words[] = {"avatar", "avatars", "gravatar", "userpic", "userpics",
                                                "headshot", "headshots", NULL};
/* a link to a person's page */
static const char *const profile_link_words[] = {"author", "authors", "user", "users", "profile", "profiles",
                                                 "member", "members", NULL};
static const char *const ad_words[] = {
    "ad", "ads", "advert", "adverts", "advertisement", "advertisements", "advertising", "sponsor", "sponsors",
    "sponsored", "promo", "promos", "promoted", "dfp", "adsense", "adslot", "adunit", "adsbygoogle",
    "taboola", "outbrain", NULL};
/* ad servers and their paths ("ad" alone is too common in file names) */
static const char *const ad_url_words[] = {
    "ads", "adserver", "adservice", "adsystem", "doubleclick", "googlesyndication", "googleadservices",
    "adnxs", "taboola", "outbrain", "criteo", "pagead", "adclick", "aclk", "advert", "adverts",
    "advertisement", "advertisements", "sponsor", "sponsors", NULL};
static const char *const icon_url_words[] = {
    "icon", "icons", "sprite", "sprites", "emoji", "emojis", "favicon", "favicons", "badge", "badges",
    "button", "buttons", "spacer", "smiley", "smileys", "smilies", NULL};
static const char *const logo_words[] = {"logo", "logos", "brand", "brands", "branding", NULL};
static const char *const content_words[] = {"content", "article", "postbody", "entrycontent", "storybody",
                                            "articlebody", "maincontent", "postcontent", NULL};
/* a "content" word beside one of these names a part of the page around the
 * content ("sidebar-content", "header-content"), not the content */
static const char *const not_content_words[] = {
    "header", "footer", "nav", "menu", "sidebar", "widget", "related", "comment", "comments", "ad", "ads",
    "promo", "aside", "modal", "popup", "cookie", "banner", NULL};

#define ICON_MAX_PX 64
#define PROFILE_LEVELS 5 /* a person's box sits right around the picture */
#define LOGO_LEVELS 4
#define FIGURE_LEVELS 4 /* class-named figures (DocBook, MediaWiki thumbs) */

/* ---- small helpers ----------------------------------------------------------- */

/* class or id of n holds one of words (layout flags skipped) */
static int names_word(const xmlNode *n, const char *const *words)
{
    return nav_has_word(attr(n, "class"), words, 1) || nav_has_word(attr(n, "id"), words, 1);
}

/* 1 if the host or path (not the query) of url holds one of words; with
 * dirs_only, the host and directories only: a file name is often an
 * article's slug ("the-age-of-html5-ads.jpg" is no advert). */
static int url_word_in(const char *url, const char *const *words, int dirs_only)
{
    if (!url)
        return 0;
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "?#");
    if (dirs_only)
        while (n > 0 && p[n - 1] != '/')
            n--;
    char buf[512];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    return nav_has_word(buf, words, 0);
}

static int url_word(const char *url, const char *const *words)
{
    return url_word_in(url, words, 0);
}

/* An advert's URL: an ad server's host ("ad.", "ads." or a known one) or
 * an ad directory. */
static int ad_url(const char *url)
{
    if (!url)
        return 0;
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    return strncasecmp(h, "ad.", 3) == 0 || url_word_in(url, ad_url_words, 1);
}

/* 1 if url's path names an image file: its last segment ends in an image
 * extension, namespaced or not (a MediaWiki "File:X.jpg" page is about the
 * image itself). */
static int url_names_image(const char *url)
{
    static const char *const exts[] = {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".avif", ".bmp",
                                       ".svg", ".tif", ".tiff", NULL};
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    if (!p)
        return 0;
    size_t n = strcspn(p, "?#");
    for (int i = 0; exts[i]; i++) {
        size_t k = strlen(exts[i]);
        if (n > k && strncasecmp(p + n - k, exts[i], k) == 0)
            return 1;
    }
    return 0;
}

/* An ancestor that holds the page's <article>/<main> (or everything: the
 * counts are unknown for re-parsed fragments) is a layout wrapper. */
static int wrapper(const xmlNode *n)
{
    const nav_stat *s = nav_stat_of(n);
    return s && s->content > 0;
}

/* 1 if n has an <article> ancestor (an <aside> there is the article's own
 * box, not the page's sidebar). */
static int inside_article(const xmlNode *n)
{
    for (const xmlNode *p = n->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent)
        if (name_is(p, "article"))
            return 1;
    return 0;
}

/* ---- declared size ------------------------------------------------------------ */

/* A CSS length in px: "24", "24px", "24.5px", "1em"/"1rem" (16 px each);
 * -1 for anything else ("50%", "auto"). Stops at end, ';' or '!'. */
static int css_px(const char *s, int bare_ok)
{
    while (is_space_byte((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s) && *s != '.')
        return -1;
    double v = 0;
    while (isdigit((unsigned char)*s) && v < 1e6)
        v = v * 10 + (*s++ - '0');
    if (*s == '.') {
        double f = 0.1;
        for (s++; isdigit((unsigned char)*s); s++, f /= 10)
            v += (*s - '0') * f;
    }
    double mul = -1;
    if (strncasecmp(s, "px", 2) == 0)
        mul = 1, s += 2;
    else if (strncasecmp(s, "rem", 3) == 0)
        mul = 16, s += 3;
    else if (strncasecmp(s, "em", 2) == 0)
        mul = 16, s += 2;
    else if (bare_ok || v == 0)
        mul = 1;
    while (is_space_byte((unsigned char)*s))
        s++;
    if (mul < 0 || (*s && *s != ';' && *s != '!'))
        return -1;
    v *= mul;
    return v > 1e6 ? 1000000 : (int)(v + 0.5);
}

/* The value of property prop in an inline style ("width" is not
 * "max-width" or "line-height"), or NULL. */
static const char *style_value(const char *style, const char *prop)
{
    size_t pl = strlen(prop);
    for (const char *p = style; p && *p;) {
        while (*p == ';' || is_space_byte((unsigned char)*p))
            p++;
        const char *name = p;
        while (*p && *p != ':' && *p != ';')
            p++;
        const char *ne = p;
        while (ne > name && is_space_byte((unsigned char)ne[-1]))
            ne--;
        if (*p == ':') {
            const char *val = p + 1;
            if ((size_t)(ne - name) == pl && strncasecmp(name, prop, pl) == 0)
                return val;
            while (*p && *p != ';')
                p++;
        }
    }
    return NULL;
}

void place_declared_size(const xmlNode *img, int *width, int *height)
{
    const char *w = attr(img, "width"), *h = attr(img, "height"), *st = attr(img, "style");
    *width = w ? css_px(w, 1) : -1;
    *height = h ? css_px(h, 1) : -1;
    const char *sw = style_value(st, "width"), *sh = style_value(st, "height");
    if (sw && css_px(sw, 0) >= 0)
        *width = css_px(sw, 0);
    if (sh && css_px(sh, 0) >= 0)
        *height = css_px(sh, 0);
}

static int small_declared(const xmlNode *img)
{
    int w, h;
    place_declared_size(img, &w, &h);
    if (w < 0 && h < 0)
        return 0;
    return (w < 0 || w <= ICON_MAX_PX) && (h < 0 || h <= ICON_MAX_PX);
}

/* ---- the bits ------------------------------------------------------------------ */

static int profile_attrs(const xmlNode *n)
{
    return names_word(n, profile_words) || nav_has_word(attr(n, "itemprop"), profile_words, 0);
}

/* The enclosing link's bits: linked, offsite, and what its URL says. */
static unsigned link_bits(const place_page *pg, const xmlNode *a, const char *url, const char *thumb)
{
    const char *href = attr(a, "href");
    char *u = href && *href ? url_resolve(pg->base, href, NULL, 0) : NULL;
    if (!u)
        return 0; /* javascript:, mailto:, empty */
    unsigned bits = 0;
    if (ad_url(u))
        bits |= CC_PLACE_AD;
    int itself = strcmp(u, pg->page_url) == 0 || strcmp(u, url) == 0 || (thumb && strcmp(u, thumb) == 0) ||
                 url_names_image(u);
    if (!itself) {
        bits |= CC_PLACE_LINKED;
        char *host = url_host(u);
        if (host && pg->page_host && strcmp(host, pg->page_host) != 0) {
            char *site = url_registrable_domain(host);
            if (!pg->page_site || strcmp(site, pg->page_site) != 0)
                bits |= CC_PLACE_OFFSITE;
            free(site);
        }
        free(host);
        const char *rel = attr(a, "rel");
        if (nav_has_word(rel, (const char *const[]){"author", NULL}, 0))
            bits |= CC_PLACE_PROFILE;
        else if (!(bits & CC_PLACE_OFFSITE)) { /* the site's own page about a person */
            const char *path = strstr(u, "://");
            path = path ? strchr(path + 3, '/') : NULL;
            if (path && url_word(path, profile_link_words))
                bits |= CC_PLACE_PROFILE;
        }
    }
    free(u);
    return bits;
}

unsigned place_image(const place_page *pg, const xmlNode *img, const xmlNode *ctxnode, const char *url,
                     const char *thumb)
{
    static const char *const figure_tokens[] = {"figure", "informalfigure", "thumb", "thumbinner", "wp-caption",
                                                NULL};
    unsigned bits = CC_PLACE_PAGE;
    if (nav_inside(ctxnode))
        bits |= CC_PLACE_NAV;

    /* the image itself */
    if (profile_attrs(img) || url_word(url, profile_url_words) || url_word(thumb, profile_url_words))
        bits |= CC_PLACE_PROFILE;
    if (names_word(img, ad_words) || ad_url(url) || ad_url(thumb))
        bits |= CC_PLACE_AD;
    if (names_word(img, logo_words) || url_word(url, logo_words) || url_word(thumb, logo_words))
        bits |= CC_PLACE_LOGO;
    if ((!thumb && small_declared(img)) || url_word(url, icon_url_words) || url_word(thumb, icon_url_words))
        bits |= CC_PLACE_ICON;

    /* its ancestors */
    int level = 0, seen_link = 0;
    for (const xmlNode *p = ctxnode->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent, level++) {
        if (name_is(p, "body") || name_is(p, "html"))
            break;
        if (!seen_link && name_is(p, "a") && attr(p, "href")) {
            seen_link = 1;
            bits |= link_bits(pg, p, url, thumb);
        }
        if (name_is(p, "figure") || (level < FIGURE_LEVELS && class_has_any(p, figure_tokens)))
            bits |= CC_PLACE_FIGURE;
        const char *role = attr(p, "role"), *itemprop = attr(p, "itemprop");
        if (name_is(p, "article") || name_is(p, "main") || (role && strcasecmp(role, "main") == 0) ||
            (itemprop && strcasecmp(itemprop, "articleBody") == 0) ||
            (names_word(p, content_words) && !names_word(p, not_content_words)))
            bits |= CC_PLACE_CONTENT;
        if (wrapper(p))
            continue; /* "has-sidebar" on the page wrapper says nothing about this image */
        if (names_word(p, aside_words) || (name_is(p, "aside") && !inside_article(p)))
            bits |= CC_PLACE_ASIDE;
        if (names_word(p, ad_words))
            bits |= CC_PLACE_AD;
        const nav_stat *s = nav_stat_of(p);
        if (level < PROFILE_LEVELS && (!s || s->imgs <= 2) && profile_attrs(p))
            bits |= CC_PLACE_PROFILE;
        if (level < LOGO_LEVELS && names_word(p, logo_words))
            bits |= CC_PLACE_LOGO;
    }
    return bits;
}

/* ---- alt repeats ----------------------------------------------------------- */

typedef struct {
    size_t image;
    char *key; /* lower-cased, whitespace-normalised alt */
    int noscript;
} alt_rec;

struct alt_tally {
    alt_rec *v;
    size_t n, cap;
};

alt_tally *alt_tally_new(void)
{
    return xcalloc(1, sizeof(alt_tally));
}

void alt_tally_free(alt_tally *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].key);
    free(t->v);
    free(t);
}

/* Whitespace-normalised, lower-cased copy of s (malloc'd), or NULL when
 * nothing is left. */
static char *alt_key(const char *s)
{
    char *t = norm_ws(s);
    if (!t)
        return NULL;
    ccbuf b = {0};
    size_t n = strlen(t);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = cc_utf8_next(t + i, n - i, &cp);
        if (k == 0)
            break;
        cc_utf8_put(&b, (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp));
        i += k;
    }
    free(t);
    return ccbuf_detach(&b, NULL);
}

void alt_tally_add(alt_tally *t, size_t image, const char *alt, int from_noscript)
{
    char *key = alt ? alt_key(alt) : NULL;
    if (!key)
        return;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = (alt_rec){image, key, from_noscript};
}

void alt_tally_apply(alt_tally *t, extract_image *images, size_t n)
{
    cc_strmap shown = {0}, count = {0};
    for (size_t i = 0; i < t->n; i++) /* (image, alt) pairs shown outside <noscript> */
        if (!t->v[i].noscript) {
            char *k = xasprintf("%zu\x01%s", t->v[i].image, t->v[i].key);
            cc_strmap_put(&shown, k, 1);
            free(k);
        }
    for (size_t i = 0; i < t->n; i++) {
        if (t->v[i].noscript) {
            char *k = xasprintf("%zu\x01%s", t->v[i].image, t->v[i].key);
            int twin = cc_strmap_get(&shown, k, NULL);
            free(k);
            if (twin)
                continue; /* the <noscript> copy of a lazy image */
        }
        uintptr_t c = 0;
        cc_strmap_get(&count, t->v[i].key, &c);
        cc_strmap_put(&count, t->v[i].key, c + 1);
    }
    for (size_t i = 0; i < n; i++) {
        images[i].alt_repeats = 0;
        for (size_t j = 0; j < images[i].n_cands; j++) {
            if (images[i].cands[j].source != CAPTION_ALT)
                continue;
            char *key = alt_key(images[i].cands[j].text);
            uintptr_t c = 0;
            if (key)
                cc_strmap_get(&count, key, &c);
            images[i].alt_repeats = c ? (int)c : 1;
            free(key);
            break;
        }
    }
    cc_strmap_free(&shown);
    cc_strmap_free(&count);
}
