/* crawl-page.h — what the crawl does with one fetched HTML page (internal to
 * pipeline/: crawl.c calls it). */
#ifndef CC_CLI_CRAWL_PAGE_H
#define CC_CLI_CRAWL_PAGE_H

#include <stddef.h>

#include "extract.h"
#include "frontier.h"
#include "partition.h"
#include "url.h"


typedef struct {
    frontier *fr;
    const char *agent;        /* our product token (meta name="AGENT", X-Robots-Tag "AGENT:") */
    int max_depth;            /* links are followed from pages with depth < max_depth */
    url_scope scope;          /* ... when url_in_scope(link, page's seed, scope) */
    extract_judge_fn judge;   /* NULL accepts every caption; sees each candidate's image */
    void *judge_ctx;
    unsigned optout_mask;     /* OPTOUT_* from the response headers and tdmrep.json */
    const cc_part *part;      /* --part: links to hosts of other parts are not queued; NULL = all */
} crawl_page_ctx;

typedef struct {
    int n_images;             /* images on the page */
    int n_links_new;          /* links added to the frontier */
    unsigned optout;          /* the page's whole opt-out mask (headers | meta) */
} crawl_page_stats;

/* Extracts html[0..n) fetched as page (id, depth, seed), whose final URL
 * (after redirects, normalised) is base: every image goes to crawl_images
 * with its caption decision — 'optout' (reason noai / noimageai /
 * tdm_reservation) when the page opts out, 'rejected' with the best
 * candidate's reason when no candidate passes the judge, else 'fetch' with
 * the first passing candidate in extract.h's priority order (raw text; the
 * pipeline normalises it) — and every candidate to crawl_candidates with its
 * verdict; links within depth and scope (not rel=nofollow, not on a meta
 * nofollow page) become queued pages. Writes only; the caller holds the
 * transaction. Returns 0; 1 when libxml2 cannot make a document of it
 * (nothing written); -1 on an index error (frontier_errmsg). */
int crawl_page_take(const crawl_page_ctx *pc, int64_t page_id, int depth, const char *seed, const char *base,
                    const char *html, size_t n, const char *content_type, crawl_page_stats *st);

/* Opt-out mask of a response's headers: every X-Robots-Tag line ('\n'-joined,
 * as http_result gives them) for agent, and tdm-reservation. */
unsigned crawl_header_optout(const char *x_robots_tag, const char *tdm_reservation, const char *agent);

#endif
