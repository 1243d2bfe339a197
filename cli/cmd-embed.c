/* cmd-embed.c — `clipcrawl embed --model M [--image F]... [--text S]...`:
 * CLIP embeddings (L2-normalised), token ids and the image×text cosine
 * matrix as one JSON object on stdout. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pipeline.h"
#include "common.h"

/* A float array as JSON with round-trip precision. */
static void json_floats(ccbuf *b, const float *v, int n)
{
    ccbuf_putc(b, '[');
    for (int i = 0; i < n; i++)
        ccbuf_printf(b, "%s%.9g", i ? "," : "", (double)v[i]);
    ccbuf_putc(b, ']');
}

/* What clip_session_files hands back, kept for the output. */
typedef struct {
    float *emb;             /* ni * E */
    char (*pixels_sha)[65]; /* ni, when --pixels */
    size_t img_floats;
    int E;
    char err[512];          /* the first unreadable image */
} embed_images;

static int take_image(int i, const float *embedding, const float *pixels, const char *error, void *ctx)
{
    embed_images *r = ctx;
    if (error) {
        snprintf(r->err, sizeof r->err, "%s", error);
        return 1; /* one unreadable image fails the command */
    }
    memcpy(r->emb + (size_t)i * r->E, embedding, (size_t)r->E * sizeof *embedding);
    if (r->pixels_sha) /* f32le on x86-64 */
        cc_sha256_hex(pixels, r->img_floats * sizeof(float), r->pixels_sha[i]);
    return 0;
}

int cmd_embed(int argc, char **argv)
{
    if (cli_wants_help("embed", argc, argv))
        return EXIT_OK;
    clip_tool_options o;
    clip_tool_options_init(&o);
    char oerr[1024];
    const char **images = xcalloc((size_t)argc, sizeof *images), **texts = xcalloc((size_t)argc, sizeof *texts);
    int ni = 0, nt = 0, want_pixels = 0, rc = EXIT_FAIL;
    clip_session *cs = NULL;
    embed_images r = {0};
    float *te = NULL;
    int32_t *ids = NULL;
    int *ntok = NULL;
    for (int i = 1; i < argc; i++) {
        int opt = clip_tool_option(&o, argc, argv, &i, oerr, sizeof oerr);
        if (opt < 0) {
            rc = cli_usage_error("embed", "%s", oerr);
            goto out;
        }
        if (opt > 0)
            continue;
        const char *a = argv[i];
        if ((strcmp(a, "--image") == 0 || strcmp(a, "--text") == 0) && i + 1 < argc) {
            if (a[2] == 'i')
                images[ni++] = argv[++i];
            else
                texts[nt++] = argv[++i];
        } else if (strncmp(a, "--image=", 8) == 0) {
            images[ni++] = a + 8;
        } else if (strncmp(a, "--text=", 7) == 0) {
            texts[nt++] = a + 7;
        } else if (strcmp(a, "--pixels") == 0) {
            want_pixels = 1;
        } else if (strcmp(a, "--image") == 0 || strcmp(a, "--text") == 0) {
            rc = cli_usage_error("embed", "%s needs a value", a);
            goto out;
        } else {
            rc = cli_usage_error("embed", "unexpected argument '%s'", a);
            goto out;
        }
    }
    if (ni == 0 && nt == 0) {
        rc = cli_usage_error("embed", "nothing to embed: give --image FILE and/or --text TEXT");
        goto out;
    }
    if (!o.model) {
        rc = cli_usage_error("embed", "no model: pass --model DIR or set CLIPCRAWL_MODEL");
        goto out;
    }
    if (!(cs = clip_session_open(&o, nt > 0, oerr, sizeof oerr))) {
        rc = cli_fail("embed", "%s", oerr);
        goto out;
    }
    const clip_model *m = clip_session_model(cs);
    const clip_config *c = clip_model_config(m);
    int S = c->image_size, E = c->embed_dim, C = c->context_length;
    r.E = E;
    r.img_floats = (size_t)3 * S * S;
    r.emb = xmalloc((ni ? (size_t)ni : 1) * (size_t)E * sizeof(float));
    if (want_pixels)
        r.pixels_sha = xcalloc(ni ? (size_t)ni : 1, sizeof *r.pixels_sha);
    /* all images in one pass, as one encoder call */
    int got = clip_session_files(cs, images, ni, ni, take_image, &r, oerr, sizeof oerr);
    if (got != 0) {
        rc = cli_fail("embed", "%s", got > 0 ? r.err : oerr);
        goto out;
    }
    te = xmalloc((nt ? (size_t)nt : 1) * (size_t)E * sizeof(float));
    ids = xcalloc((nt ? (size_t)nt : 1) * (size_t)C, sizeof *ids);
    ntok = xcalloc(nt ? (size_t)nt : 1, sizeof *ntok);
    if (clip_session_texts(cs, texts, nt, te, ids, ntok, oerr, sizeof oerr) != 0) {
        rc = cli_fail("embed", "%s", oerr);
        goto out;
    }
    ccbuf out = {0};
    ccbuf_printf(&out, "{\"model\":{\"path\":");
    ccbuf_json_string(&out, clip_model_weights_path(m), strlen(clip_model_weights_path(m)));
    ccbuf_printf(&out, ",\"id\":\"%s\",\"config\":\"%s\",\"precision\":\"%s\",\"embed_dim\":%d,\"image_size\":%d,"
                       "\"patch_size\":%d,\"vision_width\":%d,\"vision_layers\":%d,\"text_width\":%d,\"text_layers\":%d,"
                       "\"activation\":\"%s\",\"logit_scale\":%.9g},\"images\":[",
                 clip_model_id(m), clip_model_config_source(m), clip_precision_name(o.precision), E, S, c->patch_size,
                 c->vision_width, c->vision_layers, c->text_width, c->text_layers,
                 c->act == CLIP_ACT_GELU ? "gelu" : "quick_gelu", (double)clip_model_logit_scale(m));
    for (int i = 0; i < ni; i++) {
        ccbuf_printf(&out, "%s{\"path\":", i ? "," : "");
        ccbuf_json_string(&out, images[i], strlen(images[i]));
        if (want_pixels)
            ccbuf_printf(&out, ",\"pixels\":{\"shape\":[3,%d,%d],\"f32le_sha256\":\"%s\"}", S, S, r.pixels_sha[i]);
        ccbuf_puts(&out, ",\"embedding\":");
        json_floats(&out, r.emb + (size_t)i * E, E);
        ccbuf_putc(&out, '}');
    }
    ccbuf_puts(&out, "],\"texts\":[");
    for (int i = 0; i < nt; i++) {
        ccbuf_printf(&out, "%s{\"text\":", i ? "," : "");
        ccbuf_json_string(&out, texts[i], strlen(texts[i]));
        ccbuf_puts(&out, ",\"tokens\":[");
        for (int k = 0; k < ntok[i]; k++)
            ccbuf_printf(&out, "%s%d", k ? "," : "", (int)ids[(size_t)i * C + k]);
        ccbuf_puts(&out, "],\"embedding\":");
        json_floats(&out, te + (size_t)i * E, E);
        ccbuf_putc(&out, '}');
    }
    ccbuf_puts(&out, "],\"similarity\":[");
    for (int i = 0; i < ni; i++) {
        ccbuf_printf(&out, "%s[", i ? "," : "");
        for (int k = 0; k < nt; k++)
            ccbuf_printf(&out, "%s%.9g", k ? "," : "",
                         (double)clip_dot(r.emb + (size_t)i * E, te + (size_t)k * E, E));
        ccbuf_putc(&out, ']');
    }
    ccbuf_puts(&out, "]}\n");
    fwrite(out.data, 1, out.len, stdout);
    ccbuf_free(&out);
    rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
out:
    clip_session_free(cs);
    free(images), free(texts), free(r.emb), free(r.pixels_sha), free(te), free(ids), free(ntok);
    return rc;
}
