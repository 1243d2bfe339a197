/* wat.c — IMG@/src links of a WAT metadata record (see wat.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "json.h"
#include "optout.h"
#include "url.h"
#include "wat.h"

void wat_page_free(wat_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_images; i++) {
        free(p->images[i].url);
        free(p->images[i].alt);
        free(p->images[i].title);
    }
    free(p->images);
    free(p->page_url);
    free(p->base_url);
    free(p->content_type);
    memset(p, 0, sizeof *p);
}

/* Object member by a path of names, or NULL. */
static const json_value *get_path(const json_value *v, const char *const *names)
{
    for (; v && *names; names++)
        v = json_get(v, *names);
    return v;
}

/* Member of an object by case-insensitive name (HTTP header names). */
static const json_value *get_ci(const json_value *obj, const char *name)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (strcasecmp(obj->keys[i], name) == 0)
            return obj->items[i];
    return NULL;
}

/* Calls fn for the string, or for each string of an array. */
static unsigned each_string(const json_value *v, unsigned (*fn)(const char *, const char *), const char *agent)
{
    unsigned m = 0;
    if (!v)
        return 0;
    if (v->type == JSON_STRING)
        return fn(v->string, agent);
    if (v->type == JSON_ARRAY)
        for (size_t i = 0; i < v->len; i++)
            if (v->items[i]->type == JSON_STRING)
                m |= fn(v->items[i]->string, agent);
    return m;
}

static unsigned xrobots_fn(const char *s, const char *agent)
{
    return optout_xrobots(s, agent);
}

static unsigned tdm_fn(const char *s, const char *agent)
{
    (void)agent;
    return optout_tdm_value(s);
}

static const char *str_or_null(const json_value *v)
{
    return v && v->type == JSON_STRING ? v->string : NULL;
}

static void add_image(wat_page *p, size_t *cap, char *url, const char *alt, const char *title)
{
    for (size_t i = 0; i < p->n_images; i++)
        if (strcmp(p->images[i].url, url) == 0) {
            if (!p->images[i].alt && alt && *alt)
                p->images[i].alt = xstrdup(alt);
            if (!p->images[i].title && title && *title)
                p->images[i].title = xstrdup(title);
            free(url);
            return;
        }
    if (p->n_images == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        p->images = xrealloc(p->images, *cap * sizeof *p->images);
    }
    wat_image *im = &p->images[p->n_images++];
    im->url = url;
    im->alt = xstrdup(alt);
    im->title = xstrdup(title);
}

int wat_parse(const char *json, size_t n, const char *record_uri, const char *agent, wat_page *out, char *err,
              size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!agent)
        agent = "clipcrawl";
    char jerr[160];
    json_value *root = json_parse(json, n, jerr, sizeof jerr);
    if (!root) {
        cc_seterr(err, errlen, "WAT record is not JSON: %s", jerr);
        return -1;
    }
    int rc = 0;
    static const char *const whm[] = {"Envelope", "WARC-Header-Metadata", NULL};
    static const char *const resp[] = {"Envelope", "Payload-Metadata", "HTTP-Response-Metadata", NULL};
    const json_value *hdr = get_path(root, whm);
    const char *wtype = json_get_string(hdr, "WARC-Type", NULL);
    const json_value *http = get_path(root, resp);
    const json_value *html = json_get(http, "HTML-Metadata");
    if ((wtype && strcmp(wtype, "response") != 0) || !html || html->type != JSON_OBJECT)
        goto done; /* rc 0: nothing for us */
    const char *page = json_get_string(hdr, "WARC-Target-URI", NULL);
    if (!page || !*page)
        page = record_uri;
    char uerr[160] = "";
    out->page_url = page ? url_normalize(page, uerr, sizeof uerr) : NULL;
    if (!out->page_url) {
        cc_seterr(err, errlen, "WAT record without a usable page URL%s%s", uerr[0] ? ": " : "", uerr);
        rc = -1;
        goto done;
    }
    const json_value *headers = json_get(http, "Headers");
    out->content_type = xstrdup(str_or_null(get_ci(headers, "Content-Type")));
    out->optout |= each_string(get_ci(headers, "X-Robots-Tag"), xrobots_fn, agent);
    out->optout |= each_string(get_ci(headers, "tdm-reservation"), tdm_fn, agent);
    const json_value *head = json_get(html, "Head");
    const json_value *metas = json_get(head, "Metas");
    for (size_t i = 0; metas && metas->type == JSON_ARRAY && i < metas->len; i++) {
        const char *name = json_get_string(metas->items[i], "name", NULL);
        const char *content = json_get_string(metas->items[i], "content", NULL);
        if (!name || !content)
            continue;
        if (strcasecmp(name, "robots") == 0 || strcasecmp(name, agent) == 0)
            out->optout |= optout_robots_meta(content);
        else if (strcasecmp(name, "tdm-reservation") == 0)
            out->optout |= optout_tdm_value(content);
    }
    const char *base = json_get_string(head, "Base", NULL);
    if (base && *base)
        out->base_url = url_resolve(out->page_url, base, NULL, 0);
    if (!out->base_url)
        out->base_url = xstrdup(out->page_url);
    const json_value *links = json_get(html, "Links");
    size_t cap = 0;
    for (size_t i = 0; links && links->type == JSON_ARRAY && i < links->len; i++) {
        const json_value *l = links->items[i];
        const char *path = json_get_string(l, "path", NULL);
        const char *u = json_get_string(l, "url", NULL);
        if (!path || !u || strcasecmp(path, "IMG@/src") != 0)
            continue;
        char *abs = url_resolve(out->base_url, u, NULL, 0);
        if (!abs)
            continue;
        add_image(out, &cap, abs, json_get_string(l, "alt", NULL), json_get_string(l, "title", NULL));
    }
    rc = 1;
done:
    json_free(root);
    if (rc != 1)
        wat_page_free(out);
    return rc;
}
