/* image-encode.c — JPEG (TurboJPEG), PNG (libpng) and WebP (libwebp) encoding.
 *
 * Choices, matching img2dataset's cv2.imencode defaults:
 *  - JPEG: 4:2:0 chroma subsampling at every quality (OpenCV's default),
 *    islow DCT, baseline, no optimised Huffman tables. Gray (L) stays gray.
 *  - PNG: quality is the zlib level 0..9, libpng's adaptive filtering.
 *  - WebP: lossy at quality 1..100; quality > 100 means lossless (as
 *    OpenCV's IMWRITE_WEBP_QUALITY). */
#include "image.h"
#include "image-internal.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <webp/encode.h>

int img_encode_format_parse(const char *s, img_encode_format *out)
{
    if (!s)
        return -1;
    if (!strcasecmp(s, "jpg") || !strcasecmp(s, "jpeg"))
        *out = ENC_JPG;
    else if (!strcasecmp(s, "png"))
        *out = ENC_PNG;
    else if (!strcasecmp(s, "webp"))
        *out = ENC_WEBP;
    else
        return -1;
    return 0;
}

const char *img_encode_format_ext(img_encode_format f)
{
    switch (f) {
    case ENC_JPG: return "jpg";
    case ENC_PNG: return "png";
    case ENC_WEBP: return "webp";
    default: return "bin";
    }
}

static cc_err enc_jpeg(const img_image *im, int quality, ccbuf *out, char *err, size_t errlen)
{
    int pf, ss;
    if (im->channels == 1) {
        pf = TJPF_GRAY;
        ss = TJSAMP_GRAY;
    } else if (im->channels == 3) {
        pf = TJPF_RGB;
        ss = TJSAMP_420;
    } else {
        cc_seterr(err, errlen, "jpeg encode: need an L or RGB image (got %d channels)", im->channels);
        return CC_ERR_USAGE;
    }
    if (quality < 1 || quality > 100) {
        cc_seterr(err, errlen, "jpeg encode: quality %d not in 1..100", quality);
        return CC_ERR_USAGE;
    }
    tjhandle tj = img_tj_compressor();
    unsigned long cap = tjBufSize(im->width, im->height, ss);
    ccbuf_reserve(out, cap + 1);
    unsigned char *dst = out->data + out->len;
    unsigned long len = cap;
    if (tjCompress2(tj, im->pixels, im->width, im->width * im->channels, im->height, pf, &dst, &len, ss, quality,
                    TJFLAG_NOREALLOC) != 0) {
        cc_seterr(err, errlen, "jpeg encode: %s", tjGetErrorStr2(tj));
        return CC_ERR_FORMAT;
    }
    out->len += len;
    out->data[out->len] = 0;
    return CC_OK;
}

typedef struct {
    ccbuf *out;
    char msg[IMG_PNG_MSG];
    png_bytep *rows;
} png_wctx;

static void pngw_write(png_structp png, png_bytep p, png_size_t n)
{
    png_wctx *c = png_get_io_ptr(png);
    ccbuf_append(c->out, p, n);
}
static void pngw_flush(png_structp png) { (void)png; }

static cc_err enc_png(const img_image *im, int level, ccbuf *out, char *err, size_t errlen)
{
    static const int types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                PNG_COLOR_TYPE_RGB_ALPHA};
    if (level < 0 || level > 9) {
        cc_seterr(err, errlen, "png encode: compression %d not in 0..9", level);
        return CC_ERR_USAGE;
    }
    if (im->mode == IMG_MODE_P || im->channels < 1 || im->channels > 4) {
        cc_seterr(err, errlen, "png encode: need an L, LA, RGB or RGBA image");
        return CC_ERR_USAGE;
    }
    png_wctx c = {.out = out};
    size_t start = out->len;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c.msg, img_png_error, img_png_warning);
    png_infop info = img_png_info(png);
    if (setjmp(png_jmpbuf(png))) {
        cc_seterr(err, errlen, "png encode: %s", c.msg);
        free(c.rows);
        png_destroy_write_struct(&png, &info);
        out->len = start;
        return CC_ERR_FORMAT;
    }
    png_set_write_fn(png, &c, pngw_write, pngw_flush);
    png_set_compression_level(png, level);
    png_set_IHDR(png, info, (png_uint_32)im->width, (png_uint_32)im->height, 8, types[im->channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    c.rows = xmalloc(sizeof(png_bytep) * (size_t)im->height);
    for (int y = 0; y < im->height; y++)
        c.rows[y] = im->pixels + (size_t)y * im->width * im->channels;
    png_write_image(png, c.rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(c.rows);
    return CC_OK;
}

static cc_err enc_webp(const img_image *im, int quality, ccbuf *out, char *err, size_t errlen)
{
    if (im->channels != 3 && im->channels != 4) {
        cc_seterr(err, errlen, "webp encode: need an RGB or RGBA image");
        return CC_ERR_USAGE;
    }
    if (quality < 1) {
        cc_seterr(err, errlen, "webp encode: quality %d not in 1..100 (or >100 for lossless)", quality);
        return CC_ERR_USAGE;
    }
    if (im->width > WEBP_MAX_DIMENSION || im->height > WEBP_MAX_DIMENSION) {
        cc_seterr(err, errlen, "webp encode: %dx%d exceeds WebP's 16383 limit", im->width, im->height);
        return CC_ERR_RANGE;
    }
    uint8_t *o = NULL;
    size_t n;
    int stride = im->width * im->channels;
    if (quality > 100)
        n = im->channels == 3 ? WebPEncodeLosslessRGB(im->pixels, im->width, im->height, stride, &o)
                              : WebPEncodeLosslessRGBA(im->pixels, im->width, im->height, stride, &o);
    else
        n = im->channels == 3 ? WebPEncodeRGB(im->pixels, im->width, im->height, stride, (float)quality, &o)
                              : WebPEncodeRGBA(im->pixels, im->width, im->height, stride, (float)quality, &o);
    if (n == 0 || !o) {
        WebPFree(o);
        cc_seterr(err, errlen, "webp encode failed");
        return CC_ERR_FORMAT;
    }
    ccbuf_append(out, o, n);
    WebPFree(o);
    return CC_OK;
}

cc_err img_encode(const img_image *im, img_encode_format fmt, int quality, ccbuf *out, char *err, size_t errlen)
{
    if (!im || !im->pixels || im->width <= 0 || im->height <= 0 || !out) {
        cc_seterr(err, errlen, "encode: no image");
        return CC_ERR_USAGE;
    }
    switch (fmt) {
    case ENC_JPG: return enc_jpeg(im, quality, out, err, errlen);
    case ENC_PNG: return enc_png(im, quality, out, err, errlen);
    case ENC_WEBP: return enc_webp(im, quality, out, err, errlen);
    default:
        cc_seterr(err, errlen, "encode: unknown format %d", (int)fmt);
        return CC_ERR_USAGE;
    }
}
