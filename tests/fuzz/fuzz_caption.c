/* fuzz_caption.c — libFuzzer target for the caption filter (caption.h): any
 * bytes are normalised and judged. The verdict must name a known reason, the
 * detail must be a C string, the normalised text valid UTF-8 no longer than
 * the cap, and judging must be repeatable. clang -fsanitize=fuzzer,address
 * -DFUZZ_NO_MAIN builds a real fuzzer; the plain build has a main() running
 * the target over files/dirs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "caption.h"
#include "fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static caption_filter *f;
    if (!f)
        f = caption_filter_new(NULL);
    ccbuf norm = {0};
    caption_verdict v = caption_judge(f, (const char *)data, size, &norm);
    if ((unsigned)v.code >= CAPTION__COUNT || strcmp(v.reason, caption_reason_name(v.code)) != 0)
        abort();
    if (memchr(v.detail, '\0', sizeof v.detail) == NULL || memchr(v.language, '\0', sizeof v.language) == NULL)
        abort();
    caption_verdict again = caption_judge(f, (const char *)data, size, NULL);
    if (again.code != v.code || strcmp(again.detail, v.detail) != 0)
        abort();
    (void)caption_repeat_key((const char *)norm.data, norm.len);
    ccbuf_free(&norm);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_caption", LLVMFuzzerTestOneInput);
}
#endif
