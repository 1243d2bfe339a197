/* lang.h — language identification of a caption (a thin C shim over CLD2).
 *
 * CLD2 is Google's Compact Language Detector 2 (Debian package libcld2). It is
 * a pure function of its input with read-only tables, so lang_detect() may be
 * called from any number of threads at once.
 */
#ifndef CC_FILTERS_LANG_H
#define CC_FILTERS_LANG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Detects the language of n bytes of UTF-8 plain text.
 * Writes the ISO 639-1 style code CLD2 uses ("en", "de", "zh", "zh-Hant",
 * "ja", ...; "un" when unknown) into code (at most codelen-1 bytes, always
 * NUL-terminated when codelen > 0), sets *reliable (may be NULL) to 1 when
 * CLD2 says the guess is reliable, else 0.
 * Invalid UTF-8 or empty input gives "un" with *reliable = 0; never crashes.
 * Returns 0 if a language was found, -1 for "un". */
int lang_detect(const char *text, size_t n, char *code, size_t codelen, int *reliable);

#ifdef __cplusplus
}
#endif

#endif
