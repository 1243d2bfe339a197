/* judge.c — the ordered rules of judge.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge.h"
#include "repeats.h"
#include "safety.h"

struct judge {
    filter_config fc;
    caption_filter *captions;
    img_checks checks;
};

judge *judge_new(const filter_config *fc, char *err, size_t errlen)
{
    judge *j = xcalloc(1, sizeof *j);
    j->fc = *fc;
    j->captions = caption_filter_new_err(&j->fc, err, errlen);
    if (!j->captions) {
        free(j);
        return NULL;
    }
    img_checks_defaults(&j->checks);
    j->checks.min_side = fc->image_min_side;
    j->checks.max_aspect_ratio = fc->image_max_aspect_ratio;
    j->checks.max_pixels = fc->image_max_pixels;
    j->checks.min_bytes = (size_t)fc->image_min_bytes;
    return j;
}

void judge_free(judge *j)
{
    if (!j)
        return;
    caption_filter_free(j->captions);
    free(j);
}

const filter_config *judge_config(const judge *j) { return &j->fc; }
const caption_filter *judge_captions(const judge *j) { return j->captions; }
const img_checks *judge_image_checks(const judge *j) { return &j->checks; }

/* Fills *out with bits and the known (positive) size and repeat count. */
static const caption_place *place_facts(unsigned bits, int width, int height, int repeats, caption_place *out)
{
    out->bits = bits;
    out->width = width > 0 ? width : 0;
    out->height = height > 0 ? height : 0;
    out->repeats = repeats > 0 ? repeats : 0;
    return out;
}

const caption_place *judge_place(const dataset_place *stored, caption_place *out)
{
    memset(out, 0, sizeof *out);
    if (!stored || !stored->placement)
        return NULL;
    unsigned bits = CC_PLACE_UNKNOWN;
    (void)cc_place_parse(stored->placement, &bits); /* -1: a newer name; the known bits are in bits */
    return place_facts(bits, stored->width, stored->height, stored->repeats, out);
}

const caption_place *judge_image_place(const extract_image *img, caption_place *out)
{
    memset(out, 0, sizeof *out);
    if (!img || img->placement == CC_PLACE_UNKNOWN)
        return NULL;
    return place_facts(img->placement, img->width, img->height, img->alt_repeats, out);
}

caption_verdict judge_page_verdict(const caption_filter *f, const char *text, const extract_image *img)
{
    caption_place pl;
    return caption_judge_placed(f, text, strlen(text), judge_image_place(img, &pl), NULL);
}

int judge_page_caption(const char *text, const extract_image *img, void *ctx, const char **reason)
{
    caption_verdict v = judge_page_verdict(ctx, text, img);
    *reason = v.reason;
    return v.code == CAPTION_KEEP;
}

static int reject(judge_verdict *v, const char *reason, const char *detail)
{
    v->reason = reason;
    snprintf(v->detail, sizeof v->detail, "%s", detail ? detail : "");
    return 1;
}

int judge_sample(const judge *j, const judge_facts *f, judge_verdict *v)
{
    memset(v, 0, sizeof *v);
    char d[160];
    /* 1. the caption */
    if (f->caption && f->caption->code != CAPTION_KEEP)
        return reject(v, f->caption->reason, f->caption->detail);
    /* 2. the same caption on many images */
    if (f->caption_repeat_images > 0 &&
        caption_is_repeated(j->captions, f->caption_repeat_images, f->caption_repeat_sources)) {
        repeat_detail(d, sizeof d, f->caption_repeat_images, f->caption_repeat_sources);
        return reject(v, caption_reason_name(CAPTION_BOILERPLATE), d);
    }
    /* 3. the image's size and bytes */
    if (f->has_size && f->width > 0 && f->height > 0) {
        const char *why = img_check(&j->checks, (size_t)(f->bytes > 0 ? f->bytes : 0), f->width, f->height);
        if (why) {
            snprintf(d, sizeof d, "%dx%d, %lld bytes", f->width, f->height, (long long)f->bytes);
            return reject(v, why, d);
        }
    }
    /* 4. safety before 5. quality */
    if (j->fc.nsfw_reject && f->safety_tag && strcmp(f->safety_tag, CLIP_SAFETY_NSFW) == 0)
        return reject(v, "unsafe_image", "CLIP safety tag NSFW");
    /* 5. the CLIP score */
    if (f->has_score && j->fc.clip_min_score != 0 && f->score < j->fc.clip_min_score) {
        snprintf(d, sizeof d, "CLIP score %.4f below %.4f", f->score, j->fc.clip_min_score);
        return reject(v, "low_clip_score", d);
    }
    return 0;
}
