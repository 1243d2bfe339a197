/* fuzz_tokenizer.c — libFuzzer target for the CLIP tokenizer
 * (clipscore/tokenizer.h) with the real vocabulary from tests/data/clipref:
 * any bytes tokenize (plain, ftfy-like and OpenCLIP cleanup) to at most the
 * context length of valid ids framed by start/end tokens. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_dir.h"
#include "tokenizer.h"

#ifndef FUZZ_TESTDATA
#define FUZZ_TESTDATA "tests/data"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static clip_tokenizer *t;
    if (!t) {
        char err[512];
        const char *dir = getenv("CLIPCRAWL_TESTDATA");
        char path[4096];
        snprintf(path, sizeof path, "%s/clipref", dir ? dir : FUZZ_TESTDATA);
        if (!(t = clip_tokenizer_load(path, err, sizeof err))) {
            fprintf(stderr, "fuzz_tokenizer: %s\n", err);
            abort();
        }
    }
    static const unsigned flags[] = {0, CLIP_TOK_FTFY, CLIP_TOK_OPENCLIP};
    for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
        int32_t ids[77];
        int eot = -1;
        int n = clip_tokenize_ex(t, (const char *)data, size, flags[f], ids, 77, &eot, NULL);
        if (n < 2 || n > 77 || ids[0] != CLIP_SOT_ID || ids[n - 1] != CLIP_EOT_ID || eot < 1 || eot >= n ||
            ids[eot] != CLIP_EOT_ID) /* a literal <|endoftext|> may come first */
            abort();
        for (int i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= clip_tokenizer_vocab_size(t))
                abort();
        ccbuf clean = {0};
        clip_tokenizer_clean((const char *)data, size, flags[f], &clean);
        ccbuf_free(&clean);
    }
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_tokenizer", LLVMFuzzerTestOneInput);
}
#endif
