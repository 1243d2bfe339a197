/* buf.c — the growable byte buffer and JSON string escaping. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "text.h"

void ccbuf_reserve(ccbuf *b, size_t extra)
{
    size_t need = b->len + extra + 1; /* +1 keeps room for the terminating NUL */
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap < ((size_t)1 << 62) ? cap * 2 : need;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void ccbuf_append(ccbuf *b, const void *p, size_t n)
{
    ccbuf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ccbuf_puts(ccbuf *b, const char *s)
{
    ccbuf_append(b, s, strlen(s));
}

void ccbuf_putc(ccbuf *b, int c)
{
    unsigned char ch = (unsigned char)c;
    ccbuf_append(b, &ch, 1);
}

void ccbuf_printf(ccbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof small) {
        ccbuf_append(b, small, (size_t)n);
    } else {
        ccbuf_reserve(b, (size_t)n);
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void ccbuf_reset(ccbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void ccbuf_free(ccbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *ccbuf_detach(ccbuf *b, size_t *len_out)
{
    if (!b->data)
        ccbuf_reserve(b, 0), b->data[0] = '\0';
    char *p = (char *)b->data;
    if (len_out)
        *len_out = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void ccbuf_json_string(ccbuf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    ccbuf_reserve(b, n + 2);
    ccbuf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            ccbuf_putc(b, '\\');
            ccbuf_putc(b, c);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': ccbuf_puts(b, "\\n"); break;
            case '\r': ccbuf_puts(b, "\\r"); break;
            case '\t': ccbuf_puts(b, "\\t"); break;
            case '\b': ccbuf_puts(b, "\\b"); break;
            case '\f': ccbuf_puts(b, "\\f"); break;
            default: ccbuf_printf(b, "\\u%04x", c);
            }
            i++;
        } else if (c < 0x80) {
            ccbuf_putc(b, c);
            i++;
        } else {
            uint32_t cp;
            size_t len = cc_utf8_next(p + i, n - i, &cp);
            if (cp != CC_UTF8_BAD) {
                ccbuf_append(b, p + i, len);
                i += len;
            } else {
                ccbuf_puts(b, "\xEF\xBF\xBD"); /* U+FFFD for each bad byte */
                i++;
            }
        }
    }
    ccbuf_putc(b, '"');
}
