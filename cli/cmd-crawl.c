/* cmd-crawl.c — `clipcrawl crawl SEEDS... -o DIR`: seed pages → captioned images.
 *
 * One thread drives everything through one http engine:
 *
 *   crawl_pages (index) ──window──> robots ok? ──> page request ──> extract_page
 *        ^                                                            │
 *        └──────────── links in scope, depth+1 ─────────────────────┤
 *   crawl_images (index) <── image + caption candidates + decision ───┘
 *        └──window──> opt-outs / robots / TDMRep ──> image request ──> pipeline (shared with fetch)
 *
 * Pages and images wait in the index, not in memory: only a window of each is
 * loaded at a time. Each host's robots.txt and /.well-known/tdmrep.json are
 * fetched once (through the same engine, so politeness applies to them too)
 * and cached in crawl_hosts; nothing of a host is requested before its
 * robots.txt is known. Images are items of the input named "crawl" with
 * row_no = crawl_images.id, so the dataset layer's resume logic says which
 * images still need work after a kill, and an image URL found again on
 * another page is never fetched twice.
 */
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caption.h"
#include "commands.h"
#include "common.h"
#include "crawl-page.h"
#include "dataset.h"
#include "filterconf.h"
#include "frontier.h"
#include "http.h"
#include "optout.h"
#include "pipeline.h"
#include "robots.h"
#include "url.h"

#define CRAWL_DELAY_CAP 10.0          /* longest Crawl-delay honoured, seconds */
#define ROBOTS_CACHE_TTL 86400.0      /* RFC 9309 2.4: a cached robots.txt is good for 24 h */
#define ROBOTS_FETCH_CAP (2u << 20)   /* download cap; the first 500 KiB are parsed */
#define TDMREP_FETCH_CAP (1u << 20)
#define PAGE_FETCH_CAP (16u << 20)
#define PAGE_WINDOW 64
#define IMAGE_WINDOW 256

const char crawl_usage[] =
    "usage: clipcrawl crawl SEEDS... -o DIR [options]\n"
    "  Crawls seed pages, takes the images that carry a caption that passes the caption\n"
    "  filter (alt, figcaption, aria-*, title, og:image:alt, nearby text), and writes them\n"
    "  to DIR (shards + index) through the same image pipeline as fetch.\n"
    "  SEEDS: page URLs, or files of URLs one a line ('-' = stdin; '#' comments).\n"
    "  Running the same command again resumes: finished pages and images are not redone.\n"
    "crawl:\n"
    "  -o, --output DIR       the dataset directory (required)\n"
    "  --depth N              follow links N levels from the seeds (0: seeds only)\n"
    "  --scope S              host|domain|any: which links to follow (host)\n"
    "  --max-pages N          request at most N pages in this dataset (0 = no limit)\n"
    "  --host-concurrency N   transfers at once per host (2)\n"
    "  --host-delay S         seconds between requests to one host (1); a robots.txt\n"
    "                         Crawl-delay above it is honoured up to 10 s\n"
    "  --samples-per-shard N  rotate shards after N samples (10000)\n"
    "  -q, --quiet            no progress on stderr\n"
    "  Robots.txt (RFC 9309), X-Robots-Tag / meta robots noai, noimageai and TDMRep\n"
    "  (tdm-reservation header/meta, /.well-known/tdmrep.json) are obeyed; skips are\n"
    "  recorded as status 'optout' with reason robots|noai|noimageai|tdm_reservation.\n"
    PIPELINE_OPTIONS_HELP
    "Prints a JSON line of counts; exit 1 if the run was interrupted or failed.\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* ---- hosts ---------------------------------------------------------------------- */

typedef enum { HS_NEW, HS_WAIT, HS_READY } host_stage;

typedef struct host {
    struct host *next;     /* hash chain */
    char *origin;          /* scheme://host[:port] */
    host_stage stage;
    int robots_known;      /* rules decided (fetched or cached) */
    robots_rules *rules;
    tdmrep *tdm;           /* NULL: none / not fetched */
    char *refused;         /* robots.txt could not even be asked: 'private_address', 'dns'... */
    double delay;          /* our own gap between requests (Crawl-delay above --host-delay), 0 = none */
    double next_at;        /* cc_now() before which we send nothing (delay) */
    double backoff_until;  /* wall clock: Retry-After of a 429/503 */
} host;

enum { REQ_PAGE, REQ_ROBOTS, REQ_TDMREP, REQ_IMAGE };

typedef struct {
    int kind;
    host *h;
    frontier_page page;    /* REQ_PAGE (owned) */
    pipeline_item *item;   /* REQ_IMAGE (owned until handed to the pipeline) */
} req;

typedef struct {
    /* options */
    int max_depth;
    url_scope scope;
    int64_t max_pages;
    double host_delay;
    char agent[64];        /* product token for robots.txt and opt-out headers */
    int judge_captions;
    size_t image_bound;    /* image requests pending in the engine at most */
    int page_bound;        /* page requests in flight at most */
    /* state */
    dataset *ds;
    frontier *fr;
    pipeline *pipe;
    http_engine *eng;
    int64_t input_id;
    host **buckets;
    size_t nbuckets, nhosts;
    frontier_page pwin[PAGE_WINDOW];
    int npwin, pages_dry, pages_capped;
    frontier_image iwin[IMAGE_WINDOW];
    int niwin, images_dry;
    int pages_in_flight;
    int64_t pages_started;  /* page requests in this dataset, all runs */
    int64_t n_fetched, n_failed, n_skipped, n_images_found, n_links_new;
    int failed;            /* a fatal index error happened */
    char errmsg[512];
} crawl;

static crawl *the_crawl; /* the engine's on_done has only the request as user pointer */

static void crawl_fail(crawl *c, const char *msg)
{
    if (!c->failed)
        snprintf(c->errmsg, sizeof c->errmsg, "%s", msg);
    c->failed = 1;
}

/* "scheme://host[:port]" of a normalised URL, or NULL. */
static char *origin_of(const char *url)
{
    char *r = url_robots_txt(url);
    if (!r)
        return NULL;
    size_t n = strlen(r);
    if (n >= 11 && strcmp(r + n - 11, "/robots.txt") == 0)
        r[n - 11] = '\0';
    return r;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void host_set_delay(crawl *c, host *h, double crawl_delay)
{
    if (crawl_delay > CRAWL_DELAY_CAP)
        crawl_delay = CRAWL_DELAY_CAP;
    /* The engine already keeps --host-delay; we add only what Crawl-delay asks beyond it. */
    h->delay = crawl_delay > c->host_delay ? crawl_delay : 0;
}

/* Finds or creates the host of url (loading what the index caches). NULL
 * when url has no origin. */
static host *host_for(crawl *c, const char *url)
{
    char *origin = origin_of(url);
    if (!origin)
        return NULL;
    if (c->nhosts >= c->nbuckets * 2) { /* grow */
        size_t nb = c->nbuckets ? c->nbuckets * 4 : 256;
        host **b = xcalloc(nb, sizeof *b);
        for (size_t i = 0; i < c->nbuckets; i++)
            for (host *h = c->buckets[i], *nx; h; h = nx) {
                nx = h->next;
                size_t k = hash_str(h->origin) % nb;
                h->next = b[k];
                b[k] = h;
            }
        free(c->buckets);
        c->buckets = b;
        c->nbuckets = nb;
    }
    size_t k = hash_str(origin) % c->nbuckets;
    for (host *h = c->buckets[k]; h; h = h->next)
        if (strcmp(h->origin, origin) == 0) {
            free(origin);
            return h;
        }
    host *h = xcalloc(1, sizeof *h);
    h->origin = origin;
    h->next = c->buckets[k];
    c->buckets[k] = h;
    c->nhosts++;

    frontier_host fh;
    int got = frontier_get_host(c->fr, origin, &fh);
    if (got < 0) {
        crawl_fail(c, frontier_errmsg(c->fr));
    } else if (got > 0) {
        double now = cc_wallclock();
        h->backoff_until = fh.backoff_until;
        if (fh.has_robots && now - fh.robots_fetched_at < ROBOTS_CACHE_TTL) {
            h->rules = robots_for_status(fh.robots_status, (const char *)fh.robots_body.data, fh.robots_body.len);
            h->robots_known = 1;
            host_set_delay(c, h, robots_crawl_delay(h->rules, c->agent));
            if (fh.has_tdmrep && now - fh.tdmrep_fetched_at < ROBOTS_CACHE_TTL) {
                if (fh.tdmrep_status >= 200 && fh.tdmrep_status < 300)
                    h->tdm = tdmrep_parse((const char *)fh.tdmrep_body.data, fh.tdmrep_body.len, NULL, 0);
                h->stage = HS_READY;
            }
        }
    }
    frontier_host_clear(&fh);
    return h;
}

static void hosts_free(crawl *c)
{
    for (size_t i = 0; i < c->nbuckets; i++)
        for (host *h = c->buckets[i], *nx; h; h = nx) {
            nx = h->next;
            robots_free(h->rules);
            tdmrep_free(h->tdm);
            free(h->refused);
            free(h->origin);
            free(h);
        }
    free(c->buckets);
}

static void submit(crawl *c, int kind, host *h, const char *url, size_t max_bytes, int check_optout,
                   req **out)
{
    req *q = xcalloc(1, sizeof *q);
    q->kind = kind;
    q->h = h;
    http_request rq;
    http_request_init(&rq);
    if (max_bytes)
        rq.max_bytes = max_bytes;
    rq.check_optout = check_optout;
    if (out)
        *out = q;
    http_submit_ex(c->eng, url, &rq, q);
}

/* Starts what the host still needs (robots.txt, then tdmrep.json). Returns 1
 * when the host's rules are all known. */
static int host_ready(crawl *c, host *h)
{
    if (h->stage == HS_READY)
        return 1;
    if (h->stage == HS_WAIT)
        return 0;
    char *url;
    if (!h->robots_known) {
        url = xasprintf("%s/robots.txt", h->origin);
        submit(c, REQ_ROBOTS, h, url, ROBOTS_FETCH_CAP, 0, NULL);
    } else {
        /* tdmrep.json is asked for only where robots.txt allows it */
        if (h->refused || !robots_allowed(h->rules, c->agent, "/.well-known/tdmrep.json")) {
            if (frontier_put_tdmrep(c->fr, h->origin, -1, NULL, 0) != 0)
                crawl_fail(c, frontier_errmsg(c->fr));
            h->stage = HS_READY;
            return 1;
        }
        url = xasprintf("%s/.well-known/tdmrep.json", h->origin);
        submit(c, REQ_TDMREP, h, url, TDMREP_FETCH_CAP, 0, NULL);
    }
    free(url);
    h->stage = HS_WAIT;
    return 0;
}

/* 1 when politeness lets us send to h now. */
static int host_can_send(const host *h)
{
    if (h->backoff_until > 0 && cc_wallclock() < h->backoff_until)
        return 0;
    return h->delay <= 0 || cc_now() >= h->next_at;
}

static void host_sent(host *h)
{
    if (h->delay > 0)
        h->next_at = cc_now() + h->delay;
}

/* A final 429/503 with Retry-After: keep off the host (also across runs). */
static void note_backoff(crawl *c, host *h, const http_result *r)
{
    if (!h || (r->status != 429 && r->status != 503))
        return;
    double s = http_parse_retry_after(r->retry_after);
    if (s < 0)
        s = 5;
    if (s > 60)
        s = 60;
    h->backoff_until = cc_wallclock() + s;
    if (frontier_put_backoff(c->fr, h->origin, h->backoff_until) != 0)
        crawl_fail(c, frontier_errmsg(c->fr));
}

/* ---- completions ----------------------------------------------------------------- */

static void on_robots(crawl *c, host *h, http_result *r)
{
    int status = 0;
    if (r->outcome == HTTP_OUT_OK || r->outcome == HTTP_OUT_HTTP_ERROR)
        status = (int)r->status;
    /* too_large, timeouts, too_many_redirects... → 0: unreachable, disallow all */
    if (r->outcome == HTTP_OUT_PRIVATE_ADDRESS || r->outcome == HTTP_OUT_DNS ||
        r->outcome == HTTP_OUT_BAD_URL || r->outcome == HTTP_OUT_REFUSED_SCHEME)
        h->refused = xstrdup(r->reason); /* not cached: a later run may allow it */
    robots_free(h->rules);
    h->rules = robots_for_status(status, (const char *)r->body.data, r->body.len);
    h->robots_known = 1;
    double cd = robots_crawl_delay(h->rules, c->agent);
    host_set_delay(c, h, cd);
    note_backoff(c, h, r);
    if (!h->refused && frontier_put_robots(c->fr, h->origin, status, r->body.data, r->body.len, cd) != 0)
        crawl_fail(c, frontier_errmsg(c->fr));
    h->stage = HS_NEW;
    host_ready(c, h); /* on to tdmrep.json */
}

static void on_tdmrep(crawl *c, host *h, http_result *r)
{
    int status = r->outcome == HTTP_OUT_OK || r->outcome == HTTP_OUT_HTTP_ERROR ? (int)r->status : 0;
    if (r->outcome == HTTP_OUT_OK) {
        char err[256];
        h->tdm = tdmrep_parse((const char *)r->body.data, r->body.len, err, sizeof err);
        if (!h->tdm)
            cc_log(CC_LOG_WARN, "%s/.well-known/tdmrep.json: %s (ignored)", h->origin, err);
    }
    if (frontier_put_tdmrep(c->fr, h->origin, status, r->body.data, r->body.len) != 0)
        crawl_fail(c, frontier_errmsg(c->fr));
    h->stage = HS_READY;
}

/* The caption filter as crawl-page.c's judge (the pipeline's filter: the
 * same rules fetch applies). */
static int judge_caption(const char *text, void *ctx, const char **reason)
{
    caption_verdict v = caption_judge(ctx, text, strlen(text), NULL);
    *reason = v.reason;
    return v.code == CAPTION_KEEP;
}

static int is_html_type(const char *ct)
{
    if (!ct || !*ct)
        return 1; /* unlabelled: let the parser try */
    return strstr(ct, "html") != NULL || strncmp(ct, "text/plain", 10) == 0;
}

static void on_page(crawl *c, req *q, http_result *r)
{
    frontier_page *p = &q->page;
    c->pages_in_flight--;
    note_backoff(c, q->h, r);
    int began = frontier_begin(c->fr);
    if (began < 0) {
        crawl_fail(c, frontier_errmsg(c->fr));
        return;
    }
    int rc = 0;
    if (r->outcome != HTTP_OUT_OK) {
        rc = frontier_mark_page(c->fr, p->id, "failed", r->status, r->reason, NULL, -1, -1);
        c->n_failed++;
    } else if (!is_html_type(r->content_type)) {
        rc = frontier_mark_page(c->fr, p->id, "failed", r->status, "not_html", NULL, -1, -1);
        c->n_failed++;
    } else {
        char *base = url_normalize(r->final_url, NULL, 0);
        if (!base)
            base = xstrdup(p->url);
        /* Page-level opt-outs from the headers and from the site's tdmrep.json. */
        unsigned mask = crawl_header_optout(r->x_robots_tag, r->tdm_reservation, c->agent);
        host *bh = host_for(c, base);
        if (bh && bh->tdm) {
            char *path = url_path_query(base);
            if (path)
                mask |= tdmrep_reserved(bh->tdm, path, NULL);
            free(path);
        }
        crawl_page_ctx pc = {
            .fr = c->fr, .agent = c->agent, .max_depth = c->max_depth, .scope = c->scope,
            .judge = c->judge_captions ? judge_caption : NULL,
            .judge_ctx = (void *)pipeline_caption_filter(c->pipe), .optout_mask = mask,
        };
        crawl_page_stats st;
        int t = crawl_page_take(&pc, p->id, p->depth, p->seed, base, (const char *)r->body.data, r->body.len,
                                r->content_type, &st);
        if (t < 0) {
            crawl_fail(c, frontier_errmsg(c->fr));
        } else if (t > 0) {
            rc = frontier_mark_page(c->fr, p->id, "failed", r->status, "not_html", NULL, -1, -1);
            c->n_failed++;
        } else {
            c->n_images_found += st.n_images;
            c->n_links_new += st.n_links_new;
            rc = frontier_mark_page(c->fr, p->id, "fetched", r->status, NULL,
                                    strcmp(base, p->url) != 0 ? base : NULL, st.n_images, st.n_links_new);
            c->n_fetched++;
        }
        free(base);
    }
    if (rc != 0)
        crawl_fail(c, frontier_errmsg(c->fr));
    if (frontier_commit(c->fr, began) != 0)
        crawl_fail(c, frontier_errmsg(c->fr));
}

static void on_image(crawl *c, req *q, http_result *r)
{
    note_backoff(c, q->h, r);
    pipeline_item *it = q->item;
    q->item = NULL;
    if (r->outcome == HTTP_OUT_OK && optout_tdm_value(r->tdm_reservation)) {
        /* The engine stops X-Robots-Tag opt-outs itself; TDMRep on the image is ours. */
        pipeline_record(c->pipe, it, DS_OPTOUT, "tdm_reservation", "tdm-reservation: 1 on the image response");
        return;
    }
    pipeline_on_http(c->pipe, it, r);
}

static void on_http_done(http_result *r, void *user)
{
    crawl *c = the_crawl;
    req *q = user;
    switch (q->kind) {
    case REQ_ROBOTS: on_robots(c, q->h, r); break;
    case REQ_TDMREP: on_tdmrep(c, q->h, r); break;
    case REQ_PAGE: on_page(c, q, r); break;
    case REQ_IMAGE: on_image(c, q, r); break;
    }
    frontier_page_clear(&q->page);
    free(q);
}

/* ---- dispatch ---------------------------------------------------------------------- */

/* Moves images from the window to the engine (or straight to the pipeline
 * when they are decided without a download). */
static void dispatch_images(crawl *c)
{
    if (c->niwin < IMAGE_WINDOW) {
        int n = frontier_next_images(c->fr, c->iwin + c->niwin, IMAGE_WINDOW - c->niwin);
        if (n < 0) {
            crawl_fail(c, frontier_errmsg(c->fr));
            return;
        }
        c->niwin += n;
        c->images_dry = n == 0;
    }
    int keep = 0;
    for (int i = 0; i < c->niwin; i++) {
        frontier_image *im = &c->iwin[i];
        int consumed = 0;
        if (c->failed || http_pending(c->eng) >= c->image_bound) {
            c->iwin[keep++] = *im;
            continue;
        }
        int done = dataset_item_done(c->ds, c->input_id, im->id, 0);
        if (done < 0) {
            crawl_fail(c, dataset_errmsg(c->ds));
            c->iwin[keep++] = *im;
            continue;
        }
        if (done) {
            consumed = 1;
        } else if (strcmp(im->decision, "fetch") != 0) {
            pipeline_item *it = pipeline_item_new(c->input_id, im->id, im->url, im->caption, im->page_url,
                                                  im->caption_source);
            pipeline_record(c->pipe, it, strcmp(im->decision, "optout") == 0 ? DS_OPTOUT : DS_REJECTED,
                            im->reason ? im->reason : "no_caption", NULL);
            consumed = 1;
        } else {
            host *h = host_for(c, im->url);
            dataset_status st = DS_OPTOUT;
            const char *why = NULL;
            if (!h) {
                st = DS_FAILED, why = "bad_url";
            } else if (!host_ready(c, h)) {
                c->iwin[keep++] = *im;
                continue;
            } else if (h->refused) {
                st = DS_REJECTED, why = h->refused;
            } else if (!robots_allowed(h->rules, c->agent, im->url)) {
                why = "robots";
            } else if (h->tdm) {
                char *path = url_path_query(im->url);
                if (path && tdmrep_reserved(h->tdm, path, NULL))
                    why = "tdm_reservation";
                free(path);
            }
            if (!why && !host_can_send(h)) {
                c->iwin[keep++] = *im;
                continue;
            }
            pipeline_item *it = pipeline_item_new(c->input_id, im->id, im->url, im->caption, im->page_url,
                                                  im->caption_source);
            if (why) {
                pipeline_record(c->pipe, it, st, why, NULL);
            } else if (pipeline_admit(c->pipe, it)) { /* caption rules, URL dedup */
                req *q;
                submit(c, REQ_IMAGE, h, im->url, 0, -1, &q);
                q->item = it;
                host_sent(h);
            }
            consumed = 1;
        }
        if (consumed)
            frontier_image_clear(im);
    }
    c->niwin = keep;
}

static void dispatch_pages(crawl *c)
{
    if (c->max_pages > 0 && c->pages_started >= c->max_pages) {
        /* The cap is reached: what is left stays queued for a later run. */
        for (int i = 0; i < c->npwin; i++)
            frontier_page_clear(&c->pwin[i]);
        c->npwin = 0;
        c->pages_capped = 1;
        return;
    }
    if (c->npwin < PAGE_WINDOW) {
        int n = frontier_next_pages(c->fr, c->pwin + c->npwin, PAGE_WINDOW - c->npwin);
        if (n < 0) {
            crawl_fail(c, frontier_errmsg(c->fr));
            return;
        }
        c->npwin += n;
        c->pages_dry = n == 0;
    }
    int keep = 0;
    for (int i = 0; i < c->npwin; i++) {
        frontier_page *p = &c->pwin[i];
        if (c->failed || c->pages_in_flight >= c->page_bound ||
            (c->max_pages > 0 && c->pages_started >= c->max_pages)) {
            c->pwin[keep++] = *p;
            continue;
        }
        host *h = host_for(c, p->url);
        if (h && !host_ready(c, h)) {
            c->pwin[keep++] = *p;
            continue;
        }
        const char *skip = NULL, *state = "skipped";
        if (!h)
            skip = "bad_url", state = "failed";
        else if (h->refused)
            skip = h->refused, state = "failed";
        else if (!robots_allowed(h->rules, c->agent, p->url))
            skip = "robots";
        if (skip) {
            if (frontier_mark_page(c->fr, p->id, state, 0, skip, NULL, -1, -1) != 0)
                crawl_fail(c, frontier_errmsg(c->fr));
            if (strcmp(state, "failed") == 0)
                c->n_failed++;
            else
                c->n_skipped++;
            frontier_page_clear(p);
            continue;
        }
        if (!host_can_send(h)) {
            c->pwin[keep++] = *p;
            continue;
        }
        req *q;
        submit(c, REQ_PAGE, h, p->url, PAGE_FETCH_CAP, 0, &q);
        q->page = *p; /* ownership moves to the request */
        memset(p, 0, sizeof *p);
        host_sent(h);
        c->pages_in_flight++;
        c->pages_started++;
    }
    c->npwin = keep;
}

/* ---- seeds ----------------------------------------------------------------------------- */

static int add_seed(crawl *c, const char *text, const char *where, int *bad)
{
    char err[256];
    char *u = url_normalize(text, err, sizeof err);
    if (!u) {
        cc_log(CC_LOG_WARN, "%s: bad seed '%s': %s (skipped)", where, text, err);
        (*bad)++;
        return 0;
    }
    int r = frontier_add_page(c->fr, u, 0, u);
    free(u);
    return r < 0 ? -1 : 0;
}

/* Reads seeds from a file ('-' = stdin): one URL a line, blank lines and '#' comments skipped. */
static int add_seed_file(crawl *c, const char *path, int *bad, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read seed list '%s'", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0, lineno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        char where[600];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (add_seed(c, s, where, bad) != 0) {
            snprintf(err, errlen, "%s", frontier_errmsg(c->fr));
            rc = -1;
            break;
        }
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* ---- the command ------------------------------------------------------------------------- */

int cmd_crawl(int argc, char **argv)
{
    if (cli_wants_help("crawl", argc, argv))
        return EXIT_OK;
    char err[1024];
    pipeline_options opt;
    pipeline_options_init(&opt);
    /* The filter flags (--filters FILE, --languages, ...) come out of argv first. */
    cc_err fe = filter_config_from_args(&opt.filters, &argc, argv, err, sizeof err);
    if (fe == CC_ERR_IO)
        return cli_fail("crawl", "%s", err);
    if (fe != CC_OK)
        return cli_usage_error("crawl", "%s", err);

    crawl *c = xcalloc(1, sizeof *c);
    c->scope = URL_SCOPE_HOST;
    c->host_delay = 1.0;
    int host_conc = 2, quiet = 0;
    const char *out_dir = NULL;
    http_options hopt;
    http_options_init(&hopt);
    dataset_options dopt = {0};
    const char **seeds = xcalloc((size_t)argc + 1, sizeof *seeds);
    int n_seeds = 0, status = EXIT_OK;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            seeds[n_seeds++] = a;
            continue;
        }
        int takes = 0;
        int r = pipeline_option(&opt, &hopt, a, v, &takes, err, sizeof err);
        if (r < 0) {
            status = cli_usage_error("crawl", "%s", err);
            goto out_args;
        }
        if (r > 0) {
            i += takes;
            continue;
        }
        long n;
        double d;
        if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && v) {
            out_dir = v, i++;
        } else if (strcmp(a, "--depth") == 0 && v) {
            if (cli_parse_long(v, 0, 1000, &n) != 0) {
                status = cli_usage_error("crawl", "--depth needs 0..1000, got '%s'", v);
                goto out_args;
            }
            c->max_depth = (int)n, i++;
        } else if (strcmp(a, "--scope") == 0 && v) {
            if (url_scope_parse(v, &c->scope) != 0) {
                status = cli_usage_error("crawl", "unknown --scope '%s' (host, domain, any)", v);
                goto out_args;
            }
            i++;
        } else if (strcmp(a, "--max-pages") == 0 && v) {
            if (cli_parse_long(v, 0, (long)1e15, &n) != 0) {
                status = cli_usage_error("crawl", "--max-pages needs a number >= 0, got '%s'", v);
                goto out_args;
            }
            c->max_pages = n, i++;
        } else if (strcmp(a, "--host-concurrency") == 0 && v) {
            if (cli_parse_long(v, 1, 64, &n) != 0) {
                status = cli_usage_error("crawl", "--host-concurrency needs 1..64, got '%s'", v);
                goto out_args;
            }
            host_conc = (int)n, i++;
        } else if (strcmp(a, "--host-delay") == 0 && v) {
            if (cli_parse_double(v, &d) != 0 || d < 0 || d > 3600) {
                status = cli_usage_error("crawl", "--host-delay needs seconds in [0, 3600], got '%s'", v);
                goto out_args;
            }
            c->host_delay = d, i++;
        } else if (strcmp(a, "--samples-per-shard") == 0 && v) {
            if (cli_parse_long(v, 1, DATASET_MAX_SAMPLES_PER_SHARD, &n) != 0) {
                status = cli_usage_error("crawl", "--samples-per-shard needs 1..%d, got '%s'",
                                         DATASET_MAX_SAMPLES_PER_SHARD, v);
                goto out_args;
            }
            dopt.samples_per_shard = (int)n, i++;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else {
            status = cli_usage_error("crawl", "unknown option or missing value: '%s'", a);
            goto out_args;
        }
    }
    if (!out_dir) {
        status = cli_usage_error("crawl", "missing -o DIR");
        goto out_args;
    }
    if (n_seeds == 0) {
        status = cli_usage_error("crawl", "no seeds given");
        goto out_args;
    }
    for (int k = 0; k < n_seeds; k++)
        if (!url_is_http(seeds[k]) && strcmp(seeds[k], "-") != 0 && access(seeds[k], R_OK) != 0) {
            status = cli_usage_error("crawl", "seed '%s' is neither an http(s) URL nor a readable file", seeds[k]);
            goto out_args;
        }

    if (robots_product_token(hopt.user_agent, c->agent, sizeof c->agent) == 0)
        snprintf(c->agent, sizeof c->agent, "clipcrawl");
    hopt.optout_agent = c->agent;
    hopt.host_concurrency = host_conc;
    hopt.host_delay = c->host_delay;
    c->judge_captions = opt.judge_captions;
    c->image_bound = (size_t)hopt.max_concurrency * 4;
    c->page_bound = host_conc * 8 < 64 ? host_conc * 8 : 64;

    c->ds = dataset_open(out_dir, &dopt, err, sizeof err);
    if (!c->ds) {
        status = cli_fail("crawl", "%s", err);
        goto out_args;
    }
    ccbuf args = {0};
    for (int i = 1; i < argc; i++)
        ccbuf_printf(&args, "%s%s", i > 1 ? " " : "", argv[i]);
    dataset_run_begin(c->ds, "crawl", (const char *)args.data);
    ccbuf_free(&args);
    c->input_id = dataset_input(c->ds, "crawl", "crawl");
    c->fr = c->input_id > 0 ? frontier_open(dataset_db(c->ds), err, sizeof err) : NULL;
    if (!c->fr) {
        status = cli_fail("crawl", "%s", c->input_id > 0 ? err : dataset_errmsg(c->ds));
        dataset_close(c->ds, 0, NULL, 0);
        goto out_args;
    }
    /* The pipeline first: its caption filter judges the candidates of every page. */
    the_crawl = c;
    c->pipe = pipeline_new(c->ds, &opt);

    /* Seeds (a resumed crawl finds them known: nothing changes). */
    int bad_seeds = 0;
    int began = frontier_begin(c->fr);
    for (int k = 0; k < n_seeds && status == EXIT_OK; k++) {
        int r = url_is_http(seeds[k]) ? add_seed(c, seeds[k], "argument", &bad_seeds)
                                      : add_seed_file(c, seeds[k], &bad_seeds, err, sizeof err);
        if (r != 0)
            status = cli_fail("crawl", "%s", url_is_http(seeds[k]) ? frontier_errmsg(c->fr) : err);
    }
    if (began < 0 || frontier_commit(c->fr, began) != 0)
        status = cli_fail("crawl", "%s", frontier_errmsg(c->fr));
    if (status != EXIT_OK)
        goto out_pipe;
    int64_t nf = frontier_count_pages(c->fr, "fetched"), nfail = frontier_count_pages(c->fr, "failed");
    c->pages_started = (nf > 0 ? nf : 0) + (nfail > 0 ? nfail : 0);

    hopt.on_done = on_http_done;
    c->eng = http_engine_new(&hopt);
    if (!c->eng) {
        status = cli_fail("crawl", "cannot set up libcurl");
        goto out_pipe;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    double last_flush = cc_now();
    while (!stop_requested && !c->failed) {
        dispatch_images(c);
        dispatch_pages(c);
        if (c->failed)
            break;
        int pages_done = c->npwin == 0 && (c->pages_dry || c->pages_capped);
        int images_done = c->niwin == 0 && c->images_dry;
        if (pages_done && images_done && http_pending(c->eng) == 0 && pipeline_in_flight(c->pipe) == 0)
            break;
        http_run(c->eng, 50);
        if (pipeline_poll(c->pipe, 0) < 0) {
            crawl_fail(c, pipeline_errmsg(c->pipe));
            break;
        }
        /* Frontier writes ride on the dataset's transaction; commit them even
         * while no sample is being written. */
        if (cc_now() - last_flush > 2.0) {
            if (dataset_flush(c->ds) != CC_OK)
                crawl_fail(c, dataset_errmsg(c->ds));
            last_flush = cc_now();
        }
        if (!quiet)
            pipeline_progress(c->pipe, 0, 0);
    }
    if (c->failed)
        status = cli_fail("crawl", "%s", c->errmsg);
    /* Stopping or done: abandon unstarted requests, keep what the workers hold. */
    http_engine_free(c->eng);
    c->eng = NULL;
    if (pipeline_poll(c->pipe, 1) < 0 && status == EXIT_OK)
        status = cli_fail("crawl", "%s", pipeline_errmsg(c->pipe));
out_pipe:;
    pipeline_counts pc = {0};
    if (c->pipe) {
        pipeline_get_counts(c->pipe, &pc);
        if (!quiet)
            pipeline_progress(c->pipe, 1.0, 1);
        pipeline_free(c->pipe);
    }
    char counts[512];
    snprintf(counts, sizeof counts,
             "{\"pages_fetched\":%lld,\"pages_failed\":%lld,\"pages_skipped\":%lld,\"pages_queued\":%lld,"
             "\"images_found\":%lld,\"accepted\":%lld,\"rejected\":%lld,\"failed\":%lld,\"optout\":%lld,"
             "\"bad_seeds\":%d}",
             (long long)c->n_fetched, (long long)c->n_failed, (long long)c->n_skipped,
             (long long)frontier_count_pages(c->fr, "queued"), (long long)c->n_images_found,
             (long long)pc.accepted, (long long)pc.rejected, (long long)pc.failed, (long long)pc.optout, bad_seeds);
    dataset_run_end(c->ds, counts);
    printf("%s\n", counts);

    for (int i = 0; i < c->npwin; i++)
        frontier_page_clear(&c->pwin[i]);
    for (int i = 0; i < c->niwin; i++)
        frontier_image_clear(&c->iwin[i]);
    frontier_free(c->fr);
    hosts_free(c);
    /* An interrupted run leaves its shard open so the next run continues it. */
    if (dataset_close(c->ds, !stop_requested && status == EXIT_OK, err, sizeof err) != CC_OK &&
        status == EXIT_OK)
        status = cli_fail("crawl", "%s", err);
    if (stop_requested && status == EXIT_OK)
        status = EXIT_FAIL;
out_args:
    free(seeds);
    free(c);
    return status;
}
