/* judge.h — the one judge: the ordered rules every path (fetch, crawl, warc,
 * refilter) applies to a sample, so a sample gets the same verdict and reason
 * whichever path judged it. Internal to pipeline/.
 *
 * The rules, in order; the first that fires gives the reason:
 *   1. caption      the caption filter (filters/caption.h): empty, too_short,
 *                   filename, url_or_path, isbn, code_or_id, boilerplate,
 *                   unsafe, language; judged with where the caption came
 *                   from (caption_judge_placed, judge_place): the image's
 *                   placement on its page (crawl, warc) or a URL list
 *                   (fetch); stored with the item, read again by refilter
 *   2. repeated     the same caption on >= boilerplate_repeat_threshold
 *                   distinct images from >= boilerplate_repeat_min_sources
 *                   pages or hosts -> boilerplate (needs the counts over a
 *                   whole run or dataset: refilter asks with them, fetch and
 *                   crawl apply it when a run ends, pipeline/repeats.c)
 *   3. image        size, aspect ratio, bytes, pixels (filters/image.h img_check):
 *                   too_small, aspect_ratio, too_small_bytes, too_many_pixels
 *   4. safety       with nsfw_reject, the CLIP safety tag NSFW -> unsafe_image
 *                   (safety outranks quality, so it comes before 5)
 *   5. clip score   below clip_min_score -> low_clip_score
 *   6. duplicate    same URL, URL+caption, bytes or picture as a sample kept
 *                   earlier (the index on the way in, key order in refilter);
 *                   checked by the caller once 1-5 pass, because it needs the
 *                   dataset. fetch and crawl also ask for URL duplicates before
 *                   downloading, to save the download.
 *
 * A rule whose facts are not known yet is skipped: fetch asks after the
 * caption is read (1), after the image is probed (1-3) and after it is scored
 * (1-5); what passed an earlier ask passes again, so the answer is the one a
 * single ask with every fact would give.
 */
#ifndef CC_PIPELINE_JUDGE_H
#define CC_PIPELINE_JUDGE_H

#include <stdint.h>

#include "caption.h"
#include "dataset.h"
#include "extract.h"
#include "filterconf.h"
#include "image.h"

typedef struct judge judge;

/* A judge for configuration fc (copied). NULL with a one-line message in err
 * when an extra word-list file of fc cannot be read. */
judge *judge_new(const filter_config *fc, char *err, size_t errlen);
void judge_free(judge *j); /* NULL is a no-op */

const filter_config *judge_config(const judge *j);
/* The caption filter of rule 1 (crawl chooses among caption candidates with it). */
const caption_filter *judge_captions(const judge *j);
/* The image checks of rule 3 (from the configuration). */
const img_checks *judge_image_checks(const judge *j);

/* The caption filter's facts about a caption's origin (caption_judge_placed)
 * from what the index stores (dataset_place): fills *out and returns it —
 * a page's placement bits with size and repeats, or CC_PLACE_LIST for
 * "list" (a URL list row) — or returns NULL when stored->placement is NULL
 * (origin unknown: the caption is judged on its text alone). A name this
 * build does not know is left out (the known ones still count). */
const caption_place *judge_place(const dataset_place *stored, caption_place *out);

/* The same facts for an image as extract.h found it on its page: its
 * placement bits, declared size and alt repeats in *out, which is returned;
 * NULL when img is NULL or its placement is CC_PLACE_UNKNOWN (a WAT record's
 * image: the text alone). What crawl stores for the image is the same, so
 * the pipeline and refilter judge it again with the same facts. */
const caption_place *judge_image_place(const extract_image *img, caption_place *out);

/* Rule 1 for a caption candidate of a page's image: text judged by
 * caption_judge_placed() with judge_image_place(img) (img NULL: the text
 * alone). The verdict with its detail (`page` prints it). */
caption_verdict judge_page_verdict(const caption_filter *f, const char *text, const extract_image *img);

/* The same as extract.h's judge of a page's caption candidates (crawl, warc,
 * `page`): ctx is the caption_filter. */
int judge_page_caption(const char *text, const extract_image *img, void *ctx, const char **reason);

/* What is known about a sample. Zero-initialise, then set what is known. */
typedef struct {
    const caption_verdict *caption;    /* rule 1: the caption filter's verdict; NULL = not judged */
    uint64_t caption_repeat_images;    /* rule 2: distinct images with this caption; 0 = unknown */
    uint64_t caption_repeat_sources;   /* ... and the distinct pages or hosts they came from */
    int has_size;                      /* rule 3: the original's size and byte count */
    int width, height;
    int64_t bytes;
    const char *safety_tag;            /* rule 4: "NSFW", "UNSURE", "UNLIKELY"; NULL = not tagged */
    int has_score;                     /* rule 5 */
    double score;
} judge_facts;

typedef struct {
    const char *reason;                /* static; NULL when every known rule passes */
    char detail[160];                  /* the human note stored as the row's error ("" if none) */
} judge_verdict;

/* Applies rules 1-5 in order to what f knows. Returns 1 and fills v when a
 * rule rejects the sample, 0 when it passes (v->reason NULL). */
int judge_sample(const judge *j, const judge_facts *f, judge_verdict *v);

#endif
