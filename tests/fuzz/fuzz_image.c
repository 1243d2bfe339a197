/* fuzz_image.c — libFuzzer target for image sniffing and decoding
 * (filters/image.h, phash.h): any bytes are sniffed, probed, decoded in
 * their own mode and through the fetch path (decode + resize 64), under a
 * pixel cap and the decode budget; a success has the pixels its size says,
 * a failure says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_dir.h"
#include "image.h"
#include "phash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const img_image *im)
{
    if (im->width < 1 || im->height < 1 || im->channels < 1 || im->channels > 4 || !im->pixels)
        abort();
    size_t n = (size_t)im->width * im->height * im->channels;
    volatile unsigned char last = im->pixels[n - 1]; /* the whole buffer is there (ASan) */
    (void)last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint64_t max_pixels = 1u << 22; /* keeps one input fast; the cap path is fuzzed too */
    img_format fmt = img_sniff(data, size);
    (void)img_format_name(fmt);
    (void)img_format_decodable(fmt);
    int w = 0, h = 0;
    char err[256] = "";
    if (img_probe(data, size, &fmt, &w, &h, err, sizeof err) == CC_OK && (w < 1 || h < 1))
        abort();
    (void)img_decode_estimate(data, size, 64, RESIZE_KEEP_RATIO);

    img_image im;
    err[0] = 0;
    if (img_decode_native(data, size, max_pixels, &im, err, sizeof err) == CC_OK) {
        check(&im);
        if (img_to_rgb(&im) == CC_OK) {
            check(&im);
            (void)img_phash64(&im);
        }
        img_image_free(&im);
    } else if (!err[0]) {
        abort();
    }

    img_limits lim;
    img_limits_default(&lim, max_pixels);
    lim.cpu_seconds = 2.0;
    err[0] = 0;
    if (img_decode_resize_ex(data, size, &lim, 64, RESIZE_CENTER_CROP, &im, err, sizeof err) == CC_OK) {
        check(&im);
        if (im.width != 64 || im.height != 64)
            abort();
        img_image_free(&im);
    } else if (!err[0]) {
        abort();
    }
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_image", LLVMFuzzerTestOneInput);
}
#endif
