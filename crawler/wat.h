/* wat.h — image links of one WAT metadata record (Common Crawl's WAT files).
 *
 * A WAT file is a WARC file whose `metadata` records hold one JSON document
 * each (Content-Type: application/json), describing one record of the
 * original WARC. For an HTML response Common Crawl's extractor
 * (ia-web-commons' ExtractingParseObserver) writes:
 *
 *   {"Envelope": {
 *      "WARC-Header-Metadata": {"WARC-Type": "response",
 *                               "WARC-Target-URI": "https://example.org/page", ...},
 *      "Payload-Metadata": {"HTTP-Response-Metadata": {
 *          "Headers": {"Content-Type": "text/html", "X-Robots-Tag": "noai", ...},
 *          "HTML-Metadata": {
 *             "Head": {"Base": "https://cdn.example.org/", "Title": "...",
 *                      "Metas": [{"name": "robots", "content": "noai"}, ...]},
 *             "Links": [{"path": "IMG@/src", "url": "a.jpg",
 *                        "alt": "A red fox", "title": "Fox"}, ...]}}}}}
 *
 * wat_parse() takes every Links entry whose path is "IMG@/src" (case-
 * insensitive), resolves its url against Head.Base (itself resolved against
 * the page URL) or, without a usable Base, the page URL, and normalises it
 * with url.h; entries whose url does not resolve to an http(s) URL (data:,
 * javascript:, empty) are dropped, and each distinct image URL is kept once
 * (the first entry, with the first non-empty alt/title seen for it).
 * The page URL is Envelope.WARC-Header-Metadata.WARC-Target-URI, else the
 * record's own WARC-Target-URI (the caller passes it).
 *
 * Opt-outs carried by the metadata are reported too: X-Robots-Tag and
 * tdm-reservation response headers (a header the WAT writer merged into an
 * array counts line by line) and <meta name="robots"|AGENT|"tdm-reservation">
 * from Head.Metas.
 */
#ifndef CC_WAT_H
#define CC_WAT_H

#include <stddef.h>

typedef struct {
    char *url;   /* absolute, normalised */
    char *alt;   /* the alt attribute as the WAT holds it (entities decoded by the
                    WAT writer), NULL when absent */
    char *title; /* the title attribute, NULL when absent */
} wat_image;

typedef struct {
    char *page_url;       /* normalised page URL */
    char *base_url;       /* what the image URLs were resolved against */
    char *content_type;   /* the response's Content-Type header or NULL */
    wat_image *images;
    size_t n_images;
    unsigned optout;      /* OPTOUT_* bits (optout.h) from headers and meta tags */
} wat_page;

/* Parses the JSON document json[0..n) of a WAT metadata record.
 * record_uri is the record's WARC-Target-URI (may be NULL); agent our
 * product token for X-Robots-Tag "agent:" forms and <meta name=AGENT> (NULL:
 * "clipcrawl").
 * Returns 1 and fills *out (wat_page_free() it) for the metadata of an HTML
 * response (it may still hold no images); 0 when the document describes
 * something else (a request, warcinfo, a non-HTML payload: *out zeroed);
 * -1 with a one-line reason in err when json is not JSON or the response
 * has no usable page URL (*out zeroed). */
int wat_parse(const char *json, size_t n, const char *record_uri, const char *agent, wat_page *out, char *err,
              size_t errlen);

void wat_page_free(wat_page *p); /* zeroes *p; NULL is a no-op */

#endif
