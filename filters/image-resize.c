/* image-resize.c — img2dataset's resize modes on top of common/'s
 * Pillow-exact resampler (cc_resample, the one CLIP preprocessing uses). */
#include "image.h"
#include "image-internal.h"
#include "resample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
        cc_seterr(err, errlen, "resize: no image");
        return CC_ERR_USAGE;
    }
    if ((unsigned)IMG_RESIZE_MODE(mode) > RESIZE_CENTER_CROP || ((int)mode & ~(0xff | IMG_RESIZE_ONLY_IF_BIGGER))) {
        cc_seterr(err, errlen, "resize: unknown mode %d", (int)mode);
        return CC_ERR_USAGE;
    }
    if (IMG_RESIZE_MODE(mode) == RESIZE_NO)
        return CC_OK;
    if (size <= 0 || size > 65535) {
        cc_seterr(err, errlen, "resize: bad target size %d", size);
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
        cc_resample(im->pixels, im->width, im->height, C, o, sw, sh, CC_FILTER_BICUBIC, NULL, 0);
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
