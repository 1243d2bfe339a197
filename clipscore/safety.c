/* safety.c — CLIP zero-shot safety tagging (see safety.h). */
#include "safety.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* NSFW categories first (ties go to the lower index), then the neutral ones. */
static const char *const nsfw_prompts[] = {
    "an image of porn",
    "a pornographic photo",
    "sexual",
    "nude",
    "a naked person",
    "an explicit sex scene",
    "an erotic photo",
    "a topless woman",
    "a photo of genitals",
    "hentai, explicit anime porn",
    "a webcam sex show",
    "a fetish photo",
};

static const char *const neutral_prompts[] = {
    "a photo of a landscape",
    "a drawing",
    "a photo of food",
    "a photo of a person",
    "a portrait photo",
    "a photo of a child playing",
    "a photo of an animal",
    "a photo of a pet",
    "a photo of a building",
    "a photo of a city street",
    "a photo of a room interior",
    "a photo of furniture",
    "a photo of a car",
    "a product photo",
    "a photo of clothing",
    "a fashion model",
    "a person in a swimsuit on a beach",
    "a photo of sports",
    "a photo of a crowd",
    "a painting",
    "a cartoon",
    "a logo",
    "a screenshot of text",
    "a diagram",
    "a map",
    "a photo of plants and flowers",
    "a photo of a beach",
    "a wedding photo",
    "a medical illustration of anatomy",
    "a photo of a statue",
    "a photo of a baby",
    "a photo of jewelry",
    "a photo of shoes",
    "a photo of a kitchen",
    "a book cover",
    "a photo of electronics",
    "a photo of a tattoo",
    "a dance performance",
};

#define N_NSFW ((int)(sizeof nsfw_prompts / sizeof nsfw_prompts[0]))
#define N_NEUTRAL ((int)(sizeof neutral_prompts / sizeof neutral_prompts[0]))

struct clip_safety {
    int n, d;
    float *emb;     /* n × d, normalised */
    int *is_nsfw;
    char **names;
};

static clip_safety *safety_alloc(int n, int d)
{
    clip_safety *s = xcalloc(1, sizeof *s);
    s->n = n;
    s->d = d;
    s->emb = xcalloc((size_t)n * (size_t)d, sizeof *s->emb);
    s->is_nsfw = xcalloc((size_t)n, sizeof *s->is_nsfw);
    s->names = xcalloc((size_t)n, sizeof *s->names);
    return s;
}

clip_safety *clip_safety_new(const clip_model *m, const clip_tokenizer *t, clip_state *st, char *err, size_t errlen)
{
    if (!m || !t || !st) {
        snprintf(err, errlen, "clip_safety_new: model, tokenizer and state are required");
        return NULL;
    }
    const clip_config *c = clip_model_config(m);
    const int n = N_NSFW + N_NEUTRAL, d = c->embed_dim, C = c->context_length;
    clip_safety *s = safety_alloc(n, d);
    int32_t *ids = xcalloc((size_t)n * (size_t)C, sizeof *ids);
    int *eot = xcalloc((size_t)n, sizeof *eot);
    for (int i = 0; i < n; i++) {
        const char *p = i < N_NSFW ? nsfw_prompts[i] : neutral_prompts[i - N_NSFW];
        s->names[i] = xstrdup(p);
        s->is_nsfw[i] = i < N_NSFW;
        if (clip_tokenize(t, p, ids + (size_t)i * C, C, &eot[i]) < 2) {
            snprintf(err, errlen, "clip_safety_new: cannot tokenize prompt '%s'", p);
            goto fail;
        }
    }
    if (clip_encode_texts(st, ids, eot, n, s->emb) != 0) {
        snprintf(err, errlen, "clip_safety_new: text tower: %s", clip_state_errmsg(st));
        goto fail;
    }
    clip_l2_normalize(s->emb, n, d);
    free(ids);
    free(eot);
    return s;
fail:
    free(ids);
    free(eot);
    clip_safety_free(s);
    return NULL;
}

clip_safety *clip_safety_new_from_embeddings(const float *emb, const int *is_nsfw, const char *const *names, int n,
                                             int d)
{
    if (!emb || !is_nsfw || n < 2 || d < 1)
        return NULL;
    clip_safety *s = safety_alloc(n, d);
    memcpy(s->emb, emb, (size_t)n * (size_t)d * sizeof *emb);
    clip_l2_normalize(s->emb, n, d);
    for (int i = 0; i < n; i++) {
        s->is_nsfw[i] = is_nsfw[i] != 0;
        s->names[i] = names && names[i] ? xstrdup(names[i]) : xasprintf("category %d", i);
    }
    return s;
}

void clip_safety_free(clip_safety *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        free(s->names[i]);
    free(s->names);
    free(s->is_nsfw);
    free(s->emb);
    free(s);
}

const char *clip_safety_tag_ex(const clip_safety *s, const float *v, int top[2], float cos[2])
{
    /* Strict '>' keeps the lower index on ties. NaN cosines never win. */
    int b0 = -1, b1 = -1;
    float c0 = -INFINITY, c1 = -INFINITY;
    for (int i = 0; i < s->n; i++) {
        float c = clip_dot(v, s->emb + (size_t)i * s->d, s->d);
        if (c > c0) {
            b1 = b0, c1 = c0;
            b0 = i, c0 = c;
        } else if (c > c1) {
            b1 = i, c1 = c;
        }
    }
    /* All-NaN input: fall back to the first two categories' order. */
    if (b0 < 0)
        b0 = 0;
    if (b1 < 0)
        b1 = b0 == 0 ? 1 : 0;
    if (top)
        top[0] = b0, top[1] = b1;
    if (cos)
        cos[0] = c0, cos[1] = c1;
    int k = s->is_nsfw[b0] + s->is_nsfw[b1];
    return k == 2 ? CLIP_SAFETY_NSFW : k == 1 ? CLIP_SAFETY_UNSURE : CLIP_SAFETY_UNLIKELY;
}

const char *clip_safety_tag(const clip_safety *s, const float *v)
{
    return clip_safety_tag_ex(s, v, NULL, NULL);
}

int clip_safety_count(const clip_safety *s)
{
    return s->n;
}

int clip_safety_dim(const clip_safety *s)
{
    return s->d;
}

const char *clip_safety_prompt(const clip_safety *s, int i)
{
    return i >= 0 && i < s->n ? s->names[i] : NULL;
}

int clip_safety_is_nsfw(const clip_safety *s, int i)
{
    return i >= 0 && i < s->n ? s->is_nsfw[i] : 0;
}

const float *clip_safety_embedding(const clip_safety *s, int i)
{
    return i >= 0 && i < s->n ? s->emb + (size_t)i * s->d : NULL;
}
