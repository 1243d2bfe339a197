/* robots.h — robots.txt per RFC 9309 (Robots Exclusion Protocol).
 *
 * A robots_rules object is the parsed form of one host's robots.txt. It is
 * immutable after robots_parse() and may be shared by any number of threads.
 *
 * Semantics (RFC 9309, with the Google reference parser where the RFC leaves
 * room; crawler/README.md lists every difference):
 *   - Lines end in LF, CR or CRLF; a leading UTF-8 BOM (or a prefix of one) is
 *     skipped; '#' starts a comment; keys are case-insensitive.
 *   - Only the first ROBOTS_MAX_BYTES (500 KiB) of the body are parsed (RFC
 *     9309 2.5); a line that runs past that point is dropped whole. Lines
 *     longer than ROBOTS_MAX_LINE bytes are cut there.
 *   - A line "key value" without a colon is accepted when it has exactly two
 *     words (Google leniency); common key misspellings (disalow, useragent...)
 *     are accepted as Google does.
 *   - Groups: consecutive user-agent lines open a group; its allow/disallow/
 *     crawl-delay lines follow. Groups naming the same product token are merged.
 *     The token is matched case-insensitively against the user-agent value up to
 *     its first character outside [A-Za-z_-]; "*" is the fallback group, used
 *     only when no group names the crawler.
 *   - Matching: the longest matching rule wins (length of the pattern after
 *     escaping); allow wins a tie; "*" matches any run of octets, "$" at the end
 *     of a pattern anchors it. Empty patterns match nothing. "/robots.txt" is
 *     always allowed (RFC 9309 2.2.2).
 *   - Percent-encoding: patterns have non-ASCII octets %-encoded and %xx hex
 *     digits upper-cased; the URL's path has its %xx hex digits upper-cased
 *     and is otherwise compared octet by octet. Pass URLs as url_normalize()
 *     (url.h) produces them, i.e. already %-encoded.
 */
#ifndef CC_ROBOTS_H
#define CC_ROBOTS_H

#include <stddef.h>

#define ROBOTS_MAX_BYTES (500u * 1024u) /* parse at least this much: RFC 9309 2.5 */
#define ROBOTS_MAX_LINE 16663           /* Google's line buffer: 8 * 2083 bytes incl. NUL */

typedef struct robots_rules robots_rules;

/* Parses body[0..n) (any bytes; NUL bytes end a line's value). Never fails on
 * bad input: unknown lines are counted and skipped. body may be NULL when n
 * is 0 (an empty file allows everything). Free with robots_free(). */
robots_rules *robots_parse(const char *body, size_t n);

/* Rules that allow / disallow every URL (crawl-delay none). */
robots_rules *robots_allow_all(void);
robots_rules *robots_disallow_all(void);

/* The rules a crawler must use given how fetching /robots.txt ended
 * (RFC 9309 2.3.1): http_status 200..299 → robots_parse(body, n);
 * 400..499 except 429 (404, 410, 401, 403...) → allow all ("unavailable");
 * 429, 500..599, 0 or negative (network error, DNS failure, timeout) →
 * disallow all ("unreachable"; 429 as Google does: the crawl loop retries
 * later). Other statuses (1xx, a 3xx) → disallow all. A caller that gave up
 * after more than five redirects passes a 4xx: RFC 9309 2.3.1.2 lets it take
 * the file as unavailable.
 * body/n are only read for 2xx. */
robots_rules *robots_for_status(int http_status, const char *body, size_t n);

/* 1 when http_status is one robots_for_status reads as "unreachable" (429,
 * 500..599, 0 or negative): everything is disallowed for now, but that is
 * not the site's wish, so a caller may ask again later (RFC 9309 2.3.1.4). */
int robots_status_unreachable(int http_status);

void robots_free(robots_rules *r); /* NULL is a no-op */

/* 1 when the crawler whose product token is agent may fetch url_or_path,
 * 0 when it may not. url_or_path is a full URL ("http://h/p?q#f") or an
 * absolute path ("/p?q"); the fragment is ignored. agent is a product token
 * ("clipcrawl", see robots_product_token()); an empty or NULL agent names no
 * group, so only the "*" group applies. NULL r allows everything. */
int robots_allowed(const robots_rules *r, const char *agent, const char *url_or_path);

/* Crawl-delay of the group that applies to agent, in seconds; -1 when that
 * group gives none (or the value does not parse as a non-negative number). */
double robots_crawl_delay(const robots_rules *r, const char *agent);

/* Sitemap URLs listed anywhere in the file, in order (not used for matching). */
size_t robots_sitemap_count(const robots_rules *r);
const char *robots_sitemap(const robots_rules *r, size_t i); /* NULL if out of range */

/* Parser statistics (for tests and diagnostics). */
size_t robots_valid_directives(const robots_rules *r);   /* recognised key lines */
size_t robots_unknown_directives(const robots_rules *r); /* key: value lines with an unknown key */
size_t robots_lines(const robots_rules *r);              /* lines seen */
int robots_truncated(const robots_rules *r);             /* 1 if the body exceeded ROBOTS_MAX_BYTES */

/* Writes the product token of a User-Agent string into out (NUL-terminated,
 * truncated to outlen-1): the leading run of [A-Za-z_-] characters (RFC
 * 9309's token alphabet, read the same way from user-agent lines), so
 * "clipcrawl/0.1 (+http://x)" gives "clipcrawl". Returns its length (0 when
 * ua starts with anything else). */
size_t robots_product_token(const char *ua, char *out, size_t outlen);

/* 1 if s is a valid product token per RFC 9309 2.2.1 (non-empty, only
 * [A-Za-z_-]), else 0. */
int robots_token_valid(const char *s);

/* The part of url robots rules match against: path, params and query, no
 * fragment, always starting with '/' ("http://h" → "/", "/a?b#c" → "/a?b").
 * Returns a malloc'd string (caller frees). Never NULL. */
char *robots_url_path(const char *url);

/* Pattern escaping used on rule values: %-encodes octets >= 0x80 and
 * upper-cases existing %xx hex digits. Returns a malloc'd string. */
char *robots_escape_pattern(const char *pattern);

/* The robots.txt pattern matcher (RFC 9309 2.2.3, as Google's): 1 if pattern
 * matches path from its start — '*' matches any run of octets, '$' as the
 * last character anchors at the end of path, everything else matches itself
 * (compare escaped forms: robots_url_path, robots_escape_pattern). Linear in
 * path per pattern character. TDMRep locations (optout.h) match with it too. */
int robots_pattern_matches(const char *path, const char *pattern);

/* The same, and *steps gets the work it did (path positions visited): at
 * most (strlen(pattern) + 1) * (strlen(path) + 1) whatever the pattern, so
 * no robots.txt can make matching slow. For tests and diagnostics. */
int robots_pattern_matches_steps(const char *path, const char *pattern, size_t *steps);

#endif
