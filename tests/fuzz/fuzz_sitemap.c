/* fuzz_sitemap.c — libFuzzer target for sitemap_parse (XML, text, gzip).
 * clang -fsanitize=fuzzer,address -DFUZZ_NO_MAIN builds a real fuzzer; the
 * plain build (gcc) has a main() running the target over files/dirs. */
#include <stdint.h>
#include <string.h>

#include "fuzz_dir.h"
#include "sitemap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* small limits so the cut-off paths run too */
    sitemap_limits lim = {.max_bytes = 1 << 20, .max_entries = 64, .max_images_per_url = 4};
    sitemap_result r;
    char err[200];
    if (sitemap_parse((const char *)data, size, "https://example.com/dir/sitemap.xml", &lim, &r, err, sizeof err) ==
        0) {
        for (size_t i = 0; i < r.n_urls; i++) {
            (void)strlen(r.urls[i].loc);
            for (size_t j = 0; j < r.urls[i].n_images; j++)
                (void)strlen(r.urls[i].images[j].loc);
        }
        for (size_t i = 0; i < r.n_sitemaps; i++)
            (void)strlen(r.sitemaps[i]);
    }
    sitemap_result_free(&r);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv) { return fuzz_main(argc, argv, "fuzz_sitemap", LLVMFuzzerTestOneInput); }
#endif
