/* candidates.h — judging an image's caption candidates once and choosing its
 * caption, for every path that finds images in pages (the crawl's fetched
 * pages, WARC/WAT archives).
 *
 * extract_choose_caption() (extract.h) asks its judge about candidates in
 * priority order and may ask about the same text again; this judges each
 * candidate exactly once, keeps every verdict (the crawl stores them beside
 * the image) and lets the choice look them up. */
#ifndef CC_CRAWLER_CANDIDATES_H
#define CC_CRAWLER_CANDIDATES_H

#include "extract.h"

/* Judges img->cands[0..n_cands) with judge (NULL accepts everything; it
 * is handed img with each text):
 * reason[k] becomes NULL for a kept candidate, else the judge's reason
 * ("rejected" when it gave none); reason has room for img->n_cands entries
 * and its strings belong to the judge (static or ctx-owned). Then picks the
 * caption as extract_choose_caption() does: returns the chosen index, or -1
 * with *best_reason (if not NULL) set to the best candidate's reason
 * ("no_caption" when img has no candidates). */
int candidates_judge(const extract_image *img, extract_judge_fn judge, void *ctx, const char **reason,
                     const char **best_reason);

#endif
