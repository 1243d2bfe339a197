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

/* ---- a loaded model for embed and classify ---- */

struct clip_session {
    clip_model *m;
    clip_tokenizer *tok;
    clip_state *st;
    int batch;
};

clip_session *clip_session_open(const clip_tool_options *o, int with_tokenizer, char *err, size_t errlen)
{
    clip_session *s = xcalloc(1, sizeof *s);
    if (clip_tool_load(o, &s->m, with_tokenizer ? &s->tok : NULL, err, errlen) != 0) {
        free(s);
        return NULL;
    }
    s->batch = o->batch > 0 ? o->batch : 1;
    s->st = clip_state_new(s->m, s->batch);
    clip_state_set_threads(s->st, o->threads ? o->threads : cc_ncpus());
    return s;
}

void clip_session_free(clip_session *s)
{
    if (!s)
        return;
    clip_state_free(s->st);
    clip_model_free(s->m);
    clip_tokenizer_free(s->tok);
    free(s);
}

const clip_model *clip_session_model(const clip_session *s) { return s->m; }

int clip_session_texts(clip_session *s, const char *const *texts, int n, float *out, int32_t *ids, int *ntok,
                       char *err, size_t errlen)
{
    if (n <= 0)
        return 0;
    if (!s->tok) {
        snprintf(err, errlen, "no tokenizer loaded");
        return -1;
    }
    const clip_config *c = clip_model_config(s->m);
    const int C = c->context_length;
    int32_t *rows = ids ? ids : xmalloc((size_t)n * C * sizeof *rows);
    int *eot = xcalloc((size_t)n, sizeof *eot);
    for (int i = 0; i < n; i++) {
        int k = clip_tool_tokens(s->tok, texts[i], C, rows + (size_t)i * C, &eot[i]);
        if (ntok)
            ntok[i] = k;
    }
    int rc = clip_encode_texts(s->st, rows, eot, n, out);
    if (rc != 0)
        snprintf(err, errlen, "%s", clip_state_errmsg(s->st));
    else
        clip_l2_normalize(out, n, c->embed_dim);
    free(eot);
    if (rows != ids)
        free(rows);
    return rc != 0 ? -1 : 0;
}

int clip_session_files(clip_session *s, const char *const *paths, int n, int per_pass, clip_file_fn fn, void *ctx,
                       char *err, size_t errlen)
{
    const clip_config *c = clip_model_config(s->m);
    const int S = c->image_size, E = c->embed_dim;
    const size_t img_floats = (size_t)3 * S * S;
    const int P = per_pass > 0 ? per_pass : s->batch;
    const int cap = n < P ? (n > 0 ? n : 1) : P;
    float *px = xmalloc((size_t)cap * img_floats * sizeof *px);
    float *emb = xmalloc((size_t)cap * E * sizeof *emb);
    int *ok = xcalloc((size_t)cap, sizeof *ok);
    char (*msgs)[512] = xcalloc((size_t)cap, sizeof *msgs);
    int rc = 0;
    for (int b0 = 0; b0 < n && rc == 0; b0 += P) {
        const int B = n - b0 < P ? n - b0 : P;
        int nok = 0;
        for (int i = 0; i < B; i++) {
            /* readable files packed to the front: the encoder sees only those */
            ok[i] = clip_tool_image(paths[b0 + i], S, px + (size_t)nok * img_floats, msgs[i], sizeof msgs[i]) == 0;
            nok += ok[i];
        }
        if (nok && clip_encode_images(s->st, px, nok, emb) != 0) {
            snprintf(err, errlen, "%s", clip_state_errmsg(s->st));
            rc = -1;
            break;
        }
        clip_l2_normalize(emb, nok, E);
        for (int i = 0, j = 0; i < B && rc == 0; i++) {
            if (ok[i]) {
                if (fn(b0 + i, emb + (size_t)j * E, px + (size_t)j * img_floats, NULL, ctx) != 0)
                    rc = 1;
                j++;
            } else if (fn(b0 + i, NULL, NULL, msgs[i], ctx) != 0) {
                rc = 1;
            }
        }
    }
    free(px), free(emb), free(ok), free(msgs);
    return rc;
}
