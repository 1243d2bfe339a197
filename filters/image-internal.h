/* image-internal.h — shared by image*.c only (not a public header). */
#ifndef CC_FILTERS_IMAGE_INTERNAL_H
#define CC_FILTERS_IMAGE_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <png.h>
#include <turbojpeg.h>

/* This thread's TurboJPEG handles (created on first use, freed at thread exit). */
tjhandle img_tj_decompressor(void);
tjhandle img_tj_compressor(void);

/* Decodes a JPEG through the libjpeg API with lim's scan and CPU-time limits
 * (image-jpeg.c), scaled by scale_num/scale_denom, to out_channels 1 (gray),
 * 3 (RGB) or 4 (CMYK as stored). *pixels is malloc'd. CC_ERR_BUDGET when a
 * limit stopped it, CC_ERR_FORMAT for a broken or truncated file. */
#include "image.h"
cc_err img_jpeg_decode_limited(const unsigned char *p, size_t n, const img_limits *lim, int scale_num,
                               int scale_denom, int out_channels, unsigned char **pixels, int *w_out, int *h_out,
                               char *err, size_t errlen);

/* libpng's error callbacks for the PNG decoder (image.c) and encoder
 * (image-encode.c): create the png struct with a char[IMG_PNG_MSG] as its
 * error pointer; an error copies libpng's message there and longjmps to
 * png_jmpbuf(png); warnings are ignored. */
#define IMG_PNG_MSG 160
void img_png_error(png_structp png, png_const_charp msg);
void img_png_warning(png_structp png, png_const_charp msg);
/* The info struct of a png struct just created; aborts when either is NULL
 * (allocation failure). */
png_infop img_png_info(png_structp png);

/* Same as img_decode_rgb() with explicit limits (NULL = defaults, no pixel cap). */
cc_err img_decode_rgb_ex(const void *data, size_t n, const img_limits *lim, int min_side, img_image *out, char *err,
                         size_t errlen);

/* GIF (image-gif.c): the logical screen size; the first frame on that
 * screen, as mode P (transparent index folded into palette_rgba), the area
 * outside the frame filled with the transparent index if there is one,
 * else the background colour. */
cc_err img_gif_header(const unsigned char *p, size_t n, int *w, int *h, char *err, size_t errlen);
cc_err img_gif_decode(const unsigned char *p, size_t n, uint64_t max_pixels, img_image *out, char *err,
                      size_t errlen);

/* BMP (image-bmp.c): Windows bitmaps with a CORE/INFO/V4/V5 header, 1/4/8-bit
 * palette, 16/24/32-bit (BI_RGB or BI_BITFIELDS), bottom-up or top-down;
 * decoded to RGB (RGBA when a V4/V5 header gives an alpha mask). RLE and
 * embedded JPEG/PNG are refused (CC_ERR_UNSUPPORTED). */
cc_err img_bmp_header(const unsigned char *p, size_t n, int *w, int *h, char *err, size_t errlen);
cc_err img_bmp_decode(const unsigned char *p, size_t n, uint64_t max_pixels, img_image *out, char *err,
                      size_t errlen);

#endif
