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
 * Class/id values and URLs are matched by whole words, split at
 * punctuation, camelCase and letter/digit changes ("main-nav" and "mainNav"
 * hold "nav", "side-bar" holds "sidebar"; "canvas", "header", "download"
 * hold neither "nav" nor "ad"); a word right after has/with/no/show/hide
 * ("has-sidebar", "no-ads") is a layout switch and does not count, and an
 * ancestor that holds the page's <article>/<main> (a layout wrapper) sets
 * no aside/ad/profile/logo bit. An image found at several places of a page
 * keeps the bits of its first place.
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
    /* "nav": inside navigation: <nav>, a menu, breadcrumbs, a pager, a run
     * of short links, or the page's own <header>/<footer> (not an
     * article's); the test extract-nearby.c uses to keep navigation out of
     * nearby text (crawler/extract-nav.h). */
    CC_PLACE_NAV = 1u << 1,
    /* "aside": a sidebar, widget area, related/popular list or comment
     * section: an <aside> not inside an <article>, or an ancestor whose
     * class/id word says so (aside, sidebar, widget, related, recommended,
     * trending, popular, rail, comment(s), discussion). */
    CC_PLACE_ASIDE = 1u << 2,
    /* "profile": a person's picture: the <img>, or an ancestor up to 5
     * levels holding at most 2 images, whose class/id/itemprop word says
     * author, avatar, byline, profile, user, gravatar, userpic, headshot,
     * contributor; an image URL that does (gravatar.com, /avatar/,
     * /userpics/); or an enclosing link with rel=author or to the site's own
     * /author/, /user/, /profile/, /members/ page. */
    CC_PLACE_PROFILE = 1u << 3,
    /* "ad": an advert or sponsor slot: class/id words ad, ads, advert(s),
     * advertisement, advertising, sponsor(s), sponsored, promo(s), promoted,
     * dfp, adsense, adslot, adunit, taboola, outbrain on the <img> or an
     * ancestor; or an image/link URL on an ad server ("ad." hosts,
     * doubleclick, googlesyndication, ...) or in an ads/advert/sponsor
     * directory (directories only: a file name is often an article's slug). */
    CC_PLACE_AD = 1u << 4,
    /* "icon": declared width and height both <= 64 CSS px (one of them when
     * only one is declared; attributes, or inline style in px or em/rem at
     * 16 px; not for a thumbnail standing for a full-size image behind it),
     * or an image URL host/path word icon(s), sprite(s), emoji(s),
     * favicon(s), badge(s), button(s), spacer, smiley(s)/smilies. */
    CC_PLACE_ICON = 1u << 5,
    /* "logo": a class/id-or-URL (alt-independent) sign of a logo: class/id
     * of the <img> or an ancestor up to 4 levels, or an image URL word,
     * logo(s) / brand(s) / branding. */
    CC_PLACE_LOGO = 1u << 6,
    /* "linked": inside an <a href> to a page: not to the image file itself,
     * nor to a MediaWiki File: page of it, nor to this page ("#"). */
    CC_PLACE_LINKED = 1u << 7,
    /* "offsite": that link goes to another registrable domain than the page
     * (Public Suffix List: www.example.com and shop.example.com are one). */
    CC_PLACE_OFFSITE = 1u << 8,
    /* "content": inside the page's main content: <main>, <article>,
     * role=main, itemprop=articleBody, or class/id words content, article,
     * post-body, entry-content, story-body, article-body, main-content
     * (not when the same class/id also names a header, footer, menu,
     * sidebar, widget, comment, ad...: "sidebar-content" is no content).
     * It may come with nav/aside/ad: the bits are facts, not a verdict. */
    CC_PLACE_CONTENT = 1u << 9,
    /* "figure": inside a <figure>, or within 4 levels of a class figure,
     * informalfigure (DocBook), thumb/thumbinner (MediaWiki) or wp-caption
     * (WordPress); "post-thumb" is not one. */
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
