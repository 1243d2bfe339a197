/* crawl-page.c — one fetched page → images, caption candidates, links (see crawl-page.h). */
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "common.h"
#include "crawl-page.h"
#include "extract.h"
#include "optout.h"
#include "placement.h"

unsigned crawl_header_optout(const char *x_robots_tag, const char *tdm_reservation, const char *agent)
{
    unsigned mask = optout_tdm_value(tdm_reservation);
    const char *xr = x_robots_tag;
    while (xr && *xr) {
        const char *nl = strchr(xr, '\n');
        size_t n = nl ? (size_t)(nl - xr) : strlen(xr);
        char *line = xstrndup(xr, n);
        mask |= optout_xrobots(line, agent);
        free(line);
        xr = nl ? nl + 1 : NULL;
    }
    return mask;
}

static int take_image(const crawl_page_ctx *pc, const extract_image *img, const char *page_url, unsigned mask)
{
    const char **reason = xcalloc(img->n_cands ? img->n_cands : 1, sizeof *reason);
    const char *best_reason = NULL;
    int chosen = candidates_judge(img, pc->judge, pc->judge_ctx, reason, &best_reason);
    const char *decision = "fetch", *why = NULL;
    if (mask) {
        decision = "optout";
        why = optout_reason(mask);
    } else if (chosen < 0) {
        decision = "rejected";
        why = best_reason ? best_reason : "no_caption";
    }
    /* the caption; for a rejected image its best candidate, whose reason is the
     * image's, so a later judging (refilter) has the text to judge again */
    const caption_candidate *cd = chosen >= 0 ? &img->cands[chosen] : img->n_cands ? &img->cands[0] : NULL;
    int is_new = 0;
    int64_t id = frontier_add_image(pc->fr, img->url, page_url, cd ? cd->text : NULL,
                                    cd ? caption_source_name(cd->source) : NULL, decision, why, &is_new);
    int rc = id < 0 ? -1 : 0;
    if (rc == 0 && is_new)
        rc = frontier_set_image_source(pc->fr, id, img->via, img->fallback_url, img->fallback_via);
    if (rc == 0 && is_new) {
        /* where it sits on the page: what the judge saw, for the pipeline and refilter */
        char placement[160];
        cc_place_format(img->placement | CC_PLACE_PAGE, placement, sizeof placement);
        rc = frontier_set_image_place(pc->fr, id, placement, img->width, img->height, img->alt_repeats);
    }
    for (size_t k = 0; k < img->n_cands && rc == 0; k++)
        rc = frontier_add_candidate(pc->fr, id, page_url, caption_source_name(img->cands[k].source),
                                    img->cands[k].text, reason[k] ? reason[k] : "keep", (int)k == chosen);
    free(reason);
    return rc;
}

int crawl_page_take(const crawl_page_ctx *pc, int64_t page_id, int depth, const char *seed, const char *base,
                    const char *html, size_t n, const char *content_type, crawl_page_stats *st)
{
    (void)page_id;
    memset(st, 0, sizeof *st);
    extract_options xo;
    extract_options_init(&xo);
    xo.agent = pc->agent;
    extract_result ex;
    if (extract_page_opts(html, n, base, content_type, &xo, &ex, NULL, 0) != 0) {
        extract_result_free(&ex);
        return 1;
    }
    /* Page-level opt-outs (meta robots / meta AGENT / meta tdm-reservation,
     * plus what the caller found in headers and tdmrep.json) cover every image. */
    unsigned mask = ex.optout | pc->optout_mask;
    st->optout = mask;
    st->n_images = (int)ex.n_images;
    int rc = 0;
    for (size_t i = 0; i < ex.n_images && rc == 0; i++)
        rc = take_image(pc, &ex.images[i], base, mask);
    if (depth < pc->max_depth && !ex.meta_nofollow) {
        for (size_t i = 0; i < ex.n_links && rc == 0; i++) {
            if (ex.links[i].nofollow || !url_in_scope(ex.links[i].url, seed, pc->scope) ||
                !part_owns_url(pc->part, ex.links[i].url))
                continue;
            int added = frontier_add_page(pc->fr, ex.links[i].url, depth + 1, seed);
            if (added < 0)
                rc = -1;
            else
                st->n_links_new += added;
        }
    }
    extract_result_free(&ex);
    return rc;
}
