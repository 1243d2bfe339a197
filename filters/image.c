/* image.c — sniffing, header probing, decoding (JPEG/PNG/WebP) and checks.
 * Resizing lives in image-resize.c, encoding in image-encode.c, budgeted
 * progressive JPEG decoding in image-jpeg.c, GIF in image-gif.c, BMP in
 * image-bmp.c. */
#include "image.h"
#include "image-internal.h"

#include <ctype.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <turbojpeg.h>
#include <webp/decode.h>

/* ---- small helpers ------------------------------------------------------ */

void img_image_free(img_image *im)
{
    if (!im)
        return;
    free(im->pixels);
    memset(im, 0, sizeof *im);
}

static void image_alloc(img_image *out, int w, int h, img_mode mode, int channels)
{
    memset(out, 0, sizeof *out);
    out->width = w;
    out->height = h;
    out->mode = mode;
    out->channels = channels;
    out->original_width = w;
    out->original_height = h;
    out->pixels = xmalloc((size_t)w * h * channels + 1);
}

/* Per-thread TurboJPEG handles: creating one costs more than decoding a
 * thumbnail, and a handle must not be shared between threads. */
static pthread_key_t tj_key;
static pthread_once_t tj_once = PTHREAD_ONCE_INIT;
typedef struct { tjhandle dec, enc; } tj_handles;

static void tj_handles_free(void *p)
{
    tj_handles *h = p;
    if (h->dec)
        tjDestroy(h->dec);
    if (h->enc)
        tjDestroy(h->enc);
    free(h);
}
static void tj_key_init(void) { pthread_key_create(&tj_key, tj_handles_free); }

static tj_handles *tj_get(void)
{
    pthread_once(&tj_once, tj_key_init);
    tj_handles *h = pthread_getspecific(tj_key);
    if (!h) {
        h = xcalloc(1, sizeof *h);
        pthread_setspecific(tj_key, h);
    }
    return h;
}

tjhandle img_tj_decompressor(void)
{
    tj_handles *h = tj_get();
    if (!h->dec && !(h->dec = tjInitDecompress()))
        abort(); /* only fails on allocation failure */
    return h->dec;
}

tjhandle img_tj_compressor(void)
{
    tj_handles *h = tj_get();
    if (!h->enc && !(h->enc = tjInitCompress()))
        abort();
    return h->enc;
}

/* ---- sniffing ------------------------------------------------------------ */

static int ci_prefix(const unsigned char *p, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower(p[i]) != lit[i])
            return 0;
    return 1;
}

img_format img_sniff(const void *data, size_t n)
{
    const unsigned char *p = data;
    if (!p || n == 0)
        return IMG_FMT_UNKNOWN;
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return IMG_FMT_JPEG;
    if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return IMG_FMT_PNG;
    if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        return IMG_FMT_WEBP;
    if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
        return IMG_FMT_GIF;
    if (n >= 2 && p[0] == 'B' && p[1] == 'M')
        return IMG_FMT_BMP;
    if (n >= 16 && memcmp(p + 4, "ftyp", 4) == 0) {
        /* ISO-BMFF: major brand, then compatible brands to the box's end */
        uint32_t box = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        size_t end = box < n ? box : n;
        for (size_t b = 8; b + 4 <= end; b += 4)
            if (b != 12 && (memcmp(p + b, "avif", 4) == 0 || memcmp(p + b, "avis", 4) == 0))
                return IMG_FMT_AVIF;
    }
    /* Text/HTML served as an image: optional UTF-8 BOM and whitespace, then a tag. */
    size_t i = 0;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < n && i < 4096 && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' || p[i] == '\f'))
        i++;
    if (i < n && p[i] == '<') {
        /* SVG: an <svg> root, perhaps after a prologue, doctype and comments */
        if (ci_prefix(p + i, n - i, "<svg") || ci_prefix(p + i, n - i, "<?xml") ||
            ci_prefix(p + i, n - i, "<!doctype svg") || ci_prefix(p + i, n - i, "<!--")) {
            size_t lim = n < i + 4096 ? n : i + 4096;
            for (size_t k = i; k + 4 <= lim; k++)
                if (p[k] == '<' && ci_prefix(p + k, lim - k, "<svg") &&
                    (k + 4 == lim || p[k + 4] == ' ' || p[k + 4] == '>' || p[k + 4] == '\n' || p[k + 4] == '\t' ||
                     p[k + 4] == '\r'))
                    return IMG_FMT_SVG;
                else if (p[k] == '<' && (ci_prefix(p + k, lim - k, "<html") || ci_prefix(p + k, lim - k, "<body")))
                    break;
        }
        static const char *const tags[] = {"<!doctype", "<html", "<head", "<body", "<?xml", "<!--", "<title",
                                           "<script", "<meta", "<div", "<p>", "<p ", "<h1", "<br", "<table",
                                           "<a ", "<pre", "<style", "<link", "<iframe", "<center", "<form", "<span"};
        for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++)
            if (ci_prefix(p + i, n - i, tags[t])) {
                /* "<?xml" may be an SVG: still not a raster image we decode, and
                 * nearly always an error page when served as image/jpeg. */
                return IMG_FMT_HTML;
            }
    }
    return IMG_FMT_UNKNOWN;
}

/* Name and file extension per format, in img_format order. */
static const struct {
    const char *name, *ext;
} formats[] = {
    [IMG_FMT_UNKNOWN] = {"unknown", "bin"}, [IMG_FMT_JPEG] = {"jpeg", "jpg"}, [IMG_FMT_PNG] = {"png", "png"},
    [IMG_FMT_WEBP] = {"webp", "webp"},      [IMG_FMT_GIF] = {"gif", "gif"},   [IMG_FMT_BMP] = {"bmp", "bmp"},
    [IMG_FMT_HTML] = {"html", "html"},      [IMG_FMT_SVG] = {"svg", "svg"},   [IMG_FMT_AVIF] = {"avif", "avif"},
};

static int format_known(img_format f)
{
    return (int)f > 0 && (size_t)f < sizeof formats / sizeof formats[0] && formats[f].name;
}

const char *img_format_name(img_format f) { return formats[format_known(f) ? f : IMG_FMT_UNKNOWN].name; }

const char *img_format_ext(img_format f) { return formats[format_known(f) ? f : IMG_FMT_UNKNOWN].ext; }

static cc_err refuse_format(img_format f, char *err, size_t errlen)
{
    switch (f) {
    case IMG_FMT_HTML:
        cc_seterr(err, errlen, "not an image: the bytes are HTML/text");
        return CC_ERR_FORMAT;
    case IMG_FMT_SVG:
    case IMG_FMT_AVIF:
        cc_seterr(err, errlen, "unsupported image format: %s", img_format_name(f));
        return CC_ERR_UNSUPPORTED;
    default:
        cc_seterr(err, errlen, "not an image: unknown format");
        return CC_ERR_FORMAT;
    }
}

/* Walks the marker segments up to the first SOS. TurboJPEG 2.1 reports stale
 * dimensions for a stream that ends before its frame header (libjpeg inserts
 * a fake EOI and tjDecompressHeader3 does not check), so we require a frame
 * header and a scan header in the bytes ourselves. Also notes the APP14
 * "Adobe" segment: Photoshop writes CMYK inverted and marks it so, and
 * Pillow reads those as CMYK;I. Returns 0 when SOF and SOS were found. */
typedef struct {
    int sof;          /* the frame marker: 0xC0 baseline, 0xC2 progressive, ... */
    int frame_comps;  /* components in the frame */
    int scan_comps;   /* components in the first scan */
} jpeg_info;

static int jpeg_scan_ex(const unsigned char *p, size_t n, int *w, int *h, int *adobe, jpeg_info *ji)
{
    size_t i = 2;
    int have_sof = 0;
    *adobe = 0;
    if (ji)
        memset(ji, 0, sizeof *ji);
    while (i + 4 <= n) {
        if (p[i] != 0xFF)
            return -1;
        unsigned m = p[i + 1];
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) { /* no length */
            i += 2;
            continue;
        }
        if (m == 0xD9)
            return -1;
        size_t len = (size_t)p[i + 2] << 8 | p[i + 3];
        if (len < 2 || i + 2 + len > n)
            return -1;
        const unsigned char *seg = p + i + 4;
        if (m == 0xEE && len >= 7 && memcmp(seg, "Adobe", 5) == 0)
            *adobe = 1;
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (len < 8)
                return -1;
            *h = seg[1] << 8 | seg[2];
            *w = seg[3] << 8 | seg[4];
            have_sof = 1;
            if (ji) {
                ji->sof = (int)m;
                ji->frame_comps = len >= 8 ? seg[5] : 0;
            }
        }
        if (m == 0xDA) {
            if (ji && len >= 3)
                ji->scan_comps = seg[0];
            return have_sof ? 0 : -1;
        }
        i += 2 + len;
    }
    return -1;
}

static int jpeg_scan(const unsigned char *p, size_t n, int *w, int *h, int *adobe)
{
    return jpeg_scan_ex(p, n, w, h, adobe, NULL);
}

/* A file whose decoding may take more than one pass over the image: a
 * progressive frame, or a first scan that holds only some components. */
static int jpeg_multiscan(const unsigned char *p, size_t n)
{
    int w, h, adobe;
    jpeg_info ji;
    if (jpeg_scan_ex(p, n, &w, &h, &adobe, &ji) != 0)
        return 0;
    int progressive = ji.sof == 0xC2 || ji.sof == 0xC6 || ji.sof == 0xCA || ji.sof == 0xCE;
    return progressive || ji.scan_comps < ji.frame_comps;
}

/* After a failed call, start the next one from a fresh handle: TurboJPEG
 * 2.1 does not always reset its state after an error. */
static void tj_reset_decompressor(void)
{
    tj_handles *h = tj_get();
    if (h->dec)
        tjDestroy(h->dec);
    h->dec = NULL;
}

/* ---- probing ---------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* PNG IHDR read by hand so a huge claim is refused before libpng runs. */
static cc_err png_ihdr(const unsigned char *p, size_t n, int *w, int *h, char *err, size_t errlen)
{
    if (n < 33 || memcmp(p + 12, "IHDR", 4) != 0 || be32(p + 8) != 13) {
        cc_seterr(err, errlen, "broken PNG: no IHDR chunk");
        return CC_ERR_FORMAT;
    }
    uint32_t ww = be32(p + 16), hh = be32(p + 20);
    if (ww == 0 || hh == 0 || ww > 0x7fffffffu || hh > 0x7fffffffu) {
        cc_seterr(err, errlen, "broken PNG: bad dimensions %ux%u", ww, hh);
        return CC_ERR_FORMAT;
    }
    *w = (int)ww;
    *h = (int)hh;
    return CC_OK;
}

static cc_err jpeg_header(const unsigned char *p, size_t n, int *w, int *h, int *cs, char *err, size_t errlen)
{
    int ss = 0, csp = 0, sw = 0, sh = 0, adobe;
    if (n > 0x7fffffff) {
        cc_seterr(err, errlen, "JPEG too large");
        return CC_ERR_RANGE;
    }
    if (jpeg_scan(p, n, &sw, &sh, &adobe) != 0) {
        cc_seterr(err, errlen, "broken JPEG: truncated or missing headers (premature end of data)");
        return CC_ERR_FORMAT;
    }
    if (sw <= 0 || sh <= 0) {
        cc_seterr(err, errlen, "broken JPEG: bad dimensions %dx%d", sw, sh);
        return CC_ERR_FORMAT;
    }
    if (tjDecompressHeader3(img_tj_decompressor(), p, (unsigned long)n, w, h, &ss, &csp) != 0) {
        cc_seterr(err, errlen, "broken JPEG: %s", tjGetErrorStr2(img_tj_decompressor()));
        tj_reset_decompressor();
        return CC_ERR_FORMAT;
    }
    if (*w != sw || *h != sh) {
        cc_seterr(err, errlen, "broken JPEG: inconsistent dimensions");
        tj_reset_decompressor();
        return CC_ERR_FORMAT;
    }
    if (cs)
        *cs = csp;
    return CC_OK;
}

static cc_err webp_header(const unsigned char *p, size_t n, WebPBitstreamFeatures *f, char *err, size_t errlen)
{
    VP8StatusCode st = WebPGetFeatures(p, n, f);
    if (st != VP8_STATUS_OK) {
        cc_seterr(err, errlen, "broken WebP (status %d)", (int)st);
        return st == VP8_STATUS_UNSUPPORTED_FEATURE ? CC_ERR_UNSUPPORTED : CC_ERR_FORMAT;
    }
    if (f->width <= 0 || f->height <= 0) {
        cc_seterr(err, errlen, "broken WebP: bad dimensions");
        return CC_ERR_FORMAT;
    }
    return CC_OK;
}

cc_err img_probe(const void *data, size_t n, img_format *fmt, int *width, int *height, char *err, size_t errlen)
{
    const unsigned char *p = data;
    img_format f = img_sniff(data, n);
    int w = 0, h = 0;
    cc_err rc;
    if (fmt)
        *fmt = f;
    switch (f) {
    case IMG_FMT_JPEG:
        rc = jpeg_header(p, n, &w, &h, NULL, err, errlen);
        break;
    case IMG_FMT_PNG:
        rc = png_ihdr(p, n, &w, &h, err, errlen);
        break;
    case IMG_FMT_WEBP: {
        WebPBitstreamFeatures wf;
        rc = webp_header(p, n, &wf, err, errlen);
        w = wf.width;
        h = wf.height;
        break;
    }
    case IMG_FMT_GIF:
        rc = img_gif_header(p, n, &w, &h, err, errlen);
        break;
    case IMG_FMT_BMP:
        rc = img_bmp_header(p, n, &w, &h, err, errlen);
        break;
    default:
        if (n == 0) {
            cc_seterr(err, errlen, "empty image (0 bytes)");
            return CC_ERR_FORMAT;
        }
        return refuse_format(f, err, errlen);
    }
    if (rc == CC_OK) {
        if (width)
            *width = w;
        if (height)
            *height = h;
    }
    return rc;
}

static cc_err check_pixels(const char *what, int w, int h, uint64_t max_pixels, char *err, size_t errlen)
{
    if (max_pixels && (uint64_t)w * (uint64_t)h > max_pixels) {
        cc_seterr(err, errlen, "%s of %dx%d exceeds the pixel cap of %llu", what, w, h,
                   (unsigned long long)max_pixels);
        return CC_ERR_RANGE;
    }
    /* Our buffers use int strides; keep far from overflow whatever the cap. */
    if ((uint64_t)w * (uint64_t)h > ((uint64_t)1 << 31) / 4) {
        cc_seterr(err, errlen, "%s of %dx%d is too large", what, w, h);
        return CC_ERR_RANGE;
    }
    return CC_OK;
}

/* ---- JPEG ------------------------------------------------------------- */

/* CMYK -> RGB as Pillow's cmyk2rgb (on the un-inverted values). */
static void cmyk_to_rgb(const unsigned char *in, unsigned char *out, size_t npix, int inverted)
{
    for (size_t i = 0; i < npix; i++, in += 4, out += 3) {
        int c = in[0], m = in[1], y = in[2], k = in[3];
        if (inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        int nk = 255 - k, t;
        t = c * nk + 128;
        out[0] = (unsigned char)(nk - (((t >> 8) + t) >> 8));
        t = m * nk + 128;
        out[1] = (unsigned char)(nk - (((t >> 8) + t) >> 8));
        t = y * nk + 128;
        out[2] = (unsigned char)(nk - (((t >> 8) + t) >> 8));
    }
}

static int ci_contains(const char *s, const char *lit)
{
    size_t k = strlen(lit);
    for (; *s; s++)
        if (strncasecmp(s, lit, k) == 0)
            return 1;
    return 0;
}

/* TurboJPEG's DCT scaling for a w x h JPEG: the smallest factor below 1 that
 * keeps both sides >= min_side (none when min_side <= 0), as num/den and the
 * scaled size; 1/1 and w x h when no factor fits. */
static void jpeg_dct_scale(int w, int h, int min_side, int *num, int *den, int *sw, int *sh)
{
    *num = *den = 1, *sw = w, *sh = h;
    if (min_side <= 0)
        return;
    int nsf = 0;
    tjscalingfactor *sf = tjGetScalingFactors(&nsf);
    double best = 1.0;
    for (int i = 0; sf && i < nsf; i++) {
        double s = (double)sf[i].num / sf[i].denom;
        int tw = TJSCALED(w, sf[i]), th = TJSCALED(h, sf[i]);
        if (s < best && tw >= min_side && th >= min_side)
            best = s, *num = sf[i].num, *den = sf[i].denom, *sw = tw, *sh = th;
    }
}

/* want_rgb: decode to RGB (gray expanded); else native (gray -> L).
 * min_side > 0 enables DCT scaling. */
static cc_err decode_jpeg(const unsigned char *p, size_t n, const img_limits *lim, int want_rgb, int min_side,
                          img_image *out, char *err, size_t errlen)
{
    int w, h, cs;
    cc_err rc = jpeg_header(p, n, &w, &h, &cs, err, errlen);
    if (rc)
        return rc;
    if ((rc = check_pixels("JPEG", w, h, lim->max_pixels, err, errlen)))
        return rc;
    int sw, sh, snum, sden;
    jpeg_dct_scale(w, h, min_side, &snum, &sden, &sw, &sh);
    int cmyk = (cs == TJCS_CMYK || cs == TJCS_YCCK);
    int pf, ch;
    img_mode mode;
    if (cmyk) {
        pf = TJPF_CMYK;
        ch = 4;
        mode = IMG_MODE_RGB;
    } else if (cs == TJCS_GRAY && !want_rgb) {
        pf = TJPF_GRAY;
        ch = 1;
        mode = IMG_MODE_L;
    } else {
        pf = TJPF_RGB;
        ch = 3;
        mode = IMG_MODE_RGB;
    }
    unsigned char *buf = NULL;
    if (jpeg_multiscan(p, n)) {
        int dw = 0, dh = 0;
        rc = img_jpeg_decode_limited(p, n, lim, snum, sden, ch, &buf, &dw, &dh, err, errlen);
        if (rc)
            return rc;
        if (dw != sw || dh != sh) {
            free(buf);
            cc_seterr(err, errlen, "broken JPEG: decoded %dx%d, expected %dx%d", dw, dh, sw, sh);
            return CC_ERR_FORMAT;
        }
    } else {
        buf = xmalloc((size_t)sw * sh * ch + 1);
        tjhandle tj = img_tj_decompressor();
        if (tjDecompress2(tj, p, (unsigned long)n, buf, sw, sw * ch, sh, pf, 0) != 0) {
            const char *msg = tjGetErrorStr2(tj);
            /* Warnings (corrupt-but-decodable data) are accepted as libjpeg and
             * Pillow accept them, except a truncated file: that would be a
             * half-grey image. */
            if (tjGetErrorCode(tj) == TJERR_FATAL || ci_contains(msg, "premature end")) {
                cc_seterr(err, errlen, "broken JPEG: %s", msg);
                tj_reset_decompressor();
                free(buf);
                return CC_ERR_FORMAT;
            }
        }
    }
    memset(out, 0, sizeof *out);
    out->width = sw;
    out->height = sh;
    out->mode = mode;
    out->channels = mode == IMG_MODE_L ? 1 : 3;
    out->original_width = w;
    out->original_height = h;
    if (cmyk) {
        out->pixels = xmalloc((size_t)sw * sh * 3 + 1);
        int adobe = 0, dw, dh;
        jpeg_scan(p, n, &dw, &dh, &adobe);
        cmyk_to_rgb(buf, out->pixels, (size_t)sw * sh, adobe);
        free(buf);
    } else {
        out->pixels = buf;
    }
    return CC_OK;
}

/* ---- PNG -------------------------------------------------------------- */

typedef struct {
    const unsigned char *p;
    size_t n, off;
    char msg[IMG_PNG_MSG];
    unsigned char *pixels; /* owned until handed to the image */
    png_bytep *rows;
} png_ctx;

void img_png_error(png_structp png, png_const_charp msg)
{
    char *out = png_get_error_ptr(png);
    snprintf(out, IMG_PNG_MSG, "%s", msg);
    png_longjmp(png, 1);
}
void img_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

png_infop img_png_info(png_structp png)
{
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info)
        abort(); /* out of memory */
    return info;
}
static void png_read_mem(png_structp png, png_bytep out, png_size_t len)
{
    png_ctx *c = png_get_io_ptr(png);
    if (len > c->n - c->off)
        png_error(png, "premature end of data (truncated file)");
    memcpy(out, c->p + c->off, len);
    c->off += len;
}

static cc_err decode_png(const unsigned char *p, size_t n, uint64_t max_pixels, img_image *out, char *err,
                         size_t errlen)
{
    int w, h;
    cc_err rc = png_ihdr(p, n, &w, &h, err, errlen);
    if (rc)
        return rc;
    if ((rc = check_pixels("PNG", w, h, max_pixels, err, errlen)))
        return rc;

    png_ctx c = {.p = p, .n = n};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c.msg, img_png_error, img_png_warning);
    png_infop info = img_png_info(png);
    if (setjmp(png_jmpbuf(png))) {
        cc_seterr(err, errlen, "broken PNG: %s", c.msg[0] ? c.msg : "decode error");
        free(c.pixels);
        free(c.rows);
        png_destroy_read_struct(&png, &info, NULL);
        return CC_ERR_FORMAT;
    }
    png_set_read_fn(png, &c, png_read_mem);
    uint64_t lim = max_pixels && max_pixels < 0x7fffffff ? max_pixels : 0x7fffffff;
    png_set_user_limits(png, (png_uint_32)lim, (png_uint_32)lim);
    png_set_chunk_malloc_max(png, 8u << 20);
    png_read_info(png, info);

    png_uint_32 pw, ph;
    int depth, ctype, interlace;
    png_get_IHDR(png, info, &pw, &ph, &depth, &ctype, &interlace, NULL, NULL);
    int has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    img_mode mode;
    memset(out, 0, sizeof *out);
    switch (ctype) {
    case PNG_COLOR_TYPE_PALETTE: {
        mode = IMG_MODE_P;
        if (depth < 8)
            png_set_packing(png);
        png_colorp pal = NULL;
        int npal = 0;
        if (!png_get_PLTE(png, info, &pal, &npal))
            npal = 0;
        png_bytep ta = NULL;
        int nt = 0;
        if (has_trns)
            png_get_tRNS(png, info, &ta, &nt, NULL);
        for (int i = 0; i < 256; i++) {
            unsigned char *e = out->palette_rgba + 4 * i;
            if (i < npal) {
                e[0] = pal[i].red;
                e[1] = pal[i].green;
                e[2] = pal[i].blue;
            }
            e[3] = (ta && i < nt) ? ta[i] : 255;
            if (e[3] < 255 && i < npal)
                out->palette_has_alpha = 1;
        }
        break;
    }
    case PNG_COLOR_TYPE_GRAY:
        if (depth < 8)
            png_set_expand_gray_1_2_4_to_8(png);
        mode = IMG_MODE_L;
        if (has_trns) {
            png_set_tRNS_to_alpha(png);
            mode = IMG_MODE_LA;
        }
        break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
        mode = IMG_MODE_LA;
        break;
    case PNG_COLOR_TYPE_RGB:
        mode = IMG_MODE_RGB;
        if (has_trns) {
            png_set_tRNS_to_alpha(png);
            mode = IMG_MODE_RGBA;
        }
        break;
    case PNG_COLOR_TYPE_RGB_ALPHA:
        mode = IMG_MODE_RGBA;
        break;
    default:
        png_error(png, "unknown colour type");
    }
    if (depth == 16)
        png_set_strip_16(png); /* keeps the high byte, as Pillow does */
    if (interlace != PNG_INTERLACE_NONE)
        png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int ch = mode == IMG_MODE_P ? 1 : (int)mode;
    size_t stride = (size_t)w * ch;
    if (png_get_rowbytes(png, info) != stride || png_get_channels(png, info) != (png_byte)ch)
        png_error(png, "unexpected row layout after transforms");
    c.pixels = xmalloc(stride * h + 1);
    c.rows = xmalloc(sizeof(png_bytep) * (size_t)h);
    for (int y = 0; y < h; y++)
        c.rows[y] = c.pixels + stride * y;
    png_read_image(png, c.rows);
    /* No png_read_end(): the pixels are complete; a missing IEND is harmless. */
    png_destroy_read_struct(&png, &info, NULL);
    free(c.rows);
    out->width = out->original_width = w;
    out->height = out->original_height = h;
    out->mode = mode;
    out->channels = ch;
    out->pixels = c.pixels;
    return CC_OK;
}

/* ---- WebP ------------------------------------------------------------- */

static cc_err decode_webp(const unsigned char *p, size_t n, uint64_t max_pixels, img_image *out, char *err,
                          size_t errlen)
{
    WebPBitstreamFeatures f;
    cc_err rc = webp_header(p, n, &f, err, errlen);
    if (rc)
        return rc;
    if (f.has_animation) {
        cc_seterr(err, errlen, "animated WebP is not supported");
        return CC_ERR_UNSUPPORTED;
    }
    if ((rc = check_pixels("WebP", f.width, f.height, max_pixels, err, errlen)))
        return rc;
    int ch = f.has_alpha ? 4 : 3;
    image_alloc(out, f.width, f.height, f.has_alpha ? IMG_MODE_RGBA : IMG_MODE_RGB, ch);
    size_t stride = (size_t)f.width * ch;
    uint8_t *r = f.has_alpha ? WebPDecodeRGBAInto(p, n, out->pixels, stride * f.height, (int)stride)
                             : WebPDecodeRGBInto(p, n, out->pixels, stride * f.height, (int)stride);
    if (!r) {
        img_image_free(out);
        cc_seterr(err, errlen, "broken WebP: decode failed");
        return CC_ERR_FORMAT;
    }
    return CC_OK;
}

/* ---- public decoders ------------------------------------------------------ */

void img_limits_default(img_limits *l, uint64_t max_pixels)
{
    l->max_pixels = max_pixels;
    l->max_scans = IMG_DEFAULT_MAX_SCANS;
    l->cpu_seconds = IMG_DEFAULT_CPU_SECONDS;
}

int img_format_decodable(img_format f)
{
    return f == IMG_FMT_JPEG || f == IMG_FMT_PNG || f == IMG_FMT_WEBP || f == IMG_FMT_GIF || f == IMG_FMT_BMP;
}

static cc_err decode_native(const void *data, size_t n, const img_limits *lim, img_image *out, char *err,
                            size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!data || n == 0) {
        cc_seterr(err, errlen, "empty image (0 bytes)");
        return CC_ERR_FORMAT;
    }
    img_format f = img_sniff(data, n);
    switch (f) {
    case IMG_FMT_JPEG: return decode_jpeg(data, n, lim, 0, 0, out, err, errlen);
    case IMG_FMT_PNG: return decode_png(data, n, lim->max_pixels, out, err, errlen);
    case IMG_FMT_WEBP: return decode_webp(data, n, lim->max_pixels, out, err, errlen);
    case IMG_FMT_GIF: return img_gif_decode(data, n, lim->max_pixels, out, err, errlen);
    case IMG_FMT_BMP: return img_bmp_decode(data, n, lim->max_pixels, out, err, errlen);
    default: return refuse_format(f, err, errlen);
    }
}

cc_err img_decode_native(const void *data, size_t n, uint64_t max_pixels, img_image *out, char *err, size_t errlen)
{
    img_limits lim;
    img_limits_default(&lim, max_pixels);
    return decode_native(data, n, &lim, out, err, errlen);
}

/* a*c + 255*(255-a), rounded: the same as OpenCV/img2dataset's
 * rint(a/255*c + 255 - a) (exact: the quotient is never x.5). */
static inline unsigned char on_white(int c, int a)
{
    return (unsigned char)((a * c + 255 * (255 - a) + 127) / 255);
}

cc_err img_to_rgb(img_image *im)
{
    if (im->mode == IMG_MODE_RGB)
        return CC_OK;
    size_t npix = (size_t)im->width * im->height;
    unsigned char *o = xmalloc(npix * 3 + 1), *d = o;
    const unsigned char *s = im->pixels;
    switch (im->mode) {
    case IMG_MODE_L:
        for (size_t i = 0; i < npix; i++, d += 3)
            d[0] = d[1] = d[2] = s[i];
        break;
    case IMG_MODE_LA:
        for (size_t i = 0; i < npix; i++, d += 3, s += 2)
            d[0] = d[1] = d[2] = on_white(s[0], s[1]);
        break;
    case IMG_MODE_RGBA:
        for (size_t i = 0; i < npix; i++, d += 3, s += 4) {
            d[0] = on_white(s[0], s[3]);
            d[1] = on_white(s[1], s[3]);
            d[2] = on_white(s[2], s[3]);
        }
        break;
    case IMG_MODE_P: {
        unsigned char lut[256 * 3];
        for (int i = 0; i < 256; i++) {
            const unsigned char *e = im->palette_rgba + 4 * i;
            for (int k = 0; k < 3; k++)
                lut[3 * i + k] = on_white(e[k], e[3]);
        }
        for (size_t i = 0; i < npix; i++, d += 3)
            memcpy(d, lut + 3 * s[i], 3);
        break;
    }
    default:
        free(o);
        return CC_ERR_USAGE;
    }
    free(im->pixels);
    im->pixels = o;
    im->mode = IMG_MODE_RGB;
    im->channels = 3;
    return CC_OK;
}

cc_err img_decode_rgb_ex(const void *data, size_t n, const img_limits *lim, int min_side, img_image *out, char *err,
                         size_t errlen)
{
    img_limits dflt;
    if (!lim) {
        img_limits_default(&dflt, 0);
        lim = &dflt;
    }
    memset(out, 0, sizeof *out);
    if (!data || n == 0) {
        cc_seterr(err, errlen, "empty image (0 bytes)");
        return CC_ERR_FORMAT;
    }
    img_format f = img_sniff(data, n);
    if (f == IMG_FMT_JPEG)
        return decode_jpeg(data, n, lim, 1, min_side, out, err, errlen);
    cc_err rc = decode_native(data, n, lim, out, err, errlen);
    if (rc)
        return rc;
    img_to_rgb(out);
    return CC_OK;
}

cc_err img_decode_rgb(const void *data, size_t n, uint64_t max_pixels, int min_side, img_image *out, char *err,
                      size_t errlen)
{
    img_limits lim;
    img_limits_default(&lim, max_pixels);
    return img_decode_rgb_ex(data, n, &lim, min_side, out, err, errlen);
}

/* ---- checks ----------------------------------------------------------- */

void img_checks_defaults(img_checks *c)
{
    c->min_bytes = 1;
    c->min_side = 0;
    c->max_aspect_ratio = 0;
    c->max_pixels = 89478484;
}

const char *img_check(const img_checks *c, size_t nbytes, int width, int height)
{
    if (nbytes < c->min_bytes || nbytes == 0)
        return "too_small_bytes";
    if (width <= 0 || height <= 0)
        return "too_small";
    int mn = width < height ? width : height, mx = width < height ? height : width;
    if (c->min_side > 0 && mn < c->min_side)
        return "too_small";
    if (c->max_aspect_ratio > 0 && (double)mx / mn > c->max_aspect_ratio)
        return "aspect_ratio";
    if (c->max_pixels && (uint64_t)width * (uint64_t)height > c->max_pixels)
        return "too_many_pixels";
    return NULL;
}

/* ---- memory estimate ------------------------------------------------------- */

uint64_t img_decode_estimate(const void *data, size_t n, int size, img_resize_mode mode)
{
    const unsigned char *p = data;
    img_format f;
    int w = 0, h = 0;
    if (!data || img_probe(data, n, &f, &w, &h, NULL, 0) != CC_OK || w <= 0 || h <= 0)
        return 0;
    uint64_t full = (uint64_t)w * (uint64_t)h, est;
    int min_side = size > 0 ? img_resize_min_side(w, h, size, mode) : 0;
    switch (f) {
    case IMG_FMT_JPEG: {
        int adobe, dw, dh;
        jpeg_info ji;
        jpeg_scan_ex(p, n, &dw, &dh, &adobe, &ji);
        int snum, sden, dsw, dsh;
        jpeg_dct_scale(w, h, min_side, &snum, &sden, &dsw, &dsh);
        uint64_t sw = (uint64_t)dsw, sh = (uint64_t)dsh;
        int comps = ji.frame_comps > 0 ? ji.frame_comps : 3;
        est = sw * sh * (uint64_t)(comps == 4 ? 4 + 3 : 3) * 2;
        /* a multi-scan file keeps every coefficient of every component (2
         * bytes each) until the last scan: at most comps x 2 bytes a pixel */
        if (jpeg_multiscan(p, n))
            est += full * (uint64_t)comps * 2;
        break;
    }
    case IMG_FMT_PNG: {
        int ctype = n > 25 ? p[25] : 6;
        int ch = ctype == 0 ? 2 : ctype == 2 ? 4 : ctype == 3 ? 1 : ctype == 4 ? 2 : 4; /* tRNS may add alpha */
        est = full * (uint64_t)(ch + 3) + full * 3 / 2; /* pixels, RGB copy, resize passes */
        break;
    }
    case IMG_FMT_GIF:
        est = full * (1 + 3) + full * 3 / 2;
        break;
    default: /* WebP, BMP: RGBA at most, then RGB */
        est = full * (4 + 3) + full * 3 / 2;
        break;
    }
    return est;
}
