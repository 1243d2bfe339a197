/* extract-dom.h — small libxml2 DOM and text helpers shared by the HTML
 * extraction files (extract.c, extract-nearby.c). Internal to crawler/. */
#ifndef CC_EXTRACT_DOM_H
#define CC_EXTRACT_DOM_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "common.h"

static inline int is_space_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Appends s to b collapsing whitespace runs (ASCII + U+00A0) into one space;
 * *pending_space carries a run across calls. Leading space is never written. */
static inline void append_collapsed(ccbuf *b, const char *s, int *pending_space)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (is_space_byte(*p)) {
            *pending_space = 1;
            continue;
        }
        if (p[0] == 0xC2 && p[1] == 0xA0) { /* no-break space */
            *pending_space = 1;
            p++;
            continue;
        }
        if (*pending_space && b->len > 0)
            ccbuf_putc(b, ' ');
        *pending_space = 0;
        ccbuf_putc(b, *p);
    }
}

/* Whitespace-normalised copy of s (malloc'd), or NULL when nothing is left. */
static inline char *norm_ws(const char *s)
{
    if (!s)
        return NULL;
    ccbuf b = {0};
    int sp = 0;
    append_collapsed(&b, s, &sp);
    if (b.len == 0) {
        ccbuf_free(&b);
        return NULL;
    }
    return ccbuf_detach(&b, NULL);
}

static inline int name_is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->name && strcasecmp((const char *)n->name, name) == 0;
}

/* Attribute value without copying ("" for a valueless attribute), or NULL. */
static inline const char *attr(const xmlNode *n, const char *name)
{
    if (!n || n->type != XML_ELEMENT_NODE)
        return NULL;
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (a->name && strcasecmp((const char *)a->name, name) == 0) {
            if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
                return (const char *)a->children->content;
            return "";
        }
    }
    return NULL;
}

/* 1 if the class attribute of n holds one of tokens (a NULL-terminated
 * list; classes are whitespace-separated, compared ASCII case-insensitively). */
static inline int class_has_any(const xmlNode *n, const char *const *tokens)
{
    const char *p = attr(n, "class");
    while (p && *p) {
        while (*p && is_space_byte((unsigned char)*p))
            p++;
        const char *s = p;
        while (*p && !is_space_byte((unsigned char)*p))
            p++;
        size_t k = (size_t)(p - s);
        for (int i = 0; k && tokens[i]; i++)
            if (strlen(tokens[i]) == k && strncasecmp(s, tokens[i], k) == 0)
                return 1;
    }
    return 0;
}

/* 1 if the class attribute of n holds token. */
static inline int class_has(const xmlNode *n, const char *token)
{
    const char *const one[] = {token, NULL};
    return class_has_any(n, one);
}

/* Next node in document order below root (NULL at the end). */
static inline xmlNode *next_node(xmlNode *n, const xmlNode *root, int skip_children)
{
    if (!skip_children && n->children && n->type == XML_ELEMENT_NODE)
        return n->children;
    while (n && n != root) {
        if (n->next)
            return n->next;
        n = n->parent;
    }
    return NULL;
}

/* Inline elements: their boundaries do not separate words. */
static inline int is_inline(const xmlNode *n)
{
    static const char *const inl[] = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font",
                                      "i", "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub",
                                      "sup", "time", "u", "var", NULL};
    for (int i = 0; inl[i]; i++)
        if (name_is(n, inl[i]))
            return 1;
    return 0;
}

/* Elements whose text is never page text. */
static inline int is_skipped_text_container(const xmlNode *n)
{
    return name_is(n, "script") || name_is(n, "style") || name_is(n, "template") || name_is(n, "noscript");
}

#endif
