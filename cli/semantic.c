/* semantic.c — see semantic.h. */
#include "semantic.h"

#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"

void semantic_opts_init(semantic_opts *s)
{
    memset(s, 0, sizeof *s);
    s->k = 20;
    clip_tool_options_init(&s->clip);
}

int semantic_opt(const char *cmd, semantic_opts *s, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char **slot = strcmp(a, "--text") == 0      ? &s->text
                        : strcmp(a, "--image") == 0   ? &s->image
                        : strcmp(a, "--similar") == 0 ? &s->similar
                                                      : NULL;
    if (slot || strcmp(a, "--k") == 0) {
        const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
        /* --text is free text; a KEY, FILE or number never starts with "--" */
        if (slot == &s->text ? !v && cli_missing_value(cmd, a, v) : cli_missing_value(cmd, a, v) != 0)
            return -1;
        ++*i;
        if (slot) {
            *slot = v;
        } else if (cli_parse_long(v, 1, 1000000, &s->k) != 0) {
            cli_usage_error(cmd, "--k needs a number 1..1000000, got '%s'", v);
            return -1;
        }
        return 1;
    }
    const char *before = s->clip.model;
    char err[256];
    int r = clip_tool_option(&s->clip, argc, argv, i, err, sizeof err);
    if (r < 0)
        cli_usage_error(cmd, "%s", err);
    if (r > 0 && s->clip.model != before)
        s->model_given = 1;
    return r;
}

int semantic_active(const semantic_opts *s) { return s->text || s->image || s->similar; }

int semantic_check(const char *cmd, const semantic_opts *s)
{
    if ((s->text != NULL) + (s->image != NULL) + (s->similar != NULL) > 1)
        return cli_usage_error(cmd, "--text, --image and --similar are one query each: give one of them");
    return 0;
}

/* The query vector from --text / --image (model loaded) or --similar. */
static int query_vector(const char *cmd, semantic_opts *s, dataset_emb_index *x, const dataset_emb_model *dm,
                        clip_model *m, clip_tokenizer *tok, float *q)
{
    char err[512];
    if (s->similar) {
        if (dataset_emb_vector(x, s->similar, q, err, sizeof err) != CC_OK)
            return cli_fail(cmd, "--similar %s: %s", s->similar, err);
        return EXIT_OK;
    }
    const clip_config *c = clip_model_config(m);
    clip_state *st = clip_state_new(m, 1);
    clip_state_set_threads(st, s->clip.threads);
    int rc = 0;
    if (s->text) {
        int32_t *ids = xcalloc((size_t)c->context_length, sizeof *ids);
        int eot = 0;
        clip_tool_tokens(tok, s->text, c->context_length, ids, &eot);
        rc = clip_encode_texts(st, ids, &eot, 1, q);
        free(ids);
    } else {
        float *px = xmalloc((size_t)3 * c->image_size * c->image_size * sizeof *px);
        if (clip_tool_image(s->image, c->image_size, px, err, sizeof err) != 0) {
            free(px);
            clip_state_free(st);
            return cli_fail(cmd, "--image %s", err);
        }
        rc = clip_encode_images(st, px, 1, q);
        free(px);
    }
    if (rc != 0) {
        int r = cli_fail(cmd, "%s", clip_state_errmsg(st));
        clip_state_free(st);
        return r;
    }
    clip_state_free(st);
    clip_l2_normalize(q, 1, dm->dim);
    return EXIT_OK;
}

int semantic_search(const char *cmd, dataset *ds, semantic_opts *s, const dataset_selection *sel,
                    dataset_hit **hits, size_t *n)
{
    char err[512];
    int status = EXIT_OK;
    clip_model *m = NULL;
    clip_tokenizer *tok = NULL;
    dataset_emb_model dm = {0};
    dataset_emb_index *x = NULL;
    float *q = NULL;
    const int need_model = !s->similar;
    if (s->model_given) {
        /* an explicit model: its id picks the stored embeddings */
        if (clip_tool_load(&s->clip, &m, need_model ? &tok : NULL, err, sizeof err) != 0)
            return cli_fail(cmd, "%s", err);
        if (dataset_emb_model_find(ds, clip_model_id(m), NULL, &dm, err, sizeof err) != CC_OK) {
            status = cli_fail(cmd, "%s", err);
            goto out;
        }
    } else {
        /* the model that scored the dataset, from where it was loaded then */
        if (dataset_emb_model_find(ds, NULL, NULL, &dm, err, sizeof err) != CC_OK) {
            status = cli_fail(cmd, "%s", err);
            goto out;
        }
        if (need_model) {
            clip_tool_options o = s->clip;
            o.model = dm.weights_path;
            clip_precision_parse(dm.precision, &o.precision);
            if (clip_tool_load(&o, &m, &tok, err, sizeof err) != 0) {
                cli_fail(cmd, "%s", err);
                cc_log(CC_LOG_ERROR, "%s: the dataset was scored with %s; pass --model DIR to load it from elsewhere",
                       cmd, dm.weights_path);
                status = EXIT_FAIL;
                goto out;
            }
        }
    }
    x = dataset_emb_index_open(ds, &dm, DATASET_EMB_DEFAULT, err, sizeof err);
    if (!x) {
        status = cli_fail(cmd, "%s", err);
        goto out;
    }
    q = xmalloc((size_t)dm.dim * sizeof *q);
    if (m && clip_model_config(m)->embed_dim != dm.dim) {
        status = cli_fail(cmd, "model makes %d-d embeddings, the stored ones are %d-d", clip_model_config(m)->embed_dim,
                          dm.dim);
        goto out;
    }
    if ((status = query_vector(cmd, s, x, &dm, m, tok, q)) != EXIT_OK)
        goto out;
    dataset_selection sel2 = sel ? *sel : (dataset_selection){0};
    if (sel2.has_min_clip_score && sel2.model_row <= 0)
        sel2.model_row = dm.row;
    if (dataset_emb_search(x, q, (size_t)s->k, &sel2, s->clip.threads, hits, n, err, sizeof err) != CC_OK)
        status = cli_fail(cmd, "%s", err);
out:
    free(q);
    dataset_emb_index_close(x);
    dataset_emb_model_clear(&dm);
    clip_model_free(m);
    clip_tokenizer_free(tok);
    return status;
}
