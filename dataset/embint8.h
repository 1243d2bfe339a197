/* embint8.h — the int8 copy of an embedding file: quantising a row, and the
 * bound that lets a search read the copy and still return the exact top-k.
 *
 * Row r of DIR/embeddings/<model>-<prec>.i8 (format in
 * schema/EMBEDDINGS_FORMAT.md) is row r of the F16 file as
 *     float scale, float resid, float norm, float 0, then dim signed bytes
 * with x ≈ scale · bytes (bytes in -127..127), resid ≥ ||x − scale·bytes||₂
 * and norm ≥ ||x||₂, x being the F16 row as floats. It is half the bytes of
 * the F16 row (528 instead of 1,024 at 512-d).
 *
 * Why the top-k stays exact: the query q is quantised the same way
 * (q = qs·q8 + f). For row x, with D = bytes·q8 (an exact integer),
 *     |x·q − scale·qs·D| ≤ (norm + resid)·||f|| + resid·||q||
 * and the float dot product the exact search computes differs from x·q by at
 * most γ·norm·||q|| (γ = (dim+1)·2⁻²⁴/(1 − (dim+1)·2⁻²⁴), any summation order).
 * embi8_bound() adds these (and a margin for its own rounding) to the
 * approximate score, so it is an upper bound of the exact score the F16
 * search would give the row. A search keeps the rows with the best bounds,
 * rescores them from the F16 file, and proves no other row can reach the
 * k-th exact score (dataset/embstore.c). Rows holding NaN or infinity get an
 * infinite bound, so they are always rescored. */
#ifndef CC_DATASET_EMBINT8_H
#define CC_DATASET_EMBINT8_H

#include <stddef.h>
#include <stdint.h>

#define EMBI8_MAGIC "CCEMBI8\0" /* 8 bytes */
#define EMBI8_VERSION 1
#define EMBI8_DTYPE 2           /* int8 rows with a 16-byte head (scale, resid, norm, 0) */
#define EMBI8_ROW_HEAD 16

/* Bytes of one row of dim elements. */
static inline size_t embi8_stride(int dim) { return EMBI8_ROW_HEAD + (size_t)dim; }

/* Quantises x (dim floats, the F16 row as floats) into out
 * (embi8_stride(dim) bytes, little-endian floats). */
void embi8_quantize(const float *x, int dim, unsigned char *out);

typedef int32_t (*embi8_dot_fn)(const int8_t *a, const int8_t *b, int dim);

/* A query prepared for the int8 pass. */
typedef struct {
    int dim;
    embi8_dot_fn dot; /* AVX2 when the CPU has it, else scalar: both exact integers */
    int8_t *q8;      /* dim bytes, -127..127 */
    float qs;        /* q ≈ qs · q8 */
    float c_norm;    /* bound = approx + c_norm·norm + c_resid·resid (+ margin) */
    float c_resid;
} embi8_query;

void embi8_query_init(embi8_query *p, const float *q, int dim);
void embi8_query_free(embi8_query *p);

/* An upper bound of the exact score of the row at p_row (one row of the
 * file, embi8_stride(dim) bytes): +INFINITY for rows with NaN or infinity. */
float embi8_bound(const embi8_query *p, const unsigned char *row);

/* The integer dot product of dim bytes (AVX2 when the CPU has it, checked
 * at run time); embi8_dot is a convenience for the tests. */
embi8_dot_fn embi8_dot_kernel(void);
int32_t embi8_dot(const int8_t *a, const int8_t *b, int dim);

#endif
