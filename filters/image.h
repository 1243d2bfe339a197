/* image.h — decoding, checking, resizing and re-encoding images.
 *
 * Formats are sniffed from the bytes (never from a Content-Type): JPEG via
 * TurboJPEG (progressive ones via libjpeg, under a scan and CPU budget), PNG
 * via libpng, WebP via libwebp, GIF (first frame) via giflib, BMP by our own
 * reader (image-bmp.c). SVG and AVIF are recognised and refused
 * (CC_ERR_UNSUPPORTED). Every function takes untrusted bytes: bad input
 * returns an error code with a one-line message, never a crash.
 */
#ifndef CC_FILTERS_IMAGE_H
#define CC_FILTERS_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"

typedef enum {
    IMG_FMT_UNKNOWN = 0, IMG_FMT_JPEG, IMG_FMT_PNG, IMG_FMT_WEBP, IMG_FMT_GIF, IMG_FMT_BMP, IMG_FMT_HTML,
    IMG_FMT_SVG, IMG_FMT_AVIF
} img_format;

/* Sniffs the container from the first bytes. IMG_FMT_HTML marks text/HTML
 * served as an image; SVG (an <svg> document, with or without an XML
 * prologue) and AVIF (an ISO-BMFF "ftyp" box with an avif/avis brand) are
 * recognised but not decoded. */
img_format img_sniff(const void *data, size_t n);
/* 1 for the formats the decoders below handle: JPEG, PNG, WebP, GIF, BMP. */
int img_format_decodable(img_format f);
const char *img_format_name(img_format f);      /* "jpeg", "png", "webp", ... */
const char *img_format_ext(img_format f);       /* "jpg", "png", "webp", ... */

/* The pixel layout of a decoded image, named like Pillow's modes because the
 * CLIP preprocessing must treat them the way Pillow does. */
typedef enum {
    IMG_MODE_L = 1,    /* 1 byte per pixel, gray */
    IMG_MODE_LA = 2,   /* gray + alpha */
    IMG_MODE_RGB = 3,
    IMG_MODE_RGBA = 4,
    IMG_MODE_P = 5     /* 1 byte per pixel: index into palette (palette_rgba, 256 entries) */
} img_mode;

/* A decoded image. pixels is row-major, stride = width * channels. */
typedef struct {
    int width, height;
    img_mode mode;
    int channels;                 /* bytes per pixel: 1,2,3,4 (P: 1) */
    unsigned char *pixels;        /* owned */
    unsigned char palette_rgba[256 * 4]; /* IMG_MODE_P only */
    int palette_has_alpha;        /* IMG_MODE_P: some entry has alpha < 255 */
    int original_width, original_height; /* the file's dimensions (before any DCT scaling) */
} img_image;

void img_image_free(img_image *im); /* frees pixels, zeroes; NULL is a no-op */

/* Limits on one decode, beyond the pixel cap. A JPEG with more than
 * max_scans scans, or whose decoding uses more than cpu_seconds of the
 * calling thread's CPU time, stops with CC_ERR_BUDGET ("decode budget: ...").
 * 0 = no limit. The plain functions below use the defaults. */
#define IMG_DEFAULT_MAX_SCANS 100     /* real progressive files have about 10 */
#define IMG_DEFAULT_CPU_SECONDS 10.0  /* a 90-megapixel progressive JPEG takes ~2 s */
typedef struct {
    uint64_t max_pixels;
    int max_scans;
    double cpu_seconds;
} img_limits;
void img_limits_default(img_limits *l, uint64_t max_pixels);

/* Reads only the header: dimensions and format. CC_OK or CC_ERR_FORMAT /
 * CC_ERR_UNSUPPORTED with a message in err. */
cc_err img_probe(const void *data, size_t n, img_format *fmt, int *width, int *height, char *err, size_t errlen);

/* Decodes in the file's own mode, full size, exactly as libjpeg-turbo's
 * defaults (islow IDCT, fancy upsampling) and libpng give it: JPEG gray -> L,
 * colour -> RGB, CMYK/YCCK -> RGB; PNG gray -> L, gray+alpha -> LA,
 * palette -> P (palette_rgba filled, tRNS folded in), 16-bit -> 8-bit,
 * RGB(A) as stored; WebP -> RGB or RGBA.
 * Refuses (CC_ERR_RANGE) images whose header claims more than max_pixels,
 * before allocating. */
cc_err img_decode_native(const void *data, size_t n, uint64_t max_pixels, img_image *out, char *err, size_t errlen);

/* Decodes to RGB (3 channels), alpha composited on white, palette expanded.
 * If min_side > 0 and the file is a JPEG, TurboJPEG's DCT scaling picks the
 * smallest scale factor whose result still has both sides >= min_side
 * (i.e. decodes straight to near the target size); out->original_* hold the
 * file's size. */
cc_err img_decode_rgb(const void *data, size_t n, uint64_t max_pixels, int min_side, img_image *out, char *err, size_t errlen);

/* Converts a decoded image to RGB in place: L replicated, LA/RGBA/P-with-alpha
 * composited on white (rint(a/255*c + 255 - a), as img2dataset does), palette
 * expanded. CC_OK (also when already RGB), CC_ERR_USAGE for an unknown mode. */
cc_err img_to_rgb(img_image *im);

/* Resampling (Pillow's Image.resize, bit for bit) is common/resample.h's
 * cc_resample, shared with CLIP preprocessing. */

/* Resize modes as img2dataset has them. */
typedef enum { RESIZE_NO = 0, RESIZE_BORDER, RESIZE_KEEP_RATIO, RESIZE_KEEP_RATIO_LARGEST, RESIZE_CENTER_CROP } img_resize_mode;
#define IMG_RESIZE_ONLY_IF_BIGGER 0x100 /* flag OR-ed into a mode, see img_resize() */
#define IMG_RESIZE_MODE(m) ((img_resize_mode)((int)(m) & 0xff))
int img_resize_mode_parse(const char *s, img_resize_mode *out); /* 0 ok, -1 unknown */
const char *img_resize_mode_name(img_resize_mode m);

/* Resizes an RGB image per mode to target size (img2dataset semantics):
 *  keep_ratio: smaller side -> size; keep_ratio_largest: larger side -> size;
 *  center_crop: smaller side -> size then centre crop size x size;
 *  border: fit inside size x size (up- or downscaled), then pad to a square with
 *    WHITE, centred (as img2dataset: A.pad(value=[255,255,255]));
 *  no: unchanged.
 * Like img2dataset's default, smaller images are upscaled. OR-ing
 * IMG_RESIZE_ONLY_IF_BIGGER into mode gives img2dataset's
 * --resize_only_if_bigger: an image whose reference side (the smaller one for
 * keep_ratio/center_crop, the larger for keep_ratio_largest/border) is not
 * above size is left exactly as it is (no crop, no padding either).
 * Downscaling uses a good-quality (area-averaging/antialiased) filter.
 * Replaces *im in place. The flag is accepted by every function below that
 * takes a mode. */
cc_err img_resize(img_image *im, int size, img_resize_mode mode, char *err, size_t errlen);

/* The size img_resize() produces for a sw x sh input: out_w x out_h the final
 * size; scaled_w x scaled_h (either may be NULL) the size after scaling and before
 * center_crop's crop or border's padding. Scaled sides are round-half-even of
 * side*size/ref as albumentations computes them, never below 1. */
void img_resize_dims(int sw, int sh, int size, img_resize_mode mode, int *out_w, int *out_h, int *scaled_w,
                     int *scaled_h);

/* The min_side to hand img_decode_rgb() so that DCT scaling never drops
 * below what img_resize(size, mode) needs from a w x h file: size for
 * keep_ratio/center_crop, ceil(size*min/max) for keep_ratio_largest/border,
 * 0 (no scaling) for no. */
int img_resize_min_side(int w, int h, int size, img_resize_mode mode);

/* The fetch pipeline's one call: probe, decode to RGB with the DCT scaling
 * img_resize_min_side() allows, then img_resize(size, mode). out->width/height
 * are the final size, out->original_* the file's. Errors as img_decode_rgb()
 * (the pixel cap applies to the file's size). */
cc_err img_decode_resize(const void *data, size_t n, uint64_t max_pixels, int size, img_resize_mode mode,
                         img_image *out, char *err, size_t errlen);
/* The same with explicit limits (lim NULL = the defaults, no pixel cap). */
cc_err img_decode_resize_ex(const void *data, size_t n, const img_limits *lim, int size, img_resize_mode mode,
                            img_image *out, char *err, size_t errlen);

/* About how many bytes of memory decoding (and resizing to size/mode, or
 * size 0 for a full decode) will hold at its peak, from the header alone: the
 * decoded pixels at the size decoding produces (after DCT scaling), the
 * whole-image coefficient buffer of a progressive JPEG, a conversion copy.
 * For admission against a memory budget before decoding. 0 when the header
 * does not parse (decoding will fail fast). */
uint64_t img_decode_estimate(const void *data, size_t n, int size, img_resize_mode mode);

typedef enum { ENC_JPG = 0, ENC_PNG, ENC_WEBP } img_encode_format;
int img_encode_format_parse(const char *s, img_encode_format *out); /* "jpg"/"jpeg","png","webp" */
const char *img_encode_format_ext(img_encode_format f);

/* Encodes an RGB image. quality: JPEG/WebP 1..100, PNG compression 0..9.
 * Appends the encoded bytes to out. */
cc_err img_encode(const img_image *im, img_encode_format fmt, int quality, ccbuf *out, char *err, size_t errlen);

/* Checks (the spine's image filter). Defaults match img2dataset where it has them. */
typedef struct {
    size_t min_bytes;          /* default 1 */
    int min_side;              /* default 0 (no check) */
    double max_aspect_ratio;   /* default 0 = no check; e.g. 3.0 */
    uint64_t max_pixels;       /* default 89478484 (Pillow's limit) */
} img_checks;
void img_checks_defaults(img_checks *c);

/* Returns NULL when the image passes, else a static reason code:
 * "too_small_bytes", "too_small", "aspect_ratio", "too_many_pixels". */
const char *img_check(const img_checks *c, size_t nbytes, int width, int height);

#endif
