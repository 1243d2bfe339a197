/* text.h — hex digits, UTF-8, trimming and whole numbers, the one copy every stage uses.
 *
 * UTF-8 here is RFC 3629's: no overlong forms, no surrogates (U+D800..DFFF),
 * nothing above U+10FFFF. Decoding never reads past n.
 */
#ifndef CC_COMMON_TEXT_H
#define CC_COMMON_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Digits for writing hex: CC_HEX_UPPER[v & 15]. */
#define CC_HEX_UPPER "0123456789ABCDEF"
#define CC_HEX_LOWER "0123456789abcdef"

/* The value of hex digit c (0-9, a-f, A-F), or -1 for anything else
 * (including EOF and bytes >= 0x80). */
int cc_hexval(int c);

/* Writes the UTF-8 encoding of cp (<= 0x10FFFF; surrogates are encoded as-is,
 * as Python's surrogatepass would) to out, which has room for 4 bytes.
 * Returns the byte count, 1..4. */
size_t cc_utf8_encode(uint32_t cp, unsigned char *out);

/* Appends the UTF-8 encoding of cp (as cc_utf8_encode) to out. */
void cc_utf8_put(ccbuf *out, uint32_t cp);

/* A code point that cc_utf8_next reports for ill-formed input. */
#define CC_UTF8_BAD UINT32_C(0xFFFFFFFF)

/* Decodes the sequence at s[0..n) (n >= 1): returns its length and sets *cp.
 * An ill-formed sequence sets *cp = CC_UTF8_BAD and returns the length of its
 * maximal well-formed prefix, at least 1 — the unit Unicode's "substitution of
 * maximal subparts" (and Python's errors="replace") replaces with one U+FFFD. */
size_t cc_utf8_next(const void *s, size_t n, uint32_t *cp);

/* 1 if s[0..n) is entirely well-formed UTF-8, else 0. */
int cc_utf8_valid(const void *s, size_t n);

/* Cuts spaces, tabs, CRs and LFs from both ends of s in place (the end by
 * writing a NUL) and returns the first character kept. */
char *cc_trim(char *s);

/* Parses s as a whole decimal number in [lo, hi] with nothing after it (a
 * command-line or configuration value): 0 and *out set, or -1 (empty,
 * not a number, trailing characters, out of range). */
int cc_parse_long(const char *s, long lo, long hi, long *out);

#endif
