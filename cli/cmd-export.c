/* cmd-export.c — clipcrawl export DIR -o OUT [selection]: the selected
 * samples as a new dataset (pipeline/export.h). */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "dataset.h"
#include "export.h"
#include "semantic.h"

const char export_usage[] =
    "usage: clipcrawl export DIR -o OUT [--where EXPR] [--fts WORDS] [--status S]\n"
    "                        [--min-clip-score X] [--text WORDS|--image FILE|--similar KEY --k N]\n"
    "                        [--shuffle [--seed N]] [--samples-per-shard N] [-q]\n"
    "                        [--image-size N] [--resize-mode M] [--resize-only-if-bigger]\n"
    "                        [--encode-format F] [--encode-quality Q]\n"
    "  Writes the selected samples as a new dataset in OUT: shards and index, image\n"
    "  bytes copied exactly as stored, KEY.json rebuilt for the new key with\n"
    "  source_key and clip_score. The selection options are query's; default: every\n"
    "  accepted sample. Order: key order (semantic: best first); --shuffle orders\n"
    "  them by --seed (default 0), the same order on every run. Killed and run\n"
    "  again with the same options, it copies only what is missing. OUT records\n"
    "  the source directory (inputs), the selection (runs.args) and the image\n"
    "  settings (runs.settings); another selection or other image settings into\n"
    "  the same OUT are refused. Prints one JSON line of counts.\n"
    "re-encoding (any of these flags; the others then take fetch's defaults):\n"
    "  --image-size N         target size (256)\n"
    "  --resize-mode M        no|border|keep_ratio|keep_ratio_largest|center_crop (border)\n"
    "  --resize-only-if-bigger  leave images that are not bigger than --image-size as they are\n"
    "  --encode-format F      jpg|png|webp (jpg)\n"
    "  --encode-quality Q     1..100 for jpg/webp (95), 0..9 for png (6)\n"
    "  Each image is decoded, resized and encoded as fetch does it; width, height\n"
    "  and the member's extension follow, original_width/height and sha256 (of the\n"
    "  download) stay the source's.\n";

int cmd_export(int argc, char **argv)
{
    if (cli_wants_help("export", argc, argv))
        return EXIT_OK;
    export_options o = {0};
    pipeline_options img; /* fetch's image flags, parsed by the same parser */
    pipeline_options_init(&img);
    semantic_opts sem;
    semantic_opts_init(&sem);
    ccbuf sel = {0}; /* the selection as typed, recorded in OUT */
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int start = i;
        int r = semantic_opt("export", &sem, argc, argv, &i);
        if (r < 0)
            return EXIT_USAGE;
        if (r == 0) {
            char ierr[256];
            int takes = 0;
            int ir = pipeline_image_option(&img, a, i + 1 < argc ? argv[i + 1] : NULL, &takes, ierr, sizeof ierr);
            if (ir < 0) {
                ccbuf_free(&sel);
                return cli_usage_error("export", "%s", ierr);
            }
            if (ir > 0) { /* recorded as settings, not as part of the selection */
                i += takes;
                continue;
            }
            if (strcmp(a, "--shuffle") == 0) {
                o.shuffle = 1;
            } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
                quiet = 1;
                continue;
            } else if (a[0] != '-' || !a[1]) {
                if (o.src_dir)
                    return cli_usage_error("export", "unexpected argument '%s'", a);
                o.src_dir = a;
                continue;
            } else {
                if (i + 1 >= argc)
                    return cli_usage_error("export", "%s needs a value", a);
                const char *v = argv[++i];
                long n;
                if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
                    o.out_dir = v;
                    continue;
                } else if (strcmp(a, "--where") == 0)
                    o.sel.where = v;
                else if (strcmp(a, "--fts") == 0)
                    o.sel.fts = v;
                else if (strcmp(a, "--status") == 0)
                    o.sel.status = v;
                else if (strcmp(a, "--min-clip-score") == 0) {
                    if (cli_parse_double(v, &o.sel.min_clip_score) != 0)
                        return cli_usage_error("export", "bad --min-clip-score '%s' (a number)", v);
                    o.sel.has_min_clip_score = 1;
                } else if (strcmp(a, "--seed") == 0) {
                    if (cli_parse_long(v, 0, 1L << 62, &n) != 0)
                        return cli_usage_error("export", "bad --seed '%s' (a number >= 0)", v);
                    o.seed = (uint64_t)n;
                } else if (strcmp(a, "--samples-per-shard") == 0) {
                    if (cli_parse_long(v, 1, DATASET_MAX_SAMPLES_PER_SHARD, &n) != 0)
                        return cli_usage_error("export", "bad --samples-per-shard '%s' (1..%d)", v,
                                               DATASET_MAX_SAMPLES_PER_SHARD);
                    o.samples_per_shard = (int)n;
                } else
                    return cli_usage_error("export", "unknown option '%s'", a);
            }
        }
        for (int k = start; k <= i; k++) {
            if (sel.len)
                ccbuf_putc(&sel, ' ');
            ccbuf_puts(&sel, argv[k]);
        }
    }
    if (!o.src_dir || !o.out_dir) {
        ccbuf_free(&sel);
        return cli_usage_error("export", "needs DIR and -o OUT");
    }
    if (semantic_check("export", &sem) != 0) {
        ccbuf_free(&sel);
        return EXIT_USAGE;
    }
    if (o.sel.status && strcmp(o.sel.status, "all") != 0 && dataset_status_parse(o.sel.status) < 0) {
        ccbuf_free(&sel);
        return cli_usage_error("export", "bad --status '%s' (accepted, rejected, failed, optout or all)", o.sel.status);
    }
    if (!sel.len)
        ccbuf_puts(&sel, "(all accepted samples)");
    o.selection = (const char *)sel.data;
    o.progress = !quiet;
    if (img.resize_flags_given)
        o.reencode = &img;
    int status = EXIT_OK;
    dataset_hit *hits = NULL;
    if (semantic_active(&sem)) {
        char err[512];
        dataset *ds = dataset_open_readonly(o.src_dir, err, sizeof err);
        if (!ds) {
            ccbuf_free(&sel);
            return cli_fail("export", "%s", err);
        }
        status = semantic_search("export", ds, &sem, &o.sel, &hits, &o.nhits);
        dataset_close(ds, 0, NULL, 0);
        o.hits = hits;
        if (status == EXIT_OK && o.nhits == 0)
            status = cli_fail("export", "%s: the semantic search found nothing to export", o.src_dir);
    }
    if (status == EXIT_OK) {
        export_counts c;
        char err[768];
        if (export_run(&o, &c, err, sizeof err) != 0) {
            status = cli_fail("export", "%s", err);
        } else {
            printf("{\"selected\":%lld,\"written\":%lld,\"already\":%lld,\"seconds\":%.3f,\"per_second\":%.1f}\n",
                   (long long)c.selected, (long long)c.written, (long long)c.already, c.seconds,
                   c.seconds > 0 ? (double)c.written / c.seconds : 0.0);
            if (fflush(stdout) != 0)
                status = cli_fail("export", "cannot write to stdout");
        }
    }
    free(hits);
    ccbuf_free(&sel);
    return status;
}
