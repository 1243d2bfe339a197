/* bench_clipprep.c — CLIP tokenizer throughput (captions/s on one thread) and
 * preprocessing time for a 1600x1200 RGB / RGBA image to 224x224.
 * Usage: bench_clipprep [clipref_dir] [seconds]   (default ../shared/clipref, 1 s per figure) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "preprocess.h"
#include "tokenizer.h"

static const char *words[] = {
    "a", "photo", "of", "the", "cat", "dog", "sitting", "on", "red", "sofa", "beautiful", "sunset", "over",
    "mountains", "with", "snow", "vintage", "car", "parked", "street", "new", "york", "city", "at", "night",
    "close-up", "portrait", "woman", "smiling", "wooden", "table", "kitchen", "interior", "design", "2019",
    "illustration", "vector", "logo", "t-shirt", "men's", "blue", "cotton", "shirt", "size", "xl", "free",
    "shipping", "hand-made", "ceramic", "mug", "coffee", "café", "Zürich", "landscape", "river", "forest",
    "&amp;", "HD", "wallpaper", "4k", "stock", "image", "black", "and", "white", "bird", "flying", "sky"};

static unsigned long long rng = 88172645463325252ull;
static unsigned rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)rng;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : getenv("CLIPCRAWL_TESTDATA") ? NULL : "tests/data/clipref";
    char *owned = NULL;
    if (!dir)
        dir = owned = xasprintf("%s/clipref", getenv("CLIPCRAWL_TESTDATA"));
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    char err[300];
    double t0 = cc_now();
    clip_tokenizer *t = clip_tokenizer_load(dir, err, sizeof err);
    if (!t) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("tokenizer load (vocab.json+merges.txt): %.1f ms\n", (cc_now() - t0) * 1e3);
    enum { NCAP = 4096 };
    char **caps = xmalloc(sizeof(char *) * NCAP);
    long total_tokens = 0;
    for (int i = 0; i < NCAP; i++) {
        ccbuf b = {0};
        int n = 6 + (int)(rnd() % 7);
        for (int k = 0; k < n; k++) {
            if (k)
                ccbuf_putc(&b, ' ');
            ccbuf_puts(&b, words[rnd() % (sizeof words / sizeof words[0])]);
        }
        caps[i] = ccbuf_detach(&b, NULL);
        int32_t ids[77];
        total_tokens += clip_tokenize(t, caps[i], ids, 77, NULL);
    }
    printf("captions: %d distinct, %.1f tokens each on average (with sot/eot)\n", NCAP, (double)total_tokens / NCAP);
    for (int flags = 0; flags <= CLIP_TOK_FTFY; flags += CLIP_TOK_FTFY) {
        long done = 0;
        t0 = cc_now();
        double c0 = cc_cpu_seconds();
        while (cc_now() - t0 < secs) {
            for (int i = 0; i < NCAP; i++) {
                int32_t ids[77];
                clip_tokenize_ex(t, caps[i], strlen(caps[i]), (unsigned)flags, ids, 77, NULL, NULL);
            }
            done += NCAP;
        }
        double cpu = cc_cpu_seconds() - c0;
        printf("tokenize%s: %.0f captions/s (one thread, %.0f per CPU-second)\n", flags ? " (ftfy mode)" : "",
               done / (cc_now() - t0), done / cpu);
    }
    for (int i = 0; i < NCAP; i++)
        free(caps[i]);
    free(caps);
    clip_tokenizer_free(t);

    static const img_mode modes[2] = {IMG_MODE_RGB, IMG_MODE_RGBA};
    for (int m = 0; m < 2; m++) {
        img_image im = {.width = 1600, .height = 1200, .mode = modes[m], .channels = m ? 4 : 3};
        size_t n = (size_t)im.width * im.height * im.channels;
        im.pixels = xmalloc(n);
        for (size_t i = 0; i < n; i++)
            im.pixels[i] = (unsigned char)(rnd() >> 7);
        float *out = xmalloc(sizeof(float) * 3 * 224 * 224);
        int reps = 0;
        t0 = cc_now();
        while (cc_now() - t0 < secs || reps < 3) {
            if (clip_preprocess(&im, 224, NULL, NULL, out, NULL, err, sizeof err) != 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            reps++;
        }
        printf("preprocess 1600x1200 %s -> 224: %.2f ms per image\n", m ? "RGBA" : "RGB", (cc_now() - t0) * 1e3 / reps);
        free(out);
        free(im.pixels);
    }
    free(owned);
    return 0;
}
