/* photogen.c — see photogen.h. */
#include "photogen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double frand(uint64_t *s) { return (splitmix(s) >> 11) * (1.0 / 9007199254740992.0); }

void photogen_size(int idx, int small, int *w, int *h)
{
    static const int big[][2] = {{320, 240}, {480, 360}, {640, 480}, {800, 600}, {1024, 768}, {1280, 960}, {1600, 1200}};
    static const int sm[][2] = {{160, 120}, {200, 150}, {240, 180}, {320, 240}, {400, 300}};
    const int(*t)[2] = small ? sm : big;
    int n = small ? 5 : 7;
    int i = idx % n;
    *w = t[i][0];
    *h = t[i][1];
    if (idx % 5 == 4) { /* some portraits */
        int k = *w;
        *w = *h;
        *h = k;
    }
}

/* Value noise: a coarse random grid, bilinearly interpolated. */
typedef struct {
    int gw, gh;
    float *v;
} grid;

static void grid_make(grid *g, int gw, int gh, uint64_t *s)
{
    g->gw = gw;
    g->gh = gh;
    g->v = malloc(sizeof(float) * (size_t)(gw + 2) * (gh + 2));
    if (!g->v)
        abort();
    for (int i = 0; i < (gw + 2) * (gh + 2); i++)
        g->v[i] = (float)(frand(s) * 2 - 1);
}

static inline float grid_at(const grid *g, float x, float y) /* x,y in [0,1) */
{
    float fx = x * g->gw, fy = y * g->gh;
    int ix = (int)fx, iy = (int)fy;
    float tx = fx - ix, ty = fy - iy;
    tx = tx * tx * (3 - 2 * tx);
    ty = ty * ty * (3 - 2 * ty);
    const float *r0 = g->v + (size_t)iy * (g->gw + 2) + ix, *r1 = r0 + g->gw + 2;
    float a = r0[0] + (r0[1] - r0[0]) * tx, b = r1[0] + (r1[1] - r1[0]) * tx;
    return a + (b - a) * ty;
}

void photogen_make(int w, int h, uint64_t seed, unsigned char *rgb)
{
    uint64_t s = seed * 0x2545F4914F6CDD1Dull + 1;
    float top[3], bot[3], side[3];
    for (int c = 0; c < 3; c++) {
        top[c] = (float)(60 + 190 * frand(&s));
        bot[c] = (float)(20 + 160 * frand(&s));
        side[c] = (float)(-40 + 80 * frand(&s));
    }
    grid g1, g2, g3;
    grid_make(&g1, 4, 3, &s);
    grid_make(&g2, 24, 18, &s);
    grid_make(&g3, 90, 70, &s);
    float *img = malloc(sizeof(float) * (size_t)w * h * 3);
    if (!img)
        abort();
    /* background: gradients + textures */
    for (int y = 0; y < h; y++) {
        float fy = (float)y / h;
        for (int x = 0; x < w; x++) {
            float fx = (float)x / w;
            float t = 18 * grid_at(&g1, fx, fy) + 14 * grid_at(&g2, fx, fy) + 14 * grid_at(&g3, fx, fy);
            float *p = img + ((size_t)y * w + x) * 3;
            for (int c = 0; c < 3; c++)
                p[c] = top[c] + (bot[c] - top[c]) * fy + side[c] * fx + t;
        }
    }
    /* soft-edged shapes, each with its own shading */
    int nshapes = 5 + (int)(frand(&s) * 10);
    for (int k = 0; k < nshapes; k++) {
        float cx = (float)(frand(&s) * w), cy = (float)(frand(&s) * h);
        float rx = (float)((0.05 + 0.25 * frand(&s)) * w), ry = (float)((0.05 + 0.25 * frand(&s)) * h);
        int ellipse = frand(&s) < 0.6;
        float col[3], shade = (float)(frand(&s) * 60 - 30), edge = (float)(1.0 + 3.0 * frand(&s));
        for (int c = 0; c < 3; c++)
            col[c] = (float)(255 * frand(&s));
        int x0 = (int)(cx - rx - edge - 1), x1 = (int)(cx + rx + edge + 1);
        int y0 = (int)(cy - ry - edge - 1), y1 = (int)(cy + ry + edge + 1);
        if (x0 < 0) x0 = 0;
        if (y0 < 0) y0 = 0;
        if (x1 > w) x1 = w;
        if (y1 > h) y1 = h;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                float dx = (x - cx) / rx, dy = (y - cy) / ry, d;
                if (ellipse)
                    d = (sqrtf(dx * dx + dy * dy) - 1) * (rx < ry ? rx : ry);
                else
                    d = fmaxf((fabsf(dx) - 1) * rx, (fabsf(dy) - 1) * ry);
                float a = 0.5f - d / (2 * edge);
                if (a <= 0)
                    continue;
                if (a > 1)
                    a = 1;
                float sh = shade * (dx + dy) * 0.5f;
                float *p = img + ((size_t)y * w + x) * 3;
                for (int c = 0; c < 3; c++)
                    p[c] += a * (col[c] + sh - p[c]);
            }
    }
    /* fine grain: keeps the files photo-sized */
    /* smaller pictures carry more detail per pixel, as downscaled photos do */
    int mx = w > h ? w : h;
    float amp = 1.1f * sqrtf(1600.0f / (float)mx);
    if (amp > 2.4f)
        amp = 2.4f;
    uint64_t ns = s;
    for (size_t i = 0; i < (size_t)w * h * 3; i++) {
        if ((i & 7) == 0)
            ns = splitmix(&s);
        float v = img[i] + (float)((int)(ns & 15) - 7.5) * amp;
        ns >>= 8;
        rgb[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
    }
    free(img);
    free(g1.v);
    free(g2.v);
    free(g3.v);
}
