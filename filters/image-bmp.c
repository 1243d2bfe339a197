/* image-bmp.c — a small reader for Windows bitmaps (no library in Debian
 * reads BMP from memory without pulling in a toolkit).
 *
 * Layout: a 14-byte file header ("BM", size, reserved, pixel-data offset),
 * then a DIB header whose first 4 bytes give its size: 12 (OS/2 CORE: 16-bit
 * sizes, 3-byte palette entries), 40 (INFO), 52/56 (INFO + masks), 108 (V4)
 * or 124 (V5). Rows are padded to 4 bytes and stored bottom-up unless the
 * height is negative. Every field is little-endian and untrusted: each read
 * is bounds-checked against the buffer. */
#include "image-internal.h"

#include <stdlib.h>
#include <string.h>

enum { BI_RGB = 0, BI_RLE8 = 1, BI_RLE4 = 2, BI_BITFIELDS = 3, BI_JPEG = 4, BI_PNG = 5, BI_ALPHABITFIELDS = 6 };

typedef struct {
    int w, h, top_down, bpp, compression, core;
    uint32_t data_off, hdr_size, ncolors;
    uint32_t mask[4]; /* r g b a */
} bmp_info;

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static cc_err bad(char *err, size_t errlen, const char *what)
{
    cc_seterr(err, errlen, "broken BMP: %s", what);
    return CC_ERR_FORMAT;
}

static cc_err parse(const unsigned char *p, size_t n, bmp_info *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    if (n < 26 || p[0] != 'B' || p[1] != 'M')
        return bad(err, errlen, "no header");
    b->data_off = le32(p + 10);
    b->hdr_size = le32(p + 14);
    if (b->hdr_size == 12) {
        b->core = 1;
        b->w = le16(p + 18);
        b->h = (int16_t)le16(p + 20);
        b->bpp = le16(p + 24);
    } else if (b->hdr_size >= 40 && b->hdr_size <= 124) {
        if (n < 14 + (size_t)b->hdr_size)
            return bad(err, errlen, "truncated header");
        int32_t w = (int32_t)le32(p + 18), h = (int32_t)le32(p + 22);
        if (w <= 0 || h == 0 || h == INT32_MIN)
            return bad(err, errlen, "bad dimensions");
        b->w = w;
        b->top_down = h < 0;
        b->h = h < 0 ? -h : h;
        b->bpp = le16(p + 28);
        b->compression = (int)le32(p + 30);
        b->ncolors = le32(p + 46);
        if (b->compression == BI_BITFIELDS || b->compression == BI_ALPHABITFIELDS) {
            /* masks follow a 40-byte header, or are part of a V2+ header */
            size_t at = 14 + 40;
            int k = b->compression == BI_ALPHABITFIELDS || b->hdr_size >= 56 ? 4 : 3;
            if (n < at + 4 * (size_t)k)
                return bad(err, errlen, "truncated colour masks");
            for (int i = 0; i < k; i++)
                b->mask[i] = le32(p + at + 4 * i);
        } /* 32-bit BI_RGB is BGRX: its fourth byte is ignored (as Pillow does) */
    } else {
        return bad(err, errlen, "unknown DIB header size");
    }
    if (b->w <= 0 || b->h <= 0 || b->w > 1 << 20 || b->h > 1 << 20)
        return bad(err, errlen, "bad dimensions");
    if (b->compression == BI_RLE8 || b->compression == BI_RLE4 || b->compression == BI_JPEG ||
        b->compression == BI_PNG) {
        cc_seterr(err, errlen, "unsupported BMP compression %d", b->compression);
        return CC_ERR_UNSUPPORTED;
    }
    if (b->compression != BI_RGB && b->compression != BI_BITFIELDS && b->compression != BI_ALPHABITFIELDS)
        return bad(err, errlen, "unknown compression");
    switch (b->bpp) {
    case 1: case 4: case 8: case 24:
        if (b->compression != BI_RGB)
            return bad(err, errlen, "bit fields with a palette depth");
        break;
    case 16: case 32:
        if (b->compression == BI_RGB) {
            if (b->bpp == 16) {
                b->mask[0] = 0x7C00, b->mask[1] = 0x03E0, b->mask[2] = 0x001F;
            } else {
                b->mask[0] = 0xFF0000, b->mask[1] = 0xFF00, b->mask[2] = 0xFF;
            }
        }
        break;
    default:
        return bad(err, errlen, "bad bit depth");
    }
    return CC_OK;
}

cc_err img_bmp_header(const unsigned char *p, size_t n, int *w, int *h, char *err, size_t errlen)
{
    bmp_info b;
    cc_err rc = parse(p, n, &b, err, errlen);
    if (rc == CC_OK) {
        *w = b.w;
        *h = b.h;
    }
    return rc;
}

/* Scales the bits of v under mask to 0..255. */
static unsigned char channel(uint32_t v, uint32_t mask)
{
    if (!mask)
        return 0;
    int shift = 0;
    while (!(mask & 1u)) {
        mask >>= 1;
        shift++;
    }
    uint32_t bits = (v >> shift) & mask;
    if (mask == 0xFF)
        return (unsigned char)bits;
    return (unsigned char)(((uint64_t)bits * 255u + mask / 2) / mask);
}

cc_err img_bmp_decode(const unsigned char *p, size_t n, uint64_t max_pixels, img_image *out, char *err,
                      size_t errlen)
{
    bmp_info b;
    memset(out, 0, sizeof *out);
    cc_err rc = parse(p, n, &b, err, errlen);
    if (rc)
        return rc;
    if (max_pixels && (uint64_t)b.w * (uint64_t)b.h > max_pixels) {
        cc_seterr(err, errlen, "BMP of %dx%d exceeds the pixel cap of %llu", b.w, b.h, (unsigned long long)max_pixels);
        return CC_ERR_RANGE;
    }
    uint64_t stride = (((uint64_t)b.w * (uint64_t)b.bpp + 31) / 32) * 4;
    if (b.data_off > n || stride * (uint64_t)b.h > n - b.data_off)
        return bad(err, errlen, "pixel data truncated");
    /* palette */
    unsigned char pal[256][3];
    memset(pal, 0, sizeof pal);
    if (b.bpp <= 8) {
        uint32_t maxc = 1u << b.bpp;
        uint32_t nc = b.core ? maxc : (b.ncolors ? b.ncolors : maxc);
        if (nc > maxc)
            nc = maxc;
        size_t entry = b.core ? 3 : 4;
        size_t at = 14 + (size_t)b.hdr_size;
        if (at + entry * nc > b.data_off || at + entry * nc > n)
            return bad(err, errlen, "palette truncated");
        for (uint32_t i = 0; i < nc; i++) {
            const unsigned char *e = p + at + entry * i;
            pal[i][0] = e[2];
            pal[i][1] = e[1];
            pal[i][2] = e[0];
        }
    }
    int alpha = (b.bpp == 16 || b.bpp == 32) && b.mask[3] != 0;
    int ch = alpha ? 4 : 3;
    unsigned char *px = xmalloc((size_t)b.w * b.h * ch + 1);
    for (int y = 0; y < b.h; y++) {
        const unsigned char *row = p + b.data_off + stride * (uint64_t)(b.top_down ? y : b.h - 1 - y);
        unsigned char *o = px + (size_t)y * b.w * ch;
        for (int x = 0; x < b.w; x++, o += ch) {
            switch (b.bpp) {
            case 1: case 4: case 8: {
                size_t bit = (size_t)x * b.bpp;
                unsigned v = row[bit / 8];
                v = (v >> (8 - b.bpp - bit % 8)) & ((1u << b.bpp) - 1);
                memcpy(o, pal[v], 3);
                break;
            }
            case 24:
                o[0] = row[3 * x + 2];
                o[1] = row[3 * x + 1];
                o[2] = row[3 * x];
                break;
            default: {
                uint32_t v = b.bpp == 16 ? le16(row + 2 * x) : le32(row + 4 * x);
                o[0] = channel(v, b.mask[0]);
                o[1] = channel(v, b.mask[1]);
                o[2] = channel(v, b.mask[2]);
                if (alpha)
                    o[3] = channel(v, b.mask[3]);
            }
            }
        }
    }
    out->width = out->original_width = b.w;
    out->height = out->original_height = b.h;
    out->mode = alpha ? IMG_MODE_RGBA : IMG_MODE_RGB;
    out->channels = ch;
    out->pixels = px;
    return CC_OK;
}
