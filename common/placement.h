/* placement.h — where on its page an image sits: the facts the crawler reads
 * from the page around an <img> and the caption filter weighs with its alt
 * text. One set of bits shared by crawler/ (which finds them), filters/
 * (which judges with them), dataset/ (which stores them by name) and cli/.
 *
 * An image from a URL list (fetch) has no page: its caption comes with the
 * bit CC_PLACE_LIST alone (in a list the picture is usually the subject of
 * its caption: "Tree City USA Logo" names the picture, where on a page the
 * same alt text is the site's furniture). NULL / CC_PLACE_UNKNOWN means the
 * origin is not known (check-caption without options): text alone.
 *
 * Stored form: the names below joined by ',' in bit order ("nav,linked"),
 * "" for a page image with no bit set (CC_PLACE_PAGE alone), NULL/absent for
 * an image without a page. cc_place_format / cc_place_parse convert.
 */
#ifndef CC_COMMON_PLACEMENT_H
#define CC_COMMON_PLACEMENT_H

#include <stddef.h>

enum {
    /* The image was found on an HTML page (set for every page image, so
     * "page, nothing special" differs from "no page at all"). */
    CC_PLACE_PAGE = 1u << 0,
    /* "nav": inside navigation: <nav>, a menu, breadcrumbs, a pager, or the
     * page's own <header>/<footer> (not an article's); the test
     * extract-nearby.c uses to keep navigation out of nearby text. */
    CC_PLACE_NAV = 1u << 1,
    /* "aside": a sidebar, widget area, related/recommended list or comment
     * section: <aside> outside the article, or an ancestor whose class/id
     * word says so (sidebar, widget, related, recommended, comments...). */
    CC_PLACE_ASIDE = 1u << 2,
    /* "profile": a person's picture: an ancestor or the <img> whose
     * class/id/itemprop word says author, avatar, byline, profile, user,
     * gravatar, or an image URL that does (gravatar.com, /avatar/). */
    CC_PLACE_PROFILE = 1u << 3,
    /* "ad": an advert or sponsor slot: class/id words ad, ads, advert,
     * sponsor, promo, dfp, or an image/link URL on a known ad server path. */
    CC_PLACE_AD = 1u << 4,
    /* "icon": declared width and height both <= 64 CSS px (one of them when
     * only one is declared), or an image URL path word icon, sprite, emoji,
     * favicon, badge, button, spacer. */
    CC_PLACE_ICON = 1u << 5,
    /* "logo": a class/id/alt-independent sign of a logo: class/id or image
     * URL path word logo / brand. */
    CC_PLACE_LOGO = 1u << 6,
    /* "linked": inside an <a href> to a page (not to the image file itself). */
    CC_PLACE_LINKED = 1u << 7,
    /* "offsite": that link goes to another registrable domain than the page. */
    CC_PLACE_OFFSITE = 1u << 8,
    /* "content": inside the page's main content: <main>, <article>,
     * role=main, itemprop=articleBody, or class/id words content, article,
     * post-body, entry-content, story-body. */
    CC_PLACE_CONTENT = 1u << 9,
    /* "figure": inside a <figure> (or a DocBook/MediaWiki figure/thumb). */
    CC_PLACE_FIGURE = 1u << 10,
    /* "list": the caption is a URL list row's (fetch: CSV/TSV/JSON/Parquet),
     * not an alt text of a page; never set together with CC_PLACE_PAGE. */
    CC_PLACE_LIST = 1u << 11,
};
#define CC_PLACE_UNKNOWN 0u
#define CC_PLACE__COUNT 12

/* The name of bit number i (0 .. CC_PLACE__COUNT-1): "page", "nav", "aside",
 * "profile", "ad", "icon", "logo", "linked", "offsite", "content", "figure",
 * "list"; NULL out of range. */
const char *cc_place_name(int i);

/* Writes the bits other than CC_PLACE_PAGE as names joined by ',' in bit
 * order into out[0..n) (always NUL-terminated; 160 bytes is always enough).
 * Returns out. */
char *cc_place_format(unsigned bits, char *out, size_t n);

/* Parses the stored form: NULL -> CC_PLACE_UNKNOWN; "list" -> CC_PLACE_LIST;
 * any other string (possibly "") -> CC_PLACE_PAGE plus the named bits. Returns 0, or -1 when a name is not
 * known (then *bits holds the known ones). */
int cc_place_parse(const char *s, unsigned *bits);

#endif
