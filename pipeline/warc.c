/* warc.c — `clipcrawl warc FILES...`: images of WARC/WAT archives, downloaded
 * through the crawl engine's image path (pipeline_warc).
 *
 *   FILES ──warc-images (crawler/)──> image + judged caption candidates
 *      --no-download: one JSON line each on o->out, nothing written
 *      else: crawl_images / crawl_candidates (the frontier), decision
 *            fetch | rejected (caption) | optout (page opt-out)
 *            └──> the crawl engine's image loop: robots.txt per image host
 *                 (fetched once, cached), TDMRep, politeness, the shared
 *                 pipeline (fetch's decode/resize/dedup/shards/index)
 *
 * The archives are read first, in one pass, straight into the index (memory
 * stays flat: one record at a time); then the crawl engine downloads. The
 * pages themselves are never requested: the archive holds them. A rerun
 * reads the files again (cheap next to downloading) and adds nothing new (an
 * image URL is one frontier row), then resumes the downloads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caption.h"
#include "common.h"
#include "frontier.h"
#include "judge.h"
#include "optout.h"
#include "placement.h"
#include "pipeline.h"
#include "robots.h"
#include "warc-images.h"
#include "warc.h"

#define FEED_BATCH 512 /* images per frontier transaction while reading */

void warc_run_options_init(warc_run_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_record = 16u << 20;
    crawl_options_init(&o->crawl);
}

void warc_result_json(const warc_result *r, ccbuf *out)
{
    ccbuf_printf(out,
                 "{\"files\":%d,\"damaged_files\":%d,\"records\":%lld,\"pages\":%lld,\"images_found\":%lld,"
                 "\"captions_kept\":%lld,\"revisits\":%lld,\"skipped_records\":%lld",
                 r->files, r->damaged, (long long)r->in.records, (long long)r->in.pages, (long long)r->in.images,
                 (long long)r->in.kept, (long long)r->in.revisits,
                 (long long)(r->in.not_html + r->in.too_large + r->in.undecodable + r->in.bad_wat));
    if (r->downloaded)
        ccbuf_printf(out, ",\"accepted\":%lld,\"rejected\":%lld,\"failed\":%lld,\"optout\":%lld",
                     (long long)r->crawl.counts.accepted, (long long)r->crawl.counts.rejected,
                     (long long)r->crawl.counts.failed, (long long)r->crawl.counts.optout);
    ccbuf_puts(out, "}");
}

/* Reads every input, handing each image to fn. Damaged inputs are warned
 * about (and counted); an input that is not a WARC at all fails the run. */
static cc_err read_inputs(const warc_run_options *o, const caption_filter *cf, warc_image_fn fn, void *ctx,
                          warc_result *res, char *err, size_t errlen)
{
    warc_images_options wo;
    warc_images_options_init(&wo);
    wo.max_block = o->max_record;
    wo.judge = cf ? judge_page_caption : NULL; /* with the image's placement (none for WAT) */
    wo.judge_ctx = (void *)cf;
    wo.want = o->want;
    wo.want_ctx = o->want_ctx;
    char agent[64];
    if (robots_product_token(o->crawl.http.user_agent, agent, sizeof agent) == 0)
        snprintf(agent, sizeof agent, "clipcrawl");
    wo.agent = agent;
    char first_damage[600] = "";
    for (int i = 0; i < o->n_inputs; i++) {
        char e[600];
        int rc = warc_images_file(o->inputs[i], &wo, fn, ctx, &res->in, e, sizeof e);
        if (rc == -1) {
            snprintf(err, errlen, "%s", e);
            return CC_ERR_FORMAT;
        }
        res->files++;
        if (rc == 1) {
            res->damaged++;
            cc_log(CC_LOG_WARN, "%s%s", e, o->allow_damaged ? " (--allow-damaged: the records before it are used)" : "");
            if (!first_damage[0])
                snprintf(first_damage, sizeof first_damage, "%s", e);
        }
        if (rc == 2)
            break; /* stopped */
    }
    if (res->in.records == 0 && !(o->crawl.run.stop && *o->crawl.run.stop)) {
        snprintf(err, errlen, "no WARC records in %s%s", o->inputs[0], o->n_inputs > 1 ? " and the other inputs" : "");
        return CC_ERR_FORMAT;
    }
    if (res->damaged && !o->allow_damaged) {
        snprintf(err, errlen, "%d damaged input(s), the first: %s (--allow-damaged accepts them)", res->damaged,
                 first_damage);
        return CC_ERR_FORMAT;
    }
    return CC_OK;
}

/* ---- --no-download: JSON lines --------------------------------------------------- */

typedef struct {
    const warc_run_options *o;
    ccbuf line;
} lister;

static int list_image(const warc_image *im, void *ctx)
{
    lister *l = ctx;
    int k = im->chosen >= 0 ? im->chosen : 0;
    ccbuf *b = &l->line;
    ccbuf_reset(b);
    ccbuf_puts(b, "{\"url\":");
    ccbuf_json_string(b, im->url, strlen(im->url));
    ccbuf_puts(b, ",\"caption\":");
    ccbuf_json_string(b, im->cand_text[k], strlen(im->cand_text[k]));
    ccbuf_printf(b, ",\"caption_source\":\"%s\",\"page_url\":", im->cand_source[k]);
    ccbuf_json_string(b, im->page_url, strlen(im->page_url));
    if (im->chosen >= 0)
        ccbuf_puts(b, ",\"verdict\":\"keep\"");
    else
        ccbuf_printf(b, ",\"verdict\":\"reject:%s\"", im->reason);
    if (im->optout)
        ccbuf_printf(b, ",\"optout\":\"%s\"", optout_reason(im->optout));
    if (im->placement != CC_PLACE_UNKNOWN) { /* what the verdict was reached with (WAT records: unknown) */
        char placement[160];
        ccbuf_printf(b, ",\"placement\":\"%s\"", cc_place_format(im->placement, placement, sizeof placement));
    }
    ccbuf_puts(b, "}\n");
    fwrite(b->data, 1, b->len, l->o->out ? l->o->out : stdout);
    return l->o->crawl.run.stop && *l->o->crawl.run.stop;
}

/* ---- download: the frontier, then the crawl engine ----------------------------------- */

typedef struct {
    const warc_run_options *o;
    warc_result *res;
    frontier *fr;
    int began;
    int batch;
    int failed;
    char err[512];
} feeder;

static int feed_image(const warc_image *im, void *ctx)
{
    feeder *f = ctx;
    const char *decision = "fetch", *reason = NULL;
    if (im->optout) {
        decision = "optout";
        reason = optout_reason(im->optout);
    } else if (im->chosen < 0) {
        decision = "rejected";
        reason = im->reason;
    }
    /* the caption; for a rejected image its best candidate (as crawl does) */
    int k0 = im->chosen >= 0 ? im->chosen : 0;
    const char *cap = im->cand_text[k0];
    const char *src = im->cand_source[k0];
    int is_new = 0;
    int64_t id = frontier_add_image(f->fr, im->url, im->page_url, cap, src, decision, reason, &is_new);
    int rc = id < 0 ? -1 : 0;
    /* as crawl does: why this URL, and the thumbnail to fall back to if it fails */
    if (rc == 0 && is_new)
        rc = frontier_set_image_source(f->fr, id, im->via, im->fallback_url, im->fallback_via);
    if (rc == 0 && is_new && im->placement != CC_PLACE_UNKNOWN) {
        /* a WARC response's page was read: where the image sits on it (WAT records: NULL, unknown) */
        char placement[160];
        cc_place_format(im->placement, placement, sizeof placement);
        rc = frontier_set_image_place(f->fr, id, placement, im->place_width, im->place_height, im->alt_repeats);
    }
    for (size_t k = 0; k < im->n_cands && rc == 0; k++)
        rc = frontier_add_candidate(f->fr, id, im->page_url, im->cand_source[k], im->cand_text[k],
                                    im->cand_reason[k] ? im->cand_reason[k] : "keep", (int)k == im->chosen);
    if (rc == 0 && ++f->batch >= FEED_BATCH) {
        if (frontier_commit(f->fr, f->began) != 0 || (f->began = frontier_begin(f->fr)) < 0)
            rc = -1;
        f->batch = 0;
    }
    if (rc != 0) {
        snprintf(f->err, sizeof f->err, "%s", frontier_errmsg(f->fr));
        f->failed = 1;
        return 1;
    }
    return f->o->crawl.run.stop && *f->o->crawl.run.stop;
}

/* crawl_options.feed: the archives into the frontier. */
static cc_err feed(frontier *fr, const caption_filter *cf, void *ctx, char *err, size_t errlen)
{
    feeder *f = ctx;
    f->fr = fr;
    f->began = frontier_begin(fr);
    if (f->began < 0) {
        snprintf(err, errlen, "%s", frontier_errmsg(fr));
        return CC_ERR_DB;
    }
    cc_err rc = read_inputs(f->o, cf, feed_image, f, f->res, err, errlen);
    if (frontier_commit(fr, f->began) != 0 && !f->failed) {
        snprintf(f->err, sizeof f->err, "%s", frontier_errmsg(fr));
        f->failed = 1;
    }
    if (f->failed) {
        snprintf(err, errlen, "%s", f->err);
        return CC_ERR_DB;
    }
    return rc;
}

/* --part: a record (a page) belongs to the part its target host hashes to;
 * its images go with it, as in a crawl. */
static int part_wants(const char *target_uri, void *ctx)
{
    return part_owns_url(ctx, target_uri);
}

cc_err pipeline_warc(const warc_run_options *o_in, warc_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    warc_run_options part_o;
    const warc_run_options *o = o_in;
    if (o_in->crawl.part.count > 1 && !o_in->want) {
        part_o = *o_in;
        part_o.want = part_wants;
        part_o.want_ctx = (void *)&o_in->crawl.part;
        o = &part_o;
    }
    if (o->no_download) {
        caption_filter *cf = NULL;
        if (o->crawl.images.judge_captions) {
            cf = caption_filter_new_err(&o->crawl.images.filters, err, errlen);
            if (!cf)
                return CC_ERR_IO;
        }
        lister l = {o, {0}};
        cc_err rc = read_inputs(o, cf, list_image, &l, res, err, errlen);
        ccbuf_free(&l.line);
        caption_filter_free(cf);
        res->stopped = o->crawl.run.stop && *o->crawl.run.stop;
        fflush(o->out ? o->out : stdout);
        return rc;
    }
    feeder f = {.o = o, .res = res};
    crawl_options co = o->crawl;
    co.seeds = NULL;
    co.n_seeds = 0;
    co.max_depth = 0;
    co.feed = feed;
    co.feed_ctx = &f;
    co.input_name = "warc";
    co.command = "warc";
    cc_err rc = pipeline_crawl(&co, &res->crawl, err, errlen);
    res->downloaded = res->crawl.ran;
    res->stopped = res->crawl.stopped;
    return rc;
}
