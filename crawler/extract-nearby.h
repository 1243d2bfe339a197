/* extract-nearby.h — the "nearby" caption candidate of an image: the text of
 * the block around it, with page navigation left out. Internal to crawler/
 * (extract.c calls it; extract.h documents the candidate for users).
 *
 * The text is up to max bytes of the nearest enclosing block (p, div, li,
 * td, section, article, body, ...) around the image, leaving out the
 * subtrees the caller excludes (other candidates' elements), <figcaption>,
 * script/style, and navigation. Navigation is recognised by structure
 * first, words last:
 *
 *   - navigation containers and link runs (extract-nav.h: the same test
 *     the image placement's "nav" bit uses);
 *   - a window of text that is mostly links: 3 or more links making >= 50%
 *     of it, or 2 or more short links making >= 70%;
 *   - shapes: pagination ("page 7 page 8 page 12", "1 2 3 … next", mostly
 *     numbers and paging words) and breadcrumbs (3 or more short segments
 *     joined by › » > / | → with at least one link).
 *
 * An image inside a navigation container or a link run gets no nearby text;
 * navigation elsewhere in its block is left out of the text; a window that
 * is still navigation is dropped. A teaser's one long headline link is not
 * a link run and is kept.
 */
#ifndef CC_EXTRACT_NEARBY_H
#define CC_EXTRACT_NEARBY_H

#include <stddef.h>

#include <libxml/tree.h>

/* The nearby text of anchor (the image, or the <noscript> it came from):
 * malloc'd, whitespace-normalised, at most max bytes; NULL when there is
 * none or max is 0. excl[0..n_excl) are subtrees to leave out. Call
 * nav_index_build() on the document first: without its counts, elements
 * named as navigation count as navigation and link runs are judged on the
 * text window only. */
char *nearby_text(xmlNode *anchor, xmlNode **excl, size_t n_excl, size_t max);

#endif
