/* commands.h — the subcommands of the clipcrawl executable.
 *
 * Each command is int cmd_NAME(int argc, char **argv) in cli/cmd-NAME.c, with
 * argv[0] = "NAME". It returns the process exit status: 0 success, 1 failure,
 * 2 bad usage — after printing a one-line message naming the bad input.
 * Machine output goes to stdout, progress and logs to stderr.
 */
#ifndef CC_CLI_COMMANDS_H
#define CC_CLI_COMMANDS_H

#include <stdio.h>

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
/* Parses a non-negative integer / double argument; 0 on success, -1 if malformed. */
int cli_parse_long(const char *s, long min, long max, long *out);
int cli_parse_double(const char *s, double *out);

/* Looks a command up by name; NULL if unknown. */
const cli_command *cli_find(const char *name);

/* --- the command implementations (one line each; keep sorted by owner block) --- */
int cmd_help(int argc, char **argv);
int cmd_fetch(int argc, char **argv); /* fetch (lead) */
int cmd_score(int argc, char **argv); /* score (lead) */

int cmd_robots(int argc, char **argv); /* robots (Task G) */

/* --- dataset commands: cat, verify, stats, query (task A) --- */
int cmd_cat(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_query(int argc, char **argv);
#define CAT_USAGE \
    "usage: clipcrawl cat DIR KEY [--member jpg|png|webp|image|txt|json]\n" \
    "  Writes one member of sample KEY (9 digits) to stdout, byte for byte;\n" \
    "  default member: the image. One seek and one zstd frame per call.\n"
#define VERIFY_USAGE \
    "usage: clipcrawl verify DIR\n" \
    "  Checks that shards and index agree: every indexed sample readable, its\n" \
    "  image's size and sha256 as recorded, every frame known to the index,\n" \
    "  sealed shards ending with the tar end blocks, no stray shard files.\n" \
    "  Prints problems one per line on stdout; exit 1 if there are any.\n"
#define STATS_USAGE \
    "usage: clipcrawl stats DIR\n" \
    "  Prints one JSON object: items, samples, counts by status and by reason,\n" \
    "  bytes (original, stored, shard files), shards, runs and rates.\n"
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
    "  Tables and columns: schema/README.md.\n"
/* --- end task A --- */
int cmd_embed(int argc, char **argv);    /* embed (task E) */
int cmd_classify(int argc, char **argv); /* classify (task E) */

/* --- captions and filter config (task F) --- */
int cmd_check_caption(int argc, char **argv);
int cmd_filters(int argc, char **argv);
#define CHECK_CAPTION_USAGE \
    "usage: clipcrawl check-caption [--filters FILE] [options] [--explain] [TEXT...]\n" \
    "  Judges each TEXT (or each stdin line when no TEXT is given) with the caption\n" \
    "  filter fetch and crawl use, printing keep<TAB>TEXT or reject:REASON<TAB>TEXT.\n" \
    "  Reasons: empty unsafe url_or_path filename isbn code_or_id boilerplate\n" \
    "  too_short language (filters/caption.h explains each).\n" \
    "  --explain              append <TAB>LANGUAGE<TAB>DETAIL<TAB>NORMALISED\n" \
    "  --filters FILE         filter configuration (clipcrawl filters --print-defaults)\n" \
    "  --filter KEY=VALUE     set one configuration key\n" \
    "  --languages LIST       keep only captions in these languages (en,de,...)\n" \
    "  --min-words N, --min-chars N, --max-chars N, --no-unsafe-filter\n"
#define FILTERS_USAGE \
    "usage: clipcrawl filters --print-defaults\n" \
    "       clipcrawl filters --check FILE\n" \
    "  --print-defaults prints the complete default filter configuration file, every\n" \
    "  key commented; --check FILE parses FILE and prints the resulting configuration.\n"
/* --- end task F --- */

/* --- crawl (task G2) --- */
int cmd_crawl(int argc, char **argv);
extern const char crawl_usage[]; /* its help text, in cmd-crawl.c */
/* --- end crawl --- */

/* --- refilter (task F2) --- */
#include "filterconf.h" /* FILTER_CONFIG_USAGE */
int cmd_refilter(int argc, char **argv);
#define REFILTER_USAGE \
    "usage: clipcrawl refilter DIR [--filters FILE] [filter options] [--model-id N] [--dry-run] [-q]\n" \
    "  Re-judges every sample of DIR with the given filter settings, without fetching:\n" \
    "  captions (items.caption_raw), repeated captions, stored image sizes, the CLIP\n" \
    "  safety tag (--nsfw-reject: unsafe_image), CLIP score (--clip-min-score:\n" \
    "  low_clip_score; scores of clip_models id N, default the latest model) and\n" \
    "  duplicates (earliest key kept). Samples that now fail become 'rejected' (their\n" \
    "  frames stay; a later refilter can bring them back); rows rejected before download\n" \
    "  that now pass are deleted so the next fetch of their list fetches them.\n" \
    "  One transaction. Prints a JSON summary of what changed.\n" \
    "  --dry-run              report what would change, change nothing\n" \
    "  --model-id N           clip_models.id whose scores --clip-min-score uses\n" \
    FILTER_CONFIG_USAGE
/* --- end refilter --- */

/* query, search, export (usage text in each cmd file) */
int cmd_export_embeddings(int argc, char **argv);
extern const char export_embeddings_usage[];

#endif
