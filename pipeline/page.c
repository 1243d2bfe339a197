/* page.c — one saved page's images judged as a crawl judges them (see page.h). */
#include "page.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "candidates.h"
#include "caption.h"
#include "extract.h"
#include "judge.h"
#include "optout.h"
#include "placement.h"

/* gzerror()'s message without the "<fd:3>: " it puts in front. */
static const char *gz_message(gzFile g, int *zerr)
{
    const char *msg = gzerror(g, zerr);
    if (msg && strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ": "))
        msg = strstr(msg, ": ") + 2;
    return msg ? msg : "?";
}

cc_err page_read_file(const char *path, ccbuf *out, char *err, size_t errlen)
{
    ccbuf_reset(out);
    int std = strcmp(path, "-") == 0;
    const char *name = std ? "(stdin)" : path;
    int fd = std ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cc_seterr(err, errlen, "cannot read '%s': %s", name, strerror(errno));
        return CC_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        cc_seterr(err, errlen, "cannot read '%s': it is a directory", name);
        return CC_ERR_IO;
    }
    /* zlib reads a file that is not gzip as it is (transparent mode) */
    gzFile g = gzdopen(fd, "rb");
    if (!g) {
        close(fd);
        cc_seterr(err, errlen, "cannot read '%s': out of memory", name);
        return CC_ERR_IO;
    }
    gzbuffer(g, 1 << 17);
    cc_err rc = CC_OK;
    char chunk[1 << 16];
    for (;;) {
        int k = gzread(g, chunk, sizeof chunk);
        if (k < 0) {
            int zerr = 0;
            const char *msg = gz_message(g, &zerr);
            if (zerr == Z_ERRNO) {
                cc_seterr(err, errlen, "cannot read '%s': %s", name, strerror(errno));
                rc = CC_ERR_IO;
            } else {
                cc_seterr(err, errlen, "'%s': damaged gzip data: %s", name, msg);
                rc = CC_ERR_FORMAT;
            }
            break;
        }
        if (k == 0) {
            int zerr = Z_OK;
            const char *msg = gz_message(g, &zerr);
            if (zerr != Z_OK) { /* a cut gzip stream ends without an error from gzread */
                cc_seterr(err, errlen, "'%s': damaged gzip data: %s", name, msg);
                rc = CC_ERR_FORMAT;
            }
            break;
        }
        if (out->len + (size_t)k > PAGE_MAX_BYTES) {
            cc_seterr(err, errlen, "'%s': larger than %u MiB (decoded)", name, PAGE_MAX_BYTES >> 20);
            rc = CC_ERR_RANGE;
            break;
        }
        ccbuf_append(out, chunk, (size_t)k);
    }
    gzclose(g);
    if (rc != CC_OK)
        ccbuf_reset(out);
    return rc;
}

/* candidates_judge()'s judge: the crawl's verdict, its detail kept per
 * candidate (found by the text pointer, as candidates.c passes it). */
typedef struct {
    const caption_filter *f;
    page_image *out;
} recorder;

static int judge_recorded(const char *text, const extract_image *img, void *ctx, const char **reason)
{
    recorder *r = ctx;
    caption_verdict v = judge_page_verdict(r->f, text, img);
    for (size_t k = 0; k < img->n_cands; k++)
        if (img->cands[k].text == text && !r->out->cands[k].detail)
            r->out->cands[k].detail = xstrdup(v.detail);
    *reason = v.reason;
    return v.code == CAPTION_KEEP;
}

static void take_image(const caption_filter *f, const extract_image *img, page_image *pi)
{
    char pl[160];
    pi->url = xstrdup(img->url);
    pi->via = img->via;
    pi->fallback_url = img->fallback_url ? xstrdup(img->fallback_url) : NULL;
    pi->width = img->width;
    pi->height = img->height;
    pi->placement = xstrdup(cc_place_format(img->placement, pl, sizeof pl));
    pi->alt_repeats = img->alt_repeats;
    pi->n_cands = img->n_cands;
    pi->cands = xcalloc(img->n_cands ? img->n_cands : 1, sizeof *pi->cands);
    const char **reason = xcalloc(img->n_cands ? img->n_cands : 1, sizeof *reason);
    recorder r = {f, pi};
    const char *best = NULL;
    pi->chosen = candidates_judge(img, judge_recorded, &r, reason, &best);
    pi->reason = pi->chosen >= 0 ? NULL : best ? best : "no_caption";
    for (size_t k = 0; k < img->n_cands; k++) {
        pi->cands[k].source = caption_source_name(img->cands[k].source);
        pi->cands[k].text = xstrdup(img->cands[k].text);
        pi->cands[k].verdict = reason[k] ? reason[k] : "keep";
        if (!pi->cands[k].detail)
            pi->cands[k].detail = xstrdup("");
    }
    free(reason);
}

cc_err page_judge(const char *html, size_t n, const char *url, const char *content_type, const filter_config *fc,
                  page_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    filter_config defaults;
    if (!fc) {
        filter_config_defaults(&defaults);
        fc = &defaults;
    }
    caption_filter *f = caption_filter_new_err(fc, err, errlen);
    if (!f)
        return CC_ERR_IO;
    extract_result ex;
    if (extract_page_opts(html, n, url, content_type, NULL, &ex, err, errlen) != 0) {
        caption_filter_free(f);
        return CC_ERR_USAGE;
    }
    out->images = xcalloc(ex.n_images ? ex.n_images : 1, sizeof *out->images);
    for (size_t i = 0; i < ex.n_images; i++)
        take_image(f, &ex.images[i], &out->images[i]);
    out->n_images = ex.n_images;
    out->optout = optout_reason(ex.optout);
    extract_result_free(&ex);
    caption_filter_free(f);
    return CC_OK;
}

void page_result_free(page_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_images; i++) {
        page_image *pi = &r->images[i];
        free(pi->url);
        free(pi->fallback_url);
        free(pi->placement);
        for (size_t k = 0; k < pi->n_cands; k++) {
            free(pi->cands[k].text);
            free(pi->cands[k].detail);
        }
        free(pi->cands);
    }
    free(r->images);
    memset(r, 0, sizeof *r);
}
