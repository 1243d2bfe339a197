/* nearby_survey — how often the nearby-text fallback becomes an image's
 * caption on a set of saved pages, and what that text is. A measuring tool,
 * not a test (the numbers in crawler/README.md come from it).
 *
 *   nearby_survey PAGE.html...
 *
 * For every image of every page: its caption is chosen as the crawler does
 * (extract_choose_caption with the default caption filter). One TSV line per
 * image whose chosen caption is the nearby text:
 *   nearby  PAGE  IMAGE-URL  TEXT
 * then a summary on stderr: pages, images, images with a nearby candidate,
 * images whose caption is the nearby text. With NEARBY_SURVEY_ALL=1 in the
 * environment, also one line per image with a nearby candidate, chosen or not:
 *   cand  PAGE  IMAGE-URL  TEXT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caption.h"
#include "common.h"
#include "extract.h"

static int judge(const char *text, const extract_image *img, void *ctx, const char **reason)
{
    (void)img; /* the survey measures the text rules alone */
    caption_verdict v = caption_judge(ctx, text, strlen(text), NULL);
    *reason = v.reason;
    return v.code == CAPTION_KEEP;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nearby_survey PAGE.html...\n");
        return 2;
    }
    caption_filter *f = caption_filter_new(NULL);
    if (!f)
        return 1;
    size_t pages = 0, images = 0, with_nearby = 0, chosen_nearby = 0;
    for (int i = 1; i < argc; i++) {
        ccbuf html = {0};
        if (cc_read_file(argv[i], &html) != CC_OK) {
            fprintf(stderr, "nearby_survey: cannot read %s\n", argv[i]);
            return 1;
        }
        extract_result r;
        memset(&r, 0, sizeof r);
        if (extract_page((const char *)html.data, html.len, "http://page.example/a/", NULL, &r) == 0) {
            pages++;
            for (size_t k = 0; k < r.n_images; k++) {
                const extract_image *im = &r.images[k];
                images++;
                for (size_t j = 0; j < im->n_cands; j++)
                    if (im->cands[j].source == CAPTION_NEARBY) {
                        with_nearby++;
                        if (getenv("NEARBY_SURVEY_ALL"))
                            printf("cand\t%s\t%s\t%s\n", argv[i], im->url, im->cands[j].text);
                        break;
                    }
                int c = extract_choose_caption(im, judge, f, NULL);
                if (c >= 0 && im->cands[c].source == CAPTION_NEARBY) {
                    chosen_nearby++;
                    printf("nearby\t%s\t%s\t%s\n", argv[i], im->url, im->cands[c].text);
                }
            }
        }
        extract_result_free(&r);
        ccbuf_free(&html);
    }
    fprintf(stderr, "pages %zu  images %zu  with a nearby candidate %zu  caption is nearby text %zu\n", pages,
            images, with_nearby, chosen_nearby);
    caption_filter_free(f);
    return 0;
}
