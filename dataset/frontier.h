/* frontier.h — the crawl frontier, kept in the dataset's index (SQLite).
 *
 * The tables are created by schema/003-crawl.sql (crawl_pages, crawl_images,
 * crawl_candidates, crawl_hosts; schema/README.md documents every column).
 * The frontier is storage, so it lives in the dataset stage with the rest of
 * the SQL; the crawl engine (pipeline/crawl*.c, pipeline/warc.c) drives it.
 * It reads and writes through the dataset's own connection, so frontier
 * writes join the dataset's transaction and commit with the samples they
 * lead to.
 *
 * Memory is bounded by design: nothing is cached. Pages and images are read
 * back in windows (frontier_next_pages / frontier_next_images: at most `max`
 * rows after a cursor), so a frontier of 1,000 or 1,000,000 URLs costs the
 * same RSS; SQLite's page cache is the only other memory.
 *
 * Resume: a page stays 'queued' until its outcome is marked, so pages that
 * were in flight when a crawl was killed are fetched again by the next run,
 * and finished pages never are. Image rows are never deleted; whether an
 * image still needs work is decided by the caller (the items table).
 *
 * URLs must already be normalised (url_normalize) — the UNIQUE columns then
 * deduplicate them.
 *
 * Errors: functions returning int give -1 on an SQLite error, with the
 * message in frontier_errmsg(f). Not thread-safe: one thread per frontier.
 */
#ifndef CC_DATASET_FRONTIER_H
#define CC_DATASET_FRONTIER_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "dataset.h"

typedef struct frontier frontier;

/* Prepares the statements on the index of ds (a writer handle; it must
 * outlive the frontier). Returns NULL with a one-line reason in err when the
 * index lacks the crawl tables. */
frontier *frontier_open(dataset *ds, char *err, size_t errlen);
void frontier_free(frontier *f); /* NULL is a no-op */
const char *frontier_errmsg(const frontier *f);

/* Opens a transaction when the connection has none (BEGIN IMMEDIATE) and
 * returns 1, or returns 0 when one is already open (the writes then join it);
 * -1 on error. frontier_commit(f, began) commits only when began == 1. Use it
 * around a burst of writes so they do not autocommit one by one. */
int frontier_begin(frontier *f);
int frontier_commit(frontier *f, int began);

/* ---- pages ---------------------------------------------------------------- */

/* Adds a queued page. Returns 1 when it is new, 0 when the URL was known
 * (in any state; nothing changes), -1 on error. seed is the seed URL whose
 * scope its links obey. */
int frontier_add_page(frontier *f, const char *url, int depth, const char *seed);

typedef struct {
    int64_t id;
    char *url;   /* malloc'd */
    char *seed;  /* malloc'd */
    int depth;
} frontier_page;
void frontier_page_clear(frontier_page *p); /* frees the strings, zeroes *p */

/* Loads up to max queued pages with ids above the page cursor, in id order
 * (breadth first: links are added after their page), into out[0..n) and moves
 * the cursor past them. Returns n (0 when no queued page lies beyond the
 * cursor), -1 on error. The caller frees each with frontier_page_clear(). */
int frontier_next_pages(frontier *f, frontier_page *out, int max);

/* Records a page's outcome: state "fetched", "failed" or "skipped";
 * http_status 0 = none; reason / final_url may be NULL; n_images / n_links
 * < 0 = unknown. Returns 0 or -1. */
int frontier_mark_page(frontier *f, int64_t id, const char *state, long http_status, const char *reason,
                       const char *final_url, int n_images, int n_links);

/* Number of pages in state (NULL = all pages); -1 on error. */
int64_t frontier_count_pages(frontier *f, const char *state);

/* Puts pages in state (e.g. "failed", "fetched") back in the queue: those
 * with this reason (NULL = any) and min_depth <= depth < max_depth. A later
 * run with --retry-failed, --allow-private, a larger --depth or a wider
 * --scope uses it. Returns how many, -1 on error. */
int64_t frontier_requeue_pages(frontier *f, const char *state, const char *reason, int min_depth, int max_depth);
/* The seeds (depth-0 pages): how many there are, how many were fetched, and
 * (when why is not NULL) "URL: reason; ..." for up to 5 that were not.
 * 0 / -1. */
int frontier_seed_outcomes(frontier *f, int64_t *n_fetched, int64_t *n_seeds, ccbuf *why);
/* Moves both cursors back to the start (a new run re-reads what is left). */
void frontier_rewind(frontier *f);

/* ---- images ----------------------------------------------------------------- */

typedef struct {
    int64_t id;
    char *url, *page_url;
    char *caption, *caption_source; /* NULL when no candidate passed */
    char *decision;                 /* "fetch", "rejected" or "optout" */
    char *reason;                   /* NULL for "fetch" */
    char *image_source;             /* extract.h's via ("a_href", "srcset", "img" ...); may be NULL */
    char *placement;                /* where it sits on its page: cc_place_format's stored form
                                       ("nav,linked"; "" = page, nothing special); NULL = unknown */
    int place_width, place_height;  /* its declared size in CSS px; 0 = unknown */
    int alt_repeats;                /* images on its page with the same alt text; 0 = unknown */
} frontier_image;
void frontier_image_clear(frontier_image *im);

/* Adds an image found on a page (strings copied; caption, caption_source and
 * reason may be NULL; decision as above). When the URL is already known the
 * existing row is kept (an image is judged once, on the first page it was
 * found on). Returns its id (> 0) and sets *is_new (if not NULL); -1 on error. */
int64_t frontier_add_image(frontier *f, const char *url, const char *page_url, const char *caption,
                           const char *caption_source, const char *decision, const char *reason,
                           int *is_new);

/* Records why image id's URL was taken (image_source: extract.h's via) and
 * the thumbnail behind it (fallback_url + its via; NULL when none).
 * 0 / -1. */
int frontier_set_image_source(frontier *f, int64_t id, const char *image_source, const char *fallback_url,
                              const char *fallback_source);
/* Records where image id sits on its page (common/placement.h): placement
 * in cc_place_format's stored form ("nav,linked", "" = on a page, nothing
 * special; NULL = unknown), its declared width and height in CSS px and the
 * number of images on the page with the same alt text (each <= 0 = unknown,
 * stored as NULL). Re-judging the caption later (the item, refilter) uses
 * them. 0 / -1. */
int frontier_set_image_place(frontier *f, int64_t id, const char *placement, int width, int height, int repeats);
/* The full-size image id failed: adds its fallback thumbnail as a new image
 * (same page, caption, placement and decision 'fetch'; image_source = the
 * thumbnail's via; fallback_of = id). Returns the new id, 0 when id has no fallback or
 * the thumbnail URL is already known (it is judged on its own then), -1 on
 * error. */
int64_t frontier_add_fallback(frontier *f, int64_t id);
/* Stores one caption candidate (source name, text, filter verdict "keep" or a
 * reason, chosen 0/1). A repeat of (image, page, source) is ignored. 0 / -1. */
int frontier_add_candidate(frontier *f, int64_t image_id, const char *page_url, const char *source,
                           const char *text, const char *verdict, int chosen);

/* Loads up to max images with ids above the image cursor, in id order, and
 * moves the cursor. Returns n, -1 on error. Free each with
 * frontier_image_clear(). */
int frontier_next_images(frontier *f, frontier_image *out, int max);

/* ---- hosts ------------------------------------------------------------------ */

typedef struct {
    int has_robots;           /* 1 when robots.txt has been fetched (then the next 4 are set) */
    int robots_status;        /* 0 = unreachable */
    ccbuf robots_body;
    double robots_fetched_at; /* epoch seconds */
    double crawl_delay;       /* -1 = none */
    int has_tdmrep;           /* 1 when tdmrep.json has been looked at */
    int tdmrep_status;        /* -1 = not fetched (robots disallowed it) */
    ccbuf tdmrep_body;
    double tdmrep_fetched_at;
    double backoff_until;     /* epoch seconds, 0 = none */
} frontier_host;
void frontier_host_clear(frontier_host *h); /* frees the bodies, zeroes *h */

/* Reads what the index knows of origin ("http://h:port") into *out
 * (zeroed first). Returns 1 when a row exists, 0 when not, -1 on error. */
int frontier_get_host(frontier *f, const char *origin, frontier_host *out);
/* Stores a robots.txt outcome (body only kept for 2xx; crawl_delay < 0 = none). */
int frontier_put_robots(frontier *f, const char *origin, int status, const void *body, size_t n,
                        double crawl_delay);
/* Stores a tdmrep.json outcome (status -1 = not fetched). */
int frontier_put_tdmrep(frontier *f, const char *origin, int status, const void *body, size_t n);
/* Stores a backoff deadline (epoch seconds). */
int frontier_put_backoff(frontier *f, const char *origin, double until);

#endif
