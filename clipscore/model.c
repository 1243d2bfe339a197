/* model.c — CLIP weights, configuration and the two towers (see clip.h).
 *
 * Matmuls run on oneDNN: weights are reordered once at load into the blocked
 * layout oneDNN picks (format_tag_any), so every call is a plain JIT matmul
 * with fused bias, activation (swish(1.702) = quick_gelu, or gelu_erf) and,
 * for the two residual projections, a sum post-op that adds into the
 * residual stream in place. LayerNorm, softmax and attention are written
 * here (kernels below); they are a few percent of the FLOPs.
 */
#include "clip.h"
#include "half.h"

#include <dnnl.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "json.h"
#include "safetensors.h"

/* ---------------------------------------------------------------- helpers */

/* The kernels are compiled for the CPU at hand (the build targets generic
 * x86-64); the loader picks the best clone at run time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLIP_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLIP_KERNEL
#endif


/* oneDNN failures after validation are programming errors: abort loudly. */
#define DN(call)                                                                         \
    do {                                                                                 \
        dnnl_status_t st_ = (call);                                                      \
        if (st_ != dnnl_success) {                                                       \
            fprintf(stderr, "clipscore: oneDNN call failed (%d) at %s:%d: %s\n", (int)st_, \
                    __FILE__, __LINE__, #call);                                          \
            abort();                                                                     \
        }                                                                                \
    } while (0)

int clip_precision_parse(const char *s, clip_precision *out)
{
    if (!s)
        return -1;
    if (strcmp(s, "fp32") == 0 || strcmp(s, "f32") == 0)
        *out = CLIP_FP32;
    else if (strcmp(s, "bf16") == 0)
        *out = CLIP_BF16;
    else
        return -1;
    return 0;
}

const char *clip_precision_name(clip_precision p) { return p == CLIP_BF16 ? "bf16" : "fp32"; }

/* Round-to-nearest-even float -> bfloat16 (NaN kept quiet). */
static inline uint16_t f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

/* ---------------------------------------------------------------- model */

typedef struct {
    dnnl_memory_desc_t md;  /* packed weights layout */
    dnnl_memory_t w;        /* packed weights (library-owned buffer) */
    dnnl_memory_t b;        /* f32 bias, or NULL */
    float *bias;
    int K, N;
} mm_weight;

typedef struct {
    float *ln1_w, *ln1_b, *ln2_w, *ln2_b;
    mm_weight qkv, out, fc1, fc2;
} layer_w;

typedef struct {
    int width, layers, heads, mlp;
    layer_w *L;
} tower;

struct clip_model {
    clip_config cfg;
    clip_precision prec;
    dnnl_data_type_t cdt;   /* compute type of matmul inputs/weights */
    dnnl_engine_t eng;
    tower vis, txt;
    mm_weight patch, vproj, tproj;
    float *class_emb, *vis_pos, *ln_pre_w, *ln_pre_b, *ln_post_w, *ln_post_b;
    float *tok_emb, *txt_pos, *ln_final_w, *ln_final_b;
    float logit_scale;      /* exp()'ed */
    char *path, *id;
    const char *config_source;
};

static void mm_weight_free(mm_weight *w)
{
    if (w->w)
        dnnl_memory_destroy(w->w);
    if (w->b)
        dnnl_memory_destroy(w->b);
    free(w->bias);
    memset(w, 0, sizeof *w);
}

static void tower_free(tower *t)
{
    if (!t->L)
        return;
    for (int i = 0; i < t->layers; i++) {
        layer_w *l = &t->L[i];
        free(l->ln1_w), free(l->ln1_b), free(l->ln2_w), free(l->ln2_b);
        mm_weight_free(&l->qkv), mm_weight_free(&l->out), mm_weight_free(&l->fc1), mm_weight_free(&l->fc2);
    }
    free(t->L);
    t->L = NULL;
}

void clip_model_free(clip_model *m)
{
    if (!m)
        return;
    tower_free(&m->vis);
    tower_free(&m->txt);
    mm_weight_free(&m->patch), mm_weight_free(&m->vproj), mm_weight_free(&m->tproj);
    free(m->class_emb), free(m->vis_pos), free(m->ln_pre_w), free(m->ln_pre_b);
    free(m->ln_post_w), free(m->ln_post_b), free(m->tok_emb), free(m->txt_pos);
    free(m->ln_final_w), free(m->ln_final_b);
    if (m->eng)
        dnnl_engine_destroy(m->eng);
    free(m->path);
    free(m->id);
    free(m);
}

const clip_config *clip_model_config(const clip_model *m) { return &m->cfg; }
clip_precision clip_model_precision(const clip_model *m) { return m->prec; }
float clip_model_logit_scale(const clip_model *m) { return m->logit_scale; }
const char *clip_model_weights_path(const clip_model *m) { return m->path; }
const char *clip_model_config_source(const clip_model *m) { return m->config_source; }
const char *clip_model_id(const clip_model *m) { return m->id; }

/* Builds the matmul primitive descriptor for M rows. wei_md NULL = format any. */
static dnnl_primitive_desc_t mm_pd(dnnl_engine_t eng, int64_t M, int64_t K, int64_t N, dnnl_data_type_t sdt,
                                   const dnnl_memory_desc_t *wei_md, int has_bias, dnnl_data_type_t ddt,
                                   int act, int sum)
{
    dnnl_memory_desc_t src_md, w_md, b_md, dst_md;
    dnnl_dims_t sd = {M, K}, wd = {K, N}, bd = {1, N}, dd = {M, N};
    DN(dnnl_memory_desc_init_by_tag(&src_md, 2, sd, sdt, dnnl_ab));
    if (wei_md)
        w_md = *wei_md;
    else
        DN(dnnl_memory_desc_init_by_tag(&w_md, 2, wd, sdt, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&b_md, 2, bd, dnnl_f32, dnnl_ab));
    DN(dnnl_memory_desc_init_by_tag(&dst_md, 2, dd, ddt, dnnl_ab));
    dnnl_matmul_desc_t desc;
    DN(dnnl_matmul_desc_init(&desc, &src_md, &w_md, has_bias ? &b_md : NULL, &dst_md));
    dnnl_primitive_attr_t attr;
    DN(dnnl_primitive_attr_create(&attr));
    /* Scratch memory comes from the state (no allocation per call). */
    DN(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    if (act || sum) {
        dnnl_post_ops_t po;
        DN(dnnl_post_ops_create(&po));
        if (sum)
            DN(dnnl_post_ops_append_sum(po, 1.0f));
        if (act == 1)
            DN(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_swish, 1.702f, 0.0f));
        else if (act == 2)
            DN(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_gelu_erf, 0.0f, 0.0f));
        DN(dnnl_primitive_attr_set_post_ops(attr, po));
        dnnl_post_ops_destroy(po);
    }
    dnnl_primitive_desc_t pd;
    DN(dnnl_primitive_desc_create(&pd, &desc, attr, eng, NULL));
    dnnl_primitive_attr_destroy(attr);
    return pd;
}

/* Packs W (row-major [N][K] when nk, else [K][N]) into oneDNN's preferred
 * layout for the model's compute type; copies the bias. */
static void pack_weight(clip_model *m, mm_weight *mw, const float *W, int nk, int K, int N, const float *bias)
{
    mw->K = K;
    mw->N = N;
    /* The blocked layout depends on K, N and the types, not on M; 64 rows is
     * representative of both towers. */
    dnnl_primitive_desc_t pd = mm_pd(m->eng, 64, K, N, m->cdt, NULL, bias != NULL, dnnl_f32, 0, 0);
    mw->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    DN(dnnl_memory_create(&mw->w, &mw->md, m->eng, DNNL_MEMORY_ALLOCATE));
    dnnl_primitive_desc_destroy(pd);

    dnnl_memory_desc_t plain;
    dnnl_dims_t wd = {K, N};
    DN(dnnl_memory_desc_init_by_tag(&plain, 2, wd, dnnl_f32, nk ? dnnl_ba : dnnl_ab));
    dnnl_memory_t src;
    DN(dnnl_memory_create(&src, &plain, m->eng, (void *)W));
    dnnl_primitive_desc_t rpd;
    DN(dnnl_reorder_primitive_desc_create(&rpd, &plain, m->eng, &mw->md, m->eng, NULL));
    dnnl_primitive_t r;
    DN(dnnl_primitive_create(&r, rpd));
    dnnl_stream_t stream;
    DN(dnnl_stream_create(&stream, m->eng, dnnl_stream_default_flags));
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, mw->w}};
    DN(dnnl_primitive_execute(r, stream, 2, args));
    DN(dnnl_stream_wait(stream));
    dnnl_stream_destroy(stream);
    dnnl_primitive_destroy(r);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_memory_destroy(src);
    if (bias) {
        mw->bias = xmalloc((size_t)N * sizeof(float));
        memcpy(mw->bias, bias, (size_t)N * sizeof(float));
        dnnl_memory_desc_t b_md;
        dnnl_dims_t bd = {1, N};
        DN(dnnl_memory_desc_init_by_tag(&b_md, 2, bd, dnnl_f32, dnnl_ab));
        DN(dnnl_memory_create(&mw->b, &b_md, m->eng, mw->bias));
    }
}

/* ---------------------------------------------------------------- loading */

typedef struct {
    st_file *f;
    const char *pfx;     /* "" or "module." */
    int openclip;
    char *err;
    size_t errlen;
} loader;

static float *ld(loader *L, int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static float *ld(loader *L, int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3, const char *fmt, ...)
{
    char name[256];
    int o = snprintf(name, sizeof name, "%s", L->pfx);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name + o, sizeof name - (size_t)o, fmt, ap);
    va_end(ap);
    int64_t shape[4] = {d0, d1, d2, d3};
    return st_load_f32(L->f, name, ndim, shape, L->err, L->errlen);
}

static const st_tensor *ld_find(loader *L, const char *name)
{
    char full[256];
    snprintf(full, sizeof full, "%s%s", L->pfx, name);
    return st_find(L->f, full);
}

static int count_layers(loader *L, const char *fmt)
{
    int n = 0;
    char name[256];
    for (;;) {
        snprintf(name, sizeof name, fmt, n);
        if (!ld_find(L, name))
            return n;
        n++;
    }
}

/* Config from tensor shapes (everything but heads and activation). */
static int infer_config(loader *L, clip_config *c)
{
    const char *path = st_path(L->f);
    const char *patch = L->openclip ? "visual.conv1.weight" : "vision_model.embeddings.patch_embedding.weight";
    const char *vpos = L->openclip ? "visual.positional_embedding" : "vision_model.embeddings.position_embedding.weight";
    const char *tok = L->openclip ? "token_embedding.weight" : "text_model.embeddings.token_embedding.weight";
    const char *tpos = L->openclip ? "positional_embedding" : "text_model.embeddings.position_embedding.weight";
    const char *vfc1 = L->openclip ? "visual.transformer.resblocks.0.mlp.c_fc.weight" : "vision_model.encoder.layers.0.mlp.fc1.weight";
    const char *tfc1 = L->openclip ? "transformer.resblocks.0.mlp.c_fc.weight" : "text_model.encoder.layers.0.mlp.fc1.weight";
    const char *vproj = L->openclip ? "visual.proj" : "visual_projection.weight";
    const char *need[] = {patch, vpos, tok, tpos, vfc1, tfc1, vproj};
    const st_tensor *t[7];
    for (int i = 0; i < 7; i++) {
        t[i] = ld_find(L, need[i]);
        if (!t[i]) {
            cc_seterr(L->err, L->errlen, "%s: tensor '%s%s': missing", path, L->pfx, need[i]);
            return -1;
        }
        if (t[i]->ndim < 2) {
            cc_seterr(L->err, L->errlen, "%s: tensor '%s%s': expected at least 2 dimensions", path, L->pfx, need[i]);
            return -1;
        }
    }
    if (t[0]->ndim != 4) {
        cc_seterr(L->err, L->errlen, "%s: tensor '%s%s': expected 4 dimensions", path, L->pfx, patch);
        return -1;
    }
    c->vision_width = (int)t[0]->shape[0];
    c->patch_size = (int)t[0]->shape[3];
    int64_t npos = t[1]->shape[0];
    int grid = (int)lround(sqrt((double)(npos - 1)));
    if (npos < 2 || (int64_t)grid * grid != npos - 1) {
        cc_seterr(L->err, L->errlen, "%s: tensor '%s%s': %lld rows is not a square grid + 1", path, L->pfx, vpos, (long long)npos);
        return -1;
    }
    c->image_size = grid * c->patch_size;
    c->vocab_size = (int)t[2]->shape[0];
    c->text_width = (int)t[2]->shape[1];
    c->context_length = (int)t[3]->shape[0];
    c->vision_mlp = (int)t[4]->shape[0];
    c->text_mlp = (int)t[5]->shape[0];
    c->embed_dim = (int)(L->openclip ? t[6]->shape[1] : t[6]->shape[0]);
    c->vision_layers = count_layers(L, L->openclip ? "visual.transformer.resblocks.%d.ln_1.weight" : "vision_model.encoder.layers.%d.layer_norm1.weight");
    c->text_layers = count_layers(L, L->openclip ? "transformer.resblocks.%d.ln_1.weight" : "text_model.encoder.layers.%d.layer_norm1.weight");
    c->vision_heads = c->vision_width >= 64 ? c->vision_width / 64 : 1;
    c->text_heads = c->text_width >= 64 ? c->text_width / 64 : 1;
    c->act = CLIP_ACT_QUICK_GELU;
    c->layer_norm_eps = 1e-5f;
    return 0;
}

static int json_int(const json_value *o, const char *key, int *out)
{
    const json_value *v = json_get(o, key);
    if (!v || v->type != JSON_NUMBER)
        return 0;
    *out = (int)v->number;
    return 1;
}

static int parse_act(const char *s, clip_activation *a)
{
    if (!s)
        return 0;
    if (strcmp(s, "quick_gelu") == 0)
        *a = CLIP_ACT_QUICK_GELU;
    else if (strcmp(s, "gelu") == 0 || strcmp(s, "gelu_erf") == 0)
        *a = CLIP_ACT_GELU;
    else
        return -1;
    return 1;
}

/* HF config.json over the inferred values. */
static int apply_hf_config(const json_value *j, clip_config *c, const char *path, char *err, size_t errlen)
{
    const json_value *t = json_get(j, "text_config"), *v = json_get(j, "vision_config");
    if (!t || !v || t->type != JSON_OBJECT || v->type != JSON_OBJECT) {
        cc_seterr(err, errlen, "%s: missing text_config / vision_config", path);
        return -1;
    }
    json_int(j, "projection_dim", &c->embed_dim);
    json_int(v, "hidden_size", &c->vision_width);
    json_int(v, "intermediate_size", &c->vision_mlp);
    json_int(v, "num_attention_heads", &c->vision_heads);
    json_int(v, "num_hidden_layers", &c->vision_layers);
    json_int(v, "image_size", &c->image_size);
    json_int(v, "patch_size", &c->patch_size);
    json_int(t, "hidden_size", &c->text_width);
    json_int(t, "intermediate_size", &c->text_mlp);
    json_int(t, "num_attention_heads", &c->text_heads);
    json_int(t, "num_hidden_layers", &c->text_layers);
    json_int(t, "max_position_embeddings", &c->context_length);
    json_int(t, "vocab_size", &c->vocab_size);
    const char *act = json_get_string(t, "hidden_act", json_get_string(v, "hidden_act", NULL));
    if (parse_act(act, &c->act) < 0) {
        cc_seterr(err, errlen, "%s: hidden_act '%s' not supported (quick_gelu or gelu)", path, act);
        return -1;
    }
    c->layer_norm_eps = (float)json_get_number(t, "layer_norm_eps", c->layer_norm_eps);
    return 0;
}

/* OpenCLIP open_clip_config.json ({"model_cfg": {...}} or the model cfg itself). */
static int apply_openclip_config(const json_value *j, clip_config *c, const char *path, char *err, size_t errlen)
{
    const json_value *mc = json_get(j, "model_cfg");
    if (!mc)
        mc = j;
    const json_value *v = json_get(mc, "vision_cfg"), *t = json_get(mc, "text_cfg");
    if (!v || !t || v->type != JSON_OBJECT || t->type != JSON_OBJECT) {
        cc_seterr(err, errlen, "%s: missing model_cfg.vision_cfg / text_cfg", path);
        return -1;
    }
    json_int(mc, "embed_dim", &c->embed_dim);
    const json_value *vl = json_get(v, "layers");
    if (vl && vl->type != JSON_NUMBER) {
        cc_seterr(err, errlen, "%s: vision_cfg.layers is not a number (ResNet towers are not supported)", path);
        return -1;
    }
    json_int(v, "layers", &c->vision_layers);
    json_int(v, "width", &c->vision_width);
    json_int(v, "patch_size", &c->patch_size);
    json_int(v, "image_size", &c->image_size);
    int head_width = 64;
    json_int(v, "head_width", &head_width);
    if (head_width <= 0 || c->vision_width % head_width) {
        cc_seterr(err, errlen, "%s: vision width %d is not a multiple of head_width %d", path, c->vision_width, head_width);
        return -1;
    }
    c->vision_heads = c->vision_width / head_width;
    double vr = json_get_number(v, "mlp_ratio", 4.0);
    c->vision_mlp = (int)lround(c->vision_width * vr);
    json_int(t, "context_length", &c->context_length);
    json_int(t, "vocab_size", &c->vocab_size);
    json_int(t, "width", &c->text_width);
    c->text_heads = 8;
    json_int(t, "heads", &c->text_heads);
    json_int(t, "layers", &c->text_layers);
    double tr = json_get_number(t, "mlp_ratio", 4.0);
    c->text_mlp = (int)lround(c->text_width * tr);
    c->act = json_get_bool(mc, "quick_gelu", json_get_bool(j, "quick_gelu", 0)) ? CLIP_ACT_QUICK_GELU : CLIP_ACT_GELU;
    return 0;
}

/* clipref's metadata config: {"embed_dim", ..., "act", "layer_norm_eps"}. */
static int apply_clipref_config(const json_value *j, clip_config *c, const char *path, char *err, size_t errlen)
{
    json_int(j, "embed_dim", &c->embed_dim);
    json_int(j, "image_size", &c->image_size);
    json_int(j, "patch_size", &c->patch_size);
    json_int(j, "vision_width", &c->vision_width);
    json_int(j, "vision_layers", &c->vision_layers);
    json_int(j, "vision_heads", &c->vision_heads);
    json_int(j, "vision_mlp", &c->vision_mlp);
    json_int(j, "context_length", &c->context_length);
    json_int(j, "vocab_size", &c->vocab_size);
    json_int(j, "text_width", &c->text_width);
    json_int(j, "text_layers", &c->text_layers);
    json_int(j, "text_heads", &c->text_heads);
    json_int(j, "text_mlp", &c->text_mlp);
    const char *act = json_get_string(j, "act", NULL);
    if (parse_act(act, &c->act) < 0) {
        cc_seterr(err, errlen, "%s: clipref.config act '%s' not supported", path, act);
        return -1;
    }
    c->layer_norm_eps = (float)json_get_number(j, "layer_norm_eps", c->layer_norm_eps);
    return 0;
}

static int check_config(const clip_config *c, const char *src, char *err, size_t errlen)
{
    const char *bad = NULL;
    if (c->vision_width <= 0 || c->text_width <= 0 || c->embed_dim <= 0 || c->vision_mlp <= 0 || c->text_mlp <= 0)
        bad = "non-positive width";
    else if (c->vision_layers <= 0 || c->text_layers <= 0 || c->vision_layers > 1000 || c->text_layers > 1000)
        bad = "bad layer count";
    else if (c->vision_heads <= 0 || c->text_heads <= 0 || c->vision_width % c->vision_heads ||
             c->text_width % c->text_heads)
        bad = "width not divisible by head count";
    else if (c->patch_size <= 0 || c->image_size <= 0 || c->image_size % c->patch_size || c->image_size > 4096)
        bad = "image_size not a multiple of patch_size";
    else if (c->context_length <= 1 || c->context_length > 4096 || c->vocab_size <= 0)
        bad = "bad context length or vocabulary size";
    else if (!(c->layer_norm_eps > 0))
        bad = "layer_norm_eps must be positive";
    if (bad) {
        cc_seterr(err, errlen, "%s: bad model configuration: %s", src, bad);
        return -1;
    }
    return 0;
}

static int file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static json_value *read_json(const char *path, char *err, size_t errlen)
{
    ccbuf b = {0};
    if (cc_read_file(path, &b) != CC_OK) {
        cc_seterr(err, errlen, "%s: cannot read", path);
        return NULL;
    }
    char jerr[128];
    json_value *j = json_parse((const char *)b.data, b.len, jerr, sizeof jerr);
    ccbuf_free(&b);
    if (!j)
        cc_seterr(err, errlen, "%s: %s", path, jerr);
    return j;
}

static int load_layer(clip_model *m, loader *L, int vision, int i, int W, int Mw, layer_w *l)
{
    const char *p;
    if (L->openclip)
        p = vision ? "visual.transformer.resblocks" : "transformer.resblocks";
    else
        p = vision ? "vision_model.encoder.layers" : "text_model.encoder.layers";
    const char *ln1 = L->openclip ? "ln_1" : "layer_norm1", *ln2 = L->openclip ? "ln_2" : "layer_norm2";
    const char *fc1 = L->openclip ? "mlp.c_fc" : "mlp.fc1", *fc2 = L->openclip ? "mlp.c_proj" : "mlp.fc2";
    float *qkv_w = NULL, *qkv_b = NULL, *ow = NULL, *ob = NULL, *f1w = NULL, *f1b = NULL, *f2w = NULL, *f2b = NULL;
    int rc = -1;
    if (!(l->ln1_w = ld(L, 1, W, 0, 0, 0, "%s.%d.%s.weight", p, i, ln1)) ||
        !(l->ln1_b = ld(L, 1, W, 0, 0, 0, "%s.%d.%s.bias", p, i, ln1)) ||
        !(l->ln2_w = ld(L, 1, W, 0, 0, 0, "%s.%d.%s.weight", p, i, ln2)) ||
        !(l->ln2_b = ld(L, 1, W, 0, 0, 0, "%s.%d.%s.bias", p, i, ln2)))
        goto out;
    if (L->openclip) {
        if (!(qkv_w = ld(L, 2, 3 * W, W, 0, 0, "%s.%d.attn.in_proj_weight", p, i)) ||
            !(qkv_b = ld(L, 1, 3 * W, 0, 0, 0, "%s.%d.attn.in_proj_bias", p, i)))
            goto out;
    } else {
        qkv_w = xmalloc((size_t)3 * W * W * sizeof(float));
        qkv_b = xmalloc((size_t)3 * W * sizeof(float));
        const char *qn[3] = {"q_proj", "k_proj", "v_proj"};
        for (int k = 0; k < 3; k++) {
            float *w = ld(L, 2, W, W, 0, 0, "%s.%d.self_attn.%s.weight", p, i, qn[k]);
            if (!w)
                goto out;
            memcpy(qkv_w + (size_t)k * W * W, w, (size_t)W * W * sizeof(float));
            free(w);
            float *b = ld(L, 1, W, 0, 0, 0, "%s.%d.self_attn.%s.bias", p, i, qn[k]);
            if (!b)
                goto out;
            memcpy(qkv_b + (size_t)k * W, b, (size_t)W * sizeof(float));
            free(b);
        }
    }
    const char *op = L->openclip ? "attn.out_proj" : "self_attn.out_proj";
    if (!(ow = ld(L, 2, W, W, 0, 0, "%s.%d.%s.weight", p, i, op)) || !(ob = ld(L, 1, W, 0, 0, 0, "%s.%d.%s.bias", p, i, op)) ||
        !(f1w = ld(L, 2, Mw, W, 0, 0, "%s.%d.%s.weight", p, i, fc1)) || !(f1b = ld(L, 1, Mw, 0, 0, 0, "%s.%d.%s.bias", p, i, fc1)) ||
        !(f2w = ld(L, 2, W, Mw, 0, 0, "%s.%d.%s.weight", p, i, fc2)) || !(f2b = ld(L, 1, W, 0, 0, 0, "%s.%d.%s.bias", p, i, fc2)))
        goto out;
    pack_weight(m, &l->qkv, qkv_w, 1, W, 3 * W, qkv_b);
    pack_weight(m, &l->out, ow, 1, W, W, ob);
    pack_weight(m, &l->fc1, f1w, 1, W, Mw, f1b);
    pack_weight(m, &l->fc2, f2w, 1, Mw, W, f2b);
    rc = 0;
out:
    free(qkv_w), free(qkv_b), free(ow), free(ob), free(f1w), free(f1b), free(f2w), free(f2b);
    return rc;
}

static int load_weights(clip_model *m, loader *L)
{
    const clip_config *c = &m->cfg;
    int Wv = c->vision_width, Wt = c->text_width, E = c->embed_dim, P = c->patch_size;
    int G = c->image_size / P;
    int oc = L->openclip;
    float *tmp = NULL;
#define NEED(dst, expr) \
    do {                \
        if (!((dst) = (expr))) \
            return -1;  \
    } while (0)
    NEED(m->class_emb, ld(L, 1, Wv, 0, 0, 0, "%s", oc ? "visual.class_embedding" : "vision_model.embeddings.class_embedding"));
    NEED(m->vis_pos, ld(L, 2, (int64_t)G * G + 1, Wv, 0, 0, "%s", oc ? "visual.positional_embedding" : "vision_model.embeddings.position_embedding.weight"));
    NEED(m->ln_pre_w, ld(L, 1, Wv, 0, 0, 0, "%s", oc ? "visual.ln_pre.weight" : "vision_model.pre_layrnorm.weight"));
    NEED(m->ln_pre_b, ld(L, 1, Wv, 0, 0, 0, "%s", oc ? "visual.ln_pre.bias" : "vision_model.pre_layrnorm.bias"));
    NEED(m->ln_post_w, ld(L, 1, Wv, 0, 0, 0, "%s", oc ? "visual.ln_post.weight" : "vision_model.post_layernorm.weight"));
    NEED(m->ln_post_b, ld(L, 1, Wv, 0, 0, 0, "%s", oc ? "visual.ln_post.bias" : "vision_model.post_layernorm.bias"));
    NEED(m->tok_emb, ld(L, 2, c->vocab_size, Wt, 0, 0, "%s", oc ? "token_embedding.weight" : "text_model.embeddings.token_embedding.weight"));
    NEED(m->txt_pos, ld(L, 2, c->context_length, Wt, 0, 0, "%s", oc ? "positional_embedding" : "text_model.embeddings.position_embedding.weight"));
    NEED(m->ln_final_w, ld(L, 1, Wt, 0, 0, 0, "%s", oc ? "ln_final.weight" : "text_model.final_layer_norm.weight"));
    NEED(m->ln_final_b, ld(L, 1, Wt, 0, 0, 0, "%s", oc ? "ln_final.bias" : "text_model.final_layer_norm.bias"));

    NEED(tmp, ld(L, 4, Wv, 3, P, P, "%s", oc ? "visual.conv1.weight" : "vision_model.embeddings.patch_embedding.weight"));
    pack_weight(m, &m->patch, tmp, 1, 3 * P * P, Wv, NULL);   /* [Wv][3·P·P] in (c,ky,kx) order */
    free(tmp);
    if (oc) {
        NEED(tmp, ld(L, 2, Wv, E, 0, 0, "visual.proj"));
        pack_weight(m, &m->vproj, tmp, 0, Wv, E, NULL);
        free(tmp);
        NEED(tmp, ld(L, 2, Wt, E, 0, 0, "text_projection"));
        pack_weight(m, &m->tproj, tmp, 0, Wt, E, NULL);
        free(tmp);
    } else {
        NEED(tmp, ld(L, 2, E, Wv, 0, 0, "visual_projection.weight"));
        pack_weight(m, &m->vproj, tmp, 1, Wv, E, NULL);
        free(tmp);
        NEED(tmp, ld(L, 2, E, Wt, 0, 0, "text_projection.weight"));
        pack_weight(m, &m->tproj, tmp, 1, Wt, E, NULL);
        free(tmp);
    }
#undef NEED
    const st_tensor *ls = ld_find(L, "logit_scale");
    if (!ls) {
        cc_seterr(L->err, L->errlen, "%s: tensor '%slogit_scale': missing", st_path(L->f), L->pfx);
        return -1;
    }
    if (ls->numel != 1 || !st_dtype_is_float(ls->dtype)) {
        cc_seterr(L->err, L->errlen, "%s: tensor '%slogit_scale': expected one float, got %lld %s values",
               st_path(L->f), L->pfx, (long long)ls->numel, st_dtype_name(ls->dtype));
        return -1;
    }
    float v;
    st_to_f32(L->f, ls, &v, NULL, 0);
    m->logit_scale = expf(v);

    tower *tw[2] = {&m->vis, &m->txt};
    for (int k = 0; k < 2; k++) {
        tower *t = tw[k];
        t->width = k ? Wt : Wv;
        t->layers = k ? c->text_layers : c->vision_layers;
        t->heads = k ? c->text_heads : c->vision_heads;
        t->mlp = k ? c->text_mlp : c->vision_mlp;
        t->L = xcalloc((size_t)t->layers, sizeof *t->L);
        for (int i = 0; i < t->layers; i++)
            if (load_layer(m, L, !k, i, t->width, t->mlp, &t->L[i]) != 0)
                return -1;
    }
    return 0;
}

clip_model *clip_model_load(const char *dir, clip_precision precision, char *err, size_t errlen)
{
    struct stat sb;
    if (!dir || stat(dir, &sb) != 0) {
        cc_seterr(err, errlen, "%s: no such model directory or file", dir ? dir : "(null)");
        return NULL;
    }
    char *wpath = NULL, *hfcfg = NULL, *occfg = NULL;
    if (S_ISDIR(sb.st_mode)) {
        char *a = xasprintf("%s/model.safetensors", dir), *b = xasprintf("%s/open_clip_model.safetensors", dir);
        if (file_exists(a)) {
            wpath = a;
            free(b);
        } else if (file_exists(b)) {
            wpath = b;
            free(a);
        } else {
            cc_seterr(err, errlen, "%s: no model.safetensors or open_clip_model.safetensors in the model directory", a);
            free(a), free(b);
            return NULL;
        }
        hfcfg = xasprintf("%s/config.json", dir);
        occfg = xasprintf("%s/open_clip_config.json", dir);
    } else {
        /* A weights file: configs are looked for beside it. */
        wpath = xstrdup(dir);
        const char *slash = strrchr(dir, '/');
        int dl = slash ? (int)(slash - dir) : 1;
        const char *d = slash ? dir : ".";
        hfcfg = xasprintf("%.*s/config.json", dl, d);
        occfg = xasprintf("%.*s/open_clip_config.json", dl, d);
    }
    clip_model *m = NULL;
    json_value *cj = NULL;
    st_file *f = st_open(wpath, err, errlen);
    if (!f)
        goto done;
    loader L = {.f = f, .pfx = "", .err = err, .errlen = errlen};
    if (st_find(f, "visual.conv1.weight")) {
        L.openclip = 1;
    } else if (st_find(f, "module.visual.conv1.weight")) {
        L.openclip = 1;
        L.pfx = "module.";
    } else if (!st_find(f, "vision_model.embeddings.patch_embedding.weight")) {
        cc_seterr(err, errlen, "%s: tensor 'vision_model.embeddings.patch_embedding.weight' (or OpenCLIP 'visual.conv1.weight'): missing; not a CLIP ViT checkpoint",
               wpath);
        goto done;
    }
    m = xcalloc(1, sizeof *m);
    m->prec = precision;
    m->cdt = precision == CLIP_BF16 ? dnnl_bf16 : dnnl_f32;
    m->path = wpath;
    wpath = NULL;
    if (infer_config(&L, &m->cfg) != 0)
        goto fail;
    const char *src_name = m->path;
    /* Prefer the config that matches the naming; fall back to the other. */
    const char *order[2] = {L.openclip ? occfg : hfcfg, L.openclip ? hfcfg : occfg};
    const char *meta = st_metadata(f, "clipref.config");
    m->config_source = "inferred";
    for (int k = 0; k < 2 && !cj; k++) {
        if (!order[k] || !file_exists(order[k]))
            continue;
        if (!(cj = read_json(order[k], err, errlen)))
            goto fail;
        src_name = order[k];
        int oc = order[k] == occfg;
        if ((oc ? apply_openclip_config : apply_hf_config)(cj, &m->cfg, src_name, err, errlen) != 0)
            goto fail;
        m->config_source = oc ? "openclip" : "hf";
    }
    if (!cj && meta) {
        char jerr[128];
        if (!(cj = json_parse(meta, strlen(meta), jerr, sizeof jerr))) {
            cc_seterr(err, errlen, "%s: metadata clipref.config: %s", m->path, jerr);
            goto fail;
        }
        if (apply_clipref_config(cj, &m->cfg, m->path, err, errlen) != 0)
            goto fail;
        m->config_source = "clipref-metadata";
    }
    if (!cj)
        fprintf(stderr, "clipscore: note: %s has no config; inferred widths/layers/patch/image size from tensor shapes, "
                        "heads = width/64 (vision %d, text %d), activation quick_gelu\n",
                m->path, m->cfg.vision_heads, m->cfg.text_heads);
    if (check_config(&m->cfg, src_name, err, errlen) != 0)
        goto fail;
    DN(dnnl_engine_create(&m->eng, dnnl_cpu, 0));
    if (load_weights(m, &L) != 0)
        goto fail;
    {
        size_t hl;
        const unsigned char *h = st_header(f, &hl);
        cc_sha256 s;
        cc_sha256_init(&s);
        cc_sha256_update(&s, h, hl);
        uint64_t sz = st_file_size(f);
        cc_sha256_update(&s, &sz, sizeof sz);
        unsigned char dg[32];
        cc_sha256_final(&s, dg);
        char hex[65];
        cc_hex(dg, 8, hex);
        m->id = xstrdup(hex);
    }
    goto done;
fail:
    clip_model_free(m);
    m = NULL;
done:
    json_free(cj);
    st_close(f);
    free(wpath), free(hfcfg), free(occfg);
    return m;
}

/* ---------------------------------------------------------------- state */

typedef struct {
    int64_t M, K, N;
    dnnl_data_type_t ddt;
    int act, sum, bias;
    dnnl_primitive_t prim;
    dnnl_memory_t src, dst, scratch;
    size_t scratch_size;
} mm_entry;

struct clip_state {
    const clip_model *m;
    int max_batch, threads;
    dnnl_stream_t stream;
    mm_entry *cache;
    size_t ncache, capcache;
    void *dnnl_scratch;   /* shared by all primitives of this state */
    size_t dnnl_scratch_size;
    /* activations */
    float *x, *h, *qkv, *att, *mlp, *patches, *tmp, *pooled;
    size_t rows_cap;
    float *scratch;       /* per OpenMP thread: transposed K, scores, accumulator */
    int scratch_threads;
    size_t scratch_per_thread;
    clip_trace_fn trace;
    void *trace_user;
    char err[256];
    /* Data-parallel helpers: with threads >= 2 and a batch of >= 2 items the
     * batch is split over `nsub` single-threaded states run by pthreads. */
    struct clip_state **sub;
    int nsub;
};

clip_state *clip_state_new(const clip_model *m, int max_batch)
{
    clip_state *s = xcalloc(1, sizeof *s);
    s->m = m;
    s->max_batch = max_batch > 0 ? max_batch : 1;
    DN(dnnl_stream_create(&s->stream, m->eng, dnnl_stream_default_flags));
    return s;
}

void clip_state_free(clip_state *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nsub; i++)
        clip_state_free(s->sub[i]);
    free(s->sub);
    for (size_t i = 0; i < s->ncache; i++) {
        dnnl_primitive_destroy(s->cache[i].prim);
        dnnl_memory_destroy(s->cache[i].src);
        dnnl_memory_destroy(s->cache[i].dst);
        dnnl_memory_destroy(s->cache[i].scratch);
    }
    free(s->dnnl_scratch);
    free(s->cache);
    free(s->x), free(s->h), free(s->qkv), free(s->att), free(s->mlp), free(s->patches), free(s->tmp), free(s->pooled);
    free(s->scratch);
    dnnl_stream_destroy(s->stream);
    free(s);
}

void clip_state_set_threads(clip_state *s, int threads) { s->threads = threads > 0 ? threads : 0; }
const char *clip_state_errmsg(const clip_state *s) { return s->err; }
void clip_state_set_trace(clip_state *s, clip_trace_fn fn, void *user)
{
    s->trace = fn;
    s->trace_user = user;
}

/* Grows the activation buffers for `rows` token rows (of either tower). */
static void ensure_rows(clip_state *s, size_t rows, size_t pooled_rows)
{
    if (rows <= s->rows_cap && s->pooled)
        return;
    const clip_config *c = &s->m->cfg;
    size_t W = (size_t)(c->vision_width > c->text_width ? c->vision_width : c->text_width);
    size_t Mw = (size_t)(c->vision_mlp > c->text_mlp ? c->vision_mlp : c->text_mlp);
    size_t P2 = 3 * (size_t)c->patch_size * c->patch_size;
    if (rows < s->rows_cap)
        rows = s->rows_cap;
    s->rows_cap = rows;
    free(s->x), free(s->h), free(s->qkv), free(s->att), free(s->mlp), free(s->patches), free(s->tmp), free(s->pooled);
    s->x = xmalloc(rows * W * sizeof(float));
    s->h = xmalloc(rows * W * sizeof(float));
    s->qkv = xmalloc(rows * 3 * W * sizeof(float));
    s->att = xmalloc(rows * W * sizeof(float));
    s->mlp = xmalloc(rows * Mw * sizeof(float));
    s->patches = xmalloc(rows * P2 * sizeof(float));
    s->tmp = xmalloc(rows * W * sizeof(float));
    (void)pooled_rows;
    s->pooled = xmalloc(rows * W * sizeof(float));
}

/* dst (M×N, ddt) [+]= act(src (M×K) · W + b). src is in the model's compute type. */
static void mm_run(clip_state *s, const mm_weight *w, int64_t M, const void *src, void *dst, dnnl_data_type_t ddt,
                   int act, int sum)
{
    mm_entry *e = NULL;
    int has_bias = w->b != NULL;
    for (size_t i = 0; i < s->ncache; i++) {
        mm_entry *c = &s->cache[i];
        if (c->M == M && c->K == w->K && c->N == w->N && c->ddt == ddt && c->act == act && c->sum == sum &&
            c->bias == has_bias) {
            e = c;
            break;
        }
    }
    if (!e) {
        if (s->ncache == s->capcache) {
            s->capcache = s->capcache ? 2 * s->capcache : 32;
            s->cache = xrealloc(s->cache, s->capcache * sizeof *s->cache);
        }
        e = &s->cache[s->ncache++];
        memset(e, 0, sizeof *e);
        e->M = M, e->K = w->K, e->N = w->N, e->ddt = ddt, e->act = act, e->sum = sum, e->bias = has_bias;
        dnnl_primitive_desc_t pd = mm_pd(s->m->eng, M, w->K, w->N, s->m->cdt, &w->md, has_bias, ddt, act, sum);
        DN(dnnl_primitive_create(&e->prim, pd));
        DN(dnnl_memory_create(&e->src, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), s->m->eng, DNNL_MEMORY_NONE));
        DN(dnnl_memory_create(&e->dst, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), s->m->eng, DNNL_MEMORY_NONE));
        const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        e->scratch_size = smd ? dnnl_memory_desc_get_size(smd) : 0;
        if (e->scratch_size)
            DN(dnnl_memory_create(&e->scratch, smd, s->m->eng, DNNL_MEMORY_NONE));
        dnnl_primitive_desc_destroy(pd);
    }
    if (e->scratch_size > s->dnnl_scratch_size) {
        free(s->dnnl_scratch);
        s->dnnl_scratch_size = e->scratch_size;
        s->dnnl_scratch = aligned_alloc(64, (s->dnnl_scratch_size + 63) & ~(size_t)63);
        if (!s->dnnl_scratch)
            abort();
    }
    DN(dnnl_memory_set_data_handle(e->src, (void *)src));
    DN(dnnl_memory_set_data_handle(e->dst, dst));
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_WEIGHTS, w->w}, {DNNL_ARG_DST, e->dst}};
    int nargs = 3;
    if (has_bias)
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, w->b};
    if (e->scratch_size) {
        DN(dnnl_memory_set_data_handle(e->scratch, s->dnnl_scratch));
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, e->scratch};
    }
    DN(dnnl_primitive_execute(e->prim, s->stream, nargs, args));
    DN(dnnl_stream_wait(s->stream));
}

/* ---------------------------------------------------------------- kernels */

/* LayerNorm of one row (fp32, biased variance) into fp32 or bf16. */
CLIP_KERNEL
static void ln_row(const float *x, void *out, int out_bf16, int W, const float *g, const float *b, float eps)
{
    float mean = 0, var = 0;
#pragma omp simd reduction(+ : mean)
    for (int i = 0; i < W; i++)
        mean += x[i];
    mean /= (float)W;
#pragma omp simd reduction(+ : var)
    for (int i = 0; i < W; i++)
        var += (x[i] - mean) * (x[i] - mean);
    var /= (float)W;
    float inv = 1.0f / sqrtf(var + eps);
    if (out_bf16) {
        uint16_t *o = out;
        for (int i = 0; i < W; i++)
            o[i] = f32_to_bf16((x[i] - mean) * inv * g[i] + b[i]);
    } else {
        float *o = out;
#pragma omp simd
        for (int i = 0; i < W; i++)
            o[i] = (x[i] - mean) * inv * g[i] + b[i];
    }
}

/* LayerNorm of `rows` rows of width W (row stride in_stride) into out. */
static void layer_norm(const float *in, size_t in_stride, void *out, int out_bf16, int rows, int W, const float *g,
                       const float *b, float eps)
{
    /* Small inputs stay on one thread: a fork-join costs more than the work. */
#pragma omp parallel for schedule(static) if ((long)rows * W >= 32768)
    for (int r = 0; r < rows; r++)
        ln_row(in + (size_t)r * in_stride, (char *)out + (size_t)r * W * (out_bf16 ? 2 : 4), out_bf16, W, g, b, eps);
}

/* exp(x) for x <= 0 (softmax after the max is subtracted), branch-free so
 * the loop vectorises: x = n·ln2 + r, |r| <= ln2/2, degree-6 polynomial;
 * relative error ~1e-7 (Cephes expf). Results below ~1e-38 flush to 0. */
static inline float exp_le0(float x)
{
    x = x < -87.0f ? -87.0f : x;
    float n = floorf(x * 1.44269504f + 0.5f);
    float r = x - n * 0.693145752f - n * 1.42860677e-6f;
    /* Cephes expf polynomial */
    float p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
               1.6666665459e-1f) * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float two_n;
    memcpy(&two_n, &bits, 4);
    return p * two_n;
}

/* One (sequence, head): q rows at qh (stride ld), k at qh + W, v at
 * qh + 2W; output rows at out + o0 (stride ostride). kt: attn_scratch(hd, T)
 * floats. Keys go in blocks of 64 whose scores stay in registers; K is
 * transposed once into rows of Tp (T rounded up to 64, zero padded). */
#define ATT_KB 64
/* GCC vector extension: 16 floats, one zmm register in the x86-64-v4 clone.
 * (-Wpsabi only notes that such values are passed differently per ISA; the
 * helpers are static and inlined.) */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v16sf __attribute__((vector_size(64)));
static inline v16sf v16_load(const float *p)
{
    v16sf v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void v16_store(float *p, v16sf v) { memcpy(p, &v, sizeof v); }
static size_t attn_scratch(int hd, int T)
{
    size_t Tp = ((size_t)T + ATT_KB - 1) / ATT_KB * ATT_KB;
    return (size_t)hd * Tp + Tp + (size_t)hd + 16;
}

CLIP_KERNEL
static void attend_task(const float *qh, size_t ld, int W, int T, int hd, float scale, int causal, float *kt, void *out,
                        int out_bf16, size_t o0, int ostride)
{
    const int Tp = (T + ATT_KB - 1) / ATT_KB * ATT_KB;
    float *p = kt + (size_t)hd * Tp, *acc = p + Tp;
    for (int c = 0; c < hd; c++)
        for (int j = T; j < Tp; j++)
            kt[(size_t)c * Tp + j] = 0;
    for (int j = 0; j < T; j++) {
        const float *k = qh + (size_t)j * ld + W;
        for (int c = 0; c < hd; c++)
            kt[(size_t)c * Tp + j] = k[c];
    }
    for (int i = 0; i < T; i++) {
        const float *q = qh + (size_t)i * ld;
        int nk = causal ? i + 1 : T;
        for (int jb = 0; jb < nk; jb += ATT_KB) {
            /* 64 scores in four 16-float registers */
            v16sf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            for (int c = 0; c < hd; c++) {
                const float qc = q[c] * scale, *kr = kt + (size_t)c * Tp + jb;
                a0 += qc * v16_load(kr), a1 += qc * v16_load(kr + 16);
                a2 += qc * v16_load(kr + 32), a3 += qc * v16_load(kr + 48);
            }
            v16_store(p + jb, a0), v16_store(p + jb + 16, a1), v16_store(p + jb + 32, a2), v16_store(p + jb + 48, a3);
        }
        float mx = -INFINITY;
        for (int j = 0; j < nk; j++)
            mx = p[j] > mx ? p[j] : mx;
        float sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < nk; j++) {
            p[j] = exp_le0(p[j] - mx);
            sum += p[j];
        }
        float inv = 1.0f / sum;
        int c0 = 0;
        for (; c0 + 32 <= hd; c0 += 32) { /* 32 channels in two registers */
            v16sf a0 = {0}, a1 = {0};
            for (int j = 0; j < nk; j++) {
                const float *v = qh + (size_t)j * ld + 2 * (size_t)W + c0;
                a0 += p[j] * v16_load(v), a1 += p[j] * v16_load(v + 16);
            }
            v16_store(acc + c0, a0 * inv), v16_store(acc + c0 + 16, a1 * inv);
        }
        for (int c = c0; c < hd; c++) {
            float a = 0;
            for (int j = 0; j < nk; j++)
                a += p[j] * qh[(size_t)j * ld + 2 * (size_t)W + c];
            acc[c] = a * inv;
        }
        size_t o = o0 + (size_t)i * ostride;
        if (out_bf16)
            for (int c = 0; c < hd; c++)
                ((uint16_t *)out)[o + c] = f32_to_bf16(acc[c]);
        else
            memcpy((float *)out + o, acc, (size_t)hd * sizeof(float));
    }
}

/* Multi-head attention over `nseq` sequences laid out back to back in qkv
 * (rows × 3W: q | k | v). seq_start[i]..seq_start[i+1] are sequence i's rows.
 * causal: query r attends keys <= r. Output rows × W into out (fp32 or bf16).
 * Per (sequence, head) task, K is transposed once so that the scores of one
 * query are an axpy over keys (vectorised across keys), and P·V is an axpy
 * over the head's channels. */
static void attention(clip_state *s, const float *qkv, int nseq, const int *seq_start, int W, int heads, int causal,
                      void *out, int out_bf16)
{
    int hd = W / heads;
    int maxT = 0;
    for (int i = 0; i < nseq; i++)
        if (seq_start[i + 1] - seq_start[i] > maxT)
            maxT = seq_start[i + 1] - seq_start[i];
    int nth = omp_get_max_threads();
    size_t per_thread = (attn_scratch(hd, maxT) + 15) & ~(size_t)15;
    if (!s->scratch || s->scratch_threads < nth || s->scratch_per_thread < per_thread) {
        free(s->scratch);
        s->scratch_threads = nth;
        s->scratch_per_thread = per_thread;
        s->scratch = xmalloc((size_t)nth * per_thread * sizeof(float));
    }
    const float scale = 1.0f / sqrtf((float)hd);
    const size_t ld = 3 * (size_t)W;
    int ntask = nseq * heads;
    long work = 0;
    for (int i = 0; i < nseq; i++)
        work += (long)(seq_start[i + 1] - seq_start[i]) * (seq_start[i + 1] - seq_start[i]);
    work *= (long)heads * hd;
#pragma omp parallel for schedule(dynamic) if (work >= (1L << 18))
    for (int task = 0; task < ntask; task++) {
        int sq = task / heads, h = task % heads;
        int r0 = seq_start[sq], T = seq_start[sq + 1] - r0;
        float *kt = s->scratch + (size_t)omp_get_thread_num() * s->scratch_per_thread;
        attend_task(qkv + (size_t)r0 * ld + (size_t)h * hd, ld, W, T, hd, scale, causal, kt, out, out_bf16,
                    (size_t)r0 * W + (size_t)h * hd, W);
    }
}

/* The shared pre-LN transformer stack over rows of x. */
static void run_blocks(clip_state *s, const tower *t, int rows, int nseq, const int *seq_start, int causal,
                       const char *tower_name, int trace_rows)
{
    const clip_model *m = s->m;
    int bf = m->prec == CLIP_BF16;
    int W = t->width;
    int act = m->cfg.act == CLIP_ACT_GELU ? 2 : 1;
    for (int i = 0; i < t->layers; i++) {
        const layer_w *l = &t->L[i];
        layer_norm(s->x, W, s->h, bf, rows, W, l->ln1_w, l->ln1_b, m->cfg.layer_norm_eps);
        mm_run(s, &l->qkv, rows, s->h, s->qkv, dnnl_f32, 0, 0);
        attention(s, s->qkv, nseq, seq_start, W, t->heads, causal, s->att, bf);
        if (rows > seq_start[nseq]) /* padding rows: keep them finite */
            memset((char *)s->att + (size_t)seq_start[nseq] * W * (bf ? 2 : 4), 0,
                   (size_t)(rows - seq_start[nseq]) * W * (bf ? 2 : 4));
        mm_run(s, &l->out, rows, s->att, s->x, dnnl_f32, 0, 1);    /* x += out_proj(att) */
        layer_norm(s->x, W, s->h, bf, rows, W, l->ln2_w, l->ln2_b, m->cfg.layer_norm_eps);
        mm_run(s, &l->fc1, rows, s->h, s->mlp, bf ? dnnl_bf16 : dnnl_f32, act, 0);
        mm_run(s, &l->fc2, rows, s->mlp, s->x, dnnl_f32, 0, 1);   /* x += fc2(act(fc1(ln2 x))) */
        if (s->trace) {
            char name[32];
            snprintf(name, sizeof name, "block%d", i);
            s->trace(s->trace_user, tower_name, name, trace_rows, W, s->x);
        }
    }
}

static void set_threads(clip_state *s)
{
    if (s->threads > 0)
        omp_set_num_threads(s->threads);
}

static int encode_images_team(clip_state *s, const float *pixels, int n, float *out)
{
    if (n < 0) {
        snprintf(s->err, sizeof s->err, "clip_encode_images: negative count %d", n);
        return -1;
    }
    set_threads(s);
    const clip_model *m = s->m;
    const clip_config *c = &m->cfg;
    int bf = m->prec == CLIP_BF16;
    int S = c->image_size, P = c->patch_size, G = S / P, T = G * G + 1, W = c->vision_width, E = c->embed_dim;
    int K = 3 * P * P;
    size_t img_floats = (size_t)3 * S * S;
    for (int b0 = 0; b0 < n; b0 += s->max_batch) {
        int B = n - b0 < s->max_batch ? n - b0 : s->max_batch;
        int rows = B * T;
        ensure_rows(s, (size_t)rows, (size_t)B);
        /* Patches in (c, ky, kx) order, one row per patch, row-major grid. */
        int np = B * G * G;
#pragma omp parallel for schedule(static)
        for (int pi = 0; pi < np; pi++) {
            int b = pi / (G * G), g = pi % (G * G), gy = g / G, gx = g % G;
            const float *img = pixels + (size_t)(b0 + b) * img_floats;
            size_t o = (size_t)pi * K;
            for (int ch = 0; ch < 3; ch++)
                for (int ky = 0; ky < P; ky++) {
                    const float *src = img + (size_t)ch * S * S + (size_t)(gy * P + ky) * S + (size_t)gx * P;
                    if (bf) {
                        uint16_t *d = (uint16_t *)s->patches + o + (size_t)(ch * P + ky) * P;
                        for (int kx = 0; kx < P; kx++)
                            d[kx] = f32_to_bf16(src[kx]);
                    } else {
                        memcpy(s->patches + o + (size_t)(ch * P + ky) * P, src, (size_t)P * sizeof(float));
                    }
                }
        }
        mm_run(s, &m->patch, np, s->patches, s->tmp, dnnl_f32, 0, 0);
        /* class token + positions */
#pragma omp parallel for schedule(static)
        for (int r = 0; r < rows; r++) {
            int b = r / T, tk = r % T;
            float *x = s->x + (size_t)r * W;
            const float *pos = m->vis_pos + (size_t)tk * W;
            const float *src = tk == 0 ? m->class_emb : s->tmp + ((size_t)b * G * G + tk - 1) * W;
            for (int i = 0; i < W; i++)
                x[i] = src[i] + pos[i];
        }
        if (s->trace)
            s->trace(s->trace_user, "image", "embeddings", T, W, s->x);
        layer_norm(s->x, W, s->x, 0, rows, W, m->ln_pre_w, m->ln_pre_b, c->layer_norm_eps);
        if (s->trace)
            s->trace(s->trace_user, "image", "ln_pre", T, W, s->x);
        int *seq = xmalloc((size_t)(B + 1) * sizeof(int));
        for (int b = 0; b <= B; b++)
            seq[b] = b * T;
        run_blocks(s, &m->vis, rows, B, seq, 0, "image", T);
        free(seq);
        /* ln_post on the class token rows only; then the projection (no bias). */
        layer_norm(s->x, (size_t)T * W, s->pooled, bf, B, W, m->ln_post_w, m->ln_post_b, c->layer_norm_eps);
        if (s->trace) {
            if (bf) {
                layer_norm(s->x, (size_t)T * W, s->tmp, 0, 1, W, m->ln_post_w, m->ln_post_b, c->layer_norm_eps);
                s->trace(s->trace_user, "image", "pooled", 1, W, s->tmp);
            } else {
                s->trace(s->trace_user, "image", "pooled", 1, W, s->pooled);
            }
        }
        mm_run(s, &m->vproj, B, s->pooled, out + (size_t)b0 * E, dnnl_f32, 0, 0);
    }
    return 0;
}

static int encode_texts_team(clip_state *s, const int32_t *ids, const int *eot_index, int n, float *out)
{
    const clip_model *m = s->m;
    const clip_config *c = &m->cfg;
    int C = c->context_length, W = c->text_width, E = c->embed_dim;
    int bf = m->prec == CLIP_BF16;
    if (n < 0) {
        snprintf(s->err, sizeof s->err, "clip_encode_texts: negative count %d", n);
        return -1;
    }
    /* Validate everything first. */
    int *eot = xmalloc((size_t)(n ? n : 1) * sizeof(int));
    for (int i = 0; i < n; i++) {
        const int32_t *row = ids + (size_t)i * C;
        int e;
        if (eot_index) {
            e = eot_index[i];
        } else {
            e = 0;
            for (int j = 1; j < C; j++)
                if (row[j] > row[e])
                    e = j;
        }
        if (e < 0 || e >= C) {
            snprintf(s->err, sizeof s->err, "text %d: eot index %d outside the context of %d", i, e, C);
            free(eot);
            return -1;
        }
        for (int j = 0; j <= e; j++)
            if (row[j] < 0 || row[j] >= c->vocab_size) {
                snprintf(s->err, sizeof s->err, "text %d: token id %d at position %d outside the vocabulary (%d)", i,
                         (int)row[j], j, c->vocab_size);
                free(eot);
                return -1;
            }
        eot[i] = e;
    }
    set_threads(s);
    int *seq = xmalloc((size_t)(s->max_batch + 1) * sizeof(int));
    for (int b0 = 0; b0 < n; b0 += s->max_batch) {
        int B = n - b0 < s->max_batch ? n - b0 : s->max_batch;
        /* Only positions 0..eot of each caption are computed; the causal mask
         * makes later ones irrelevant. Captions are packed back to back. */
        seq[0] = 0;
        for (int b = 0; b < B; b++)
            seq[b + 1] = seq[b] + eot[b0 + b] + 1;
        int rows = seq[B];
        /* Round rows up so few distinct matmul shapes (primitives) arise;
         * the padding rows are zeros and never read back. */
        int rows_pad = (rows + 15) & ~15;
        ensure_rows(s, (size_t)rows_pad, (size_t)B);
        for (int b = 0; b < B; b++) {
            const int32_t *row = ids + (size_t)(b0 + b) * C;
            for (int j = 0; j <= eot[b0 + b]; j++) {
                float *x = s->x + (size_t)(seq[b] + j) * W;
                const float *te = m->tok_emb + (size_t)row[j] * W, *pe = m->txt_pos + (size_t)j * W;
                for (int k = 0; k < W; k++)
                    x[k] = te[k] + pe[k];
            }
        }
        memset(s->x + (size_t)rows * W, 0, (size_t)(rows_pad - rows) * W * sizeof(float));
        if (s->trace)
            s->trace(s->trace_user, "text", "embeddings", seq[1], W, s->x);
        int nseq_pad = B;
        int *seqp = seq;
        run_blocks(s, &m->txt, rows_pad, nseq_pad, seqp, 1, "text", seq[1]);
        /* Gather the eot rows, ln_final, project. */
        for (int b = 0; b < B; b++)
            memcpy(s->tmp + (size_t)b * W, s->x + (size_t)(seq[b + 1] - 1) * W, (size_t)W * sizeof(float));
        layer_norm(s->tmp, W, s->pooled, bf, B, W, m->ln_final_w, m->ln_final_b, c->layer_norm_eps);
        if (s->trace) {
            if (bf) {
                layer_norm(s->tmp, W, s->att, 0, 1, W, m->ln_final_w, m->ln_final_b, c->layer_norm_eps);
                s->trace(s->trace_user, "text", "pooled", 1, W, s->att);
            } else {
                s->trace(s->trace_user, "text", "pooled", 1, W, s->pooled);
            }
        }
        mm_run(s, &m->tproj, B, s->pooled, out + (size_t)b0 * E, dnnl_f32, 0, 0);
    }
    free(seq);
    free(eot);
    return 0;
}

void clip_l2_normalize(float *v, int n, int d)
{
    for (int i = 0; i < n; i++) {
        float *r = v + (size_t)i * d;
        double ss = 0;
        for (int k = 0; k < d; k++)
            ss += (double)r[k] * r[k];
        if (ss > 0) {
            float inv = (float)(1.0 / sqrt(ss));
            for (int k = 0; k < d; k++)
                r[k] *= inv;
        }
    }
}

float clip_dot(const float *a, const float *b, int d)
{
    double s = 0;
    for (int k = 0; k < d; k++)
        s += (double)a[k] * b[k];
    return (float)s;
}

void clip_f32_to_f16(const float *in, uint16_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = cc_f32_to_f16(in[i]);
}

/* ---------------------------------------------------------------- batch split */

/* With T threads, a batch is split into T parts, each encoded by its own
 * single-threaded state on its own pthread. Unlike an OpenMP team this needs
 * no barrier per operation (≈90 per image), so it scales on 2 cores and
 * degrades gracefully when other processes share them. Batches of 1 (or
 * with a trace) use the OpenMP team instead. */
typedef struct {
    clip_state *st;
    int images;
    const void *in;
    const int *eot;
    int n;
    float *out;
    int rc;
} split_job;

static void *split_main(void *arg)
{
    split_job *j = arg;
    j->rc = j->images ? encode_images_team(j->st, j->in, j->n, j->out)
                      : encode_texts_team(j->st, j->in, j->eot, j->n, j->out);
    return NULL;
}

static int split_run(clip_state *s, int images, const void *in, const int *eot, int n, float *out)
{
    int parts = s->threads < n ? s->threads : n;
    if (s->nsub < parts) {
        s->sub = xrealloc(s->sub, (size_t)parts * sizeof *s->sub);
        for (int i = s->nsub; i < parts; i++) {
            s->sub[i] = clip_state_new(s->m, s->max_batch);
            s->sub[i]->threads = 1;
        }
        s->nsub = parts;
    }
    const clip_config *c = &s->m->cfg;
    size_t in_stride = images ? (size_t)3 * c->image_size * c->image_size : (size_t)c->context_length;
    size_t in_size = images ? sizeof(float) : sizeof(int32_t);
    split_job jobs[64];
    pthread_t th[64];
    int started[64] = {0};
    if (parts > 64)
        parts = 64;
    for (int i = 0, b0 = 0; i < parts; i++) {
        int cnt = n / parts + (i < n % parts);
        jobs[i] = (split_job){s->sub[i], images, (const char *)in + (size_t)b0 * in_stride * in_size,
                              eot ? eot + b0 : NULL, cnt, out + (size_t)b0 * c->embed_dim, 0};
        b0 += cnt;
    }
    /* part 0 runs on the calling thread */
    for (int i = 1; i < parts; i++)
        started[i] = pthread_create(&th[i], NULL, split_main, &jobs[i]) == 0;
    split_main(&jobs[0]);
    int rc = jobs[0].rc;
    for (int i = 1; i < parts; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            split_main(&jobs[i]); /* could not start a thread: do it here */
        if (jobs[i].rc && !rc)
            rc = jobs[i].rc;
    }
    for (int i = 0; i < parts; i++)
        if (jobs[i].rc) {
            snprintf(s->err, sizeof s->err, "%s", jobs[i].st->err);
            break;
        }
    /* The calling thread ran part 0 with 1 OpenMP thread; restore. */
    set_threads(s);
    return rc;
}

int clip_encode_images(clip_state *s, const float *pixels, int n, float *out)
{
    if (s->threads >= 2 && n >= 2 && !s->trace)
        return split_run(s, 1, pixels, NULL, n, out);
    return encode_images_team(s, pixels, n, out);
}

int clip_encode_texts(clip_state *s, const int32_t *ids, const int *eot_index, int n, float *out)
{
    if (s->threads >= 2 && n >= 2 && !s->trace)
        return split_run(s, 0, ids, eot_index, n, out);
    return encode_texts_team(s, ids, eot_index, n, out);
}
