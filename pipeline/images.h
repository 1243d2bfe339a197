/* images.h — the one image path every downloading engine shares (internal to pipeline/).
 *
 * fetch, crawl and warc all end the same way: an image URL (with its caption
 * and where it came from) is downloaded by the http engine, then judged,
 * decoded, checked, resized, re-encoded and written to the dataset. This
 * module owns everything after the download:
 *
 *   main thread                         worker threads (cc_pool)
 *   -----------                         ------------------------
 *   pipeline_item_new()  ──submit to http engine──┐
 *   pipeline_on_http()  <── on_done ──────────────┘
 *      failed/opted out: recorded at once
 *      ok: queued ───────────────────────────────> sniff, probe, checks,
 *                                                  decode (DCT-scaled), resize,
 *                                                  encode, sha256
 *   pipeline_poll()  <──────── finished queue <────┘
 *      dedup by sha256, dataset_add_accepted / dataset_add_outcome
 *
 * The dataset is written from the main thread only (pipeline_poll and
 * pipeline_record), as dataset.h requires. Not thread-safe otherwise.
 */
#ifndef CC_PIPELINE_IMAGES_H
#define CC_PIPELINE_IMAGES_H

#include <stdint.h>

#include "caption.h"
#include "clip.h"
#include "dataset.h"
#include "filterconf.h"
#include "http.h"
#include "image.h"
#include "pipeline.h"

typedef struct pipeline pipeline;

/* One image on its way through. Strings are copied. */
typedef struct pipeline_item pipeline_item;
pipeline_item *pipeline_item_new(int64_t input_id, int64_t row_no, const char *url,
                                 const char *caption, const char *page_url,
                                 const char *caption_source);
/* What the input list says about the item beyond url and caption: the
 * columns to carry into KEY.json and the index (a JSON object text, or
 * NULL), and the sha256 its bytes must have (64 lowercase hex, or NULL);
 * a download with other bytes is rejected as 'hash_mismatch'. Copied. */
void pipeline_item_set_list(pipeline_item *it, const char *list_columns, const char *sha256);
/* Frees an item that never reached the pipeline: one the http engine
 * abandoned at a stop (http_options.on_drop). NULL is a no-op. */
void pipeline_item_free(pipeline_item *it);

/* Which candidate of a page the URL is (crawl: extract.h's via, e.g.
 * "a_href", "srcset"); written to KEY.json as image_source. */
void pipeline_item_set_image_source(pipeline_item *it, const char *image_source);

/* Where the caption came from (see dataset_place): the image's placement
 * on its page (crawl, warc) or "list" (fetch). The caption is judged with
 * these facts (pipeline_admit) and they are stored with the item, so
 * refilter judges it the same way. placement NULL (the default) = unknown:
 * the text alone. Copied. */
void pipeline_item_set_place(pipeline_item *it, const dataset_place *place);

/* Never NULL. When o->model is set and the model cannot be loaded,
 * pipeline_errmsg() says why (non-empty): the command should stop. */
pipeline *pipeline_new(dataset *ds, const pipeline_options *o);
/* Waits for the workers, writes what they finished, frees. NULL is a no-op. */
void pipeline_free(pipeline *p);

/* Main-thread checks before an item is downloaded: the caption filter, with
 * the item's placement when it has one (the caption is replaced by its
 * normalised form; the raw one is kept for the index) and URL / (URL, caption) dedup against the index. Returns 1 when the
 * item should be downloaded; 0 when it was recorded as rejected; -1 when a
 * dataset look-up failed (pipeline_errmsg; the command should stop). The
 * item is consumed unless 1 is returned. */
int pipeline_admit(pipeline *p, pipeline_item *item);

/* 1 when text passes the caption rule under this pipeline's settings,
 * judged with place (see pipeline_item_set_place; NULL = text alone); always
 * 1 with captions not judged. Records nothing. crawl asks it about an image
 * an earlier run turned away for its caption, so a re-run honours its own
 * caption settings. */
int pipeline_caption_passes(const pipeline *p, const char *text, const dataset_place *place);

/* The caption filter the pipeline judges with (for crawl's choice among
 * caption candidates). Owned by the pipeline. */
const caption_filter *pipeline_caption_filter(const pipeline *p);

/* The http engine's completion for an item submitted with it as user
 * pointer: takes ownership of item. Main thread only. */
void pipeline_on_http(pipeline *p, pipeline_item *item, http_result *r);

/* Records an outcome that never reached the network (bad input row,
 * rejected caption, robots, ...) and frees item. */
void pipeline_record(pipeline *p, pipeline_item *item, dataset_status status,
                     const char *reason, const char *error);

/* fn(arg) is called from a worker thread each time it finishes an item, so a
 * main loop sleeping in http_run() wakes to write it (http_wakeup). */
void pipeline_set_wakeup(pipeline *p, void (*fn)(void *), void *arg);

/* fn(ctx, input_id, row_no, reason, err, errlen) is called on the main
 * thread right after a failed item's outcome is written, inside the same
 * transaction (the crawl queues the thumbnail behind a failed full-size
 * image). A non-zero return (with a message in err) stops the run:
 * pipeline_poll returns -1. */
typedef int (*pipeline_failed_fn)(void *ctx, int64_t input_id, int64_t row_no, const char *reason, char *err,
                                  size_t errlen);
void pipeline_set_on_failed(pipeline *p, pipeline_failed_fn fn, void *ctx);

/* Backpressure: with the engine set, pipeline_on_http() holds it (http_hold:
 * no new transfer starts, running ones complete) while more items wait for
 * a worker than the workers can soon take, and pipeline_poll() releases it.
 * pipeline_on_http() itself never blocks. Set it back to NULL before the
 * engine is freed (pipeline_poll and pipeline_free touch it). */
void pipeline_set_engine(pipeline *p, http_engine *eng);

/* Writes every finished item to the dataset; wait != 0 first waits until no
 * item is being processed. Returns the number written, -1 on a dataset
 * error (message in pipeline_errmsg; the command should stop). */
int pipeline_poll(pipeline *p, int wait);
/* Items handed to workers and not yet written. */
int pipeline_in_flight(const pipeline *p);
const char *pipeline_errmsg(const pipeline *p);

/* Counts one input row skipped because it already has an outcome, so that
 * progress shows a resumed run working through the rows it skips. */
void pipeline_count_skipped(pipeline *p);
/* Counts of outcomes written so far by this pipeline. */
void pipeline_get_counts(const pipeline *p, pipeline_counts *c);

#endif
