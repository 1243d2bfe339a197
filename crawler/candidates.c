/* candidates.c — judge each caption candidate once, then choose (see candidates.h). */
#include "candidates.h"

/* extract_choose_caption() passes back the candidate's own text pointer, so
 * the verdict is found by identity, not by comparing strings. */
typedef struct {
    const extract_image *img;
    const char **reason; /* per candidate: NULL = keep */
} cached;

static int judge_cached(const char *text, const extract_image *img, void *ctx, const char **reason)
{
    (void)img;
    const cached *j = ctx;
    for (size_t k = 0; k < j->img->n_cands; k++)
        if (j->img->cands[k].text == text) {
            *reason = j->reason[k];
            return j->reason[k] == NULL;
        }
    *reason = "no_caption";
    return 0;
}

int candidates_judge(const extract_image *img, extract_judge_fn judge, void *ctx, const char **reason,
                     const char **best_reason)
{
    for (size_t k = 0; k < img->n_cands; k++) {
        const char *why = NULL;
        reason[k] = NULL;
        if (judge && !judge(img->cands[k].text, img, ctx, &why))
            reason[k] = why ? why : "rejected";
    }
    cached j = {img, reason};
    return extract_choose_caption(img, judge_cached, &j, best_reason);
}
