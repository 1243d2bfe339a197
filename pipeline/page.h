/* page.h — `clipcrawl page`: what a crawl would do with the images of one
 * saved HTML page, without fetching anything. Each image the extractor
 * (crawler/extract.h) finds, with where it sits on the page (placement
 * bits, declared size, alt repeats), every caption candidate with the
 * caption filter's verdict and detail, and the candidate chosen — the same
 * judge_page_caption() decision crawl and warc make (pipeline/judge.h), so
 * the answer to "why would clipcrawl take or skip this image" is the
 * crawl's; a page that opts out of AI use says so (optout). The image rules (size, safety, CLIP score, duplicates) need the
 * picture itself and are not applied here.
 */
#ifndef CC_PIPELINE_PAGE_H
#define CC_PIPELINE_PAGE_H

#include <stddef.h>

#include "common.h"
#include "filterconf.h"

/* Decoded pages larger than this are refused (a gzip bomb stops there). */
#define PAGE_MAX_BYTES (64u << 20)

typedef struct {
    const char *source;  /* caption_source_name(): "alt", "figcaption", ... "nearby" */
    char *text;          /* as extracted (whitespace-normalised) */
    const char *verdict; /* "keep", or the caption filter's reason ("filename", ...) */
    char *detail;        /* the filter's note ("matched 'logo'"); "" when none */
} page_candidate;

typedef struct {
    char *url;            /* the image taken (absolute, normalised) */
    const char *via;      /* how it was found (extract.h's via: "img", "srcset", "a_href" ...) */
    char *fallback_url;   /* the thumbnail when url is a full-size image behind it; else NULL */
    int width, height;    /* declared size in CSS px; 0 = unknown */
    char *placement;      /* cc_place_format() of its bits: "nav,linked"; "" = nothing special */
    int alt_repeats;      /* <img> elements of the page with the same alt text; 0 = no alt */
    page_candidate *cands; /* in priority order, best first */
    size_t n_cands;
    int chosen;           /* index of the caption taken, or -1 */
    const char *reason;   /* chosen < 0: the best candidate's reason ("no_caption" when
                             there are none); NULL when a caption was taken */
} page_image;

typedef struct {
    page_image *images; /* in document order */
    size_t n_images;
    const char *optout; /* the page's own opt-out from AI use, optout_reason() of its
                           <meta name="robots"> / <meta name="clipcrawl"> / <meta
                           name="tdm-reservation">: "noai", "noimageai",
                           "tdm_reservation"; NULL when none. A crawl records every
                           image of such a page as optout and downloads none,
                           whatever its captions (headers and tdmrep.json, which a
                           saved page lacks, can opt out too). Static string. */
} page_result;

/* Reads path ("-" = stdin) into *out (reset first): plain or gzip
 * (concatenated members too; detected by content, not by name). Returns
 * CC_OK, else CC_ERR_IO (cannot open or read), CC_ERR_FORMAT (damaged or
 * cut gzip) or CC_ERR_RANGE (more than PAGE_MAX_BYTES once decoded), with a
 * one-line reason naming path in err. */
cc_err page_read_file(const char *path, ccbuf *out, char *err, size_t errlen);

/* Judges the images of html[0..n), fetched from url (an absolute http(s)
 * URL) with the response's Content-Type content_type (NULL = none), under
 * the filter configuration fc (NULL = defaults). Fills *out (the caller
 * calls page_result_free) and returns CC_OK; returns CC_ERR_USAGE when url
 * is not an absolute http(s) URL, CC_ERR_IO when an extra word list of fc
 * cannot be read (one line in err; *out is empty). Any bytes are a page:
 * malformed HTML is not an error. */
cc_err page_judge(const char *html, size_t n, const char *url, const char *content_type, const filter_config *fc,
                  page_result *out, char *err, size_t errlen);

void page_result_free(page_result *r); /* zeroes *r; NULL is a no-op */

#endif
