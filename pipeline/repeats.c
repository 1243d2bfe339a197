/* repeats.c — distinct images and sources per caption; the end-of-run pass
 * (see repeats.h). */
#include "repeats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct {
    uint64_t key, image, source;
} triple;

typedef struct {
    uint64_t key, images, sources;
} tally;

struct repeat_counter {
    triple *t;
    size_t n, cap;
    tally *tl;
    size_t ntl;
};

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

repeat_counter *repeat_counter_new(void)
{
    return xcalloc(1, sizeof(repeat_counter));
}

void repeat_counter_free(repeat_counter *c)
{
    if (!c)
        return;
    free(c->t);
    free(c->tl);
    free(c);
}

/* The host part of an absolute URL ("" when there is none). */
static void host_of(const char *url, const char **h, size_t *hl)
{
    *h = "";
    *hl = 0;
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return;
    p += 3;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    *h = p;
    *hl = n;
}

void repeat_counter_add(repeat_counter *c, uint64_t caption_key, const char *sha256, const char *page_url,
                        const char *image_url)
{
    if (!sha256 || !*sha256)
        return;
    uint64_t source;
    if (page_url && *page_url) {
        source = fnv(page_url, strlen(page_url));
    } else {
        const char *h;
        size_t hl;
        host_of(image_url, &h, &hl);
        source = fnv(h, hl) ^ 0x9e3779b97f4a7c15ull; /* hosts and pages never collide by design */
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->t = xrealloc(c->t, c->cap * sizeof *c->t);
    }
    c->t[c->n++] = (triple){caption_key, fnv(sha256, strlen(sha256)), source};
}

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

static int by_key_image(const void *a, const void *b)
{
    const triple *x = a, *y = b;
    int r = cmp_u64(x->key, y->key);
    return r ? r : cmp_u64(x->image, y->image);
}

static int by_key_source(const void *a, const void *b)
{
    const triple *x = a, *y = b;
    int r = cmp_u64(x->key, y->key);
    return r ? r : cmp_u64(x->source, y->source);
}

static int tally_cmp(const void *a, const void *b)
{
    return cmp_u64(((const tally *)a)->key, ((const tally *)b)->key);
}

void repeat_counter_finish(repeat_counter *c)
{
    free(c->tl);
    c->tl = xcalloc(c->n ? c->n : 1, sizeof *c->tl);
    c->ntl = 0;
    if (c->n == 0) /* c->t is NULL then, and qsort on NULL is undefined even for 0 elements */
        return;
    /* distinct images per key */
    qsort(c->t, c->n, sizeof *c->t, by_key_image);
    for (size_t i = 0; i < c->n; i++) {
        if (i > 0 && c->t[i].key == c->t[i - 1].key && c->t[i].image == c->t[i - 1].image)
            continue;
        if (c->ntl && c->tl[c->ntl - 1].key == c->t[i].key)
            c->tl[c->ntl - 1].images++;
        else
            c->tl[c->ntl++] = (tally){c->t[i].key, 1, 0};
    }
    /* distinct sources per key (same key order, so walk both) */
    qsort(c->t, c->n, sizeof *c->t, by_key_source);
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        while (k < c->ntl && c->tl[k].key < c->t[i].key)
            k++;
        if (i > 0 && c->t[i].key == c->t[i - 1].key && c->t[i].source == c->t[i - 1].source)
            continue;
        c->tl[k].sources++;
    }
}

void repeat_counter_get(const repeat_counter *c, uint64_t caption_key, uint64_t *images, uint64_t *sources)
{
    tally probe = {caption_key, 0, 0};
    const tally *hit = c->ntl ? bsearch(&probe, c->tl, c->ntl, sizeof *c->tl, tally_cmp) : NULL;
    *images = hit ? hit->images : 0;
    *sources = hit ? hit->sources : 0;
}

void repeat_detail(char *buf, size_t len, uint64_t images, uint64_t sources)
{
    snprintf(buf, len, "repeated on %llu images from %llu pages or hosts", (unsigned long long)images,
             (unsigned long long)sources);
}

/* ---- the end-of-run pass ---- */

typedef struct {
    int64_t id;
    uint64_t key;
} accepted_row;

typedef struct {
    repeat_counter *rc;
    accepted_row *acc;
    size_t nacc, cap;
    ccbuf norm;
    const caption_filter *cf;
} pass_ctx;

static int collect(const dataset_row *r, void *arg)
{
    pass_ctx *p = arg;
    if (!r->sha256 || !*r->sha256 || !r->caption)
        return 0;
    caption_normalise(r->caption, strlen(r->caption), caption_filter_config(p->cf)->caption_max_chars, (ccbuf_reset(&p->norm), &p->norm));
    if (!p->norm.len)
        return 0;
    uint64_t key = caption_repeat_key((const char *)p->norm.data, p->norm.len);
    repeat_counter_add(p->rc, key, r->sha256, r->page_url, r->url);
    if (r->status == DS_ACCEPTED && r->key[0]) {
        if (p->nacc == p->cap) {
            p->cap = p->cap ? p->cap * 2 : 256;
            p->acc = xrealloc(p->acc, p->cap * sizeof *p->acc);
        }
        p->acc[p->nacc++] = (accepted_row){r->id, key};
    }
    return 0;
}

int64_t pipeline_demote_repeated(dataset *ds, const caption_filter *cf, char *err, size_t errlen)
{
    const filter_config *fc = caption_filter_config(cf);
    if (fc->boilerplate_repeat_threshold <= 0)
        return 0;
    pass_ctx p = {.rc = repeat_counter_new(), .cf = cf};
    int64_t demoted = 0;
    if (dataset_each_row(ds, 0, collect, &p) != 0) {
        snprintf(err, errlen, "%s", dataset_errmsg(ds));
        demoted = -1;
        goto out;
    }
    repeat_counter_finish(p.rc);
    int begun = 0;
    for (size_t i = 0; i < p.nacc; i++) {
        uint64_t images, sources;
        repeat_counter_get(p.rc, p.acc[i].key, &images, &sources);
        if (!caption_is_repeated(cf, images, sources))
            continue;
        if (!begun) {
            if (dataset_edit_begin(ds) != CC_OK) {
                snprintf(err, errlen, "%s", dataset_errmsg(ds));
                demoted = -1;
                goto out;
            }
            begun = 1;
        }
        char d[96];
        repeat_detail(d, sizeof d, images, sources);
        if (dataset_edit_verdict(ds, p.acc[i].id, DS_REJECTED, caption_reason_name(CAPTION_BOILERPLATE), d, d, NULL) !=
            CC_OK) {
            snprintf(err, errlen, "%s", dataset_errmsg(ds));
            dataset_edit_rollback(ds);
            demoted = -1;
            goto out;
        }
        demoted++;
    }
    if (begun && dataset_edit_commit(ds) != CC_OK) {
        snprintf(err, errlen, "%s", dataset_errmsg(ds));
        demoted = -1;
    }
out:
    ccbuf_free(&p.norm);
    free(p.acc);
    repeat_counter_free(p.rc);
    return demoted;
}
