/* resample.c — Pillow's separable resampling in fixed point (see resample.h).
 *
 * Built with -ffp-contract=off (common/meson.build): the weights must round as
 * Pillow's do, which a fused multiply-add would change on targets that have
 * one. The passes themselves are integer maths, identical on every path. */
#include "resample.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PRECISION_BITS (32 - 8 - 2)

/* The two passes are the hot loops: ask for full vectorisation (the build's
 * -O2 uses GCC's "very cheap" vectoriser model, which skips them) and an AVX2
 * clone picked at load time on x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define HOT_LOOP __attribute__((optimize("O3"), target_clones("avx2", "default")))
#endif
#endif
#ifndef HOT_LOOP
#if defined(__clang__)
#define HOT_LOOP
#else
#define HOT_LOOP __attribute__((optimize("O3")))
#endif
#endif

/* ---- Pillow's kernels ----------------------------------------------------- */

static double box_filter(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }
static double bilinear_filter(double x)
{
    if (x < 0.0)
        x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}
static double hamming_filter(double x)
{
    if (x < 0.0)
        x = -x;
    if (x == 0.0)
        return 1.0;
    if (x >= 1.0)
        return 0.0;
    x = x * M_PI;
    return sin(x) / x * (0.54f + 0.46f * cos(x)); /* float constants, as Pillow has them */
}
static double bicubic_filter(double x)
{
    const double a = -0.5;
    if (x < 0.0)
        x = -x;
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}
static double sinc_filter(double x)
{
    if (x == 0.0)
        return 1.0;
    x = x * M_PI;
    return sin(x) / x;
}
static double lanczos_filter(double x)
{
    if (-3.0 <= x && x < 3.0)
        return sinc_filter(x) * sinc_filter(x / 3);
    return 0.0;
}

static const struct {
    double (*fn)(double);
    double support;
} filters[] = {
    [CC_FILTER_BOX] = {box_filter, 0.5},         [CC_FILTER_BILINEAR] = {bilinear_filter, 1.0},
    [CC_FILTER_HAMMING] = {hamming_filter, 1.0}, [CC_FILTER_BICUBIC] = {bicubic_filter, 2.0},
    [CC_FILTER_LANCZOS] = {lanczos_filter, 3.0},
};

/* ---- coefficients ----------------------------------------------------------- */

typedef struct {
    int ksize;   /* weights stored per output */
    int *xmin;   /* first source index per output */
    int *n;      /* taps used per output */
    int32_t *k;  /* fixed-point weights, ksize per output (unused ones 0) */
} taps;

/* Weights for outputs [o0, o0+count) of a resize in_size -> out_size. */
static void taps_make(taps *t, int in_size, int out_size, int o0, int count, cc_filter filter)
{
    double (*fn)(double) = filters[filter].fn;
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = filters[filter].support * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    t->ksize = ksize;
    t->xmin = xmalloc(sizeof(int) * (size_t)count);
    t->n = xmalloc(sizeof(int) * (size_t)count);
    t->k = xcalloc((size_t)count * (size_t)ksize, sizeof(int32_t));
    double *w = xmalloc(sizeof(double) * (size_t)ksize);
    for (int i = 0; i < count; i++) {
        double center = (o0 + i + 0.5) * scale;
        double ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size)
            xmax = in_size;
        xmax -= xmin;
        if (xmax > ksize)
            xmax = ksize; /* cannot happen; keeps the writes in bounds regardless */
        for (int x = 0; x < xmax; x++) {
            double v = fn((x + xmin - center + 0.5) * ss);
            w[x] = v;
            ww += v;
        }
        for (int x = 0; x < xmax; x++)
            if (ww != 0.0)
                w[x] /= ww;
        int32_t *k = t->k + (size_t)i * ksize;
        for (int x = 0; x < xmax; x++)
            k[x] = w[x] < 0 ? (int32_t)(-0.5 + w[x] * (1 << PRECISION_BITS))
                            : (int32_t)(0.5 + w[x] * (1 << PRECISION_BITS));
        t->xmin[i] = xmin;
        t->n[i] = xmax > 0 ? xmax : 0;
    }
    free(w);
}

static void taps_free(taps *t)
{
    free(t->xmin);
    free(t->n);
    free(t->k);
}

/* The source range [*lo, *hi) the outputs of t read. */
static void taps_span(const taps *t, int count, int *lo, int *hi)
{
    *lo = t->xmin[0];
    *hi = 0;
    for (int i = 0; i < count; i++) {
        if (t->xmin[i] < *lo)
            *lo = t->xmin[i];
        if (t->xmin[i] + t->n[i] > *hi)
            *hi = t->xmin[i] + t->n[i];
    }
    if (*hi <= *lo)
        *hi = *lo + 1;
}

static inline unsigned char clip8(int32_t v)
{
    if (v >= (1 << PRECISION_BITS << 8))
        return 255;
    if (v <= 0)
        return 0;
    return (unsigned char)(v >> PRECISION_BITS);
}

/* ---- the passes ------------------------------------------------------------- */

/* Horizontal pass over `rows` rows of src (sstride bytes apart; t->xmin
 * relative to src), C channels known at compile time, count outputs a row
 * into dst (count*C bytes a row). */
static inline __attribute__((always_inline)) void hpass_c(const unsigned char *src, size_t sstride, int rows,
                                                          const int C, const taps *t, int count,
                                                          unsigned char *dst)
{
    for (int y = 0; y < rows; y++) {
        const unsigned char *s = src + (size_t)y * sstride;
        unsigned char *d = dst + (size_t)y * count * C;
        for (int i = 0; i < count; i++) {
            const int32_t *k = t->k + (size_t)i * t->ksize;
            const unsigned char *p = s + (size_t)t->xmin[i] * C;
            int n = t->n[i];
            int32_t acc[4] = {1 << (PRECISION_BITS - 1), 1 << (PRECISION_BITS - 1), 1 << (PRECISION_BITS - 1),
                              1 << (PRECISION_BITS - 1)};
            for (int x = 0; x < n; x++)
                for (int c = 0; c < C; c++)
                    acc[c] += p[x * C + c] * k[x];
            for (int c = 0; c < C; c++)
                d[i * C + c] = clip8(acc[c]);
        }
    }
}

HOT_LOOP static void hpass(const unsigned char *src, size_t sstride, int rows, int C, const taps *t, int count,
                           unsigned char *dst)
{
    switch (C) {
    case 1: hpass_c(src, sstride, rows, 1, t, count, dst); break;
    case 2: hpass_c(src, sstride, rows, 2, t, count, dst); break;
    case 3: hpass_c(src, sstride, rows, 3, t, count, dst); break;
    default: hpass_c(src, sstride, rows, 4, t, count, dst); break;
    }
}

/* Vertical pass: src holds source rows from row0 on (sstride bytes apart),
 * rowbytes bytes of each are used; count output rows into dst (rowbytes
 * apart). acc holds rowbytes int32. */
HOT_LOOP static void vpass(const unsigned char *src, size_t sstride, int row0, size_t rowbytes, const taps *t,
                           int count, unsigned char *dst, int32_t *acc)
{
    for (int i = 0; i < count; i++) {
        const int32_t *k = t->k + (size_t)i * t->ksize;
        for (size_t e = 0; e < rowbytes; e++)
            acc[e] = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < t->n[i]; y++) {
            const unsigned char *s = src + (size_t)(t->xmin[i] + y - row0) * sstride;
            int32_t ky = k[y];
            for (size_t e = 0; e < rowbytes; e++)
                acc[e] += s[e] * ky;
        }
        unsigned char *d = dst + (size_t)i * rowbytes;
        for (size_t e = 0; e < rowbytes; e++)
            d[e] = clip8(acc[e]);
    }
}

/* ---- alpha: Pillow's RGBA -> RGBa -> RGBA ---------------------------------- */

static inline unsigned char premul(unsigned c, unsigned a)
{
    unsigned t = c * a + 128; /* MULDIV255 */
    return (unsigned char)((t + (t >> 8)) >> 8);
}

static inline unsigned char unpremul(unsigned c, unsigned a)
{
    if (a == 0 || a == 255)
        return (unsigned char)c;
    unsigned v = 255 * c / a;
    return (unsigned char)(v > 255 ? 255 : v);
}

cc_err cc_resample(const unsigned char *src, int sw, int sh, int C, unsigned char *dst, int dw, int dh,
                   cc_filter filter, const cc_rect *window, unsigned flags)
{
    if (!src || !dst || sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 || C < 1 || C > 4 ||
        (unsigned)filter > CC_FILTER_LANCZOS || (flags & ~(unsigned)CC_RESAMPLE_ALPHA) ||
        ((flags & CC_RESAMPLE_ALPHA) && C < 2))
        return CC_ERR_USAGE;
    cc_rect win = window ? *window : (cc_rect){0, 0, dw, dh};
    if (win.w <= 0 || win.h <= 0 || win.x < 0 || win.y < 0 || win.x > dw - win.w || win.y > dh - win.h)
        return CC_ERR_USAGE;
    size_t sstride = (size_t)sw * C, rowbytes = (size_t)win.w * C;
    int need_h = dw != sw, need_v = dh != sh;
    if (!need_h && !need_v) {
        for (int y = 0; y < win.h; y++)
            memcpy(dst + (size_t)y * rowbytes, src + (size_t)(win.y + y) * sstride + (size_t)win.x * C, rowbytes);
        return CC_OK;
    }
    /* The source region the window reads: rows [r0, r1), columns [c0, c1). */
    taps tv = {0}, th = {0};
    int r0 = win.y, r1 = win.y + win.h, c0 = win.x, c1 = win.x + win.w;
    if (need_v) {
        taps_make(&tv, sh, dh, win.y, win.h, filter);
        taps_span(&tv, win.h, &r0, &r1);
    }
    if (need_h) {
        taps_make(&th, sw, dw, win.x, win.w, filter);
        taps_span(&th, win.w, &c0, &c1);
        for (int i = 0; i < win.w; i++)
            th.xmin[i] -= c0;
    }
    int rows = r1 - r0, cols = c1 - c0;
    const unsigned char *region = src + (size_t)r0 * sstride + (size_t)c0 * C;
    size_t rstride = sstride;
    unsigned char *pre = NULL;
    if (flags & CC_RESAMPLE_ALPHA) {
        pre = xmalloc((size_t)rows * cols * C);
        for (int y = 0; y < rows; y++) {
            const unsigned char *p = region + (size_t)y * rstride;
            unsigned char *q = pre + (size_t)y * cols * C;
            for (int x = 0; x < cols; x++, p += C, q += C) {
                unsigned a = p[C - 1];
                for (int c = 0; c < C - 1; c++)
                    q[c] = premul(p[c], a);
                q[C - 1] = (unsigned char)a;
            }
        }
        region = pre;
        rstride = (size_t)cols * C;
    }
    if (need_h && need_v) {
        unsigned char *tmp = xmalloc((size_t)rows * rowbytes);
        int32_t *acc = xmalloc(sizeof(int32_t) * rowbytes);
        hpass(region, rstride, rows, C, &th, win.w, tmp);
        vpass(tmp, rowbytes, r0, rowbytes, &tv, win.h, dst, acc);
        free(acc);
        free(tmp);
    } else if (need_h) {
        hpass(region, rstride, rows, C, &th, win.w, dst);
    } else {
        int32_t *acc = xmalloc(sizeof(int32_t) * rowbytes);
        vpass(region, rstride, r0, rowbytes, &tv, win.h, dst, acc);
        free(acc);
    }
    free(pre);
    if (need_v)
        taps_free(&tv);
    if (need_h)
        taps_free(&th);
    if (flags & CC_RESAMPLE_ALPHA)
        for (size_t i = 0; i < (size_t)win.w * win.h; i++) {
            unsigned char *p = dst + i * C;
            for (int c = 0; c < C - 1; c++)
                p[c] = unpremul(p[c], p[C - 1]);
        }
    return CC_OK;
}
