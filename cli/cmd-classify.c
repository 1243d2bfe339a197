/* cmd-classify.c — `clipcrawl classify --model M --labels a,b,c
 * [--template "a photo of a {}"] IMAGES...`: zero-shot classification.
 * One JSON line per image: the best label and softmax(logit_scale · cos)
 * over the labels. An unreadable image gets an "error" line; exit 1 then. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pipeline.h"
#include "common.h"

/* Splits "a,b,c" into labels (empty items dropped). */
static char **split_labels(const char *s, int *n)
{
    char **out = xcalloc(strlen(s) + 1, sizeof *out);
    *n = 0;
    const char *p = s;
    for (;;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len)
            out[(*n)++] = xstrndup(p, len);
        if (!q)
            break;
        p = q + 1;
    }
    return out;
}

/* template with every "{}" replaced by label. */
static char *fill(const char *tmpl, const char *label)
{
    ccbuf b = {0};
    for (const char *p = tmpl; *p;) {
        if (p[0] == '{' && p[1] == '}') {
            ccbuf_puts(&b, label);
            p += 2;
        } else {
            ccbuf_putc(&b, *p++);
        }
    }
    return ccbuf_detach(&b, NULL);
}

int cmd_classify(int argc, char **argv)
{
    if (cli_wants_help("classify", argc, argv))
        return EXIT_OK;
    clip_tool_options o;
    clip_tool_options_init(&o);
    char oerr[1024];
    const char *labels_arg = NULL, *tmpl = "a photo of a {}";
    const char **images = xcalloc((size_t)argc, sizeof *images);
    int ni = 0, nl = 0, rc = EXIT_FAIL, only_args = 0;
    char **labels = NULL;
    clip_model *m = NULL;
    clip_tokenizer *tok = NULL;
    clip_state *s = NULL;
    float *te = NULL, *px = NULL, *ie = NULL;
    int32_t *ids = NULL;
    int *eot = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_args) {
            int r = clip_tool_option(&o, argc, argv, &i, oerr, sizeof oerr);
            if (r < 0) {
                rc = cli_usage_error("classify", "%s", oerr);
                goto out;
            }
            if (r > 0)
                continue;
        }
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (!only_args && (strcmp(a, "--labels") == 0 || strcmp(a, "--template") == 0)) {
            if (i + 1 >= argc) {
                rc = cli_usage_error("classify", "%s needs a value", a);
                goto out;
            }
            if (a[2] == 'l')
                labels_arg = argv[++i];
            else
                tmpl = argv[++i];
        } else if (!only_args && strncmp(a, "--labels=", 9) == 0) {
            labels_arg = a + 9;
        } else if (!only_args && strncmp(a, "--template=", 11) == 0) {
            tmpl = a + 11;
        } else if (!only_args && a[0] == '-' && a[1]) {
            rc = cli_usage_error("classify", "unknown option '%s'", a);
            goto out;
        } else {
            images[ni++] = a;
        }
    }
    if (!labels_arg) {
        rc = cli_usage_error("classify", "--labels a,b,c is required");
        goto out;
    }
    labels = split_labels(labels_arg, &nl);
    if (nl < 1) {
        rc = cli_usage_error("classify", "--labels '%s' names no label", labels_arg);
        goto out;
    }
    if (ni == 0) {
        rc = cli_usage_error("classify", "no images given");
        goto out;
    }
    if (!strstr(tmpl, "{}")) {
        rc = cli_usage_error("classify", "--template '%s' has no {} for the label", tmpl);
        goto out;
    }
    if (!o.model) {
        rc = cli_usage_error("classify", "no model: pass --model DIR or set CLIPCRAWL_MODEL");
        goto out;
    }
    if (clip_tool_load(&o, &m, &tok, oerr, sizeof oerr) != 0) {
        rc = cli_fail("classify", "%s", oerr);
        goto out;
    }
    const clip_config *c = clip_model_config(m);
    int S = c->image_size, E = c->embed_dim, C = c->context_length;
    size_t img_floats = (size_t)3 * S * S;
    s = clip_state_new(m, o.batch);
    clip_state_set_threads(s, o.threads ? o.threads : cc_ncpus());
    /* Label embeddings once. */
    ids = xcalloc((size_t)nl * C, sizeof *ids);
    eot = xcalloc((size_t)nl, sizeof *eot);
    te = xmalloc((size_t)nl * E * sizeof(float));
    for (int k = 0; k < nl; k++) {
        char *text = fill(tmpl, labels[k]);
        clip_tool_tokens(tok, text, C, ids + (size_t)k * C, &eot[k]);
        free(text);
    }
    if (clip_encode_texts(s, ids, eot, nl, te) != 0) {
        cli_fail("classify", "%s", clip_state_errmsg(s));
        goto out;
    }
    clip_l2_normalize(te, nl, E);
    float scale = clip_model_logit_scale(m);
    px = xmalloc((size_t)o.batch * img_floats * sizeof(float));
    ie = xmalloc((size_t)o.batch * E * sizeof(float));
    int *ok = xcalloc((size_t)o.batch, sizeof *ok);
    double *p = xmalloc((size_t)nl * sizeof *p);
    rc = EXIT_OK;
    for (int b0 = 0; b0 < ni; b0 += o.batch) {
        int B = ni - b0 < o.batch ? ni - b0 : o.batch, nok = 0;
        char (*errs)[512] = xcalloc((size_t)B, sizeof *errs);
        for (int i = 0; i < B; i++) {
            ok[i] = clip_tool_image(images[b0 + i], S, px + (size_t)nok * img_floats, errs[i], sizeof errs[i]) == 0;
            nok += ok[i];
        }
        if (nok && clip_encode_images(s, px, nok, ie) != 0) {
            cli_fail("classify", "%s", clip_state_errmsg(s));
            free(errs);
            rc = EXIT_FAIL;
            break;
        }
        clip_l2_normalize(ie, nok, E);
        for (int i = 0, j = 0; i < B; i++) {
            ccbuf line = {0};
            ccbuf_puts(&line, "{\"path\":");
            ccbuf_json_string(&line, images[b0 + i], strlen(images[b0 + i]));
            if (!ok[i]) {
                fprintf(stderr, "clipcrawl classify: %s\n", errs[i]);
                ccbuf_puts(&line, ",\"error\":");
                ccbuf_json_string(&line, errs[i], strlen(errs[i]));
                rc = EXIT_FAIL;
            } else {
                const float *v = ie + (size_t)j++ * E;
                double mx = -INFINITY, sum = 0;
                int best = 0;
                for (int k = 0; k < nl; k++) {
                    p[k] = scale * clip_dot(v, te + (size_t)k * E, E);
                    if (p[k] > mx)
                        mx = p[k], best = k;
                }
                for (int k = 0; k < nl; k++)
                    sum += (p[k] = exp(p[k] - mx));
                ccbuf_puts(&line, ",\"label\":");
                ccbuf_json_string(&line, labels[best], strlen(labels[best]));
                ccbuf_printf(&line, ",\"prob\":%.6g,\"probs\":{", p[best] / sum);
                for (int k = 0; k < nl; k++) {
                    if (k)
                        ccbuf_putc(&line, ',');
                    ccbuf_json_string(&line, labels[k], strlen(labels[k]));
                    ccbuf_printf(&line, ":%.6g", p[k] / sum);
                }
                ccbuf_putc(&line, '}');
            }
            ccbuf_puts(&line, "}\n");
            fwrite(line.data, 1, line.len, stdout);
            ccbuf_free(&line);
        }
        free(errs);
    }
    free(ok);
    free(p);
    if (fflush(stdout) != 0)
        rc = EXIT_FAIL;
out:
    clip_state_free(s);
    clip_model_free(m);
    clip_tokenizer_free(tok);
    for (int k = 0; labels && k < nl; k++)
        free(labels[k]);
    free(labels), free(images), free(te), free(px), free(ie), free(ids), free(eot);
    return rc;
}
