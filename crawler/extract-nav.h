/* extract-nav.h — what a page's structure says about an element: per-element
 * text and link counts, class/id word matching, and the navigation test.
 * Internal to crawler/; shared by the nearby-text candidate
 * (extract-nearby.c) and the image placement (extract-place.c), so both
 * call the same things navigation.
 *
 * Navigation is recognised by structure first, words last:
 *   - navigation containers: <nav>, <menu>, role=navigation/menu/menubar/
 *     tablist/toolbar, aria-label or class/id naming a breadcrumb or
 *     pagination, class/id words nav/navbar/navigation/menu/pager (on a
 *     link-dense element), footer/copyright/sitemap (on one with at most
 *     600 bytes of text), and the page's own <header>/<footer> (one not
 *     inside <article> or <main>);
 *   - link runs: an element whose text is mostly links (>= 60% of its
 *     letters) with at least 3 links averaging at most 30 bytes each (menus,
 *     tag clouds, pagers, footer link rows).
 */
#ifndef CC_EXTRACT_NAV_H
#define CC_EXTRACT_NAV_H

#include <stddef.h>

#include <libxml/tree.h>

/* Counts of one element's subtree. */
typedef struct {
    size_t text;    /* non-space bytes of text (script/style left out) */
    size_t linked;  /* of which inside a link */
    size_t links;   /* links holding text */
    size_t imgs;    /* <img> elements */
    size_t content; /* <article>/<main> elements */
} nav_stat;

/* Per-element counts of one document, computed in one pass over the tree so
 * each image's tests are cheap. Uses the nodes' _private field; the document
 * must not change while the index lives. */
typedef struct nav_index nav_index;

nav_index *nav_index_build(xmlNode *root);
void nav_index_free(nav_index *ix); /* NULL is a no-op */

/* The counts of element n, or NULL when n is not an element or no index was
 * built for its document. */
const nav_stat *nav_stat_of(const xmlNode *n);

/* 1 if n is a link: <a href> or role=link. */
int nav_is_link(const xmlNode *n);

/* 1 if n's text is a run of short links (see above); 0 without counts. */
int nav_link_run(const xmlNode *n);

/* 1 if n is a navigation container (see above). Without counts, elements
 * named as navigation count as navigation. */
int nav_is_container(const xmlNode *n);

/* 1 if anchor sits in navigation: inside a navigation container, or in a
 * link run within 4 levels (its menu item, the menu list) that is not a
 * grid of picture teasers (one titled link per picture). */
int nav_inside(const xmlNode *anchor);

/* 1 if n has an <article> or <main> ancestor. */
int nav_inside_content(const xmlNode *n);

/* 1 if the attribute value v (a class list, an id, a URL...) holds one of
 * words (lower-case, NULL-terminated) as a whole word, ASCII
 * case-insensitively. Words are split at every character that is not an
 * ASCII letter or digit, at a lower-case letter followed by an upper-case
 * one ("mainNav"), at an upper-case run followed by a word ("HTMLPage") and
 * between letters and digits ("ad300"); two neighbouring words also count
 * joined ("side-bar" holds "sidebar"). "main-nav" holds "nav"; "canvas",
 * "header", "shadow", "download" and "padding" hold neither "ad" nor "nav".
 * When skip_flags is set, a word right after has/with/no/without/show/hide/
 * enable/disable ("has-sidebar", "no-ads": a layout switch, not the thing)
 * does not count. NULL v holds nothing. */
int nav_has_word(const char *v, const char *const *words, int skip_flags);

#endif
