/* url.c — URL resolution and normalisation on libcurl's URL API. See url.h. */
#include "url.h"
#include "text.h"

#include <ctype.h>
#include <curl/curl.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

static int is_unreserved(int c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Octets that may not appear literally in a path or query. */
static int must_encode(unsigned char c)
{
    return c <= 0x20 || c >= 0x7F || strchr("\"<>\\^`{|}[]", c) != NULL;
}

/* Length of a leading "scheme:" (without the colon), or 0. */
static size_t scheme_len(const char *s)
{
    if (!isalpha((unsigned char)s[0]))
        return 0;
    size_t i = 1;
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return s[i] == ':' ? i : 0;
}

/* Browser-style clean-up of an attribute value before parsing: trim C0
 * controls and spaces at both ends, drop tab/CR/LF, drop the fragment,
 * turn '\' into '/' before the query, and %-encode what curl would refuse
 * outside the authority. In the authority, %-escapes of host characters are
 * decoded (curl refuses '%' in host names). */
static char *preclean(const char *in)
{
    size_t a = 0, n = strlen(in);
    while (a < n && (unsigned char)in[a] <= 0x20)
        a++;
    while (n > a && (unsigned char)in[n - 1] <= 0x20)
        n--;
    ccbuf t = {0};
    for (size_t i = a; i < n; i++) {
        char c = in[i];
        if (c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '#')
            break;
        ccbuf_putc(&t, c);
    }
    char *s = ccbuf_detach(&t, &n);

    /* Locate the authority, if any. */
    size_t sl = scheme_len(s);
    size_t p = sl ? sl + 1 : 0;
    size_t auth_start = (size_t)-1, auth_end = (size_t)-1;
    int in_query = 0;
    for (size_t i = p; i < n && i < p + 2; i++)
        if (s[i] == '\\')
            s[i] = '/';
    if (s[p] == '/' && s[p + 1] == '/') {
        auth_start = p + 2;
        auth_end = auth_start;
        while (auth_end < n && s[auth_end] != '/' && s[auth_end] != '?' && s[auth_end] != '\\')
            auth_end++;
    }
    ccbuf b = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= auth_start && i < auth_end) {
            int h1, h2;
            if (c == '%' && i + 2 < auth_end && (h1 = cc_hexval((unsigned char)s[i + 1])) >= 0 &&
                (h2 = cc_hexval((unsigned char)s[i + 2])) >= 0) {
                int v = h1 * 16 + h2;
                if (isalnum(v) || v == '-' || v == '.' || v >= 0x80) {
                    ccbuf_putc(&b, v);
                    i += 2;
                    continue;
                }
            }
            ccbuf_putc(&b, c);
            continue;
        }
        if (i < sl + 1) { /* the scheme and its colon */
            ccbuf_putc(&b, c);
            continue;
        }
        if (c == '?')
            in_query = 1;
        if (c == '\\' && !in_query)
            c = '/';
        if (c == '%') {
            if (i + 2 < n && cc_hexval((unsigned char)s[i + 1]) >= 0 && cc_hexval((unsigned char)s[i + 2]) >= 0)
                ccbuf_putc(&b, '%');
            else
                ccbuf_puts(&b, "%25"); /* a lone '%' stands for itself */
            continue;
        }
        if (must_encode(c)) {
            ccbuf_putc(&b, '%');
            ccbuf_putc(&b, CC_HEX_UPPER[c >> 4]);
            ccbuf_putc(&b, CC_HEX_UPPER[c & 15]);
            continue;
        }
        ccbuf_putc(&b, c);
    }
    free(s);
    return ccbuf_detach(&b, NULL);
}

/* Decodes %-escapes of unreserved characters, upper-cases the others. */
static void norm_pct(ccbuf *b, const char *s)
{
    for (size_t i = 0; s[i]; i++) {
        int h1, h2;
        if (s[i] == '%' && (h1 = cc_hexval((unsigned char)s[i + 1])) >= 0 && (h2 = cc_hexval((unsigned char)s[i + 2])) >= 0) {
            int v = h1 * 16 + h2;
            if (is_unreserved(v)) {
                ccbuf_putc(b, v);
            } else {
                ccbuf_putc(b, '%');
                ccbuf_putc(b, CC_HEX_UPPER[h1]);
                ccbuf_putc(b, CC_HEX_UPPER[h2]);
            }
            i += 2;
        } else {
            ccbuf_putc(b, s[i]);
        }
    }
}

/* RFC 3986 5.2.4 remove_dot_segments, in place on a path starting with '/'. */
static void remove_dots(char *path)
{
    char *in = path, *out = path;
    size_t n = strlen(path);
    char *end = path + n;
    while (in < end) {
        if (strncmp(in, "../", 3) == 0) {
            in += 3;
        } else if (strncmp(in, "./", 2) == 0) {
            in += 2;
        } else if (strncmp(in, "/./", 3) == 0) {
            in += 2;
        } else if (end - in == 2 && strncmp(in, "/.", 2) == 0) {
            in[1] = '/';
            in += 1;
        } else if (strncmp(in, "/../", 4) == 0 || (end - in == 3 && strncmp(in, "/..", 3) == 0)) {
            if (end - in == 3) {
                in += 2;
                in[0] = '/';
            } else {
                in += 3;
            }
            while (out > path && *--out != '/')
                ;
        } else if ((end - in == 1 && in[0] == '.') || (end - in == 2 && strncmp(in, "..", 2) == 0)) {
            in = end;
        } else {
            if (*in == '/')
                *out++ = *in++;
            while (in < end && *in != '/')
                *out++ = *in++;
        }
    }
    *out = 0;
    if (path[0] == 0) {
        path[0] = '/';
        path[1] = 0;
    }
}

static int is_http_scheme(const char *s, size_t n)
{
    return (n == 4 && strncasecmp(s, "http", 4) == 0) || (n == 5 && strncasecmp(s, "https", 5) == 0);
}

int url_is_http(const char *url)
{
    if (!url)
        return 0;
    while (*url && (unsigned char)*url <= 0x20)
        url++;
    size_t n = scheme_len(url);
    return n && is_http_scheme(url, n);
}

/* Sets the pre-cleaned URL into h (resolving against what h holds). */
static int set_url(CURLU *h, const char *u, char *err, size_t errlen, const char *orig)
{
    CURLUcode rc = curl_url_set(h, CURLUPART_URL, u, 0);
    if (rc != CURLUE_OK) {
        cc_seterr(err, errlen, "bad URL '%.200s': %s", orig, curl_url_strerror(rc));
        return -1;
    }
    return 0;
}

static char *assemble(CURLU *h, char *err, size_t errlen, const char *orig)
{
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    char *res = NULL;
    if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
        cc_seterr(err, errlen, "no host in URL '%.200s'", orig);
        goto done;
    }
    for (char *p = scheme; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (!is_http_scheme(scheme, strlen(scheme))) {
        cc_seterr(err, errlen, "unsupported scheme '%s' in '%.200s'", scheme, orig);
        goto done;
    }
    curl_url_get(h, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
    curl_url_get(h, CURLUPART_PATH, &path, 0);
    curl_url_get(h, CURLUPART_QUERY, &query, 0);
    ccbuf b = {0};
    ccbuf_puts(&b, scheme);
    ccbuf_puts(&b, "://");
    for (char *p = host; *p; p++)
        ccbuf_putc(&b, tolower((unsigned char)*p));
    if (port && *port)
        ccbuf_printf(&b, ":%s", port);
    ccbuf pb = {0};
    if (!path || path[0] != '/')
        ccbuf_putc(&pb, '/');
    norm_pct(&pb, path ? path : "");
    char *np = ccbuf_detach(&pb, NULL);
    remove_dots(np);
    ccbuf_puts(&b, np);
    free(np);
    if (query) {
        ccbuf_putc(&b, '?');
        norm_pct(&b, query);
    }
    res = ccbuf_detach(&b, NULL);
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    return res;
}

char *url_resolve(const char *base, const char *ref, char *err, size_t errlen)
{
    if (!ref) {
        cc_seterr(err, errlen, "no URL");
        return NULL;
    }
    char *r = preclean(ref);
    const char *t = ref;
    while (*t && (unsigned char)*t <= 0x20)
        t++;
    if (!*r && *t == '#' && base) { /* fragment-only: the base document itself */
        free(r);
        return url_normalize(base, err, errlen);
    }
    if (!*r) {
        cc_seterr(err, errlen, "empty URL reference");
        free(r);
        return NULL;
    }
    size_t sl = scheme_len(r);
    if (sl && !is_http_scheme(r, sl)) {
        cc_seterr(err, errlen, "unsupported scheme '%.*s' in '%.200s'", (int)(sl > 20 ? 20 : sl), r, ref);
        free(r);
        return NULL;
    }
    CURLU *h = curl_url();
    if (!h) {
        fprintf(stderr, "clipcrawl: out of memory\n");
        abort();
    }
    char *res = NULL;
    if (!sl) {
        if (!base || !url_is_http(base)) {
            cc_seterr(err, errlen, "relative URL '%.200s' without an http(s) base", ref);
            goto done;
        }
        char *b = preclean(base);
        int rc = set_url(h, b, err, errlen, base);
        free(b);
        if (rc)
            goto done;
    }
    if (set_url(h, r, err, errlen, ref))
        goto done;
    res = assemble(h, err, errlen, ref);
done:
    curl_url_cleanup(h);
    free(r);
    return res;
}

char *url_normalize(const char *url, char *err, size_t errlen)
{
    if (url && !url_is_http(url)) {
        const char *s = url;
        while (*s && (unsigned char)*s <= 0x20)
            s++;
        size_t sl = scheme_len(s);
        if (sl)
            cc_seterr(err, errlen, "unsupported scheme '%.*s' in '%.200s'", (int)(sl > 20 ? 20 : sl), s, url);
        else
            cc_seterr(err, errlen, "not an absolute http(s) URL: '%.200s'", url);
        return NULL;
    }
    return url_resolve(NULL, url, err, errlen);
}

/* Parses an absolute URL (normalising it first) into a curl handle. */
static CURLU *parse_abs(const char *url)
{
    char *n = url_normalize(url, NULL, 0);
    if (!n)
        return NULL;
    CURLU *h = curl_url();
    if (!h)
        abort();
    if (curl_url_set(h, CURLUPART_URL, n, 0) != CURLUE_OK) {
        curl_url_cleanup(h);
        h = NULL;
    }
    free(n);
    return h;
}

char *url_host(const char *url)
{
    CURLU *h = parse_abs(url);
    if (!h)
        return NULL;
    char *host = NULL, *res = NULL;
    if (curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
        res = xstrdup(host);
        for (char *p = res; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    curl_free(host);
    curl_url_cleanup(h);
    return res;
}

char *url_robots_txt(const char *url)
{
    CURLU *h = parse_abs(url);
    if (!h)
        return NULL;
    char *res = NULL;
    if (curl_url_set(h, CURLUPART_PATH, "/robots.txt", 0) == CURLUE_OK &&
        curl_url_set(h, CURLUPART_QUERY, NULL, 0) == CURLUE_OK) {
        char *u = NULL;
        if (curl_url_get(h, CURLUPART_URL, &u, CURLU_NO_DEFAULT_PORT) == CURLUE_OK)
            res = xstrdup(u);
        curl_free(u);
    }
    curl_url_cleanup(h);
    return res;
}

char *url_path_query(const char *url)
{
    char *n = url_normalize(url, NULL, 0);
    if (!n)
        return NULL;
    /* normal form: scheme://authority/path?query — skip to the first '/' after "//" */
    const char *p = strstr(n, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    char *res = xstrdup(p ? p : "/");
    free(n);
    return res;
}

/* ---- scope ------------------------------------------------------------------ */

static int is_ip_literal(const char *h)
{
    if (h[0] == '[')
        return 1;
    for (const char *p = h; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return 0;
    return 1;
}

/* The Public Suffix List is loaded once per process and never changes
 * afterwards (read-only, shared by every thread): the newer of libpsl's
 * built-in copy and the distribution's /usr/share/publicsuffix file. */
static const psl_ctx_t *psl_list;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void psl_load(void)
{
    psl_list = psl_latest(NULL);
    if (!psl_list)
        psl_list = psl_builtin();
}

char *url_registrable_domain(const char *host)
{
    if (!host)
        return NULL;
    char *h = xstrdup(host);
    for (char *p = h; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    size_t n = strlen(h);
    while (n > 0 && h[n - 1] == '.') /* "example.com." is example.com */
        h[--n] = 0;
    if (is_ip_literal(h) || !strchr(h, '.'))
        return h;
    pthread_once(&psl_once, psl_load);
    const char *rd = psl_list ? psl_registrable_domain(psl_list, h) : NULL;
    if (!rd) /* a public suffix itself ("co.uk", "github.io"), or no list */
        return h;
    char *res = xstrdup(rd);
    free(h);
    return res;
}

int url_scope_parse(const char *s, url_scope *out)
{
    if (!s)
        return -1;
    if (strcmp(s, "host") == 0)
        *out = URL_SCOPE_HOST;
    else if (strcmp(s, "domain") == 0)
        *out = URL_SCOPE_DOMAIN;
    else if (strcmp(s, "any") == 0)
        *out = URL_SCOPE_ANY;
    else
        return -1;
    return 0;
}

int url_in_scope(const char *url, const char *seed_url, url_scope scope)
{
    char *a = url_host(url), *b = url_host(seed_url);
    int ok = 0;
    if (a && b) {
        if (scope == URL_SCOPE_ANY) {
            ok = 1;
        } else if (scope == URL_SCOPE_HOST) {
            ok = strcmp(a, b) == 0;
        } else {
            char *da = url_registrable_domain(a), *db = url_registrable_domain(b);
            ok = strcmp(da, db) == 0;
            free(da);
            free(db);
        }
    }
    free(a);
    free(b);
    return ok;
}
