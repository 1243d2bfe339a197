/* url.h — URL resolution, normalisation and scope helpers for the crawler.
 *
 * Built on libcurl's URL API (curl_url). Every function is thread-safe and
 * keeps no state. Strings handed back are malloc'd; the caller free()s them.
 *
 * Normal form (what url_normalize() and url_resolve() return):
 *   - scheme http or https only, lower-case; anything else is refused;
 *   - host lower-cased (ASCII letters only: IDN hosts are kept as UTF-8, not
 *     converted to punycode), %-escapes in the host decoded; userinfo dropped;
 *   - default port (80 / 443) and an empty port dropped;
 *   - fragment removed; empty path becomes "/"; dot segments resolved
 *     (RFC 3986 5.2.4);
 *   - in path and query: %-escapes of unreserved characters (A-Z a-z 0-9
 *     - . _ ~) decoded, other %-escapes upper-cased, a '%' not followed by
 *     two hex digits becomes "%25", and octets that may not appear in a URL
 *     (controls, space, non-ASCII, " < > \ ^ ` { | }) %-encoded, so
 *     "/en Español" becomes "/en%20Espa%C3%B1ol";
 *   - leading and trailing spaces/controls removed; tab, CR, LF removed
 *     anywhere (as browsers do).
 * Not done on purpose: "//" in paths is kept, query parameters are not
 * sorted, "+" is not touched, "index.html" is not stripped.
 */
#ifndef CC_URL_H
#define CC_URL_H

#include <stddef.h>

/* Normalises an absolute http(s) URL. Returns the normal form, or NULL when
 * url is not an absolute http/https URL or does not parse; then err (if not
 * NULL) holds a one-line reason such as "unsupported scheme 'mailto'". */
char *url_normalize(const char *url, char *err, size_t errlen);

/* Resolves ref (as found in an href/src attribute: absolute, scheme-relative
 * "//h/p", absolute-path, relative, query-only or fragment-only) against base
 * (an absolute http(s) URL) per RFC 3986 section 5, then normalises. base
 * may be NULL when ref is absolute. A fragment-only ref ("#top") gives the
 * base itself. Returns NULL with a reason in err for empty refs, data:, javascript:, mailto: and every other non-http(s) scheme,
 * and for input that does not parse. */
char *url_resolve(const char *base, const char *ref, char *err, size_t errlen);

/* 1 if url starts with a scheme "http:" or "https:" (case-insensitive). */
int url_is_http(const char *url);

/* The lower-cased host of an absolute URL (IPv6 literals keep their
 * brackets: "[::1]"), or NULL when url has none or does not parse. */
char *url_host(const char *url);

/* The registrable domain ("site") of a host name by the Public Suffix List
 * (libpsl; ICANN and private sections): "news.bbc.co.uk" → "bbc.co.uk",
 * "alice.github.io" → "alice.github.io" (github.io is a public suffix, so
 * alice's and bob's pages are different sites). The list is the newer of
 * libpsl's built-in copy and the system's /usr/share/publicsuffix, loaded on
 * first use. IP literals, one-label hosts and hosts that are themselves a
 * public suffix ("co.uk") are returned as they are. host is compared
 * case-insensitively; the result is lower-case. Never NULL for a non-NULL
 * host. Thread-safe. */
char *url_registrable_domain(const char *host);

typedef enum {
    URL_SCOPE_HOST = 0,   /* same host (port ignored) */
    URL_SCOPE_DOMAIN = 1, /* same registrable domain */
    URL_SCOPE_ANY = 2     /* everything */
} url_scope;

/* Parses "host", "domain" or "any"; returns 0 and sets *out, or -1. */
int url_scope_parse(const char *s, url_scope *out);

/* 1 if url lies within scope of seed_url (both absolute), else 0 (also when
 * either does not parse). */
int url_in_scope(const char *url, const char *seed_url, url_scope scope);

/* "scheme://host[:port]/robots.txt" for an absolute URL (normal form), or
 * NULL when url does not parse. */
char *url_robots_txt(const char *url);

/* Path plus "?query" of an absolute URL in normal form ("/" at least), or
 * NULL when url does not parse. What robots.txt and tdmrep.json rules match. */
char *url_path_query(const char *url);

#endif
