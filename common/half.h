/* half.h — IEEE 754 half floats (binary16), as safetensors F16 weights,
 * stored CLIP embeddings (clip_scores.image_emb) and embedding files hold them.
 *
 * cc_f16_to_f32 is exact for every input (subnormals, infinities, NaN).
 * cc_f32_to_f16 rounds to nearest, ties to even; values that round to 65520
 * or more become infinity, NaN stays NaN (quiet). Both are pure functions. */
#ifndef CC_COMMON_HALF_H
#define CC_COMMON_HALF_H

#include <stdint.h>

float cc_f16_to_f32(uint16_t h);
uint16_t cc_f32_to_f16(float f);

#endif
