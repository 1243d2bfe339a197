/* imggen.h — test pictures in every format and shape the web serves,
 * made in memory from photogen's photo-like pixels (so two seeds never look
 * alike to the perceptual hash). Used by test_image and test_hostile.
 * Every function appends the file's bytes to out and aborts on failure. */
#ifndef CC_TESTS_IMGGEN_H
#define CC_TESTS_IMGGEN_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* RGB pixels of picture seed (malloc'd, w*h*3). */
unsigned char *imggen_pixels(int w, int h, uint64_t seed);

/* JPEG at quality 90, 4:2:0; progressive when progressive != 0. */
void imggen_jpeg(ccbuf *out, int w, int h, uint64_t seed, int progressive);
/* A CMYK JPEG (4 components, as Photoshop writes them). */
void imggen_jpeg_cmyk(ccbuf *out, int w, int h, uint64_t seed);
/* A progressive JPEG whose last scan is repeated until it has nscans scans
 * (libjpeg warns about the bogus progression and decodes every one). */
void imggen_scan_bomb(ccbuf *out, int w, int h, uint64_t seed, int nscans);
/* A small valid JPEG whose frame header is patched to claim w x h. */
void imggen_jpeg_claim(ccbuf *out, int w, int h);

typedef enum { IMGGEN_PNG_RGB8, IMGGEN_PNG_RGB16, IMGGEN_PNG_PALETTE } imggen_png_kind;
void imggen_png(ccbuf *out, int w, int h, uint64_t seed, imggen_png_kind kind);
/* A valid PNG with one byte of its IDAT changed (the CRC no longer matches). */
void imggen_png_bad_crc(ccbuf *out, int w, int h, uint64_t seed);
/* A PNG whose IHDR claims w x h (valid CRCs, tiny IDAT). */
void imggen_png_claim(ccbuf *out, uint32_t w, uint32_t h);

/* GIF with nframes frames (the first is picture seed quantised to 6x6x6
 * colours); interlaced and/or with transparent index 215 when asked. */
void imggen_gif(ccbuf *out, int w, int h, uint64_t seed, int nframes, int interlaced, int transparent);
/* BMP with a 40-byte INFO header: bpp 1, 4, 8 (palette), 24 or 32 (BI_RGB),
 * or 16 (5-6-5 BI_BITFIELDS); top-down when top_down. */
void imggen_bmp(ccbuf *out, int w, int h, uint64_t seed, int bpp, int top_down);

void imggen_webp_lossless(ccbuf *out, int w, int h, uint64_t seed);
/* An animated WebP (VP8X + ANIM + two ANMF frames of lossless data). */
void imggen_webp_animated(ccbuf *out, int w, int h, uint64_t seed);

void imggen_svg(ccbuf *out);
/* The start of an AVIF file (ftyp box with brand avif, then an empty meta). */
void imggen_avif(ccbuf *out);

#endif
