/* placement-dump.c — prints what clipcrawl's own page extractor
 * (crawler/extract.h, extract_page_opts with default options) finds on a
 * saved HTML page: every image with its placement facts and every caption
 * candidate. placement.py (README.md) runs it over the pages the real-caption
 * set was taken from, to learn where on its page each labelled string sits.
 *
 * Usage:
 *   placement-dump FILE URL [CONTENT-TYPE]   one page, fetched from URL
 *   placement-dump -                         pages listed on stdin, one per
 *                                            line: FILE TAB URL [TAB CONTENT-TYPE]
 *
 * Output (tab-separated, one record per line, in document order):
 *   page   FILE  URL  N_IMAGES
 *   image  I  PLACEMENT  WIDTH  HEIGHT  ALT_REPEATS  IMAGE_URL
 *   cand   I  SOURCE  TEXT
 * I numbers the page's images from 0; PLACEMENT is the stored form
 * (cc_place_format: "nav,linked", "" for a page image with no other bit);
 * SOURCE is caption_source_name(). Tabs and line breaks inside a text become
 * spaces (the extractor has collapsed whitespace already).
 *
 * A file that cannot be read, a URL that is not absolute http(s), or a
 * malformed list line stops the run: exit 1 with one line naming it. Built
 * with the tests (tests/meson.build) so it keeps compiling; not a test.
 * `clipcrawl page FILE --url URL` shows the same facts (and the verdicts)
 * for one page; this tool reads a whole list in one process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "extract.h"
#include "placement.h"

static void put_text(const char *s)
{
    for (; *s; s++)
        putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

/* Extracts FILE as fetched from URL and prints it; 0, or -1 after naming
 * the problem on stderr. */
static int dump(const char *file, const char *url, const char *ctype)
{
    ccbuf html = {0};
    cc_err e = cc_read_file(file, &html);
    if (e != CC_OK) {
        fprintf(stderr, "placement-dump: %s: %s\n", file, cc_strerror(e));
        return -1;
    }
    extract_options o;
    extract_options_init(&o);
    extract_result r;
    char err[256];
    int rc = extract_page_opts(html.data ? (const char *)html.data : "", html.len, url, ctype, &o, &r, err, sizeof err);
    ccbuf_free(&html);
    if (rc != 0) {
        fprintf(stderr, "placement-dump: %s: %s\n", file, err);
        extract_result_free(&r);
        return -1;
    }
    printf("page\t%s\t%s\t%zu\n", file, url, r.n_images);
    for (size_t i = 0; i < r.n_images; i++) {
        const extract_image *im = &r.images[i];
        char place[160];
        cc_place_format(im->placement, place, sizeof place);
        printf("image\t%zu\t%s\t%d\t%d\t%d\t", i, place, im->width, im->height, im->alt_repeats);
        put_text(im->url);
        putchar('\n');
        for (size_t k = 0; k < im->n_cands; k++) {
            printf("cand\t%zu\t%s\t", i, caption_source_name(im->cands[k].source));
            put_text(im->cands[k].text);
            putchar('\n');
        }
    }
    extract_result_free(&r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "-") == 0) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        long lineno = 0;
        while ((len = getline(&line, &cap, stdin)) > 0) {
            lineno++;
            while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = '\0';
            char *url = strchr(line, '\t');
            if (!url) {
                fprintf(stderr, "placement-dump: stdin line %ld: expected FILE TAB URL [TAB CONTENT-TYPE]\n", lineno);
                free(line);
                return 1;
            }
            *url++ = '\0';
            char *ctype = strchr(url, '\t');
            if (ctype)
                *ctype++ = '\0';
            if (dump(line, url, ctype && *ctype ? ctype : NULL) != 0) {
                free(line);
                return 1;
            }
        }
        free(line);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: placement-dump FILE URL [CONTENT-TYPE] | placement-dump - < LIST\n");
        return 2;
    }
    if (dump(argv[1], argv[2], argc == 4 ? argv[3] : NULL) != 0)
        return 1;
    return fflush(stdout) == 0 ? 0 : 1;
}
