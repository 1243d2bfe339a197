/* preprocess.h — CLIP image preprocessing, bit-exact with OpenAI CLIP /
 * OpenCLIP's torchvision pipeline on Pillow 9.x:
 *
 *   Resize(S, BICUBIC) of the short side, in the image's OWN mode
 *     (short side -> S, long side -> floor(S * long / short); skipped when the
 *      size does not change)
 *       L, RGB:   Pillow's fixed-point (22-bit) bicubic, a = -0.5, antialiased
 *                 when shrinking, horizontal pass first with a uint8 intermediate
 *       RGBA, LA: premultiplied alpha, bicubic, un-premultiplied; alpha is then
 *                 DROPPED with no background compositing (a fully transparent
 *                 pixel comes out black, whatever its stored colour)
 *       P:        NEAREST on the palette indices, then the palette lookup
 *   CenterCrop(S) with Python round() (half to even) offsets
 *   RGB, /255, (x - mean) / std in float32, CHW layout.
 *
 * EXIF orientation, ICC profiles and gamma are ignored (as upstream).
 * Thread-safe: no shared state.
 */
#ifndef CC_CLIPSCORE_PREPROCESS_H
#define CC_CLIPSCORE_PREPROCESS_H

#include <stddef.h>
#include "image.h"

/* OpenAI CLIP's normalisation constants (also OpenCLIP's default). */
extern const float CLIP_MEAN_OPENAI[3]; /* 0.48145466, 0.4578275, 0.40821073 */
extern const float CLIP_STD_OPENAI[3];  /* 0.26862954, 0.26130258, 0.27577711 */

/* Preprocesses a decoded image (img_decode_native() output, any mode) for a
 * model with image_size S (224, 336, ...).
 *   out_chw:      receives 3*S*S floats, channel-major (required)
 *   crop_rgb_out: optional (NULL to skip); receives the S*S*3 uint8 RGB crop
 *                 before normalisation, row-major
 *   mean, std:    3 floats each; NULL means the OpenAI constants
 * Returns 0, or -1 with a one-line message in err (bad mode or channel count,
 * zero/negative size, pixels NULL, S out of 1..4096, a std of 0). */
int clip_preprocess(const img_image *native, int image_size, const float mean[3], const float std[3],
                    float *out_chw, unsigned char *crop_rgb_out, char *err, size_t errlen);

/* The pieces, exposed for tests and for callers that already hold a crop. */

/* The size Resize(S) gives: short side -> S, long -> floor(S*long/short). */
void clip_resize_size(int w, int h, int image_size, int *new_w, int *new_h);
/* CenterCrop(S) box of a w x h image: left, top (Python round-half-even of
 * (w-S)/2, (h-S)/2). Negative when the image is smaller than S (only with
 * the pieces used on their own; clip_preprocess never produces that). */
void clip_center_crop_offset(int w, int h, int image_size, int *left, int *top);
/* Normalises an S*S*3 RGB crop into 3*S*S CHW floats: ((float)u/255.0f - mean)/std.
 * mean/std NULL -> OpenAI constants. */
void clip_normalize(const unsigned char *rgb, int image_size, const float mean[3], const float std[3],
                    float *out_chw);

#endif
