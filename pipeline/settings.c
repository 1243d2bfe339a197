/* settings.c — runs.settings: record this run's settings, compare them with
 * the previous run's (see settings.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "settings.h"

static const char *scope_name(url_scope s)
{
    return s == URL_SCOPE_ANY ? "any" : s == URL_SCOPE_DOMAIN ? "domain" : "host";
}

/* The image settings, the ones whose change the run reports. */
static const char *const image_keys[] = {"image_size", "resize_mode", "resize_only_if_bigger", "encode_format",
                                         "encode_quality", "keep_original"};

cc_err run_settings_begin(dataset *ds, const char *command, const pipeline_options *o, const http_options *h,
                          int crawl_depth, url_scope crawl_scope, run_settings_prev *prev)
{
    memset(prev, 0, sizeof *prev);
    prev->prev_depth = -1;
    ccbuf j = {0};
    ccbuf_printf(&j,
                 "{\"image_size\":%d,\"resize_mode\":\"%s\",\"resize_only_if_bigger\":%d,\"encode_format\":\"%s\","
                 "\"encode_quality\":%d,\"keep_original\":%d,\"allow_private\":%d",
                 o->image_size, img_resize_mode_name(o->resize_mode), o->resize_only_if_bigger ? 1 : 0,
                 img_encode_format_ext(o->encode_format), o->encode_quality, o->keep_original ? 1 : 0,
                 h->allow_private ? 1 : 0);
    if (crawl_depth >= 0)
        ccbuf_printf(&j, ",\"depth\":%d,\"scope\":\"%s\"", crawl_depth, scope_name(crawl_scope));
    ccbuf_puts(&j, "}");
    char *old = NULL;
    int found = dataset_last_settings(ds, command, &old);
    cc_err rc = found < 0 ? CC_ERR_DB : dataset_run_settings(ds, (const char *)j.data);
    if (rc == CC_OK && found == 1) {
        json_value *a = json_parse(old, strlen(old), NULL, 0);
        json_value *b = json_parse((const char *)j.data, j.len, NULL, 0);
        if (a && b) {
            prev->had_previous = 1;
            prev->prev_depth = (int)json_get_number(a, "depth", -1);
            const char *sc = json_get_string(a, "scope", "host");
            if (url_scope_parse(sc, &prev->prev_scope) != 0)
                prev->prev_scope = URL_SCOPE_HOST;
            prev->prev_allow_private = (int)json_get_number(a, "allow_private", 0);
            ccbuf changed = {0};
            for (size_t i = 0; i < sizeof image_keys / sizeof image_keys[0]; i++) {
                const char *k = image_keys[i];
                char va[64], vb[64];
                const char *sa = json_get_string(a, k, NULL), *sb = json_get_string(b, k, NULL);
                if (sa || sb) {
                    snprintf(va, sizeof va, "%s", sa ? sa : "?");
                    snprintf(vb, sizeof vb, "%s", sb ? sb : "?");
                } else {
                    snprintf(va, sizeof va, "%g", json_get_number(a, k, -999));
                    snprintf(vb, sizeof vb, "%g", json_get_number(b, k, -999));
                }
                if (strcmp(va, vb) != 0)
                    ccbuf_printf(&changed, "%s%s %s -> %s", changed.len ? ", " : "", k, va, vb);
            }
            if (changed.len)
                fprintf(stderr,
                        "clipcrawl %s: settings changed since the last run (%s): they apply to what is still "
                        "to be fetched; samples already stored keep theirs\n",
                        command, (const char *)changed.data);
            ccbuf_free(&changed);
        }
        json_free(a);
        json_free(b);
    }
    free(old);
    ccbuf_free(&j);
    return rc;
}
