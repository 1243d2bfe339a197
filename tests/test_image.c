/* test_image.c — filters/image.h and phash.h: sniffing, every decoder and
 * mode, bad inputs, resize modes, encode round trips, perceptual hash, and
 * bit-exactness against the clipref fixtures (Pillow/libjpeg-turbo). */
#include "check.h"
#include "common.h"
#include "image.h"
#include "imggen.h"
#include "json.h"
#include "phash.h"
#include "resample.h"

#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <webp/encode.h>

#define MAXPIX 89478484ull

static char err[256];

/* ---- fixture makers ------------------------------------------------------- */

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* A smooth test picture with channels C, plus a little noise. */
static unsigned char *make_pixels(int w, int h, int C, int seed)
{
    unsigned char *p = xmalloc((size_t)w * h * C);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < C; c++) {
                double v = 128 + 100 * sin((x + seed * 7) * (0.02 + 0.01 * c) + y * 0.015 * (c + 1) + seed);
                if (((x / 16 + y / 16 + seed) & 3) == 0)
                    v = 255 - v;
                v += (int)(rnd() % 5) - 2;
                p[((size_t)y * w + x) * C + c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    return p;
}

typedef struct {
    int ctype, depth, interlace;
    const unsigned char *palette; /* rgb triples */
    int npal;
    const unsigned char *trns; /* palette alphas, or NULL */
    int ntrns;
    int trns_gray; /* gray tRNS value, -1 none */
} pngspec;

static void pw(png_structp png, png_bytep p, png_size_t n) { ccbuf_append(png_get_io_ptr(png), p, n); }
static void pf(png_structp png) { (void)png; }

/* rows: packed rows exactly as PNG stores them (big-endian 16 bit etc.). */
static void make_png(ccbuf *out, int w, int h, const pngspec *s, unsigned char *data, size_t rowbytes)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        abort();
    png_set_write_fn(png, out, pw, pf);
    png_set_IHDR(png, info, w, h, s->depth, s->ctype, s->interlace, 0, 0);
    if (s->palette) {
        png_color pal[256];
        for (int i = 0; i < s->npal; i++) {
            pal[i].red = s->palette[3 * i];
            pal[i].green = s->palette[3 * i + 1];
            pal[i].blue = s->palette[3 * i + 2];
        }
        png_set_PLTE(png, info, pal, s->npal);
    }
    if (s->trns)
        png_set_tRNS(png, info, s->trns, s->ntrns, NULL);
    if (s->trns_gray >= 0) {
        png_color_16 t = {0};
        t.gray = (png_uint_16)s->trns_gray;
        png_set_tRNS(png, info, NULL, 0, &t);
    }
    png_write_info(png, info);
    png_bytep *rows = xmalloc(sizeof(png_bytep) * h);
    for (int y = 0; y < h; y++)
        rows[y] = data + (size_t)y * rowbytes;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
}

static void make_jpeg(ccbuf *out, const unsigned char *px, int w, int h, int pf, int ss, int q)
{
    tjhandle tj = tjInitCompress();
    unsigned char *buf = NULL;
    unsigned long len = 0;
    if (tjCompress2(tj, px, w, 0, h, pf, &buf, &len, ss, q, 0) != 0) {
        fprintf(stderr, "tjCompress2: %s\n", tjGetErrorStr2(tj));
        abort();
    }
    ccbuf_append(out, buf, len);
    tjFree(buf);
    tjDestroy(tj);
}


static double mean_absdiff(const unsigned char *a, const unsigned char *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += abs((int)a[i] - (int)b[i]);
    return s / (double)n;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_sniff(void)
{
    CHECK_EQ_INT(img_sniff("\xFF\xD8\xFF\xE0", 4), IMG_FMT_JPEG);
    CHECK_EQ_INT(img_sniff("\x89PNG\r\n\x1a\n....", 12), IMG_FMT_PNG);
    CHECK_EQ_INT(img_sniff("RIFF\0\0\0\0WEBPVP8 ", 16), IMG_FMT_WEBP);
    CHECK_EQ_INT(img_sniff("GIF89a..", 8), IMG_FMT_GIF);
    CHECK_EQ_INT(img_sniff("GIF87a..", 8), IMG_FMT_GIF);
    CHECK_EQ_INT(img_sniff("BM......", 8), IMG_FMT_BMP);
    const char *html[] = {"<!DOCTYPE html><html>", "\n\n  <html lang=en>", "<HEAD><title>x", "\xEF\xBB\xBF<body>",
                          "\t<!-- comment -->", "<?xml version=\"1.0\"?><html>"};
    for (size_t i = 0; i < sizeof html / sizeof html[0]; i++)
        CHECK(img_sniff(html[i], strlen(html[i])) == IMG_FMT_HTML, "html[%zu]", i);
    CHECK_EQ_INT(img_sniff("", 0), IMG_FMT_UNKNOWN);
    CHECK_EQ_INT(img_sniff("hello world", 11), IMG_FMT_UNKNOWN);
    CHECK_EQ_INT(img_sniff("\xFF\xD8", 2), IMG_FMT_UNKNOWN);
    CHECK_EQ_STR(img_format_name(IMG_FMT_WEBP), "webp");
    CHECK_EQ_STR(img_format_ext(IMG_FMT_JPEG), "jpg");
}

static void test_bad_inputs(void)
{
    img_image im;
    const char *page = "<!doctype html><html><body>404 Not Found</body></html>";
    CHECK_EQ_INT(img_decode_rgb(page, strlen(page), MAXPIX, 0, &im, err, sizeof err), CC_ERR_FORMAT);
    CHECK(strstr(err, "HTML") != NULL, "html err: %s", err);
    CHECK_EQ_INT(img_decode_native("", 0, MAXPIX, &im, err, sizeof err), CC_ERR_FORMAT);
    CHECK(strstr(err, "0 bytes") != NULL, "empty err: %s", err);
    CHECK_EQ_INT(img_decode_rgb(NULL, 0, MAXPIX, 256, &im, err, sizeof err), CC_ERR_FORMAT);
    CHECK_EQ_INT(img_decode_native("GIF89a\1\0\1\0\0\0\0", 13, MAXPIX, &im, err, sizeof err), CC_ERR_FORMAT);
    CHECK_EQ_INT(img_decode_native("just text", 9, MAXPIX, &im, err, sizeof err), CC_ERR_FORMAT);
    CHECK(im.pixels == NULL, "no pixels after error");
    img_image_free(&im);
    img_image_free(NULL);

    /* PNG whose IHDR claims 100000 x 100000: refused from the header, fast. */
    unsigned char big[64] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR";
    uint32_t d = 100000;
    unsigned char be[4] = {d >> 24, d >> 16 & 255, d >> 8 & 255, d & 255};
    memcpy(big + 16, be, 4);
    memcpy(big + 20, be, 4);
    big[24] = 8;
    big[25] = 2;
    /* CPU time, not wall time: a loaded machine must not fail this */
    double t0 = cc_cpu_seconds();
    CHECK_EQ_INT(img_decode_native(big, 45, MAXPIX, &im, err, sizeof err), CC_ERR_RANGE);
    CHECK(strstr(err, "100000x100000") != NULL, "err: %s", err);
    CHECK_EQ_INT(img_decode_rgb(big, 45, MAXPIX, 256, &im, err, sizeof err), CC_ERR_RANGE);
    CHECK(cc_cpu_seconds() - t0 < 0.05, "refusal took %.3f CPU s", cc_cpu_seconds() - t0);
    int w = 0, h = 0;
    img_format f;
    CHECK_EQ_INT(img_probe(big, 45, &f, &w, &h, err, sizeof err), CC_OK);
    CHECK(f == IMG_FMT_PNG && w == 100000 && h == 100000, "probe %d %dx%d", f, w, h);

    /* A real PNG over a small cap, and a JPEG over the cap. */
    unsigned char *px = make_pixels(64, 48, 3, 1);
    ccbuf b = {0};
    pngspec s = {PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, -1};
    make_png(&b, 64, 48, &s, px, 64 * 3);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, 1000, &im, err, sizeof err), CC_ERR_RANGE);
    /* truncated PNG */
    CHECK_EQ_INT(img_decode_native(b.data, b.len / 2, MAXPIX, &im, err, sizeof err), CC_ERR_FORMAT);
    CHECK(im.pixels == NULL, "truncated png leaves no pixels");
    /* corrupted IDAT */
    ccbuf c = {0};
    ccbuf_append(&c, b.data, b.len);
    for (size_t i = 60; i < c.len - 20; i += 7)
        c.data[i] ^= 0x5a;
    CHECK_EQ_INT(img_decode_native(c.data, c.len, MAXPIX, &im, err, sizeof err), CC_ERR_FORMAT);
    ccbuf_free(&c);
    ccbuf_reset(&b);
    make_jpeg(&b, px, 64, 48, TJPF_RGB, TJSAMP_420, 90);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, 1000, 0, &im, err, sizeof err), CC_ERR_RANGE);
    CHECK_EQ_INT(img_decode_rgb(b.data, 3, MAXPIX, 0, &im, err, sizeof err), CC_ERR_FORMAT);
    ccbuf_free(&b);
    free(px);

    /* Truncated JPEG: error, not a half-grey image. */
    px = make_pixels(320, 240, 3, 2);
    make_jpeg(&b, px, 320, 240, TJPF_RGB, TJSAMP_420, 90);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_OK);
    img_image_free(&im);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len * 2 / 3, MAXPIX, 0, &im, err, sizeof err), CC_ERR_FORMAT);
    CHECK(strstr(err, "remature end") != NULL, "truncated jpeg err: %s", err);
    CHECK_EQ_INT(img_decode_native(b.data, b.len - 2, MAXPIX, &im, err, sizeof err), CC_ERR_FORMAT);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len / 2, MAXPIX, 100, &im, err, sizeof err), CC_ERR_FORMAT);
    /* Garbage after the header. */
    ccbuf_append(&c, b.data, 200);
    for (int i = 0; i < 2000; i++)
        ccbuf_putc(&c, (int)(rnd() & 255));
    cc_err rc = img_decode_rgb(c.data, c.len, MAXPIX, 0, &im, err, sizeof err);
    CHECK(rc == CC_ERR_FORMAT, "garbage jpeg rc %d", rc);
    img_image_free(&im);
    ccbuf_free(&c);
    /* Bad WebP */
    const char webp[] = "RIFF\x20\0\0\0WEBPVP8 \x14\0\0\0garbagegarbagegarbage";
    CHECK_EQ_INT(img_decode_native(webp, sizeof webp - 1, MAXPIX, &im, err, sizeof err), CC_ERR_FORMAT);
    ccbuf_free(&b);
    free(px);
}

static void test_jpeg(void)
{
    img_image im;
    int w = 203, h = 150;
    unsigned char *px = make_pixels(w, h, 3, 3);
    ccbuf b = {0};
    make_jpeg(&b, px, w, h, TJPF_RGB, TJSAMP_420, 95);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_RGB && im.channels == 3 && im.width == w && im.height == h, "rgb jpeg");
    CHECK(mean_absdiff(im.pixels, px, (size_t)w * h * 3) < 8.0, "jpeg q95 close: %.2f",
          mean_absdiff(im.pixels, px, (size_t)w * h * 3));
    /* Native decode equals TurboJPEG's own default decode. */
    tjhandle tj = tjInitDecompress();
    unsigned char *ref = xmalloc((size_t)w * h * 3);
    tjDecompress2(tj, b.data, b.len, ref, w, 0, h, TJPF_RGB, 0);
    CHECK(memcmp(ref, im.pixels, (size_t)w * h * 3) == 0, "native == libjpeg-turbo defaults");
    img_image_free(&im);

    /* Gray JPEG -> L natively, RGB replicated in decode_rgb. */
    unsigned char *g = make_pixels(w, h, 1, 4);
    ccbuf_reset(&b);
    make_jpeg(&b, g, w, h, TJPF_GRAY, TJSAMP_GRAY, 90);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_L && im.channels == 1, "gray jpeg mode %d", im.mode);
    img_image rgb;
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &rgb, err, sizeof err), CC_OK);
    CHECK(rgb.mode == IMG_MODE_RGB && rgb.channels == 3, "gray->rgb");
    int same = 1;
    for (int i = 0; i < w * h; i++)
        if (rgb.pixels[3 * i] != im.pixels[i] || rgb.pixels[3 * i + 2] != im.pixels[i])
            same = 0;
    CHECK(same, "gray replicated");
    img_image_free(&im);
    img_image_free(&rgb);

    /* CMYK JPEG made by TurboJPEG (YCCK with an Adobe marker, inverted CMYK
     * convention): c=m=y=255-v, k=255 in libjpeg's inverted storage means
     * gray level v... we check against the formula. */
    unsigned char *cmyk = xmalloc((size_t)w * h * 4);
    for (int i = 0; i < w * h; i++) {
        cmyk[4 * i + 0] = px[3 * i + 0];
        cmyk[4 * i + 1] = px[3 * i + 1];
        cmyk[4 * i + 2] = px[3 * i + 2];
        cmyk[4 * i + 3] = 255;
    }
    ccbuf_reset(&b);
    make_jpeg(&b, cmyk, w, h, TJPF_CMYK, TJSAMP_444, 100);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_RGB && im.channels == 3, "cmyk -> RGB");
    /* Adobe-inverted with k=255 (no black ink): R = c*k/255 = c. */
    CHECK(mean_absdiff(im.pixels, px, (size_t)w * h * 3) < 3.0, "cmyk colours: %.2f",
          mean_absdiff(im.pixels, px, (size_t)w * h * 3));
    img_image_free(&im);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 60, &im, err, sizeof err), CC_OK);
    CHECK(im.width == 102 && im.height == 75 && im.original_width == w, "cmyk scaled %dx%d", im.width, im.height);
    img_image_free(&im);
    free(cmyk);

    /* DCT scaling picks the smallest factor with both sides >= min_side. */
    free(px);
    w = 1600;
    h = 1200;
    px = make_pixels(w, h, 3, 5);
    ccbuf_reset(&b);
    make_jpeg(&b, px, w, h, TJPF_RGB, TJSAMP_420, 85);
    struct {
        int min_side, ew, eh;
    } cases[] = {{256, 400, 300}, {300, 400, 300}, {301, 600, 450}, {150, 200, 150}, {151, 400, 300},
                 {100, 200, 150}, {1200, 1600, 1200}, {2000, 1600, 1200}, {0, 1600, 1200}, {451, 800, 600}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, cases[i].min_side, &im, err, sizeof err), CC_OK);
        CHECK(im.width == cases[i].ew && im.height == cases[i].eh && im.original_width == w &&
                  im.original_height == h,
              "min_side %d -> %dx%d (want %dx%d)", cases[i].min_side, im.width, im.height, cases[i].ew, cases[i].eh);
        img_image_free(&im);
    }
    /* TJSCALED rounds up: 1001 x 333 at 1/4 is 251 x 84. */
    free(px);
    px = make_pixels(1001, 333, 3, 6);
    ccbuf_reset(&b);
    make_jpeg(&b, px, 1001, 333, TJPF_RGB, TJSAMP_420, 85);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 84, &im, err, sizeof err), CC_OK);
    CHECK(im.width == 251 && im.height == 84, "ceil scaling %dx%d", im.width, im.height);
    img_image_free(&im);
    free(px);
    free(g);
    free(ref);
    tjDestroy(tj);
    ccbuf_free(&b);
}

static void test_png(void)
{
    img_image im;
    ccbuf b = {0};
    int w = 37, h = 23;

    /* RGBA, composited on white in decode_rgb. */
    unsigned char *rgba = make_pixels(w, h, 4, 7);
    rgba[3] = 0;   /* fully transparent -> white */
    rgba[7] = 255; /* opaque -> as is */
    rgba[11] = 128;
    pngspec s = {PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, -1};
    make_png(&b, w, h, &s, rgba, (size_t)w * 4);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_RGBA && im.channels == 4 && memcmp(im.pixels, rgba, (size_t)w * h * 4) == 0,
          "rgba native exact");
    img_image_free(&im);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_RGB && im.pixels[0] == 255 && im.pixels[1] == 255 && im.pixels[2] == 255,
          "transparent -> white");
    CHECK(im.pixels[3] == rgba[4] && im.pixels[5] == rgba[6], "opaque kept");
    int exp = (int)lrint(128.0 / 255 * rgba[8] + 255 - 128);
    CHECK_EQ_INT(im.pixels[6], exp);
    img_image_free(&im);

    /* Palette with tRNS, 4-bit indices. */
    unsigned char pal[16 * 3], trns[3] = {0, 128, 255};
    for (int i = 0; i < 16; i++) {
        pal[3 * i] = (unsigned char)(i * 16);
        pal[3 * i + 1] = (unsigned char)(255 - i * 16);
        pal[3 * i + 2] = 77;
    }
    size_t rb = (size_t)(w + 1) / 2;
    unsigned char *packed = xcalloc(rb * h, 1);
    unsigned char *idx = xmalloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = (x + 3 * y) % 16;
            idx[y * w + x] = (unsigned char)v;
            packed[y * rb + x / 2] |= (unsigned char)(x % 2 ? v : v << 4);
        }
    pngspec sp = {PNG_COLOR_TYPE_PALETTE, 4, PNG_INTERLACE_NONE, pal, 16, trns, 3, -1};
    ccbuf_reset(&b);
    make_png(&b, w, h, &sp, packed, rb);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_P && im.channels == 1 && memcmp(im.pixels, idx, (size_t)w * h) == 0, "P indices");
    CHECK(im.palette_has_alpha && im.palette_rgba[3] == 0 && im.palette_rgba[7] == 128 && im.palette_rgba[11] == 255 &&
              im.palette_rgba[15] == 255 && im.palette_rgba[4 * 5] == 80,
          "palette + tRNS folded");
    img_image_free(&im);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_OK);
    /* pixel (0,0): index 0, alpha 0 -> white; (1,0): index 1 alpha 128 */
    CHECK(im.pixels[0] == 255 && im.pixels[1] == 255 && im.pixels[2] == 255, "palette alpha 0 -> white");
    CHECK_EQ_INT(im.pixels[3], (128 * 16 + 255 * 127 + 127) / 255);
    CHECK(im.pixels[6] == 32 && im.pixels[7] == 223 && im.pixels[8] == 77, "opaque palette entry");
    img_image_free(&im);

    /* 16-bit RGB: the high byte (as Pillow). Interlaced too. */
    unsigned char *p16 = xmalloc((size_t)w * h * 6), *hi = xmalloc((size_t)w * h * 3);
    for (int i = 0; i < w * h * 3; i++) {
        p16[2 * i] = hi[i] = (unsigned char)(rnd() & 255);
        p16[2 * i + 1] = (unsigned char)(rnd() & 255);
    }
    for (int il = 0; il < 2; il++) {
        pngspec s16 = {PNG_COLOR_TYPE_RGB, 16, il ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, NULL, 0, NULL, 0, -1};
        ccbuf_reset(&b);
        make_png(&b, w, h, &s16, p16, (size_t)w * 6);
        CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
        CHECK(im.mode == IMG_MODE_RGB && memcmp(im.pixels, hi, (size_t)w * h * 3) == 0, "16-bit -> high byte (il %d)",
              il);
        img_image_free(&im);
    }

    /* Interlaced 8-bit RGBA. */
    s.interlace = PNG_INTERLACE_ADAM7;
    ccbuf_reset(&b);
    make_png(&b, w, h, &s, rgba, (size_t)w * 4);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_RGBA && memcmp(im.pixels, rgba, (size_t)w * h * 4) == 0, "interlaced exact");
    img_image_free(&im);

    /* Gray: 8-bit L; 2-bit scaled to 0..255; gray + tRNS -> LA; gray+alpha -> LA. */
    unsigned char *g8 = make_pixels(w, h, 1, 8);
    pngspec sg = {PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, -1};
    ccbuf_reset(&b);
    make_png(&b, w, h, &sg, g8, (size_t)w);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_L && memcmp(im.pixels, g8, (size_t)w * h) == 0, "gray8");
    img_image_free(&im);
    unsigned char *g2 = xcalloc((size_t)(w + 3) / 4 * h, 1);
    size_t rb2 = (size_t)(w + 3) / 4;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            g2[y * rb2 + x / 4] |= (unsigned char)(((x + y) & 3) << (6 - 2 * (x % 4)));
    sg.depth = 2;
    sg.trns_gray = 1;
    ccbuf_reset(&b);
    make_png(&b, w, h, &sg, g2, rb2);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_LA && im.channels == 2, "gray2+tRNS -> LA (mode %d)", im.mode);
    /* (0,0)=0 -> 0 opaque; (1,0)=1 -> 85 transparent; (2,0)=2 -> 170; (3,0)=3 -> 255 */
    CHECK(im.pixels[0] == 0 && im.pixels[1] == 255 && im.pixels[2] == 85 && im.pixels[3] == 0 &&
              im.pixels[4] == 170 && im.pixels[6] == 255,
          "2-bit gray scaled, tRNS alpha");
    img_image_free(&im);
    sg.trns_gray = -1;
    ccbuf_reset(&b);
    make_png(&b, w, h, &sg, g2, rb2);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_L && im.pixels[1] == 85 && im.pixels[3] == 255, "2-bit gray -> L");
    img_image_free(&im);
    unsigned char *la = make_pixels(w, h, 2, 9);
    pngspec sla = {PNG_COLOR_TYPE_GRAY_ALPHA, 8, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, -1};
    ccbuf_reset(&b);
    make_png(&b, w, h, &sla, la, (size_t)w * 2);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_LA && memcmp(im.pixels, la, (size_t)w * h * 2) == 0, "LA exact");
    img_image_free(&im);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_OK);
    CHECK_EQ_INT(im.pixels[0], (la[1] * la[0] + 255 * (255 - la[1]) + 127) / 255);
    img_image_free(&im);

    free(rgba);
    free(packed);
    free(idx);
    free(p16);
    free(hi);
    free(g8);
    free(g2);
    free(la);
    ccbuf_free(&b);
}

static void test_webp(void)
{
    img_image im;
    int w = 64, h = 40;
    unsigned char *rgba = make_pixels(w, h, 4, 10);
    for (int i = 0; i < w * h; i++)
        rgba[4 * i + 3] = (i % w) < 32 ? 255 : 0;
    uint8_t *o = NULL;
    size_t n = WebPEncodeRGBA(rgba, w, h, w * 4, 90, &o);
    CHECK(n > 0, "webp encode");
    CHECK_EQ_INT(img_sniff(o, n), IMG_FMT_WEBP);
    CHECK_EQ_INT(img_decode_native(o, n, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_RGBA && im.width == w && im.height == h, "webp alpha -> RGBA");
    img_image_free(&im);
    CHECK_EQ_INT(img_decode_rgb(o, n, MAXPIX, 0, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_RGB && im.pixels[3 * 63] == 255 && im.pixels[3 * 63 + 1] == 255, "webp alpha on white");
    img_image_free(&im);
    WebPFree(o);
    unsigned char *rgb = make_pixels(w, h, 3, 11);
    n = WebPEncodeRGB(rgb, w, h, w * 3, 90, &o);
    CHECK_EQ_INT(img_decode_native(o, n, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_RGB && im.channels == 3, "lossy webp -> RGB");
    CHECK(mean_absdiff(im.pixels, rgb, (size_t)w * h * 3) < 12, "webp close %.2f",
          mean_absdiff(im.pixels, rgb, (size_t)w * h * 3));
    img_image_free(&im);
    CHECK_EQ_INT(img_decode_native(o, n / 2, MAXPIX, &im, err, sizeof err), CC_ERR_FORMAT);
    CHECK_EQ_INT(img_decode_native(o, n, 100, &im, err, sizeof err), CC_ERR_RANGE);
    WebPFree(o);
    free(rgba);
    free(rgb);
}

/* img2dataset/albumentations formulas, written out independently. */
static long pyround(double v)
{
    double r = floor(v + 0.5);
    if (fabs(v - floor(v) - 0.5) < 1e-12 && fmod(r, 2) != 0)
        r -= 1;
    return (long)r;
}

static void test_resize_dims(void)
{
    int sizes[][2] = {{1600, 1200}, {1200, 1600}, {640, 480}, {300, 200}, {256, 256}, {100, 50}, {257, 1000},
                      {5000, 20}, {333, 999}, {500, 180}, {17, 9}, {512, 384}, {1, 1}};
    int S = 256;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int w = sizes[i][0], h = sizes[i][1], mn = w < h ? w : h, mx = w < h ? h : w;
        for (int m = 0; m <= RESIZE_CENTER_CROP; m++) {
            int ow, oh, sw, sh, ew = w, eh = h;
            img_resize_dims(w, h, S, (img_resize_mode)m, &ow, &oh, &sw, &sh);
            if (m == RESIZE_KEEP_RATIO && mn != S) {
                ew = (int)pyround(w * ((double)S / mn));
                eh = (int)pyround(h * ((double)S / mn));
            } else if (m == RESIZE_KEEP_RATIO_LARGEST && mx != S) {
                ew = (int)pyround(w * ((double)S / mx));
                eh = (int)pyround(h * ((double)S / mx));
            } else if (m == RESIZE_CENTER_CROP || m == RESIZE_BORDER) {
                ew = eh = S;
            }
            CHECK(ow == ew && oh == eh, "%dx%d %s -> %dx%d want %dx%d", w, h, img_resize_mode_name(m), ow, oh, ew,
                  eh);
            /* --resize_only_if_bigger: not bigger on the reference side = untouched */
            int ref = (m == RESIZE_KEEP_RATIO || m == RESIZE_CENTER_CROP) ? mn : mx, fw, fh;
            img_resize_dims(w, h, S, (img_resize_mode)(m | IMG_RESIZE_ONLY_IF_BIGGER), &fw, &fh, NULL, NULL);
            if (m == RESIZE_NO || ref <= S)
                CHECK(fw == w && fh == h, "only-if-bigger %dx%d %s -> %dx%d", w, h, img_resize_mode_name(m), fw, fh);
            else
                CHECK(fw == ow && fh == oh, "only-if-bigger %dx%d %s -> %dx%d want %dx%d", w, h,
                      img_resize_mode_name(m), fw, fh, ow, oh);
            if (m == RESIZE_CENTER_CROP) {
                int esw = (int)pyround(w * ((double)S / mn)), esh = (int)pyround(h * ((double)S / mn));
                CHECK(sw == (esw < 1 ? 1 : esw) && sh == (esh < 1 ? 1 : esh), "cc scaled %dx%d", sw, sh);
            }
        }
    }
    /* Known values: img2dataset keep_ratio 256 on 1600x1200 -> 341x256; 500x180 -> 711x256 (upscaled). */
    int ow, oh;
    img_resize_dims(1600, 1200, 256, RESIZE_KEEP_RATIO, &ow, &oh, NULL, NULL);
    CHECK(ow == 341 && oh == 256, "1600x1200 keep_ratio %dx%d", ow, oh);
    img_resize_dims(1000, 600, 224, RESIZE_KEEP_RATIO, &ow, &oh, NULL, NULL);
    CHECK(ow == 373 && oh == 224, "1000x600 -> %dx%d", ow, oh); /* 373.33 */
    img_resize_dims(700, 200, 400, RESIZE_KEEP_RATIO_LARGEST, &ow, &oh, NULL, NULL);
    CHECK(ow == 400 && oh == 114, "largest %dx%d", ow, oh); /* 114.28 */
    img_resize_dims(10, 5, 4, RESIZE_KEEP_RATIO, &ow, &oh, NULL, NULL);
    CHECK(ow == 8 && oh == 4, "small %dx%d", ow, oh);
    img_resize_dims(5, 10, 2, RESIZE_KEEP_RATIO_LARGEST, &ow, &oh, NULL, NULL);
    CHECK(ow == 1 && oh == 2, "tiny %dx%d", ow, oh);
    img_resize_dims(3, 10, 4, RESIZE_KEEP_RATIO_LARGEST, &ow, &oh, NULL, NULL);
    CHECK(ow == 1 && oh == 4, "half-even %dx%d", ow, oh); /* 1.2 -> 1 */
    img_resize_dims(5, 8, 4, RESIZE_KEEP_RATIO_LARGEST, &ow, &oh, NULL, NULL);
    CHECK(ow == 2 && oh == 4, "2.5 rounds to even: %dx%d", ow, oh);
    img_resize_dims(7, 4, 2, RESIZE_KEEP_RATIO, &ow, &oh, NULL, NULL);
    CHECK(ow == 4 && oh == 2, "3.5 rounds to even: %dx%d", ow, oh);

    img_resize_mode rm;
    CHECK(img_resize_mode_parse("keep_ratio_largest", &rm) == 0 && rm == RESIZE_KEEP_RATIO_LARGEST, "parse");
    CHECK(img_resize_mode_parse("fixed", &rm) == -1, "unknown mode");
    CHECK_EQ_STR(img_resize_mode_name(RESIZE_CENTER_CROP), "center_crop");
    img_encode_format ef;
    CHECK(img_encode_format_parse("jpeg", &ef) == 0 && ef == ENC_JPG, "jpeg");
    CHECK(img_encode_format_parse("gif", &ef) == -1, "gif");
    CHECK_EQ_STR(img_encode_format_ext(ENC_WEBP), "webp");
}

static void test_resize_pixels(void)
{
    img_image im = {0};
    /* Flat colour stays flat through every mode. */
    int w = 300, h = 200;
    im.width = w;
    im.height = h;
    im.mode = IMG_MODE_RGB;
    im.channels = 3;
    for (int m = 1; m <= RESIZE_CENTER_CROP; m++) {
        im.width = w;
        im.height = h;
        im.mode = IMG_MODE_RGB;
        im.channels = 3;
        im.pixels = xmalloc((size_t)w * h * 3);
        for (int i = 0; i < w * h; i++) {
            im.pixels[3 * i] = 10;
            im.pixels[3 * i + 1] = 100;
            im.pixels[3 * i + 2] = 200;
        }
        CHECK_EQ_INT(img_resize(&im, 128, (img_resize_mode)m, err, sizeof err), CC_OK);
        int ew, eh;
        img_resize_dims(w, h, 128, (img_resize_mode)m, &ew, &eh, NULL, NULL);
        CHECK(im.width == ew && im.height == eh, "mode %d size", m);
        int flat = 1, ph = 0;
        for (int i = 0; i < im.width * im.height; i++) {
            const unsigned char *p = im.pixels + 3 * i;
            if (p[0] == 255 && p[1] == 255 && p[2] == 255)
                ph++;
            else if (p[0] != 10 || p[1] != 100 || p[2] != 200)
                flat = 0;
        }
        CHECK(flat, "mode %d flat", m);
        if (m == RESIZE_BORDER) {
            /* 128 x 85 inside 128 x 128: rows 0..20 and 106..127 are white. */
            CHECK_EQ_INT(ph, 128 * (128 - 85));
            CHECK(im.pixels[0] == 255 && im.pixels[3 * (128 * 21)] == 10 && im.pixels[3 * (128 * 20)] == 255,
                  "border pad top 21 rows");
        } else {
            CHECK_EQ_INT(ph, 0);
        }
        img_image_free(&im);
    }
    /* Center crop takes the middle: a left/right split picture stays split. */
    im.width = 400;
    im.height = 200;
    im.mode = IMG_MODE_RGB;
    im.channels = 3;
    im.pixels = xmalloc(400 * 200 * 3);
    for (int y = 0; y < 200; y++)
        for (int x = 0; x < 400; x++)
            memset(im.pixels + 3 * (y * 400 + x), x < 200 ? 0 : 255, 3);
    CHECK_EQ_INT(img_resize(&im, 100, RESIZE_CENTER_CROP, err, sizeof err), CC_OK);
    CHECK(im.width == 100 && im.height == 100 && im.pixels[3 * 10] == 0 && im.pixels[3 * 90] == 255, "crop centre");
    img_image_free(&im);
    /* Large PNG-like input (box pre-reduction + bicubic) keeps its mean. */
    im.width = 2400;
    im.height = 1800;
    im.channels = 3;
    im.mode = IMG_MODE_RGB;
    im.pixels = make_pixels(2400, 1800, 3, 12);
    double mean0 = 0;
    for (size_t i = 0; i < 2400u * 1800 * 3; i++)
        mean0 += im.pixels[i];
    mean0 /= 2400.0 * 1800 * 3;
    CHECK_EQ_INT(img_resize(&im, 256, RESIZE_KEEP_RATIO, err, sizeof err), CC_OK);
    double mean1 = 0;
    for (int i = 0; i < im.width * im.height * 3; i++)
        mean1 += im.pixels[i];
    mean1 /= (double)im.width * im.height * 3;
    CHECK(im.width == 341 && im.height == 256 && fabs(mean0 - mean1) < 1.0, "big downscale %dx%d mean %.2f vs %.2f",
          im.width, im.height, mean0, mean1);
    img_image_free(&im);
    /* keep_ratio upscales as img2dataset does, unless only-if-bigger */
    im.width = 100;
    im.height = 80;
    im.channels = 3;
    im.mode = IMG_MODE_RGB;
    im.pixels = make_pixels(100, 80, 3, 13);
    CHECK_EQ_INT(img_resize(&im, 256, (img_resize_mode)(RESIZE_KEEP_RATIO | IMG_RESIZE_ONLY_IF_BIGGER), err, sizeof err),
                 CC_OK);
    CHECK(im.width == 100 && im.height == 80, "only-if-bigger: no upscale");
    CHECK_EQ_INT(img_resize(&im, 160, RESIZE_KEEP_RATIO, err, sizeof err), CC_OK);
    CHECK(im.width == 200 && im.height == 160, "keep_ratio upscales %dx%d", im.width, im.height);
    CHECK_EQ_INT(img_resize(&im, 256, RESIZE_CENTER_CROP, err, sizeof err), CC_OK);
    CHECK(im.width == 256 && im.height == 256, "center_crop upscales");
    CHECK_EQ_INT(img_resize(&im, 0, RESIZE_KEEP_RATIO, err, sizeof err), CC_ERR_USAGE);
    img_image_free(&im);
}

/* decode + resize in one call: the size follows the file's dimensions even
 * when DCT scaling rounded the decoded size up. */
static void test_decode_resize(void)
{
    int sizes[][2] = {{1001, 333}, {1600, 1200}, {333, 1001}, {700, 701}, {200, 150}};
    ccbuf b = {0};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int w = sizes[i][0], h = sizes[i][1];
        unsigned char *px = make_pixels(w, h, 3, 30 + (int)i);
        ccbuf_reset(&b);
        make_jpeg(&b, px, w, h, TJPF_RGB, TJSAMP_420, 85);
        for (int m = 0; m <= RESIZE_CENTER_CROP; m++) {
            for (int S = 64; S <= 256; S += 96) {
                img_image im;
                int ew, eh;
                img_resize_dims(w, h, S, (img_resize_mode)m, &ew, &eh, NULL, NULL);
                CHECK_EQ_INT(img_decode_resize(b.data, b.len, MAXPIX, S, (img_resize_mode)m, &im, err, sizeof err),
                             CC_OK);
                CHECK(im.width == ew && im.height == eh && im.original_width == w && im.original_height == h,
                      "%dx%d %s %d -> %dx%d want %dx%d", w, h, img_resize_mode_name(m), S, im.width, im.height, ew,
                      eh);
                img_image_free(&im);
            }
        }
        int ms = img_resize_min_side(w, h, 256, RESIZE_KEEP_RATIO_LARGEST);
        int mn = w < h ? w : h, mx = w < h ? h : w;
        CHECK((long)ms * mx >= 256L * mn && (long)(ms - 1) * mx < 256L * mn, "min_side %d", ms);
        free(px);
    }
    CHECK_EQ_INT(img_resize_min_side(1600, 1200, 256, RESIZE_NO), 0);
    CHECK_EQ_INT(img_resize_min_side(1600, 1200, 256, RESIZE_CENTER_CROP), 256);
    img_image im;
    CHECK_EQ_INT(img_decode_resize("<html>", 6, MAXPIX, 256, RESIZE_KEEP_RATIO, &im, err, sizeof err), CC_ERR_FORMAT);
    ccbuf_free(&b);
}

static void test_encode(void)
{
    img_image im = {0}, back;
    int w = 160, h = 120;
    im.width = w;
    im.height = h;
    im.mode = IMG_MODE_RGB;
    im.channels = 3;
    im.pixels = make_pixels(w, h, 3, 14);
    ccbuf b = {0};
    CHECK_EQ_INT(img_encode(&im, ENC_JPG, 95, &b, err, sizeof err), CC_OK);
    CHECK_EQ_INT(img_sniff(b.data, b.len), IMG_FMT_JPEG);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &back, err, sizeof err), CC_OK);
    CHECK(back.width == w && back.height == h && mean_absdiff(back.pixels, im.pixels, (size_t)w * h * 3) < 8,
          "jpg round trip %.2f", mean_absdiff(back.pixels, im.pixels, (size_t)w * h * 3));
    img_image_free(&back);
    /* Append semantics: the second encode lands after the first. */
    size_t first = b.len;
    CHECK_EQ_INT(img_encode(&im, ENC_PNG, 6, &b, err, sizeof err), CC_OK);
    CHECK_EQ_INT(img_sniff(b.data + first, b.len - first), IMG_FMT_PNG);
    CHECK_EQ_INT(img_decode_native(b.data + first, b.len - first, MAXPIX, &back, err, sizeof err), CC_OK);
    CHECK(back.mode == IMG_MODE_RGB && memcmp(back.pixels, im.pixels, (size_t)w * h * 3) == 0, "png lossless");
    img_image_free(&back);
    ccbuf_reset(&b);
    CHECK_EQ_INT(img_encode(&im, ENC_WEBP, 90, &b, err, sizeof err), CC_OK);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &back, err, sizeof err), CC_OK);
    CHECK(back.mode == IMG_MODE_RGB && mean_absdiff(back.pixels, im.pixels, (size_t)w * h * 3) < 10, "webp lossy");
    img_image_free(&back);
    ccbuf_reset(&b);
    CHECK_EQ_INT(img_encode(&im, ENC_WEBP, 101, &b, err, sizeof err), CC_OK);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &back, err, sizeof err), CC_OK);
    CHECK(memcmp(back.pixels, im.pixels, (size_t)w * h * 3) == 0, "webp lossless (quality > 100)");
    img_image_free(&back);
    /* Quality changes size. */
    ccbuf lo = {0}, hi = {0};
    img_encode(&im, ENC_JPG, 30, &lo, err, sizeof err);
    img_encode(&im, ENC_JPG, 95, &hi, err, sizeof err);
    CHECK(lo.len < hi.len, "q30 %zu < q95 %zu", lo.len, hi.len);
    CHECK_EQ_INT(img_encode(&im, ENC_JPG, 0, &lo, err, sizeof err), CC_ERR_USAGE);
    CHECK_EQ_INT(img_encode(&im, ENC_PNG, 10, &lo, err, sizeof err), CC_ERR_USAGE);
    ccbuf_free(&lo);
    ccbuf_free(&hi);
    ccbuf_free(&b);
    img_image_free(&im);
}

static void test_checks(void)
{
    img_checks c;
    img_checks_defaults(&c);
    CHECK(c.min_bytes == 1 && c.max_pixels == 89478484ull && c.min_side == 0 && c.max_aspect_ratio == 0, "defaults");
    CHECK(img_check(&c, 1000, 640, 480) == NULL, "ok");
    CHECK_EQ_STR(img_check(&c, 0, 640, 480), "too_small_bytes");
    CHECK_EQ_STR(img_check(&c, 100, 10000, 10000), "too_many_pixels");
    CHECK(img_check(&c, 100, 9459, 9459) == NULL, "just under Pillow's cap"); /* 89,472,681 */
    c.min_side = 64;
    c.max_aspect_ratio = 3.0;
    c.min_bytes = 500;
    CHECK_EQ_STR(img_check(&c, 499, 640, 480), "too_small_bytes");
    CHECK_EQ_STR(img_check(&c, 500, 640, 63), "too_small");
    CHECK_EQ_STR(img_check(&c, 500, 301, 100), "aspect_ratio");
    CHECK(img_check(&c, 500, 300, 100) == NULL, "ratio 3.0 passes");
    CHECK_EQ_STR(img_check(&c, 500, 0, 100), "too_small");
}

static void test_phash(void)
{
    img_image a = {0};
    int w = 400, h = 300;
    a.width = w;
    a.height = h;
    a.mode = IMG_MODE_RGB;
    a.channels = 3;
    a.pixels = make_pixels(w, h, 3, 20);
    uint64_t ha = img_phash64(&a);
    CHECK(ha != 0 && ha != ~0ull, "hash not degenerate");
    /* Re-encode at q70. */
    ccbuf b = {0};
    img_encode(&a, ENC_JPG, 70, &b, err, sizeof err);
    img_image r;
    img_decode_rgb(b.data, b.len, MAXPIX, 0, &r, err, sizeof err);
    int d1 = img_hamming64(ha, img_phash64(&r));
    CHECK(d1 <= 4, "q70 re-encode distance %d", d1);
    /* 0.9x resize. */
    img_resize(&r, 270, RESIZE_KEEP_RATIO, err, sizeof err);
    int d2 = img_hamming64(ha, img_phash64(&r));
    CHECK(d2 <= 6, "0.9x resize distance %d", d2);
    img_image_free(&r);
    /* Gray version of the same picture is near; other pictures far. */
    int far_min = 64;
    for (int s = 21; s < 27; s++) {
        img_image o = {0};
        o.width = w;
        o.height = h;
        o.mode = IMG_MODE_RGB;
        o.channels = 3;
        o.pixels = make_pixels(w, h, 3, s * 13);
        int d = img_hamming64(ha, img_phash64(&o));
        if (d < far_min)
            far_min = d;
        img_image_free(&o);
    }
    CHECK(far_min > 20, "different images differ by > 20 bits (min %d)", far_min);
    CHECK_EQ_INT(img_hamming64(0, ~0ull), 64);
    CHECK_EQ_INT(img_hamming64(5, 6), 2);
    img_image empty = {0};
    CHECK_EQ_INT(img_phash64(&empty), 0);
    ccbuf_free(&b);
    img_image_free(&a);
}

/* Fixtures from the reference implementation (Pillow + libjpeg-turbo). */
static void test_clipref(void)
{
    const char *testdata = getenv("CLIPCRAWL_TESTDATA");
    if (!testdata) {
        CHECK(0, "CLIPCRAWL_TESTDATA not set");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/clipref/fixtures/images.json", testdata);
    ccbuf jb = {0};
    if (cc_read_file(path, &jb) != CC_OK) {
        CHECK(0, "cannot read %s", path);
        return;
    }
    json_value *root = json_parse((const char *)jb.data, jb.len, err, sizeof err);
    CHECK(root != NULL, "images.json: %s", err);
    const json_value *imgs = json_get(root, "images");
    int nimg = 0, nresampled = 0;
    for (size_t i = 0; imgs && i < imgs->len; i++) {
        const json_value *e = json_at(imgs, i);
        const char *file = json_get_string(e, "file", "");
        const char *mode = json_get_string(e, "mode", "");
        const char *want = json_get_string(e, "decoded_sha256", "");
        const json_value *size = json_get(e, "size");
        snprintf(path, sizeof path, "%s/clipref/fixtures/%s", testdata, file);
        ccbuf fb = {0};
        if (cc_read_file(path, &fb) != CC_OK) {
            CHECK(0, "cannot read %s", path);
            continue;
        }
        img_image im;
        cc_err rc = img_decode_native(fb.data, fb.len, MAXPIX, &im, err, sizeof err);
        CHECK(rc == CC_OK, "%s: %s", file, err);
        if (rc == CC_OK) {
            static const char *names[] = {"?", "L", "LA", "RGB", "RGBA", "P"};
            CHECK(strcmp(names[im.mode], mode) == 0, "%s: mode %s want %s", file, names[im.mode], mode);
            CHECK(im.width == (int)json_at(size, 0)->number && im.height == (int)json_at(size, 1)->number,
                  "%s size", file);
            char hex[65];
            cc_sha256_hex(im.pixels, (size_t)im.width * im.height * im.channels, hex);
            CHECK(strcmp(hex, want) == 0, "%s: decoded sha256 %s want %s", file, hex, want);
            nimg++;
            /* Resampling bit-exact with Pillow BICUBIC for L and RGB sources:
             * resize short side, crop, convert to RGB -> crop_rgb_sha256. */
            const json_value *rs = json_get(e, "resized_size"), *cb = json_get(e, "crop_box");
            if ((im.mode == IMG_MODE_L || im.mode == IMG_MODE_RGB) && rs && cb &&
                strcmp(json_get_string(e, "resample_filter", ""), "bicubic") == 0) {
                int dw = (int)json_at(rs, 0)->number, dh = (int)json_at(rs, 1)->number;
                int x0 = (int)json_at(cb, 0)->number, y0 = (int)json_at(cb, 1)->number;
                int x1 = (int)json_at(cb, 2)->number, y1 = (int)json_at(cb, 3)->number;
                unsigned char *o = xmalloc((size_t)dw * dh * im.channels);
                cc_resample(im.pixels, im.width, im.height, im.channels, o, dw, dh, CC_FILTER_BICUBIC, NULL, 0);
                int cw = x1 - x0, chh = y1 - y0;
                unsigned char *crop = xmalloc((size_t)cw * chh * 3);
                for (int y = 0; y < chh; y++)
                    for (int x = 0; x < cw; x++)
                        for (int c = 0; c < 3; c++)
                            crop[(y * cw + x) * 3 + c] =
                                o[((size_t)(y + y0) * dw + x + x0) * im.channels + (im.channels == 3 ? c : 0)];
                cc_sha256_hex(crop, (size_t)cw * chh * 3, hex);
                CHECK(strcmp(hex, json_get_string(e, "crop_rgb_sha256", "")) == 0, "%s: Pillow bicubic mismatch",
                      file);
                nresampled++;
                free(o);
                free(crop);
            }
            img_image_free(&im);
        }
        ccbuf_free(&fb);
    }
    CHECK(nimg >= 8, "decoded %d fixture images", nimg);
    CHECK(nresampled >= 4, "resampled %d fixture images", nresampled);
    json_free(root);
    ccbuf_free(&jb);
}

/* Committed tiny files in tests/data/images (photo_small.jpg from
 * make-photos --small; the bad ones are the fetch tests' fixtures too):
 * each decodes, or fails with the right code. */
static void test_committed(void)
{
    const char *src = getenv("CLIPCRAWL_TESTS");
    if (!src) {
        CHECK(0, "CLIPCRAWL_TESTS not set");
        return;
    }
    struct {
        const char *file;
        cc_err rc;
        int w, h;
    } files[] = {{"photo_small.jpg", CC_OK, 160, 120},    {"cmyk_adobe.jpg", CC_OK, 32, 24},
                 {"truncated.jpg", CC_ERR_FORMAT, 0, 0},  {"html_as_image.jpg", CC_ERR_FORMAT, 0, 0},
                 {"empty.jpg", CC_ERR_FORMAT, 0, 0},      {"huge_ihdr.png", CC_ERR_RANGE, 0, 0}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/data/images/%s", src, files[i].file);
        ccbuf fb = {0};
        CHECK(cc_read_file(path, &fb) == CC_OK, "read %s", path);
        img_image im;
        cc_err rc = img_decode_rgb(fb.data, fb.len, MAXPIX, 0, &im, err, sizeof err);
        CHECK(rc == files[i].rc, "%s: rc %d want %d (%s)", files[i].file, rc, files[i].rc, rc ? err : "");
        if (rc == CC_OK)
            CHECK(im.width == files[i].w && im.height == files[i].h, "%s: %dx%d", files[i].file, im.width, im.height);
        if (rc == CC_OK && i == 1) {
            /* c=x*8, m=y*10, y=128, k=200 stored (Adobe, inverted): R = c*k/255 */
            CHECK(abs(im.pixels[3 * (5 * 32 + 20)] - 160 * 200 / 255) <= 4, "cmyk R %d", im.pixels[3 * (5 * 32 + 20)]);
            CHECK(abs(im.pixels[3 * (5 * 32 + 20) + 2] - 128 * 200 / 255) <= 4, "cmyk B %d",
                  im.pixels[3 * (5 * 32 + 20) + 2]);
        }
        img_image_free(&im);
        ccbuf_free(&fb);
    }
}

/* ---- formats users meet, and decode budgets ------------------------------------ */

static void test_sniff_more(void)
{
    ccbuf b = {0};
    imggen_svg(&b);
    CHECK_EQ_INT(img_sniff(b.data, b.len), IMG_FMT_SVG);
    img_image im;
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_ERR_UNSUPPORTED);
    CHECK(strstr(err, "svg") != NULL, "svg err: %s", err);
    CHECK_EQ_INT(img_sniff("<svg width=\"1\"/>", 16), IMG_FMT_SVG);
    CHECK_EQ_INT(img_sniff("<!-- x --><svg>", 15), IMG_FMT_SVG);
    CHECK_EQ_INT(img_sniff("<?xml version=\"1.0\"?><html><svg>", 32), IMG_FMT_HTML);
    CHECK_EQ_INT(img_sniff("<svgfoo>", 8), IMG_FMT_HTML == img_sniff("<svgfoo>", 8) ? IMG_FMT_HTML : IMG_FMT_UNKNOWN);
    ccbuf_reset(&b);
    imggen_avif(&b);
    CHECK_EQ_INT(img_sniff(b.data, b.len), IMG_FMT_AVIF);
    CHECK_EQ_INT(img_probe(b.data, b.len, NULL, NULL, NULL, err, sizeof err), CC_ERR_UNSUPPORTED);
    CHECK(!img_format_decodable(IMG_FMT_AVIF) && !img_format_decodable(IMG_FMT_SVG), "svg/avif not decodable");
    CHECK(img_format_decodable(IMG_FMT_GIF) && img_format_decodable(IMG_FMT_BMP), "gif/bmp decodable");
    /* heic is ftyp too, but not AVIF */
    CHECK_EQ_INT(img_sniff("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24), IMG_FMT_UNKNOWN);
    CHECK_EQ_STR(img_format_name(IMG_FMT_AVIF), "avif");
    ccbuf_free(&b);
}

static void test_gif(void)
{
    ccbuf b = {0}, b2 = {0};
    img_image im, im2;
    imggen_gif(&b, 90, 70, 11, 1, 0, 0);
    CHECK_EQ_INT(img_sniff(b.data, b.len), IMG_FMT_GIF);
    int w = 0, h = 0;
    CHECK_EQ_INT(img_probe(b.data, b.len, NULL, &w, &h, err, sizeof err), CC_OK);
    CHECK(w == 90 && h == 70, "gif probe %dx%d", w, h);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_P && im.width == 90 && im.height == 70, "gif native mode %d", im.mode);
    /* the quantised picture: each pixel is within half a 51-step of photogen's */
    unsigned char *px = imggen_pixels(90, 70, 11);
    CHECK_EQ_INT(img_to_rgb(&im), CC_OK);
    int worst = 0;
    for (size_t i = 0; i < (size_t)90 * 70 * 3; i++)
        if (abs(im.pixels[i] - px[i]) > worst)
            worst = abs(im.pixels[i] - px[i]);
    CHECK(worst <= 26, "gif pixels off by %d", worst);
    /* interlaced and animated files give the same first frame */
    imggen_gif(&b2, 90, 70, 11, 3, 1, 0);
    CHECK_EQ_INT(img_decode_rgb(b2.data, b2.len, MAXPIX, 0, &im2, err, sizeof err), CC_OK);
    CHECK(im2.width == 90 && memcmp(im.pixels, im2.pixels, (size_t)90 * 70 * 3) == 0, "interlaced/animated = plain");
    img_image_free(&im2);
    /* transparency composites on white */
    ccbuf_reset(&b2);
    imggen_gif(&b2, 90, 70, 11, 1, 0, 1);
    CHECK_EQ_INT(img_decode_rgb(b2.data, b2.len, MAXPIX, 0, &im2, err, sizeof err), CC_OK);
    CHECK(im2.pixels[0] == 255 && im2.pixels[3 * 90 * 3 + 5] == 255, "transparent band is white");
    img_image_free(&im2);
    /* pixel cap, truncation, resize path */
    CHECK_EQ_INT(img_decode_native(b.data, b.len, 1000, &im2, err, sizeof err), CC_ERR_RANGE);
    CHECK_EQ_INT(img_decode_native(b.data, b.len / 2, MAXPIX, &im2, err, sizeof err), CC_ERR_FORMAT);
    CHECK(im2.pixels == NULL, "no pixels after a truncated gif");
    CHECK_EQ_INT(img_decode_resize(b.data, b.len, MAXPIX, 32, RESIZE_BORDER, &im2, err, sizeof err), CC_OK);
    CHECK(im2.width == 32 && im2.height == 32, "gif resized %dx%d", im2.width, im2.height);
    img_image_free(&im2);
    /* a header and no image */
    CHECK_EQ_INT(img_decode_native("GIF89a\x10\0\x10\0\0\0\0;", 14, MAXPIX, &im2, err, sizeof err), CC_ERR_FORMAT);
    img_image_free(&im);
    free(px);
    ccbuf_free(&b);
    ccbuf_free(&b2);
}

static void test_bmp(void)
{
    unsigned char *px = imggen_pixels(37, 21, 5);
    ccbuf b = {0};
    img_image im, im2;
    /* 24-bit, bottom-up and top-down, odd width (row padding) */
    imggen_bmp(&b, 37, 21, 5, 24, 0);
    CHECK_EQ_INT(img_sniff(b.data, b.len), IMG_FMT_BMP);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_OK);
    CHECK(im.mode == IMG_MODE_RGB && im.width == 37 && im.height == 21, "bmp24 %dx%d", im.width, im.height);
    CHECK(im.pixels && memcmp(im.pixels, px, (size_t)37 * 21 * 3) == 0, "bmp24 pixels exact");
    ccbuf_reset(&b);
    imggen_bmp(&b, 37, 21, 5, 24, 1);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im2, err, sizeof err), CC_OK);
    CHECK(im2.pixels && memcmp(im2.pixels, px, (size_t)37 * 21 * 3) == 0, "top-down bmp24 pixels exact");
    img_image_free(&im2);
    /* 32-bit BI_RGB: the fourth byte is ignored */
    ccbuf_reset(&b);
    imggen_bmp(&b, 37, 21, 5, 32, 0);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im2, err, sizeof err), CC_OK);
    CHECK(im2.mode == IMG_MODE_RGB && memcmp(im2.pixels, px, (size_t)37 * 21 * 3) == 0, "bmp32 = bmp24");
    img_image_free(&im2);
    /* 16-bit 5-6-5 bit fields: within the quantisation step */
    ccbuf_reset(&b);
    imggen_bmp(&b, 37, 21, 5, 16, 0);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im2, err, sizeof err), CC_OK);
    int worst = 0;
    for (size_t i = 0; im2.pixels && i < (size_t)37 * 21 * 3; i++)
        if (abs(im2.pixels[i] - px[i]) > worst)
            worst = abs(im2.pixels[i] - px[i]);
    CHECK(im2.pixels && worst <= 8, "bmp16 off by %d", worst);
    img_image_free(&im2);
    /* palette depths: gray ramps */
    int bpps[] = {1, 4, 8};
    for (int k = 0; k < 3; k++) {
        ccbuf_reset(&b);
        imggen_bmp(&b, 37, 21, 5, bpps[k], k == 1);
        CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im2, err, sizeof err), CC_OK);
        int levels = 1 << bpps[k], bad = 0;
        for (size_t i = 0; im2.pixels && i < (size_t)37 * 21; i++) {
            const unsigned char *s = px + 3 * i, *d = im2.pixels + 3 * i;
            int gray = (s[0] * 299 + s[1] * 587 + s[2] * 114) / 1000;
            int want = gray * (levels - 1) / 255 * 255 / (levels - 1);
            if (d[0] != want || d[1] != want || d[2] != want)
                bad++;
        }
        CHECK(im2.pixels && bad == 0, "bmp%d: %d pixels wrong", bpps[k], bad);
        img_image_free(&im2);
    }
    /* bad inputs: truncated pixels, huge claim (from the header), RLE, bad depth */
    ccbuf_reset(&b);
    imggen_bmp(&b, 37, 21, 5, 24, 0);
    CHECK_EQ_INT(img_decode_native(b.data, b.len - 10, MAXPIX, &im2, err, sizeof err), CC_ERR_FORMAT);
    CHECK(strstr(err, "truncated") != NULL, "bmp trunc err: %s", err);
    CHECK_EQ_INT(img_decode_native(b.data, 30, MAXPIX, &im2, err, sizeof err), CC_ERR_FORMAT);
    ccbuf c = {0};
    ccbuf_append(&c, b.data, b.len);
    c.data[18] = 0x50, c.data[19] = 0xC3, c.data[22] = 0x50, c.data[23] = 0xC3; /* 50000 x 50000 */
    CHECK_EQ_INT(img_decode_native(c.data, c.len, MAXPIX, &im2, err, sizeof err), CC_ERR_RANGE);
    int w = 0, h = 0;
    CHECK_EQ_INT(img_probe(c.data, c.len, NULL, &w, &h, err, sizeof err), CC_OK);
    CHECK(w == 50000 && h == 50000, "bmp claim %dx%d", w, h);
    memcpy(c.data, b.data, b.len);
    c.data[30] = 1; /* BI_RLE8 */
    CHECK_EQ_INT(img_decode_native(c.data, c.len, MAXPIX, &im2, err, sizeof err), CC_ERR_UNSUPPORTED);
    memcpy(c.data, b.data, b.len);
    c.data[28] = 7; /* 7 bits a pixel */
    CHECK_EQ_INT(img_decode_native(c.data, c.len, MAXPIX, &im2, err, sizeof err), CC_ERR_FORMAT);
    memcpy(c.data, b.data, b.len);
    c.data[10] = 0xF0, c.data[11] = 0xFF, c.data[12] = 0xFF, c.data[13] = 0x7F; /* data offset far past the end */
    CHECK_EQ_INT(img_decode_native(c.data, c.len, MAXPIX, &im2, err, sizeof err), CC_ERR_FORMAT);
    CHECK(im2.pixels == NULL, "no pixels after errors");
    /* every prefix of a palette BMP fails cleanly or decodes */
    ccbuf_reset(&b);
    imggen_bmp(&b, 9, 5, 3, 4, 0);
    for (size_t k = 0; k < b.len; k++) {
        cc_err rc = img_decode_native(b.data, k, MAXPIX, &im2, err, sizeof err);
        CHECK(rc == CC_ERR_FORMAT, "prefix %zu rc %d", k, rc);
        img_image_free(&im2);
    }
    img_image_free(&im);
    ccbuf_free(&c);
    ccbuf_free(&b);
    free(px);
}

static void test_decode_budget(void)
{
    img_image im;
    ccbuf b = {0}, p = {0};
    /* a progressive JPEG decodes through the budgeted path exactly as TurboJPEG does */
    imggen_jpeg(&p, 200, 150, 3, 1);
    CHECK_EQ_INT(img_decode_rgb(p.data, p.len, MAXPIX, 0, &im, err, sizeof err), CC_OK);
    tjhandle tj = tjInitDecompress();
    unsigned char *ref = malloc((size_t)200 * 150 * 3);
    CHECK(tjDecompress2(tj, p.data, p.len, ref, 200, 0, 150, TJPF_RGB, 0) == 0, "tj decode");
    CHECK(im.pixels && memcmp(im.pixels, ref, (size_t)200 * 150 * 3) == 0, "progressive: same pixels as TurboJPEG");
    img_image_free(&im);
    /* scaled too */
    CHECK_EQ_INT(img_decode_rgb(p.data, p.len, MAXPIX, 50, &im, err, sizeof err), CC_OK);
    CHECK(im.width == 75 && im.height == 57, "progressive scaled 3/8: %dx%d", im.width, im.height);
    img_image_free(&im);
    /* truncated progressive file */
    CHECK_EQ_INT(img_decode_rgb(p.data, p.len * 2 / 3, MAXPIX, 0, &im, err, sizeof err), CC_ERR_FORMAT);
    CHECK(strstr(err, "remature end") != NULL, "truncated progressive err: %s", err);
    /* a scan bomb stops at the scan limit, fast */
    imggen_scan_bomb(&b, 64, 64, 4, 5000);
    double t0 = cc_cpu_seconds();
    cc_err rc = img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err);
    CHECK(rc == CC_ERR_BUDGET, "scan bomb rc %d (%s)", rc, err);
    CHECK(strstr(err, "more than 100 scans") != NULL, "scan bomb err: %s", err);
    CHECK(cc_cpu_seconds() - t0 < 2, "scan bomb refusal took %.2f CPU s", cc_cpu_seconds() - t0);
    CHECK(im.pixels == NULL, "no pixels");
    CHECK_EQ_INT(img_decode_resize(b.data, b.len, MAXPIX, 32, RESIZE_CENTER_CROP, &im, err, sizeof err), CC_ERR_BUDGET);
    CHECK_EQ_INT(img_decode_native(b.data, b.len, MAXPIX, &im, err, sizeof err), CC_ERR_BUDGET);
    /* a few extra scans are fine */
    ccbuf_reset(&b);
    imggen_scan_bomb(&b, 64, 64, 4, 60);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_OK);
    img_image_free(&im);
    /* the CPU-time bound: a tiny allowance stops even a good progressive file */
    img_limits lim;
    img_limits_default(&lim, MAXPIX);
    lim.cpu_seconds = 1e-9;
    rc = img_decode_resize_ex(p.data, p.len, &lim, 64, RESIZE_BORDER, &im, err, sizeof err);
    CHECK(rc == CC_ERR_BUDGET && strstr(err, "CPU time") != NULL, "cpu bound rc %d: %s", rc, err);
    lim.cpu_seconds = 0;
    lim.max_scans = 0; /* no limits */
    CHECK_EQ_INT(img_decode_resize_ex(p.data, p.len, &lim, 64, RESIZE_BORDER, &im, err, sizeof err), CC_OK);
    img_image_free(&im);
    /* memory estimates, from the header */
    uint64_t e_small = img_decode_estimate(p.data, p.len, 64, RESIZE_BORDER);
    uint64_t e_full = img_decode_estimate(p.data, p.len, 0, RESIZE_NO);
    CHECK(e_small > 0 && e_small < e_full, "estimates %llu < %llu", (unsigned long long)e_small,
          (unsigned long long)e_full);
    ccbuf_reset(&b);
    imggen_png_claim(&b, 9000, 9000);
    uint64_t e_png = img_decode_estimate(b.data, b.len, 256, RESIZE_BORDER);
    CHECK(e_png >= 9000ull * 9000 * 6, "png estimate %llu", (unsigned long long)e_png);
    CHECK_EQ_INT(img_decode_estimate("nope", 4, 256, RESIZE_BORDER), 0);
    tjDestroy(tj);
    free(ref);
    ccbuf_free(&b);
    ccbuf_free(&p);
}

static void test_formats_more(void)
{
    ccbuf b = {0};
    img_image im;
    imggen_jpeg_cmyk(&b, 48, 40, 2);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_OK);
    CHECK(im.width == 48 && im.mode == IMG_MODE_RGB, "cmyk decode");
    img_image_free(&im);
    imggen_png_kind kinds[] = {IMGGEN_PNG_RGB16, IMGGEN_PNG_PALETTE};
    for (int k = 0; k < 2; k++) {
        ccbuf_reset(&b);
        imggen_png(&b, 48, 40, 2, kinds[k]);
        CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_OK);
        img_image_free(&im);
    }
    ccbuf_reset(&b);
    imggen_png_bad_crc(&b, 48, 40, 2);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_ERR_FORMAT);
    ccbuf_reset(&b);
    imggen_jpeg_claim(&b, 50000, 50000);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_ERR_RANGE);
    ccbuf_reset(&b);
    imggen_webp_lossless(&b, 48, 40, 2);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_OK);
    img_image_free(&im);
    ccbuf_reset(&b);
    imggen_webp_animated(&b, 48, 40, 2);
    CHECK_EQ_INT(img_sniff(b.data, b.len), IMG_FMT_WEBP);
    CHECK_EQ_INT(img_decode_rgb(b.data, b.len, MAXPIX, 0, &im, err, sizeof err), CC_ERR_UNSUPPORTED);
    ccbuf_free(&b);
}

int main(void)
{
    test_sniff();
    test_bad_inputs();
    test_jpeg();
    test_png();
    test_webp();
    test_resize_dims();
    test_resize_pixels();
    test_decode_resize();
    test_encode();
    test_checks();
    test_phash();
    test_clipref();
    test_committed();
    test_sniff_more();
    test_gif();
    test_bmp();
    test_decode_budget();
    test_formats_more();
    return check_summary();
}
