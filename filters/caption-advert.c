/* caption-advert.c — the text of adverts and of award / trust-seal badges,
 * as kinds (word lists in wordlists/boilerplate.txt: [seal], [seal-event],
 * [offer], [offer-head], [service], [period]). These shapes are too weak to
 * reject a caption on their own ("Cheaper fares to Lisbon" is a headline,
 * "Reddot Award 2017" may be the picture's subject): caption-place.c pairs
 * them with where the image sits (a link to another site, a furniture spot).
 *
 * The advertising register: a price or offer word ("günstig", "Rabatte",
 * "Early Bird Discounts", "kostenlos"; German/Dutch compound heads:
 * "Tankstellenrabatte", "Exklusivangebot"), a price per period after a
 * number ("55 Euro im Monat"), a firm's claim about its own service ("ist
 * Ihr Partner für", "mit über 30-jähriger Erfahrung", "Willkommen bei"), or
 * the German formal address (Sie, Ihr, Ihnen capitalised inside a sentence:
 * "Finden Sie hier die richtige Kreditkarte"; capitalised at a sentence's
 * start "Ihr" is also "her"), or an imperative opening the caption ([cta]
 * or [imperative], after at most one [cta-lead] word: "Vote for X in the
 * Webbys", "Please use an AMD CPU!", "Quickly Collect Signatures"). A headline is not one: text with a colon
 * ("Friday's Best Deals: Children's Books ...") or over 20 words is left
 * alone. English "you/your" and bare prices are left out: teaser headlines
 * to other sites use them as often as adverts do ("Here's When You'll Get
 * Your Relief Check", "Sheets Are Only $25").
 *
 * An offer label: an offer word in a caption of at most 6 words without a
 * colon ("ABOUT YOU Gutscheine", "Rabatte bei A.T.U."): a coupon or
 * discount link; a teaser of the site's own article is longer.
 *
 * A blog-community badge: a directory, ranking, blog network or reading
 * challenge a blog links out to ("2019 Reading Challenge", "die besten
 * Fahrradblogs", "TOP 15 Fashion over 50"): a [blog-badge] word or
 * compound or "top" before a number, in at most 8 words, no colon, no
 * closing full stop or question mark.
 *
 * A seal label: an award, seal, certification or membership word ("Award",
 * "zertifiziert", "Gütesiegel", "des Jahres", "Mitglied bei", "Top Blog")
 * in a caption of at most 8 words without a colon or a closing full stop
 * (a sentence or a headline tells news about an award), and without a
 * word that makes it an event ("wins", "Award-winning", "verliehen"). */
#include <stdio.h>
#include <string.h>

#include "caption-internal.h"

/* Longest [seal]/[offer]/[service]/[period] entry, in words. */
#define SPAN_MAX 3

/* Flags of the span of words [i, i+k) of the caption, or 0 past its end. */
static capflags span_at(const judge_ctx *x, size_t i, size_t k, ccbuf *tmp)
{
    return i + k <= x->w.n ? cap_span_flags(x, i, k, tmp) : 0;
}

/* The first span (up to SPAN_MAX words) carrying FLAG: its start in *at and
 * length in *len; 0 when there is none. */
static int find_span(const judge_ctx *x, capflags flag, size_t *at, size_t *len)
{
    ccbuf tmp = {0};
    int found = 0;
    for (size_t i = 0; i < x->w.n && !found; i++)
        for (size_t k = SPAN_MAX; k >= 1 && !found; k--)
            if (span_at(x, i, k, &tmp) & flag) {
                *at = i;
                *len = k;
                found = 1;
            }
    ccbuf_free(&tmp);
    return found;
}

/* A word ending in an entry carrying HEAD ([offer-head], [blog-head])
 * after at least 3 more letters ("Tankstellenrabatte", "Fahrradblogs");
 * *at gets its index. */
static int find_compound_head(const judge_ctx *x, capflags head, size_t *at)
{
    for (size_t i = 0; i < x->w.n; i++) {
        const char *w = x->fold + x->w.t[i].off;
        size_t wl = x->w.t[i].len;
        if (x->w.t[i].ns || x->w.t[i].digits)
            continue;
        if (cap_compound_tail(x->f, w, wl, 3, 4, head)) {
            *at = i;
            return 1;
        }
    }
    return 0;
}

static void name_words(const judge_ctx *x, size_t at, size_t len, char *what, size_t n)
{
    size_t st = x->w.t[at].off, en = x->w.t[at + len - 1].off + x->w.t[at + len - 1].len;
    snprintf(what, n, "%.*s", (int)(en - st), x->fold + st);
}

/* A capitalised German formal pronoun inside a sentence (not its first
 * word): "Finden Sie", "ist Ihr Partner", "helfen Ihnen". */
static int formal_address(const judge_ctx *x, char *what, size_t n)
{
    static const char *const formal[] = {"Sie", "Ihnen", "Ihr", "Ihre", "Ihren", "Ihrem", "Ihrer", "Ihres", NULL};
    size_t pos = 0, wl;
    const char *w;
    int first = 1;
    while (cap_next_ws_word(x->norm, x->nlen, &pos, &w, &wl)) {
        if (!first && cap_in_list(formal, w, wl)) {
            snprintf(what, n, "%.*s", (int)wl, w);
            return 1;
        }
        /* the next word opens a sentence after . ! ? or a " - " segment cut */
        char end = pos > 0 ? x->norm[pos - 1] : 0;
        first = end == '.' || end == '!' || end == '?' || wl == 0 || (wl == 1 && w[0] == '-');
    }
    return 0;
}

/* A number followed within 4 words by a [period] entry ("55 Euro im Monat",
 * "9.99/month"). */
static int price_per_period(const judge_ctx *x, char *what, size_t n)
{
    ccbuf tmp = {0};
    int found = 0;
    for (size_t i = 0; i < x->w.n && !found; i++) {
        if (!x->w.t[i].digits)
            continue;
        for (size_t j = i + 1; j <= i + 4 && j < x->w.n && !found; j++)
            for (size_t k = 1; k <= 2 && !found; k++)
                if (span_at(x, j, k, &tmp) & F_PERIOD) {
                    name_words(x, i, j + k - i, what, n);
                    found = 1;
                }
    }
    ccbuf_free(&tmp);
    return found;
}

/* The caption opens with a call to action or an imperative, after at most
 * one lead word ("Please use ...", "Jetzt testen"). */
static int opening_imperative(const judge_ctx *x, char *what, size_t n)
{
    ccbuf tmp = {0};
    size_t i = (x->w.n > 1 && (cap_word_flags(x, 0) & F_CTALEAD)) ? 1 : 0;
    int found = 0;
    /* "Vote of no confidence ...", "Save of the season": a noun before "of" */
    static const char *const of[] = {"of", "von", "des", "de", "du", "del", "di", "van", NULL};
    for (size_t k = 2; k >= 1 && !found; k--)
        if ((span_at(x, i, k, &tmp) & (F_CTA | F_IMPERATIVE)) &&
            !(i + k < x->w.n && cap_in_list(of, x->fold + x->w.t[i + k].off, x->w.t[i + k].len))) {
            name_words(x, 0, i + k, what, n);
            found = 1;
        }
    ccbuf_free(&tmp);
    return found;
}

/* An [offer] word or compound head: 1 with WHAT naming it. */
static int offer_word(const judge_ctx *x, char *what, size_t n)
{
    size_t at, len;
    char w[64];
    if (find_span(x, F_OFFER, &at, &len))
        name_words(x, at, len, w, sizeof w);
    else if (find_compound_head(x, F_OFFERHEAD, &at))
        name_words(x, at, 1, w, sizeof w);
    else
        return 0;
    snprintf(what, n, "offer word '%s'", w);
    return 1;
}

int cap_offer_label(const judge_ctx *x, char *what, size_t n)
{
    if (!x->w.n || cap_has_nospace(x) || memchr(x->norm, ':', x->nlen) || cap_ws_words(x, NULL, NULL) > 6)
        return 0;
    return offer_word(x, what, n);
}

int cap_advert_register(const judge_ctx *x, char *what, size_t n)
{
    size_t at, len;
    if (!x->w.n || cap_has_nospace(x) || memchr(x->norm, ':', x->nlen) || cap_ws_words(x, NULL, NULL) > 20)
        return 0;
    if (offer_word(x, what, n))
        return 1;
    char w[64];
    if (price_per_period(x, w, sizeof w)) {
        snprintf(what, n, "price per period '%s'", w);
        return 1;
    }
    if (find_span(x, F_SERVICE, &at, &len)) {
        name_words(x, at, len, w, sizeof w);
        snprintf(what, n, "service claim '%s'", w);
        return 1;
    }
    if (opening_imperative(x, w, sizeof w)) {
        snprintf(what, n, "opening imperative '%s'", w);
        return 1;
    }
    if (formal_address(x, w, sizeof w)) {
        snprintf(what, n, "formal address '%s'", w);
        return 1;
    }
    return 0;
}

int cap_blog_badge(const judge_ctx *x, char *what, size_t n)
{
    size_t at, len;
    char end = x->nlen ? x->norm[x->nlen - 1] : 0;
    if (!x->w.n || cap_ws_words(x, NULL, NULL) > 8 || cap_has_nospace(x) || memchr(x->norm, ':', x->nlen) || end == '.' || end == '?')
        return 0;
    if (find_span(x, F_BLOGBADGE, &at, &len)) {
        name_words(x, at, len, what, n);
        return 1;
    }
    if (find_compound_head(x, F_BLOGHEAD, &at)) {
        name_words(x, at, 1, what, n);
        return 1;
    }
    for (size_t i = 0; i + 1 < x->w.n; i++) {
        const char *w = x->fold + x->w.t[i].off;
        if (x->w.t[i].len == 3 && memcmp(w, "top", 3) == 0 && x->w.t[i + 1].digits) {
            name_words(x, i, 2, what, n);
            return 1;
        }
    }
    return 0;
}

int cap_seal_label(const judge_ctx *x, char *what, size_t n)
{
    size_t at, len, words = cap_ws_words(x, NULL, NULL);
    if (!x->w.n || words > 8 || cap_has_nospace(x) || memchr(x->norm, ':', x->nlen) ||
        x->norm[x->nlen - 1] == '.')
        return 0;
    for (size_t i = 0; i < x->w.n; i++)
        if (cap_word_flags(x, i) & F_SEALEVENT)
            return 0;
    if (find_span(x, F_SEAL, &at, &len)) {
        name_words(x, at, len, what, n);
        return 1;
    }
    /* a compound seal ("Gütesiegel", "Prüfsiegel") */
    for (size_t i = 0; i < x->w.n; i++) {
        const char *w = x->fold + x->w.t[i].off;
        size_t wl = x->w.t[i].len;
        if (wl >= 9 && memcmp(w + wl - 6, "siegel", 6) == 0) {
            name_words(x, i, 1, what, n);
            return 1;
        }
    }
    return 0;
}
