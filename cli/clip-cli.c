/* clip-cli.c — see clip-cli.h. */
#include "clip-cli.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "image.h"
#include "preprocess.h"

void clip_cli_opts_init(clip_cli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->model = getenv("CLIPCRAWL_MODEL");
    if (o->model && !*o->model)
        o->model = NULL;
    o->precision = CLIP_FP32;
    o->batch = 16;
}

static const char *opt_value(const char *cmd, const char *name, int argc, char **argv, int *i, int *bad)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) == 0 && a[n] == '=')
        return a + n + 1;
    if (strcmp(a, name) != 0)
        return NULL;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "%s needs a value", name);
        *bad = 1;
        return NULL;
    }
    return argv[++*i];
}

int clip_cli_opt(const char *cmd, clip_cli_opts *o, int argc, char **argv, int *i)
{
    int bad = 0;
    const char *v;
    long n;
    if ((v = opt_value(cmd, "--model", argc, argv, i, &bad))) {
        o->model = v;
    } else if (!bad && (v = opt_value(cmd, "--tokenizer", argc, argv, i, &bad))) {
        o->tokenizer = v;
    } else if (!bad && (v = opt_value(cmd, "--precision", argc, argv, i, &bad))) {
        if (clip_precision_parse(v, &o->precision) != 0) {
            cli_usage_error(cmd, "--precision must be fp32 or bf16, not '%s'", v);
            return -1;
        }
    } else if (!bad && (v = opt_value(cmd, "--threads", argc, argv, i, &bad))) {
        if (cli_parse_long(v, 1, 1024, &n) != 0) {
            cli_usage_error(cmd, "--threads must be 1..1024, not '%s'", v);
            return -1;
        }
        o->threads = (int)n;
    } else if (!bad && (v = opt_value(cmd, "--batch", argc, argv, i, &bad))) {
        if (cli_parse_long(v, 1, 4096, &n) != 0) {
            cli_usage_error(cmd, "--batch must be 1..4096, not '%s'", v);
            return -1;
        }
        o->batch = (int)n;
    } else {
        return bad ? -1 : 0;
    }
    return 1;
}

int clip_cli_load(const char *cmd, const clip_cli_opts *o, int want_tok, clip_model **m, clip_tokenizer **t)
{
    char err[1024];
    *m = NULL;
    if (t)
        *t = NULL;
    if (!o->model) {
        cli_usage_error(cmd, "no model: pass --model DIR or set CLIPCRAWL_MODEL");
        return -1;
    }
    *m = clip_model_load(o->model, o->precision, err, sizeof err);
    if (!*m) {
        cli_fail(cmd, "%s", err);
        return -1;
    }
    if (want_tok && t) {
        char *dir = NULL;
        if (o->tokenizer) {
            dir = xstrdup(o->tokenizer);
        } else {
            struct stat sb;
            if (stat(o->model, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
                char *tmp = xstrdup(o->model);
                dir = xstrdup(dirname(tmp));
                free(tmp);
            } else {
                dir = xstrdup(o->model);
            }
        }
        *t = clip_tokenizer_load(dir, err, sizeof err);
        free(dir);
        if (!*t) {
            cli_fail(cmd, "%s", err);
            clip_model_free(*m);
            *m = NULL;
            return -1;
        }
    }
    return 0;
}

int clip_cli_image(const char *path, int image_size, float *out_chw, char *err, size_t errlen)
{
    ccbuf b = {0};
    if (cc_read_file(path, &b) != CC_OK) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    img_image im;
    memset(&im, 0, sizeof im);
    char e2[256];
    if (img_decode_native(b.data, b.len, 89478484, &im, e2, sizeof e2) != CC_OK) {
        snprintf(err, errlen, "%s: %s", path, e2);
        ccbuf_free(&b);
        return -1;
    }
    ccbuf_free(&b);
    int rc = clip_preprocess(&im, image_size, NULL, NULL, out_chw, NULL, e2, sizeof e2);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, e2);
    img_image_free(&im);
    return rc;
}

int clip_cli_tokens(const clip_tokenizer *t, const char *text, int context, int32_t *row, int *eot)
{
    memset(row, 0, (size_t)context * sizeof *row);
    int n = clip_tokenize(t, text, row, context, eot);
    return n < 0 ? 0 : n;
}

void clip_cli_json_floats(ccbuf *b, const float *v, int n)
{
    ccbuf_putc(b, '[');
    for (int i = 0; i < n; i++)
        ccbuf_printf(b, "%s%.9g", i ? "," : "", (double)v[i]);
    ccbuf_putc(b, ']');
}
