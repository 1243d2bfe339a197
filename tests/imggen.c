/* imggen.c — see imggen.h. */
#include "imggen.h"

#include <gif_lib.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <webp/encode.h>
#include <zlib.h>

#include "photogen.h"

static void die(const char *what)
{
    fprintf(stderr, "imggen: %s\n", what);
    abort();
}

unsigned char *imggen_pixels(int w, int h, uint64_t seed)
{
    unsigned char *px = xmalloc((size_t)w * h * 3);
    photogen_make(w, h, seed, px);
    return px;
}

static void tj_compress(ccbuf *out, const unsigned char *px, int w, int h, int pf, int flags)
{
    tjhandle tj = tjInitCompress();
    unsigned char *buf = NULL;
    unsigned long len = 0;
    if (!tj || tjCompress2(tj, px, w, 0, h, pf, &buf, &len, TJSAMP_420, 90, flags) != 0)
        die(tj ? tjGetErrorStr2(tj) : "tjInitCompress");
    ccbuf_append(out, buf, len);
    tjFree(buf);
    tjDestroy(tj);
}

void imggen_jpeg(ccbuf *out, int w, int h, uint64_t seed, int progressive)
{
    unsigned char *px = imggen_pixels(w, h, seed);
    tj_compress(out, px, w, h, TJPF_RGB, progressive ? TJFLAG_PROGRESSIVE : 0);
    free(px);
}

void imggen_jpeg_cmyk(ccbuf *out, int w, int h, uint64_t seed)
{
    unsigned char *px = imggen_pixels(w, h, seed);
    unsigned char *cmyk = xmalloc((size_t)w * h * 4);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        cmyk[4 * i] = (unsigned char)(255 - px[3 * i]);
        cmyk[4 * i + 1] = (unsigned char)(255 - px[3 * i + 1]);
        cmyk[4 * i + 2] = (unsigned char)(255 - px[3 * i + 2]);
        cmyk[4 * i + 3] = 0;
    }
    tj_compress(out, cmyk, w, h, TJPF_CMYK, 0);
    free(cmyk);
    free(px);
}

/* End of the entropy-coded data that starts at i: the next marker. */
static size_t entropy_end(const unsigned char *p, size_t n, size_t i)
{
    for (; i + 1 < n; i++)
        if (p[i] == 0xFF && p[i + 1] != 0 && !(p[i + 1] >= 0xD0 && p[i + 1] <= 0xD7))
            return i;
    return n;
}

void imggen_scan_bomb(ccbuf *out, int w, int h, uint64_t seed, int nscans)
{
    ccbuf j = {0};
    imggen_jpeg(&j, w, h, seed, 1);
    const unsigned char *p = j.data;
    size_t n = j.len, i = 2, best_start = 0, best_end = 0;
    int scans = 0;
    while (i + 4 <= n && p[i] == 0xFF) {
        unsigned m = p[i + 1];
        size_t len = (size_t)p[i + 2] << 8 | p[i + 3];
        if (m == 0xD9)
            break;
        if (m == 0xDA) {
            size_t end = entropy_end(p, n, i + 2 + len);
            if (!best_end || end - i < best_end - best_start)
                best_start = i, best_end = end;
            scans++;
            i = end;
            continue;
        }
        i += 2 + len;
    }
    if (!scans)
        die("scan bomb: no scan in the progressive JPEG");
    size_t eoi = n - 2; /* FF D9 */
    ccbuf_append(out, p, eoi);
    for (int k = scans; k < nscans; k++)
        ccbuf_append(out, p + best_start, best_end - best_start);
    ccbuf_append(out, p + eoi, 2);
    ccbuf_free(&j);
}

void imggen_jpeg_claim(ccbuf *out, int w, int h)
{
    size_t at = out->len;
    imggen_jpeg(out, 16, 16, 7, 0);
    unsigned char *p = out->data + at;
    for (size_t i = 2; i + 9 < out->len - at;) {
        unsigned m = p[i + 1];
        size_t len = (size_t)p[i + 2] << 8 | p[i + 3];
        if (m == 0xC0 || m == 0xC2) {
            p[i + 5] = (unsigned char)(h >> 8), p[i + 6] = (unsigned char)h;
            p[i + 7] = (unsigned char)(w >> 8), p[i + 8] = (unsigned char)w;
            return;
        }
        i += 2 + len;
    }
    die("jpeg claim: no SOF");
}

static void png_w(png_structp png, png_bytep p, png_size_t n) { ccbuf_append(png_get_io_ptr(png), p, n); }
static void png_f(png_structp png) { (void)png; }

void imggen_png(ccbuf *out, int w, int h, uint64_t seed, imggen_png_kind kind)
{
    unsigned char *px = imggen_pixels(w, h, seed);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (!png || !info || setjmp(png_jmpbuf(png)))
        die("libpng write");
    png_set_write_fn(png, out, png_w, png_f);
    int depth = kind == IMGGEN_PNG_RGB16 ? 16 : 8;
    int ctype = kind == IMGGEN_PNG_PALETTE ? PNG_COLOR_TYPE_PALETTE : PNG_COLOR_TYPE_RGB;
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ctype, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_color pal[216];
    if (kind == IMGGEN_PNG_PALETTE) {
        for (int i = 0; i < 216; i++)
            pal[i].red = (png_byte)(i / 36 * 51), pal[i].green = (png_byte)(i / 6 % 6 * 51),
            pal[i].blue = (png_byte)(i % 6 * 51);
        png_set_PLTE(png, info, pal, 216);
    }
    png_write_info(png, info);
    size_t rowlen = (size_t)w * (kind == IMGGEN_PNG_RGB16 ? 6 : kind == IMGGEN_PNG_PALETTE ? 1 : 3);
    unsigned char *row = xmalloc(rowlen);
    for (int y = 0; y < h; y++) {
        const unsigned char *s = px + (size_t)y * w * 3;
        for (int x = 0; x < w; x++) {
            if (kind == IMGGEN_PNG_RGB16)
                for (int c = 0; c < 3; c++)
                    row[6 * x + 2 * c] = s[3 * x + c], row[6 * x + 2 * c + 1] = (unsigned char)(x * 7 + y);
            else if (kind == IMGGEN_PNG_PALETTE)
                row[x] = (unsigned char)((s[3 * x] + 25) / 51 * 36 + (s[3 * x + 1] + 25) / 51 * 6 +
                                         (s[3 * x + 2] + 25) / 51);
            else
                memcpy(row + 3 * x, s + 3 * x, 3);
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    free(px);
}

void imggen_png_bad_crc(ccbuf *out, int w, int h, uint64_t seed)
{
    size_t at = out->len;
    imggen_png(out, w, h, seed, IMGGEN_PNG_RGB8);
    unsigned char *p = out->data + at;
    size_t n = out->len - at;
    for (size_t i = 8; i + 12 <= n;) {
        size_t len = (size_t)p[i] << 24 | (size_t)p[i + 1] << 16 | (size_t)p[i + 2] << 8 | p[i + 3];
        if (memcmp(p + i + 4, "IDAT", 4) == 0 && len > 4) {
            p[i + 8 + len / 2] ^= 0x01;
            return;
        }
        i += 12 + len;
    }
    die("png bad crc: no IDAT");
}

static void put32be(ccbuf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                          (unsigned char)v};
    ccbuf_append(b, x, 4);
}

static void png_chunk(ccbuf *b, const char *type, const void *data, size_t n)
{
    put32be(b, (uint32_t)n);
    size_t at = b->len;
    ccbuf_append(b, type, 4);
    ccbuf_append(b, data, n);
    uint32_t crc = (uint32_t)crc32(0, b->data + at, (unsigned)(n + 4));
    put32be(b, crc);
}

void imggen_png_claim(ccbuf *out, uint32_t w, uint32_t h)
{
    ccbuf_append(out, "\x89PNG\r\n\x1a\n", 8);
    unsigned char ihdr[13] = {(unsigned char)(w >> 24), (unsigned char)(w >> 16), (unsigned char)(w >> 8),
                              (unsigned char)w,         (unsigned char)(h >> 24), (unsigned char)(h >> 16),
                              (unsigned char)(h >> 8),  (unsigned char)h,         8, 2, 0, 0, 0};
    png_chunk(out, "IHDR", ihdr, 13);
    static const unsigned char idat[] = {0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01};
    png_chunk(out, "IDAT", idat, sizeof idat);
    png_chunk(out, "IEND", "", 0);
}

static int gif_w(GifFileType *g, const GifByteType *p, int n)
{
    ccbuf_append(g->UserData, p, (size_t)n);
    return n;
}

void imggen_gif(ccbuf *out, int w, int h, uint64_t seed, int nframes, int interlaced, int transparent)
{
    int e = 0;
    GifFileType *g = EGifOpen(out, gif_w, &e);
    if (!g)
        die("EGifOpen");
    GifColorType colors[256];
    memset(colors, 0, sizeof colors);
    for (int i = 0; i < 216; i++)
        colors[i].Red = (GifByteType)(i / 36 * 51), colors[i].Green = (GifByteType)(i / 6 % 6 * 51),
        colors[i].Blue = (GifByteType)(i % 6 * 51);
    ColorMapObject *cm = GifMakeMapObject(256, colors);
    EGifSetGifVersion(g, true);
    if (EGifPutScreenDesc(g, w, h, 8, 0, cm) == GIF_ERROR)
        die("EGifPutScreenDesc");
    GifByteType *line = xmalloc((size_t)w);
    for (int f = 0; f < nframes; f++) {
        unsigned char *px = imggen_pixels(w, h, seed + (uint64_t)f * 1000);
        unsigned char gce[4] = {(unsigned char)(transparent ? 1 : 0), 10, 0, 215};
        EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, 4, gce);
        if (EGifPutImageDesc(g, 0, 0, w, h, interlaced, NULL) == GIF_ERROR)
            die("EGifPutImageDesc");
        static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
        for (int pass = 0; pass < (interlaced ? 4 : 1); pass++)
            for (int y = interlaced ? start[pass] : 0; y < h; y += interlaced ? step[pass] : 1) {
                const unsigned char *s = px + (size_t)y * w * 3;
                for (int x = 0; x < w; x++)
                    line[x] = (GifByteType)((s[3 * x] + 25) / 51 * 36 + (s[3 * x + 1] + 25) / 51 * 6 +
                                            (s[3 * x + 2] + 25) / 51);
                if (transparent && y < 4)
                    memset(line, 215, (size_t)w); /* a transparent band on top */
                if (EGifPutLine(g, line, w) == GIF_ERROR)
                    die("EGifPutLine");
            }
        free(px);
    }
    free(line);
    GifFreeMapObject(cm);
    if (EGifCloseFile(g, &e) == GIF_ERROR)
        die("EGifCloseFile");
}

static void put32le(ccbuf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    ccbuf_append(b, x, 4);
}
static void put16le(ccbuf *b, unsigned v)
{
    unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    ccbuf_append(b, x, 2);
}

void imggen_bmp(ccbuf *out, int w, int h, uint64_t seed, int bpp, int top_down)
{
    unsigned char *px = imggen_pixels(w, h, seed);
    int ncol = bpp <= 8 ? 1 << bpp : 0;
    int masks = bpp == 16 ? 3 : 0;
    uint32_t stride = (uint32_t)(((uint64_t)w * bpp + 31) / 32 * 4);
    uint32_t off = 14 + 40 + 4u * (uint32_t)masks + 4u * (uint32_t)ncol;
    ccbuf_append(out, "BM", 2);
    put32le(out, off + stride * (uint32_t)h);
    put32le(out, 0);
    put32le(out, off);
    put32le(out, 40);
    put32le(out, (uint32_t)w);
    put32le(out, (uint32_t)(top_down ? -h : h));
    put16le(out, 1);
    put16le(out, (unsigned)bpp);
    put32le(out, bpp == 16 ? 3 : 0);
    put32le(out, stride * (uint32_t)h);
    put32le(out, 2835);
    put32le(out, 2835);
    put32le(out, (uint32_t)ncol);
    put32le(out, 0);
    if (masks) {
        put32le(out, 0xF800);
        put32le(out, 0x07E0);
        put32le(out, 0x001F);
    }
    for (int i = 0; i < ncol; i++) { /* a gray ramp */
        unsigned char v = (unsigned char)(i * 255 / (ncol - 1));
        unsigned char e[4] = {v, v, v, 0};
        ccbuf_append(out, e, 4);
    }
    unsigned char *row = xcalloc(stride, 1);
    for (int r = 0; r < h; r++) {
        int y = top_down ? r : h - 1 - r;
        const unsigned char *s = px + (size_t)y * w * 3;
        memset(row, 0, stride);
        for (int x = 0; x < w; x++) {
            int gray = (s[3 * x] * 299 + s[3 * x + 1] * 587 + s[3 * x + 2] * 114) / 1000;
            if (bpp <= 8) {
                int v = gray * (ncol - 1) / 255;
                size_t bit = (size_t)x * bpp;
                row[bit / 8] |= (unsigned char)(v << (8 - bpp - bit % 8));
            } else if (bpp == 16) {
                unsigned v = (unsigned)(s[3 * x] >> 3) << 11 | (unsigned)(s[3 * x + 1] >> 2) << 5 | (s[3 * x + 2] >> 3);
                row[2 * x] = (unsigned char)v, row[2 * x + 1] = (unsigned char)(v >> 8);
            } else {
                int k = bpp / 8;
                row[k * x] = s[3 * x + 2], row[k * x + 1] = s[3 * x + 1], row[k * x + 2] = s[3 * x];
                if (k == 4)
                    row[k * x + 3] = 0x55; /* ignored (BGRX) */
            }
        }
        ccbuf_append(out, row, stride);
    }
    free(row);
    free(px);
}

void imggen_webp_lossless(ccbuf *out, int w, int h, uint64_t seed)
{
    unsigned char *px = imggen_pixels(w, h, seed), *enc = NULL;
    size_t n = WebPEncodeLosslessRGB(px, w, h, w * 3, &enc);
    if (!n)
        die("WebPEncodeLosslessRGB");
    ccbuf_append(out, enc, n);
    WebPFree(enc);
    free(px);
}

static void put24le(ccbuf *b, uint32_t v)
{
    unsigned char x[3] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16)};
    ccbuf_append(b, x, 3);
}

void imggen_webp_animated(ccbuf *out, int w, int h, uint64_t seed)
{
    ccbuf body = {0};
    ccbuf_append(&body, "WEBP", 4);
    ccbuf_append(&body, "VP8X", 4);
    put32le(&body, 10);
    unsigned char flags[4] = {0x02, 0, 0, 0}; /* animation */
    ccbuf_append(&body, flags, 4);
    put24le(&body, (uint32_t)w - 1);
    put24le(&body, (uint32_t)h - 1);
    ccbuf_append(&body, "ANIM", 4);
    put32le(&body, 6);
    put32le(&body, 0xFFFFFFFF);
    put16le(&body, 0);
    for (int f = 0; f < 2; f++) {
        ccbuf still = {0};
        imggen_webp_lossless(&still, w, h, seed + (uint64_t)f);
        /* the still is RIFF....WEBP then one VP8L chunk: take that chunk */
        const unsigned char *chunk = still.data + 12;
        size_t clen = still.len - 12;
        ccbuf_append(&body, "ANMF", 4);
        put32le(&body, (uint32_t)(16 + clen));
        put24le(&body, 0);
        put24le(&body, 0);
        put24le(&body, (uint32_t)w - 1);
        put24le(&body, (uint32_t)h - 1);
        put24le(&body, 100);
        unsigned char fl = 0;
        ccbuf_append(&body, &fl, 1);
        ccbuf_append(&body, chunk, clen);
        if (clen & 1)
            ccbuf_append(&body, "", 1);
        ccbuf_free(&still);
    }
    ccbuf_append(out, "RIFF", 4);
    put32le(out, (uint32_t)body.len);
    ccbuf_append(out, body.data, body.len);
    ccbuf_free(&body);
}

void imggen_svg(ccbuf *out)
{
    ccbuf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"480\">\n"
                    "  <rect width=\"640\" height=\"480\" fill=\"#3a7\"/>\n"
                    "  <circle cx=\"320\" cy=\"240\" r=\"100\" fill=\"#fc0\"/>\n</svg>\n");
}

void imggen_avif(ccbuf *out)
{
    put32be(out, 28);
    ccbuf_append(out, "ftypavif", 8);
    put32be(out, 0);
    ccbuf_append(out, "avifmif1miaf", 12);
    put32be(out, 8);
    ccbuf_append(out, "meta", 4);
    for (int i = 0; i < 2000; i++) /* an AVIF is never this small: pad past --min-bytes */
        ccbuf_append(out, "\0", 1);
}
