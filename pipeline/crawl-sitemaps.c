/* crawl-sitemaps.c — the crawl's sitemaps: `--sitemap URL` and the Sitemap:
 * lines of a seed host's robots.txt (crawler/sitemap.h parses them).
 *
 * Sitemap URLs wait in a small in-memory queue (at most SITEMAP_MAX_FILES
 * per run, indexes included; a resumed run reads them again, which costs
 * nothing in the frontier: known URLs are ignored). Each is requested through
 * the crawl's engine like a page: only when its host's robots.txt allows it,
 * with the host's politeness. What it lists goes into the frontier:
 *   <url><loc>          a page at depth 0 (its links followed to --depth),
 *                       when it lies in --scope of the sitemap's own URL;
 *   <image:image>       an image of that page, caption from <image:caption>,
 *                       else <image:title> (judged by the caption filter),
 *                       image_source "sitemap";
 *   <sitemap><loc>      another sitemap, queued.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawl-internal.h"
#include "sitemap.h"

void crawl_sitemap_queue(crawl *c, const char *url)
{
    char *u = url_normalize(url, NULL, 0);
    if (!u)
        return;
    for (size_t i = 0; i < c->n_sitemaps; i++)
        if (strcmp(c->sitemaps[i], u) == 0) {
            free(u);
            return;
        }
    if (c->n_sitemaps >= SITEMAP_MAX_FILES) {
        cc_log(CC_LOG_WARN, "sitemap %s not read: %d sitemaps is the limit of one run", u, SITEMAP_MAX_FILES);
        free(u);
        return;
    }
    if (c->n_sitemaps == c->sm_cap) {
        c->sm_cap = c->sm_cap ? 2 * c->sm_cap : 8;
        c->sitemaps = xrealloc(c->sitemaps, c->sm_cap * sizeof *c->sitemaps);
    }
    c->sitemaps[c->n_sitemaps++] = u;
}

int crawl_sitemaps_done(const crawl *c)
{
    return c->sm_head == c->n_sitemaps;
}

void crawl_sitemaps_free(crawl *c)
{
    for (size_t i = 0; i < c->n_sitemaps; i++)
        free(c->sitemaps[i]);
    free(c->sitemaps);
    c->sitemaps = NULL;
    c->n_sitemaps = c->sm_head = c->sm_cap = 0;
}

void crawl_dispatch_sitemaps(crawl *c)
{
    /* in order: the queue is short and an index's children come after it */
    while (c->sm_head < c->n_sitemaps && !c->failed) {
        const char *url = c->sitemaps[c->sm_head];
        host *h = crawl_host_for(c, url);
        if (h && !crawl_host_ready(c, h))
            return;
        if (!h || h->refused || !robots_allowed(h->rules, c->agent, url)) {
            cc_log(CC_LOG_WARN, "sitemap %s not read: %s", url,
                   !h ? "bad URL" : h->refused ? h->refused : "robots.txt disallows it");
            c->sm_head++;
            continue;
        }
        if (!crawl_host_can_send(h))
            return;
        req *q;
        crawl_submit(c, REQ_SITEMAP, h, url, SITEMAP_FETCH_CAP, 0, &q);
        q->page.url = xstrdup(url);
        crawl_host_sent(h);
        c->sm_head++;
    }
}

/* Adds one image entry of a sitemap page: its caption is the first of
 * image:caption, image:title that the caption filter keeps. */
static int take_image(crawl *c, const sitemap_image *im, const char *page)
{
    const char *texts[2] = {im->caption, im->title};
    const char *names[2] = {"image:caption", "image:title"};
    const char *reason[2] = {NULL, NULL};
    int chosen = -1;
    for (int k = 0; k < 2; k++) {
        if (!texts[k])
            continue;
        const char *why = NULL;
        if (c->judge && !c->judge(texts[k], NULL, c->judge_ctx, &why)) /* no page: the text alone */
            reason[k] = why ? why : "rejected";
        else if (chosen < 0)
            chosen = k;
    }
    const char *decision = "fetch", *why = NULL;
    if (chosen < 0) {
        decision = "rejected";
        why = reason[0] ? reason[0] : reason[1] ? reason[1] : "no_caption";
    }
    /* a rejected image keeps the candidate whose reason it carries (as crawl-page.c does) */
    int shown = chosen >= 0 ? chosen : texts[0] ? 0 : texts[1] ? 1 : -1;
    int is_new = 0;
    int64_t id = frontier_add_image(c->fr, im->loc, page, shown >= 0 ? texts[shown] : NULL,
                                    shown >= 0 ? names[shown] : NULL, decision, why, &is_new);
    if (id < 0)
        return -1;
    if (!is_new)
        return 0;
    c->n_sitemap_images++;
    if (frontier_set_image_source(c->fr, id, "sitemap", NULL, NULL) != 0)
        return -1;
    for (int k = 0; k < 2; k++)
        if (texts[k] && frontier_add_candidate(c->fr, id, page, names[k], texts[k], reason[k] ? reason[k] : "keep",
                                               k == chosen) != 0)
            return -1;
    return 0;
}

void crawl_on_sitemap(crawl *c, req *q, http_result *r)
{
    const char *url = q->page.url;
    crawl_note_backoff(c, q->h, r);
    if (r->outcome != HTTP_OUT_OK) {
        cc_log(CC_LOG_WARN, "sitemap %s: %s", url, r->reason);
        return;
    }
    sitemap_limits lim;
    sitemap_limits_init(&lim);
    sitemap_result sm;
    char err[256];
    if (sitemap_parse((const char *)r->body.data, r->body.len, url, &lim, &sm, err, sizeof err) != 0) {
        cc_log(CC_LOG_WARN, "sitemap %s: %s", url, err);
        return;
    }
    if (sm.truncated || sm.n_skipped)
        cc_log(CC_LOG_INFO, "sitemap %s: %zu entries skipped%s", url, sm.n_skipped,
               sm.truncated ? ", cut at its size/count bound" : "");
    for (size_t i = 0; i < sm.n_sitemaps; i++)
        crawl_sitemap_queue(c, sm.sitemaps[i]);
    int began = frontier_begin(c->fr);
    int rc = began < 0 ? -1 : 0;
    for (size_t i = 0; i < sm.n_urls && rc == 0; i++) {
        const sitemap_url *u = &sm.urls[i];
        if (!url_in_scope(u->loc, url, c->scope))
            continue;
        int added = frontier_add_page(c->fr, u->loc, 0, u->loc);
        if (added < 0) {
            rc = -1;
            break;
        }
        c->n_sitemap_pages += added;
        for (size_t j = 0; j < u->n_images && rc == 0; j++)
            rc = take_image(c, &u->images[j], u->loc);
    }
    if (rc != 0 || frontier_commit(c->fr, began) != 0)
        crawl_fail(c, frontier_errmsg(c->fr));
    sitemap_result_free(&sm);
}
