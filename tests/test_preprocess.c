/* test_preprocess.c — Pillow-exact CLIP preprocessing against
 * tests/data/clipref/fixtures/images.json (decoded with img_decode_native). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "image.h"
#include "json.h"
#include "preprocess.h"

static const char *testdata_dir(void)
{
    const char *s = getenv("CLIPCRAWL_TESTDATA");
    return s ? s : "tests/data";
}

static json_value *load_json(const char *path)
{
    ccbuf b = {0};
    if (cc_read_file(path, &b) != CC_OK)
        return NULL;
    char err[200];
    json_value *v = json_parse((const char *)b.data, b.len, err, sizeof err);
    ccbuf_free(&b);
    return v;
}

static int decode_file(const char *path, img_image *im)
{
    ccbuf b = {0};
    char err[256];
    if (cc_read_file(path, &b) != CC_OK) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    cc_err rc = img_decode_native(b.data, b.len, 89478484, im, err, sizeof err);
    ccbuf_free(&b);
    if (rc != CC_OK) {
        fprintf(stderr, "%s: %s\n", path, err);
        return -1;
    }
    return 0;
}

static int near(double a, double b, double tol) { return fabs(a - b) <= tol * (1.0 + fabs(b)); }

/* Compares the normalised tensor with the fixture's stats, samples and hash. */
static void check_pixels(const char *name, const float *px, int S, const json_value *fx)
{
    size_t n = (size_t)3 * S * S;
    double sum = 0, asum = 0, sq = 0, mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        sum += px[i];
        asum += fabs(px[i]);
        mn = px[i] < mn ? px[i] : mn;
        mx = px[i] > mx ? px[i] : mx;
    }
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        sq += (px[i] - mean) * (px[i] - mean);
    double sd = sqrt(sq / (double)n);
    const json_value *st = json_get(fx, "pixels");
    CHECK(near(sum, json_get_number(st, "sum", NAN), 1e-9), "%s: sum %.9g vs %.9g", name, sum,
          json_get_number(st, "sum", NAN));
    CHECK(near(asum, json_get_number(st, "abs_sum", NAN), 1e-9), "%s: abs_sum %.9g", name, asum);
    CHECK(near(mean, json_get_number(st, "mean", NAN), 1e-9), "%s: mean %.9g", name, mean);
    /* population or sample std: accept either (they differ by ~3e-6 relative) */
    double want_sd = json_get_number(st, "std", NAN), sd1 = sqrt(sq / (double)(n - 1));
    CHECK(near(sd, want_sd, 1e-8) || near(sd1, want_sd, 1e-8), "%s: std %.9g / %.9g vs %.9g", name, sd, sd1, want_sd);
    CHECK(mn == json_get_number(st, "min", NAN) && mx == json_get_number(st, "max", NAN), "%s: min/max", name);
    const json_value *smp = json_get(fx, "pixel_samples");
    for (size_t i = 0; smp && i < smp->len; i++) {
        const json_value *s = smp->items[i];
        int c = (int)json_at(s, 0)->number, y = (int)json_at(s, 1)->number, x = (int)json_at(s, 2)->number;
        double v = json_at(s, 3)->number;
        float got = px[((size_t)c * S + y) * S + x];
        CHECK((double)got == v, "%s: sample [%d,%d,%d] %.9g vs %.9g", name, c, y, x, (double)got, v);
    }
    uint32_t probe = 1;
    CHECK(*(unsigned char *)&probe == 1, "little-endian host (hash is over LE floats)");
    char hex[65];
    cc_sha256_hex(px, n * sizeof(float), hex);
    CHECK_EQ_STR(hex, json_get_string(fx, "pixels_f32le_sha256", ""));
}

/* Builds a small image of the given mode from a formula. */
static void make_image(img_image *im, int w, int h, img_mode mode)
{
    static const int chans[6] = {0, 1, 2, 3, 4, 1};
    memset(im, 0, sizeof *im);
    im->width = w;
    im->height = h;
    im->mode = mode;
    im->channels = chans[mode];
    im->pixels = xmalloc((size_t)w * h * im->channels);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < im->channels; c++)
                im->pixels[((size_t)y * w + x) * im->channels + c] =
                    (unsigned char)((7 * x + 13 * y + 29 * c + (x * y) % 17 + (c == im->channels - 1 ? x * 3 : 0)) % 256);
    for (int i = 0; i < 256; i++) {
        im->palette_rgba[4 * i] = (unsigned char)i;
        im->palette_rgba[4 * i + 1] = (unsigned char)(255 - i);
        im->palette_rgba[4 * i + 2] = (unsigned char)(i * 7);
        im->palette_rgba[4 * i + 3] = 255;
    }
}

static void test_modes(void)
{
    const int S = 32;
    float a[3 * 32 * 32], b[3 * 32 * 32];
    unsigned char ca[32 * 32 * 3], cb[32 * 32 * 3];
    char err[200];
    /* LA resizes like RGBA (L,L,L,A): same premultiplied arithmetic per channel. */
    img_image la, rgba;
    make_image(&la, 77, 45, IMG_MODE_LA);
    make_image(&rgba, 77, 45, IMG_MODE_RGBA);
    for (size_t i = 0; i < (size_t)77 * 45; i++) {
        rgba.pixels[i * 4] = rgba.pixels[i * 4 + 1] = rgba.pixels[i * 4 + 2] = la.pixels[i * 2];
        rgba.pixels[i * 4 + 3] = la.pixels[i * 2 + 1];
    }
    CHECK(clip_preprocess(&la, S, NULL, NULL, a, ca, err, sizeof err) == 0, "LA: %s", err);
    CHECK(clip_preprocess(&rgba, S, NULL, NULL, b, cb, err, sizeof err) == 0, "RGBA: %s", err);
    CHECK(memcmp(ca, cb, sizeof ca) == 0, "LA == RGBA(L,L,L,A)");
    /* A fully transparent image comes out black (no compositing). */
    for (size_t i = 0; i < (size_t)77 * 45; i++)
        rgba.pixels[i * 4 + 3] = 0;
    CHECK(clip_preprocess(&rgba, S, NULL, NULL, b, cb, err, sizeof err) == 0, "RGBA: %s", err);
    int black = 1;
    for (size_t i = 0; i < sizeof cb; i++)
        black &= cb[i] == 0;
    CHECK(black, "transparent RGBA resizes to black");
    /* L equals RGB with three equal channels. */
    img_image l, rgb;
    make_image(&l, 50, 61, IMG_MODE_L);
    make_image(&rgb, 50, 61, IMG_MODE_RGB);
    for (size_t i = 0; i < (size_t)50 * 61; i++)
        rgb.pixels[i * 3] = rgb.pixels[i * 3 + 1] = rgb.pixels[i * 3 + 2] = l.pixels[i];
    CHECK(clip_preprocess(&l, S, NULL, NULL, a, ca, err, sizeof err) == 0, "L: %s", err);
    CHECK(clip_preprocess(&rgb, S, NULL, NULL, b, cb, err, sizeof err) == 0, "RGB: %s", err);
    CHECK(memcmp(ca, cb, sizeof ca) == 0, "L == RGB(l,l,l)");
    /* P with an identity-size image is a plain palette lookup. */
    img_image p;
    make_image(&p, 32, 40, IMG_MODE_P);
    CHECK(clip_preprocess(&p, S, NULL, NULL, a, ca, err, sizeof err) == 0, "P: %s", err);
    int ok = 1;
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) {
            unsigned idx = p.pixels[(size_t)(y + 4) * 32 + x];
            ok &= memcmp(ca + ((size_t)y * 32 + x) * 3, p.palette_rgba + 4 * idx, 3) == 0;
        }
    CHECK(ok, "P palette lookup with crop top 4");
    /* Bad input: one-line errors, no crash. */
    err[0] = 0;
    CHECK(clip_preprocess(&p, 0, NULL, NULL, a, NULL, err, sizeof err) == -1 && err[0], "S = 0 rejected");
    p.channels = 3;
    err[0] = 0;
    CHECK(clip_preprocess(&p, S, NULL, NULL, a, NULL, err, sizeof err) == -1 && err[0], "P with 3 channels rejected");
    p.channels = 1;
    p.width = 0;
    CHECK(clip_preprocess(&p, S, NULL, NULL, a, NULL, err, sizeof err) == -1, "zero width rejected");
    CHECK(clip_preprocess(NULL, S, NULL, NULL, a, NULL, err, sizeof err) == -1, "NULL image rejected");
    const float zero_std[3] = {1, 0, 1};
    p.width = 32;
    CHECK(clip_preprocess(&p, S, NULL, zero_std, a, NULL, err, sizeof err) == -1, "zero std rejected");
    img_image_free(&la);
    img_image_free(&rgba);
    img_image_free(&l);
    img_image_free(&rgb);
    img_image_free(&p);
    /* Odd shapes in every mode: 1x1, thin strips, tiny up-scales (ASan-checked). */
    static const int shapes[][2] = {{1, 1}, {1, 300}, {300, 1}, {3, 2}, {33, 32}, {32, 33}, {640, 31}};
    for (int m = IMG_MODE_L; m <= IMG_MODE_P; m++)
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            img_image im;
            make_image(&im, shapes[si][0], shapes[si][1], (img_mode)m);
            err[0] = 0;
            int rc = clip_preprocess(&im, S, NULL, NULL, a, ca, err, sizeof err);
            CHECK(rc == 0, "mode %d %dx%d: %s", m, shapes[si][0], shapes[si][1], err);
            /* a 1x1 image is one flat colour whatever the filter */
            if (rc == 0 && shapes[si][0] == 1 && shapes[si][1] == 1 && m != IMG_MODE_LA && m != IMG_MODE_RGBA) {
                int flat = 1;
                for (size_t i = 3; i < sizeof ca; i++)
                    flat &= ca[i] == ca[i % 3];
                CHECK(flat, "mode %d 1x1 gives a flat crop", m);
            }
            img_image_free(&im);
        }
    /* Round half to even in the crop (README: 1.5 -> 2, 99.5 -> 100; 0.5 -> 0, 2.5 -> 2). */
    int left, top;
    clip_center_crop_offset(423, 227, 224, &left, &top);
    CHECK(left == 100 && top == 2, "crop offsets %d,%d", left, top);
    clip_center_crop_offset(225, 229, 224, &left, &top);
    CHECK(left == 0 && top == 2, "crop offsets %d,%d", left, top);
    int nw, nh;
    clip_resize_size(300, 305, 224, &nw, &nh);
    CHECK(nw == 224 && nh == 227, "resize size %dx%d", nw, nh);
}

int main(void)
{
    char *path = xasprintf("%s/clipref/fixtures/images.json", testdata_dir());
    json_value *fx = load_json(path);
    CHECK(fx != NULL, "load %s", path);
    free(path);
    if (!fx)
        return check_summary();
    int S = (int)json_get_number(fx, "size", 224);
    const json_value *mean = json_get(fx, "mean"), *sd = json_get(fx, "std");
    for (int c = 0; c < 3; c++) {
        CHECK(CLIP_MEAN_OPENAI[c] == (float)json_at(mean, (size_t)c)->number, "mean[%d]", c);
        CHECK(CLIP_STD_OPENAI[c] == (float)json_at(sd, (size_t)c)->number, "std[%d]", c);
    }
    float *px = xmalloc(sizeof(float) * 3 * (size_t)S * S);
    unsigned char *crop = xmalloc((size_t)S * S * 3);
    const json_value *images = json_get(fx, "images");
    CHECK(images && images->len == 8, "8 fixture images");
    for (size_t i = 0; images && i < images->len; i++) {
        const json_value *e = images->items[i];
        const char *file = json_get_string(e, "file", "?");
        char *fp = xasprintf("%s/clipref/fixtures/%s", testdata_dir(), file);
        img_image im = {0};
        int ok = decode_file(fp, &im) == 0;
        CHECK(ok, "%s decodes", file);
        free(fp);
        if (!ok)
            continue;
        char hex[65];
        cc_sha256_hex(im.pixels, (size_t)im.width * im.height * im.channels, hex);
        if (strcmp(hex, json_get_string(e, "decoded_sha256", "")) != 0)
            printf("# note: %s decodes differently from PIL (img_decode_native), crop checks below will show it\n",
                   file);
        char err[256] = "";
        int rc = clip_preprocess(&im, S, NULL, NULL, px, crop, err, sizeof err);
        CHECK(rc == 0, "%s: %s", file, err);
        cc_sha256_hex(crop, (size_t)S * S * 3, hex);
        CHECK(strcmp(hex, json_get_string(e, "crop_rgb_sha256", "")) == 0, "%s: crop sha256 %s", file, hex);
        check_pixels(file, px, S, e);
        /* The committed crop PNG decodes to the same bytes. */
        char *cp = xasprintf("%s/clipref/fixtures/%s", testdata_dir(), json_get_string(e, "crop_png", "?"));
        img_image ci = {0};
        if (decode_file(cp, &ci) == 0) {
            CHECK(ci.width == S && ci.height == S && ci.channels == 3 && memcmp(ci.pixels, crop, (size_t)S * S * 3) == 0,
                  "%s: equals %s", file, cp);
            img_image_free(&ci);
        }
        free(cp);
        img_image_free(&im);
    }
    /* The synthetic pattern: normalisation alone. */
    const json_value *syn = json_get(fx, "synthetic");
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++)
            for (int c = 0; c < 3; c++)
                crop[((size_t)y * S + x) * 3 + c] = (unsigned char)((7 * x + 13 * y + 29 * c + (x * y) % 17) % 256);
    char hex[65];
    cc_sha256_hex(crop, (size_t)S * S * 3, hex);
    CHECK_EQ_STR(hex, json_get_string(syn, "rgb_sha256", ""));
    clip_normalize(crop, S, NULL, NULL, px);
    check_pixels("synthetic", px, S, syn);
    /* ... and through clip_preprocess as an RGB image already at size. */
    img_image im = {.width = S, .height = S, .mode = IMG_MODE_RGB, .channels = 3, .pixels = crop};
    float *px2 = xmalloc(sizeof(float) * 3 * (size_t)S * S);
    char err[200];
    CHECK(clip_preprocess(&im, S, NULL, NULL, px2, NULL, err, sizeof err) == 0 &&
              memcmp(px, px2, sizeof(float) * 3 * (size_t)S * S) == 0,
          "synthetic via clip_preprocess");
    free(px2);
    test_modes();
    free(px);
    free(crop);
    json_free(fx);
    return check_summary();
}
