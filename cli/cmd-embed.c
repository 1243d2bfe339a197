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

int cmd_embed(int argc, char **argv)
{
    if (cli_wants_help("embed", argc, argv))
        return EXIT_OK;
    clip_tool_options o;
    clip_tool_options_init(&o);
    char oerr[1024];
    const char **images = xcalloc((size_t)argc, sizeof *images), **texts = xcalloc((size_t)argc, sizeof *texts);
    int ni = 0, nt = 0, want_pixels = 0, rc = EXIT_FAIL;
    clip_model *m = NULL;
    clip_tokenizer *tok = NULL;
    clip_state *s = NULL;
    float *px = NULL, *ie = NULL, *te = NULL;
    int32_t *ids = NULL;
    int *eot = NULL, *ntok = NULL;
    for (int i = 1; i < argc; i++) {
        int r = clip_tool_option(&o, argc, argv, &i, oerr, sizeof oerr);
        if (r < 0) {
            rc = cli_usage_error("embed", "%s", oerr);
            goto out;
        }
        if (r > 0)
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
    if (clip_tool_load(&o, &m, nt > 0 ? &tok : NULL, oerr, sizeof oerr) != 0) {
        rc = cli_fail("embed", "%s", oerr);
        goto out;
    }
    const clip_config *c = clip_model_config(m);
    int S = c->image_size, E = c->embed_dim, C = c->context_length;
    size_t img_floats = (size_t)3 * S * S;
    s = clip_state_new(m, o.batch);
    clip_state_set_threads(s, o.threads ? o.threads : cc_ncpus());
    ccbuf out = {0};
    ccbuf_printf(&out, "{\"model\":{\"path\":");
    ccbuf_json_string(&out, clip_model_weights_path(m), strlen(clip_model_weights_path(m)));
    ccbuf_printf(&out, ",\"id\":\"%s\",\"config\":\"%s\",\"precision\":\"%s\",\"embed_dim\":%d,\"image_size\":%d,"
                       "\"patch_size\":%d,\"vision_width\":%d,\"vision_layers\":%d,\"text_width\":%d,\"text_layers\":%d,"
                       "\"activation\":\"%s\",\"logit_scale\":%.9g},\"images\":[",
                 clip_model_id(m), clip_model_config_source(m), clip_precision_name(o.precision), E, S, c->patch_size,
                 c->vision_width, c->vision_layers, c->text_width, c->text_layers,
                 c->act == CLIP_ACT_GELU ? "gelu" : "quick_gelu", (double)clip_model_logit_scale(m));
    px = xmalloc((ni ? (size_t)ni : 1) * img_floats * sizeof(float));
    ie = xmalloc((ni ? (size_t)ni : 1) * (size_t)E * sizeof(float));
    te = xmalloc((nt ? (size_t)nt : 1) * (size_t)E * sizeof(float));
    for (int i = 0; i < ni; i++) {
        char err[512];
        if (clip_tool_image(images[i], S, px + (size_t)i * img_floats, err, sizeof err) != 0) {
            cli_fail("embed", "%s", err);
            ccbuf_free(&out);
            goto out;
        }
    }
    if (ni && clip_encode_images(s, px, ni, ie) != 0) {
        cli_fail("embed", "%s", clip_state_errmsg(s));
        ccbuf_free(&out);
        goto out;
    }
    ids = xcalloc((nt ? (size_t)nt : 1) * (size_t)C, sizeof *ids);
    eot = xcalloc(nt ? (size_t)nt : 1, sizeof *eot);
    ntok = xcalloc(nt ? (size_t)nt : 1, sizeof *ntok);
    for (int i = 0; i < nt; i++)
        ntok[i] = clip_tool_tokens(tok, texts[i], C, ids + (size_t)i * C, &eot[i]);
    if (nt && clip_encode_texts(s, ids, eot, nt, te) != 0) {
        cli_fail("embed", "%s", clip_state_errmsg(s));
        ccbuf_free(&out);
        goto out;
    }
    clip_l2_normalize(ie, ni, E);
    clip_l2_normalize(te, nt, E);
    for (int i = 0; i < ni; i++) {
        ccbuf_printf(&out, "%s{\"path\":", i ? "," : "");
        ccbuf_json_string(&out, images[i], strlen(images[i]));
        if (want_pixels) {
            char hex[65];
            cc_sha256_hex(px + (size_t)i * img_floats, img_floats * sizeof(float), hex); /* f32le on x86-64 */
            ccbuf_printf(&out, ",\"pixels\":{\"shape\":[3,%d,%d],\"f32le_sha256\":\"%s\"}", S, S, hex);
        }
        ccbuf_puts(&out, ",\"embedding\":");
        json_floats(&out, ie + (size_t)i * E, E);
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
            ccbuf_printf(&out, "%s%.9g", k ? "," : "", (double)clip_dot(ie + (size_t)i * E, te + (size_t)k * E, E));
        ccbuf_putc(&out, ']');
    }
    ccbuf_puts(&out, "]}\n");
    fwrite(out.data, 1, out.len, stdout);
    ccbuf_free(&out);
    rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
out:
    clip_state_free(s);
    clip_model_free(m);
    clip_tokenizer_free(tok);
    free(images), free(texts), free(px), free(ie), free(te), free(ids), free(eot), free(ntok);
    return rc;
}
