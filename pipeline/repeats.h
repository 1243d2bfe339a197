/* repeats.h — the dataset-level boilerplate rule (COYO), internal to pipeline/.
 *
 * A caption attached to many distinct images (distinct sha256) on several
 * sources is boilerplate however good it reads ("Product photo", "Click to
 * enlarge", a site's slogan). caption_judge() sees one string; this counts,
 * per caption_repeat_key() of the normalised caption, the distinct images and
 * the distinct sources (the page the image was found on; its host when the
 * image has no page, as in a fetch list) and asks caption_is_repeated()
 * (thresholds boilerplate_repeat_threshold and boilerplate_repeat_min_sources
 * of the filter configuration).
 *
 * fetch and crawl call pipeline_demote_repeated() when a run ends, so samples
 * accepted before their caption crossed the threshold are demoted too;
 * refilter uses the counter directly. check-caption stays per-string. */
#ifndef CC_PIPELINE_REPEATS_H
#define CC_PIPELINE_REPEATS_H

#include <stddef.h>
#include <stdint.h>

#include "caption.h"
#include "dataset.h"

typedef struct repeat_counter repeat_counter;

repeat_counter *repeat_counter_new(void);
void repeat_counter_free(repeat_counter *c); /* NULL is a no-op */
/* One downloaded image: its caption key, its sha256 (hex) and its source
 * (page URL, else image URL; the host is taken when there is no page). */
void repeat_counter_add(repeat_counter *c, uint64_t caption_key, const char *sha256, const char *page_url,
                        const char *image_url);
/* Call once after the last add, before any get. */
void repeat_counter_finish(repeat_counter *c);
/* Distinct images and sources for a caption key (0, 0 if never added). */
void repeat_counter_get(const repeat_counter *c, uint64_t caption_key, uint64_t *images, uint64_t *sources);

/* Writes "repeated on N images from M pages or hosts" into buf. */
void repeat_detail(char *buf, size_t len, uint64_t images, uint64_t sources);

/* Demotes the accepted samples of ds whose caption is repeated to rejected
 * 'boilerplate' (in one transaction; frames stay in the shards, as refilter
 * leaves them). Returns how many were demoted, or -1 with err set. */
int64_t pipeline_demote_repeated(dataset *ds, const caption_filter *cf, char *err, size_t errlen);

#endif
