/* safety.h — CLIP zero-shot safety tagging (NSFW / UNSURE / UNLIKELY).
 *
 * The method of LAION-400M/5B's release code: a set of text prompts, some
 * naming NSFW categories and many naming ordinary, safe ones, is embedded
 * once per model; an image embedding is compared (cosine) with every prompt
 * and the TWO best-matching categories decide:
 *
 *   both NSFW       -> "NSFW"
 *   exactly one     -> "UNSURE"
 *   neither         -> "UNLIKELY"
 *
 * The many neutral categories are what keeps the tag honest: an image has to
 * look more like "porn" than like a beach, a portrait or a fashion photo to be
 * tagged. Ties are broken towards the lower category index (the NSFW
 * categories come first), so a result never depends on thread timing.
 *
 * The prompt set (ours, written for this project, in the spirit of LAION's):
 *
 *   NSFW (CLIP_SAFETY_N_NSFW): "an image of porn", "a pornographic photo",
 *     "sexual", "nude", "a naked person", "an explicit sex scene",
 *     "an erotic photo", "a topless woman", "a photo of genitals",
 *     "hentai, explicit anime porn", "a webcam sex show", "a fetish photo"
 *   neutral (the rest): landscape, drawing, food, a person, a portrait, a
 *     child playing, an animal, a pet, a building, a city street, a room
 *     interior, furniture, a car, a product, clothing, a fashion model, a
 *     swimsuit on a beach, sports, a crowd, a painting, a cartoon, a logo,
 *     a screenshot of text, a diagram, a map, plants and flowers, a beach, a
 *     wedding, medical/anatomy illustration, a statue, a baby, jewelry,
 *     shoes, a kitchen, a book cover, electronics, a tattoo, a dance
 *     performance (see safety.c for the exact strings).
 *
 * clip_safety_prompt() lists them; clipscore/README.md documents the set.
 * Only the image embedding is used, never the caption (the caption has its
 * own word-list rule, filters/caption.h `unsafe`).
 *
 * Thread safety: a clip_safety is immutable after creation; clip_safety_tag()
 * may be called from any number of threads at once.
 */
#ifndef CC_CLIPSCORE_SAFETY_H
#define CC_CLIPSCORE_SAFETY_H

#include <stddef.h>

#include "clip.h"
#include "tokenizer.h"

typedef struct clip_safety clip_safety;

/* The three tags (static strings; the values stored in items.nsfw). */
#define CLIP_SAFETY_NSFW "NSFW"
#define CLIP_SAFETY_UNSURE "UNSURE"
#define CLIP_SAFETY_UNLIKELY "UNLIKELY"

/* Embeds the built-in prompt set with model m (text tower) using tokenizer t
 * and the caller's scratch state s (used only during this call; s must
 * belong to m). The embeddings are L2-normalised and kept by the returned
 * object, which does not reference m, t or s afterwards.
 * Returns NULL with a one-line message in err (errlen bytes) when the text
 * tower fails (clip_state_errmsg) or an argument is NULL. */
clip_safety *clip_safety_new(const clip_model *m, const clip_tokenizer *t, clip_state *s, char *err,
                             size_t errlen);

/* Builds a tagger from given category embeddings: n rows of d floats (copied
 * and L2-normalised; a zero row scores cosine 0 against everything), is_nsfw[i]
 * nonzero for NSFW categories, names[i] (may be NULL: "category i") copied.
 * For tests and for users with their own prompt set. NULL if n < 2, d < 1 or
 * emb/is_nsfw is NULL. */
clip_safety *clip_safety_new_from_embeddings(const float *emb, const int *is_nsfw, const char *const *names, int n,
                                             int d);

void clip_safety_free(clip_safety *s); /* NULL is a no-op */

/* The tag of one image embedding (embed_dim floats, L2-normalised: only the
 * order of cosines matters, so an unnormalised vector gives the same tag).
 * Returns CLIP_SAFETY_NSFW, _UNSURE or _UNLIKELY (static strings). */
const char *clip_safety_tag(const clip_safety *s, const float *image_emb_normalised);

/* The same, also reporting the two winning categories (top[0] best) and
 * their cosines; top / cos may be NULL. */
const char *clip_safety_tag_ex(const clip_safety *s, const float *image_emb_normalised, int top[2], float cos[2]);

/* Introspection: number of categories, the embedding width, category i's
 * prompt text (owned by s; NULL if i is out of range), whether it is an NSFW
 * category, and its normalised embedding (d floats owned by s). */
int clip_safety_count(const clip_safety *s);
int clip_safety_dim(const clip_safety *s);
const char *clip_safety_prompt(const clip_safety *s, int i);
int clip_safety_is_nsfw(const clip_safety *s, int i);
const float *clip_safety_embedding(const clip_safety *s, int i);

#endif
