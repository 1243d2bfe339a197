/* optout.h — page- and image-level opt-out signals for AI training.
 *
 * Signals understood:
 *   - robots meta directives "noai" and "noimageai" (DeviantArt / Cohost
 *     convention), in <meta name="robots" content="..."> or a meta tag named
 *     after our product token, and in X-Robots-Tag response headers
 *     ("noai, noimageai", or "clipcrawl: noai" aimed at one agent);
 *   - TDMRep (W3C TDM Reservation Protocol): the "tdm-reservation: 1"
 *     response header, <meta name="tdm-reservation" content="1">, and the
 *     site-wide /.well-known/tdmrep.json file.
 * Every function is pure (no I/O, no global state) and thread-safe.
 * The crawl loop checks these before an image is requested and records the
 * reason string (optout_reason()) for each skip.
 */
#ifndef CC_OPTOUT_H
#define CC_OPTOUT_H

#include <stddef.h>

/* Flags; a set of them is an "opt-out mask". 0 = no opt-out. */
enum {
    OPTOUT_NOAI = 1u << 0,            /* no AI use of anything on the page */
    OPTOUT_NOIMAGEAI = 1u << 1,       /* no AI use of the page's images */
    OPTOUT_TDM_RESERVATION = 1u << 2  /* TDM rights reserved (TDMRep) */
};

/* The reason code for a mask: "noai", "noimageai" or "tdm_reservation"
 * (first one set, in that order), or NULL for 0. Static strings. */
const char *optout_reason(unsigned mask);

/* Parses a robots directive list: the content of <meta name="robots"> or
 * <meta name="AGENT">, comma- (or space-) separated, case-insensitive.
 * Returns OPTOUT_NOAI / OPTOUT_NOIMAGEAI bits found. NULL → 0. */
unsigned optout_robots_meta(const char *content);

/* Parses X-Robots-Tag header values, one per line ('\n'-separated; the HTTP
 * engine passes every such header of a response this way). A value may start
 * with "agentname:" (then it applies only if agentname equals agent,
 * case-insensitive) and may hold several directives separated by commas;
 * several "agent: ..." groups in one value are handled as Google does (a
 * new group starts at "token:" where token is not a directive or a
 * valued directive such as max-snippet). agent may be NULL (then only
 * unprefixed directives count). Returns the OPTOUT_NOAI or OPTOUT_NOIMAGEAI
 * bit of the first opt-out directive that applies (so optout_reason() names
 * it), 0 when none does (none, noindex, nofollow... are not opt-outs). */
unsigned optout_xrobots(const char *value, const char *agent);

/* The value of a tdm-reservation header or meta tag: "1" (surrounding
 * whitespace allowed) → OPTOUT_TDM_RESERVATION, anything else → 0. */
unsigned optout_tdm_value(const char *value);

/* A parsed /.well-known/tdmrep.json: a JSON array of
 * {"location": PATTERN, "tdm-reservation": 0|1, "tdm-policy": URL}. */
typedef struct tdmrep tdmrep;

/* Parses json[0..n). Returns NULL and a one-line reason in err (if not NULL)
 * when it is not a JSON array of objects; entries without a string
 * "location" are skipped. Free with tdmrep_free(). */
tdmrep *tdmrep_parse(const char *json, size_t n, char *err, size_t errlen);
void tdmrep_free(tdmrep *t); /* NULL is a no-op */
size_t tdmrep_count(const tdmrep *t);

/* Looks up path ("/images/a.jpg?x=1", as url_path_query() returns; a full
 * URL is also accepted) in t. Location patterns match like robots.txt
 * patterns: a prefix match on the path, '*' any run of characters, '$' at
 * the end anchors; a pattern without a leading '/' gets one. The FIRST
 * matching entry in file order decides (TDMRep 3.3). Returns
 * OPTOUT_TDM_RESERVATION when that entry has "tdm-reservation": 1, else 0
 * (no entry, or reservation 0). If policy is not NULL it receives the
 * entry's tdm-policy URL (owned by t) or NULL. NULL t → 0. */
unsigned tdmrep_reserved(const tdmrep *t, const char *path, const char **policy);

#endif
