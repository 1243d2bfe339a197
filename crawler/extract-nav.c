/* extract-nav.c — per-element counts, class/id words and the navigation
 * test. See extract-nav.h. */
#include "extract-nav.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "extract-dom.h"

/* ---- per-element counts ------------------------------------------------------ */

struct nav_index {
    nav_stat *v;
    size_t n;
};

int nav_is_link(const xmlNode *n)
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

static nav_stat *stat_of(const xmlNode *n)
{
    return n && n->type == XML_ELEMENT_NODE ? (nav_stat *)n->_private : NULL;
}

const nav_stat *nav_stat_of(const xmlNode *n)
{
    return stat_of(n);
}

nav_index *nav_index_build(xmlNode *root)
{
    if (!root)
        return NULL;
    nav_index *ix = xcalloc(1, sizeof *ix);
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
            nav_stat *p = stat_of(x->parent);
            if (p) {
                size_t nb = nonspace_bytes((const char *)x->content);
                p->text += nb;
                if (in_link)
                    p->linked += nb;
            }
        }
        if (x->type == XML_ELEMENT_NODE && x->children && !is_skipped_text_container(x)) {
            if (!in_link && nav_is_link(x))
                in_link = x;
            x = x->children;
            continue;
        }
        for (;;) { /* leave x, and its ancestors when x was the last child */
            nav_stat *s = stat_of(x);
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
                nav_stat *p = x != root ? stat_of(x->parent) : NULL;
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

void nav_index_free(nav_index *ix)
{
    if (!ix)
        return;
    free(ix->v);
    free(ix);
}

/* ---- words ------------------------------------------------------------------ */

static int ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int ascii_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

static int ascii_lower(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

static int ascii_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* 1 if a word starts at p[i] inside a run of alphanumerics (see
 * nav_has_word: camelCase, acronym + word, letters/digits). */
static int word_break(const unsigned char *p, size_t i)
{
    unsigned char a = p[i - 1], b = p[i];
    if (ascii_lower(a) && ascii_upper(b))
        return 1;
    if (ascii_upper(a) && ascii_upper(b) && ascii_lower(p[i + 1]))
        return 1;
    return ascii_digit(a) != ascii_digit(b);
}

static int word_is(const char *s, size_t n, const char *const *words)
{
    for (int i = 0; n && words[i]; i++)
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
            return 1;
    return 0;
}

/* 1 if a (n bytes) followed by b (m bytes) spells one of words. */
static int joined_is(const char *a, size_t n, const char *b, size_t m, const char *const *words)
{
    char buf[48];
    if (n + m >= sizeof buf)
        return 0;
    memcpy(buf, a, n);
    memcpy(buf + n, b, m);
    return word_is(buf, n + m, words);
}

int nav_has_word(const char *v, const char *const *words, int skip_flags)
{
    static const char *const flags[] = {"has", "with", "no", "without", "show", "hide", "enable", "disable", NULL};
    if (!v)
        return 0;
    const unsigned char *p = (const unsigned char *)v;
    const char *prev = NULL; /* the word before, in the same run of alphanumerics or not */
    size_t prev_n = 0;
    int prev_flag = 0;
    size_t i = 0;
    while (p[i]) {
        while (p[i] && !ascii_alnum(p[i]))
            i++;
        if (!p[i])
            break;
        size_t s = i++;
        while (p[i] && ascii_alnum(p[i]) && !word_break(p, i))
            i++;
        const char *w = v + s;
        size_t n = i - s;
        int flagged = skip_flags && prev_flag;
        if (!flagged && word_is(w, n, words))
            return 1;
        if (!flagged && prev && prev_n >= 2 && n >= 2 && joined_is(prev, prev_n, w, n, words))
            return 1;
        prev_flag = word_is(w, n, flags);
        prev = w;
        prev_n = n;
    }
    return 0;
}

/* ---- what navigation looks like ------------------------------------------ */

/* Mostly short links: a menu, a tag cloud, a pager, a footer link row. */
static int link_run(const nav_stat *s)
{
    return s && s->links >= 3 && s->linked * 10 >= s->text * 6 && s->linked <= 30 * s->links;
}

int nav_link_run(const xmlNode *n)
{
    return link_run(stat_of(n));
}

static int has_substr_ci(const char *v, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = v; p && *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return 1;
    return 0;
}

int nav_inside_content(const xmlNode *n)
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
    const nav_stat *s = stat_of(n);
    return !s || (s->linked * 10 >= s->text * 3 && s->content == 0);
}

/* At most 600 bytes of text (or the counts are unknown). */
static int short_text(const xmlNode *n)
{
    const nav_stat *s = stat_of(n);
    return !s || s->text <= 600;
}

int nav_is_container(const xmlNode *n)
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
    if ((name_is(n, "header") || name_is(n, "footer")) && !nav_inside_content(n))
        return 1; /* the page's own header/footer, not an article's */
    const char *role = attr(n, "role");
    if (role && nav_has_word(role, roles, 0))
        return 1;
    const char *al = attr(n, "aria-label");
    if (al && nav_has_word(al, aria, 0))
        return 1;
    const char *cls = attr(n, "class"), *id = attr(n, "id");
    if (has_substr_ci(cls, "breadcrumb") || has_substr_ci(id, "breadcrumb") || has_substr_ci(cls, "pagination") ||
        has_substr_ci(id, "pagination"))
        return 1;
    if ((nav_has_word(cls, strong, 0) || nav_has_word(id, strong, 0)) && short_text(n))
        return 1; /* a footer line, not a wrapper that happens to be named so */
    /* class words are a hint; a wrapper named "nav-open" around the article
     * is not navigation, so the element must also be link-dense */
    return (nav_has_word(cls, words, 0) || nav_has_word(id, words, 0)) && link_dense(n);
}

int nav_inside(const xmlNode *anchor)
{
    int level = 0;
    for (const xmlNode *p = anchor->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent, level++) {
        if (name_is(p, "body") || name_is(p, "html"))
            break;
        if (nav_is_container(p))
            return 1;
        const nav_stat *s = stat_of(p);
        if (level < 4 && link_run(s) && 2 * s->links > 3 * s->imgs)
            return 1;
    }
    return 0;
}
