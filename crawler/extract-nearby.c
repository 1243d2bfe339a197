/* extract-nearby.c — the nearby-text caption candidate, navigation left out.
 * See extract-nearby.h. */
#include "extract-nearby.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "extract-dom.h"
#include "text.h"

static int ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ---- per-element counts ------------------------------------------------------ */

typedef struct {
    size_t text;   /* non-space bytes of text in the subtree (script/style left out) */
    size_t linked; /* of which inside a link */
    size_t links;  /* links holding text */
    size_t imgs;   /* <img> elements */
    size_t content;/* <article>/<main> elements */
} nstat;

struct nearby_index {
    nstat *v;
    size_t n;
};

static int is_link(const xmlNode *n)
{
    if (n->type != XML_ELEMENT_NODE)
        return 0;
    if (name_is(n, "a") && attr(n, "href"))
        return 1;
    const char *role = attr(n, "role");
    return role && strcasecmp(role, "link") == 0;
}

static size_t nonspace_bytes(const char *s)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!is_space_byte(*p))
            k++;
    return k;
}

static nstat *stat_of(const xmlNode *n)
{
    return n && n->type == XML_ELEMENT_NODE ? (nstat *)n->_private : NULL;
}

nearby_index *nearby_index_build(xmlNode *root)
{
    if (!root)
        return NULL;
    nearby_index *ix = xcalloc(1, sizeof *ix);
    for (xmlNode *x = root; x; x = next_node(x, root, 0))
        if (x->type == XML_ELEMENT_NODE)
            ix->n++;
    ix->v = xcalloc(ix->n ? ix->n : 1, sizeof *ix->v);
    size_t i = 0;
    for (xmlNode *x = root; x; x = next_node(x, root, 0))
        if (x->type == XML_ELEMENT_NODE)
            x->_private = &ix->v[i++];
    /* One post-order pass: text counts go to the parent element, an element's
     * totals to its parent when it is left. */
    const xmlNode *in_link = NULL;
    xmlNode *x = root;
    while (x) {
        if ((x->type == XML_TEXT_NODE || x->type == XML_CDATA_SECTION_NODE) && x->content) {
            nstat *p = stat_of(x->parent);
            if (p) {
                size_t nb = nonspace_bytes((const char *)x->content);
                p->text += nb;
                if (in_link)
                    p->linked += nb;
            }
        }
        if (x->type == XML_ELEMENT_NODE && x->children && !is_skipped_text_container(x)) {
            if (!in_link && is_link(x))
                in_link = x;
            x = x->children;
            continue;
        }
        for (;;) { /* leave x, and its ancestors when x was the last child */
            nstat *s = stat_of(x);
            if (s) {
                if (name_is(x, "img"))
                    s->imgs++;
                else if (name_is(x, "article") || name_is(x, "main"))
                    s->content++;
                if (in_link == x) {
                    in_link = NULL;
                    if (s->text)
                        s->links++;
                }
                nstat *p = x != root ? stat_of(x->parent) : NULL;
                if (p) {
                    p->text += s->text;
                    p->linked += s->linked;
                    p->links += s->links;
                    p->imgs += s->imgs;
                    p->content += s->content;
                }
            }
            if (x == root) {
                x = NULL;
                break;
            }
            if (x->next) {
                x = x->next;
                break;
            }
            x = x->parent;
        }
    }
    return ix;
}

void nearby_index_free(nearby_index *ix)
{
    if (!ix)
        return;
    free(ix->v);
    free(ix);
}

/* ---- what navigation looks like ------------------------------------------ */

/* Mostly short links: a menu, a tag cloud, a pager, a footer link row. */
static int link_run(const nstat *s)
{
    return s && s->links >= 3 && s->linked * 10 >= s->text * 6 && s->linked <= 30 * s->links;
}

/* 1 if v holds one of words as a whole ASCII-alphanumeric word, ignoring
 * case ("main-nav" holds "nav"; "canvas" does not). */
static int has_word(const char *v, const char *const *words)
{
    for (const char *p = v; p && *p;) {
        while (*p && !(ascii_alnum((unsigned char)*p)))
            p++;
        const char *s = p;
        while (*p && ascii_alnum((unsigned char)*p))
            p++;
        size_t n = (size_t)(p - s);
        for (int i = 0; n && words[i]; i++)
            if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
                return 1;
    }
    return 0;
}

static int has_substr_ci(const char *v, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = v; p && *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return 1;
    return 0;
}

static int inside_content(const xmlNode *n)
{
    for (const xmlNode *p = n->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent)
        if (name_is(p, "article") || name_is(p, "main"))
            return 1;
    return 0;
}

/* Links make at least 30% of n's text (or n's counts are unknown), and n
 * holds no <article>/<main>: a menu, not a wrapper around the content. */
static int link_dense(const xmlNode *n)
{
    const nstat *s = stat_of(n);
    return !s || (s->linked * 10 >= s->text * 3 && s->content == 0);
}

/* At most 600 bytes of text (or the counts are unknown). */
static int short_text(const xmlNode *n)
{
    const nstat *s = stat_of(n);
    return !s || s->text <= 600;
}

static int is_nav_container(const xmlNode *n)
{
    static const char *const roles[] = {"navigation", "menu", "menubar", "tablist", "toolbar", NULL};
    static const char *const aria[] = {"breadcrumb", "breadcrumbs", "pagination", NULL};
    static const char *const strong[] = {"footer", "copyright", "sitemap", NULL};
    static const char *const words[] = {"nav",  "navbar", "navigation", "navi",   "menu",   "menubar",
                                        "pager", "paging", "subnav",     "topnav", "mainnav", NULL};
    if (n->type != XML_ELEMENT_NODE || name_is(n, "body") || name_is(n, "html"))
        return 0;
    if (name_is(n, "nav") || name_is(n, "menu"))
        return 1;
    if ((name_is(n, "header") || name_is(n, "footer")) && !inside_content(n))
        return 1; /* the page's own header/footer, not an article's */
    const char *role = attr(n, "role");
    if (role && has_word(role, roles))
        return 1;
    const char *al = attr(n, "aria-label");
    if (al && has_word(al, aria))
        return 1;
    const char *cls = attr(n, "class"), *id = attr(n, "id");
    if (has_substr_ci(cls, "breadcrumb") || has_substr_ci(id, "breadcrumb") || has_substr_ci(cls, "pagination") ||
        has_substr_ci(id, "pagination"))
        return 1;
    if (((cls && has_word(cls, strong)) || (id && has_word(id, strong))) && short_text(n))
        return 1; /* a footer line, not a wrapper that happens to be named so */
    /* class words are a hint; a wrapper named "nav-open" around the article
     * is not navigation, so the element must also be link-dense */
    return ((cls && has_word(cls, words)) || (id && has_word(id, words))) && link_dense(n);
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

/* The image sits in navigation: inside a navigation container, or in a
 * link run within 4 levels (its menu item, the menu list) that is not a grid
 * of picture teasers (one titled link per picture). */
static int in_navigation(const xmlNode *anchor)
{
    int level = 0;
    for (const xmlNode *p = anchor->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent, level++) {
        if (name_is(p, "body") || name_is(p, "html"))
            break;
        if (is_nav_container(p))
            return 1;
        const nstat *s = stat_of(p);
        if (level < 4 && link_run(s) && 2 * s->links > 3 * s->imgs)
            return 1;
    }
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
        if (is_link(p))
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
    if (max == 0 || in_navigation(anchor))
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
        if (!skip && x != anchor && x->type == XML_ELEMENT_NODE && (is_nav_container(x) || link_run(stat_of(x))) &&
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
