/* pipeline.h — the one image path every downloading command shares.
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
#ifndef CC_CLI_PIPELINE_H
#define CC_CLI_PIPELINE_H

#include <stdint.h>

#include "caption.h"
#include "clip.h"
#include "dataset.h"
#include "filterconf.h"
#include "http.h"
#include "image.h"

typedef struct {
    int image_size;                 /* target size; default 256 */
    img_resize_mode resize_mode;    /* default RESIZE_BORDER (img2dataset's default) */
    int resize_only_if_bigger;      /* never upscale (img2dataset's --resize_only_if_bigger) */
    img_encode_format encode_format;/* default ENC_JPG */
    int encode_quality;             /* -1 (default): 95 for jpg/webp, 6 for png (a zlib level) */
    int keep_original;              /* store the downloaded bytes unchanged */
    filter_config filters;          /* caption rules, image checks, dedup modes (filters/filterconf.h) */
    int judge_captions;             /* 1 (default): captions pass the caption filter before download */
    int workers;                    /* decode threads; default: number of CPUs */
    /* Inline CLIP scoring (--model): every decoded image is scored against its
     * caption; below filters.clip_min_score it is rejected ('low_clip_score'). */
    const char *model;              /* model directory, NULL = no scoring */
    const char *tokenizer;          /* tokenizer directory; NULL = the model's */
    clip_precision precision;
} pipeline_options;

void pipeline_options_init(pipeline_options *o);

typedef struct pipeline pipeline;

/* One image on its way through. Strings are copied. */
typedef struct pipeline_item pipeline_item;
pipeline_item *pipeline_item_new(int64_t input_id, int64_t row_no, const char *url,
                                 const char *caption, const char *page_url,
                                 const char *caption_source);

/* Never NULL. When o->model is set and the model cannot be loaded,
 * pipeline_errmsg() says why (non-empty): the command should stop. */
pipeline *pipeline_new(dataset *ds, const pipeline_options *o);
/* Waits for the workers, writes what they finished, frees. NULL is a no-op. */
void pipeline_free(pipeline *p);

/* Main-thread checks before an item is downloaded: the caption filter (the
 * caption is replaced by its normalised form; the raw one is kept for the
 * index) and URL / (URL, caption) dedup against the index. Returns 1 when the
 * item should be downloaded; 0 when it was recorded as rejected (item is
 * consumed then). */
int pipeline_admit(pipeline *p, pipeline_item *item);

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

/* Writes every finished item to the dataset; wait != 0 first waits until no
 * item is being processed. Returns the number written, -1 on a dataset
 * error (message in pipeline_errmsg; the command should stop). */
int pipeline_poll(pipeline *p, int wait);
/* Items handed to workers and not yet written. */
int pipeline_in_flight(const pipeline *p);
const char *pipeline_errmsg(const pipeline *p);

/* Counts of outcomes written so far by this pipeline. */
typedef struct {
    int64_t accepted, rejected, failed, optout;
    int64_t bytes_in, bytes_out;    /* downloaded / stored image bytes */
    int64_t skipped;                /* input rows a resumed run found done (pipeline_count_skipped) */
} pipeline_counts;
/* Counts one input row skipped because it already has an outcome, so that
 * progress shows a resumed run working through the rows it skips. */
void pipeline_count_skipped(pipeline *p);
void pipeline_get_counts(const pipeline *p, pipeline_counts *c);

/* Progress on stderr: a one-line status (rate, counts by outcome, ETA when
 * fraction_done in (0,1]) rewritten in place when stderr is a terminal, a
 * line every 10 s otherwise. Call often; it rate-limits itself. final != 0
 * prints the closing line. */
void pipeline_progress(pipeline *p, double fraction_done, int final);

#endif

/* ---- shared command-line options ---------------------------------------------
 * fetch, crawl and warc take the same download and image flags. Returns 1 when
 * flag (e.g. "--image-size") is one of them and value was applied, 0 when flag
 * is not one of them, -1 when value is bad (message in err). takes_value is set
 * to whether the flag consumes a value (so callers can step over it). */
int pipeline_option(pipeline_options *o, http_options *h, const char *flag, const char *value,
                    int *takes_value, char *err, size_t errlen);
/* The help text for those flags, for the commands' usage strings. */
#define PIPELINE_OPTIONS_HELP \
"download:\n" \
"  --concurrency N        transfers at once (64)\n" \
"  --timeout S            deadline per transfer attempt, seconds (30)\n" \
"  --connect-timeout S    (10)\n" \
"  --max-bytes N          cap on a download's decoded size (64 MiB)\n" \
"  --retries N            extra attempts for transient failures (2)\n" \
"  --user-agent UA        user agent; put a contact URL or address in it\n" \
"  --allow-private        allow loopback/private addresses (tests, intranets)\n" \
"images:\n" \
"  --image-size N         target size (256)\n" \
"  --resize-mode M        no|border|keep_ratio|keep_ratio_largest|center_crop (border)\n" \
"  --resize-only-if-bigger  leave images that are not bigger than --image-size as they are\n" \
"  --encode-format F      jpg|png|webp (jpg)\n" \
"  --encode-quality Q     1..100 for jpg/webp (95), 0..9 for png (6)\n" \
"  --keep-original        store the downloaded bytes, not a re-encoding\n" \
"  --max-pixels N         reject images with more pixels (89478484)\n" \
"  --min-bytes N          reject downloads smaller than N bytes (1024)\n" \
"  --no-dedup             keep duplicates (by URL, bytes and perceptual hash)\n" \
"  --no-caption-filter    keep every caption (no caption rules)\n" \
"  --workers N            decode/resize threads (CPUs)\n" \
"clip (optional):\n" \
"  --model M              score each image against its caption with this CLIP model\n" \
"  --min-clip-score T     reject pairs scoring below T (LAION used 0.28 with ViT-B/32)\n" \
"  --tokenizer DIR        tokenizer files, if not in the model directory\n" \
"  --precision P          fp32|bf16 (fp32)\n" \
"filters (see clipcrawl filters --print-defaults):\n" \
FILTER_CONFIG_USAGE

#define FETCH_USAGE \
"usage: clipcrawl fetch PAIRS... -o DIR [options]\n" \
"  Downloads the images of img2dataset-style lists into DIR (shards + index).\n" \
"  PAIRS: .txt (one URL a line), .csv/.tsv with a header, .json (an array of\n" \
"  objects), .jsonl; each may be .gz; '-' reads stdin (with --input-format).\n" \
"  Running the same command again resumes: rows with an outcome are skipped.\n" \
"input:\n" \
"  -o, --output DIR       the dataset directory (required)\n" \
"  --url-col NAME         column/field holding the URL (url)\n" \
"  --caption-col NAME     column/field holding the caption (caption)\n" \
"  --input-format F       txt|csv|tsv|json|jsonl (by extension)\n" \
"  --samples-per-shard N  rotate shards after N samples (10000)\n" \
"  --retry-failed         on resume, retry the rows that failed\n" \
"  -q, --quiet            no progress on stderr\n" \
PIPELINE_OPTIONS_HELP \
"Prints a JSON line of counts by outcome; exit 1 if the run was interrupted.\n"

#define SCORE_USAGE \
"usage: clipcrawl score DIR --model M [--batch N] [--threads N] [--precision fp32|bf16]\n" \
"  CLIP-scores every accepted sample of DIR that has no score for this model\n" \
"  (and precision) yet: the cosine of image and caption embeddings, stored in\n" \
"  the index (clip_scores) with both embeddings as half floats. Resumable.\n" \
"  --model M        model directory (HF or OpenCLIP layout); default $CLIPCRAWL_MODEL\n" \
"  --tokenizer DIR  where vocab.json+merges.txt / tokenizer.json / bpe .gz are (the model dir)\n" \
"  --batch N        samples per forward pass (32)\n" \
"  --threads N      compute threads (all CPUs)\n" \
"  --limit N        score at most N samples\n" \
"  -q, --quiet      no progress on stderr\n" \
"Prints a JSON line: scored, unscorable, model id, mean score, rate.\n"
