/* clip-tool.c — what the CLIP commands share: loading the model and tokenizer,
 * an image file as the model's input tensor, a caption as token ids (pipeline.h). */

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"
#include "pipeline.h"
#include "preprocess.h"

int clip_tool_load(const clip_tool_options *o, clip_model **m, clip_tokenizer **t, char *err, size_t errlen)
{
    *m = NULL;
    if (t)
        *t = NULL;
    if (!o->model) {
        snprintf(err, errlen, "no model: pass --model DIR or set CLIPCRAWL_MODEL");
        return -1;
    }
    *m = clip_model_load(o->model, o->precision, err, errlen);
    if (!*m)
        return -1;
    if (t) {
        char *dir = NULL;
        if (o->tokenizer) {
            dir = xstrdup(o->tokenizer);
        } else {
            struct stat sb;
            if (stat(o->model, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
                char *tmp = xstrdup(o->model);
                dir = xstrdup(dirname(tmp));
                free(tmp);
            } else {
                dir = xstrdup(o->model);
            }
        }
        *t = clip_tokenizer_load(dir, err, errlen);
        free(dir);
        if (!*t) {
            clip_model_free(*m);
            *m = NULL;
            return -1;
        }
    }
    return 0;
}

int clip_tool_pixels(const void *data, size_t n, uint64_t max_pixels, int image_size, float *out_chw, char *err,
                     size_t errlen)
{
    img_image im = {0};
    int rc = -1;
    if (img_decode_native(data, n, max_pixels, &im, err, errlen) == CC_OK &&
        clip_preprocess(&im, image_size, NULL, NULL, out_chw, NULL, err, errlen) == 0)
        rc = 0;
    img_image_free(&im);
    return rc;
}

int clip_tool_image(const char *path, int image_size, float *out_chw, char *err, size_t errlen)
{
    ccbuf b = {0};
    if (cc_read_file(path, &b) != CC_OK) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    char e2[256];
    int rc = clip_tool_pixels(b.data, b.len, CLIP_TOOL_MAX_PIXELS, image_size, out_chw, e2, sizeof e2);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, e2);
    ccbuf_free(&b);
    return rc;
}

int clip_tool_tokens(const clip_tokenizer *t, const char *text, int context, int32_t *row, int *eot)
{
    memset(row, 0, (size_t)context * sizeof *row);
    int n = clip_tokenize(t, text, row, context, eot);
    return n < 0 ? 0 : n;
}
