/* make-photos — writes N deterministic photo-like JPEGs for benchmarks and
 * the demo site.
 *
 *   make-photos [--small] OUTDIR N SEED
 *
 * Files are OUTDIR/img_00000.jpg ... Sizes cycle 320x240 ... 1600x1200
 * (every fifth portrait), quality 90, 4:2:0: about 30-400 KB each. With
 * --small: 160x120 ... 400x300 at quality 80, about 5-25 KB. The same
 * arguments always give the same bytes. */
#include "common.h"
#include "image.h"
#include "photogen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: make-photos [--small] OUTDIR N SEED\n");
    return 2;
}

int main(int argc, char **argv)
{
    int small = 0, ai = 1;
    if (ai < argc && strcmp(argv[ai], "--small") == 0) {
        small = 1;
        ai++;
    }
    if (argc - ai != 3)
        return usage();
    const char *dir = argv[ai];
    char *end;
    long n = strtol(argv[ai + 1], &end, 10);
    if (*end || n < 0 || n > 10000000) {
        fprintf(stderr, "make-photos: bad N '%s'\n", argv[ai + 1]);
        return 2;
    }
    unsigned long long seed = strtoull(argv[ai + 2], &end, 10);
    if (*end) {
        fprintf(stderr, "make-photos: bad SEED '%s'\n", argv[ai + 2]);
        return 2;
    }
    if (cc_mkdirs(dir, 0755) != 0) {
        fprintf(stderr, "make-photos: cannot create %s\n", dir);
        return 1;
    }
    ccbuf b = {0};
    char err[256];
    size_t total = 0;
    for (long i = 0; i < n; i++) {
        img_image im = {0};
        photogen_size((int)i, small, &im.width, &im.height);
        im.mode = IMG_MODE_RGB;
        im.channels = 3;
        im.pixels = xmalloc((size_t)im.width * im.height * 3);
        photogen_make(im.width, im.height, seed * 1000003ull + (unsigned long long)i, im.pixels);
        ccbuf_reset(&b);
        if (img_encode(&im, ENC_JPG, small ? 80 : 90, &b, err, sizeof err) != CC_OK) {
            fprintf(stderr, "make-photos: %s\n", err);
            return 1;
        }
        img_image_free(&im);
        char path[4096];
        snprintf(path, sizeof path, "%s/img_%05ld.jpg", dir, i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
            fprintf(stderr, "make-photos: cannot write %s\n", path);
            return 1;
        }
        total += b.len;
    }
    fprintf(stderr, "make-photos: %ld images, %.1f KB average\n", n, n ? total / 1024.0 / n : 0.0);
    ccbuf_free(&b);
    return 0;
}
