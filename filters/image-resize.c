/* image-resize.c — separable resampling (Pillow's algorithm, fixed point) and
 * img2dataset's resize modes.
 *
 * Coefficients are computed once per call in double, normalised to sum 1 and
 * stored as int32 with 22 fraction bits, exactly as Pillow's Resample.c does,
 * so img_resample() is bit-exact with Image.resize(). The horizontal pass runs
 * first over only the rows the vertical pass needs (as Pillow); the vertical
 * pass is a plain multiply-accumulate over whole rows that the compiler
 * vectorises. */
#include "image.h"
#include "image-internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PRECISION_BITS (32 - 8 - 2)

/* The two passes are the hot loops: ask for full vectorisation (the build's
 * -O2 uses GCC's "very cheap" vectoriser model, which skips them) and an AVX2
 * clone picked at load time on x86-64. Integer maths: results are identical
 * on every path. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define HOT_LOOP __attribute__((optimize("O3"), target_clones("avx2", "default")))
#endif
#endif
#ifndef HOT_LOOP
#define HOT_LOOP __attribute__((optimize("O3")))
#endif

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
    return sin(x) / x * (0.54f + 0.46f * cos(x));
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

typedef struct {
    double (*fn)(double);
    double support;
} filter_def;

static const filter_def filters[] = {
    [IMG_FILTER_BOX] = {box_filter, 0.5},         [IMG_FILTER_BILINEAR] = {bilinear_filter, 1.0},
    [IMG_FILTER_HAMMING] = {hamming_filter, 1.0}, [IMG_FILTER_BICUBIC] = {bicubic_filter, 2.0},
    [IMG_FILTER_LANCZOS] = {lanczos_filter, 3.0},
};

typedef struct {
    int ksize;
    int *bounds;   /* per output: xmin, count */
    int32_t *k;    /* per output: ksize coefficients */
} taps;

static void taps_make(taps *t, int insize, int outsize, const filter_def *f)
{
    double scale = (double)insize / outsize;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = f->support * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    double *kk = xmalloc(sizeof(double) * (size_t)ksize);
    t->ksize = ksize;
    t->bounds = xmalloc(sizeof(int) * 2 * (size_t)outsize);
    t->k = xmalloc(sizeof(int32_t) * (size_t)ksize * outsize);
    for (int xx = 0; xx < outsize; xx++) {
        double center = (xx + 0.5) * scale;
        double ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > insize)
            xmax = insize;
        xmax -= xmin;
        int x;
        for (x = 0; x < xmax; x++) {
            double w = f->fn((x + xmin - center + 0.5) * ss);
            kk[x] = w;
            ww += w;
        }
        for (x = 0; x < xmax; x++)
            if (ww != 0.0)
                kk[x] /= ww;
        int32_t *k = t->k + (size_t)xx * ksize;
        for (x = 0; x < ksize; x++) {
            double v = x < xmax ? kk[x] : 0.0;
            k[x] = v < 0 ? (int32_t)(-0.5 + v * (1 << PRECISION_BITS)) : (int32_t)(0.5 + v * (1 << PRECISION_BITS));
        }
        t->bounds[2 * xx] = xmin;
        t->bounds[2 * xx + 1] = xmax;
    }
    free(kk);
}

static void taps_free(taps *t)
{
    free(t->bounds);
    free(t->k);
}

static inline unsigned char clip8(int32_t in)
{
    if (in >= (1 << PRECISION_BITS << 8))
        return 255;
    if (in <= 0)
        return 0;
    return (unsigned char)(in >> PRECISION_BITS);
}

/* Horizontal pass with the channel count known at compile time. */
static inline __attribute__((always_inline)) void hpass_c(const unsigned char *src, int sw, int rows, int C,
                                                          unsigned char *dst, int dw, const taps *t)
{
    (void)sw;
    for (int y = 0; y < rows; y++) {
        const unsigned char *in = src + (size_t)y * sw * C;
        unsigned char *out = dst + (size_t)y * dw * C;
        for (int xx = 0; xx < dw; xx++) {
            int xmin = t->bounds[2 * xx], n = t->bounds[2 * xx + 1];
            const int32_t *k = t->k + (size_t)xx * t->ksize;
            const unsigned char *p = in + (size_t)xmin * C;
            int32_t s[4] = {1 << (PRECISION_BITS - 1), 1 << (PRECISION_BITS - 1), 1 << (PRECISION_BITS - 1),
                            1 << (PRECISION_BITS - 1)};
            for (int x = 0; x < n; x++)
                for (int c = 0; c < C; c++)
                    s[c] += p[x * C + c] * k[x];
            for (int c = 0; c < C; c++)
                out[xx * C + c] = clip8(s[c]);
        }
    }
}

HOT_LOOP static void hpass(const unsigned char *src, int sw, int rows, int C, unsigned char *dst, int dw, const taps *t)
{
    switch (C) {
    case 1: hpass_c(src, sw, rows, 1, dst, dw, t); break;
    case 2: hpass_c(src, sw, rows, 2, dst, dw, t); break;
    case 3: hpass_c(src, sw, rows, 3, dst, dw, t); break;
    default: hpass_c(src, sw, rows, 4, dst, dw, t); break;
    }
}

/* Vertical pass: src rows are offset so that bounds index them directly. */
HOT_LOOP static void vpass(const unsigned char *src, size_t rowbytes, int row0, unsigned char *dst, int dh, const taps *t,
                  int32_t *acc)
{
    for (int yy = 0; yy < dh; yy++) {
        int ymin = t->bounds[2 * yy] - row0, n = t->bounds[2 * yy + 1];
        const int32_t *k = t->k + (size_t)yy * t->ksize;
        for (size_t i = 0; i < rowbytes; i++)
            acc[i] = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < n; y++) {
            const unsigned char *in = src + (size_t)(ymin + y) * rowbytes;
            int32_t ky = k[y];
            for (size_t i = 0; i < rowbytes; i++)
                acc[i] += in[i] * ky;
        }
        unsigned char *out = dst + (size_t)yy * rowbytes;
        for (size_t i = 0; i < rowbytes; i++)
            out[i] = clip8(acc[i]);
    }
}

cc_err img_resample(const unsigned char *src, int sw, int sh, int C, unsigned char *dst, int dw, int dh,
                    img_filter filter)
{
    if (!src || !dst || sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 || C < 1 || C > 4 || (unsigned)filter > 4)
        return CC_ERR_USAGE;
    const filter_def *f = &filters[filter];
    int need_h = dw != sw, need_v = dh != sh;
    if (!need_h && !need_v) {
        memcpy(dst, src, (size_t)sw * sh * C);
        return CC_OK;
    }
    if (need_h && !need_v) {
        taps th;
        taps_make(&th, sw, dw, f);
        hpass(src, sw, sh, C, dst, dw, &th);
        taps_free(&th);
        return CC_OK;
    }
    taps tv;
    taps_make(&tv, sh, dh, f);
    int32_t *acc = xmalloc(sizeof(int32_t) * (size_t)dw * C);
    if (!need_h) {
        vpass(src, (size_t)sw * C, 0, dst, dh, &tv, acc);
    } else {
        int first = tv.bounds[0];
        int last = tv.bounds[2 * dh - 2] + tv.bounds[2 * dh - 1];
        taps th;
        taps_make(&th, sw, dw, f);
        unsigned char *tmp = xmalloc((size_t)dw * C * (last - first) + 1);
        hpass(src + (size_t)first * sw * C, sw, last - first, C, tmp, dw, &th);
        vpass(tmp, (size_t)dw * C, first, dst, dh, &tv, acc);
        free(tmp);
        taps_free(&th);
    }
    free(acc);
    taps_free(&tv);
    return CC_OK;
}

/* ---- img2dataset resize modes ------------------------------------------- */

static const char *const mode_names[] = {"no", "border", "keep_ratio", "keep_ratio_largest", "center_crop"};

int img_resize_mode_parse(const char *s, img_resize_mode *out)
{
    for (int i = 0; s && i < 5; i++)
        if (strcmp(s, mode_names[i]) == 0) {
            *out = (img_resize_mode)i;
            return 0;
        }
    return -1;
}

const char *img_resize_mode_name(img_resize_mode m)
{
    return (unsigned)m < 5 ? mode_names[m] : "unknown";
}

/* albumentations: scale = max_size / ref; side = round(side * scale), Python's
 * round-half-even; rint() does the same in the default rounding mode. */
static int scaled_side(int side, int size, int ref)
{
    double v = rint((double)side * ((double)size / (double)ref));
    return v < 1 ? 1 : (int)v;
}

void img_resize_dims(int sw, int sh, int size, img_resize_mode mode, int *out_w, int *out_h, int *scaled_w,
                     int *scaled_h)
{
    int w = sw, h = sh, ow, oh;
    int mn = sw < sh ? sw : sh, mx = sw < sh ? sh : sw;
    int only_if_bigger = ((int)mode & IMG_RESIZE_ONLY_IF_BIGGER) != 0;
    mode = IMG_RESIZE_MODE(mode);
    int ref = mode == RESIZE_KEEP_RATIO || mode == RESIZE_CENTER_CROP ? mn : mx;
    /* img2dataset: resize unless --resize_only_if_bigger and the image is not bigger */
    int apply = mode != RESIZE_NO && (!only_if_bigger || ref > size);
    if (apply && ref != size) {
        w = scaled_side(sw, size, ref);
        h = scaled_side(sh, size, ref);
    }
    ow = w;
    oh = h;
    if (apply && (mode == RESIZE_CENTER_CROP || mode == RESIZE_BORDER))
        ow = oh = size;
    if (out_w)
        *out_w = ow;
    if (out_h)
        *out_h = oh;
    if (scaled_w)
        *scaled_w = w;
    if (scaled_h)
        *scaled_h = h;
}

/* Cheap exact box pre-reduction by integer factors so that huge non-JPEG
 * inputs (no DCT scaling) don't pay for a very wide kernel: keeps the
 * remaining ratio >= 2 so the final filter still antialiases. */
static void box_reduce(img_image *im, int fx, int fy)
{
    int C = im->channels;
    int nw = im->width / fx, nh = im->height / fy;
    unsigned char *o = xmalloc((size_t)nw * nh * C + 1);
    uint32_t *acc = xmalloc(sizeof(uint32_t) * (size_t)nw * C);
    uint32_t div = (uint32_t)(fx * fy), half = div / 2;
    size_t srow = (size_t)im->width * C;
    for (int y = 0; y < nh; y++) {
        memset(acc, 0, sizeof(uint32_t) * (size_t)nw * C);
        for (int dy = 0; dy < fy; dy++) {
            const unsigned char *in = im->pixels + (size_t)(y * fy + dy) * srow;
            for (int x = 0; x < nw; x++)
                for (int dx = 0; dx < fx; dx++)
                    for (int c = 0; c < C; c++)
                        acc[x * C + c] += in[(x * fx + dx) * C + c];
        }
        unsigned char *out = o + (size_t)y * nw * C;
        for (int i = 0; i < nw * C; i++)
            out[i] = (unsigned char)((acc[i] + half) / div);
    }
    free(acc);
    free(im->pixels);
    im->pixels = o;
    im->width = nw;
    im->height = nh;
}

/* Resizes im (possibly already DCT-scaled) to the size img2dataset computes
 * for a ref_w x ref_h file. */
static cc_err resize_for(img_image *im, int ref_w, int ref_h, int size, img_resize_mode mode, char *err,
                         size_t errlen)
{
    if (!im || !im->pixels || im->width <= 0 || im->height <= 0 || im->channels < 1 || im->channels > 4) {
        img_seterr(err, errlen, "resize: no image");
        return CC_ERR_USAGE;
    }
    if ((unsigned)IMG_RESIZE_MODE(mode) > RESIZE_CENTER_CROP || ((int)mode & ~(0xff | IMG_RESIZE_ONLY_IF_BIGGER))) {
        img_seterr(err, errlen, "resize: unknown mode %d", (int)mode);
        return CC_ERR_USAGE;
    }
    if (IMG_RESIZE_MODE(mode) == RESIZE_NO)
        return CC_OK;
    if (size <= 0 || size > 65535) {
        img_seterr(err, errlen, "resize: bad target size %d", size);
        return CC_ERR_USAGE;
    }
    int ow, oh, sw, sh, C = im->channels;
    img_resize_dims(ref_w, ref_h, size, mode, &ow, &oh, &sw, &sh);
    mode = IMG_RESIZE_MODE(mode); /* the flag has done its work in the sizes */
    if (sw != im->width || sh != im->height) {
        int fx = im->width / sw / 2, fy = im->height / sh / 2;
        if (fx > 1 || fy > 1)
            box_reduce(im, fx < 1 ? 1 : fx, fy < 1 ? 1 : fy);
        unsigned char *o = xmalloc((size_t)sw * sh * C + 1);
        img_resample(im->pixels, im->width, im->height, C, o, sw, sh, IMG_FILTER_BICUBIC);
        free(im->pixels);
        im->pixels = o;
        im->width = sw;
        im->height = sh;
    }
    if (mode == RESIZE_CENTER_CROP && (sw != ow || sh != oh)) {
        int x0 = (sw - ow) / 2, y0 = (sh - oh) / 2; /* albumentations: floor */
        unsigned char *o = xmalloc((size_t)ow * oh * C + 1);
        for (int y = 0; y < oh; y++)
            memcpy(o + (size_t)y * ow * C, im->pixels + ((size_t)(y + y0) * sw + x0) * C, (size_t)ow * C);
        free(im->pixels);
        im->pixels = o;
    } else if (mode == RESIZE_BORDER && (sw != ow || sh != oh)) {
        int x0 = (ow - sw) / 2, y0 = (oh - sh) / 2; /* albumentations: int((size - side) / 2) */
        unsigned char *o = xmalloc((size_t)ow * oh * C + 1);
        memset(o, 255, (size_t)ow * oh * C);
        for (int y = 0; y < sh; y++)
            memcpy(o + ((size_t)(y + y0) * ow + x0) * C, im->pixels + (size_t)y * sw * C, (size_t)sw * C);
        free(im->pixels);
        im->pixels = o;
    }
    im->width = ow;
    im->height = oh;
    return CC_OK;
}

cc_err img_resize(img_image *im, int size, img_resize_mode mode, char *err, size_t errlen)
{
    if (!im)
        return resize_for(im, 0, 0, size, mode, err, errlen);
    return resize_for(im, im->width, im->height, size, mode, err, errlen);
}

int img_resize_min_side(int w, int h, int size, img_resize_mode mode)
{
    if (w <= 0 || h <= 0 || size <= 0)
        return 0;
    int mn = w < h ? w : h, mx = w < h ? h : w;
    switch (IMG_RESIZE_MODE(mode)) {
    case RESIZE_KEEP_RATIO:
    case RESIZE_CENTER_CROP:
        return size;
    case RESIZE_KEEP_RATIO_LARGEST:
    case RESIZE_BORDER:
        return (int)(((int64_t)size * mn + mx - 1) / mx);
    default:
        return 0;
    }
}

cc_err img_decode_resize(const void *data, size_t n, uint64_t max_pixels, int size, img_resize_mode mode,
                         img_image *out, char *err, size_t errlen)
{
    img_limits lim;
    img_limits_default(&lim, max_pixels);
    return img_decode_resize_ex(data, n, &lim, size, mode, out, err, errlen);
}

cc_err img_decode_resize_ex(const void *data, size_t n, const img_limits *lim, int size, img_resize_mode mode,
                            img_image *out, char *err, size_t errlen)
{
    int w = 0, h = 0;
    memset(out, 0, sizeof *out);
    cc_err rc = img_probe(data, n, NULL, &w, &h, err, errlen);
    if (rc)
        return rc;
    rc = img_decode_rgb_ex(data, n, lim, img_resize_min_side(w, h, size, mode), out, err, errlen);
    if (rc)
        return rc;
    rc = resize_for(out, out->original_width, out->original_height, size, mode, err, errlen);
    if (rc)
        img_image_free(out);
    return rc;
}
