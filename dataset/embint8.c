/* embint8.c — int8 rows and their exactness bound (see embint8.h). */
#include "embint8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EMBI8_X86 1
#endif

static void put_f32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

static float get_f32(const unsigned char *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* v as a float no smaller than v. */
static float up(double v)
{
    float f = (float)v;
    if ((double)f < v)
        f = nextafterf(f, INFINITY);
    return f;
}

/* Rounds x / s to -127..127. */
static int8_t q127(double x, double s)
{
    double r = nearbyint(x / s);
    return (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
}

void embi8_quantize(const float *x, int dim, unsigned char *out)
{
    if (dim <= 0)
        return;
    int8_t *b = (int8_t *)(out + EMBI8_ROW_HEAD);
    double m = 0, nn = 0;
    int finite = 1;
    for (int i = 0; i < dim; i++) {
        if (!isfinite(x[i]))
            finite = 0;
        else if (fabs(x[i]) > m)
            m = fabs(x[i]);
        nn += (double)x[i] * x[i];
    }
    float scale = 0, resid = 0, norm = 0;
    memset(b, 0, (size_t)dim);
    if (!finite) {
        resid = norm = INFINITY; /* always rescored */
    } else if (m > 0) {
        scale = (float)(m / 127); /* 0 for subnormal rows: then resid = norm keeps the bound */
        double rr = 0;
        for (int i = 0; i < dim; i++) {
            if (scale > 0)
                b[i] = q127(x[i], scale);
            double e = (double)x[i] - (double)scale * b[i];
            rr += e * e;
        }
        resid = up(sqrt(rr) * (1 + 1e-9));
        norm = up(sqrt(nn) * (1 + 1e-9));
    }
    put_f32(out, scale);
    put_f32(out + 4, resid);
    put_f32(out + 8, norm);
    put_f32(out + 12, 0);
}

void embi8_query_init(embi8_query *p, const float *q, int dim)
{
    p->dim = dim;
    p->dot = embi8_dot_kernel();
    p->q8 = xcalloc((size_t)dim + 1, 1);
    double m = 0, qq = 0;
    int finite = 1;
    for (int i = 0; i < dim; i++) {
        if (!isfinite(q[i]))
            finite = 0;
        else if (fabs(q[i]) > m)
            m = fabs(q[i]);
        qq += (double)q[i] * q[i];
    }
    p->qs = finite && m > 0 ? (float)(m / 127) : 0;
    double ff = 0;
    for (int i = 0; i < dim; i++) {
        if (p->qs > 0)
            p->q8[i] = q127(q[i], p->qs);
        double f = (double)q[i] - (double)p->qs * p->q8[i];
        ff += f * f;
    }
    if (!finite) {
        p->c_norm = p->c_resid = INFINITY;
        return;
    }
    double Q = sqrt(qq) * (1 + 1e-9), F = sqrt(ff) * (1 + 1e-9);
    double u = ldexp(1, -24) * (dim + 1), gamma = u / (1 - u);
    double margin = 1e-6 * (Q + F); /* the float rounding of the approximate score and of the bound itself */
    p->c_norm = up((F + gamma * Q + margin) * (1 + 1e-6));
    p->c_resid = up((F + Q + margin) * (1 + 1e-6));
}

void embi8_query_free(embi8_query *p)
{
    free(p->q8);
    p->q8 = NULL;
}

static int32_t dot_scalar(const int8_t *a, const int8_t *b, int dim)
{
    int32_t s = 0;
    for (int i = 0; i < dim; i++)
        s += (int32_t)a[i] * b[i];
    return s;
}

#ifdef EMBI8_X86
/* |a|·(b·sign a) = a·b; pairs of 8-bit products fit 16 bits (2·128·127 <
 * 32768) because b stays within -127..127. */
__attribute__((target("avx2"))) static int32_t dot_avx2(const int8_t *a, const int8_t *b, int dim)
{
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    int i = 0;
    for (; i + 64 <= dim; i += 64) {
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(a + i)), y0 = _mm256_loadu_si256((const __m256i *)(b + i));
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(a + i + 32)),
                y1 = _mm256_loadu_si256((const __m256i *)(b + i + 32));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(x0), _mm256_sign_epi8(y0, x0)), ones));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(x1), _mm256_sign_epi8(y1, x1)), ones));
    }
    for (; i + 32 <= dim; i += 32) {
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(a + i)), y0 = _mm256_loadu_si256((const __m256i *)(b + i));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(x0), _mm256_sign_epi8(y0, x0)), ones));
    }
    __m256i acc = _mm256_add_epi32(acc0, acc1);
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    int32_t r = _mm_cvtsi128_si32(s);
    for (; i < dim; i++)
        r += (int32_t)a[i] * b[i];
    return r;
}
#endif

embi8_dot_fn embi8_dot_kernel(void)
{
#ifdef EMBI8_X86
    if (__builtin_cpu_supports("avx2"))
        return dot_avx2;
#endif
    return dot_scalar;
}

int32_t embi8_dot(const int8_t *a, const int8_t *b, int dim) { return embi8_dot_kernel()(a, b, dim); }

float embi8_bound(const embi8_query *p, const unsigned char *row)
{
    float scale = get_f32(row), resid = get_f32(row + 4), norm = get_f32(row + 8);
    int32_t d = p->dot((const int8_t *)(row + EMBI8_ROW_HEAD), p->q8, p->dim);
    if (!(resid >= 0) || !(norm >= 0)) /* a damaged row bounds nothing */
        return INFINITY;
    float b = scale * p->qs * (float)d + p->c_norm * norm + p->c_resid * resid;
    return b < INFINITY ? b : INFINITY; /* NaN (0·∞) counts as unbounded */
}
