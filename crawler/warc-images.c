/* warc-images.c — WARC/WAT records → judged image candidates (see warc-images.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "candidates.h"
#include "common.h"
#include "extract.h"
#include "optout.h"
#include "url.h"
#include "warc-images.h"
#include "warc.h"
#include "wat.h"

void warc_images_options_init(warc_images_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_block = 16u << 20;
    o->max_payload = 8u << 20;
    o->agent = "clipcrawl";
}

/* Judges every candidate of one image, picks the caption, calls fn. */
static int report(const warc_images_options *o, const extract_image *img, warc_image *v, warc_image_fn fn,
                  void *ctx, warc_images_stats *st)
{
    if (img->n_cands == 0)
        return 0;
    const char **reason = xcalloc(img->n_cands, sizeof *reason);
    const char **src = xcalloc(img->n_cands, sizeof *src);
    const char **text = xcalloc(img->n_cands, sizeof *text);
    for (size_t k = 0; k < img->n_cands; k++) {
        src[k] = caption_source_name(img->cands[k].source);
        text[k] = img->cands[k].text;
    }
    const char *best = NULL;
    int chosen = candidates_judge(img, o->judge, o->judge_ctx, reason, &best);
    v->url = img->url;
    v->fallback_url = img->fallback_url;
    v->fallback_via = img->fallback_url ? img->fallback_via : NULL;
    v->via = img->via ? img->via : "img";
    v->n_cands = img->n_cands;
    v->cand_source = src;
    v->cand_text = text;
    v->cand_reason = reason;
    v->chosen = chosen;
    v->reason = chosen < 0 ? (best ? best : "no_caption") : NULL;
    /* extract.h's placement for a WARC response's page; CC_PLACE_UNKNOWN
     * for a WAT record's image (its extract_image is built here, zeroed) */
    v->placement = img->placement;
    v->place_width = img->width;
    v->place_height = img->height;
    v->alt_repeats = img->alt_repeats;
    st->images++;
    st->kept += chosen >= 0;
    int rc = fn(v, ctx);
    free(reason);
    free(src);
    free(text);
    return rc;
}

/* Opt-outs of the HTTP response headers. */
static unsigned header_optout(const warc_http *h, const char *agent)
{
    unsigned m = 0;
    for (size_t i = 0; i < h->n_fields; i++) {
        if (strcasecmp(h->fields[i].name, "X-Robots-Tag") == 0)
            m |= optout_xrobots(h->fields[i].value, agent);
        else if (strcasecmp(h->fields[i].name, "tdm-reservation") == 0)
            m |= optout_tdm_value(h->fields[i].value);
    }
    return m;
}

/* 1 when a payload starts (after a BOM and whitespace) like an HTML document. */
static int looks_like_html(const unsigned char *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    static const char *const starts[] = {"<!doctype html", "<html", "<head", "<!--"};
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
        size_t l = strlen(starts[k]);
        if (n - i >= l && strncasecmp((const char *)p + i, starts[k], l) == 0)
            return 1;
    }
    return 0;
}

static int take_response(const warc_images_options *o, const warc_record *rec, const unsigned char *b, size_t bl,
                         warc_image *v, warc_image_fn fn, void *ctx, warc_images_stats *st)
{
    warc_http h;
    if (warc_http_parse(b, bl, o->max_payload, &h, NULL, 0) != 0) {
        st->undecodable++;
        return 0;
    }
    const char *ct = warc_http_get(&h, "Content-Type");
    if (ct && !*ct)
        ct = NULL;
    /* HTML by its Content-Type; by the archive's own sniffing (Common Crawl's
     * WARC-Identified-Payload-Type) when the server mislabelled it; by its
     * first bytes when the response had no Content-Type at all */
    int html = warc_is_html_type(ct) || warc_is_html_type(warc_field_get(rec, "WARC-Identified-Payload-Type")) ||
               (!ct && looks_like_html(h.payload, h.payload_len));
    if (h.status < 200 || h.status > 299 || !html) {
        st->not_html++;
        warc_http_free(&h);
        return 0;
    }
    if (h.flags & WARC_HTTP_UNKNOWN_ENCODING) {
        st->undecodable++;
        warc_http_free(&h);
        return 0;
    }
    char *page = url_normalize(rec->target_uri, NULL, 0);
    if (!page) {
        st->not_html++;
        warc_http_free(&h);
        return 0;
    }
    extract_options xo;
    extract_options_init(&xo);
    xo.agent = o->agent;
    extract_result ex;
    int rc = 0;
    if (extract_page_opts((const char *)h.payload, h.payload_len, page, ct, &xo, &ex, NULL, 0) == 0) {
        st->pages++;
        v->page_url = page;
        v->optout = ex.optout | header_optout(&h, o->agent);
        for (size_t i = 0; i < ex.n_images && rc == 0; i++) /* the page was read: placement is known */
            rc = report(o, &ex.images[i], v, fn, ctx, st);
    } else {
        st->undecodable++;
    }
    extract_result_free(&ex);
    free(page);
    warc_http_free(&h);
    return rc;
}

static int take_wat(const warc_images_options *o, const warc_record *rec, const unsigned char *b, size_t bl,
                    warc_image *v, warc_image_fn fn, void *ctx, warc_images_stats *st)
{
    wat_page pg;
    int w = wat_parse((const char *)b, bl, rec->target_uri, o->agent, &pg, NULL, 0);
    if (w < 0)
        st->bad_wat++;
    if (w != 1)
        return 0;
    st->pages++;
    v->page_url = pg.page_url;
    v->optout = pg.optout;
    int rc = 0;
    for (size_t i = 0; i < pg.n_images && rc == 0; i++) {
        /* the same shape extract.h gives: alt, then title */
        caption_candidate c[2];
        size_t n = 0;
        char *alt = pg.images[i].alt ? xstrdup(pg.images[i].alt) : NULL;
        char *title = pg.images[i].title ? xstrdup(pg.images[i].title) : NULL;
        /* whitespace-normalised like extract.h's candidates */
        char *texts[2] = {alt, title};
        for (int k = 0; k < 2; k++) {
            char *t = texts[k];
            if (!t)
                continue;
            char *w2 = t;
            int sp = 0;
            for (char *r = t; *r; r++) {
                if (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r' || *r == '\f') {
                    sp = w2 > t;
                    continue;
                }
                if (sp)
                    *w2++ = ' ';
                sp = 0;
                *w2++ = *r;
            }
            *w2 = 0;
            if (*t) {
                c[n].source = k == 0 ? CAPTION_ALT : CAPTION_TITLE;
                c[n].text = t;
                n++;
            }
        }
        extract_image img = {0};
        img.url = pg.images[i].url;
        img.via = "wat";
        img.cands = c;
        img.n_cands = n;
        rc = report(o, &img, v, fn, ctx, st); /* placement unknown: only the links are known */
        free(alt);
        free(title);
    }
    wat_page_free(&pg);
    return rc;
}

int warc_images_file(const char *path, const warc_images_options *opts, warc_image_fn fn, void *ctx,
                     warc_images_stats *st_out, char *err, size_t errlen)
{
    warc_images_options o;
    if (opts)
        o = *opts;
    else
        warc_images_options_init(&o);
    if (!o.agent)
        o.agent = "clipcrawl";
    warc_images_stats dummy;
    warc_images_stats *st = st_out ? st_out : &dummy;
    if (!st_out)
        memset(&dummy, 0, sizeof dummy);
    warc_options wo;
    warc_options_init(&wo);
    if (o.max_block)
        wo.max_block = o.max_block;
    warc_reader *r = warc_open(path, &wo, err, errlen);
    if (!r)
        return -1;
    warc_record rec;
    warc_image v;
    memset(&v, 0, sizeof v);
    v.file = path;
    int rc = 0;
    uint64_t n = 0;
    while (rc == 0 && warc_next(r, &rec) == 1) {
        n++;
        st->records++;
        if (rec.type == WARC_REVISIT) {
            st->revisits++;
            continue;
        }
        int is_resp = rec.type == WARC_RESPONSE;
        int is_wat = rec.type == WARC_METADATA && rec.content_type &&
                     strncasecmp(rec.content_type, "application/json", 16) == 0;
        if ((!is_resp && !is_wat) || !rec.target_uri)
            continue;
        if (o.want && !o.want(rec.target_uri, o.want_ctx)) {
            st->filtered++;
            continue;
        }
        const unsigned char *b;
        size_t bl;
        warc_block_status bs = warc_read_block(r, &b, &bl);
        if (bs == WARC_BLOCK_TOO_LARGE) {
            st->too_large++;
            continue;
        }
        if (bs != WARC_BLOCK_OK && bs != WARC_BLOCK_TRUNCATED)
            continue;
        v.record_offset = rec.offset;
        rc = is_resp ? take_response(&o, &rec, b, bl, &v, fn, ctx, st) : take_wat(&o, &rec, b, bl, &v, fn, ctx, st);
    }
    warc_stats_t ws;
    warc_stats(r, &ws);
    st->resyncs += ws.resyncs;
    st->raw_bytes += ws.raw_bytes;
    int result = 0;
    const char *why = warc_end_reason(r);
    if (rc != 0) {
        result = 2;
    } else if (why && n == 0) {
        cc_seterr(err, errlen, "%s: %s", path, why);
        result = -1;
    } else if (why) {
        cc_seterr(err, errlen, "%s: %s", path, why);
        result = 1;
    }
    warc_close(r);
    return result;
}
