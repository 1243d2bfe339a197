/* crawl.c — seed pages → captioned images (pipeline_crawl).
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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "caption.h"
#include "crawl-internal.h"
#include "crawl-page.h"
#include "judge.h"
#include "pipeline.h"
#include "repeats.h"
#include "settings.h"

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
    crawl_note_backoff(c, q->h, r);
    int began = frontier_begin(c->fr);
    if (began < 0) {
        crawl_fail(c, frontier_errmsg(c->fr));
        return;
    }
    int rc = 0;
    char *target = r->status >= 300 && r->status <= 399 && r->redirect_url[0]
                       ? url_normalize(r->redirect_url, NULL, 0) : NULL;
    if (target) {
        /* Redirects are not followed by the engine: the target becomes a page
         * of its own, so robots.txt (of its host) is checked before it is
         * requested, like any page. A seed may redirect anywhere (http →
         * https, another host) and the target is then the seed of its links;
         * a deeper page's redirect must stay in scope. */
        /* A target keeps the depth of the page that redirected, so hops are
         * counted (in memory: a resumed run counts afresh, still bounded) or
         * a server that redirects to a new URL each time is crawled forever. */
        uintptr_t hops = 0;
        cc_strmap_remove(&c->redirect_hops, p->url, &hops);
        if (hops >= CRAWL_MAX_REDIRECTS) {
            rc = frontier_mark_page(c->fr, p->id, "failed", r->status, "too_many_redirects", target, -1, -1);
            c->n_failed++;
        } else {
            int added = 0;
            if (p->depth == 0)
                added = frontier_add_page(c->fr, target, 0, target);
            else if (url_in_scope(target, p->seed, c->scope))
                added = frontier_add_page(c->fr, target, p->depth, p->seed);
            if (added > 0)
                cc_strmap_put(&c->redirect_hops, target, hops + 1);
            rc = added < 0 ? -1 : frontier_mark_page(c->fr, p->id, "skipped", r->status, "redirect", target, -1, -1);
            c->n_skipped++;
        }
        free(target);
    } else if (r->outcome != HTTP_OUT_OK) {
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
        host *bh = crawl_host_for(c, base);
        if (p->depth == 0 && bh && bh->rules && !bh->sitemaps_taken) {
            /* a seed's site: read the sitemaps its robots.txt names */
            bh->sitemaps_taken = 1;
            for (size_t i = 0; i < robots_sitemap_count(bh->rules); i++)
                crawl_sitemap_queue(c, robots_sitemap(bh->rules, i));
        }
        if (bh && bh->tdm) {
            char *path = url_path_query(base);
            if (path)
                mask |= tdmrep_reserved(bh->tdm, path, NULL);
            free(path);
        }
        crawl_page_ctx pc = {
            .fr = c->fr, .agent = c->agent, .max_depth = c->max_depth, .scope = c->scope,
            .judge = c->judge_captions ? judge_page_caption : NULL, /* with each image's placement */
            .judge_ctx = (void *)pipeline_caption_filter(c->pipe), .optout_mask = mask,
            .part = &c->part,
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
    crawl_note_backoff(c, q->h, r);
    pipeline_item *it = q->item;
    q->item = NULL;
    if (r->outcome == HTTP_OUT_HTTP_ERROR && r->status >= 300 && r->status <= 399 && r->redirect_url &&
        r->redirect_url[0]) {
        /* The target is asked for only once its own host's robots.txt and
         * TDMRep allow it (dispatch_redirects); the item keeps its URL. */
        char *target = url_normalize(r->redirect_url, NULL, 0);
        if (!target) {
            pipeline_record(c->pipe, it, DS_FAILED, "bad_url", "the redirect target is not a URL");
        } else if (q->hops >= CRAWL_MAX_REDIRECTS) {
            pipeline_record(c->pipe, it, DS_FAILED, "too_many_redirects", NULL);
            free(target);
        } else {
            if (c->nredir == c->redir_cap) {
                c->redir_cap = c->redir_cap ? 2 * c->redir_cap : 16;
                c->redir = xrealloc(c->redir, c->redir_cap * sizeof *c->redir);
            }
            c->redir[c->nredir++] = (redirected_image){it, target, q->hops + 1};
        }
        return;
    }
    if (r->outcome == HTTP_OUT_OK && optout_tdm_value(r->tdm_reservation)) {
        /* The engine stops X-Robots-Tag opt-outs itself; TDMRep on the image is ours. */
        pipeline_record(c->pipe, it, DS_OPTOUT, "tdm_reservation", "tdm-reservation: 1 on the image response");
        return;
    }
    pipeline_on_http(c->pipe, it, r);
}

/* The http engine's completion: ctx is the crawl, user the request. */
static void on_http_done(http_result *r, void *ctx, void *user)
{
    crawl *c = ctx;
    req *q = user;
    switch (q->kind) {
    case REQ_ROBOTS: crawl_on_robots(c, q->h, r); break;
    case REQ_TDMREP: crawl_on_tdmrep(c, q->h, r); break;
    case REQ_PAGE: on_page(c, q, r); break;
    case REQ_IMAGE: on_image(c, q, r); break;
    case REQ_SITEMAP: crawl_on_sitemap(c, q, r); break;
    }
    frontier_page_clear(&q->page);
    free(q);
}

/* A request abandoned at a stop: its page or image stays queued in the
 * frontier for the next run; only the memory goes. */
static void on_http_drop(void *ctx, void *user)
{
    (void)ctx;
    req *q = user;
    pipeline_item_free(q->item);
    frontier_page_clear(&q->page);
    free(q);
}

/* A failed image: when it was a full-size image behind a thumbnail, the
 * thumbnail becomes an image of its own (a new crawl_images row the image
 * window reaches later in this run, robots and politeness applying). */
static int on_image_failed(void *ctx, int64_t input_id, int64_t row_no, const char *reason, char *err,
                           size_t errlen)
{
    crawl *c = ctx;
    (void)reason;
    if (input_id != c->input_id)
        return 0;
    if (frontier_add_fallback(c->fr, row_no) < 0) {
        snprintf(err, errlen, "%s", frontier_errmsg(c->fr));
        return -1;
    }
    return 0;
}

/* ---- dispatch ---------------------------------------------------------------------- */

/* What may happen to an image URL now (image_gate). */
enum { GATE_SEND, GATE_WAIT, GATE_DECIDED };

/* The checks before an image request, on the URL asked for (the image's,
 * or a redirect's target): GATE_SEND (*hp is its host), GATE_WAIT (the
 * host's rules are being fetched, or politeness), or GATE_DECIDED with the
 * outcome in *st and *why (no request). */
static int image_gate(crawl *c, const char *url, host **hp, dataset_status *st, const char **why)
{
    host *h = *hp = crawl_host_for(c, url);
    *st = DS_OPTOUT;
    *why = NULL;
    if (!h) {
        *st = DS_FAILED, *why = "bad_url";
        return GATE_DECIDED;
    }
    if (!crawl_host_ready(c, h))
        return GATE_WAIT;
    if (h->refused) {
        *st = DS_REJECTED, *why = h->refused;
        return GATE_DECIDED;
    }
    if (h->robots_unavailable) {
        *st = DS_FAILED, *why = "robots_unavailable";
        return GATE_DECIDED;
    }
    if (!robots_allowed(h->rules, c->agent, url)) {
        *why = "robots";
        return GATE_DECIDED;
    }
    if (h->tdm) {
        char *path = url_path_query(url);
        if (path && tdmrep_reserved(h->tdm, path, NULL))
            *why = "tdm_reservation";
        free(path);
        if (*why)
            return GATE_DECIDED;
    }
    return crawl_host_can_send(h) ? GATE_SEND : GATE_WAIT;
}

/* Sends the images waiting to follow a redirect whose target may be asked
 * for now; records the ones its host refuses. */
static void dispatch_redirects(crawl *c)
{
    size_t keep = 0;
    for (size_t i = 0; i < c->nredir; i++) {
        redirected_image *d = &c->redir[i];
        host *h;
        dataset_status st;
        const char *why;
        int g = c->failed || http_pending(c->eng) >= c->image_bound ? GATE_WAIT
                                                                     : image_gate(c, d->url, &h, &st, &why);
        if (g == GATE_WAIT) {
            c->redir[keep++] = *d;
            continue;
        }
        if (g == GATE_DECIDED) {
            char detail[300];
            snprintf(detail, sizeof detail, "redirected to %.256s", d->url);
            pipeline_record(c->pipe, d->item, st, why, detail);
        } else {
            req *q;
            crawl_submit(c, REQ_IMAGE, h, d->url, 0, -1, &q);
            q->item = d->item;
            q->hops = d->hops;
            crawl_host_sent(h);
        }
        free(d->url);
    }
    c->nredir = keep;
}

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
        /* the facts its caption was judged with on its page, for the item */
        const dataset_place place = {im->placement, im->place_width, im->place_height, im->alt_repeats};
        /* images waiting to follow a redirect count as requests: a host
         * whose redirect targets wait (robots.txt, Crawl-delay) cannot grow
         * that queue past the bound */
        if (c->failed || http_pending(c->eng) + c->nredir >= c->image_bound) {
            c->iwin[keep++] = *im;
            continue;
        }
        int done = dataset_item_done(c->ds, c->input_id, im->id, c->retry_failed);
        if (done < 0) {
            crawl_fail(c, dataset_errmsg(c->ds));
            c->iwin[keep++] = *im;
            continue;
        }
        if (done) {
            consumed = 1;
        } else if (strcmp(im->decision, "optout") == 0 || (strcmp(im->decision, "fetch") != 0 && !im->caption)) {
            pipeline_item *it = pipeline_item_new(c->input_id, im->id, im->url, im->caption, im->page_url,
                                                  im->caption_source);
            pipeline_item_set_place(it, &place);
            pipeline_record(c->pipe, it, strcmp(im->decision, "optout") == 0 ? DS_OPTOUT : DS_REJECTED,
                            im->reason ? im->reason : "no_caption", NULL);
            consumed = 1;
        } else if (strcmp(im->decision, "fetch") != 0 && !pipeline_caption_passes(c->pipe, im->caption, &place)) {
            /* turned away for its caption when found, and still by this run's
             * settings: recorded with the reason they give now (an image whose
             * caption now passes is downloaded below) */
            pipeline_item *it = pipeline_item_new(c->input_id, im->id, im->url, im->caption, im->page_url,
                                                  im->caption_source);
            pipeline_item_set_place(it, &place);
            int admit = pipeline_admit(c->pipe, it);
            if (admit < 0)
                crawl_fail(c, pipeline_errmsg(c->pipe));
            else if (admit > 0) /* not reached: the same rule said no */
                pipeline_record(c->pipe, it, DS_REJECTED, im->reason ? im->reason : "no_caption", NULL);
            consumed = 1;
        } else {
            host *h;
            dataset_status st;
            const char *why;
            if (image_gate(c, im->url, &h, &st, &why) == GATE_WAIT) {
                c->iwin[keep++] = *im;
                continue;
            }
            pipeline_item *it = pipeline_item_new(c->input_id, im->id, im->url, im->caption, im->page_url,
                                                  im->caption_source);
            pipeline_item_set_image_source(it, im->image_source);
            pipeline_item_set_place(it, &place);
            int admit = why ? 0 : pipeline_admit(c->pipe, it); /* caption rules, URL dedup */
            if (why) {
                pipeline_record(c->pipe, it, st, why, NULL);
            } else if (admit < 0) {
                crawl_fail(c, pipeline_errmsg(c->pipe));
            } else if (admit) {
                req *q;
                crawl_submit(c, REQ_IMAGE, h, im->url, 0, -1, &q);
                q->item = it;
                crawl_host_sent(h);
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
        host *h = crawl_host_for(c, p->url);
        if (h && !crawl_host_ready(c, h)) {
            c->pwin[keep++] = *p;
            continue;
        }
        const char *skip = NULL, *state = "skipped";
        if (!h)
            skip = "bad_url", state = "failed";
        else if (h->refused)
            skip = h->refused, state = "failed";
        else if (h->robots_unavailable)
            skip = "robots_unavailable", state = "failed";
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
        if (!crawl_host_can_send(h)) {
            c->pwin[keep++] = *p;
            continue;
        }
        req *q;
        crawl_submit(c, REQ_PAGE, h, p->url, PAGE_FETCH_CAP, 0, &q);
        q->page = *p; /* ownership moves to the request */
        memset(p, 0, sizeof *p);
        crawl_host_sent(h);
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
    if (!part_owns_url(&c->part, u)) { /* another part's seed */
        free(u);
        c->other_part_seeds++;
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

/* ---- the run ------------------------------------------------------------------------------- */

void crawl_options_init(crawl_options *o)
{
    memset(o, 0, sizeof *o);
    o->scope = URL_SCOPE_HOST;
    o->host_concurrency = 2;
    o->host_delay = 1.0;
    pipeline_options_init(&o->images);
    http_options_init(&o->http);
}

void crawl_result_json(const crawl_result *r, ccbuf *out)
{
    ccbuf_printf(out,
                 "{\"pages_fetched\":%lld,\"pages_failed\":%lld,\"pages_skipped\":%lld,\"pages_queued\":%lld,"
                 "\"images_found\":%lld,\"accepted\":%lld,\"rejected\":%lld,\"failed\":%lld,\"optout\":%lld,"
                 "\"bad_seeds\":%d,\"sitemap_pages\":%lld,\"sitemap_images\":%lld}",
                 (long long)r->pages_fetched, (long long)r->pages_failed, (long long)r->pages_skipped,
                 (long long)r->pages_queued, (long long)r->images_found, (long long)r->counts.accepted,
                 (long long)r->counts.rejected, (long long)r->counts.failed, (long long)r->counts.optout,
                 r->bad_seeds, (long long)r->sitemap_pages, (long long)r->sitemap_images);
}

static int stopping(const crawl *c)
{
    return c->stop && *c->stop;
}

static void report(const crawl_options *o, crawl *c, int final)
{
    if (!c->pipe || (!o->progress && !o->run.progress))
        return;
    double now = cc_now();
    if (!final && now - c->last_report < 0.5)
        return; /* the counts below cost a query: not on every loop */
    c->last_report = now;
    if (!o->progress) {
        pipeline_counts pc;
        pipeline_get_counts(c->pipe, &pc);
        o->run.progress(&pc, 0, final, o->run.progress_ctx);
        return;
    }
    crawl_progress_info in;
    memset(&in, 0, sizeof in);
    pipeline_get_counts(c->pipe, &in.counts);
    in.pages_done = c->n_fetched + c->n_failed + c->n_skipped;
    in.pages_queued = frontier_count_pages(c->fr, "queued");
    in.images_found = c->n_images_found + c->n_sitemap_images;
    double wall = cc_wallclock();
    size_t pos = 0;
    uintptr_t v;
    while (cc_strmap_next(&c->hosts, &pos, NULL, &v)) {
        const host *h = (const host *)v;
        double w = h->next_at - now;
        if (h->backoff_until - wall > w)
            w = h->backoff_until - wall;
        if (w > 0) {
            in.hosts_waiting++;
            if (w > in.polite_wait)
                in.polite_wait = w;
        }
    }
    o->progress(&in, final, o->progress_ctx);
}

/* The engine loop: pages and images move from the frontier to the http
 * engine until both are exhausted, the run is stopped, or it fails. */
static void crawl_loop(const crawl_options *o, crawl *c)
{
    double last_flush = cc_now();
    while (!stopping(c) && !c->failed) {
        dispatch_redirects(c);
        dispatch_images(c);
        dispatch_pages(c);
        crawl_dispatch_sitemaps(c);
        if (c->failed)
            break;
        int pages_done = c->npwin == 0 && (c->pages_dry || c->pages_capped) && crawl_sitemaps_done(c);
        int images_done = c->niwin == 0 && c->images_dry && c->nredir == 0;
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
        report(o, c, 0);
    }
}

/* A re-run honours its settings: pages (and images) whose outcome depended
 * on a setting that changed are queued again. Returns 0, or -1 with err. */
static int requeue(const crawl_options *o, crawl *c, char *err, size_t errlen)
{
    run_settings_prev prev;
    const char *command = o->input_name ? o->input_name : "crawl"; /* the run's command (warc drives the crawl too) */
    if (run_settings_begin(c->ds, command, &o->images, &o->http, o->max_depth, o->scope, &prev) != CC_OK) {
        snprintf(err, errlen, "%s", dataset_errmsg(c->ds));
        return -1;
    }
    int began = frontier_begin(c->fr);
    int64_t n = 0;
    if (began < 0)
        goto db_error;
    if (o->http.allow_private) {
        int64_t a = dataset_forget_outcomes(c->ds, "rejected", "private_address");
        int64_t b = a < 0 ? -1 : frontier_requeue_pages(c->fr, "failed", "private_address", 0, INT_MAX);
        if (a < 0 || b < 0)
            goto db_error;
        if (a + b > 0)
            fprintf(stderr, "clipcrawl crawl: %lld pages and images refused as private_address before are tried "
                            "again (--allow-private)\n", (long long)(a + b));
    }
    if (o->retry_failed) {
        if ((n = frontier_requeue_pages(c->fr, "failed", NULL, 0, INT_MAX)) < 0)
            goto db_error;
        if (n > 0)
            fprintf(stderr, "clipcrawl crawl: %lld failed pages are tried again (--retry-failed)\n", (long long)n);
    }
    if (prev.had_previous && prev.prev_depth >= 0) {
        /* Pages whose links the earlier settings cut off are read again: at
         * the old depth limit when --depth grew, every one within the new
         * depth when --scope widened. Their known images are not fetched twice. */
        int from = -1;
        if (o->scope > prev.prev_scope)
            from = 0;
        else if (o->max_depth > prev.prev_depth)
            from = prev.prev_depth;
        if (from >= 0) {
            if ((n = frontier_requeue_pages(c->fr, "fetched", NULL, from, o->max_depth)) < 0)
                goto db_error;
            if (n > 0)
                fprintf(stderr, "clipcrawl crawl: --depth %d/--scope wider than the last run's: %lld fetched "
                                "pages are read again for their links\n", o->max_depth, (long long)n);
        }
    }
    if (frontier_commit(c->fr, began) != 0)
        goto db_error;
    return 0;
db_error:
    snprintf(err, errlen, "%s", dataset_errmsg(c->ds)[0] ? dataset_errmsg(c->ds) : frontier_errmsg(c->fr));
    return -1;
}

cc_err pipeline_crawl(const crawl_options *o, crawl_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    crawl *c = xcalloc(1, sizeof *c);
    cc_err rc = CC_OK;
    int64_t demoted = 0; /* samples demoted by the repeated-caption pass */
    c->max_depth = o->max_depth;
    c->scope = o->scope;
    c->max_pages = o->max_pages;
    c->host_delay = o->host_delay;
    c->stop = o->run.stop;
    http_options hopt = o->http;
    if (robots_product_token(hopt.user_agent, c->agent, sizeof c->agent) == 0)
        snprintf(c->agent, sizeof c->agent, "clipcrawl");
    hopt.optout_agent = c->agent;
    hopt.host_concurrency = o->host_concurrency;
    hopt.host_delay = c->host_delay;
    c->judge_captions = o->images.judge_captions;
    c->retry_failed = o->retry_failed;
    for (int k = 0; k < o->n_sitemaps; k++)
        crawl_sitemap_queue(c, o->sitemaps[k]);
    c->image_bound = (size_t)hopt.max_concurrency * 4;
    c->page_bound = o->host_concurrency * 8 < 64 ? o->host_concurrency * 8 : 64;

    c->part = o->part;
    dataset_options dso = o->dataset;
    part_shard_numbering(&o->part, &dso.shard_base, &dso.shard_stride);
    c->ds = dataset_open(o->out_dir, &dso, err, errlen);
    if (!c->ds) {
        free(c);
        return CC_ERR_IO;
    }
    if (part_clear_success(o->out_dir, err, errlen) != 0) {
        dataset_close(c->ds, 0, NULL, 0);
        free(c);
        return CC_ERR_IO;
    }
    const char *input = o->input_name ? o->input_name : "crawl";
    dataset_run_begin(c->ds, input, o->run.args);
    c->input_id = dataset_input(c->ds, input, input);
    c->fr = c->input_id > 0 ? frontier_open(c->ds, err, errlen) : NULL;
    if (!c->fr) {
        if (c->input_id <= 0)
            snprintf(err, errlen, "%s", dataset_errmsg(c->ds));
        dataset_close(c->ds, 0, NULL, 0);
        free(c);
        return CC_ERR_DB;
    }
    res->ran = 1;
    /* The pipeline first: its caption filter judges the candidates of every page. */
    c->pipe = pipeline_new(c->ds, &o->images);
    pipeline_set_on_failed(c->pipe, on_image_failed, c);
    if (c->judge_captions) {
        c->judge = judge_page_caption;
        c->judge_ctx = (void *)pipeline_caption_filter(c->pipe);
    }

    /* Seeds (a resumed crawl finds them known: nothing changes). */
    int began = frontier_begin(c->fr);
    for (int k = 0; k < o->n_seeds && rc == CC_OK; k++) {
        const char *s = o->seeds[k];
        int r = url_is_http(s) ? add_seed(c, s, "argument", &res->bad_seeds)
                               : add_seed_file(c, s, &res->bad_seeds, err, errlen);
        if (r != 0) {
            if (url_is_http(s))
                snprintf(err, errlen, "%s", frontier_errmsg(c->fr));
            rc = CC_ERR_IO;
        }
    }
    if (rc == CC_OK && (began < 0 || frontier_commit(c->fr, began) != 0)) {
        snprintf(err, errlen, "%s", frontier_errmsg(c->fr));
        rc = CC_ERR_DB;
    }
    /* warc: the archives' images join the frontier before any request */
    if (rc == CC_OK && o->feed)
        rc = o->feed(c->fr, c->judge_captions ? pipeline_caption_filter(c->pipe) : NULL, o->feed_ctx, err, errlen);
    if (rc == CC_OK && requeue(o, c, err, errlen) != 0)
        rc = CC_ERR_DB;
    if (rc != CC_OK)
        goto out;
    int64_t nf = frontier_count_pages(c->fr, "fetched"), nfail = frontier_count_pages(c->fr, "failed");
    c->pages_started = (nf > 0 ? nf : 0) + (nfail > 0 ? nfail : 0);

    hopt.on_done = on_http_done;
    hopt.on_drop = on_http_drop;
    hopt.ctx = c;
    c->eng = http_engine_new(&hopt);
    if (!c->eng) {
        snprintf(err, errlen, "cannot set up libcurl");
        rc = CC_ERR_NETWORK;
        goto out;
    }
    pipeline_set_engine(c->pipe, c->eng);
    crawl_loop(o, c);
    if (c->failed) {
        snprintf(err, errlen, "%s", c->errmsg);
        rc = CC_ERR_DB;
    }
    /* Stopping or done: abandon unstarted requests, keep what the workers hold.
     * The pipeline forgets the engine first: its polls below would hold it. */
    pipeline_set_engine(c->pipe, NULL);
    http_engine_free(c->eng);
    c->eng = NULL;
    if (pipeline_poll(c->pipe, 1) < 0 && rc == CC_OK) {
        snprintf(err, errlen, "%s", pipeline_errmsg(c->pipe));
        rc = CC_ERR_DB;
    }
    /* Captions repeated on many images of many pages (COYO): samples accepted
     * before their caption crossed the threshold are demoted now. */
    if (rc == CC_OK && (demoted = pipeline_demote_repeated(c->ds, pipeline_caption_filter(c->pipe), err, errlen)) < 0) {
        rc = CC_ERR_DB;
        demoted = 0;
    }
out:
    pipeline_get_counts(c->pipe, &res->counts);
    res->counts.accepted -= demoted;
    res->counts.rejected += demoted;
    report(o, c, 1);
    pipeline_free(c->pipe);
    res->pages_fetched = c->n_fetched;
    res->pages_failed = c->n_failed;
    res->pages_skipped = c->n_skipped;
    res->pages_queued = frontier_count_pages(c->fr, "queued");
    res->images_found = c->n_images_found;
    res->sitemap_pages = c->n_sitemap_pages;
    {
        ccbuf why = {0};
        if (frontier_seed_outcomes(c->fr, &res->seeds_fetched, &res->seeds, &why) == 0 && why.len)
            snprintf(res->seed_failures, sizeof res->seed_failures, "%s", (const char *)why.data);
        ccbuf_free(&why);
    }
    res->sitemap_images = c->n_sitemap_images;
    res->stopped = stopping(c);
    ccbuf counts = {0};
    crawl_result_json(res, &counts);
    dataset_run_end(c->ds, (const char *)counts.data);

    for (int i = 0; i < c->npwin; i++)
        frontier_page_clear(&c->pwin[i]);
    for (int i = 0; i < c->niwin; i++)
        frontier_image_clear(&c->iwin[i]);
    /* images stopped half-way through a redirect stay queued for the next run */
    for (size_t i = 0; i < c->nredir; i++) {
        pipeline_item_free(c->redir[i].item);
        free(c->redir[i].url);
    }
    free(c->redir);
    frontier_free(c->fr);
    crawl_hosts_free(c);
    cc_strmap_free(&c->redirect_hops);
    crawl_sitemaps_free(c);
    /* An interrupted run leaves its shard open so the next run continues it. */
    char cerr[512];
    if (dataset_close(c->ds, !res->stopped && rc == CC_OK, cerr, sizeof cerr) != CC_OK && rc == CC_OK) {
        snprintf(err, errlen, "%s", cerr);
        rc = CC_ERR_IO;
    }
    /* Complete: not stopped, no error, nothing left queued. _SUCCESS goes last. */
    if (part_finish_run(o->out_dir, o->command ? o->command : "crawl", &o->part, rc == CC_OK && !res->stopped && res->pages_queued == 0,
                        (const char *)counts.data, cerr, sizeof cerr) != 0 && rc == CC_OK) {
        snprintf(err, errlen, "%s", cerr);
        rc = CC_ERR_IO;
    }
    ccbuf_free(&counts);
    free(c);
    return rc;
}
