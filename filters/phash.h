/* phash.h — 64-bit perceptual hash for near-duplicate images.
 *
 * The pHash DCT hash: the image is reduced to 32x32 gray (ITU-R 601 luma as
 * Pillow's convert("L"), Lanczos/antialiased resampling), a 2-D DCT-II is
 * taken, and the 8x8 lowest frequencies excluding the DC row and column
 * (coefficients [1..8] x [1..8]) are compared with their median: bit
 * (u-1)*8+(v-1) is 1 where the coefficient is above it. Re-encoding, mild
 * resizing and small colour shifts change few bits; unrelated images differ
 * in about 32. A Hamming distance <= 8..10 is a usual near-duplicate cut.
 */
#ifndef CC_FILTERS_PHASH_H
#define CC_FILTERS_PHASH_H

#include <stdint.h>
#include "image.h"

/* Hash of a decoded image. Accepts any img_mode (L, LA, RGB, RGBA, P; alpha
 * and palettes are composited on white first, as img_to_rgb does). Returns 0
 * for an image without pixels. Never modifies im. */
uint64_t img_phash64(const img_image *rgb);

/* Number of differing bits (0..64). */
int img_hamming64(uint64_t a, uint64_t b);

/* The band layout of the index's near-duplicate table (schema/004-filters.sql,
 * phash_bands): for a maximum distance d there are clamp(d + 1, 1, 16) bands
 * of ceil(64 / nbands) bits from bit 0, so two hashes within d bits (d < 16)
 * agree on at least one whole band. */
int img_phash_nbands(int max_distance);
/* The bits of band `band` of h in an nbands layout (0 past bit 63). */
int64_t img_phash_band(uint64_t h, int band, int nbands);

#endif
