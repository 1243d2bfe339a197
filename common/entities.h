/* entities.h — HTML character references, exactly as Python's html.unescape().
 *
 * Named references use the full HTML5 table (2231 names). The ~100 legacy
 * names that HTML allows without a ';' (&amp &copy &eacute ...) are matched
 * by the longest such prefix, as Python does ("&copyx" -> "©x",
 * "&notit;" -> "¬it;"). Numeric references (&#38; &#x26; &#X26) follow
 * Python's rules: code points in the invalid table map as Windows-1252
 * (&#x80; -> "€"), 0, surrogates and values > 0x10FFFF give U+FFFD, and the
 * few control/non-character code points Python drops give "". Anything that
 * is not a valid reference is copied through unchanged.
 *
 * Input need not be NUL-terminated and may contain any bytes: they are
 * copied as they are (no UTF-8 validation).
 */
#ifndef CC_COMMON_ENTITIES_H
#define CC_COMMON_ENTITIES_H

#include <stddef.h>
#include "common.h"

/* Appends the unescaped form of s[0..n) to out (out is not reset first). */
void cc_html_unescape(const char *s, size_t n, ccbuf *out);

#endif
