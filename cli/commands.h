/* commands.h — the subcommands of the clipcrawl executable.
 *
 * Each command is int cmd_NAME(int argc, char **argv) in cli/cmd-NAME.c, with
 * argv[0] = "NAME". It returns the process exit status: 0 success, 1 failure,
 * 2 bad usage — after printing a one-line message naming the bad input.
 * Machine output goes to stdout, progress and logs to stderr.
 */
#ifndef CC_CLI_COMMANDS_H
#define CC_CLI_COMMANDS_H

#include <signal.h>
#include <stdio.h>

#include "pipeline.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;   /* one line for `clipcrawl help` */
    const char *usage;     /* full text for `clipcrawl help NAME` / `NAME --help` */
} cli_command;

/* Exit statuses. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Prints "clipcrawl NAME: <message>" on stderr and returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "clipcrawl NAME: <message>" on stderr and returns EXIT_FAIL. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* If argv holds -h/--help, prints the command's usage to stdout and returns 1. */
int cli_wants_help(const char *cmd, int argc, char **argv);
/* For an option that takes a value which never starts with "--" (a key, a
 * number, a name): when v is missing or is the next option ("query DIR
 * --similar --k 10"), prints a usage error naming flag and returns
 * EXIT_USAGE; 0 when v is a value. Free text (--text, --where, --sql) may
 * start with "--" and does not use this. */
int cli_missing_value(const char *cmd, const char *flag, const char *v);
/* Parses a non-negative integer / double argument; 0 on success, -1 if malformed. */
int cli_parse_long(const char *s, long min, long max, long *out);
int cli_parse_double(const char *s, double *out);

/* Looks a command up by name; NULL if unknown. */
const cli_command *cli_find(const char *name);

/* ---- running an engine (cli/progress.c) ---- */

/* Installs SIGINT/SIGTERM handlers that set the returned flag (the engines
 * stop at the next step and keep what they wrote). */
const volatile sig_atomic_t *cli_catch_signals(void);

/* The progress line on stderr: rewritten in place on a terminal (every
 * 0.5 s), one line every 10 s otherwise. */
typedef struct {
    double started, last;
    int tty;
} cli_progress;
void cli_progress_init(cli_progress *p);
/* 1 when a progress line is due now (always when final). */
int cli_progress_due(cli_progress *p, int final);
/* A pipeline_progress_fn printing counts by outcome, rate and ETA; ctx is a cli_progress. */
void cli_progress_counts(const pipeline_counts *c, double fraction_done, int final, void *ctx);
/* A crawl_progress_fn: pages done/queued with their rate, images found and
 * by outcome with their rate, and the politeness wait; ctx is a cli_progress. */
void cli_progress_crawl(const crawl_progress_info *in, int final, void *ctx);
/* Fills r for a command: progress unless quiet, and the
 * arguments argv[1..argc) joined into args (recorded with the run). */
void cli_run_options(pipeline_run_options *r, cli_progress *p, int quiet, int argc, char **argv, ccbuf *args);
/* The exit status for an engine's return code: prints err as a usage error
 * (CC_ERR_USAGE, exit 2) or a failure (exit 1); EXIT_OK for CC_OK. */
int cli_engine_status(const char *cmd, cc_err rc, const char *err);

/* --part I/N | auto and --part-count N (fetch, crawl, warc; cli/part-args.c). */
typedef struct {
    const char *spec;   /* --part value, NULL if not given */
    int count;          /* --part-count, 0 if not given */
} cli_part_args;
/* 1 when a is one of the two flags (value v consumed: *takes = 1), 0 when it
 * is not, -1 when its value is missing or bad. */
int cli_part_flag(cli_part_args *pa, const char *a, const char *v, int *takes);
/* Resolves the flags (and, for auto, the scheduler's environment) into out.
 * EXIT_OK, or a usage error's exit status after printing it. */
int cli_part_resolve(const char *cmd, const cli_part_args *pa, cc_part *out);
#define PART_USAGE \
"partitioned runs (one part per machine; join them with clipcrawl merge):\n" \
"  --part I/N             only the input whose host hashes to part I of N (0 <= I < N);\n" \
"                         writes DIR/_SUCCESS when the part is complete\n" \
"  --part auto            I and N from the scheduler: SLURM_ARRAY_TASK_ID/COUNT,\n" \
"                         JOB_COMPLETION_INDEX, SGE_TASK_ID, PBS_ARRAY_INDEX\n" \
"  --part-count N         N for --part auto (required where the scheduler has no count)\n"

/* ---- the command implementations, and their usage texts ---- */
int cmd_help(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_robots(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_query(int argc, char **argv);
#define CAT_USAGE \
    "usage: clipcrawl cat DIR KEY [--member jpg|png|webp|image|txt|json] [--raw]\n" \
    "  Writes one member of sample KEY (9 digits) to stdout, byte for byte;\n" \
    "  default member: the image. One seek and one zstd frame per call.\n" \
    "  The json member gets the sample's clip_score from the index when it was\n" \
    "  scored after its frame was written; --raw prints the stored bytes as they are.\n"
#define VERIFY_USAGE \
    "usage: clipcrawl verify DIR\n" \
    "  Checks that shards and index agree: every indexed sample readable, its\n" \
    "  image's size and sha256 as recorded, every frame known to the index,\n" \
    "  sealed shards ending with the tar end blocks, no stray shard files.\n" \
    "  Prints problems one per line on stdout; exit 1 if there are any.\n"
#define STATS_USAGE \
    "usage: clipcrawl stats DIR...\n" \
    "  Prints one JSON object: items, samples, counts by status and by reason,\n" \
    "  bytes (original, stored, shard files), shards, runs and rates, and the\n" \
    "  funnel (pages -> candidates -> fetched -> accepted), rejections by reason,\n" \
    "  failures by error, CLIP-score and caption-length quantiles, top hosts.\n" \
    "  Several DIRs (the parts of a --part run): {\"dirs\", \"total\": the counts,\n" \
    "  reasons, bytes and shards summed, \"parts\": [each DIR's object]}.\n"
#define QUERY_USAGE \
    "usage: clipcrawl query DIR [--where EXPR] [--fts WORDS] [--status S|all]\n" \
    "                          [--min-clip-score X] [--columns C1,C2,...] [--order EXPR]\n" \
    "                          [--limit N] [--format table|jsonl|csv|tsv] [--no-header]\n" \
    "       clipcrawl query DIR --text WORDS | --image FILE | --similar KEY\n" \
    "                          [--k N] [--model M] [selection and output options]\n" \
    "       clipcrawl query DIR --sql \"SELECT ...\" [--format ...]\n" \
    "  Selects rows of the items table (default: accepted samples, ordered by key;\n" \
    "  columns " "key,url,caption,width,height,image_format,bytes,sha256).\n" \
    "  --where EXPR   an SQL condition on items columns, e.g. \"width >= 512\"\n" \
    "  --fts WORDS    full-text match on captions (ranked best first); words that\n" \
    "                 are not FTS5 syntax (t-shirt, 5\") are searched as words\n" \
    "  --min-clip-score X  samples whose CLIP score is at least X\n" \
    "  --text WORDS   semantic search: the k images nearest to the words' CLIP\n" \
    "                 embedding (column similarity = cosine), after the filters\n" \
    "  --image FILE   the k images nearest to an image file\n" \
    "  --similar KEY  the k images nearest to sample KEY's image\n" \
    "  --k N          results of a semantic search (default 20)\n" \
    "  --model M      model for --text/--image (default: the one that scored DIR)\n" \
    "  --no-header    leave the header line out (csv, tsv, table)\n" \
    "  --sql SELECT   one read-only statement of your own (the index opens read-only)\n" \
    "  Several DIRs (the parts of a --part run) are queried in turn as one result;\n" \
    "  --limit counts over all of them and a semantic search ranks their hits together.\n" \
    "  Tables and columns: schema/README.md.\n"
int cmd_embed(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_check_caption(int argc, char **argv);
int cmd_page(int argc, char **argv);
extern const char page_usage[]; /* its help text, in cmd-page.c */
int cmd_filters(int argc, char **argv);
#define CHECK_CAPTION_USAGE \
    "usage: clipcrawl check-caption [--filters FILE] [options] [--explain]\n" \
    "                               [--placement LIST [--size WxH] [--repeats N]] [TEXT...]\n" \
    "  Judges each TEXT (or each stdin line when no TEXT is given) with the caption\n" \
    "  filter fetch and crawl use, printing keep<TAB>TEXT or reject:REASON<TAB>TEXT.\n" \
    "  Reasons: empty unsafe url_or_path filename isbn code_or_id boilerplate\n" \
    "  too_short language (filters/caption.h explains each).\n" \
    "  --explain              append <TAB>LANGUAGE<TAB>DETAIL<TAB>NORMALISED\n" \
    "  --placement LIST       judge as the alt text of an image on a page that sits\n" \
    "                         there: names joined by ',' as items.placement stores them\n" \
    "                         (nav aside profile ad icon logo linked offsite content\n" \
    "                         figure; \"\" = on a page, nothing special), or list: a URL\n" \
    "                         list row's caption, as fetch judges it. Without: text alone\n" \
    "  --size WxH             the image's declared size in CSS px (implies a page)\n" \
    "  --repeats N            images on the page with the same alt text (implies a page)\n" \
    "  --filters FILE         filter configuration (clipcrawl filters --print-defaults)\n" \
    "  --filter KEY=VALUE     set one configuration key\n" \
    "  --languages LIST       keep only captions in these languages (en,de,...)\n" \
    "  --min-words N, --min-chars N, --max-chars N, --no-unsafe-filter\n" \
    "  --unsafe-phrase-threshold N   unsafe when weighted phrases sum to N (0: off)\n"
#define FILTERS_USAGE \
    "usage: clipcrawl filters --print-defaults\n" \
    "       clipcrawl filters --check FILE\n" \
    "  --print-defaults prints the complete default filter configuration file, every\n" \
    "  key commented; --check FILE parses FILE and prints the resulting configuration.\n"
int cmd_crawl(int argc, char **argv);
int cmd_merge(int argc, char **argv);
extern const char merge_usage[];
extern const char crawl_usage[]; /* its help text, in cmd-crawl.c */
int cmd_warc(int argc, char **argv);
extern const char warc_usage[]; /* its help text, in cmd-warc.c */
int cmd_refilter(int argc, char **argv);
#define REFILTER_USAGE \
    "usage: clipcrawl refilter DIR [--filters FILE] [filter options] [--model-id N] [--dry-run] [-q]\n" \
    "  Re-judges every sample of DIR with the given filter settings, without fetching:\n" \
    "  captions (items.caption_raw), repeated captions, stored image sizes, the CLIP\n" \
    "  safety tag (--nsfw-reject: unsafe_image), CLIP score (--min-clip-score:\n" \
    "  low_clip_score; scores of clip_models id N, default the latest model) and\n" \
    "  duplicates (earliest key kept). Samples that now fail become 'rejected' (their\n" \
    "  frames stay; a later refilter can bring them back); rows rejected before download\n" \
    "  that now pass are deleted so the next fetch of their list fetches them.\n" \
    "  One transaction. Prints a JSON summary of what changed.\n" \
    "  --dry-run              report what would change, change nothing\n" \
    "  --model-id N           clip_models.id whose scores --min-clip-score uses\n" \
    FILTER_CONFIG_USAGE

#define FETCH_USAGE \
"usage: clipcrawl fetch PAIRS... -o DIR [options]\n" \
"  Downloads the images of img2dataset-style lists into DIR (shards + index).\n" \
"  PAIRS: .txt (one URL a line), .csv/.tsv with a header, .json (an array of\n" \
"  objects), .jsonl; each may be .gz; '-' reads stdin (with --input-format);\n" \
"  .parquet (LAION, DataComp, COYO metadata: URL/TEXT or url/text found by itself).\n" \
"  A sha256 column makes images with other bytes 'hash_mismatch' rejects.\n" \
"  Running the same command again resumes: rows with an outcome are skipped.\n" \
"input:\n" \
"  -o, --output DIR       the dataset directory (required)\n" \
"  --url-col NAME         column/field holding the URL (url; parquet: url, URL)\n" \
"  --caption-col NAME     column/field holding the caption (caption; parquet:\n" \
"                         caption, text, TEXT)\n" \
"  --input-format F       txt|csv|tsv|json|jsonl|parquet (by extension)\n" \
"  --save-additional-columns A,B,...  carry these list columns into KEY.json\n" \
"                         and the index (items.list_columns)\n" \
"  --samples-per-shard N  rotate shards after N samples (10000)\n" \
"  --retry-failed         on resume, retry the rows that failed\n" \
"  -q, --quiet            no progress on stderr\n" \
PIPELINE_OPTIONS_HELP \
PART_USAGE \
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

/* query, search, export (usage text in each cmd file) */
int cmd_export_embeddings(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compact(int argc, char **argv);
extern const char compact_usage[];
extern const char report_usage[];
extern const char export_usage[];
extern const char export_embeddings_usage[];

#endif
