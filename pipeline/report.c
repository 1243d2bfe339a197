/* report.c — the HTML report (see report.h). */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "dataset.h"
#include "image.h"
#include "overview.h"

static void esc(ccbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': ccbuf_puts(b, "&lt;"); break;
        case '>': ccbuf_puts(b, "&gt;"); break;
        case '&': ccbuf_puts(b, "&amp;"); break;
        case '"': ccbuf_puts(b, "&quot;"); break;
        case '\'': ccbuf_puts(b, "&#39;"); break;
        default:
            if ((unsigned char)*s < 0x20)
                ccbuf_putc(b, ' ');
            else
                ccbuf_putc(b, *s);
        }
    }
}

static void base64(ccbuf *b, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        ccbuf_putc(b, tab[v >> 18 & 63]);
        ccbuf_putc(b, tab[v >> 12 & 63]);
        ccbuf_putc(b, i + 1 < n ? tab[v >> 6 & 63] : '=');
        ccbuf_putc(b, i + 2 < n ? tab[v & 63] : '=');
    }
}

/* A small JPEG of the sample's stored image as a data: URI; 0 if it has none
 * or it does not decode (the page then shows the caption alone). */
static int thumbnail(dataset *ds, const char *key, int size, ccbuf *img, ccbuf *out)
{
    char err[256];
    if (!key[0] || dataset_read_member(ds, key, "image", img) != CC_OK)
        return 0;
    img_image im = {0};
    if (img_decode_resize(img->data, img->len, 89478484, size, RESIZE_CENTER_CROP, &im, err, sizeof err) != CC_OK)
        return 0;
    ccbuf jpg = {0};
    int ok = img_encode(&im, ENC_JPG, 75, &jpg, err, sizeof err) == CC_OK;
    img_image_free(&im);
    if (ok) {
        ccbuf_puts(out, "data:image/jpeg;base64,");
        base64(out, (const unsigned char *)jpg.data, jpg.len);
    }
    ccbuf_free(&jpg);
    return ok;
}

/* Horizontal bars: one row per (label, value), scaled to the largest. */
static void hbars(ccbuf *b, const char *cls, const char *const *labels, const int64_t *v, size_t n)
{
    int64_t max = 1;
    for (size_t i = 0; i < n; i++)
        if (v[i] > max)
            max = v[i];
    const int row = 24, lw = 180, bw = 420;
    ccbuf_printf(b, "<svg class=\"%s\" width=\"%d\" height=\"%zu\" role=\"img\">", cls, lw + bw + 90, n * row + 4);
    for (size_t i = 0; i < n; i++) {
        double w = (double)v[i] / (double)max * bw;
        ccbuf_printf(b, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">", lw - 6, i * row + 17);
        esc(b, labels[i][0] ? labels[i] : "(none)");
        ccbuf_printf(b, "</text><rect class=\"bar\" x=\"%d\" y=\"%zu\" width=\"%.1f\" height=\"%d\"></rect>", lw,
                     i * row + 3, w < 1 && v[i] ? 1.0 : w, row - 6);
        ccbuf_printf(b, "<text x=\"%.1f\" y=\"%zu\">%lld</text>", lw + w + 6, i * row + 17, (long long)v[i]);
    }
    ccbuf_puts(b, "</svg>\n");
}

/* A histogram of sorted values in nbins equal bins over [lo, hi]. */
static void histogram(ccbuf *b, const char *title, const double *v, size_t n, int nbins, const char *fmt)
{
    ccbuf_printf(b, "<h3>%s</h3>\n", title);
    if (n == 0) {
        ccbuf_puts(b, "<p class=\"none\">No values.</p>\n");
        return;
    }
    double lo = v[0], hi = v[n - 1];
    if (hi <= lo)
        hi = lo + 1;
    int64_t *c = xcalloc((size_t)nbins, sizeof *c), max = 1;
    for (size_t i = 0; i < n; i++) {
        int k = (int)((v[i] - lo) / (hi - lo) * nbins);
        if (k >= nbins)
            k = nbins - 1;
        if (k < 0)
            k = 0;
        if (++c[k] > max)
            max = c[k];
    }
    const int W = 640, H = 180, pad = 30;
    double bw = (double)(W - 2 * pad) / nbins;
    ccbuf_printf(b, "<svg class=\"hist\" width=\"%d\" height=\"%d\" role=\"img\">", W, H + 40);
    for (int k = 0; k < nbins; k++) {
        double h = (double)c[k] / (double)max * H;
        char lab[64];
        snprintf(lab, sizeof lab, fmt, lo + (hi - lo) * k / nbins);
        ccbuf_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%s: %lld</title></rect>",
                     pad + k * bw + 1, H - h + 5, bw - 2, h, lab, (long long)c[k]);
    }
    char a[64], z[64];
    snprintf(a, sizeof a, fmt, lo);
    snprintf(z, sizeof z, fmt, v[n - 1]);
    ccbuf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"></line>", pad, H + 5, W - pad, H + 5);
    ccbuf_printf(b, "<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", pad,
                 H + 22, a, W - pad, H + 22, z);
    ccbuf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">n = %zu, median %.4g</text></svg>\n", W / 2, H + 36,
                 n, dataset_quantile(v, n, 0.5));
    free(c);
}

static void count_bars(ccbuf *b, const char *cls, const dataset_count *c, size_t n)
{
    if (n == 0) {
        ccbuf_puts(b, "<p class=\"none\">None.</p>\n");
        return;
    }
    const char **lab = xmalloc(n * sizeof *lab);
    int64_t *v = xmalloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        lab[i] = c[i].name, v[i] = c[i].n;
    hbars(b, cls, lab, v, n);
    free(lab);
    free(v);
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}h3{font-size:15px}"
    "svg text{font:12px sans-serif;fill:#333}rect.bar{fill:#4a78b5}.funnel rect.bar{fill:#3a9a6a}"
    ".rej rect.bar{fill:#c0603a}.fail rect.bar{fill:#a04a8a}"
    "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
    ".grid{display:flex;flex-wrap:wrap;gap:10px}.grid figure{margin:0;width:140px;font-size:11px}"
    ".grid img,.ex img{width:128px;height:128px;object-fit:cover;display:block;background:#eee}"
    ".score{color:#555}.none{color:#888}.url{word-break:break-all;color:#555;font-size:11px}";

int report_write(const char *dir, const char *out, const report_options *opt, char *err, size_t errlen)
{
    report_options o = {48, 128, 3};
    if (opt) {
        if (opt->thumbnails > 0)
            o.thumbnails = opt->thumbnails;
        if (opt->thumb_size > 0)
            o.thumb_size = opt->thumb_size;
        if (opt->per_reason > 0)
            o.per_reason = opt->per_reason;
    }
    dataset *ds = dataset_open_readonly(dir, err, errlen);
    if (!ds)
        return -1;
    dataset_overview ov;
    dataset_example *rej = NULL, *acc = NULL;
    size_t nrej = 0, nacc = 0;
    if (dataset_overview_get(ds, 15, &ov, err, errlen) != CC_OK) {
        dataset_close(ds, 0, NULL, 0);
        return -1;
    }
    if (dataset_examples(ds, o.per_reason, o.thumbnails, &rej, &nrej, &acc, &nacc, err, errlen) != CC_OK) {
        dataset_overview_free(&ov);
        dataset_close(ds, 0, NULL, 0);
        return -1;
    }
    ccbuf b = {0}, img = {0}, uri = {0};
    ccbuf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>clipcrawl report: ");
    esc(&b, dir);
    ccbuf_printf(&b, "</title><style>%s</style></head><body>\n<h1>Dataset ", css);
    esc(&b, dir);
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    ccbuf_printf(&b, "</h1>\n<p>%lld accepted samples of %lld image URLs considered; %.1f MiB stored (%.1f MiB as "
                     "downloaded). Generated %s by clipcrawl report.</p>\n",
                 (long long)ov.accepted, (long long)ov.candidates, (double)ov.bytes_stored / 1048576.0,
                 (double)ov.bytes_original / 1048576.0, when);

    ccbuf_puts(&b, "<h2>Funnel</h2>\n");
    const char *fl[] = {"pages crawled", "image candidates", "downloaded", "accepted"};
    int64_t fv[] = {ov.pages, ov.candidates, ov.fetched, ov.accepted};
    hbars(&b, "funnel", fl, fv, 4);

    ccbuf_puts(&b, "<h2>Rejections by reason</h2>\n");
    count_bars(&b, "rej", ov.rejected, ov.nrejected);
    ccbuf_puts(&b, "<h2>Failures by error</h2>\n");
    count_bars(&b, "fail", ov.failed, ov.nfailed);
    if (ov.noptout) {
        ccbuf_puts(&b, "<h2>Opt-outs</h2>\n");
        count_bars(&b, "optout", ov.optout, ov.noptout);
    }

    ccbuf_puts(&b, "<h2>Distributions</h2>\n");
    char title[96];
    snprintf(title, sizeof title, "CLIP score%s%s", ov.clip_model[0] ? " (model " : " (not scored yet",
             ov.clip_model[0] ? ov.clip_model : "");
    {
        ccbuf t = {0};
        ccbuf_puts(&t, title);
        ccbuf_puts(&t, ")");
        histogram(&b, (const char *)t.data, ov.clip, ov.nclip, 30, "%.3f");
        ccbuf_free(&t);
    }
    histogram(&b, "Caption length (characters)", ov.caplen, ov.ncaplen, 30, "%.0f");

    ccbuf_puts(&b, "<h2>Top hosts</h2>\n<table><tr><th>host</th><th>accepted</th><th>image URLs</th></tr>\n");
    for (size_t i = 0; i < ov.nhosts; i++) {
        ccbuf_puts(&b, "<tr><td>");
        esc(&b, ov.hosts[i].name);
        ccbuf_printf(&b, "</td><td>%lld</td><td>%lld</td></tr>\n", (long long)ov.hosts[i].accepted,
                     (long long)ov.hosts[i].n);
    }
    ccbuf_puts(&b, "</table>\n");

    ccbuf_printf(&b, "<h2>Accepted samples</h2>\n<p>%zu samples spread evenly over the dataset.</p>\n<div class=\"grid\">\n",
                 nacc);
    for (size_t i = 0; i < nacc; i++) {
        ccbuf_reset(&uri);
        ccbuf_puts(&b, "<figure>");
        if (thumbnail(ds, acc[i].key, o.thumb_size, &img, &uri)) {
            ccbuf_puts(&b, "<img class=\"thumb\" alt=\"\" src=\"");
            ccbuf_append(&b, uri.data, uri.len);
            ccbuf_puts(&b, "\">");
        }
        ccbuf_printf(&b, "<figcaption><b>%s</b> ", acc[i].key);
        if (!isnan(acc[i].clip_score))
            ccbuf_printf(&b, "<span class=\"score\">%.3f</span> ", acc[i].clip_score);
        esc(&b, acc[i].caption);
        ccbuf_puts(&b, "</figcaption></figure>\n");
    }
    ccbuf_puts(&b, "</div>\n<h2>Examples of each rejection reason</h2>\n");
    if (nrej == 0)
        ccbuf_puts(&b, "<p class=\"none\">Nothing was rejected.</p>\n");
    else
        ccbuf_puts(&b, "<table class=\"ex\"><tr><th>reason</th><th>image</th><th>caption</th><th>URL</th></tr>\n");
    for (size_t i = 0; i < nrej; i++) {
        ccbuf_puts(&b, "<tr><td>");
        esc(&b, rej[i].reason);
        ccbuf_puts(&b, "</td><td>");
        ccbuf_reset(&uri);
        if (thumbnail(ds, rej[i].key, o.thumb_size, &img, &uri)) {
            ccbuf_puts(&b, "<img class=\"thumb\" alt=\"\" src=\"");
            ccbuf_append(&b, uri.data, uri.len);
            ccbuf_puts(&b, "\">");
        } else {
            ccbuf_puts(&b, "<span class=\"none\">not stored</span>");
        }
        ccbuf_puts(&b, "</td><td>");
        esc(&b, rej[i].caption);
        ccbuf_puts(&b, "</td><td class=\"url\">");
        esc(&b, rej[i].url);
        ccbuf_puts(&b, "</td></tr>\n");
    }
    if (nrej)
        ccbuf_puts(&b, "</table>\n");
    ccbuf_puts(&b, "</body></html>\n");

    int rc = -1;
    char *tmp = xasprintf("%s.tmp", out);
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || fflush(f) != 0) {
        cc_seterr(err, errlen, "%s: cannot write", tmp);
    } else if (fclose(f) != 0 || (f = NULL, rename(tmp, out) != 0)) {
        cc_seterr(err, errlen, "%s: cannot write", out);
    } else {
        rc = 0;
    }
    if (f)
        fclose(f);
    if (rc != 0)
        remove(tmp);
    free(tmp);
    ccbuf_free(&b);
    ccbuf_free(&img);
    ccbuf_free(&uri);
    dataset_examples_free(rej, nrej);
    dataset_examples_free(acc, nacc);
    dataset_overview_free(&ov);
    dataset_close(ds, 0, NULL, 0);
    return rc;
}
