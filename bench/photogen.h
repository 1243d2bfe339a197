/* photogen.h — deterministic photo-like test pictures (bench and demo only).
 *
 * Smooth gradients, soft-edged shapes, low-frequency texture and a little
 * per-pixel noise, so JPEG files come out about the size real photos of that
 * size have. The same (w, h, seed) always gives the same pixels. */
#ifndef CC_BENCH_PHOTOGEN_H
#define CC_BENCH_PHOTOGEN_H

#include <stdint.h>

/* Fills rgb (w*h*3 bytes, caller-owned) with picture number seed. */
void photogen_make(int w, int h, uint64_t seed, unsigned char *rgb);

/* The size of picture idx in the cycle: 320x240 ... 1600x1200 (every fifth
 * portrait), or with small != 0, 160x120 ... 400x300. */
void photogen_size(int idx, int small, int *w, int *h);

#endif
