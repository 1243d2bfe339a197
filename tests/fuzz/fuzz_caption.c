/* fuzz_caption.c — libFuzzer target for the caption filter (caption.h) and
 * the filter config parser (filterconf.h): any bytes are normalised and
 * judged, on its text alone and with a few placements (caption-place.c and
 * caption-advert.c: a link to another site, a sidebar icon, a profile
 * picture, a URL list row). The verdict must name a known reason, the detail
 * must be a C string, the normalised text valid UTF-8, and judging must be
 * repeatable;
 * the same bytes as a filter config parse or fail with a message.
 * clang -fsanitize=fuzzer,address -DFUZZ_NO_MAIN builds a real fuzzer; the
 * plain build has a main() running the target over files/dirs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "caption.h"
#include "filterconf.h"
#include "fuzz_dir.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static caption_filter *f;
    if (!f && !(f = caption_filter_new(NULL)))
        abort();
    const char *s = (const char *)data;
    ccbuf norm = {0};
    caption_verdict v = caption_judge(f, s, size, &norm);
    if ((unsigned)v.code >= CAPTION__COUNT || strcmp(v.reason, caption_reason_name(v.code)) != 0)
        abort();
    if (memchr(v.detail, '\0', sizeof v.detail) == NULL || memchr(v.language, '\0', sizeof v.language) == NULL)
        abort();
    caption_verdict again = caption_judge(f, s, size, NULL);
    if (again.code != v.code || strcmp(again.detail, v.detail) != 0)
        abort();
    static const caption_place places[] = {
        {CC_PLACE_PAGE | CC_PLACE_LINKED | CC_PLACE_OFFSITE, 0, 0, 1},
        {CC_PLACE_PAGE | CC_PLACE_ASIDE | CC_PLACE_NAV | CC_PLACE_ICON | CC_PLACE_LINKED, 88, 31, 3},
        {CC_PLACE_PAGE | CC_PLACE_PROFILE | CC_PLACE_ICON | CC_PLACE_LOGO, 48, 48, 1},
        {CC_PLACE_LIST, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        caption_verdict p = caption_judge_placed(f, s, size, &places[i], NULL);
        caption_verdict q = caption_judge_placed(f, s, size, &places[i], NULL);
        if ((unsigned)p.code >= CAPTION__COUNT || memchr(p.detail, '\0', sizeof p.detail) == NULL ||
            q.code != p.code || strcmp(q.detail, p.detail) != 0)
            abort();
    }
    const char *ns = norm.data ? (const char *)norm.data : "";
    if (!cc_utf8_valid(ns, norm.len))
        abort();
    caption_length len;
    caption_measure(ns, norm.len, &len);
    (void)caption_repeat_key(ns, norm.len);
    ccbuf re = {0}; /* the normaliser on its own, over text already normalised */
    caption_normalise(ns, norm.len, 0, &re);
    ccbuf_free(&re);
    ccbuf_free(&norm);
    (void)caption_isbn_valid(s, size);

    filter_config c;
    filter_config_defaults(&c);
    char err[256] = "";
    if (filter_config_parse(&c, s, size, "fuzz", err, sizeof err) != CC_OK && !err[0])
        abort();
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_caption", LLVMFuzzerTestOneInput);
}
#endif
