/* phash.c — DCT perceptual hash (see phash.h). */
#include "phash.h"
#include "resample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 32

/* Luma of one pixel in any mode, alpha composited on white. */
static unsigned char luma(const img_image *im, const unsigned char *p)
{
    int r, g, b, a = 255;
    switch (im->mode) {
    case IMG_MODE_L: return p[0];
    case IMG_MODE_LA: r = g = b = p[0]; a = p[1]; break;
    case IMG_MODE_RGB: r = p[0]; g = p[1]; b = p[2]; break;
    case IMG_MODE_RGBA: r = p[0]; g = p[1]; b = p[2]; a = p[3]; break;
    case IMG_MODE_P: {
        const unsigned char *e = im->palette_rgba + 4 * p[0];
        r = e[0]; g = e[1]; b = e[2]; a = e[3];
        break;
    }
    default: return 0;
    }
    if (a != 255) {
        r = (a * r + 255 * (255 - a) + 127) / 255;
        g = (a * g + 255 * (255 - a) + 127) / 255;
        b = (a * b + 255 * (255 - a) + 127) / 255;
    }
    return (unsigned char)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16); /* Pillow's L */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

uint64_t img_phash64(const img_image *im)
{
    if (!im || !im->pixels || im->width <= 0 || im->height <= 0 || im->channels < 1)
        return 0;
    size_t npix = (size_t)im->width * im->height;
    unsigned char *gray = malloc(npix);
    if (!gray)
        abort();
    for (size_t i = 0; i < npix; i++)
        gray[i] = luma(im, im->pixels + i * im->channels);
    unsigned char small[N * N];
    cc_resample(gray, im->width, im->height, 1, small, N, N, CC_FILTER_LANCZOS, NULL, 0);
    free(gray);

    /* DCT-II; only the 9 lowest frequencies per axis are needed. */
    double cosv[9][N];
    for (int u = 0; u < 9; u++)
        for (int x = 0; x < N; x++)
            cosv[u][x] = cos(M_PI * (2 * x + 1) * u / (2.0 * N));
    double rows[N][9]; /* rows[y][v] = sum_x small[y][x] cos_v(x) */
    for (int y = 0; y < N; y++)
        for (int v = 0; v < 9; v++) {
            double s = 0;
            for (int x = 0; x < N; x++)
                s += small[y * N + x] * cosv[v][x];
            rows[y][v] = s;
        }
    double coef[64], sorted[64];
    for (int u = 1; u < 9; u++)
        for (int v = 1; v < 9; v++) {
            double s = 0;
            for (int y = 0; y < N; y++)
                s += rows[y][v] * cosv[u][y];
            coef[(u - 1) * 8 + (v - 1)] = s;
        }
    memcpy(sorted, coef, sizeof coef);
    qsort(sorted, 64, sizeof(double), cmp_double);
    double med = (sorted[31] + sorted[32]) / 2;
    uint64_t h = 0;
    for (int i = 0; i < 64; i++)
        if (coef[i] > med)
            h |= (uint64_t)1 << i;
    return h;
}

int img_hamming64(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}

int img_phash_nbands(int max_distance)
{
    return max_distance + 1 < 1 ? 1 : max_distance + 1 > 16 ? 16 : max_distance + 1;
}

int64_t img_phash_band(uint64_t h, int band, int nbands)
{
    unsigned bits = (unsigned)((64 + nbands - 1) / nbands), shift = (unsigned)band * bits;
    if (shift >= 64)
        return 0;
    uint64_t v = h >> shift;
    if (bits < 64)
        v &= ((uint64_t)1 << bits) - 1;
    return (int64_t)v;
}
