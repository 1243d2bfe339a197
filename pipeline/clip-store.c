/* clip-store.c — CLIP results into the dataset (see clip-store.h). */
#include <stdio.h>
#include <stdlib.h>

#include "clip-store.h"
#include "common.h"

int64_t clip_store_model(dataset *ds, const clip_model *m, clip_precision prec)
{
    const clip_config *c = clip_model_config(m);
    char config[512];
    snprintf(config, sizeof config,
             "{\"embed_dim\":%d,\"image_size\":%d,\"patch_size\":%d,\"vision_width\":%d,\"vision_layers\":%d,"
             "\"text_width\":%d,\"text_layers\":%d,\"activation\":\"%s\",\"source\":\"%s\"}",
             c->embed_dim, c->image_size, c->patch_size, c->vision_width, c->vision_layers, c->text_width,
             c->text_layers, c->act == CLIP_ACT_GELU ? "gelu" : "quick_gelu", clip_model_config_source(m));
    dataset_clip_model dm = {
        .model_id = clip_model_id(m), .precision = clip_precision_name(prec),
        .path = clip_model_weights_path(m), .config_json = config,
        .embed_dim = c->embed_dim, .logit_scale = (double)clip_model_logit_scale(m),
    };
    return dataset_clip_model_add(ds, &dm);
}

cc_err clip_store_score(dataset *ds, const char *key, int64_t model_row, float score, const float *image_emb,
                        const float *text_emb, int d)
{
    uint16_t *hi = xmalloc((size_t)d * sizeof *hi), *ht = xmalloc((size_t)d * sizeof *ht);
    clip_f32_to_f16(image_emb, hi, (size_t)d);
    clip_f32_to_f16(text_emb, ht, (size_t)d);
    cc_err rc = dataset_put_clip_score(ds, key, model_row, (double)score, hi, ht, d);
    free(hi);
    free(ht);
    return rc;
}
