/* fuzz_robots.c — libFuzzer target for robots_parse / robots_allowed.
 * clang -fsanitize=fuzzer,address -DFUZZ_NO_MAIN builds a real fuzzer; the
 * plain build (gcc) has a main() running the target over files/dirs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_dir.h"
#include "robots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    robots_rules *r = robots_parse((const char *)data, size);
    static const char *const agents[] = {"FooBot", "googlebot", "clipcrawl", "*", "", NULL};
    static const char *const urls[] = {"/", "/a/b?c=d", "http://example.com/index.html",
                                       "/%E3%83%84/x.jpg$", "/robots.txt", "//h/p;x#f", NULL};
    for (int a = 0; agents[a]; a++) {
        for (int u = 0; urls[u]; u++)
            (void)robots_allowed(r, agents[a], urls[u]);
        (void)robots_crawl_delay(r, agents[a]);
    }
    for (size_t i = 0; i < robots_sitemap_count(r); i++)
        (void)strlen(robots_sitemap(r, i));
    robots_free(r);
    /* The same bytes as a URL / user agent / pattern. */
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = 0;
    char tok[64];
    robots_product_token(s, tok, sizeof tok);
    (void)robots_token_valid(s);
    free(robots_url_path(s));
    free(robots_escape_pattern(s));
    robots_rules *d = robots_parse("User-agent: *\nDisallow: /*a*b*c$\nAllow: /x\n", 41);
    if (size < 4096)
        (void)robots_allowed(d, "x", s);
    robots_free(d);
    free(s);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_robots", LLVMFuzzerTestOneInput);
}
#endif
