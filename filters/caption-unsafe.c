/* caption-unsafe.c — the `unsafe` rule: sexual or explicit content and
 * graphic violence, in any language (the lists are filters/wordlists/unsafe.txt,
 * whose header explains each section).
 *
 * [strong] words and phrases fire alone. Ambiguous words need a second cue of
 * the same domain: sexual ([weak] with another [weak] or a [context] word) or
 * graphic violence ([gore] with another [gore] or a [gore-context] word); the
 * two domains never pair. A multi-word entry of any tier ("big ass", "hidden
 * camera", "dead body") is one cue spanning its words. Words are matched whole, as prefixes (entries
 * ending in '*'), or, for the compound stems of German, Dutch and the
 * Scandinavian languages, as the first or last part of a longer word;
 * [innocent] words never match as prefix or compound. In a clothing or
 * make-up title ([garment]) the [fashion] words are the product's adjectives
 * and count as no cue. A third pairing describes a person undressed or in a
 * sex act in plain words: a [nudity] word or phrase ("naked", "without
 * clothes", "making love", "desnuda") with a [person] noun ("woman",
 * "couple", "Frau", "人妻") is unsafe, unless a [nudity-innocent] word puts
 * it in art, medicine or news ("Reclining nude woman, oil on canvas",
 * "naked woman arrested"). Chinese, Japanese and Korean entries match as substrings of the
 * folded text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caption-internal.h"
#include "common.h"

/* Weak words compare without a plural 's' ("tit" and "tits" are one cue). */
static int same_stem(const char *a, size_t al, const char *b, size_t bl)
{
    if (al && a[al - 1] == 's')
        al--;
    if (bl && b[bl - 1] == 's')
        bl--;
    return al == bl && memcmp(a, b, al) == 0;
}

/* One cue seen: an ambiguous word ([weak], [gore]) or a context word, with
 * the words it spans [pos, end); pos is (size_t)-1 for a CJK substring, which
 * has no place among the words. */
typedef struct {
    const char *w;
    size_t len, pos, end;
    int fashion, nudity;
} cue;

/* The cues of one domain (sexual: [weak]/[context]; graphic violence:
 * [gore]/[gore-context]). A domain's ambiguous word is unsafe with a second,
 * different ambiguous word of the SAME domain, or with a context word of that
 * domain elsewhere that is not the same word again ("Sexy ... Dress <br> New
 * Sexy ..." repeats one cue). Domains never pair: "cadaver" is not sexual next
 * to "penis" in an anatomy lab, "Corpse Party" is a game title. */
typedef struct {
    cue weak[16], ctx[8];
    size_t nweak, nctx;
} cues;

static void cue_add(cue *list, size_t *n, size_t cap, cue c)
{
    if (*n < cap)
        list[(*n)++] = c;
}

/* Two cues are one when their words overlap ("dead bodies" and "bodies") or
 * they are one word, plural or not. */
static int cue_same(const cue *a, const cue *b)
{
    if (a->pos != (size_t)-1 && b->pos != (size_t)-1 && a->pos < b->end && b->pos < a->end)
        return 1;
    return same_stem(a->w, a->len, b->w, b->len);
}

/* 1 (and the detail written) when C's cues make the caption unsafe. In a
 * product title (GARMENT) the [fashion] words are the product's adjectives
 * and count as no cue ("Sexy Mini Prom Lace Girls Party Gowns"). SUBSTR_CTX:
 * whether a CJK substring's ambiguous word may pair with a context word.
 * NUDE_OK: a [nudity-innocent] word (art, medicine, news) stands in the
 * caption, so a [nudity] word with a context word is no cue pair ("Bronze
 * statue of a naked girl"); two ambiguous words still are. */
static int cues_fire(judge_ctx *x, const cues *c, int garment, int substr_ctx, int nude_ok, const char *what)
{
    for (size_t a = 0; a < c->nweak; a++) {
        if (garment && c->weak[a].fashion)
            continue;
        for (size_t b = 0; b < a; b++) {
            if ((garment && c->weak[b].fashion) || cue_same(&c->weak[a], &c->weak[b]))
                continue;
            snprintf(x->detail, x->detaillen, "two ambiguous terms, one '%.*s'", (int)c->weak[b].len, c->weak[b].w);
            return 1;
        }
    }
    for (size_t a = 0; a < c->nweak; a++) {
        if ((garment && c->weak[a].fashion) || (!substr_ctx && c->weak[a].pos == (size_t)-1) ||
            (nude_ok && c->weak[a].nudity))
            continue;
        for (size_t k = 0; k < c->nctx; k++) {
            if (cue_same(&c->weak[a], &c->ctx[k]))
                continue;
            snprintf(x->detail, x->detaillen, "'%.*s' in a %s context", (int)c->weak[a].len, c->weak[a].w, what);
            return 1;
        }
    }
    return 0;
}

/* 1 (and the detail written) when a nudity or sex-act cue of C->weak stands
 * with a person noun of C->ctx ("naked woman", "couple making love"). Not
 * when a [nudity-innocent] word (NUDE_OK) makes it art, medicine or news
 * ("nude woman, oil on canvas"), and in a product title (GARMENT) the
 * [fashion] words are no cue ("Nude Heels for Women"). */
static int nudity_fires(judge_ctx *x, const cues *c, int garment, int nude_ok)
{
    if (nude_ok)
        return 0;
    for (size_t a = 0; a < c->nweak; a++) {
        if (garment && c->weak[a].fashion)
            continue;
        for (size_t k = 0; k < c->nctx; k++) {
            if (cue_same(&c->weak[a], &c->ctx[k]))
                continue;
            snprintf(x->detail, x->detaillen, "'%.*s' with a person ('%.*s')", (int)c->weak[a].len, c->weak[a].w,
                     (int)c->ctx[k].len, c->ctx[k].w);
            return 1;
        }
    }
    return 0;
}

/* The list flags of every span of words [i, i+k), k = 1..max_phrase, looked
 * up once: SPAN[i * max_phrase + k - 1] (0 past the last word). */
static capflags *span_flags(judge_ctx *x, ccbuf *tmp)
{
    size_t m = x->f->max_phrase;
    capflags *span = xcalloc(x->w.n * m + 1, sizeof *span);
    for (size_t i = 0; i < x->w.n; i++)
        for (size_t k = 1; k <= m && i + k <= x->w.n; k++)
            span[i * m + k - 1] = k == 1 ? cap_word_flags(x, i) : cap_span_flags(x, i, k, tmp);
    return span;
}

/* Marks in NEUTRAL[] the words of every multi-word [innocent] entry in the
 * caption ("naked eye", "sex education", "Granny Smith", "Sex Pistols"):
 * they name something innocent, so none of their words is a cue. */
static void innocent_phrases(const judge_ctx *x, const capflags *span, unsigned char *neutral)
{
    size_t m = x->f->max_phrase;
    for (size_t i = 0; i < x->w.n; i++)
        for (size_t k = 2; k <= m && i + k <= x->w.n; k++)
            if (span[i * m + k - 1] & F_INNOCENT)
                memset(neutral + i, 1, k);
}

/* Whether CJK entry s occurs in fold other than inside an occurrence of a
 * CJK [innocent] entry: 性爱 inside 个性爱好 ("personal hobby") or 男性爱好者
 * is no cue, since these scripts have no spaces to mark the word. */
static int substr_outside_innocent(const caption_filter *f, const char *fold, const char *s)
{
    size_t sl = strlen(s);
    for (const char *at = strstr(fold, s); at; at = strstr(at + 1, s)) {
        int covered = 0;
        for (size_t q = 0; q < f->substrs.n && !covered; q++) {
            const entry *in = &f->substrs.e[q];
            if (!(in->flags & F_INNOCENT))
                continue;
            size_t il = strlen(in->s), back = (size_t)(at - fold) < il ? (size_t)(at - fold) : il;
            /* an occurrence of the innocent entry that starts at most il
             * bytes before at and spans all of s */
            for (const char *b = strstr(at - back, in->s); b && b <= at && !covered; b = strstr(b + 1, in->s))
                covered = b + il >= at + sl;
        }
        if (!covered)
            return 1;
    }
    return 0;
}

/* 1 (and the detail written) when the weighted phrases of unsafe-phrases.txt
 * (e2guardian's lists, caption-phrases.h) sum to unsafe_phrase_threshold or
 * more: porn-site phrases with no word of unsafe.txt ("amateur wives",
 * "scat video"), or weaker phrases that add up ("hot amateur" + "amateur"). */
static int phrases_fire(judge_ctx *x)
{
    int th = x->f->cfg.unsafe_phrase_threshold;
    if (th <= 0 || !x->f->phrases || x->detaillen < 64)
        return 0;
    /* the phrases' detail goes after this prefix; phrase_list_score cuts it
     * at a character boundary to fit */
    int pre = snprintf(x->detail, x->detaillen, "weighted phrases (threshold %d) ", th);
    long s = phrase_list_score(x->f->phrases, x->norm, x->nlen, x->detail + pre, x->detaillen - (size_t)pre);
    if (s < th) {
        x->detail[0] = '\0';
        return 0;
    }
    return 1;
}

/* [strong] entries fire alone; the ambiguous ones need a second cue of their
 * domain (cues_fire). Words are matched whole, as prefixes ('*') or, for the
 * compound stems, as the first or last part of a longer word. */
int cap_rule_unsafe(judge_ctx *x)
{
    const caption_filter *f = x->f;
    ccbuf tmp = {0};
    cues sex = {0}, gore = {0}, nude = {0};
    int fired = 0, garment = 0, nude_ok = 0;
    unsigned char *neutral = xcalloc(x->w.n + 1, 1);
    capflags *span = span_flags(x, &tmp);
    innocent_phrases(x, span, neutral);
    for (size_t i = 0; i < x->w.n && !fired; i++) {
        for (size_t k = 1; k <= f->max_phrase && i + k <= x->w.n && !fired; k++) {
            capflags fl = span[i * f->max_phrase + k - 1];
            const char *w = x->fold + x->w.t[i].off;
            size_t wl = x->w.t[i].len;
            if (fl & F_GARMENT)
                garment = 1;
            if (fl & F_NUDEOK)
                nude_ok = 1;
            /* [innocent] words and prefixes (sexism*, Essex) are never read as
             * prefix or compound matches */
            int innocent = (fl & F_INNOCENT) != 0;
            for (size_t p = 0; k == 1 && p < f->prefixes.n && !innocent; p++) {
                size_t pl = strlen(f->prefixes.e[p].s);
                if ((f->prefixes.e[p].flags & F_INNOCENT) && wl >= pl && memcmp(w, f->prefixes.e[p].s, pl) == 0)
                    innocent = 1;
            }
            if (k == 1 && !innocent) {
                for (size_t p = 0; p < f->prefixes.n; p++) {
                    size_t pl = strlen(f->prefixes.e[p].s);
                    if (wl >= pl && memcmp(w, f->prefixes.e[p].s, pl) == 0)
                        fl |= f->prefixes.e[p].flags & ~F_INNOCENT;
                }
                /* compounds (German, Dutch, Scandinavian): the stem as the first
                 * or last part of a longer word, the other part >= 3 letters */
                for (size_t p = 0; p < f->compounds.n; p++) {
                    size_t pl = strlen(f->compounds.e[p].s);
                    if (wl >= pl + 3 && (memcmp(w, f->compounds.e[p].s, pl) == 0 ||
                                         memcmp(w + wl - pl, f->compounds.e[p].s, pl) == 0))
                        fl |= f->compounds.e[p].flags;
                }
            }
            /* "anti-pornography": the word is being opposed, not shown */
            if ((fl & F_STRONG) && i > 0 && x->w.t[i - 1].len == 4 && memcmp(x->fold + x->w.t[i - 1].off, "anti", 4) == 0)
                fl &= ~F_STRONG;
            if (fl & F_STRONG) {
                snprintf(x->detail, x->detaillen, "matched '%.*s'",
                         (int)(x->w.t[i + k - 1].off + x->w.t[i + k - 1].len - x->w.t[i].off), x->fold + x->w.t[i].off);
                fired = 1;
            }
            /* a word of an innocent phrase is no cue ([strong] still fires) */
            if (memchr(neutral + i, 1, k))
                fl &= ~(F_WEAK | F_CONTEXT | F_GWEAK | F_GCONTEXT | F_NUDITY | F_PERSON);
            /* a phrase ("dead body", "hidden camera") is one cue spanning
             * its words */
            cue cu = {w, (size_t)(x->w.t[i + k - 1].off + x->w.t[i + k - 1].len - x->w.t[i].off), i, i + k,
                      (fl & F_FASHION) != 0, (fl & F_NUDITY) != 0};
            if (fl & F_CONTEXT)
                cue_add(sex.ctx, &sex.nctx, 8, cu);
            if (fl & F_WEAK)
                cue_add(sex.weak, &sex.nweak, 16, cu);
            if (fl & F_NUDITY)
                cue_add(nude.weak, &nude.nweak, 16, cu);
            if (fl & F_PERSON)
                cue_add(nude.ctx, &nude.nctx, 8, cu);
            cu.fashion = cu.nudity = 0;
            if (fl & F_GCONTEXT)
                cue_add(gore.ctx, &gore.nctx, 8, cu);
            if (fl & F_GWEAK)
                cue_add(gore.weak, &gore.nweak, 16, cu);
        }
    }
    ccbuf_free(&tmp);
    free(neutral);
    free(span);
    if (fired)
        return 1;
    /* CJK/Hangul entries: substrings of the folded text. */
    for (size_t p = 0; p < f->substrs.n; p++) {
        const entry *e = &f->substrs.e[p];
        if ((e->flags & F_INNOCENT) || !substr_outside_innocent(f, x->fold, e->s))
            continue;
        if (e->flags & F_STRONG) {
            snprintf(x->detail, x->detaillen, "matched '%s'", e->s);
            return 1;
        }
        cue cu = {e->s, strlen(e->s), (size_t)-1, (size_t)-1, 0, (e->flags & F_NUDITY) != 0};
        if (e->flags & F_WEAK)
            cue_add(sex.weak, &sex.nweak, 16, cu);
        if (e->flags & F_GWEAK)
            cue_add(gore.weak, &gore.nweak, 16, cu);
        if (e->flags & F_GCONTEXT)
            cue_add(gore.ctx, &gore.nctx, 8, cu);
        if (e->flags & F_NUDITY)
            cue_add(nude.weak, &nude.nweak, 16, cu);
        if (e->flags & F_PERSON)
            cue_add(nude.ctx, &nude.nctx, 8, cu);
        if (e->flags & F_NUDEOK)
            nude_ok = 1;
    }
    return cues_fire(x, &sex, garment, 0, nude_ok, "sexual") || nudity_fires(x, &nude, garment, nude_ok) ||
           cues_fire(x, &gore, 0, 1, 0, "violent") || phrases_fire(x);
}
