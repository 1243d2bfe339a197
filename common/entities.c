/* entities.c — html.unescape() as Python 3 has it (see entities.h). */
#include "entities.h"
#include "text.h"

#include <string.h>

#include "html5_entities.inc"

/* Exact lookup of name[0..n) in the sorted table; NULL if absent. */
static const char *entity_find(const char *name, size_t n)
{
    size_t lo = 0, hi = CC_ENTITY_COUNT;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *k = cc_entities[mid].name;
        size_t kl = strlen(k);
        int c = memcmp(k, name, kl < n ? kl : n);
        if (c == 0)
            c = kl < n ? -1 : kl > n ? 1 : 0;
        if (c == 0)
            return cc_entities[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int is_name_char(unsigned char c)
{
    /* Python's [^\t\n\f <&#;] (any other character, non-ASCII included). */
    return !(c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';');
}

static void put_numeric(ccbuf *out, uint64_t num)
{
    /* Order as in Python's _replace_charref. */
    size_t lo = 0, hi = sizeof cc_invalid_charrefs / sizeof cc_invalid_charrefs[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cc_invalid_charrefs[mid].cp == num) {
            ccbuf_puts(out, cc_invalid_charrefs[mid].value);
            return;
        }
        if (cc_invalid_charrefs[mid].cp < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
        ccbuf_puts(out, "\xEF\xBF\xBD");
        return;
    }
    lo = 0;
    hi = sizeof cc_invalid_codepoints / sizeof cc_invalid_codepoints[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cc_invalid_codepoints[mid] == num)
            return;
        if (cc_invalid_codepoints[mid] < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    cc_utf8_put(out, (uint32_t)num);
}

/* Tries a reference at s[i] == '&'. Returns the bytes consumed (0 if none). */
static size_t try_ref(const unsigned char *s, size_t n, size_t i, ccbuf *out)
{
    size_t j = i + 1;
    if (j < n && s[j] == '#') {
        j++;
        uint64_t num = 0;
        size_t start;
        if (j < n && (s[j] == 'x' || s[j] == 'X')) {
            j++;
            start = j;
            while (j < n && cc_hexval(s[j]) >= 0) {
                if (num <= 0x10FFFF)          /* saturate: anything larger is just "too big" */
                    num = num * 16 + (uint64_t)cc_hexval(s[j]);
                j++;
            }
        } else {
            start = j;
            while (j < n && s[j] >= '0' && s[j] <= '9') {
                if (num <= 0x10FFFF)
                    num = num * 10 + (uint64_t)(s[j] - '0');
                j++;
            }
        }
        if (j == start)
            return 0;
        if (j < n && s[j] == ';')
            j++;
        put_numeric(out, num);
        return j - i;
    }
    /* Named: up to 32 characters (code points, as Python counts) of the name class. */
    size_t k = j, chars = 0;
    while (k < n && chars < 32 && is_name_char(s[k])) {
        k++;
        while (k < n && (s[k] & 0xC0) == 0x80 && is_name_char(s[k])) /* rest of a UTF-8 sequence */
            k++;
        chars++;
    }
    if (k == j)
        return 0;
    size_t runlen = k - j;
    if (k < n && s[k] == ';') {
        const char *v = entity_find((const char *)s + j, runlen + 1);
        if (v) {
            ccbuf_puts(out, v);
            return k + 1 - i;
        }
    }
    /* Longest legacy (semicolon-less) prefix, at least 2 characters. */
    size_t maxl = runlen < CC_ENTITY_MAX_LEGACY ? runlen : CC_ENTITY_MAX_LEGACY;
    for (size_t l = maxl; l >= 2; l--) {
        const char *v = entity_find((const char *)s + j, l);
        if (v) {
            ccbuf_puts(out, v);
            return 1 + l; /* the rest of the run holds no '&' and is copied by the caller */
        }
    }
    return 0;
}

void cc_html_unescape(const char *str, size_t n, ccbuf *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    ccbuf_reserve(out, n);
    while (i < n) {
        const unsigned char *amp = memchr(s + i, '&', n - i);
        if (!amp) {
            ccbuf_append(out, s + i, n - i);
            break;
        }
        size_t a = (size_t)(amp - s);
        ccbuf_append(out, s + i, a - i);
        size_t used = try_ref(s, n, a, out);
        if (used == 0) {
            ccbuf_putc(out, '&');
            i = a + 1;
        } else {
            i = a + used;
        }
    }
}
