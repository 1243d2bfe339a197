/* http-url.c — turning a URL as found in a list or a page into the bytes
 * sent on the wire (see http_wire_url() in http.h). */
#include "http.h"

#include <idn2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_space_or_ctl(unsigned char c)
{
    return c <= 0x20 || c == 0x7f;
}

/* Octets a browser %-encodes in a path or query before sending it. '%' is
 * kept: the URL may already be encoded. */
static int needs_escape(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' ||
           c == '{' || c == '|' || c == '}';
}

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

char *http_wire_url(const char *url, http_outcome *why, char *err, size_t errlen)
{
    *why = HTTP_OUT_BAD_URL;
    if (!url) {
        set_err(err, errlen, "bad URL: empty");
        return NULL;
    }
    /* Leading/trailing spaces and controls go; tab, CR and LF go anywhere
     * (a URL split over lines in a list), as browsers do. */
    const unsigned char *s = (const unsigned char *)url, *end = s + strlen(url);
    while (s < end && is_space_or_ctl(*s))
        s++;
    while (end > s && is_space_or_ctl(end[-1]))
        end--;
    if (s == end) {
        set_err(err, errlen, "bad URL: empty");
        return NULL;
    }
    const unsigned char *p = s;
    if (!((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')) {
        set_err(err, errlen, "bad URL: no scheme");
        return NULL;
    }
    while (p < end && (((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' ||
                       *p == '-' || *p == '.'))
        p++;
    if (p == end || *p != ':') {
        set_err(err, errlen, "bad URL: no scheme");
        return NULL;
    }
    size_t slen = (size_t)(p - s);
    int http = slen == 4 && strncasecmp((const char *)s, "http", 4) == 0;
    int https = slen == 5 && strncasecmp((const char *)s, "https", 5) == 0;
    if (!http && !https) {
        *why = HTTP_OUT_REFUSED_SCHEME;
        if (err && errlen)
            snprintf(err, errlen, "scheme '%.*s' is not http or https", slen > 32 ? 32 : (int)slen,
                     (const char *)s);
        return NULL;
    }
    p++; /* ':' */
    if (end - p < 2 || p[0] != '/' || p[1] != '/') {
        set_err(err, errlen, "bad URL: no host (an http URL starts with http://HOST)");
        return NULL;
    }
    p += 2;
    const unsigned char *auth = p;
    while (p < end && *p != '/' && *p != '?' && *p != '#')
        p++;
    const unsigned char *auth_end = p;
    /* host = authority minus userinfo and port */
    const unsigned char *host = auth;
    for (const unsigned char *q = auth; q < auth_end; q++)
        if (*q == '@')
            host = q + 1;
    const unsigned char *host_end = auth_end;
    if (host < host_end && *host == '[') {
        const unsigned char *rb = memchr(host, ']', (size_t)(host_end - host));
        if (!rb) {
            set_err(err, errlen, "bad URL: unterminated IPv6 address");
            return NULL;
        }
        host_end = rb + 1;
    } else {
        for (const unsigned char *q = host; q < host_end; q++)
            if (*q == ':') {
                host_end = q;
                break;
            }
    }
    if (host == host_end) {
        set_err(err, errlen, "bad URL: no host");
        return NULL;
    }
    for (const unsigned char *q = auth; q < auth_end; q++)
        if (is_space_or_ctl(*q)) {
            set_err(err, errlen, "bad URL: space or control character in the host");
            return NULL;
        }

    ccbuf out = {0};
    ccbuf_append(&out, s, (size_t)(host - s));
    int non_ascii = 0;
    for (const unsigned char *q = host; q < host_end; q++)
        if (*q >= 0x80)
            non_ascii = 1;
    if (non_ascii) {
        /* IDNA2008 (UTS #46 non-transitional, as browsers), then the
         * transitional mapping for names only it accepts. */
        size_t hl = (size_t)(host_end - host);
        char *u8 = xmalloc(hl + 1);
        memcpy(u8, host, hl);
        u8[hl] = 0;
        char *ace = NULL;
        int rc = idn2_to_ascii_8z(u8, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
        if (rc != IDN2_OK)
            rc = idn2_to_ascii_8z(u8, &ace, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
        free(u8);
        if (rc != IDN2_OK || !ace) {
            if (err && errlen)
                snprintf(err, errlen, "bad URL: host is not a valid international domain name (%s)",
                         idn2_strerror(rc));
            ccbuf_free(&out);
            return NULL;
        }
        ccbuf_puts(&out, ace);
        idn2_free(ace);
    } else {
        ccbuf_append(&out, host, (size_t)(host_end - host));
    }
    ccbuf_append(&out, host_end, (size_t)(auth_end - host_end));
    /* path and query, without the fragment (never sent) */
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *q = auth_end; q < end && *q != '#'; q++) {
        if (*q == '\t' || *q == '\r' || *q == '\n')
            continue;
        if (needs_escape(*q)) {
            char e[3] = {'%', hex[*q >> 4], hex[*q & 15]};
            ccbuf_append(&out, e, 3);
        } else {
            ccbuf_append(&out, q, 1);
        }
    }
    *why = HTTP_OUT_OK;
    return ccbuf_detach(&out, NULL);
}
