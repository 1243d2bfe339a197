/* pipeline.h — the engine behind the commands: fetch, crawl, refilter, score,
 * and the CLIP tools (embed, classify). The one header cli/ includes from
 * pipeline/.
 *
 * Every entry point takes an options struct (start from its _init function),
 * does the whole job, and fills a result struct. The command line around it
 * (cli/) parses flags into the options and prints the result; the engine
 * writes nothing to stdout. Progress is reported through a callback so the
 * command decides how it looks.
 *
 * Returns: CC_OK when the job ran to its end or was stopped (result.stopped
 * says which); CC_ERR_USAGE when an option or argument is wrong in a way only
 * the engine can see (an unknown --model-id); any other code for a failure, with
 * a one-line message naming the input in err. An interrupted run keeps what
 * it wrote: its shard stays open and the next run continues it.
 *
 *   stage map: cli -> pipeline -> dataset, crawler, clipscore -> filters, shards -> common
 *   (ARCHITECTURE.md at the repository root)
 */
#ifndef CC_PIPELINE_PIPELINE_H
#define CC_PIPELINE_PIPELINE_H

#include <signal.h>
#include <stdio.h>
#include <stdint.h>

#include "clip.h"
#include "common.h"
#include "dataset.h"
#include "filterconf.h"
#include "http.h"
#include "image.h"
#include "pairs.h"
#include "partition.h"
#include "tokenizer.h"
#include "url.h"
#include "warc-images.h"

/* ---- the image path's options (fetch, crawl, warc) --------------------------- */

#define PIPELINE_MAX_RESOLVE 16 /* --resolve entries at most */

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
    /* Memory decoding may hold at once, all workers together, in bytes
     * (default PIPELINE_DEFAULT_DECODE_MEMORY). Each image's need is estimated
     * from its header (img_decode_estimate) and waits for room; an image
     * that alone needs more is rejected ('decode_budget'). */
    uint64_t decode_memory;
    /* Inline CLIP scoring (--model): every decoded image is scored against its
     * caption; below filters.clip_min_score it is rejected ('low_clip_score'). */
    const char *model;              /* model directory, NULL = no scoring */
    const char *tokenizer;          /* tokenizer directory; NULL = the model's */
    clip_precision precision;
    int resize_flags_given;         /* --image-size/--resize-mode/--resize-only-if-bigger/
                                       --encode-format/--encode-quality were given */
    const char *resolve[PIPELINE_MAX_RESOLVE + 1]; /* --resolve entries, NULL-terminated;
                                                      http_options.resolve points here */
} pipeline_options;

#define PIPELINE_DEFAULT_DECODE_MEMORY (160ull << 20)

void pipeline_options_init(pipeline_options *o);

/* ---- shared command-line options (pipeline/options.c) -------------------------
 * fetch, crawl and warc take the same download and image flags. Returns 1 when
 * flag (e.g. "--image-size") is one of them and value was applied, 0 when flag
 * is not one of them, -1 when value is bad (message in err). takes_value is set
 * to whether the flag consumes a value (so callers can step over it). */
/* After all flags: refuses combinations in which a flag would do nothing
 * (--keep-original with resize/encode flags; a CLIP score threshold without
 * a model, --model or CLIPCRAWL_MODEL). 0, or -1 with a one-line message. */
int pipeline_options_check(const pipeline_options *o, char *err, size_t errlen);

int pipeline_option(pipeline_options *o, http_options *h, const char *flag, const char *value,
                    int *takes_value, char *err, size_t errlen);
/* Only the image flags (--image-size, --resize-mode, --resize-only-if-bigger,
 * --encode-format, --encode-quality), for commands that re-encode stored
 * images (export): same returns; any other flag gives 0. */
int pipeline_image_option(pipeline_options *o, const char *flag, const char *value, int *takes_value, char *err,
                          size_t errlen);
/* The encode quality a run uses: --encode-quality, else 95 for jpg/webp and
 * 6 for png (a zlib level); a png level above 9 becomes 9. */
int pipeline_encode_quality(const pipeline_options *o);
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
"  --allow-loopback       allow 127.0.0.0/8 and ::1 only; other private addresses stay refused\n" \
"  --resolve H:P:ADDR     connect to ADDR for host H port P (curl's --resolve; repeatable)\n" \
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
"  --decode-memory MB     memory all decoding in flight may hold (160); bigger images are\n" \
"                         rejected as decode_budget, as are JPEGs over 100 scans or 10 s of CPU\n" \
"clip (optional):\n" \
"  --model M              score each image against its caption with this CLIP model\n" \
"  --min-clip-score T     reject pairs scoring below T (LAION used 0.28 with ViT-B/32)\n" \
"  --tokenizer DIR        tokenizer files, if not in the model directory\n" \
"  --precision P          fp32|bf16 (fp32)\n" \
"filters (see clipcrawl filters --print-defaults):\n" \
FILTER_CONFIG_USAGE

/* The options of the CLIP commands (score, embed, classify). */
typedef struct {
    const char *model;      /* --model, else $CLIPCRAWL_MODEL */
    const char *tokenizer;  /* --tokenizer DIR, else the model directory */
    clip_precision precision;
    int threads;            /* 0 = default */
    int batch;              /* images/texts per forward pass; default 16 */
} clip_tool_options;

void clip_tool_options_init(clip_tool_options *o);
/* If argv[*i] is one of --model/--tokenizer/--precision/--threads/--batch
 * (also as --name=value), consumes it and its value, advances *i and returns
 * 1; returns 0 if not one of them; -1 with a message in err when the value is
 * missing or bad. */
int clip_tool_option(clip_tool_options *o, int argc, char **argv, int *i, char *err, size_t errlen);

/* ---- progress and stopping -------------------------------------------------- */

/* Counts of outcomes written so far by a run. */
typedef struct {
    int64_t accepted, rejected, failed, optout;
    int64_t bytes_in, bytes_out;    /* downloaded / stored image bytes */
    int64_t skipped;                /* input rows a resumed run found done */
    int64_t private_address;        /* of rejected: refused as a private/loopback address */
} pipeline_counts;

/* Called often from the engine's loop (the callee rate-limits itself);
 * fraction_done in (0,1] when an ETA can be given, else 0; final != 0 once at
 * the end. */
typedef void (*pipeline_progress_fn)(const pipeline_counts *c, double fraction_done, int final, void *ctx);

/* What every long-running entry point shares. */
typedef struct {
    pipeline_progress_fn progress;  /* NULL = quiet */
    void *progress_ctx;
    const volatile sig_atomic_t *stop; /* set (by a signal handler) to stop early; may be NULL */
    const char *args;               /* the command's arguments, recorded with the run */
} pipeline_run_options;

/* ---- fetch (pipeline/fetch.c) ------------------------------------------------ */

typedef struct {
    const char *const *inputs;      /* lists: .txt/.csv/.tsv/.json/.jsonl[.gz] or "-" */
    int n_inputs;
    pairs_options pairs;
    const char *out_dir;
    dataset_options dataset;
    pipeline_options images;
    http_options http;              /* on_done/ctx are set by the engine */
    int retry_failed;               /* on resume, retry the rows that failed */
    cc_part part;                   /* --part I/N: only rows whose URL host hashes to I */
    pipeline_run_options run;
} fetch_options;

void fetch_options_init(fetch_options *o);

typedef struct {
    pipeline_counts counts;
    int stopped;                    /* interrupted by *run.stop */
    int input_failed;               /* an input list broke off (reported on stderr) */
    int ran;                        /* the dataset was opened: counts are meaningful */
    int64_t other_part;             /* rows left to the other parts (--part) */
} fetch_result;

/* Downloads every row of the inputs into out_dir (resuming a previous run). */
cc_err pipeline_fetch(const fetch_options *o, fetch_result *res, char *err, size_t errlen);

/* ---- crawl (pipeline/crawl.c) ------------------------------------------------ */

struct frontier;       /* dataset/frontier.h */
struct caption_filter; /* filters/caption.h */

/* What the crawl's progress line shows. */
typedef struct {
    pipeline_counts counts;         /* image outcomes written by this run */
    int64_t pages_done;             /* pages fetched, failed or skipped by this run */
    int64_t pages_queued;           /* pages waiting in the frontier (all runs) */
    int64_t images_found;           /* images extracted by this run */
    int hosts_waiting;              /* hosts held back by --host-delay, Crawl-delay or Retry-After */
    double polite_wait;             /* the longest of those waits still to run, seconds */
} crawl_progress_info;
typedef void (*crawl_progress_fn)(const crawl_progress_info *p, int final, void *ctx);

typedef struct {
    const char *const *seeds;       /* page URLs, or files of URLs one a line ("-" = stdin) */
    int n_seeds;
    const char *const *sitemaps;    /* --sitemap URLs (XML, index, text; gzipped or not) */
    int n_sitemaps;
    const char *out_dir;
    int max_depth;                  /* links followed N levels from the seeds */
    url_scope scope;                /* default URL_SCOPE_HOST */
    int64_t max_pages;              /* 0 = no limit (counted over all runs) */
    int retry_failed;               /* pages and images that failed in earlier runs are tried again */
    crawl_progress_fn progress;     /* NULL: run.progress (fetch-style counts) or quiet */
    void *progress_ctx;
    int host_concurrency;           /* default 2 */
    double host_delay;              /* seconds between requests to one host; default 1 */
    dataset_options dataset;
    pipeline_options images;
    http_options http;
    cc_part part;                   /* --part I/N: only pages whose host hashes to I (their
                                       images are fetched by the same part, wherever hosted) */
    pipeline_run_options run;
    /* For warc: called once the dataset, frontier and image pipeline are open
     * and the seeds are in, before any request; adds images (and their caption
     * candidates) to the frontier for the crawl's image loop to download. judge
     * is the pipeline's caption filter (NULL with --no-caption-filter). Returns
     * CC_OK, or an error with a one-line message in err (the run stops). */
    cc_err (*feed)(struct frontier *fr, const struct caption_filter *judge, void *ctx, char *err, size_t errlen);
    void *feed_ctx;
    const char *input_name;         /* the dataset input (and run) the images belong to; NULL = "crawl" */
    const char *command;            /* named in DIR/_SUCCESS; NULL = "crawl" */
} crawl_options;

void crawl_options_init(crawl_options *o);

/* The flags of the crawl engine that `crawl` and `warc` share (options.c):
 * -o/--output DIR, --host-concurrency N (1..64), --host-delay S (0..3600
 * seconds), --samples-per-shard N. Each takes a value: returns 1 when flag is
 * one of them and value was applied, 0 when it is not one of them (or value
 * is NULL), -1 when value is bad (message in err). */
int crawl_option(crawl_options *o, const char *flag, const char *value, char *err, size_t errlen);

typedef struct {
    int64_t pages_fetched, pages_failed, pages_skipped, pages_queued, images_found;
    int64_t sitemap_pages, sitemap_images; /* new pages / images the sitemaps added */
    int64_t seeds, seeds_fetched;   /* depth-0 pages in the dataset, and of them fetched */
    char seed_failures[1024];       /* "URL: reason; ..." of seeds not fetched (up to 5) */
    pipeline_counts counts;
    int bad_seeds;
    int stopped;
    int ran;                        /* the dataset was opened: counts are meaningful */
} crawl_result;

/* Crawls from the seeds into out_dir (resuming). */
cc_err pipeline_crawl(const crawl_options *o, crawl_result *res, char *err, size_t errlen);
/* The result as the JSON object the run records and the command prints. */
void crawl_result_json(const crawl_result *r, ccbuf *out);

/* ---- warc (pipeline/warc.c) -------------------------------------------------- */

/* Per-record filter: 0 passes the record with this WARC-Target-URI over
 * (before its block is read), e.g. to keep one part of a partitioned run. */
typedef int (*warc_record_filter_fn)(const char *target_uri, void *ctx);

typedef struct {
    const char *const *inputs;      /* WARC / WAT files, plain or gzip; "-" = stdin */
    int n_inputs;
    int no_download;                /* judge and print JSON lines to out; write nothing */
    FILE *out;                      /* --no-download's output (NULL = stdout) */
    size_t max_record;              /* records with larger blocks are skipped; default 16 MiB */
    int allow_damaged;              /* a truncated/corrupt input is a warning, not a failure */
    warc_record_filter_fn want;     /* NULL takes every record */
    void *want_ctx;
    crawl_options crawl;            /* the download side: out_dir, politeness, images, http, run
                                       (seeds, depth and feed are set by pipeline_warc) */
} warc_run_options;

void warc_run_options_init(warc_run_options *o);

typedef struct {
    warc_images_stats in;                  /* records, pages, images, captions kept, skips */
    int files, damaged;                    /* inputs read; those that ended early */
    crawl_result crawl;                    /* the downloads (not with no_download) */
    int downloaded;                        /* crawl holds a run's counts */
    int stopped;
} warc_result;

/* Reads the inputs and, unless no_download, downloads their images into
 * o->crawl.out_dir (resuming). Fails before writing anything when an input is
 * missing or not a WARC file; a damaged input fails the run after its records
 * were used unless allow_damaged. */
cc_err pipeline_warc(const warc_run_options *o, warc_result *res, char *err, size_t errlen);
/* The result as the JSON object the command prints. */
void warc_result_json(const warc_result *r, ccbuf *out);

/* ---- refilter (pipeline/refilter.c) ------------------------------------------- */

typedef struct {
    const char *dir;
    filter_config filters;
    int dry_run;                    /* judge and count, change nothing */
    int64_t model_id;               /* clip_models.id for clip_min_score; <= 0 = the latest */
    pipeline_run_options run;
} refilter_options;

void refilter_options_init(refilter_options *o);

#define REFILTER_MAX_REASONS 64
typedef struct {
    int64_t examined, accepted_before, accepted_after;
    int64_t to_reject, restored, unfetched, reason_changed, lang_changed, not_refetchable;
    int64_t placed_page;            /* examined rows whose caption was judged with its page placement */
    int64_t placed_list;            /* ... as a URL list row's caption (placement 'list') */
    int64_t text_alone;             /* ... on its text alone (origin unknown) */
    int n_demoted;                  /* accepted -> rejected, by reason */
    const char *demoted_reason[REFILTER_MAX_REASONS];
    int64_t demoted[REFILTER_MAX_REASONS];
    int64_t model_id;               /* the scores judged, -1 = none */
    double seconds;
} refilter_result;

/* Re-judges every sample of dir with o->filters (see refilter.c). */
cc_err pipeline_refilter(const refilter_options *o, refilter_result *res, char *err, size_t errlen);

/* ---- score (pipeline/score.c) ------------------------------------------------- */

typedef struct {
    const char *dir;
    clip_tool_options clip;
    int64_t limit;                  /* score at most this many samples; < 0 = all */
    pipeline_run_options run;
} score_options;

typedef struct {
    int64_t scored, unscorable, tagged, nsfw;
    char model[256];                /* the model's id */
    const char *precision;
    double mean_score, seconds;
    int stopped;
    int ran;                        /* the dataset was opened: the counts are meaningful */
} score_result;

/* CLIP-scores every accepted sample of dir without a score for this model. */
cc_err pipeline_score(const score_options *o, score_result *res, char *err, size_t errlen);

/* ---- CLIP tools (pipeline/clip-tool.c) ---------------------------------------- */

/* Loads the model (and, if tok is not NULL, the tokenizer from --tokenizer or
 * the model's directory). 0, or -1 with a one-line message naming the file. */
int clip_tool_load(const clip_tool_options *o, clip_model **m, clip_tokenizer **tok, char *err, size_t errlen);

/* The decode limit of the CLIP tools (Pillow's: 89478484 pixels). */
#define CLIP_TOOL_MAX_PIXELS 89478484u

/* The one decode -> CLIP preprocessing path (score, inline scoring, the CLIP
 * tools): the image bytes' own pixels, resized and cropped to image_size, as
 * 3*S*S normalised floats. 0, or -1 with a one-line message in err. */
int clip_tool_pixels(const void *data, size_t n, uint64_t max_pixels, int image_size, float *out_chw, char *err,
                     size_t errlen);

/* Reads, decodes and preprocesses an image file into 3*S*S floats.
 * 0, or -1 with a one-line message in err naming the file. */
int clip_tool_image(const char *path, int image_size, float *out_chw, char *err, size_t errlen);

/* Tokenizes text into a zero-padded context row. Returns the token count. */
int clip_tool_tokens(const clip_tokenizer *t, const char *text, int context, int32_t *row, int *eot);

/* A loaded model with its tokenizer and a forward-pass state: what `embed`
 * and `classify` share. Embeddings it hands out are L2-normalised. */
typedef struct clip_session clip_session;

/* Loads the model as clip_tool_load() (the tokenizer too when
 * with_tokenizer) and a state for o->batch items on o->threads threads (0 =
 * one per CPU). NULL with a one-line message naming the file in err. */
clip_session *clip_session_open(const clip_tool_options *o, int with_tokenizer, char *err, size_t errlen);
void clip_session_free(clip_session *s); /* NULL is a no-op */
/* The loaded model (config, id, logit scale); owned by the session. */
const clip_model *clip_session_model(const clip_session *s);

/* Tokenizes n texts (clip_tool_tokens) and embeds them in one pass into
 * out[n * embed_dim]. ids (n * context_length, or NULL) receives the token
 * rows, ntok (n, or NULL) their token counts. 0, or -1 with the encoder's
 * message in err (also when the session has no tokenizer). */
int clip_session_texts(clip_session *s, const char *const *texts, int n, float *out, int32_t *ids, int *ntok,
                       char *err, size_t errlen);

/* Per file of clip_session_files(), in order: embedding (embed_dim floats)
 * and pixels (the 3*S*S model input) of a readable image, or error (one line
 * naming the file) with both NULL. Pointers are valid during the call.
 * Return 0 to go on, nonzero to stop. */
typedef int (*clip_file_fn)(int i, const float *embedding, const float *pixels, const char *error, void *ctx);

/* Reads, decodes and preprocesses the image files per_pass at a time (0 =
 * the session's batch), embeds the readable ones of each pass in one encoder
 * call and calls fn for every file in order. Returns 0 when every file was
 * handed to fn, 1 when fn stopped it, -1 with err on an encoder failure. */
int clip_session_files(clip_session *s, const char *const *paths, int n, int per_pass, clip_file_fn fn, void *ctx,
                       char *err, size_t errlen);

/* ---- merge (pipeline/merge.c) ------------------------------------------------- */

typedef struct {
    const char *const *parts;       /* dataset directories, merged in this order */
    int n_parts;
    const char *out_dir;            /* must not exist */
    int allow_incomplete;           /* merge parts without _SUCCESS (their open shard sealed) */
    filter_config filters;          /* the dedup modes applied across parts */
    pipeline_run_options run;
} merge_options;

void merge_options_init(merge_options *o);

typedef struct {
    dataset_merge_counts counts;
} merge_result;

/* Joins the parts into out_dir (see merge.c): keys kept, shards hard-linked,
 * indexes merged, duplicates across parts demoted by the image path's rules,
 * DIR/_SUCCESS written last. CC_ERR_USAGE for a refused part or an existing
 * out_dir (message names it). */
cc_err pipeline_merge(const merge_options *o, merge_result *res, char *err, size_t errlen);

#endif
