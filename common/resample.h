/* resample.h — Pillow's Image.resize, bit for bit, on 8-bit interleaved pixels.
 *
 * One resampler for the whole program: image resizing (filters/) and CLIP
 * preprocessing (clipscore/) both call it, so a resized sample and a CLIP
 * input come out of the same arithmetic. The algorithm is Pillow's
 * libImaging/Resample.c: per output pixel, double-precision filter weights
 * normalised to sum 1 and rounded to 22-bit fixed point; integer accumulation
 * from 2^21, >> 22, clamp to 0..255; the horizontal pass first (into an 8-bit
 * intermediate), then the vertical pass. The weights are computed with
 * floating-point contraction off (common/ builds with -ffp-contract=off), so
 * the result is the same on every target, with or without FMA.
 */
#ifndef CC_RESAMPLE_H
#define CC_RESAMPLE_H

#include "common.h"

/* Pillow's filters, with Pillow's kernels and supports (0.5, 1, 1, 2, 3). */
typedef enum {
    CC_FILTER_BOX = 0,
    CC_FILTER_BILINEAR,
    CC_FILTER_HAMMING,
    CC_FILTER_BICUBIC,
    CC_FILTER_LANCZOS
} cc_filter;

/* A rectangle of the output image: columns [x, x+w), rows [y, y+h). */
typedef struct {
    int x, y, w, h;
} cc_rect;

/* Flags for cc_resample. */
enum {
    /* The last channel is alpha (LA, RGBA): the colour channels are
     * premultiplied by it before resampling and divided by it afterwards, as
     * Pillow resizes LA/RGBA (via La/RGBa). Without it every channel is
     * resampled on its own (right for L and RGB). */
    CC_RESAMPLE_ALPHA = 1,
};

/* Resamples src (sw x sh pixels, `channels` 1..4 interleaved bytes each, rows
 * sw*channels bytes apart) to the dw x dh image Pillow's
 * Image.resize((dw, dh), filter) gives, and writes the part of it inside
 * `window` to dst (window->w * window->h pixels, rows window->w*channels bytes
 * apart). Only the source pixels and passes that window needs are computed,
 * so a centre crop costs the crop, not the whole resize; every output pixel
 * equals the full resize's. window NULL means the whole dw x dh image.
 * When the sizes are equal the window is copied (Pillow returns a copy then,
 * without the alpha round trip). The caller owns both buffers.
 * Returns CC_OK, or CC_ERR_USAGE for NULL buffers, sizes < 1, channels outside
 * 1..4, an unknown filter, a window outside the output, or CC_RESAMPLE_ALPHA
 * with one channel. */
cc_err cc_resample(const unsigned char *src, int sw, int sh, int channels, unsigned char *dst, int dw, int dh,
                   cc_filter filter, const cc_rect *window, unsigned flags);

#endif
