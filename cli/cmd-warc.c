/* cmd-warc.c — `clipcrawl warc FILES... -o DIR`: the arguments of
 * pipeline_warc (pipeline/warc.c), its progress and its closing JSON line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "pipeline.h"

const char warc_usage[] =
    "usage: clipcrawl warc FILES... -o DIR [options]\n"
    "       clipcrawl warc FILES... --no-download\n"
    "  Takes the images of web archives: WARC files (plain or .gz, one gzip member per\n"
    "  record as Common Crawl ships them, or not) and WAT files. From each HTML response\n"
    "  the crawler's extractor finds the images and their caption candidates (alt,\n"
    "  figcaption, title, ... as crawl does), against the record's URL and <base>, in the\n"
    "  charset of the HTTP headers or the page; from WAT records the IMG@/src links and\n"
    "  their alt/title. Then downloads them like crawl: robots.txt of each image host,\n"
    "  opt-outs (page X-Robots-Tag / meta noai, noimageai, TDMRep), politeness, the\n"
    "  caption filter, and fetch's image pipeline into DIR. '-' reads stdin.\n"
    "  Running the same command again resumes.\n"
    "warc:\n"
    "  -o, --output DIR       the dataset directory (required unless --no-download)\n"
    "  --no-download          print one JSON line per image with a caption candidate\n"
    "                         (url, caption, caption_source, page_url, verdict keep or\n"
    "                         reject:REASON, optout when the page opts out); write nothing\n"
    "  --max-record-bytes N   skip records larger than N bytes (16 MiB)\n"
    "  --allow-damaged        a truncated or corrupt input is a warning (its records up\n"
    "                         to the damage are used), not a failure\n"
    "  --host-concurrency N   transfers at once per host (2)\n"
    "  --host-delay S         seconds between requests to one host (1); a robots.txt\n"
    "                         Crawl-delay above it is honoured up to 10 s\n"
    "  --samples-per-shard N  rotate shards after N samples (10000)\n"
    "  -q, --quiet            no progress on stderr\n"
    PIPELINE_OPTIONS_HELP
    PART_USAGE
    "  A warc part takes the records (pages) whose target host is its own, and their images.\n"
    "Prints a JSON line of counts (to stderr with --no-download); exit 1 when an input\n"
    "is unreadable, not a WARC, or damaged (without --allow-damaged), or the run was\n"
    "interrupted or failed.\n";

/* Applies one warc-only flag at argv[*i]: 1 applied, 0 not one, or minus the
 * exit status after a usage error. */
static int warc_flag(warc_run_options *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    long n;
    if (strcmp(a, "--no-download") == 0) {
        o->no_download = 1;
        return 1;
    }
    if (strcmp(a, "--allow-damaged") == 0) {
        o->allow_damaged = 1;
        return 1;
    }
    char err[256];
    int r = crawl_option(&o->crawl, a, v, err, sizeof err);
    if (r < 0)
        return -cli_usage_error("warc", "%s", err);
    if (r == 0 && v && strcmp(a, "--max-record-bytes") == 0) {
        if (cli_parse_long(v, 1024, 1L << 32, &n) != 0)
            return -cli_usage_error("warc", "--max-record-bytes needs 1024..4294967296, got '%s'", v);
        o->max_record = (size_t)n;
        r = 1;
    }
    if (r > 0)
        (*i)++; /* the value */
    return r;
}

int cmd_warc(int argc, char **argv)
{
    if (cli_wants_help("warc", argc, argv))
        return EXIT_OK;
    char err[1024];
    warc_run_options o;
    warc_run_options_init(&o);
    cc_err fe = filter_config_from_args(&o.crawl.images.filters, &argc, argv, err, sizeof err);
    if (fe == CC_ERR_IO)
        return cli_fail("warc", "%s", err);
    if (fe != CC_OK)
        return cli_usage_error("warc", "%s", err);

    int quiet = 0, status = EXIT_OK;
    cli_part_args part = {0};
    const char **files = xcalloc((size_t)argc + 1, sizeof *files);
    for (int i = 1; i < argc && status == EXIT_OK; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 0, r;
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            files[o.n_inputs++] = a;
        } else if ((r = cli_part_flag(&part, a, v, &takes)) != 0) {
            if (r < 0)
                status = cli_usage_error("warc", "%s needs a value (--part I/N or auto, --part-count N)", a);
            i += takes;
        } else if ((r = warc_flag(&o, argc, argv, &i)) != 0) {
            if (r < 0)
                status = -r;
        } else if ((r = pipeline_option(&o.crawl.images, &o.crawl.http, a, v, &takes, err, sizeof err)) != 0) {
            if (r < 0)
                status = cli_usage_error("warc", "%s", err);
            i += takes;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else {
            status = cli_usage_error("warc", "unknown option or missing value: '%s'", a);
        }
    }
    if (status == EXIT_OK && !o.crawl.out_dir && !o.no_download)
        status = cli_usage_error("warc", "missing -o DIR (or --no-download)");
    if (status == EXIT_OK && o.n_inputs == 0)
        status = cli_usage_error("warc", "no WARC or WAT files given");
    if (status == EXIT_OK)
        status = cli_part_resolve("warc", &part, &o.crawl.part);
    for (int k = 0; k < o.n_inputs && status == EXIT_OK; k++)
        if (strcmp(files[k], "-") != 0 && access(files[k], R_OK) != 0)
            status = cli_fail("warc", "cannot read '%s'", files[k]);
    if (status != EXIT_OK) {
        free(files);
        return status;
    }
    o.inputs = files;
    o.out = stdout;
    cli_progress prog;
    ccbuf args = {0};
    cli_run_options(&o.crawl.run, &prog, quiet || o.no_download, argc, argv, &args);
    o.crawl.run.stop = cli_catch_signals();

    warc_result res;
    cc_err rc = pipeline_warc(&o, &res, err, sizeof err);
    status = rc == CC_OK ? EXIT_OK : cli_fail("warc", "%s", err);
    if (res.files > 0 || res.downloaded) {
        ccbuf js = {0};
        warc_result_json(&res, &js);
        fprintf(o.no_download ? stderr : stdout, "%s\n", (const char *)js.data);
        ccbuf_free(&js);
    }
    if (res.stopped && status == EXIT_OK)
        status = EXIT_FAIL;
    ccbuf_free(&args);
    free(files);
    return status;
}
