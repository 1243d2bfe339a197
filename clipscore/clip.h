/* clip.h — the CLIP encoder: ViT image tower and causal text tower.
 *
 * Model and state are split the way whisper.cpp splits context and state:
 *
 *   clip_model  read-only after clip_model_load(): configuration, weights
 *               (pre-packed for oneDNN), logit scale. One model may be shared
 *               by any number of threads.
 *   clip_state  per-thread scratch: activation buffers, oneDNN stream and
 *               primitives. A state is used by one thread at a time.
 *
 * Typical use (scoring a batch of decoded images and their captions):
 *
 *   clip_model *m = clip_model_load(dir, CLIP_FP32, err, sizeof err);
 *   clip_state *s = clip_state_new(m, 32);
 *   float *px = ... n × 3 × S × S floats (clip_preprocess() output, S = image_size)
 *   int32_t ids[n * CLIP_CONTEXT]; ... clip_tokenize() rows, zero-padded
 *   clip_encode_images(s, px, n, img_emb);      // n × embed_dim
 *   clip_encode_texts(s, ids, NULL, n, txt_emb); // n × embed_dim
 *   clip_l2_normalize(img_emb, n, d); clip_l2_normalize(txt_emb, n, d);
 *   score_i = clip_dot(img_emb + i*d, txt_emb + i*d, d);
 *
 * Model directories: Hugging Face layout (model.safetensors + config.json),
 * OpenCLIP layout (open_clip_model.safetensors + open_clip_config.json), or a
 * bare safetensors file whose metadata key "clipref.config" holds the config,
 * or none at all (then widths, layers, patch and image size come from tensor
 * shapes, heads = width / 64, and a note is printed on stderr). Tensors may be
 * F32, F16 or BF16 (upcast exactly to F32); integer buffers (position_ids,
 * attn_mask) are skipped.
 *
 * Errors: functions that can fail on bad input return NULL / nonzero and put
 * a one-line message naming the file (and tensor) into the caller's
 * err/errlen buffer or on the state (clip_state_errmsg). Allocation failure
 * aborts.
 */
#ifndef CC_CLIPSCORE_CLIP_H
#define CC_CLIPSCORE_CLIP_H

#include <stddef.h>
#include <stdint.h>

#define CLIP_CONTEXT 77      /* token rows passed to clip_encode_texts are this long */
#ifndef CLIP_SOT_ID
#define CLIP_SOT_ID 49406    /* same values as tokenizer.h */
#define CLIP_EOT_ID 49407
#endif

typedef enum {
    CLIP_FP32 = 0,   /* fp32 everywhere (default; matches the reference to ~1e-6) */
    CLIP_BF16 = 1    /* bf16 matmul inputs/weights, fp32 accumulation, fp32 LayerNorm/softmax */
} clip_precision;

/* Parses "fp32" / "bf16". 0 on success, -1 if unknown. */
int clip_precision_parse(const char *s, clip_precision *out);
const char *clip_precision_name(clip_precision p);

typedef enum { CLIP_ACT_QUICK_GELU = 0, CLIP_ACT_GELU = 1 } clip_activation;

typedef struct {
    int embed_dim;        /* projection dim */
    int image_size, patch_size;
    int vision_width, vision_layers, vision_heads, vision_mlp;
    int context_length, vocab_size;
    int text_width, text_layers, text_heads, text_mlp;
    clip_activation act;
    float layer_norm_eps;
} clip_config;

typedef struct clip_model clip_model;
typedef struct clip_state clip_state;

/* Loads a model directory (or a .safetensors file path). precision selects the
 * compute/storage type of the matmul weights. Returns NULL on failure with a
 * one-line message in err naming the file and, where it applies, the tensor
 * ("DIR/model.safetensors: tensor 'x': shape [3,4], expected [4,4]").
 * Prints a note on stderr when the configuration had to be inferred. */
clip_model *clip_model_load(const char *dir, clip_precision precision, char *err, size_t errlen);
void clip_model_free(clip_model *m); /* NULL is a no-op */

const clip_config *clip_model_config(const clip_model *m);
clip_precision clip_model_precision(const clip_model *m);
/* exp(stored logit_scale): the factor applied to cosines to get logits. */
float clip_model_logit_scale(const clip_model *m);
/* The weights file actually loaded (owned by the model). */
const char *clip_model_weights_path(const clip_model *m);
/* "hf", "openclip", "clipref-metadata" or "inferred": where the config came from. */
const char *clip_model_config_source(const clip_model *m);
/* A stable identity for the weights: 16 hex digits of sha256 over the
 * safetensors header + file size, e.g. to mark stored scores. Owned by m. */
const char *clip_model_id(const clip_model *m);

/* Creates scratch state for batches of up to max_batch images or texts
 * (larger calls are split internally; max_batch < 1 means 1). Buffers grow on
 * first use. Never NULL. */
clip_state *clip_state_new(const clip_model *m, int max_batch);
void clip_state_free(clip_state *s); /* NULL is a no-op */
/* Threads used by clip_encode_* on this state; 0 (the default) keeps the
 * OpenMP default of the calling thread (oneDNN runs on OpenMP here).
 * With threads >= 2, a call with n >= 2 items is split into `threads` parts
 * encoded in parallel by single-threaded helper states (no per-operation
 * barriers: scales better, and degrades gracefully on a shared machine);
 * a single item (or a traced call) uses an OpenMP team of `threads`,
 * applied with omp_set_num_threads() on the calling thread. Results agree
 * to float rounding either way (tested to 1e-6). */
void clip_state_set_threads(clip_state *s, int threads);
/* Message of the last failing call on this state. */
const char *clip_state_errmsg(const clip_state *s);

/* Encodes n preprocessed images: pixels is n × 3 × S × S floats (CHW, S =
 * config image_size, normalised). Writes n × embed_dim raw projections (not
 * normalised) to out. Returns 0, or -1 if n < 0. */
int clip_encode_images(clip_state *s, const float *pixels_chw, int n, float *out);

/* Encodes n token rows: ids is n × CLIP_CONTEXT (context_length of the model
 * when it differs: use clip_model_config()->context_length as the row stride),
 * padded with anything (positions after the end token do not matter).
 * eot_index[i] is the pooled position (the first CLIP_EOT_ID); pass NULL to
 * take argmax(ids) as OpenAI does. Only positions 0..eot are computed.
 * Writes n × embed_dim raw projections. Returns 0, or -1 on an id outside the
 * vocabulary or an eot_index outside the context (message on the state). */
int clip_encode_texts(clip_state *s, const int32_t *ids, const int *eot_index, int n, float *out);

/* Optional trace of intermediate stages (tests, debugging) for the first
 * item of each internal batch: fn(user, tower, stage, rows, width, data) with
 * tower "image" and stage "embeddings", "ln_pre", "block0".., "pooled", or
 * tower "text" and stage "embeddings", "block0".., "pooled" (text rows are
 * positions 0..eot). data is rows × width floats, valid during the call.
 * NULL disables. A traced call never splits across threads. */
typedef void (*clip_trace_fn)(void *user, const char *tower, const char *stage, int rows, int width, const float *data);
void clip_state_set_trace(clip_state *s, clip_trace_fn fn, void *user);

/* L2-normalises n rows of d floats in place (a zero row stays zero). */
void clip_l2_normalize(float *v, int n, int d);
/* Dot product of two d-vectors (cosine when both are normalised). */
float clip_dot(const float *a, const float *b, int d);
/* Converts n floats to IEEE half (round to nearest even; overflow -> inf),
 * little-endian order when stored as bytes on x86-64 — the format of the
 * embeddings stored in the index (schema/002-clip.sql). */
void clip_f32_to_f16(const float *in, uint16_t *out, size_t n);

#endif
