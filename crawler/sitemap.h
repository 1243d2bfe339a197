/* sitemap.h — sitemaps (sitemaps.org protocol 0.9) and Google image sitemaps.
 *
 * sitemap_parse() reads one sitemap file as it came off the wire:
 *   - an XML <urlset> (the pages of a site, each <url><loc>, with Google's
 *     image extension <image:image><image:loc>/<image:caption>/<image:title>),
 *   - an XML <sitemapindex> (<sitemap><loc>: more sitemaps to read),
 *   - a plain-text sitemap (one URL a line, UTF-8),
 * each optionally gzip-compressed (recognised by the gzip magic bytes, not the
 * file name). Elements are matched by local name and by their parent, so any
 * namespace prefix works and <video:title> or <news:title> are not taken for
 * an image's title. The XML is read with libxml2's streaming reader: no
 * network, no DTD loading, no entity substitution (no XXE, no entity
 * bombs); malformed XML is read as far as it goes (what was read is kept).
 *
 * BOUNDS (sitemap_limits): at most max_bytes after decompression (a larger
 * file, or a gzip bomb, is read up to the cap and flagged truncated),
 * max_entries <url>/<sitemap> entries, max_images_per_url images per <url>;
 * URLs longer than 2048 bytes and texts longer than 2048 bytes are dropped
 * or cut. The protocol's own limits (50,000 entries, 50 MB uncompressed,
 * 1,000 images per page) are the defaults.
 *
 * Every URL is resolved against the sitemap's own URL and normalised with
 * url.h; entries that are not http(s) URLs are skipped and counted.
 * Thread-safe; no global state.
 */
#ifndef CC_SITEMAP_H
#define CC_SITEMAP_H

#include <stddef.h>

typedef struct {
    char *loc;     /* absolute, normalised image URL */
    char *caption; /* <image:caption>, whitespace-normalised, or NULL */
    char *title;   /* <image:title>, whitespace-normalised, or NULL */
} sitemap_image;

typedef struct {
    char *loc;               /* absolute, normalised page URL */
    sitemap_image *images;   /* <image:image> entries of this page */
    size_t n_images;
} sitemap_url;

typedef enum {
    SITEMAP_URLSET = 0, /* pages (XML <urlset> or plain text) */
    SITEMAP_INDEX = 1   /* <sitemapindex>: sitemaps[] lists further sitemaps */
} sitemap_kind;

typedef struct {
    sitemap_kind kind;
    sitemap_url *urls;   /* SITEMAP_URLSET: the pages, in file order */
    size_t n_urls;
    char **sitemaps;     /* SITEMAP_INDEX: the child sitemaps, in file order */
    size_t n_sitemaps;
    size_t n_skipped;    /* entries dropped: bad or non-http(s) URL, over a limit */
    int truncated;       /* 1 when max_bytes or max_entries cut the file short */
    int gzipped;         /* 1 when the input was gzip-compressed */
} sitemap_result;

typedef struct {
    size_t max_bytes;          /* decompressed bytes read; default 50 MiB */
    size_t max_entries;        /* <url> or <sitemap> entries kept; default 50,000 */
    size_t max_images_per_url; /* default 1,000 */
} sitemap_limits;

/* Fills l with the defaults above. */
void sitemap_limits_init(sitemap_limits *l);

/* Parses data[0..n) fetched from sitemap_url (an absolute http(s) URL, the
 * base for relative locations). limits may be NULL (defaults). Returns 0 and
 * fills *out (free with sitemap_result_free()), also for a partly malformed
 * file. Returns -1 with a one-line reason in err (if not NULL), *out zeroed,
 * when sitemap_url is not an absolute http(s) URL, the gzip stream is corrupt
 * before any byte came out, or the data is neither XML with a <urlset> or
 * <sitemapindex> root nor text whose lines are URLs (e.g. an HTML page). */
int sitemap_parse(const char *data, size_t n, const char *sitemap_url, const sitemap_limits *limits,
                  sitemap_result *out, char *err, size_t errlen);

void sitemap_result_free(sitemap_result *r); /* zeroes *r; NULL is a no-op */

#endif
