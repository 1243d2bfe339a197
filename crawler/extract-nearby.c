/* extract-nearby.c — the nearby-text caption candidate, navigation left out.
 * See extract-nearby.h. */
#include "extract-nearby.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "extract-dom.h"
#include "extract-nav.h"
#include "text.h"

static int ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int contains(const xmlNode *n, const xmlNode *d)
{
    for (const xmlNode *p = d; p; p = p->parent)
        if (p == n)
            return 1;
    return 0;
}

static int is_block(const xmlNode *n)
{
    static const char *const blocks[] = {"p", "div", "li", "td", "th", "dd", "dt", "section", "article",
                                         "blockquote", "figure", "header", "footer", "main", "aside",
                                         "body", "ul", "ol", "table", "caption", "h1", "h2", "h3", "h4",
                                         "h5", "h6", "center", "form", "nav", NULL};
    for (int i = 0; blocks[i]; i++)
        if (name_is(n, blocks[i]))
            return 1;
    return 0;
}

/* Paging words of the languages the caption filter knows, lower case. */
static const char *const paging_words[] = {
    "page", "pages", "p", "next", "prev", "previous", "older", "newer", "first", "last", "more", "seite", "weiter",
    "zurück", "vor", "nächste", "vorherige", "página", "pagina", "siguiente", "anterior", "suivant", "suivante",
    "précédent", "précédente", "successivo", "successiva", "precedente", "volgende", "vorige", "próxima",
    "próximo", "страница", "далее", "назад", "sivu", "strona", "sida", "side", "nästa", "neste", "næste",
    "次へ", "前へ", "下一页", "上一页", "页", "頁", NULL};

static int is_number_token(const char *s, size_t n)
{
    if (n == 0 || n > 5)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* No letter or digit: "…", "»", "|", "->". */
static int is_punct_token(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = cc_utf8_next(s + i, n - i, &cp);
        int punct = cp < 0x80 ? !ascii_alnum((unsigned char)cp)
                              : (cp <= 0xBF || (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
                                 (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20));
        if (!punct)
            return 0; /* a letter or digit (or anything not plainly punctuation) */
        i += k;
    }
    return 1;
}

static int is_paging_word(const char *s, size_t n)
{
    char low[48];
    if (n >= sizeof low)
        return 0;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
    low[n] = 0;
    /* trailing colon or full stop: "Seite:", "p." */
    while (n > 1 && (low[n - 1] == ':' || low[n - 1] == '.'))
        low[--n] = 0;
    for (int i = 0; paging_words[i]; i++)
        if (strcasecmp(low, paging_words[i]) == 0)
            return 1;
    return 0;
}

/* Pagination: at least 3 tokens, 2 of them page numbers, and 80% numbers,
 * paging words or arrows ("page 7 page 8 page 12", "1 2 3 … next »"). */
static int pagination_shape(const char *t)
{
    size_t tokens = 0, numbers = 0, paging = 0;
    for (const char *p = t; *p;) {
        while (*p == ' ')
            p++;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        size_t n = (size_t)(p - s);
        if (!n)
            break;
        tokens++;
        if (is_number_token(s, n))
            numbers++, paging++;
        else if (is_punct_token(s, n) || is_paging_word(s, n))
            paging++;
    }
    return tokens >= 3 && numbers >= 2 && paging * 10 >= tokens * 8;
}

/* A breadcrumb separator token: › » > / | → ＞ ・ :: */
static int is_crumb_sep(const char *s, size_t n)
{
    static const char *const seps[] = {"›", "»", ">", "/", "|", "→", "＞", "::", "\\", "·", ">>", NULL};
    for (int i = 0; seps[i]; i++)
        if (strlen(seps[i]) == n && memcmp(s, seps[i], n) == 0)
            return 1;
    return 0;
}

/* A breadcrumb: 3 or more segments of at most 4 words (40 bytes) each,
 * joined by separator tokens ("Home › Products › Shoes"). */
static int breadcrumb_shape(const char *t)
{
    size_t segs = 0, words = 0, bytes = 0, seps = 0;
    for (const char *p = t;;) {
        while (*p == ' ')
            p++;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        size_t n = (size_t)(p - s);
        if (n == 0 || is_crumb_sep(s, n)) {
            if (words == 0 || words > 4 || bytes > 40)
                return 0; /* an empty or long segment: not a breadcrumb */
            segs++;
            words = bytes = 0;
            if (n == 0)
                break;
            seps++;
            continue;
        }
        words++;
        bytes += n;
    }
    return segs >= 3 && seps + 1 == segs;
}

/* ---- the text --------------------------------------------------------------- */

typedef struct {
    size_t from, to;     /* byte range in the block's text */
    const xmlNode *link; /* the link it is in, or NULL */
} seg;

/* The nearest link above text node x, below block (NULL if none). */
static const xmlNode *link_above(const xmlNode *x, const xmlNode *block)
{
    for (const xmlNode *p = x->parent; p && p != block && p->type == XML_ELEMENT_NODE; p = p->parent)
        if (nav_is_link(p))
            return p;
    return NULL;
}

/* Links in t[from, to) per the segments: non-space bytes, linked bytes,
 * distinct links. */
static void window_links(const char *t, const seg *sg, size_t n_seg, size_t from, size_t to, size_t *text,
                         size_t *linked, size_t *links)
{
    *text = *linked = *links = 0;
    const xmlNode *last = NULL;
    for (size_t i = 0; i < n_seg; i++) {
        size_t a = sg[i].from > from ? sg[i].from : from, b = sg[i].to < to ? sg[i].to : to;
        size_t nb = 0;
        for (size_t k = a; k < b; k++)
            if (t[k] != ' ')
                nb++;
        if (!nb)
            continue;
        *text += nb;
        if (sg[i].link) {
            *linked += nb;
            if (sg[i].link != last)
                (*links)++;
        }
        last = sg[i].link;
    }
}

char *nearby_text(xmlNode *anchor, xmlNode **excl, size_t n_excl, size_t max)
{
    if (max == 0 || nav_inside(anchor))
        return NULL;
    xmlNode *block = anchor->parent;
    while (block && block->type == XML_ELEMENT_NODE && !is_block(block))
        block = block->parent;
    if (!block || block->type != XML_ELEMENT_NODE || name_is(block, "body"))
        return NULL; /* text straight in <body> is the page's, not the image's */
    ccbuf b = {0};
    seg *sg = NULL;
    size_t n_seg = 0, cap_seg = 0;
    int sp = 0;
    size_t at = 0;
    int seen_anchor = 0;
    for (xmlNode *x = block->children; x;) {
        int skip = is_skipped_text_container(x) || name_is(x, "figcaption");
        for (size_t i = 0; i < n_excl && !skip; i++)
            if (excl[i] == x)
                skip = 1;
        if (!skip && x != anchor && x->type == XML_ELEMENT_NODE && (nav_is_container(x) || nav_link_run(x)) &&
            !contains(x, anchor))
            skip = 1; /* a menu, pager or breadcrumb beside the image */
        if (x == anchor) {
            at = b.len;
            seen_anchor = 1;
            sp = 1;
            skip = 1;
        } else if (!skip && (x->type == XML_TEXT_NODE || x->type == XML_CDATA_SECTION_NODE) && x->content) {
            size_t from = b.len;
            append_collapsed(&b, (const char *)x->content, &sp);
            if (b.len > from) {
                if (n_seg == cap_seg) {
                    cap_seg = cap_seg ? 2 * cap_seg : 32;
                    sg = xrealloc(sg, cap_seg * sizeof *sg);
                }
                sg[n_seg].from = from;
                sg[n_seg].to = b.len;
                sg[n_seg].link = link_above(x, block);
                n_seg++;
            }
        } else if (x->type == XML_ELEMENT_NODE && !is_inline(x)) {
            sp = 1;
        }
        if (b.len > 64 * max && seen_anchor)
            break; /* far enough past the image */
        x = next_node(x, block, skip);
    }
    if (!b.len) {
        ccbuf_free(&b);
        free(sg);
        return NULL;
    }
    char *t = (char *)b.data;
    size_t len = b.len;
    size_t start = 0, end = len;
    if (len > max) {
        size_t half = max / 2;
        start = at > half ? at - half : 0;
        end = start + max;
        if (end > len) {
            end = len;
            start = len - max;
        }
        /* snap to UTF-8 character starts, then to word boundaries */
        while (start > 0 && start < len && ((unsigned char)t[start] & 0xC0) == 0x80)
            start++;
        while (end < len && end > start && ((unsigned char)t[end] & 0xC0) == 0x80)
            end--;
        if (start > 0) {
            size_t s2 = start;
            while (s2 < end && t[s2 - 1] != ' ')
                s2++;
            if (s2 < end && s2 - start < 40)
                start = s2;
        }
        if (end < len) {
            size_t e2 = end;
            while (e2 > start && t[e2] != ' ')
                e2--;
            if (e2 > start && end - e2 < 40)
                end = e2;
        }
    }
    size_t text, linked, links;
    window_links(t, sg, n_seg, start, end, &text, &linked, &links);
    free(sg);
    int nav = (links >= 3 && linked * 2 >= text) || (links >= 2 && linked * 10 >= text * 7 && linked <= 30 * links);
    char *res = NULL;
    if (!nav) {
        char *piece = xstrndup(t + start, end - start);
        res = norm_ws(piece);
        free(piece);
        if (res && (pagination_shape(res) || (links >= 1 && breadcrumb_shape(res)))) {
            free(res);
            res = NULL;
        }
    }
    ccbuf_free(&b);
    return res;
}
