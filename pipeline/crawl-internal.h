/* crawl-internal.h — the crawl engine's state, shared by crawl.c (dispatch,
 * pages, seeds, the run) and crawl-hosts.c (the host table: robots.txt and
 * tdmrep.json per origin, cached in the index, and politeness). Internal to
 * pipeline/. */
#ifndef CC_PIPELINE_CRAWL_INTERNAL_H
#define CC_PIPELINE_CRAWL_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "extract.h"
#include "frontier.h"
#include "http.h"
#include "images.h"
#include "optout.h"
#include "robots.h"
#include "strmap.h"
#include "url.h"

#define CRAWL_DELAY_CAP 10.0          /* longest Crawl-delay honoured, seconds */
#define ROBOTS_CACHE_TTL 86400.0      /* RFC 9309 2.4: a cached robots.txt is good for 24 h */
#define ROBOTS_FETCH_CAP (ROBOTS_MAX_BYTES + 1) /* the parsed 500 KiB, and a byte to tell a cut */
#define TDMREP_FETCH_CAP (1u << 20)
#define PAGE_FETCH_CAP (16u << 20)
#define CRAWL_MAX_REDIRECTS 5         /* page or image redirects in a row */
#define PAGE_WINDOW 64
#define IMAGE_WINDOW 256
#define SITEMAP_MAX_FILES 64          /* sitemap files read per run at most (indexes included) */
#define SITEMAP_FETCH_CAP (50u << 20) /* the protocol's 50 MB; gzip is undone by sitemap.c, capped too */

/* ---- hosts ---------------------------------------------------------------------- */

typedef enum { HS_NEW, HS_WAIT, HS_READY } host_stage;

typedef struct host {
    char *origin;          /* scheme://host[:port] */
    host_stage stage;
    int robots_known;      /* rules decided (fetched or cached) */
    robots_rules *rules;
    tdmrep *tdm;           /* NULL: none / not fetched */
    char *refused;         /* robots.txt could not even be asked: 'private_address', 'dns'... */
    int robots_unavailable; /* robots.txt answered 429 or 5xx, or not at all: everything is
                               disallowed for this run, and what it stops is 'failed'
                               (robots_unavailable, retried by --retry-failed), not an opt-out */
    double delay;          /* our own gap between requests (Crawl-delay above --host-delay), 0 = none */
    double next_at;        /* cc_now() before which we send nothing (delay) */
    double backoff_until;  /* wall clock: Retry-After of a 429/503 */
    int sitemaps_taken;    /* its robots.txt Sitemap: lines were queued */
} host;

enum { REQ_PAGE, REQ_ROBOTS, REQ_TDMREP, REQ_IMAGE, REQ_SITEMAP };

typedef struct {
    int kind;
    host *h;
    frontier_page page;    /* REQ_PAGE (owned); REQ_SITEMAP: page.url is the sitemap */
    pipeline_item *item;   /* REQ_IMAGE (owned until handed to the pipeline) */
    int hops;              /* REQ_IMAGE: redirects taken to reach this URL */
} req;

/* An image whose request was redirected: its target waits here for the
 * target host's robots.txt, TDMRep and politeness, like an image of the
 * window (the engine does not follow image redirects itself). */
typedef struct {
    pipeline_item *item;   /* owned */
    char *url;             /* the target, normalised */
    int hops;              /* redirects taken to reach it */
} redirected_image;

typedef struct {
    /* options */
    int max_depth;
    cc_part part;             /* --part: only pages on hosts of this part */
    int64_t other_part_seeds; /* seeds left to the other parts */
    url_scope scope;
    int64_t max_pages;
    double host_delay;
    char agent[64];        /* product token for robots.txt and opt-out headers */
    int judge_captions;
    int retry_failed;
    extract_judge_fn judge; /* the caption filter (judge_caption in crawl.c); NULL = keep all */
    void *judge_ctx;
    size_t image_bound;    /* image requests pending in the engine, plus images waiting to follow a redirect, at most */
    int page_bound;        /* page requests in flight at most */
    const volatile sig_atomic_t *stop;
    /* state */
    dataset *ds;
    frontier *fr;
    pipeline *pipe;
    http_engine *eng;
    int64_t input_id;
    cc_strmap hosts;       /* origin -> host * */
    cc_strmap redirect_hops; /* page URL queued as a redirect target -> hops behind it */
    frontier_page pwin[PAGE_WINDOW];
    int npwin, pages_dry, pages_capped;
    frontier_image iwin[IMAGE_WINDOW];
    int niwin, images_dry;
    redirected_image *redir; /* images waiting to follow a redirect */
    size_t nredir, redir_cap;
    int pages_in_flight;
    char **sitemaps;       /* sitemap URLs to read (queue; sm_head..n_sitemaps waiting) */
    size_t n_sitemaps, sm_head, sm_cap;
    int64_t n_sitemap_pages, n_sitemap_images;
    double last_report;    /* cc_now() of the last progress report */
    int64_t pages_started;  /* page requests in this dataset, all runs */
    int64_t n_fetched, n_failed, n_skipped, n_images_found, n_links_new;
    int failed;            /* a fatal index error happened */
    char errmsg[512];
} crawl;

/* Records the first fatal error; the run stops. */
void crawl_fail(crawl *c, const char *msg);
/* Finds or creates the host of url (loading what the index caches). NULL
 * when url has no origin. */
host *crawl_host_for(crawl *c, const char *url);
void crawl_hosts_free(crawl *c);
/* Submits url to the engine as a request of kind for host h (*out: the request). */
void crawl_submit(crawl *c, int kind, host *h, const char *url, size_t max_bytes, int check_optout, req **out);
/* Starts what the host still needs (robots.txt, then tdmrep.json). Returns 1
 * when the host's rules are all known. */
int crawl_host_ready(crawl *c, host *h);
/* 1 when politeness lets us send to h now; crawl_host_sent() after sending. */
int crawl_host_can_send(const host *h);
void crawl_host_sent(host *h);
/* A final 429/503 with Retry-After: keep off the host (also across runs). */
void crawl_note_backoff(crawl *c, host *h, const http_result *r);
/* Sitemaps (crawl-sitemaps.c): queue one URL (bounded: SITEMAP_MAX_FILES a
 * run, duplicates ignored); send what robots.txt allows; read a fetched one
 * (pages → frontier at depth 0, image entries → crawl_images, child sitemaps
 * → the queue). */
void crawl_sitemap_queue(crawl *c, const char *url);
void crawl_dispatch_sitemaps(crawl *c);
int crawl_sitemaps_done(const crawl *c);
void crawl_on_sitemap(crawl *c, req *q, http_result *r);
void crawl_sitemaps_free(crawl *c);

/* Completions of a host's robots.txt and tdmrep.json requests. */
void crawl_on_robots(crawl *c, host *h, http_result *r);
void crawl_on_tdmrep(crawl *c, host *h, http_result *r);

#endif
