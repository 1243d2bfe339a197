/* image-gif.c — the first frame of a GIF, through giflib's record API.
 *
 * DGifSlurp() would decode every frame of an animation into memory (a
 * thousand-frame GIF is a memory bomb), so we read records one at a time and
 * stop after the first image. */
#include "image-internal.h"

#include <gif_lib.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *p;
    size_t n, off;
} gif_src;

static int gif_read(GifFileType *g, GifByteType *out, int len)
{
    gif_src *s = g->UserData;
    if (len < 0)
        return 0;
    size_t k = (size_t)len;
    if (k > s->n - s->off)
        k = s->n - s->off;
    memcpy(out, s->p + s->off, k);
    s->off += k;
    return (int)k;
}

cc_err img_gif_header(const unsigned char *p, size_t n, int *w, int *h, char *err, size_t errlen)
{
    if (n < 13 || (memcmp(p, "GIF87a", 6) != 0 && memcmp(p, "GIF89a", 6) != 0)) {
        cc_seterr(err, errlen, "broken GIF: no header");
        return CC_ERR_FORMAT;
    }
    *w = p[6] | p[7] << 8;
    *h = p[8] | p[9] << 8;
    if (*w == 0 || *h == 0) {
        cc_seterr(err, errlen, "broken GIF: bad dimensions %dx%d", *w, *h);
        return CC_ERR_FORMAT;
    }
    return CC_OK;
}

static cc_err gif_fail(GifFileType *g, unsigned char *pixels, unsigned char *line, const char *what, char *err,
                       size_t errlen)
{
    int code = g ? g->Error : 0;
    cc_seterr(err, errlen, "broken GIF: %s (%s)", what, GifErrorString(code) ? GifErrorString(code) : "?");
    free(pixels);
    free(line);
    if (g)
        DGifCloseFile(g, NULL);
    return CC_ERR_FORMAT;
}

cc_err img_gif_decode(const unsigned char *p, size_t n, uint64_t max_pixels, img_image *out, char *err,
                      size_t errlen)
{
    int sw, sh;
    memset(out, 0, sizeof *out);
    cc_err rc = img_gif_header(p, n, &sw, &sh, err, errlen);
    if (rc)
        return rc;
    if (max_pixels && (uint64_t)sw * (uint64_t)sh > max_pixels) {
        cc_seterr(err, errlen, "GIF of %dx%d exceeds the pixel cap of %llu", sw, sh, (unsigned long long)max_pixels);
        return CC_ERR_RANGE;
    }
    gif_src src = {p, n, 0};
    int gerr = 0;
    GifFileType *g = DGifOpen(&src, gif_read, &gerr);
    if (!g) {
        cc_seterr(err, errlen, "broken GIF: %s", GifErrorString(gerr) ? GifErrorString(gerr) : "cannot open");
        return CC_ERR_FORMAT;
    }
    int transparent = -1;
    unsigned char *pixels = NULL, *line = NULL;
    for (;;) {
        GifRecordType rt;
        if (DGifGetRecordType(g, &rt) == GIF_ERROR)
            return gif_fail(g, pixels, line, "bad record", err, errlen);
        if (rt == TERMINATE_RECORD_TYPE)
            return gif_fail(g, pixels, line, "no image in the file", err, errlen);
        if (rt == EXTENSION_RECORD_TYPE) {
            int code;
            GifByteType *ext;
            if (DGifGetExtension(g, &code, &ext) == GIF_ERROR)
                return gif_fail(g, pixels, line, "bad extension", err, errlen);
            if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4)
                transparent = (ext[1] & 1) ? ext[4] : -1;
            while (ext) {
                if (DGifGetExtensionNext(g, &ext) == GIF_ERROR)
                    return gif_fail(g, pixels, line, "bad extension", err, errlen);
            }
            continue;
        }
        if (rt != IMAGE_DESC_RECORD_TYPE)
            continue;
        if (DGifGetImageDesc(g) == GIF_ERROR)
            return gif_fail(g, pixels, line, "bad image descriptor", err, errlen);
        break;
    }
    const GifImageDesc *d = &g->Image;
    const ColorMapObject *cm = d->ColorMap ? d->ColorMap : g->SColorMap;
    if (!cm || cm->ColorCount <= 0 || cm->ColorCount > 256)
        return gif_fail(g, pixels, line, "no colour table", err, errlen);
    if (d->Width <= 0 || d->Height <= 0 || d->Width > 65535 || d->Height > 65535)
        return gif_fail(g, pixels, line, "bad frame size", err, errlen);
    int fill = transparent >= 0 ? transparent : (g->SBackGroundColor < cm->ColorCount ? g->SBackGroundColor : 0);
    pixels = xmalloc((size_t)sw * sh + 1);
    memset(pixels, fill, (size_t)sw * sh);
    line = xmalloc((size_t)d->Width + 1);
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    int passes = d->Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; pass++) {
        int y0 = d->Interlace ? start[pass] : 0, dy = d->Interlace ? step[pass] : 1;
        for (int y = y0; y < d->Height; y += dy) {
            if (DGifGetLine(g, line, d->Width) == GIF_ERROR)
                return gif_fail(g, pixels, line, "truncated image data", err, errlen);
            int cy = d->Top + y;
            if (cy < 0 || cy >= sh)
                continue;
            for (int x = 0; x < d->Width; x++) {
                int cx = d->Left + x;
                if (cx >= 0 && cx < sw)
                    pixels[(size_t)cy * sw + cx] = line[x];
            }
        }
    }
    free(line);
    out->width = out->original_width = sw;
    out->height = out->original_height = sh;
    out->mode = IMG_MODE_P;
    out->channels = 1;
    out->pixels = pixels;
    for (int i = 0; i < 256; i++) {
        unsigned char *e = out->palette_rgba + 4 * i;
        if (i < cm->ColorCount) {
            e[0] = cm->Colors[i].Red;
            e[1] = cm->Colors[i].Green;
            e[2] = cm->Colors[i].Blue;
        }
        e[3] = i == transparent ? 0 : 255;
    }
    out->palette_has_alpha = transparent >= 0 && transparent < cm->ColorCount;
    DGifCloseFile(g, NULL);
    return CC_OK;
}
