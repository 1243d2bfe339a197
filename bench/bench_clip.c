/* bench_clip.c — CLIP tower throughput on a full-size random ViT-B/32.
 *
 *   bench_clip [--quick] [--threads 1,2] [--batches 1,32] [--precisions fp32,bf16]
 *              [--min-time SECONDS] [--keep DIR]
 *
 * Writes a random ViT-B/32 (vision 768 wide, 12 layers, 12 heads, patch 32;
 * text 512 wide, 12 layers, 8 heads; embed 512) in Hugging Face layout into a
 * temporary directory, loads it once per precision, and measures images/s
 * and captions/s (captions of 12 tokens: the text tower stops at the end
 * token) for each thread count and batch size: median of timed runs after
 * one warm-up, at least 3 runs and --min-time seconds (default 2).
 * One line per configuration on stdout, plus a JSON line prefixed "json ".
 * --quick: one timed run of batch 1, 1 thread, fp32 (the smoke run).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clip.h"
#include "common.h"

typedef struct {
    char name[128];
    int ndim;
    int64_t shape[4];
    int kind;   /* 0 matrix, 1 LN weight (≈1), 2 bias/vector (small), 3 logit scale */
} tdesc;

static tdesc *tl;
static int ntl, captl;

static void add(const char *name, int kind, int ndim, int64_t a, int64_t b, int64_t c, int64_t d)
{
    if (ntl == captl) {
        captl = captl ? 2 * captl : 512;
        tl = xrealloc(tl, (size_t)captl * sizeof *tl);
    }
    tdesc *t = &tl[ntl++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->kind = kind;
    t->ndim = ndim;
    int64_t s[4] = {a, b, c, d};
    memcpy(t->shape, s, sizeof s);
}

static void add_tower(const char *pfx, int layers, int W, int M)
{
    char n[128];
    for (int i = 0; i < layers; i++) {
        const char *lin[6][2] = {{"self_attn.q_proj", ""}, {"self_attn.k_proj", ""}, {"self_attn.v_proj", ""},
                                 {"self_attn.out_proj", ""}, {"mlp.fc1", "M"}, {"mlp.fc2", "m"}};
        for (int k = 0; k < 6; k++) {
            int64_t out = lin[k][1][0] == 'M' ? M : W, in = lin[k][1][0] == 'm' ? M : W;
            snprintf(n, sizeof n, "%s.encoder.layers.%d.%s.weight", pfx, i, lin[k][0]);
            add(n, 0, 2, out, in, 0, 0);
            snprintf(n, sizeof n, "%s.encoder.layers.%d.%s.bias", pfx, i, lin[k][0]);
            add(n, 2, 1, out, 0, 0, 0);
        }
        for (int k = 1; k <= 2; k++) {
            snprintf(n, sizeof n, "%s.encoder.layers.%d.layer_norm%d.weight", pfx, i, k);
            add(n, 1, 1, W, 0, 0, 0);
            snprintf(n, sizeof n, "%s.encoder.layers.%d.layer_norm%d.bias", pfx, i, k);
            add(n, 2, 1, W, 0, 0, 0);
        }
    }
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static inline float urand(void) /* uniform in [-1, 1) */
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((double)(rng >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

static int write_model(const char *dir)
{
    const int Wv = 768, Wt = 512, E = 512, P = 32, G = 7, V = 49408, C = 77;
    add("vision_model.embeddings.class_embedding", 2, 1, Wv, 0, 0, 0);
    add("vision_model.embeddings.patch_embedding.weight", 0, 4, Wv, 3, P, P);
    add("vision_model.embeddings.position_embedding.weight", 2, 2, G * G + 1, Wv, 0, 0);
    add("vision_model.pre_layrnorm.weight", 1, 1, Wv, 0, 0, 0);
    add("vision_model.pre_layrnorm.bias", 2, 1, Wv, 0, 0, 0);
    add("vision_model.post_layernorm.weight", 1, 1, Wv, 0, 0, 0);
    add("vision_model.post_layernorm.bias", 2, 1, Wv, 0, 0, 0);
    add_tower("vision_model", 12, Wv, 4 * Wv);
    add("visual_projection.weight", 0, 2, E, Wv, 0, 0);
    add("text_model.embeddings.token_embedding.weight", 2, 2, V, Wt, 0, 0);
    add("text_model.embeddings.position_embedding.weight", 2, 2, C, Wt, 0, 0);
    add("text_model.final_layer_norm.weight", 1, 1, Wt, 0, 0, 0);
    add("text_model.final_layer_norm.bias", 2, 1, Wt, 0, 0, 0);
    add_tower("text_model", 12, Wt, 4 * Wt);
    add("text_projection.weight", 0, 2, E, Wt, 0, 0);
    add("logit_scale", 3, 0, 0, 0, 0, 0);

    ccbuf h = {0};
    ccbuf_putc(&h, '{');
    size_t off = 0;
    for (int i = 0; i < ntl; i++) {
        size_t n = 1;
        ccbuf_printf(&h, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[", i ? "," : "", tl[i].name);
        for (int d = 0; d < tl[i].ndim; d++) {
            ccbuf_printf(&h, "%s%lld", d ? "," : "", (long long)tl[i].shape[d]);
            n *= (size_t)tl[i].shape[d];
        }
        ccbuf_printf(&h, "],\"data_offsets\":[%zu,%zu]}", off, off + 4 * n);
        off += 4 * n;
    }
    ccbuf_putc(&h, '}');
    while ((8 + h.len) % 8)
        ccbuf_putc(&h, ' ');
    char *path = xasprintf("%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return -1;
    }
    uint64_t hl = h.len;
    fwrite(&hl, 8, 1, f);
    fwrite(h.data, 1, h.len, f);
    float *buf = NULL;
    size_t cap = 0;
    for (int i = 0; i < ntl; i++) {
        size_t n = 1;
        for (int d = 0; d < tl[i].ndim; d++)
            n *= (size_t)tl[i].shape[d];
        if (n > cap) {
            cap = n;
            buf = xrealloc(buf, cap * sizeof *buf);
        }
        float scale = tl[i].kind == 0 ? (float)(sqrt(3.0) / sqrt((double)(n / (size_t)tl[i].shape[0]))) : 0.02f;
        for (size_t k = 0; k < n; k++)
            buf[k] = tl[i].kind == 1 ? 1.0f + 0.1f * urand() : tl[i].kind == 3 ? logf(100.0f) : scale * urand();
        fwrite(buf, 4, n, f);
    }
    free(buf);
    int rc = fclose(f) == 0 ? 0 : -1;
    free(path);
    ccbuf_free(&h);
    path = xasprintf("%s/config.json", dir);
    f = fopen(path, "w");
    fprintf(f, "{\"projection_dim\":%d,\"text_config\":{\"hidden_size\":%d,\"intermediate_size\":%d,"
               "\"num_attention_heads\":8,\"num_hidden_layers\":12,\"max_position_embeddings\":77,\"vocab_size\":%d,"
               "\"hidden_act\":\"quick_gelu\",\"layer_norm_eps\":1e-05},\"vision_config\":{\"hidden_size\":%d,"
               "\"intermediate_size\":%d,\"num_attention_heads\":12,\"num_hidden_layers\":12,\"image_size\":224,"
               "\"patch_size\":32,\"hidden_act\":\"quick_gelu\",\"layer_norm_eps\":1e-05}}\n",
            E, Wt, 4 * Wt, V, Wv, 4 * Wv);
    fclose(f);
    free(path);
    return rc;
}

static int parse_list(const char *s, int *out, int max)
{
    int n = 0;
    while (*s && n < max) {
        out[n++] = atoi(s);
        const char *c = strchr(s, ',');
        if (!c)
            break;
        s = c + 1;
    }
    return n;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median seconds per call of fn over >= min_runs runs and >= min_time s. */
typedef int (*run_fn)(clip_state *s, int batch, const void *in, float *out);
static int run_img(clip_state *s, int b, const void *in, float *out) { return clip_encode_images(s, in, b, out); }
static int run_txt(clip_state *s, int b, const void *in, float *out) { return clip_encode_texts(s, in, NULL, b, out); }

/* Also reports CPU seconds per call (all threads), which other processes on
 * a shared machine disturb less than wall time. */
static double timeit(run_fn fn, clip_state *s, int batch, const void *in, float *out, int min_runs, double min_time,
                     double *best, double *cpu)
{
    fn(s, batch, in, out); /* warm-up: primitive creation, page faults */
    double times[256];
    int n = 0;
    double start = cc_now(), c0 = cc_cpu_seconds();
    while (n < 256 && (n < min_runs || cc_now() - start < min_time)) {
        double t0 = cc_now();
        fn(s, batch, in, out);
        times[n++] = cc_now() - t0;
    }
    *cpu = (cc_cpu_seconds() - c0) / n;
    qsort(times, (size_t)n, sizeof times[0], cmp_d);
    *best = times[0];
    return times[n / 2];
}

int main(int argc, char **argv)
{
    int threads[4] = {1, 2}, nth = 2, batches[4] = {1, 32}, nb = 2, quick = 0;
    int precs[2] = {CLIP_FP32, CLIP_BF16}, np = 2;
    double min_time = 2.0;
    const char *keep = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            nth = parse_list(argv[++i], threads, 4);
        } else if (strcmp(argv[i], "--batches") == 0 && i + 1 < argc) {
            nb = parse_list(argv[++i], batches, 4);
        } else if (strcmp(argv[i], "--precisions") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            np = 0;
            if (strstr(v, "fp32"))
                precs[np++] = CLIP_FP32;
            if (strstr(v, "bf16"))
                precs[np++] = CLIP_BF16;
        } else if (strcmp(argv[i], "--min-time") == 0 && i + 1 < argc) {
            min_time = atof(argv[++i]);
        } else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc) {
            keep = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_clip [--quick] [--threads 1,2] [--batches 1,32] [--precisions fp32,bf16] [--min-time S] [--keep DIR]\n");
            return 2;
        }
    }
    if (quick) {
        nth = nb = np = 1;
        threads[0] = 1, batches[0] = 1, precs[0] = CLIP_FP32;
        min_time = 0;
    }
    char dir[256];
    if (keep) {
        snprintf(dir, sizeof dir, "%s", keep);
        mkdir(dir, 0755);
    } else {
        snprintf(dir, sizeof dir, "/tmp/bench_clip.XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    char *probe = xasprintf("%s/model.safetensors", dir);
    double t0 = cc_now();
    if (access(probe, R_OK) != 0 && write_model(dir) != 0)
        return 1;
    free(probe);
    fprintf(stderr, "model written to %s in %.1f s\n", dir, cc_now() - t0);

    int maxb = 1;
    for (int i = 0; i < nb; i++)
        maxb = batches[i] > maxb ? batches[i] : maxb;
    float *px = xmalloc((size_t)maxb * 3 * 224 * 224 * sizeof(float));
    for (size_t k = 0; k < (size_t)maxb * 3 * 224 * 224; k++)
        px[k] = 2.0f * urand();
    int32_t *ids = xcalloc((size_t)maxb * CLIP_CONTEXT, sizeof *ids);
    for (int b = 0; b < maxb; b++) { /* 12 tokens: sot + 10 words + eot */
        int32_t *r = ids + (size_t)b * CLIP_CONTEXT;
        r[0] = CLIP_SOT_ID;
        for (int k = 1; k <= 10; k++)
            r[k] = (int32_t)(1000 + (uint32_t)(urand() * 0.5f + 0.5f) % 40000 + 37 * k + b);
        r[11] = CLIP_EOT_ID;
    }
    float *out = xmalloc((size_t)maxb * 512 * sizeof(float));
    int rc = 0;
    for (int p = 0; p < np; p++) {
        char err[512];
        t0 = cc_now();
        clip_model *m = clip_model_load(dir, (clip_precision)precs[p], err, sizeof err);
        if (!m) {
            fprintf(stderr, "%s\n", err);
            rc = 1;
            break;
        }
        fprintf(stderr, "%s model loaded in %.1f s\n", clip_precision_name((clip_precision)precs[p]), cc_now() - t0);
        for (int t = 0; t < nth; t++) {
            for (int b = 0; b < nb; b++) {
                clip_state *s = clip_state_new(m, batches[b]);
                clip_state_set_threads(s, threads[t]);
                double ibest, tbest, icpu, tcpu;
                double ti = timeit(run_img, s, batches[b], px, out, quick ? 1 : 3, min_time, &ibest, &icpu);
                double tt = timeit(run_txt, s, batches[b], ids, out, quick ? 1 : 3, min_time, &tbest, &tcpu);
                const char *pn = clip_precision_name((clip_precision)precs[p]);
                printf("clipcrawl %s threads=%d batch=%2d  image: %7.2f img/s (%8.1f ms/batch, %6.1f cpu-ms/img)  "
                       "text: %8.2f cap/s (%7.1f ms/batch, %5.2f cpu-ms/cap)\n",
                       pn, threads[t], batches[b], batches[b] / ti, ti * 1e3, icpu * 1e3 / batches[b], batches[b] / tt,
                       tt * 1e3, tcpu * 1e3 / batches[b]);
                printf("json {\"impl\":\"clipcrawl\",\"precision\":\"%s\",\"threads\":%d,\"batch\":%d,\"image_per_s\":%.3f,"
                       "\"text_per_s\":%.3f,\"image_best_ms\":%.3f,\"text_best_ms\":%.3f,\"image_cpu_ms\":%.3f,"
                       "\"text_cpu_ms\":%.3f,\"text_tokens\":12}\n",
                       pn, threads[t], batches[b], batches[b] / ti, batches[b] / tt, ibest * 1e3, tbest * 1e3,
                       icpu * 1e3 / batches[b], tcpu * 1e3 / batches[b]);
                fflush(stdout);
                clip_state_free(s);
            }
        }
        clip_model_free(m);
    }
    free(px), free(ids), free(out), free(tl);
    if (!keep) {
        char *cmd = xasprintf("rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
        free(cmd);
    }
    return rc;
}
