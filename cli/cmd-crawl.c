/* cmd-crawl.c — `clipcrawl crawl SEEDS... -o DIR`: the arguments of
 * pipeline_crawl (pipeline/crawl.c), its progress and its closing JSON line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "pipeline.h"

const char crawl_usage[] =
    "usage: clipcrawl crawl SEEDS... -o DIR [options]\n"
    "  Crawls seed pages, takes the images that carry a caption that passes the caption\n"
    "  filter (alt, figcaption, aria-*, title, og:image:alt, nearby text), and writes them\n"
    "  to DIR (shards + index) through the same image pipeline as fetch.\n"
    "  SEEDS: page URLs, or files of URLs one a line ('-' = stdin; '#' comments).\n"
    "  Running the same command again resumes: finished pages and images are not redone.\n"
    "crawl:\n"
    "  -o, --output DIR       the dataset directory (required)\n"
    "  --depth N              follow links N levels from the seeds (0: seeds only)\n"
    "  --scope S              host|domain|any: which links to follow (host)\n"
    "  --max-pages N          request at most N pages in this dataset (0 = no limit)\n"
    "  --sitemap URL          read this sitemap (XML, sitemap index or text; .gz too):\n"
    "                         its pages become seeds, its image entries images (repeatable;\n"
    "                         the Sitemap: lines of a seed host's robots.txt are read too)\n"
    "  --host-concurrency N   transfers at once per host (2)\n"
    "  --host-delay S         seconds between requests to one host (1); a robots.txt\n"
    "                         Crawl-delay above it is honoured up to 10 s\n"
    "  --samples-per-shard N  rotate shards after N samples (10000)\n"
    "  --retry-failed         request pages and images that failed in earlier runs again\n"
    "  -q, --quiet            no progress on stderr\n"
    "  Robots.txt (RFC 9309), X-Robots-Tag / meta robots noai, noimageai and TDMRep\n"
    "  (tdm-reservation header/meta, /.well-known/tdmrep.json) are obeyed; skips are\n"
    "  recorded as status 'optout' with reason robots|noai|noimageai|tdm_reservation.\n"
    PIPELINE_OPTIONS_HELP
    PART_USAGE
    "  A crawl part takes the seeds and links on its own hosts; the images of its\n"
    "  pages are fetched by it wherever they are hosted.\n"
    "Prints a JSON line of counts; exit 1 if the run was interrupted or failed.\n";

/* Applies one crawl-only flag at argv[*i]: 1 applied, 0 not a crawl flag,
 * or minus the exit status after a usage error. */
static int crawl_flag(crawl_options *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    long n;
    char err[256];
    int r = crawl_option(o, a, v, err, sizeof err);
    if (r < 0)
        return -cli_usage_error("crawl", "%s", err);
    if (r > 0 || !v) {
        /* taken, or not a flag of ours with a value */
    } else if (strcmp(a, "--depth") == 0) {
        if (cli_parse_long(v, 0, 1000, &n) != 0)
            return -cli_usage_error("crawl", "--depth needs 0..1000, got '%s'", v);
        o->max_depth = (int)n;
        r = 1;
    } else if (strcmp(a, "--scope") == 0) {
        if (url_scope_parse(v, &o->scope) != 0)
            return -cli_usage_error("crawl", "unknown --scope '%s' (host, domain, any)", v);
        r = 1;
    } else if (strcmp(a, "--max-pages") == 0) {
        if (cli_parse_long(v, 0, (long)1e15, &n) != 0)
            return -cli_usage_error("crawl", "--max-pages needs a number >= 0, got '%s'", v);
        o->max_pages = n;
        r = 1;
    }
    if (r > 0)
        (*i)++; /* the value */
    return r;
}

int cmd_crawl(int argc, char **argv)
{
    if (cli_wants_help("crawl", argc, argv))
        return EXIT_OK;
    char err[1024];
    crawl_options o;
    crawl_options_init(&o);
    /* The filter flags (--filters FILE, --languages, ...) come out of argv first. */
    cc_err fe = filter_config_from_args(&o.images.filters, &argc, argv, err, sizeof err);
    if (fe == CC_ERR_IO)
        return cli_fail("crawl", "%s", err);
    if (fe != CC_OK)
        return cli_usage_error("crawl", "%s", err);

    int quiet = 0, status = EXIT_OK;
    cli_part_args part = {0};
    const char **seeds = xcalloc((size_t)argc + 1, sizeof *seeds);
    const char **sitemaps = xcalloc((size_t)argc + 1, sizeof *sitemaps);
    for (int i = 1; i < argc && status == EXIT_OK; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 0, r;
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            seeds[o.n_seeds++] = a;
        } else if ((r = pipeline_option(&o.images, &o.http, a, v, &takes, err, sizeof err)) != 0) {
            if (r < 0)
                status = cli_usage_error("crawl", "%s", err);
            i += takes;
        } else if (strcmp(a, "--sitemap") == 0 && v) {
            if (!url_is_http(v))
                status = cli_usage_error("crawl", "--sitemap needs an http(s) URL, got '%s'", v);
            sitemaps[o.n_sitemaps++] = v;
            i++;
        } else if ((r = cli_part_flag(&part, a, v, &takes)) != 0) {
            if (r < 0)
                status = cli_usage_error("crawl", "%s needs a value (--part I/N or auto, --part-count N)", a);
            i += takes;
        } else if ((r = crawl_flag(&o, argc, argv, &i)) != 0) {
            if (r < 0)
                status = -r;
        } else if (strcmp(a, "--retry-failed") == 0) {
            o.retry_failed = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else {
            status = cli_usage_error("crawl", "unknown option or missing value: '%s'", a);
        }
    }
    if (status == EXIT_OK && !o.out_dir)
        status = cli_usage_error("crawl", "missing -o DIR");
    if (status == EXIT_OK && pipeline_options_check(&o.images, err, sizeof err) != 0)
        status = cli_usage_error("crawl", "%s", err);
    if (status == EXIT_OK && o.n_seeds == 0 && o.n_sitemaps == 0)
        status = cli_usage_error("crawl", "no seeds given (page URLs, seed files or --sitemap URL)");
    if (status == EXIT_OK)
        status = cli_part_resolve("crawl", &part, &o.part);
    for (int k = 0; k < o.n_seeds && status == EXIT_OK; k++)
        if (!url_is_http(seeds[k]) && strcmp(seeds[k], "-") != 0 && access(seeds[k], R_OK) != 0)
            status = cli_usage_error("crawl", "seed '%s' is neither an http(s) URL nor a readable file", seeds[k]);
    if (status != EXIT_OK) {
        free(seeds);
        free(sitemaps);
        return status;
    }
    o.seeds = seeds;
    o.sitemaps = sitemaps;
    cli_progress prog;
    ccbuf args = {0};
    cli_run_options(&o.run, &prog, quiet, argc, argv, &args);
    o.run.stop = cli_catch_signals();
    if (o.run.progress) { /* the crawl's own line: pages, images, politeness */
        o.progress = cli_progress_crawl;
        o.progress_ctx = &prog;
    }

    crawl_result res;
    cc_err rc = pipeline_crawl(&o, &res, err, sizeof err);
    status = rc == CC_OK ? EXIT_OK : cli_fail("crawl", "%s", err);
    if (res.ran) {
        ccbuf js = {0};
        crawl_result_json(&res, &js);
        printf("%s\n", (const char *)js.data);
        ccbuf_free(&js);
    }
    if (res.stopped && status == EXIT_OK)
        status = EXIT_FAIL;
    /* Nothing to crawl from: every seed failed (this run or before). */
    if (status == EXIT_OK && res.ran && res.seeds > 0 && res.seeds_fetched == 0 && res.pages_queued == 0)
        status = cli_fail("crawl", "every seed failed: %s", res.seed_failures);
    ccbuf_free(&args);
    free(seeds);
    free(sitemaps);
    return status;
}
