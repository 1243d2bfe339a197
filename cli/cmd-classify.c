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

/* The labels' embeddings and what each image's line needs. */
typedef struct {
    const char *const *images;
    char **labels;
    int nl, E, rc;
    const float *te; /* nl * E */
    float scale;     /* the model's logit scale */
    double *p;       /* nl */
} classify_ctx;

/* One JSON line per image: softmax(logit_scale * cos) over the labels, or
 * the error. An unreadable image makes the exit status 1 but goes on. */
static int take_image(int i, const float *v, const float *pixels, const char *error, void *ctx_)
{
    classify_ctx *x = ctx_;
    (void)pixels;
    ccbuf line = {0};
    ccbuf_puts(&line, "{\"path\":");
    ccbuf_json_string(&line, x->images[i], strlen(x->images[i]));
    if (error) {
        fprintf(stderr, "clipcrawl classify: %s\n", error);
        ccbuf_puts(&line, ",\"error\":");
        ccbuf_json_string(&line, error, strlen(error));
        x->rc = EXIT_FAIL;
    } else {
        double mx = -INFINITY, sum = 0, *p = x->p;
        int best = 0;
        for (int k = 0; k < x->nl; k++) {
            p[k] = x->scale * clip_dot(v, x->te + (size_t)k * x->E, x->E);
            if (p[k] > mx)
                mx = p[k], best = k;
        }
        for (int k = 0; k < x->nl; k++)
            sum += (p[k] = exp(p[k] - mx));
        ccbuf_puts(&line, ",\"label\":");
        ccbuf_json_string(&line, x->labels[best], strlen(x->labels[best]));
        ccbuf_printf(&line, ",\"prob\":%.6g,\"probs\":{", p[best] / sum);
        for (int k = 0; k < x->nl; k++) {
            if (k)
                ccbuf_putc(&line, ',');
            ccbuf_json_string(&line, x->labels[k], strlen(x->labels[k]));
            ccbuf_printf(&line, ":%.6g", p[k] / sum);
        }
        ccbuf_putc(&line, '}');
    }
    ccbuf_puts(&line, "}\n");
    fwrite(line.data, 1, line.len, stdout);
    ccbuf_free(&line);
    return 0;
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
    char **labels = NULL, **texts = NULL;
    clip_session *cs = NULL;
    float *te = NULL;
    double *p = NULL;
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
    if (!(cs = clip_session_open(&o, 1, oerr, sizeof oerr))) {
        rc = cli_fail("classify", "%s", oerr);
        goto out;
    }
    const clip_model *m = clip_session_model(cs);
    const int E = clip_model_config(m)->embed_dim;
    /* Label embeddings once. */
    texts = xcalloc((size_t)nl, sizeof *texts);
    for (int k = 0; k < nl; k++)
        texts[k] = fill(tmpl, labels[k]);
    te = xmalloc((size_t)nl * E * sizeof(float));
    if (clip_session_texts(cs, (const char *const *)texts, nl, te, NULL, NULL, oerr, sizeof oerr) != 0) {
        rc = cli_fail("classify", "%s", oerr);
        goto out;
    }
    p = xmalloc((size_t)nl * sizeof *p);
    classify_ctx x = {images, labels, nl, E, EXIT_OK, te, clip_model_logit_scale(m), p};
    if (clip_session_files(cs, images, ni, 0, take_image, &x, oerr, sizeof oerr) < 0) {
        cli_fail("classify", "%s", oerr);
        x.rc = EXIT_FAIL;
    }
    rc = x.rc;
    if (fflush(stdout) != 0)
        rc = EXIT_FAIL;
out:
    clip_session_free(cs);
    for (int k = 0; k < nl; k++) {
        free(labels[k]);
        if (texts)
            free(texts[k]);
    }
    free(labels), free(texts), free(images), free(te), free(p);
    return rc;
}
