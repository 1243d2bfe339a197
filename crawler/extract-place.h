/* extract-place.h — where an image sits on its page: the CC_PLACE_* bits of
 * common/placement.h (which defines each one; this is how the crawler reads
 * them from the markup) and the alt-text repeat count. Internal to crawler/
 * (extract.c calls it for every <img>; extract.h documents the fields).
 *
 * Class/id/itemprop values and URLs are matched by whole words
 * (nav_has_word in extract-nav.h: "main-nav" holds "nav", "sideBar" holds
 * "sidebar", "canvas" and "download" hold neither "nav" nor "ad"). URLs are
 * matched on their host and path, not the query. Ancestors are looked at up
 * to <body>; an ancestor that holds the page's <article>/<main> is a layout
 * wrapper and does not make the image aside/ad/profile/logo ("has-sidebar",
 * "no-ads" flags are skipped too).
 */
#ifndef CC_EXTRACT_PLACE_H
#define CC_EXTRACT_PLACE_H

#include <stddef.h>

#include <libxml/tree.h>

#include "extract.h"

/* What every image of one page is compared with. */
typedef struct {
    const char *page_url;  /* the page's normalised URL */
    const char *page_host; /* its lower-case host */
    const char *page_site; /* its registrable domain (url_registrable_domain) */
    const char *base;      /* what relative hrefs resolve against */
} place_page;

/* The placement bits of the <img> img found at ctxnode (the img itself, or
 * the <noscript> a re-parsed fragment came from): CC_PLACE_PAGE plus what
 * applies. url is the image taken (absolute); thumb the thumbnail shown
 * when url is a full-size image behind it, else NULL (then the declared size
 * describes a thumbnail, which is not an icon for being small). Call
 * nav_index_build() on the document first. */
unsigned place_image(const place_page *pg, const xmlNode *img, const xmlNode *ctxnode, const char *url,
                     const char *thumb);

/* The declared size of img in CSS px: width/height attributes (digits,
 * optionally "px"), overridden by inline style width/height (px, or em/rem
 * at 16 px); -1 where not declared. Exposed for tests. */
void place_declared_size(const xmlNode *img, int *width, int *height);

/* Counting equal alt texts on a page: one entry per <img> element. */
typedef struct alt_tally alt_tally;

alt_tally *alt_tally_new(void);
void alt_tally_free(alt_tally *t); /* NULL is a no-op */

/* Records that an <img> with alt text alt (NULL/empty: none) became image
 * number image of the result; from_noscript: it is a <noscript> copy (not
 * counted again when an element outside <noscript> gave the same image the
 * same alt). */
void alt_tally_add(alt_tally *t, size_t image, const char *alt, int from_noscript);

/* Sets images[i].alt_repeats for every image: the <img> elements of the page
 * whose alt equals image i's first alt candidate, compared case-insensitively
 * (Unicode simple lower case) after whitespace normalisation; 0 when it has
 * no alt candidate. */
void alt_tally_apply(alt_tally *t, extract_image *images, size_t n);

#endif
