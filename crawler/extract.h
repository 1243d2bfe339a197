/* extract.h — images, caption candidates, links and opt-out signals of one
 * HTML page.
 *
 * extract_page() parses the page with libxml2's HTML parser (recovering from
 * any malformed markup, never touching the network) and finds images the way
 * a browser does:
 *   <img src>, <img srcset> (w and x descriptors), lazy-loading attributes
 *   data-src, data-lazy-src, data-original, data-srcset, <picture><source
 *   srcset> (the <img> inside is the same image: one result), <noscript><img>
 *   (merged with the lazy <img> it duplicates), <base href>, and
 *   <meta property="og:image"> (+ og:image:alt).
 * From a srcset the largest candidate not wider than opts.max_width is
 * taken ("w" descriptors), else the highest density ("x"); when every "w"
 * candidate is wider than the cap, the narrowest one.
 * URLs are resolved against <base href> (else the page URL) and normalised
 * with url.h; data:, javascript: and non-http(s) URLs are skipped. Each
 * distinct image URL appears once.
 *
 * Charset: the Content-Type header's charset, else <meta charset> /
 * <meta http-equiv="Content-Type">, else libxml2's detection (BOM, else
 * windows-1252/latin-1 as HTML5 says for unlabelled pages). All strings in
 * the result are UTF-8, entities decoded, whitespace collapsed to single
 * spaces and trimmed.
 *
 * FULL-SIZE IMAGES. A gallery or shop page shows a thumbnail and links or
 * names its full-size image; then the full-size image is the result's url
 * and the thumbnail (chosen as above) its fallback_url. In this order:
 *   1. a zoom attribute on the <img>, else on its enclosing <a>:
 *      data-orig-file, data-zoom-image, data-large_image, data-full,
 *      data-full-src, data-fullsrc, data-hi-res-src, data-hires, data-highres,
 *      data-zoom-src, data-large-file, data-large-src, data-large (values that
 *      are not URL-like, e.g. "true", are ignored);
 *   2. the nearest enclosing <a href> (at most 3 levels up) when its path
 *      ends in an image extension (.jpg .jpeg .png .webp .gif .avif .bmp);
 *      MediaWiki file-description links (/File:..., class "image" or
 *      "mw-file-description") are not images;
 *   3. a MediaWiki thumbnail URL .../thumb/a/ab/NAME/220px-NAME gives the
 *      original .../a/ab/NAME ("mediawiki-original");
 *   4. an <a href> whose path has no extension at all, around nothing but the
 *      image, whose path or query names an image ("image", "img", "photo",
 *      "media", "full", "original", "large", "zoom", "download", "file",
 *      "upload"): url_unverified = 1, the caller checks the Content-Type.
 * <a href> links to image files are not page links (not in links[]).
 *
 * Caption candidates, in PRIORITY order (the caption_source enum order):
 *   alt > figcaption > gallery-caption > thumbcaption > aria-labelledby
 *       > aria-label > title > data-caption > og:image:alt
 *       > aria-describedby > nearby
 * "figcaption" is the <figcaption> of the nearest enclosing <figure>;
 * "gallery-caption"/"thumbcaption" are the text of the first element whose
 * class is wp-caption-text, gallery-caption, image-caption, caption-text
 * (WordPress, Drupal) / thumbcaption (MediaWiki) inside the nearest
 * ancestor (up to 6 levels) that holds no other <img>: the gallery item;
 * "data-caption" is the img's data-caption / data-image-caption (tags
 * stripped), else the enclosing link's data-caption, data-title or title;
 * "aria-labelledby"/"aria-describedby" are the texts of the referenced ids;
 * "nearby" is up to opts.nearby_max bytes of the text of the nearest
 * enclosing block (p, div, li, td, th, dd, dt, section, article, blockquote,
 * figure, header, footer, main, aside) with the image's other candidates'
 * texts and page navigation left out (menus, breadcrumbs, pagination, the
 * page's header/footer, runs of short links: extract-nearby.h says how they
 * are recognised). Empty candidates are dropped; a candidate whose
 * text equals a higher-priority one's is kept (the caller may want both).
 */
#ifndef CC_EXTRACT_H
#define CC_EXTRACT_H

#include <stddef.h>

#include "placement.h"

typedef enum {
    CAPTION_ALT = 0,
    CAPTION_FIGCAPTION,
    CAPTION_GALLERY,      /* "gallery-caption": WordPress/Drupal gallery markup */
    CAPTION_THUMBCAPTION, /* "thumbcaption": MediaWiki thumbnails */
    CAPTION_ARIA_LABELLEDBY,
    CAPTION_ARIA_LABEL,
    CAPTION_TITLE,
    CAPTION_DATA_CAPTION, /* "data-caption": caption attributes of the image or its lightbox link */
    CAPTION_OG_IMAGE_ALT,
    CAPTION_ARIA_DESCRIBEDBY,
    CAPTION_NEARBY,
    CAPTION_SOURCE__COUNT
} caption_source;

/* "alt", "figcaption", "gallery-caption", "thumbcaption", "aria-labelledby",
 * "aria-label", "title", "data-caption", "og:image:alt", "aria-describedby",
 * "nearby"; "?" when out of range.
 * These are the caption_source values stored in the index and KEY.json. */
const char *caption_source_name(caption_source s);
/* Inverse of caption_source_name(); -1 when unknown. */
int caption_source_parse(const char *name);

typedef struct {
    caption_source source;
    char *text; /* UTF-8, non-empty, whitespace-normalised */
} caption_candidate;

typedef struct {
    char *url;                /* absolute, normalised (url_normalize): the image to take */
    const char *via;          /* static, why url was chosen (the image_source recorded
                                 with the sample): the thumbnail's own URL: "img" (src),
                                 "srcset", "data-src", "data-lazy-src", "data-original",
                                 "data-srcset", "picture", "noscript", "og:image"; a
                                 full-size image behind the thumbnail: "a_href" (the
                                 enclosing link), "mediawiki-original" (a MediaWiki
                                 /thumb/ URL's original) or the zoom attribute's name
                                 ("data-zoom-image", "data-large_image", "data-orig-file",
                                 ...; see FULL-SIZE IMAGES above) */
    char *fallback_url;       /* the thumbnail when url is its full-size image (take it
                                 when url cannot be fetched or is not an image); else NULL */
    const char *fallback_via; /* the thumbnail's via ("img", "srcset", ...); NULL with it */
    int url_unverified;       /* 1: url is an <a href> without an image file extension;
                                 take it only when its response has an image Content-Type */
    int width;                /* width in CSS px from the srcset w descriptor, the width
                                 attribute or data-large_image_width; 0 when unknown */
    int height;               /* height attribute; 0 when unknown */
    unsigned placement;       /* where the image sits on the page: CC_PLACE_* bits
                                 (common/placement.h), CC_PLACE_PAGE always set; an
                                 image found twice keeps its first place; og:image
                                 alone is CC_PLACE_PAGE only */
    int alt_repeats;          /* <img> elements on this page whose alt text equals this
                                 image's (its first alt candidate; whitespace-normalised,
                                 Unicode lower case; itself included; a <noscript> copy
                                 of a lazy image not counted twice); 0 when it has no alt */
    caption_candidate *cands; /* sorted by priority (source), best first */
    size_t n_cands;
} extract_image;

typedef struct {
    char *url;    /* absolute, normalised, http(s) only */
    int nofollow; /* rel contains "nofollow" (or the page has meta robots nofollow) */
} extract_link;

typedef struct {
    extract_image *images;
    size_t n_images;
    extract_link *links; /* <a href> / <area href>, deduplicated */
    size_t n_links;
    char *base_url;      /* the URL relative references were resolved against */
    char *charset;       /* the encoding used to decode the page (upper-case name) */
    char *title;         /* <title> text or NULL */
    char *lang;          /* <html lang> or NULL */
    unsigned optout;     /* OPTOUT_* bits (optout.h) from <meta name="robots">,
                            <meta name="AGENT"> and <meta name="tdm-reservation"> */
    char *tdm_policy;    /* <meta name="tdm-policy"> content or NULL */
    int meta_noindex;    /* meta robots says noindex / none */
    int meta_nofollow;   /* meta robots says nofollow / none */
} extract_result;

typedef struct {
    int max_width;          /* srcset width cap in px; default 1600 */
    size_t nearby_max;      /* nearby window in bytes; default 300 */
    const char *agent;      /* our product token for <meta name="AGENT">; default "clipcrawl" */
    size_t max_images;      /* stop after this many images; default 10000 */
    size_t max_links;       /* stop after this many links; default 100000 */
} extract_options;

/* Fills o with the defaults above. */
void extract_options_init(extract_options *o);

/* Extracts from html[0..n) fetched from page_url (absolute http(s) URL),
 * whose response had the given Content-Type header (NULL if none).
 * opts may be NULL (defaults). On success returns 0 and fills *out (the
 * caller calls extract_result_free()). Returns -1 with a one-line reason in
 * err (if not NULL) only when page_url is not an absolute http(s) URL or
 * libxml2 cannot build any document (then *out is zeroed and safe to free).
 * Malformed HTML is not an error. Thread-safe (libxml2 must have been
 * initialised once, which extract_page does itself on first use via
 * xmlInitParser, itself thread-safe in libxml2 >= 2.9). */
int extract_page_opts(const char *html, size_t n, const char *page_url,
                      const char *content_type_header, const extract_options *opts,
                      extract_result *out, char *err, size_t errlen);

/* extract_page_opts() with default options and no error text. */
int extract_page(const char *html, size_t n, const char *page_url,
                 const char *content_type_header, extract_result *out);

void extract_result_free(extract_result *r); /* zeroes *r; NULL is a no-op */

/* A caption judge: returns 1 to accept text as a caption of img, 0 to
 * reject it, then setting *reason to a static or ctx-owned string (e.g.
 * "filename"). img is the image text is a candidate of, so the judge can
 * weigh where it sits (img->placement, width, height, alt_repeats); NULL for
 * a caption without a page image (a sitemap entry). The crawl loop passes an
 * adapter around caption_judge_placed() (filters). */
typedef int (*extract_judge_fn)(const char *text, const extract_image *img, void *ctx, const char **reason);

/* Picks the caption of img: the first candidate in priority order that judge
 * accepts; returns its index in img->cands. Returns -1 when img has no
 * candidates (*reason = "no_caption") or when all fail (*reason = the
 * reason the judge gave for the best, i.e. first, candidate). judge NULL
 * accepts everything. reason may be NULL. */
int extract_choose_caption(const extract_image *img, extract_judge_fn judge, void *ctx,
                           const char **reason);

/* Parses a srcset attribute value and returns the URL (malloc'd, as written,
 * unresolved) of the candidate to take under max_width (see above), or NULL
 * when the value holds no candidate. *width_out (if not NULL) gets its w
 * descriptor or 0. Exposed for tests. */
char *extract_srcset_pick(const char *srcset, int max_width, int *width_out);

#endif
