/* crawl-hosts.c — the crawl's host table: per origin, its robots.txt rules,
 * its /.well-known/tdmrep.json, its Crawl-delay and Retry-After backoff.
 * Both files are fetched once through the crawl's http engine (so politeness
 * applies to them too) and cached in the index (crawl_hosts) for 24 hours.
 * Nothing of a host is requested before its robots.txt is known. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl-internal.h"

void crawl_fail(crawl *c, const char *msg)
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

static void host_set_delay(crawl *c, host *h, double crawl_delay)
{
    if (crawl_delay > CRAWL_DELAY_CAP)
        crawl_delay = CRAWL_DELAY_CAP;
    /* The engine already keeps --host-delay; we add only what Crawl-delay asks beyond it. */
    h->delay = crawl_delay > c->host_delay ? crawl_delay : 0;
}

/* Finds or creates the host of url (loading what the index caches). NULL
 * when url has no origin. */
host *crawl_host_for(crawl *c, const char *url)
{
    char *origin = origin_of(url);
    if (!origin)
        return NULL;
    uintptr_t known;
    if (cc_strmap_get(&c->hosts, origin, &known)) {
        free(origin);
        return (host *)known;
    }
    host *h = xcalloc(1, sizeof *h);
    h->origin = origin;
    cc_strmap_put(&c->hosts, origin, (uintptr_t)h);

    frontier_host fh;
    int got = frontier_get_host(c->fr, origin, &fh);
    if (got < 0) {
        crawl_fail(c, frontier_errmsg(c->fr));
    } else if (got > 0) {
        double now = cc_wallclock();
        h->backoff_until = fh.backoff_until;
        if (fh.has_robots && now - fh.robots_fetched_at < ROBOTS_CACHE_TTL &&
            !robots_status_unreachable(fh.robots_status)) { /* an unreachable one is asked again */
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

void crawl_hosts_free(crawl *c)
{
    size_t pos = 0;
    uintptr_t v;
    while (cc_strmap_next(&c->hosts, &pos, NULL, &v)) {
        host *h = (host *)v;
        robots_free(h->rules);
        tdmrep_free(h->tdm);
        free(h->refused);
        free(h->origin);
        free(h);
    }
    cc_strmap_free(&c->hosts);
}

void crawl_submit(crawl *c, int kind, host *h, const char *url, size_t max_bytes, int check_optout,
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
    if (kind == REQ_PAGE || kind == REQ_IMAGE)
        rq.follow_redirects = 0; /* on_page / on_image check the target against robots.txt first */
    if (kind == REQ_ROBOTS)
        rq.keep_prefix = 1; /* a huge robots.txt: its first 500 KiB count (RFC 9309 2.5) */
    if (out)
        *out = q;
    http_submit_ex(c->eng, url, &rq, q);
}

/* Starts what the host still needs (robots.txt, then tdmrep.json). Returns 1
 * when the host's rules are all known. */
int crawl_host_ready(crawl *c, host *h)
{
    if (h->stage == HS_READY)
        return 1;
    if (h->stage == HS_WAIT)
        return 0;
    char *url;
    if (!h->robots_known) {
        url = xasprintf("%s/robots.txt", h->origin);
        crawl_submit(c, REQ_ROBOTS, h, url, ROBOTS_FETCH_CAP, 0, NULL);
    } else {
        /* tdmrep.json is asked for only where robots.txt allows it */
        if (h->refused || !robots_allowed(h->rules, c->agent, "/.well-known/tdmrep.json")) {
            if (frontier_put_tdmrep(c->fr, h->origin, -1, NULL, 0) != 0)
                crawl_fail(c, frontier_errmsg(c->fr));
            h->stage = HS_READY;
            return 1;
        }
        url = xasprintf("%s/.well-known/tdmrep.json", h->origin);
        crawl_submit(c, REQ_TDMREP, h, url, TDMREP_FETCH_CAP, 0, NULL);
    }
    free(url);
    h->stage = HS_WAIT;
    return 0;
}

/* 1 when politeness lets us send to h now. */
int crawl_host_can_send(const host *h)
{
    if (h->backoff_until > 0 && cc_wallclock() < h->backoff_until)
        return 0;
    return h->delay <= 0 || cc_now() >= h->next_at;
}

void crawl_host_sent(host *h)
{
    if (h->delay > 0)
        h->next_at = cc_now() + h->delay;
}

/* A final 429/503 with Retry-After: keep off the host (also across runs). */
void crawl_note_backoff(crawl *c, host *h, const http_result *r)
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

void crawl_on_robots(crawl *c, host *h, http_result *r)
{
    int status = 0;
    if (r->outcome == HTTP_OUT_OK || r->outcome == HTTP_OUT_HTTP_ERROR)
        status = (int)r->status;
    /* RFC 9309 2.5: a file over the cap is parsed as far as the cap (the
     * engine hands back its first ROBOTS_FETCH_CAP bytes; robots_parse reads
     * the first 500 KiB and drops the line cut there). */
    if (r->outcome == HTTP_OUT_TOO_LARGE && r->body.len)
        status = 200;
    /* RFC 9309 2.3.1.2: more than five redirects MAY be taken as
     * "unavailable", which is a 4xx: allow all (stored as 404). */
    if (r->outcome == HTTP_OUT_TOO_MANY_REDIRECTS)
        status = 404;
    /* timeouts, resets, bad responses, 5xx... → unreachable: disallow all */
    if (r->outcome == HTTP_OUT_PRIVATE_ADDRESS || r->outcome == HTTP_OUT_DNS ||
        r->outcome == HTTP_OUT_BAD_URL || r->outcome == HTTP_OUT_REFUSED_SCHEME)
        h->refused = xstrdup(r->reason); /* not cached: a later run may allow it */
    robots_free(h->rules);
    h->rules = robots_for_status(status, (const char *)r->body.data, r->body.len);
    h->robots_known = 1;
    h->robots_unavailable = !h->refused && robots_status_unreachable(status);
    double cd = robots_crawl_delay(h->rules, c->agent);
    host_set_delay(c, h, cd);
    crawl_note_backoff(c, h, r);
    if (!h->refused && frontier_put_robots(c->fr, h->origin, status, r->body.data, r->body.len, cd) != 0)
        crawl_fail(c, frontier_errmsg(c->fr));
    h->stage = HS_NEW;
    crawl_host_ready(c, h); /* on to tdmrep.json */
}

void crawl_on_tdmrep(crawl *c, host *h, http_result *r)
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
