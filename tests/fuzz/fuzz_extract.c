/* fuzz_extract.c — libFuzzer target for extract_page (HTML → images,
 * captions, links). Plain builds get a main() running files/dirs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int judge_short(const char *text, const extract_image *img, void *ctx, const char **reason)
{
    (void)ctx;
    if (!img || !(img->placement & CC_PLACE_PAGE))
        abort(); /* every page image is handed to the judge with its placement */
    if (strlen(text) < 5) {
        *reason = "too_short";
        return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    extract_result r;
    extract_options o;
    extract_options_init(&o);
    o.nearby_max = 60;
    static const char *const cts[] = {NULL, "text/html; charset=iso-8859-1", "text/html;charset=\"utf-8\"",
                                      "text/html; charset=bogus-charset"};
    for (int k = 0; k < 2; k++) {
        const char *ct = cts[(size + (size_t)k) % 4];
        if (extract_page_opts((const char *)data, size, "http://example.com/dir/page.html", ct, k ? &o : NULL,
                              &r, NULL, 0) == 0) {
            for (size_t i = 0; i < r.n_images; i++) {
                const char *why;
                (void)extract_choose_caption(&r.images[i], judge_short, NULL, &why);
                char pl[160];
                (void)cc_place_format(r.images[i].placement, pl, sizeof pl);
                if (r.images[i].alt_repeats < 0)
                    abort();
                for (size_t j = 0; j < r.images[i].n_cands; j++)
                    (void)strlen(r.images[i].cands[j].text);
            }
            for (size_t i = 0; i < r.n_links; i++)
                (void)strlen(r.links[i].url);
        }
        extract_result_free(&r);
    }
    /* the bytes as a srcset value */
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = 0;
    int w;
    free(extract_srcset_pick(s, 800, &w));
    free(s);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_extract", LLVMFuzzerTestOneInput);
}
#endif
