/* fuzz_phrases.c — libFuzzer target for the weighted phrase lists
 * (filters/caption-phrases.h): any bytes are parsed as a list; a failure
 * must say why (NAME:LINE: ...), a parsed list must score any text (the
 * input itself and a few fixed captions) repeatably, and the detail must be
 * a C string that fits its buffer. The bytes are also scored as a caption
 * against the built-in list's format by a small fixed list.
 * clang -fsanitize=fuzzer,address -DFUZZ_NO_MAIN builds a real fuzzer; the
 * plain build has a main() running the target over files/dirs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "caption-phrases.h"
#include "fuzz_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void score_twice(const phrase_list *l, const char *t, size_t n)
{
    char d1[96], d2[96];
    long a = phrase_list_score(l, t, n, d1, sizeof d1);
    long b = phrase_list_score(l, t, n, d2, sizeof d2);
    if (a != b || !memchr(d1, '\0', sizeof d1) || strcmp(d1, d2) != 0)
        abort();
    if (phrase_list_count(l) == 0 && (a != 0 || d1[0]))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static phrase_list *fixed;
    static const char fixed_text[] = "< anal >,< porn><70>\n<hot cum><80>\n<breast>,<cancer><-40>\n<性感><30>\n< boob><10>\n";
    char err[160] = "";
    if (!fixed && !(fixed = phrase_list_parse(fixed_text, strlen(fixed_text), "fixed", err, sizeof err)))
        abort();
    const char *s = (const char *)data;
    score_twice(fixed, s, size);

    err[0] = '\0';
    phrase_list *l = phrase_list_parse(s, size, "fuzz", err, sizeof err);
    if (!l) {
        if (strncmp(err, "fuzz:", 5) != 0)
            abort();
        return 0;
    }
    static const char *const texts[] = {"", " ", "hot cum shot", "Breast cancer screening", "Fickfilm 性感女 boobs"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        score_twice(l, texts[i], strlen(texts[i]));
    score_twice(l, s, size);
    phrase_list_free(l);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_phrases", LLVMFuzzerTestOneInput);
}
#endif
