/* main.c — the clipcrawl executable: a git-style command table. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "text.h"

static const cli_command commands[] = {
    {"help", cmd_help, "show help for a command", "usage: clipcrawl help [COMMAND]\n"},
    {"score", cmd_score, "CLIP-score every sample not yet scored", SCORE_USAGE},
    {"fetch", cmd_fetch, "download an img2dataset-style URL+caption list into shards", FETCH_USAGE},
    {"refilter", cmd_refilter, "re-judge a dataset with new filter settings, without refetching", REFILTER_USAGE},
    {"merge", cmd_merge, "join datasets (the parts of a --part run) into one", merge_usage},
    {"crawl", cmd_crawl, "crawl seed pages for captioned images into shards", crawl_usage},
    {"warc", cmd_warc, "take captioned images from WARC/WAT archives, then download them", warc_usage},
    {"page", cmd_page, "why the images of one saved HTML page would be taken or skipped (JSON lines)", page_usage},
    {"check-caption", cmd_check_caption, "the caption filter's verdict and reason for each line", CHECK_CAPTION_USAGE},
    {"filters", cmd_filters, "print or check the filter configuration file", FILTERS_USAGE},
    {"embed", cmd_embed, "CLIP embeddings, token ids and the similarity matrix as JSON", "usage: clipcrawl embed --model M [--image FILE]... [--text TEXT]... [--pixels]\n                      [--tokenizer DIR] [--precision fp32|bf16] [--threads N] [--batch N]\n  Prints {\"model\":{...},\"images\":[{\"path\",\"embedding\"}],\"texts\":[{\"text\",\"tokens\",\"embedding\"}],\"similarity\":[[...]]}\n  Embeddings are L2-normalised; similarity[i][j] = cosine(image i, text j).\n  --pixels adds each image's preprocessed tensor shape and the sha256 of its f32le CHW bytes.\n  --model defaults to $CLIPCRAWL_MODEL; the tokenizer is read from the model dir unless --tokenizer.\n"},
    {"classify", cmd_classify, "zero-shot classification of images", "usage: clipcrawl classify --model M --labels a,b,c [--template \"a photo of a {}\"] [--precision fp32|bf16]\n                         [--threads N] [--batch N] [--tokenizer DIR] IMAGES...\n  One JSON line per image: {\"path\",\"label\",\"prob\",\"probs\":{label: p}}, p = softmax(logit_scale * cosine).\n"},
    {"cat", cmd_cat, "print one member of one sample (random access)", CAT_USAGE},
    {"verify", cmd_verify, "check that shards and index agree", VERIFY_USAGE},
    {"stats", cmd_stats, "dataset figures as JSON", STATS_USAGE},
    {"query", cmd_query, "select samples: --where, --fts, --text (semantic), --sql; table/jsonl/csv/tsv", QUERY_USAGE},
    {"export", cmd_export, "write the selected samples as a new dataset (shards + index)", export_usage},
    {"compact", cmd_compact, "drop rejected samples' frames from the dataset's own shards, atomically", compact_usage},
    {"report", cmd_report, "one self-contained HTML page: funnel, reasons, histograms, thumbnails", report_usage},
    {"export-embeddings", cmd_export_embeddings, "stored image embeddings as clip-retrieval's .npy + metadata", export_embeddings_usage},
    {"robots", cmd_robots, "robots.txt verdict per URL", "usage: clipcrawl robots ROBOTS_FILE --agent UA URL...\n  Prints allowed<TAB>URL or disallowed<TAB>URL per URL (RFC 9309).\n  UA may be a full User-Agent string: its product token (text before '/') is used.\n  ROBOTS_FILE '-' reads stdin.\n"},
};

static const size_t n_commands = sizeof commands / sizeof commands[0];

const cli_command *cli_find(const char *name)
{
    for (size_t i = 0; i < n_commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void vreport(const char *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "clipcrawl %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    fprintf(stderr, "(see: clipcrawl help %s)\n", cmd);
    return EXIT_USAGE;
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    return EXIT_FAIL;
}

int cli_wants_help(const char *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            const cli_command *c = cli_find(cmd);
            if (c)
                fputs(c->usage, stdout);
            return 1;
        }
    }
    return 0;
}

int cli_missing_value(const char *cmd, const char *flag, const char *v)
{
    if (!v)
        return cli_usage_error(cmd, "%s needs a value", flag);
    if (v[0] == '-' && v[1] == '-' && v[2])
        return cli_usage_error(cmd, "%s needs a value, not the option %s", flag, v);
    return 0;
}

int cli_parse_long(const char *s, long min, long max, long *out) { return cc_parse_long(s, min, max, out); }

int cli_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static void list_commands(FILE *f)
{
    fputs("usage: clipcrawl COMMAND [ARGS...]   (clipcrawl help COMMAND for details)\n\ncommands:\n", f);
    for (size_t i = 0; i < n_commands; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
}

int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        list_commands(stdout);
        return EXIT_OK;
    }
    const cli_command *c = cli_find(argv[1]);
    if (!c)
        return cli_usage_error("help", "unknown command '%s'", argv[1]);
    fputs(c->usage, stdout);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    cc_malloc_tune(); /* before the first allocation of any size */
    if (argc < 2) {
        list_commands(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cmd_help(1, argv + 1);
    if (strcmp(argv[1], "--version") == 0) {
        puts("clipcrawl 0.1.0");
        return EXIT_OK;
    }
    const char *v = getenv("CLIPCRAWL_VERBOSE");
    if (v && *v)
        cc_log_verbosity = atoi(v);
    const cli_command *c = cli_find(argv[1]);
    if (!c) {
        fprintf(stderr, "clipcrawl: unknown command '%s' (try: clipcrawl help)\n", argv[1]);
        return EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
