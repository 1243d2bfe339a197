/* bench_image — CPU milliseconds per sample for the fetch pipeline's image
 * work: decode (+DCT scaling) + resize 256 keep_ratio + encode jpg q95, beside
 * a baseline in the same run (full-size decode, same resize and encode).
 *
 *   bench_image [--dir DIR] [--n N] [--rounds R] [--size S]
 *
 * Without --dir it makes N photo-like JPEGs in memory (photogen, q90, the
 * make-photos cycle 320x240 ... 1600x1200). Reports the median over rounds of
 * the per-sample thread CPU time, overall and per input size. Defaults keep
 * a `meson test --benchmark` smoke run short (N=7, R=3). */
#include "common.h"
#include "image.h"
#include "photogen.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    ccbuf bytes;
    int w, h;
} input;

/* One sample through the pipeline; returns CPU seconds, or -1 on error. */
static double run_one(const input *in, int size, int scaled, ccbuf *out, double *t_dec, double *t_res, double *t_enc)
{
    char err[256];
    img_image im;
    double t0 = thread_cpu();
    if (img_decode_rgb(in->bytes.data, in->bytes.len, 89478484, scaled ? size : 0, &im, err, sizeof err) != CC_OK) {
        fprintf(stderr, "bench_image: decode: %s\n", err);
        return -1;
    }
    double t1 = thread_cpu();
    img_resize(&im, size, RESIZE_KEEP_RATIO, err, sizeof err);
    double t2 = thread_cpu();
    ccbuf_reset(out);
    img_encode(&im, ENC_JPG, 95, out, err, sizeof err);
    double t3 = thread_cpu();
    img_image_free(&im);
    *t_dec += t1 - t0;
    *t_res += t2 - t1;
    *t_enc += t3 - t2;
    return t3 - t0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int n = 7, rounds = 3, size = 256;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc)
            size = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_image [--dir DIR] [--n N] [--rounds R] [--size S]\n");
            return 2;
        }
    }
    if (n < 1 || rounds < 1 || size < 1) {
        fprintf(stderr, "bench_image: bad --n/--rounds/--size\n");
        return 2;
    }
    input *ins = xcalloc((size_t)n, sizeof *ins);
    int count = 0;
    char err[256];
    if (dir) {
        DIR *d = opendir(dir);
        if (!d) {
            fprintf(stderr, "bench_image: cannot open %s\n", dir);
            return 1;
        }
        struct dirent *e;
        char **names = NULL;
        int nn = 0;
        while ((e = readdir(d)))
            if (strstr(e->d_name, ".jpg")) {
                names = xrealloc(names, sizeof(char *) * (nn + 1));
                names[nn++] = xasprintf("%s/%s", dir, e->d_name);
            }
        closedir(d);
        qsort(names, nn, sizeof(char *), (int (*)(const void *, const void *))strcmp);
        for (int i = 0; i < nn; i++) {
            if (count < n && cc_read_file(names[i], &ins[count].bytes) == CC_OK &&
                img_probe(ins[count].bytes.data, ins[count].bytes.len, NULL, &ins[count].w, &ins[count].h, err,
                          sizeof err) == CC_OK)
                count++;
            free(names[i]);
        }
        free(names);
    } else {
        for (int i = 0; i < n; i++) {
            img_image im = {0};
            photogen_size(i, 0, &im.width, &im.height);
            im.mode = IMG_MODE_RGB;
            im.channels = 3;
            im.pixels = xmalloc((size_t)im.width * im.height * 3);
            photogen_make(im.width, im.height, 7000 + i, im.pixels);
            img_encode(&im, ENC_JPG, 90, &ins[i].bytes, err, sizeof err);
            ins[i].w = im.width;
            ins[i].h = im.height;
            img_image_free(&im);
            count++;
        }
    }
    if (count == 0) {
        fprintf(stderr, "bench_image: no inputs\n");
        return 1;
    }
    double kb = 0;
    for (int i = 0; i < count; i++)
        kb += ins[i].bytes.len / 1024.0;
    printf("bench_image: %d JPEGs (%.0f KB average), resize %d keep_ratio, encode jpg q95, %d rounds, 1 thread\n", count,
           kb / count, size, rounds);
    ccbuf out = {0};
    double *per = xmalloc(sizeof(double) * (size_t)rounds * count);
    for (int mode = 1; mode >= 0; mode--) {
        double *med_img = xmalloc(sizeof(double) * count);
        double td = 0, tr = 0, te = 0;
        double *rr = xmalloc(sizeof(double) * rounds);
        for (int i = 0; i < count; i++) {
            for (int r = 0; r < rounds; r++) {
                double t = run_one(&ins[i], size, mode, &out, &td, &tr, &te);
                if (t < 0)
                    return 1;
                rr[r] = t;
                per[(size_t)r * count + i] = t;
            }
            qsort(rr, rounds, sizeof(double), cmp_d);
            med_img[i] = rr[rounds / 2];
        }
        /* median over rounds of the mean per-sample time of that round */
        for (int r = 0; r < rounds; r++) {
            double s = 0;
            for (int i = 0; i < count; i++)
                s += per[(size_t)r * count + i];
            rr[r] = s / count;
        }
        qsort(rr, rounds, sizeof(double), cmp_d);
        double tot = (td + tr + te) / ((double)rounds * count);
        printf("%-22s %.2f CPU-ms/sample (median of %d rounds; decode %.2f, resize %.2f, encode %.2f)\n",
               mode ? "DCT-scaled decode:" : "baseline full decode:", rr[rounds / 2] * 1e3, rounds,
               td / ((double)rounds * count) * 1e3, tr / ((double)rounds * count) * 1e3,
               te / ((double)rounds * count) * 1e3);
        (void)tot;
        for (int i = 0; i < count && i < 7; i++)
            printf("    %4dx%-4d %6.1f KB  %.2f ms\n", ins[i].w, ins[i].h, ins[i].bytes.len / 1024.0, med_img[i] * 1e3);
        free(med_img);
        free(rr);
    }
    free(per);
    ccbuf_free(&out);
    for (int i = 0; i < count; i++)
        ccbuf_free(&ins[i].bytes);
    free(ins);
    return 0;
}
