/* test_clip.c — the CLIP towers against tests/data/clipref fixtures.
 *
 * For every fixture model: the fixture pixels (crop PNGs normalised here and
 * checked bitwise against pixels_f32le_sha256, plus the synthetic pattern)
 * and token ids go through clip_encode_*; normalised embeddings and cosines
 * must be within 1e-5 of the float64 reference, logits within 1e-3, trace
 * stages close. Then: the same weights renamed to OpenCLIP layout, F16/BF16
 * copies, bf16 precision, crafted bad files, and `clipcrawl embed` end to end.
 */
#include <dirent.h>
#include <math.h>
#include <png.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "half.h"
#include "clip.h"
#include "common.h"
#include "json.h"
#include "safetensors.h"

static const char *testdata;
static char tmpdir[256];

static json_value *load_json(const char *path)
{
    ccbuf b = {0};
    if (cc_read_file(path, &b) != CC_OK) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    char err[128];
    json_value *j = json_parse((const char *)b.data, b.len, err, sizeof err);
    ccbuf_free(&b);
    if (!j) {
        fprintf(stderr, "%s: %s\n", path, err);
        exit(1);
    }
    return j;
}

/* ------------------------------------------------------------ pixels */

static float mean_f[3], std_f[3];

static void normalise(const unsigned char *rgb, float *out)
{
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 224 * 224; i++)
            out[(size_t)c * 224 * 224 + i] = ((float)rgb[(size_t)i * 3 + c] / 255.0f - mean_f[c]) / std_f[c];
}

static int read_png_rgb(const char *path, unsigned char *rgb)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path))
        return -1;
    im.format = PNG_FORMAT_RGB;
    if (im.width != 224 || im.height != 224) {
        png_image_free(&im);
        return -1;
    }
    if (!png_image_finish_read(&im, NULL, rgb, 0, NULL))
        return -1;
    return 0;
}

/* ------------------------------------------------------------ safetensors writer */

typedef struct {
    char name[160];
    const char *dtype;
    int ndim;
    int64_t shape[4];
    unsigned char *data;   /* owned */
    size_t nbytes;
} wt;

typedef struct {
    wt *t;
    size_t n, cap;
} wlist;

static wt *wl_add(wlist *l, const char *name, const char *dtype, int ndim, const int64_t *shape, const void *data,
                  size_t nbytes)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->t = xrealloc(l->t, l->cap * sizeof *l->t);
    }
    wt *t = &l->t[l->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t->shape[i] = shape[i];
    t->data = xmalloc(nbytes ? nbytes : 1);
    if (data)
        memcpy(t->data, data, nbytes);
    t->nbytes = nbytes;
    return t;
}

static void wl_free(wlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->t[i].data);
    free(l->t);
    memset(l, 0, sizeof *l);
}

static wt *wl_find(wlist *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->t[i].name, name) == 0)
            return &l->t[i];
    return NULL;
}

static void wl_remove(wlist *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->t[i].name, name) == 0) {
            free(l->t[i].data);
            l->t[i] = l->t[--l->n];
            return;
        }
}

/* Writes a safetensors file; meta_json (may be NULL) is the raw
 * "__metadata__" object text. */
static void wl_write(const wlist *l, const char *path, const char *meta_json)
{
    ccbuf h = {0};
    ccbuf_putc(&h, '{');
    int first = 1;
    if (meta_json) {
        ccbuf_printf(&h, "\"__metadata__\":%s", meta_json);
        first = 0;
    }
    size_t off = 0;
    for (size_t i = 0; i < l->n; i++) {
        const wt *t = &l->t[i];
        ccbuf_printf(&h, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", first ? "" : ",", t->name, t->dtype);
        for (int d = 0; d < t->ndim; d++)
            ccbuf_printf(&h, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        ccbuf_printf(&h, "],\"data_offsets\":[%zu,%zu]}", off, off + t->nbytes);
        off += t->nbytes;
        first = 0;
    }
    ccbuf_putc(&h, '}');
    while ((8 + h.len) % 8)
        ccbuf_putc(&h, ' ');
    FILE *f = fopen(path, "wb");
    uint64_t hl = h.len;
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(hl >> (8 * i));
    fwrite(le, 1, 8, f);
    fwrite(h.data, 1, h.len, f);
    for (size_t i = 0; i < l->n; i++)
        fwrite(l->t[i].data, 1, l->t[i].nbytes, f);
    fclose(f);
    ccbuf_free(&h);
}

/* Reads every tensor of a fixture file into a list (as stored). */
static void wl_from_file(wlist *l, const char *path)
{
    char err[256];
    st_file *f = st_open(path, err, sizeof err);
    if (!f) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    for (size_t i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_at(f, i);
        wl_add(l, t->name, st_dtype_name(t->dtype), t->ndim, t->shape, t->data, t->nbytes);
    }
    st_close(f);
}

static float *wt_f32(const wt *t) { return (float *)t->data; }

static size_t wt_numel(const wt *t)
{
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= (size_t)t->shape[i];
    return n;
}

static uint16_t f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int exp = (int)((x >> 23) & 0xff) - 127 + 15;
    uint32_t man = x & 0x7fffff;
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10)
            return (uint16_t)sign;
        man |= 0x800000;
        int shift = 14 - exp;
        uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = sign | ((uint32_t)exp << 10) | (man >> 13);
    uint32_t rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++;
    return (uint16_t)h;
}

static uint16_t f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

/* ------------------------------------------------------------ fixture inputs */

enum { MAX_IMG = 16, MAX_TXT = 64 };
static int n_img, n_txt;
static char *img_name[MAX_IMG], *txt_name[MAX_TXT];
static float *pixels;                 /* n_img × 3 × 224 × 224 */
static int32_t txt_ids[MAX_TXT][CLIP_CONTEXT];
static int txt_eot[MAX_TXT];

static void load_inputs(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/clipref/fixtures/images.json", testdata);
    json_value *ij = load_json(path);
    for (int c = 0; c < 3; c++) {
        mean_f[c] = (float)json_at(json_get(ij, "mean"), (size_t)c)->number;
        std_f[c] = (float)json_at(json_get(ij, "std"), (size_t)c)->number;
    }
    const json_value *imgs = json_get(ij, "images");
    pixels = xmalloc((size_t)MAX_IMG * 3 * 224 * 224 * sizeof(float));
    unsigned char *rgb = xmalloc(224 * 224 * 3);
    for (size_t i = 0; i < imgs->len; i++) {
        const json_value *im = imgs->items[i];
        snprintf(path, sizeof path, "%s/clipref/fixtures/%s", testdata, json_get_string(im, "crop_png", ""));
        int ok = read_png_rgb(path, rgb) == 0;
        CHECK(ok, "decode %s", path);
        if (!ok)
            continue;
        float *px = pixels + (size_t)n_img * 3 * 224 * 224;
        normalise(rgb, px);
        char hex[65];
        cc_sha256_hex(px, 3 * 224 * 224 * sizeof(float), hex);
        CHECK_EQ_STR(hex, json_get_string(im, "pixels_f32le_sha256", ""));
        img_name[n_img++] = xstrdup(json_get_string(im, "file", ""));
    }
    /* The synthetic pattern from images.json's formula. */
    for (int y = 0; y < 224; y++)
        for (int x = 0; x < 224; x++)
            for (int c = 0; c < 3; c++)
                rgb[((size_t)y * 224 + x) * 3 + c] = (unsigned char)((7 * x + 13 * y + 29 * c + (x * y) % 17) % 256);
    float *px = pixels + (size_t)n_img * 3 * 224 * 224;
    normalise(rgb, px);
    char hex[65];
    cc_sha256_hex(px, 3 * 224 * 224 * sizeof(float), hex);
    CHECK_EQ_STR(hex, json_get_string(json_get(ij, "synthetic"), "pixels_f32le_sha256", ""));
    img_name[n_img++] = xstrdup("synthetic");
    free(rgb);
    json_free(ij);

    snprintf(path, sizeof path, "%s/clipref/fixtures/tokens.json", testdata);
    json_value *tj = load_json(path);
    const json_value *cases = json_get(tj, "cases");
    for (size_t i = 0; i < cases->len && n_txt < MAX_TXT - 1; i++) {
        const json_value *ids = json_get(cases->items[i], "ids");
        memset(txt_ids[n_txt], 0, sizeof txt_ids[n_txt]);  /* pad with 0 */
        for (size_t k = 0; k < ids->len && k < CLIP_CONTEXT; k++)
            txt_ids[n_txt][k] = (int32_t)ids->items[k]->number;
        txt_eot[n_txt] = (int)json_get_number(cases->items[i], "eot_index", -1);
        txt_name[n_txt++] = xstrdup(json_get_string(cases->items[i], "name", ""));
    }
    json_free(tj);
    /* synthetic_ids */
    static const int32_t syn[] = {49406, 0, 1, 255, 256, 511, 512, 49405, 12345, 320, 49407};
    memset(txt_ids[n_txt], 0, sizeof txt_ids[n_txt]);
    memcpy(txt_ids[n_txt], syn, sizeof syn);
    txt_eot[n_txt] = 10;
    txt_name[n_txt++] = xstrdup("synthetic_ids");
}

/* ------------------------------------------------------------ comparisons */

typedef struct {
    float *img, *txt;   /* raw */
    int E;
} embeds;

static int encode_all(clip_model *m, embeds *e, int max_batch, int use_eot)
{
    const clip_config *c = clip_model_config(m);
    e->E = c->embed_dim;
    e->img = xmalloc((size_t)n_img * e->E * sizeof(float));
    e->txt = xmalloc((size_t)n_txt * e->E * sizeof(float));
    clip_state *s = clip_state_new(m, max_batch);
    int rc = clip_encode_images(s, pixels, n_img, e->img);
    rc |= clip_encode_texts(s, &txt_ids[0][0], use_eot ? txt_eot : NULL, n_txt, e->txt);
    clip_state_free(s);
    return rc;
}

static void embeds_free(embeds *e)
{
    free(e->img);
    free(e->txt);
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m))
            m = d;   /* NaN propagates as failure */
    }
    return m;
}

static double min_cosine(const float *a, const float *b, int n, int E)
{
    double mn = 1;
    for (int i = 0; i < n; i++) {
        double ab = 0, aa = 0, bb = 0;
        for (int k = 0; k < E; k++) {
            ab += (double)a[(size_t)i * E + k] * b[(size_t)i * E + k];
            aa += (double)a[(size_t)i * E + k] * a[(size_t)i * E + k];
            bb += (double)b[(size_t)i * E + k] * b[(size_t)i * E + k];
        }
        double c = ab / sqrt(aa * bb);
        if (!(c >= mn))
            mn = c;
    }
    return mn;
}

static const json_value *find_named(const json_value *arr, const char *name)
{
    for (size_t i = 0; arr && i < arr->len; i++)
        if (strcmp(json_get_string(arr->items[i], "name", ""), name) == 0)
            return arr->items[i];
    return NULL;
}

static int index_of(char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* Compares raw + normalised embeddings, cosine and logits with the fixture. */
static void compare_with_fixture(const char *model, const json_value *mj, const embeds *e, float logit_scale)
{
    int E = e->E;
    float *ni = xmalloc((size_t)n_img * E * sizeof(float)), *nt = xmalloc((size_t)n_txt * E * sizeof(float));
    memcpy(ni, e->img, (size_t)n_img * E * sizeof(float));
    memcpy(nt, e->txt, (size_t)n_txt * E * sizeof(float));
    clip_l2_normalize(ni, n_img, E);
    clip_l2_normalize(nt, n_txt, E);
    const char *kinds[2] = {"images", "texts"};
    double worst_norm[2] = {0, 0}, worst_raw[2] = {0, 0};
    int matched[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        const json_value *arr = json_get(mj, kinds[k]);
        for (size_t i = 0; arr && i < arr->len; i++) {
            const char *name = json_get_string(arr->items[i], "name", "");
            int idx = index_of(k ? txt_name : img_name, k ? n_txt : n_img, name);
            CHECK(idx >= 0, "%s: fixture %s '%s' has no input", model, kinds[k], name);
            if (idx < 0)
                continue;
            matched[k]++;
            const json_value *ref = json_get(arr->items[i], "normalized"), *raw = json_get(arr->items[i], "embedding");
            double norm = json_get_number(arr->items[i], "norm", 1);
            const float *mine = (k ? nt : ni) + (size_t)idx * E, *mine_raw = (k ? e->txt : e->img) + (size_t)idx * E;
            CHECK_EQ_INT(ref->len, E);
            double dn = 0, dr = 0;
            for (int c = 0; c < E && c < (int)ref->len; c++) {
                double a = fabs(mine[c] - ref->items[c]->number), b = fabs(mine_raw[c] - raw->items[c]->number);
                if (!(a <= dn))
                    dn = a;
                if (!(b <= dr))
                    dr = b;
            }
            if (dn > worst_norm[k])
                worst_norm[k] = dn;
            if (dr / (norm > 1 ? norm : 1) > worst_raw[k])
                worst_raw[k] = dr / (norm > 1 ? norm : 1);
            CHECK(dn <= 1e-5, "%s: %s '%s' normalised embedding off by %.3g", model, kinds[k], name, dn);
            CHECK(dr <= 1e-5 * (norm > 1 ? norm : 1), "%s: %s '%s' raw embedding off by %.3g", model, kinds[k], name, dr);
        }
    }
    CHECK_EQ_INT(matched[0], n_img);
    CHECK_EQ_INT(matched[1], n_txt);
    /* cosine matrix and logits */
    const json_value *cos = json_get(mj, "cosine");
    const json_value *rows = json_get(cos, "rows_images"), *cols = json_get(cos, "cols_texts"), *mat = json_get(cos, "matrix");
    const json_value *logits = json_get(mj, "logits_per_image");
    double dc = 0, dl = 0;
    for (size_t r = 0; rows && r < rows->len; r++) {
        int ii = index_of(img_name, n_img, rows->items[r]->string);
        for (size_t c = 0; ii >= 0 && c < cols->len; c++) {
            int ti = index_of(txt_name, n_txt, cols->items[c]->string);
            if (ti < 0)
                continue;
            float cs = clip_dot(ni + (size_t)ii * E, nt + (size_t)ti * E, E);
            double d = fabs(cs - json_at(json_at(mat, r), c)->number);
            double l = fabs(logit_scale * cs - json_at(json_at(logits, r), c)->number);
            if (d > dc)
                dc = d;
            if (l > dl)
                dl = l;
        }
    }
    CHECK(rows && rows->len == (size_t)n_img, "%s: cosine rows", model);
    CHECK(dc <= 1e-5, "%s: cosine off by %.3g", model, dc);
    CHECK(dl <= 1e-3, "%s: logits off by %.3g", model, dl);
    CHECK(fabs(logit_scale - json_get_number(mj, "logit_scale_exp", 0)) <= 1e-4 * logit_scale, "%s: logit scale %g", model,
          logit_scale);
    printf("# %s: max |d| normalised img %.2e txt %.2e, raw/norm img %.2e txt %.2e, cosine %.2e, logits %.2e\n", model,
           worst_norm[0], worst_norm[1], worst_raw[0], worst_raw[1], dc, dl);
    free(ni);
    free(nt);
}

/* ------------------------------------------------------------ trace */

typedef struct {
    const json_value *stages;
    const char *model;
    int seen;
} trace_ctx;

static void on_trace(void *user, const char *tower, const char *stage, int rows, int width, const float *data)
{
    trace_ctx *t = user;
    const json_value *st = find_named(t->stages, stage);
    CHECK(st != NULL, "%s: %s trace stage %s not in fixture", t->model, tower, stage);
    if (!st)
        return;
    t->seen++;
    double sum = 0, l2 = 0;
    for (size_t i = 0; i < (size_t)rows * width; i++) {
        sum += data[i];
        l2 += (double)data[i] * data[i];
    }
    l2 = sqrt(l2);
    double rsum = json_get_number(st, "sum", 0), rl2 = json_get_number(st, "l2", 0);
    CHECK(fabs(l2 - rl2) <= 1e-5 * rl2, "%s: %s %s l2 %.9g vs %.9g", t->model, tower, stage, l2, rl2);
    CHECK(fabs(sum - rsum) <= 1e-5 * rl2, "%s: %s %s sum %.9g vs %.9g", t->model, tower, stage, sum, rsum);
    /* row_first8: class token (image) or EOT token (text): the last row for text */
    const json_value *r8 = json_get(st, "row_first8");
    const float *row = strcmp(tower, "text") == 0 && strcmp(stage, "pooled") != 0 ? data + (size_t)(rows - 1) * width : data;
    for (size_t k = 0; r8 && k < r8->len && k < (size_t)width; k++) {
        double ref = r8->items[k]->number;
        CHECK(fabs(row[k] - ref) <= 1e-5 * (fabs(ref) > 1 ? fabs(ref) : 1), "%s: %s %s row[%zu] %.9g vs %.9g", t->model,
              tower, stage, k, row[k], ref);
    }
}

static void check_trace(const char *model, clip_model *m, const json_value *mj)
{
    const json_value *tr = json_get(mj, "trace");
    clip_state *s = clip_state_new(m, 4);
    float out[1024];
    trace_ctx ti = {json_get(json_get(tr, "image"), "stages"), model, 0};
    clip_state_set_trace(s, on_trace, &ti);
    int syn = index_of(img_name, n_img, "synthetic");
    clip_encode_images(s, pixels + (size_t)syn * 3 * 224 * 224, 1, out);
    CHECK_EQ_INT(ti.seen, ti.stages ? (long long)ti.stages->len : -1);
    trace_ctx tt = {json_get(json_get(tr, "text"), "stages"), model, 0};
    clip_state_set_trace(s, on_trace, &tt);
    int basic = index_of(txt_name, n_txt, json_get_string(json_get(tr, "text"), "input", "basic"));
    clip_encode_texts(s, txt_ids[basic], NULL, 1, out);
    CHECK_EQ_INT(tt.seen, tt.stages ? (long long)tt.stages->len : -1);
    clip_state_free(s);
}

/* ------------------------------------------------------------ OpenCLIP rename */

static float RND_px(size_t k)
{
    uint64_t x = k * 0x9e3779b97f4a7c15ull;
    x ^= x >> 29, x *= 0xbf58476d1ce4e5b9ull, x ^= x >> 32;
    return (float)((double)(x >> 11) / 9007199254740992.0 - 0.5);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* Converts the HF tensors of `src` into OpenCLIP names in `dst`. */
static void to_openclip(wlist *src, wlist *dst, const char *pfx, int vl, int tl)
{
    char a[200], b[200];
    struct { const char *hf, *oc; } same[] = {
        {"vision_model.embeddings.class_embedding", "visual.class_embedding"},
        {"vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"},
        {"vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"},
        {"vision_model.pre_layrnorm.weight", "visual.ln_pre.weight"},
        {"vision_model.pre_layrnorm.bias", "visual.ln_pre.bias"},
        {"vision_model.post_layernorm.weight", "visual.ln_post.weight"},
        {"vision_model.post_layernorm.bias", "visual.ln_post.bias"},
        {"text_model.embeddings.token_embedding.weight", "token_embedding.weight"},
        {"text_model.embeddings.position_embedding.weight", "positional_embedding"},
        {"text_model.final_layer_norm.weight", "ln_final.weight"},
        {"text_model.final_layer_norm.bias", "ln_final.bias"},
        {"logit_scale", "logit_scale"},
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        wt *t = wl_find(src, same[i].hf);
        snprintf(a, sizeof a, "%s%s", pfx, same[i].oc);
        wl_add(dst, a, t->dtype, t->ndim, t->shape, t->data, t->nbytes);
    }
    /* projections transposed: [E,W] -> [W,E] */
    const char *proj[2][2] = {{"visual_projection.weight", "visual.proj"}, {"text_projection.weight", "text_projection"}};
    for (int k = 0; k < 2; k++) {
        wt *t = wl_find(src, proj[k][0]);
        int64_t E = t->shape[0], W = t->shape[1], sh[2] = {W, E};
        snprintf(a, sizeof a, "%s%s", pfx, proj[k][1]);
        wt *o = wl_add(dst, a, "F32", 2, sh, NULL, t->nbytes);
        for (int64_t e = 0; e < E; e++)
            for (int64_t w = 0; w < W; w++)
                wt_f32(o)[w * E + e] = wt_f32(t)[e * W + w];
    }
    for (int tower = 0; tower < 2; tower++) {
        int layers = tower ? tl : vl;
        const char *hp = tower ? "text_model.encoder.layers" : "vision_model.encoder.layers";
        const char *op = tower ? "transformer.resblocks" : "visual.transformer.resblocks";
        for (int i = 0; i < layers; i++) {
            struct { const char *hf, *oc; } m[] = {
                {"layer_norm1.weight", "ln_1.weight"}, {"layer_norm1.bias", "ln_1.bias"},
                {"layer_norm2.weight", "ln_2.weight"}, {"layer_norm2.bias", "ln_2.bias"},
                {"self_attn.out_proj.weight", "attn.out_proj.weight"}, {"self_attn.out_proj.bias", "attn.out_proj.bias"},
                {"mlp.fc1.weight", "mlp.c_fc.weight"}, {"mlp.fc1.bias", "mlp.c_fc.bias"},
                {"mlp.fc2.weight", "mlp.c_proj.weight"}, {"mlp.fc2.bias", "mlp.c_proj.bias"},
            };
            for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
                snprintf(a, sizeof a, "%s.%d.%s", hp, i, m[k].hf);
                snprintf(b, sizeof b, "%s%s.%d.%s", pfx, op, i, m[k].oc);
                wt *t = wl_find(src, a);
                wl_add(dst, b, t->dtype, t->ndim, t->shape, t->data, t->nbytes);
            }
            /* q/k/v concatenated in that order */
            const char *qkv[3] = {"q_proj", "k_proj", "v_proj"};
            for (int bias = 0; bias < 2; bias++) {
                wt *parts[3];
                for (int k = 0; k < 3; k++) {
                    snprintf(a, sizeof a, "%s.%d.self_attn.%s.%s", hp, i, qkv[k], bias ? "bias" : "weight");
                    parts[k] = wl_find(src, a);
                }
                int64_t sh[2] = {3 * parts[0]->shape[0], bias ? 0 : parts[0]->shape[1]};
                snprintf(b, sizeof b, "%s%s.%d.attn.%s", pfx, op, i, bias ? "in_proj_bias" : "in_proj_weight");
                wt *o = wl_add(dst, b, "F32", bias ? 1 : 2, sh, NULL, 3 * parts[0]->nbytes);
                for (int k = 0; k < 3; k++)
                    memcpy(o->data + k * parts[0]->nbytes, parts[k]->data, parts[k]->nbytes);
            }
        }
    }
}

static void check_same(const char *what, clip_model *m, const embeds *ref, double tol)
{
    embeds e;
    CHECK(encode_all(m, &e, 8, 1) == 0, "%s: encode", what);
    double di = max_abs_diff(e.img, ref->img, (size_t)n_img * ref->E), dt = max_abs_diff(e.txt, ref->txt, (size_t)n_txt * ref->E);
    CHECK(di <= tol && dt <= tol, "%s: embeddings differ by %.3g / %.3g", what, di, dt);
    printf("# %s: max |d| img %.2e txt %.2e\n", what, di, dt);
    embeds_free(&e);
}

static void test_openclip(const char *mdir, const char *model, const embeds *ref, const char *ocfg, const char *pfx)
{
    char path[600], err[512];
    wlist src = {0}, dst = {0};
    snprintf(path, sizeof path, "%s/model.safetensors", mdir);
    wl_from_file(&src, path);
    char *d = xasprintf("%s/oc-%s%s", tmpdir, model, *pfx ? "-module" : "");
    mkdir(d, 0755);
    char lay[64];
    int vl = 0, tl = 0;
    for (;; vl++) {
        snprintf(lay, sizeof lay, "vision_model.encoder.layers.%d.layer_norm1.weight", vl);
        if (!wl_find(&src, lay))
            break;
    }
    for (;; tl++) {
        snprintf(lay, sizeof lay, "text_model.encoder.layers.%d.layer_norm1.weight", tl);
        if (!wl_find(&src, lay))
            break;
    }
    to_openclip(&src, &dst, pfx, vl, tl);
    snprintf(path, sizeof path, "%s/open_clip_model.safetensors", d);
    wl_write(&dst, path, NULL);
    snprintf(path, sizeof path, "%s/open_clip_config.json", d);
    write_text(path, ocfg);
    clip_model *m = clip_model_load(d, CLIP_FP32, err, sizeof err);
    CHECK(m != NULL, "openclip %s: %s", model, err);
    if (m) {
        CHECK_EQ_STR(clip_model_config_source(m), "openclip");
        char what[128];
        snprintf(what, sizeof what, "openclip%s %s vs hf", *pfx ? " (module.)" : "", model);
        check_same(what, m, ref, 1e-6);
        clip_model_free(m);
    }
    wl_free(&src);
    wl_free(&dst);
    free(d);
}

/* F16 / BF16 copies of an F32 model: exactly the same as an F32 file holding
 * the rounded values, and close to the original. */
static void test_half(const char *mdir, const embeds *ref, int bf)
{
    char path[600], err[512];
    wlist src = {0}, half = {0}, rounded = {0};
    snprintf(path, sizeof path, "%s/model.safetensors", mdir);
    wl_from_file(&src, path);
    for (size_t i = 0; i < src.n; i++) {
        wt *t = &src.t[i];
        if (strcmp(t->dtype, "F32") != 0) {
            wl_add(&half, t->name, t->dtype, t->ndim, t->shape, t->data, t->nbytes);
            continue;
        }
        size_t n = wt_numel(t);
        wt *h = wl_add(&half, t->name, bf ? "BF16" : "F16", t->ndim, t->shape, NULL, n * 2);
        wt *r = wl_add(&rounded, t->name, "F32", t->ndim, t->shape, NULL, n * 4);
        for (size_t k = 0; k < n; k++) {
            float v = wt_f32(t)[k];
            uint16_t b = bf ? f32_to_bf16(v) : f32_to_f16(v);
            h->data[2 * k] = (unsigned char)b;
            h->data[2 * k + 1] = (unsigned char)(b >> 8);
            wt_f32(r)[k] = bf ? st_bf16_to_f32(b) : cc_f16_to_f32(b);
        }
    }
    const char *tag = bf ? "bf16" : "f16";
    char *d1 = xasprintf("%s/%s-file", tmpdir, tag), *d2 = xasprintf("%s/%s-rounded", tmpdir, tag);
    mkdir(d1, 0755);
    mkdir(d2, 0755);
    char cfg[600], link[600];
    snprintf(cfg, sizeof cfg, "%s/config.json", mdir);
    snprintf(link, sizeof link, "%s/config.json", d1);
    CHECK(symlink(cfg, link) == 0, "symlink");
    snprintf(link, sizeof link, "%s/config.json", d2);
    CHECK(symlink(cfg, link) == 0, "symlink");
    snprintf(path, sizeof path, "%s/model.safetensors", d1);
    wl_write(&half, path, NULL);
    snprintf(path, sizeof path, "%s/model.safetensors", d2);
    wl_write(&rounded, path, NULL);
    clip_model *mh = clip_model_load(d1, CLIP_FP32, err, sizeof err);
    CHECK(mh != NULL, "%s file: %s", tag, err);
    clip_model *mr = clip_model_load(d2, CLIP_FP32, err, sizeof err);
    CHECK(mr != NULL, "%s rounded: %s", tag, err);
    if (mh && mr) {
        embeds eh, er;
        encode_all(mh, &eh, 16, 1);
        encode_all(mr, &er, 16, 1);
        double di = max_abs_diff(eh.img, er.img, (size_t)n_img * eh.E), dt = max_abs_diff(eh.txt, er.txt, (size_t)n_txt * eh.E);
        CHECK(di == 0 && dt == 0, "%s file differs from the F32 file of the rounded values: %.3g %.3g", tag, di, dt);
        double ci = min_cosine(eh.img, ref->img, n_img, eh.E), ct = min_cosine(eh.txt, ref->txt, n_txt, eh.E);
        CHECK(ci >= (bf ? 0.999 : 0.99999) && ct >= (bf ? 0.999 : 0.99999), "%s weights: cosine to F32 %.6f %.6f", tag, ci, ct);
        printf("# %s weights: min cosine to F32 weights img %.6f txt %.6f\n", tag, ci, ct);
        embeds_free(&eh);
        embeds_free(&er);
    }
    clip_model_free(mh);
    clip_model_free(mr);
    wl_free(&src);
    wl_free(&half);
    wl_free(&rounded);
    free(d1);
    free(d2);
}

/* ------------------------------------------------------------ bad files */

static void write_raw(const char *path, const char *header, size_t data_len)
{
    FILE *f = fopen(path, "wb");
    uint64_t hl = strlen(header);
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(hl >> (8 * i));
    fwrite(le, 1, 8, f);
    fputs(header, f);
    for (size_t i = 0; i < data_len; i++)
        fputc(0, f);
    fclose(f);
}

static void expect_st_error(const char *label, const char *path, const char *must1, const char *must2)
{
    char err[512] = "";
    st_file *f = st_open(path, err, sizeof err);
    CHECK(f == NULL, "%s: opened", label);
    st_close(f);
    CHECK(strstr(err, path) != NULL, "%s: error does not name the file: %s", label, err);
    CHECK(!must1 || strstr(err, must1), "%s: error lacks '%s': %s", label, must1, err);
    CHECK(!must2 || strstr(err, must2), "%s: error lacks '%s': %s", label, must2, err);
    CHECK(!strchr(err, '\n'), "%s: multi-line error", label);
}

static void expect_model_error(const char *label, const char *dir, const char *must1, const char *must2)
{
    char err[512] = "";
    clip_model *m = clip_model_load(dir, CLIP_FP32, err, sizeof err);
    CHECK(m == NULL, "%s: loaded", label);
    clip_model_free(m);
    CHECK(strstr(err, dir) != NULL, "%s: error does not name the file: %s", label, err);
    CHECK(!must1 || strstr(err, must1), "%s: error lacks '%s': %s", label, must1, err);
    CHECK(!must2 || strstr(err, must2), "%s: error lacks '%s': %s", label, must2, err);
}

static void test_bad_files(const char *b32dir)
{
    char p[600], src[600];
    /* 1. shorter than the length prefix */
    snprintf(p, sizeof p, "%s/short.safetensors", tmpdir);
    write_text(p, "abc");
    expect_st_error("short", p, "truncated", NULL);
    /* 2. header length beyond the file */
    snprintf(p, sizeof p, "%s/hlen.safetensors", tmpdir);
    {
        FILE *f = fopen(p, "wb");
        unsigned char le[8] = {0xff, 0xff, 0, 0, 0, 0, 0, 0};
        fwrite(le, 1, 8, f);
        fputs("{}", f);
        fclose(f);
    }
    expect_st_error("header length", p, "header length", NULL);
    /* 3. data offsets out of range */
    snprintf(p, sizeof p, "%s/offs.safetensors", tmpdir);
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"big\":{\"dtype\":\"F32\",\"shape\":[250],\"data_offsets\":[8,1008]}}", 16);
    expect_st_error("offsets", p, "tensor 'big'", "out of range");
    /* 4. unknown dtype */
    snprintf(p, sizeof p, "%s/dtype.safetensors", tmpdir);
    write_raw(p, "{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    expect_st_error("dtype", p, "tensor 'w'", "unknown dtype 'Q4_K'");
    /* 5. size does not match shape */
    snprintf(p, sizeof p, "%s/size.safetensors", tmpdir);
    write_raw(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
    expect_st_error("size", p, "tensor 'w'", NULL);
    /* 6. overlapping tensors */
    snprintf(p, sizeof p, "%s/overlap.safetensors", tmpdir);
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
    expect_st_error("overlap", p, "overlaps", NULL);
    /* 7. bad JSON, negative shape, header not an object */
    snprintf(p, sizeof p, "%s/json.safetensors", tmpdir);
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",", 0);
    expect_st_error("json", p, "header JSON", NULL);
    snprintf(p, sizeof p, "%s/neg.safetensors", tmpdir);
    write_raw(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8);
    expect_st_error("negative shape", p, "tensor 'a'", NULL);
    /* 8. a real model truncated mid-data */
    snprintf(src, sizeof src, "%s/model.safetensors", b32dir);
    {
        ccbuf b = {0};
        cc_read_file(src, &b);
        char *d = xasprintf("%s/trunc", tmpdir);
        mkdir(d, 0755);
        snprintf(p, sizeof p, "%s/model.safetensors", d);
        FILE *f = fopen(p, "wb");
        fwrite(b.data, 1, b.len / 2, f);
        fclose(f);
        expect_st_error("truncated model", p, "tensor '", "out of range");
        expect_model_error("truncated model dir", d, "tensor '", "truncated");
        free(d);
        ccbuf_free(&b);
    }
    /* 9. missing tensor and wrong shape in an otherwise fine model */
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/config.json", b32dir);
    {
        wlist l = {0};
        wl_from_file(&l, src);
        wl_remove(&l, "text_model.final_layer_norm.bias");
        char *d = xasprintf("%s/missing", tmpdir);
        mkdir(d, 0755);
        snprintf(p, sizeof p, "%s/model.safetensors", d);
        wl_write(&l, p, NULL);
        snprintf(p, sizeof p, "%s/config.json", d);
        CHECK(symlink(cfg, p) == 0, "symlink");
        expect_model_error("missing tensor", d, "tensor 'text_model.final_layer_norm.bias'", "missing");
        free(d);
        wl_free(&l);
    }
    {
        wlist l = {0};
        wl_from_file(&l, src);
        wt *t = wl_find(&l, "text_model.encoder.layers.1.mlp.fc1.weight");
        t->shape[0] = 128;
        t->nbytes /= 2;
        char *d = xasprintf("%s/shape", tmpdir);
        mkdir(d, 0755);
        snprintf(p, sizeof p, "%s/model.safetensors", d);
        wl_write(&l, p, NULL);
        snprintf(p, sizeof p, "%s/config.json", d);
        CHECK(symlink(cfg, p) == 0, "symlink");
        expect_model_error("wrong shape", d, "tensor 'text_model.encoder.layers.1.mlp.fc1.weight'", "shape [128,64], expected [256,64]");
        free(d);
        wl_free(&l);
    }
    /* 10. no weights at all */
    {
        char *d = xasprintf("%s/empty-model", tmpdir);
        mkdir(d, 0755);
        expect_model_error("empty dir", d, "model.safetensors", NULL);
        free(d);
    }
}

/* Every truncation and random header mutations of a small valid file: each
 * open either succeeds with in-bounds tensors or fails with a message (the
 * ASan build checks "never an OOB read"). */
static void test_st_mutations(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s/mut.safetensors", tmpdir);
    wlist l = {0};
    float a[6] = {1, 2, 3, 4, 5, 6};
    int64_t s23[2] = {2, 3}, s3[1] = {3};
    wl_add(&l, "a.weight", "F32", 2, s23, a, sizeof a);
    wl_add(&l, "b", "F16", 1, s3, a, 6);
    wl_add(&l, "ids", "I64", 1, s3, NULL, 24);
    wl_write(&l, p, "{\"k\":\"v\"}");
    wl_free(&l);
    ccbuf orig = {0};
    cc_read_file(p, &orig);
    char err[512];
    st_file *f = st_open(p, err, sizeof err);
    CHECK(f && st_count(f) == 3 && st_metadata(f, "k") && strcmp(st_metadata(f, "k"), "v") == 0, "valid small file: %s", err);
    if (f) {
        float out[6];
        CHECK(st_to_f32(f, st_find(f, "a.weight"), out, err, sizeof err) == 0 && out[5] == 6, "read a");
        CHECK(st_to_f32(f, st_find(f, "ids"), out, err, sizeof err) != 0 && strstr(err, "'ids'"), "int tensor refused: %s", err);
    }
    st_close(f);
    int opened = 0, failed = 0, bad_msg = 0;
    uint64_t r = 99;
    for (int it = 0; it < (int)orig.len + 600; it++) {
        ccbuf m = {0};
        if (it < (int)orig.len) {
            ccbuf_append(&m, orig.data, (size_t)it); /* truncated at every length */
        } else {
            ccbuf_append(&m, orig.data, orig.len);
            for (int k = 0; k < 1 + (it & 1); k++) {
                r ^= r << 13, r ^= r >> 7, r ^= r << 17;
                /* mostly digits: shapes and offsets change, the JSON often survives */
                static const char alphabet[] = "0123456789012345678901234567890123456789,[] \"F";
                size_t pos = 8 + (size_t)(r % (m.len - 8 < 200 ? m.len - 8 : 200));
                m.data[pos] = (r >> 40) % 8 == 0 ? (unsigned char)(r >> 48) : (unsigned char)alphabet[(r >> 20) % (sizeof alphabet - 1)];
                if (k == 0 && (r >> 60) == 0) /* sometimes the length prefix too */
                    m.data[r % 8] = (unsigned char)(r >> 32);
            }
        }
        FILE *o = fopen(p, "wb");
        fwrite(m.data, 1, m.len, o);
        fclose(o);
        err[0] = 0;
        f = st_open(p, err, sizeof err);
        if (f) {
            opened++;
            for (size_t i = 0; i < st_count(f); i++) { /* touch every byte */
                const st_tensor *t = st_at(f, i);
                unsigned sum = 0;
                for (size_t k = 0; k < t->nbytes; k++)
                    sum += t->data[k];
                (void)sum;
            }
            st_close(f);
        } else {
            failed++;
            if (!strstr(err, p) || strchr(err, '\n'))
                bad_msg++;
        }
        ccbuf_free(&m);
    }
    CHECK(failed > (int)orig.len - 2, "truncations must fail (%d failed)", failed);
    CHECK_EQ_INT(bad_msg, 0);
    printf("# safetensors mutations: %d opened, %d refused\n", opened, failed);
    ccbuf_free(&orig);
}

/* ------------------------------------------------------------ inferred config */

static void test_inferred(const char *mdir, const embeds *ref)
{
    /* tiny-b32 has heads = width/16, so give it metadata-free, config-free
     * treatment only through clipref.config metadata; and check the pure
     * inference path picks the right shapes (heads = 64/64 = 1 differs, so
     * only the config is compared). */
    char src[600], p[600], err[512];
    snprintf(src, sizeof src, "%s/model.safetensors", mdir);
    char *d = xasprintf("%s/meta-only", tmpdir);
    mkdir(d, 0755);
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    CHECK(symlink(src, p) == 0, "symlink");
    clip_model *m = clip_model_load(d, CLIP_FP32, err, sizeof err);
    CHECK(m != NULL, "metadata config: %s", err);
    if (m) {
        CHECK_EQ_STR(clip_model_config_source(m), "clipref-metadata");
        check_same("clipref.config metadata", m, ref, 1e-6);
        clip_model_free(m);
    }
    free(d);
    wlist l = {0};
    wl_from_file(&l, src);
    d = xasprintf("%s/no-config", tmpdir);
    mkdir(d, 0755);
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    wl_write(&l, p, NULL);
    wl_free(&l);
    m = clip_model_load(d, CLIP_FP32, err, sizeof err);
    CHECK(m != NULL, "inferred config: %s", err);
    if (m) {
        const clip_config *c = clip_model_config(m);
        CHECK_EQ_STR(clip_model_config_source(m), "inferred");
        CHECK(c->vision_width == 64 && c->vision_layers == 2 && c->patch_size == 32 && c->image_size == 224 &&
                  c->vision_mlp == 256 && c->text_width == 64 && c->text_layers == 2 && c->text_mlp == 256 &&
                  c->embed_dim == 32 && c->context_length == 77 && c->vocab_size == 49408 && c->vision_heads == 1,
              "inferred config wrong");
        clip_model_free(m);
    }
    free(d);
}

/* ------------------------------------------------------------ CLI end to end */

static void test_cli(const char *mdir, const json_value *mj)
{
    const char *bin = getenv("CLIPCRAWL_BIN");
    if (!bin || access(bin, X_OK) != 0) {
        CHECK(0, "CLIPCRAWL_BIN not set or not executable");
        return;
    }
    char *d = xasprintf("%s/cli-model", tmpdir);
    mkdir(d, 0755);
    const char *files[4][2] = {{mdir, "model.safetensors"}, {mdir, "config.json"}, {NULL, "vocab.json"}, {NULL, "merges.txt"}};
    for (int i = 0; i < 4; i++) {
        char a[600], b[600];
        if (files[i][0])
            snprintf(a, sizeof a, "%s/%s", files[i][0], files[i][1]);
        else
            snprintf(a, sizeof a, "%s/clipref/%s", testdata, files[i][1]);
        snprintf(b, sizeof b, "%s/%s", d, files[i][1]);
        CHECK(symlink(a, b) == 0, "symlink %s", b);
    }
    char *out = xasprintf("%s/embed.json", tmpdir);
    char *cmd = xasprintf("'%s' embed --model '%s' --image '%s/clipref/fixtures/images/exact_224x224.png' "
                          "--image '%s/clipref/fixtures/images/rgba_wide_500x180.png' --text 'a photo of a cat' "
                          "--text '' --pixels > '%s'",
                          bin, d, testdata, testdata, out);
    int rc = system(cmd);
    CHECK(rc == 0, "embed exited %d", rc);
    ccbuf b = {0};
    json_value *j = NULL;
    if (rc == 0 && cc_read_file(out, &b) == CC_OK) {
        char err[128];
        j = json_parse((const char *)b.data, b.len, err, sizeof err);
        CHECK(j != NULL, "embed output JSON: %s", err);
    }
    if (j) {
        const json_value *imgs = json_get(j, "images"), *txts = json_get(j, "texts"), *sim = json_get(j, "similarity");
        CHECK(imgs && imgs->len == 2 && txts && txts->len == 2 && sim && sim->len == 2, "embed output shape");
        const char *iname[2] = {"images/exact_224x224.png", "images/rgba_wide_500x180.png"};
        const char *tname[2] = {"basic", "empty"};
        for (int i = 0; i < 2 && imgs && imgs->len == 2; i++) {
            const json_value *ref = json_get(find_named(json_get(mj, "images"), iname[i]), "normalized");
            const json_value *mine = json_get(imgs->items[i], "embedding");
            double dmax = 0;
            for (size_t k = 0; ref && mine && k < ref->len && k < mine->len; k++)
                dmax = fmax(dmax, fabs(mine->items[k]->number - ref->items[k]->number));
            CHECK(ref && mine && mine->len == ref->len && dmax <= 1e-5, "embed image %d off by %.3g", i, dmax);
            const json_value *px = json_get(imgs->items[i], "pixels");
            CHECK(px != NULL, "--pixels missing");
            /* the checksum is comparable with images.json's */
            char ip[600];
            snprintf(ip, sizeof ip, "%s/clipref/fixtures/images.json", testdata);
            json_value *ij = load_json(ip);
            const json_value *fixture = NULL, *all = json_get(ij, "images");
            for (size_t k = 0; all && k < all->len; k++)
                if (strcmp(json_get_string(all->items[k], "file", ""), iname[i]) == 0)
                    fixture = all->items[k];
            CHECK_EQ_STR(json_get_string(px, "f32le_sha256", NULL), json_get_string(fixture, "pixels_f32le_sha256", NULL));
            json_free(ij);
        }
        for (int i = 0; i < 2 && txts && txts->len == 2; i++) {
            const json_value *ref = json_get(find_named(json_get(mj, "texts"), tname[i]), "normalized");
            const json_value *mine = json_get(txts->items[i], "embedding");
            double dmax = 0;
            for (size_t k = 0; ref && mine && k < ref->len && k < mine->len; k++)
                dmax = fmax(dmax, fabs(mine->items[k]->number - ref->items[k]->number));
            CHECK(ref && mine && mine->len == ref->len && dmax <= 1e-5, "embed text %d off by %.3g", i, dmax);
        }
        const json_value *toks = json_get(txts ? txts->items[0] : NULL, "tokens");
        CHECK(toks && toks->len == 7 && toks->items[0]->number == 49406 && toks->items[6]->number == 49407, "tokens");
        json_free(j);
    }
    ccbuf_free(&b);
    /* a bad model directory: exit 1 and one line naming the file */
    free(cmd);
    cmd = xasprintf("'%s' embed --model '%s/nonexistent' --text x > /dev/null 2> '%s/err.txt'", bin, tmpdir, tmpdir);
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 1, "bad model dir exit %d", rc);
    free(cmd);
    free(out);
    free(d);
}

/* ------------------------------------------------------------ L/14@336 shape */

/* A random tiny model shaped like ViT-L/14@336 (patch 14, image 336: 577
 * tokens; gelu; config only in the clipref.config metadata): batched and
 * single encodes agree and everything is finite. */
static void test_l14_336_shape(void)
{
    const int W = 32, M = 48, E = 16, P = 14, S = 336, G = S / P, T = G * G + 1, V = 49408, C = 77, L = 1;
    wlist l = {0};
    uint64_t r = 12345;
    char n[160];
#define RND() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, (float)((double)(r >> 11) / 9007199254740992.0 - 0.5))
#define T1(name, a) do { int64_t sh[1] = {a}; wt *t = wl_add(&l, name, "F32", 1, sh, NULL, (size_t)(a) * 4); \
        for (size_t k = 0; k < (size_t)(a); k++) wt_f32(t)[k] = 0.2f * RND() + (strstr(name, "norm") && strstr(name, "weight") ? 1.0f : 0.0f); } while (0)
#define T2(name, a, b) do { int64_t sh[2] = {a, b}; wt *t = wl_add(&l, name, "F32", 2, sh, NULL, (size_t)(a) * (b) * 4); \
        for (size_t k = 0; k < (size_t)(a) * (b); k++) wt_f32(t)[k] = 0.5f * RND(); } while (0)
    T1("vision_model.embeddings.class_embedding", W);
    {
        int64_t sh[4] = {W, 3, P, P};
        wt *t = wl_add(&l, "vision_model.embeddings.patch_embedding.weight", "F32", 4, sh, NULL, (size_t)W * 3 * P * P * 4);
        for (size_t k = 0; k < (size_t)W * 3 * P * P; k++)
            wt_f32(t)[k] = 0.05f * RND();
    }
    T2("vision_model.embeddings.position_embedding.weight", T, W);
    T1("vision_model.pre_layrnorm.weight", W);
    T1("vision_model.pre_layrnorm.bias", W);
    T1("vision_model.post_layernorm.weight", W);
    T1("vision_model.post_layernorm.bias", W);
    T2("visual_projection.weight", E, W);
    T2("text_model.embeddings.token_embedding.weight", V, W);
    T2("text_model.embeddings.position_embedding.weight", C, W);
    T1("text_model.final_layer_norm.weight", W);
    T1("text_model.final_layer_norm.bias", W);
    T2("text_projection.weight", E, W);
    for (int tw = 0; tw < 2; tw++)
        for (int i = 0; i < L; i++) {
            const char *p = tw ? "text_model" : "vision_model";
            const char *lin[6] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj", "mlp.fc1", "mlp.fc2"};
            for (int k = 0; k < 6; k++) {
                int out = k == 4 ? M : W, in = k == 5 ? M : W;
                snprintf(n, sizeof n, "%s.encoder.layers.%d.%s.weight", p, i, lin[k]);
                T2(n, out, in);
                snprintf(n, sizeof n, "%s.encoder.layers.%d.%s.bias", p, i, lin[k]);
                T1(n, out);
            }
            for (int k = 1; k <= 2; k++) {
                snprintf(n, sizeof n, "%s.encoder.layers.%d.layer_norm%d.weight", p, i, k);
                T1(n, W);
                snprintf(n, sizeof n, "%s.encoder.layers.%d.layer_norm%d.bias", p, i, k);
                T1(n, W);
            }
        }
    {
        int64_t sh[1] = {1};
        float ls = logf(100.0f);
        wl_add(&l, "logit_scale", "F32", 1, sh, &ls, 4); /* [1], as some files have it */
    }
#undef T1
#undef T2
#undef RND
    char path[600], err[512];
    snprintf(path, sizeof path, "%s/l14-336.safetensors", tmpdir);
    wl_write(&l, path, "{\"clipref.config\":\"{\\\"embed_dim\\\": 16, \\\"image_size\\\": 336, \\\"patch_size\\\": 14, "
                       "\\\"vision_width\\\": 32, \\\"vision_layers\\\": 1, \\\"vision_heads\\\": 2, \\\"vision_mlp\\\": 48, "
                       "\\\"text_width\\\": 32, \\\"text_layers\\\": 1, \\\"text_heads\\\": 4, \\\"text_mlp\\\": 48, "
                       "\\\"act\\\": \\\"gelu\\\", \\\"layer_norm_eps\\\": 1e-05}\"}");
    wl_free(&l);
    clip_model *m = clip_model_load(path, CLIP_FP32, err, sizeof err); /* a file path, not a directory */
    CHECK(m != NULL, "l14-336: %s", err);
    if (!m)
        return;
    const clip_config *c = clip_model_config(m);
    CHECK(c->image_size == 336 && c->patch_size == 14 && c->vision_heads == 2 && c->text_heads == 4 && c->act == CLIP_ACT_GELU,
          "l14-336 config");
    size_t img = (size_t)3 * S * S;
    float *px = xmalloc(3 * img * sizeof(float)), out3[3 * 16], out1[16];
    for (size_t k = 0; k < 3 * img; k++)
        px[k] = 2.0f * RND_px(k);
    clip_state *s = clip_state_new(m, 2); /* 3 images: chunks of 2 + 1 */
    CHECK(clip_encode_images(s, px, 3, out3) == 0, "encode");
    clip_state *s1 = clip_state_new(m, 1);
    CHECK(clip_encode_images(s1, px + 2 * img, 1, out1) == 0, "encode");
    int finite = 1;
    for (int k = 0; k < 3 * E; k++)
        finite &= isfinite(out3[k]) != 0;
    CHECK(finite, "l14-336: non-finite output");
    CHECK(max_abs_diff(out1, out3 + 2 * E, E) <= 1e-5, "l14-336: batched vs single %.3g", max_abs_diff(out1, out3 + 2 * E, E));
    CHECK(max_abs_diff(out3, out3 + E, E) > 1e-3, "l14-336: different images give the same embedding");
    /* bad ids are refused, not read out of bounds */
    int32_t ids[77] = {49406, 49408, 49407};
    CHECK(clip_encode_texts(s, ids, NULL, 1, out1) != 0 && strstr(clip_state_errmsg(s), "vocabulary"), "id range: %s",
          clip_state_errmsg(s));
    int bad_eot = 77;
    ids[1] = 5;
    CHECK(clip_encode_texts(s, ids, &bad_eot, 1, out1) != 0, "eot range");
    CHECK(clip_encode_texts(s, ids, NULL, 1, out1) == 0, "text ok");
    clip_state_free(s);
    clip_state_free(s1);
    clip_model_free(m);
    free(px);
}

/* ------------------------------------------------------------ threads */

typedef struct {
    clip_model *m;
    embeds e;
    int rc;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    j->rc = encode_all(j->m, &j->e, 3, 1);
    return NULL;
}

/* One model, several threads each with its own state: same results. */
/* clip_f32_to_f16 against the reader's exact upcast: round trip within half
 * an ulp, and exact for values that are already halves. */
static void test_f16(void)
{
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = cc_f16_to_f32((uint16_t)h);
        uint16_t back;
        clip_f32_to_f16(&f, &back, 1);
        if (f == f && back != h && !(f == 0 && (back & 0x7fff) == 0))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    float v[4] = {1.0f / 3.0f, 70000.0f, -1e-8f, 1.00048828125f /* tie -> even */};
    uint16_t o[4];
    clip_f32_to_f16(v, o, 4);
    CHECK_EQ_INT(o[0], 0x3555);
    CHECK_EQ_INT(o[1], 0x7c00);
    CHECK_EQ_INT(o[2], 0x8000);
    CHECK_EQ_INT(o[3], 0x3c00);
}

static void test_threads(const char *mdir, const embeds *ref)
{
    char err[512];
    clip_model *m = clip_model_load(mdir, CLIP_FP32, err, sizeof err);
    CHECK(m != NULL, "%s", err);
    if (!m)
        return;
    thread_job jobs[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].m = m;
        CHECK(pthread_create(&th[i], NULL, thread_main, &jobs[i]) == 0, "pthread_create");
    }
    /* threads = 2: batches are split over two single-threaded helper states */
    {
        clip_state *s = clip_state_new(m, 4);
        clip_state_set_threads(s, 2);
        embeds e = {xmalloc((size_t)n_img * ref->E * sizeof(float)), xmalloc((size_t)n_txt * ref->E * sizeof(float)), ref->E};
        CHECK(clip_encode_images(s, pixels, n_img, e.img) == 0, "split images");
        CHECK(clip_encode_texts(s, &txt_ids[0][0], txt_eot, n_txt, e.txt) == 0, "split texts");
        double di = max_abs_diff(e.img, ref->img, (size_t)n_img * ref->E), dt = max_abs_diff(e.txt, ref->txt, (size_t)n_txt * ref->E);
        CHECK(di <= 1e-6 && dt <= 1e-6, "split batch differs by %.3g / %.3g", di, dt);
        int32_t bad[2][CLIP_CONTEXT] = {{49406, 5, 49407}, {49406, 60000, 49407}};
        CHECK(clip_encode_texts(s, &bad[0][0], NULL, 2, e.txt) != 0 && strstr(clip_state_errmsg(s), "vocabulary"),
              "split: bad id reported: %s", clip_state_errmsg(s));
        embeds_free(&e);
        clip_state_free(s);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(jobs[i].rc, 0);
        double di = max_abs_diff(jobs[i].e.img, ref->img, (size_t)n_img * ref->E);
        double dt = max_abs_diff(jobs[i].e.txt, ref->txt, (size_t)n_txt * ref->E);
        CHECK(di <= 1e-6 && dt <= 1e-6, "thread %d: differs by %.3g / %.3g", i, di, dt);
        embeds_free(&jobs[i].e);
    }
    clip_model_free(m);
}

/* ------------------------------------------------------------ main */

static void rm_rf(const char *path)
{
    char *cmd = xasprintf("rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", path);
    free(cmd);
}

int main(void)
{
    testdata = getenv("CLIPCRAWL_TESTDATA");
    if (!testdata) {
        fprintf(stderr, "CLIPCRAWL_TESTDATA not set\n");
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_clip.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    load_inputs();
    test_f16();
    test_st_mutations();
    CHECK_EQ_INT(n_img, 9);
    CHECK_EQ_INT(n_txt, 35);

    const char *models[] = {"tiny-b32", "tiny-b16", "tiny-gelu"};
    embeds ref32 = {0}, refgelu = {0};
    json_value *mj32 = NULL;
    char mdir[3][512];
    for (int i = 0; i < 3; i++) {
        char err[512], path[600];
        snprintf(mdir[i], sizeof mdir[i], "%s/clipref/fixtures/models/%s", testdata, models[i]);
        snprintf(path, sizeof path, "%s/clipref/fixtures/model_%s.json", testdata, models[i]);
        json_value *mj = load_json(path);
        double t0 = cc_now();
        clip_model *m = clip_model_load(mdir[i], CLIP_FP32, err, sizeof err);
        CHECK(m != NULL, "load %s: %s", models[i], err);
        if (!m) {
            json_free(mj);
            continue;
        }
        CHECK_EQ_STR(clip_model_config_source(m), "hf");
        embeds e;
        /* odd batch size: exercises chunking */
        CHECK(encode_all(m, &e, i == 0 ? 4 : 16, i != 1) == 0, "encode %s", models[i]);
        compare_with_fixture(models[i], mj, &e, clip_model_logit_scale(m));
        check_trace(models[i], m, mj);
        printf("# %s: load+encode %.2f s\n", models[i], cc_now() - t0);
        if (i == 0) {
            ref32 = e;
            mj32 = mj;
            mj = NULL;
            /* bf16 precision: cosine >= 0.999 with fp32 */
            clip_model *mb = clip_model_load(mdir[i], CLIP_BF16, err, sizeof err);
            CHECK(mb != NULL, "load bf16: %s", err);
            if (mb) {
                embeds eb;
                encode_all(mb, &eb, 8, 1);
                double ci = min_cosine(eb.img, e.img, n_img, e.E), ct = min_cosine(eb.txt, e.txt, n_txt, e.E);
                CHECK(ci >= 0.999 && ct >= 0.999, "bf16 precision cosine %.6f %.6f", ci, ct);
                printf("# bf16 precision: min cosine to fp32 img %.6f txt %.6f\n", ci, ct);
                embeds_free(&eb);
                clip_model_free(mb);
            }
        } else if (i == 2) {
            refgelu = e;
        } else {
            embeds_free(&e);
        }
        clip_model_free(m);
        json_free(mj);
    }
    if (ref32.img) {
        test_openclip(mdir[0], "tiny-b32", &ref32,
                      "{\"model_cfg\":{\"embed_dim\":32,\"quick_gelu\":true,\"vision_cfg\":{\"image_size\":224,\"layers\":2,"
                      "\"width\":64,\"patch_size\":32,\"head_width\":16},\"text_cfg\":{\"context_length\":77,"
                      "\"vocab_size\":49408,\"width\":64,\"heads\":4,\"layers\":2}}}",
                      "module.");
        test_threads(mdir[0], &ref32);
        test_l14_336_shape();
        test_half(mdir[0], &ref32, 0);
        test_half(mdir[0], &ref32, 1);
        test_inferred(mdir[0], &ref32);
        test_bad_files(mdir[0]);
        if (mj32)
            test_cli(mdir[0], mj32);
    }
    if (refgelu.img)
        test_openclip(mdir[2], "tiny-gelu", &refgelu,
                      "{\"model_cfg\":{\"embed_dim\":24,\"vision_cfg\":{\"image_size\":224,\"layers\":3,\"width\":48,"
                      "\"patch_size\":32,\"head_width\":16,\"mlp_ratio\":3.3333333333},\"text_cfg\":{\"context_length\":77,"
                      "\"vocab_size\":49408,\"width\":8,\"heads\":2,\"layers\":3,\"mlp_ratio\":5}}}",
                      "");
    embeds_free(&ref32);
    embeds_free(&refgelu);
    json_free(mj32);
    rm_rf(tmpdir);
    return check_summary();
}
