/* preprocess.c — Pillow-exact CLIP preprocessing (see preprocess.h).
 *
 * The bicubic resize is common/'s Pillow-exact resampler (the one image
 * resizing uses), asked for the centre-crop window only: every output pixel
 * depends only on its own taps, so only the pixels inside the crop are
 * computed (bit-identical, and ~25-45% less work on non-square images).
 */
/* The normalisation LUT must round as torch's float32 steps: no contraction. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#else
#pragma GCC optimize("fp-contract=off")
#endif
#include "preprocess.h"
#include "resample.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const float CLIP_MEAN_OPENAI[3] = {0.48145466f, 0.4578275f, 0.40821073f};
const float CLIP_STD_OPENAI[3] = {0.26862954f, 0.26130258f, 0.27577711f};

void clip_resize_size(int w, int h, int S, int *nw, int *nh)
{
    /* torchvision Resize(int): short side -> S, long -> int(S * long / short). */
    if (w <= h) {
        *nw = S;
        *nh = (int)(((int64_t)S * h) / w);
    } else {
        *nh = S;
        *nw = (int)(((int64_t)S * w) / h);
    }
}

/* Python round(d / 2) for an integer d (half to even). */
static int round_half_even_div2(int d)
{
    if (d % 2 == 0)
        return d / 2;
    int k = (d - 1) / 2; /* floor for d > 0; d odd */
    if (d < 0)
        k = -((-d + 1) / 2);
    return (k % 2 == 0) ? k : k + 1;
}

void clip_center_crop_offset(int w, int h, int S, int *left, int *top)
{
    *left = round_half_even_div2(w - S);
    *top = round_half_even_div2(h - S);
}

void clip_normalize(const unsigned char *rgb, int S, const float mean[3], const float std[3], float *out)
{
    if (!mean)
        mean = CLIP_MEAN_OPENAI;
    if (!std)
        std = CLIP_STD_OPENAI;
    float lut[3][256];
    for (int c = 0; c < 3; c++)
        for (int u = 0; u < 256; u++) {
            float x = (float)u / 255.0f; /* float32 steps, as torch does them */
            lut[c][u] = (x - mean[c]) / std[c];
        }
    size_t plane = (size_t)S * S;
    for (size_t i = 0; i < plane; i++) {
        out[i] = lut[0][rgb[i * 3]];
        out[plane + i] = lut[1][rgb[i * 3 + 1]];
        out[2 * plane + i] = lut[2][rgb[i * 3 + 2]];
    }
}

/* Pillow NEAREST source indices for outputs [o0, o0+count): position starts at
 * scale/2 and advances by repeated addition (as Pillow does it). */
static void nearest_index(int in, int out, int o0, int count, int *idx)
{
    double sc = (double)in / out, pos = sc * 0.5;
    for (int i = 0; i < o0 + count; i++) {
        if (i >= o0) {
            int v = (int)floor(pos);
            idx[i - o0] = v < in - 1 ? v : in - 1;
        }
        pos += sc;
    }
}

int clip_preprocess(const img_image *im, int S, const float mean[3], const float std[3], float *out_chw,
                    unsigned char *crop_rgb_out, char *err, size_t errlen)
{
    if (!im || !im->pixels || !out_chw) {
        snprintf(err, errlen, "clip_preprocess: %s is NULL", !out_chw ? "output" : "image");
        return -1;
    }
    if (S < 1 || S > 4096) {
        snprintf(err, errlen, "clip_preprocess: image size %d out of range 1..4096", S);
        return -1;
    }
    if (im->width < 1 || im->height < 1) {
        snprintf(err, errlen, "clip_preprocess: image has size %dx%d", im->width, im->height);
        return -1;
    }
    static const int want_ch[6] = {0, 1, 2, 3, 4, 1};
    if (im->mode < IMG_MODE_L || im->mode > IMG_MODE_P || im->channels != want_ch[im->mode]) {
        snprintf(err, errlen, "clip_preprocess: unsupported mode %d with %d channels", (int)im->mode, im->channels);
        return -1;
    }
    for (int c = 0; c < 3; c++)
        if (std && !(std[c] != 0.0f)) {
            snprintf(err, errlen, "clip_preprocess: std[%d] is zero", c);
            return -1;
        }
    int w = im->width, h = im->height, ch = im->channels;
    int nw, nh, x0, y0;
    clip_resize_size(w, h, S, &nw, &nh);
    if (nw > (1 << 28) || nh > (1 << 28) || nw < S || nh < S) { /* extreme aspect ratios */
        snprintf(err, errlen, "clip_preprocess: %dx%d image resizes to %dx%d", w, h, nw, nh);
        return -1;
    }
    clip_center_crop_offset(nw, nh, S, &x0, &y0);
    int resized = nw != w || nh != h;
    size_t npx = (size_t)S * S;
    unsigned char *win = xmalloc(npx * (size_t)ch);
    unsigned char *rgb = crop_rgb_out ? crop_rgb_out : xmalloc(npx * 3);

    if (im->mode == IMG_MODE_P) {
        int *ix = xmalloc(sizeof(int) * (size_t)S), *iy = xmalloc(sizeof(int) * (size_t)S);
        if (resized) {
            nearest_index(w, nw, x0, S, ix);
            nearest_index(h, nh, y0, S, iy);
        } else {
            for (int i = 0; i < S; i++) {
                ix[i] = x0 + i;
                iy[i] = y0 + i;
            }
        }
        for (int y = 0; y < S; y++) {
            const unsigned char *row = im->pixels + (size_t)iy[y] * w;
            for (int x = 0; x < S; x++) {
                const unsigned char *pal = im->palette_rgba + 4 * row[ix[x]];
                unsigned char *o = rgb + ((size_t)y * S + x) * 3;
                o[0] = pal[0];
                o[1] = pal[1];
                o[2] = pal[2];
            }
        }
        free(ix);
        free(iy);
    } else {
        /* Pillow resizes RGBA/LA as premultiplied RGBa/La; when the size does
         * not change it copies (no alpha round trip), as cc_resample does. */
        int alpha = im->mode == IMG_MODE_RGBA || im->mode == IMG_MODE_LA;
        cc_rect crop = {x0, y0, S, S};
        if (cc_resample(im->pixels, w, h, ch, win, nw, nh, CC_FILTER_BICUBIC, &crop, alpha ? CC_RESAMPLE_ALPHA : 0)) {
            snprintf(err, errlen, "clip_preprocess: cannot resize %dx%d to %dx%d", w, h, nw, nh);
            free(win);
            if (rgb != crop_rgb_out)
                free(rgb);
            return -1;
        }
        for (size_t i = 0; i < npx; i++) {
            const unsigned char *p = win + i * ch;
            unsigned char *o = rgb + i * 3;
            switch (im->mode) {
            case IMG_MODE_L:
            case IMG_MODE_LA:
                o[0] = o[1] = o[2] = p[0];
                break;
            default: /* RGB, RGBA: alpha dropped, no compositing */
                o[0] = p[0];
                o[1] = p[1];
                o[2] = p[2];
                break;
            }
        }
    }
    clip_normalize(rgb, S, mean, std, out_chw);
    free(win);
    if (rgb != crop_rgb_out)
        free(rgb);
    return 0;
}
