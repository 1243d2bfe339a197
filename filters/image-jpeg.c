/* image-jpeg.c — multi-scan (progressive) JPEG decoding under a budget.
 *
 * A progressive JPEG may carry thousands of scans, and libjpeg walks the
 * whole coefficient buffer for every one: a "scan bomb" of a few KB can hold
 * a core for minutes. TurboJPEG 2.1 (Debian 12) has no scan limit
 * (TJPARAM_SCANLIMIT came with the 3.0 API), so these files go through the
 * libjpeg API of the same library build, whose progress monitor lets us stop
 * after IMG_MAX_SCANS scans — what TJPARAM_SCANLIMIT does inside
 * TurboJPEG 3 — or when the thread has used more CPU time than allowed.
 * The output is the same as tjDecompress2's: same library, same defaults
 * (islow IDCT, fancy upsampling), same scaling. */
#include "image-internal.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr pub;
    struct jpeg_progress_mgr progress;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    int budget;              /* 1 when stopped by the scan or CPU limit */
    int premature_end;       /* a truncated file: refused, as with TurboJPEG */
    int max_scans;
    double cpu_limit, cpu_start;
    j_decompress_ptr cinfo;
} jctx;

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void j_error_exit(j_common_ptr c)
{
    jctx *x = (jctx *)c->err;
    (*c->err->format_message)(c, x->msg);
    longjmp(x->jb, 1);
}

static void j_emit_message(j_common_ptr c, int level)
{
    jctx *x = (jctx *)c->err;
    if (level < 0 && c->err->msg_code == JWRN_JPEG_EOF)
        x->premature_end = 1;
}

static void j_progress(j_common_ptr c)
{
    jctx *x = (jctx *)c->err;
    j_decompress_ptr d = (j_decompress_ptr)c;
    if (x->max_scans > 0 && d->input_scan_number > x->max_scans) {
        snprintf(x->msg, sizeof x->msg, "progressive JPEG with more than %d scans", x->max_scans);
        x->budget = 1;
        longjmp(x->jb, 1);
    }
    if (x->cpu_limit > 0 && thread_cpu() - x->cpu_start > x->cpu_limit) {
        snprintf(x->msg, sizeof x->msg, "JPEG decode used more than %.1f s of CPU time", x->cpu_limit);
        x->budget = 1;
        longjmp(x->jb, 1);
    }
}

cc_err img_jpeg_decode_limited(const unsigned char *p, size_t n, const img_limits *lim, int scale_num,
                               int scale_denom, int out_channels, unsigned char **pixels, int *w_out, int *h_out,
                               char *err, size_t errlen)
{
    struct jpeg_decompress_struct d;
    jctx x;
    memset(&x, 0, sizeof x);
    memset(&d, 0, sizeof d);
    d.err = jpeg_std_error(&x.pub);
    x.pub.error_exit = j_error_exit;
    x.pub.emit_message = j_emit_message;
    x.max_scans = lim ? lim->max_scans : IMG_DEFAULT_MAX_SCANS;
    x.cpu_limit = lim ? lim->cpu_seconds : IMG_DEFAULT_CPU_SECONDS;
    x.cpu_start = thread_cpu();
    unsigned char *buf = NULL;
    /* volatile: read after longjmp */
    unsigned char *volatile vbuf = NULL;
    if (setjmp(x.jb)) {
        free(vbuf);
        jpeg_destroy_decompress(&d);
        if (x.budget) {
            cc_seterr(err, errlen, "decode budget: %s", x.msg);
            return CC_ERR_BUDGET;
        }
        cc_seterr(err, errlen, "broken JPEG: %s", x.msg);
        return CC_ERR_FORMAT;
    }
    jpeg_create_decompress(&d);
    x.progress.progress_monitor = j_progress;
    d.progress = &x.progress;
    jpeg_mem_src(&d, p, (unsigned long)n);
    jpeg_read_header(&d, TRUE);
    d.scale_num = (unsigned)scale_num;
    d.scale_denom = (unsigned)scale_denom;
    if (out_channels == 4)
        d.out_color_space = JCS_CMYK;
    else if (out_channels == 1)
        d.out_color_space = JCS_GRAYSCALE;
    else
        d.out_color_space = JCS_RGB;
    jpeg_start_decompress(&d); /* absorbs every scan of a progressive file */
    if ((int)d.output_components != out_channels) {
        snprintf(x.msg, sizeof x.msg, "unexpected %d output components", d.output_components);
        longjmp(x.jb, 1);
    }
    size_t stride = (size_t)d.output_width * (size_t)out_channels;
    buf = xmalloc(stride * d.output_height + 1);
    vbuf = buf;
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = buf + stride * d.output_scanline;
        jpeg_read_scanlines(&d, &row, 1);
    }
    if (x.premature_end) {
        snprintf(x.msg, sizeof x.msg, "Premature end of JPEG file");
        longjmp(x.jb, 1);
    }
    jpeg_finish_decompress(&d);
    *w_out = (int)d.output_width;
    *h_out = (int)d.output_height;
    jpeg_destroy_decompress(&d);
    *pixels = buf;
    return CC_OK;
}
