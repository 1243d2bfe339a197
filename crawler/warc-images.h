/* warc-images.h — captioned image candidates from WARC and WAT files: the
 * input loop of `clipcrawl warc`.
 *
 * warc_images_file() streams one file (warc.h) and calls fn once per image
 * it finds, with the image's caption candidates already judged:
 *
 *   WARC `response` record, 2xx, HTML (Content-Type text/html or
 *   application/xhtml+xml; or WARC-Identified-Payload-Type saying so, which
 *   Common Crawl sets from sniffing; or, without any Content-Type, a payload
 *   that starts like HTML)
 *     → HTTP payload (de-chunked, decoded; warc_http_parse)
 *     → extract.h against the record's WARC-Target-URI (and the page's
 *       <base>), with the HTTP Content-Type header for the charset (else the
 *       page's <meta charset>, else UTF-8/windows-1252 as extract.h decides)
 *     → every image with its candidates in extract.h's priority order
 *       (alt > figcaption > gallery-caption > thumbcaption > aria-labelledby >
 *       aria-label > title > data-caption > og:image:alt > aria-describedby >
 *       nearby), the crawler's own rules, so `warc` and `crawl` agree.
 *   WAT `metadata` record of an HTML response (wat.h)
 *     → each IMG@/src link; candidates: its alt, then its title.
 *   Everything else is passed over: requests, revisits (no payload; the
 *   content is an earlier record's), non-HTML and non-2xx responses, bodies
 *   in an encoding we cannot decode, blocks over max_block. The counts are in
 *   warc_images_stats.
 *
 * Each candidate goes through the caller's judge (the caption filter); the
 * caption is the first candidate the judge keeps (extract_choose_caption()),
 * else the image carries the best candidate's reject reason. Images without
 * any candidate are not reported. The page's opt-outs (X-Robots-Tag and
 * tdm-reservation response headers, <meta name="robots"|AGENT|
 * "tdm-reservation">) come with every image of the page.
 *
 * Memory: one record at a time (warc.h's bounds); nothing is kept between
 * records.
 */
#ifndef CC_WARC_IMAGES_H
#define CC_WARC_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include "extract.h"

/* One image found on one page. Every pointer is valid during the callback only. */
typedef struct {
    const char *file;            /* the input file as given */
    uint64_t record_offset;      /* the record's offset in the decompressed stream */
    const char *page_url;        /* normalised WARC-Target-URI of the page */
    const char *url;             /* the image: absolute, normalised */
    const char *fallback_url;    /* the thumbnail when url is its full-size image, else NULL */
    const char *fallback_via;    /* the thumbnail's via, NULL with it */
    const char *via;             /* how url was found: "img", "srcset", ... (extract.h), "wat" */
    size_t n_cands;              /* >= 1 */
    const char *const *cand_source; /* caption_source_name() of each candidate, best first */
    const char *const *cand_text;   /* each candidate's text (UTF-8, whitespace-normalised) */
    const char *const *cand_reason; /* the judge's reason for each; NULL = kept */
    int chosen;                  /* index of the caption, -1 when every candidate failed */
    const char *reason;          /* chosen < 0: the best candidate's reason; else NULL */
    unsigned optout;             /* the page's OPTOUT_* mask (optout.h); 0 = none */
    unsigned placement;          /* where it sits on its page (common/placement.h): CC_PLACE_PAGE
                                    plus extract.h's bits for a WARC response; CC_PLACE_UNKNOWN
                                    for a WAT record (only its links are known, not the page) */
    int place_width, place_height; /* declared size in CSS px (extract.h); 0 = unknown */
    int alt_repeats;             /* images on the page with the same alt text; 0 = unknown */
} warc_image;

/* Returns 0 to go on, non-zero to stop reading. */
typedef int (*warc_image_fn)(const warc_image *im, void *ctx);
/* 1 = keep text as a caption of img; 0 = reject it with *reason (static
 * string): extract.h's extract_judge_fn. img->placement is CC_PLACE_UNKNOWN
 * for a WAT record's image (only its links are known), else the page's
 * placement facts. */
typedef extract_judge_fn warc_judge_fn;
/* Per-record filter, called with the record's WARC-Target-URI before its
 * block is read: return 0 to pass the record over (e.g. a --part host filter). */
typedef int (*warc_want_fn)(const char *target_uri, void *ctx);

typedef struct {
    size_t max_block;        /* records with larger blocks are skipped; default 16 MiB */
    size_t max_payload;      /* decoded HTML cap (the rest of a page is dropped); default 8 MiB */
    const char *agent;       /* product token for meta AGENT / X-Robots-Tag "agent:"; default "clipcrawl" */
    warc_judge_fn judge;     /* NULL keeps every candidate */
    void *judge_ctx;
    warc_want_fn want;       /* NULL takes every record */
    void *want_ctx;
} warc_images_options;

void warc_images_options_init(warc_images_options *o);

typedef struct {
    uint64_t records;        /* WARC records read */
    uint64_t pages;          /* HTML pages (WARC responses or WAT page records) taken */
    uint64_t images;         /* images reported (with at least one candidate) */
    uint64_t kept;           /* ... of which with a caption the judge kept */
    uint64_t revisits;       /* revisit records passed over */
    uint64_t not_html;       /* responses that are not 2xx HTML */
    uint64_t too_large;      /* blocks over max_block */
    uint64_t undecodable;    /* HTML in an unknown Content-Encoding, or not an HTTP message */
    uint64_t bad_wat;        /* WAT records that are not JSON / have no page URL */
    uint64_t filtered;       /* records the want filter passed over */
    uint64_t resyncs;        /* warc.h resyncs over damaged stretches */
    uint64_t raw_bytes;      /* input bytes read (compressed size for gzip) */
} warc_images_stats;

/* Streams path ("-" = stdin) and reports its images to fn. st (may be
 * NULL) is ADDED to, so one stats block can sum several files.
 * Returns 0 when the file was read to its end;
 *          1 when it ended early (truncated, corrupt gzip...): err says why
 *            in one line naming path; the images before that were reported;
 *         -1 when it cannot be opened or is not a WARC file (err), nothing
 *            reported;
 *          2 when fn asked to stop. */
int warc_images_file(const char *path, const warc_images_options *o, warc_image_fn fn, void *ctx,
                     warc_images_stats *st, char *err, size_t errlen);

#endif
