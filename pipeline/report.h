/* report.h — one self-contained HTML page describing a dataset.
 *
 * The page holds everything inline (no scripts, no external files): the
 * funnel (pages -> candidates -> fetched -> accepted), rejections by reason,
 * failures by error, CLIP-score and caption-length histograms and top hosts
 * as inline SVG, a grid of accepted samples with caption and score
 * (thumbnails as small JPEG data: URIs), and a few examples of each
 * rejection reason (with a thumbnail when the sample still has its frame,
 * e.g. after refilter). */
#ifndef CC_PIPELINE_REPORT_H
#define CC_PIPELINE_REPORT_H

#include <stddef.h>

typedef struct {
    int thumbnails;      /* accepted samples in the grid (default 48) */
    int thumb_size;      /* thumbnail side in pixels (default 128) */
    int per_reason;      /* examples per rejection reason (default 3) */
} report_options;

/* Writes the report of dataset dir to out (written as out.tmp, then
 * renamed). o may be NULL. 0, or -1 with one line in err. */
int report_write(const char *dir, const char *out, const report_options *o, char *err, size_t errlen);

#endif
