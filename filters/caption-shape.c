/* caption-shape.c — page furniture recognised by its shape, not by its exact
 * words (see caption-internal.h and filters/README.md, "boilerplate").
 *
 * The shapes, tried in this order:
 *   bracketed label  "[Note]", "[ up ]", "[작은 정보]": one or two words in brackets
 *                    (DocBook admonition and navigation icons in every language)
 *   home link        a "back to the home page" phrase anywhere ("Logo X - zur
 *                    Startseite", "返回…首页")
 *   rating           numbers with star words or rating words only ("4 Stars -
 *                    excellent!", "4.83 out of 5 stars", "Sehr gut")
 *   credit line      a credit marker (©, Credit, Foto:, Photo by, Quelle...) or a
 *                    photo agency, followed only by name-like words ("Foto: EFE",
 *                    "CreditKim Raff for The New York Times", "evgenyb/iStock/Getty")
 *   advertising label
 *                    an ad label ([sponsor]) before a colon or names, or
 *                    closing the caption ("Sponsored: Questroyal", "… (Anzeige)")
 *   logo / badge     a furniture word (logo, icon, banner, avatar, button, badge;
 *                    German/Dutch compounds such as "Vereinslogo") with at most
 *                    three other words, at most two of them lower-case
 *   share / call to action
 *                    a social network name or a call-to-action verb (first word,
 *                    or a final German/Dutch infinitive) with at most three other
 *                    words, at most one of them lower-case ("Auf Facebook teilen",
 *                    "Download on the App Store", "Newsletter bestellen")
 *   site badges, ad-blocker notices, feed and app badges, paging links
 *   UI action        UI verbs and UI nouns ([uiverb], [uinoun]) with determiners only
 *                    ("close player", "Diese Seite ausdrucken", "ver secciones")
 *   smiley           a forum smiley code after at most three words ("Sad :sad:")
 *   project badge    names and a status word ("PyPI version", "Build Status")
 *   promotional line a [promo] phrase anywhere ("Subscribe to our ...", "Folgen Sie
 *                    uns auf ...", "Version imprimable", paywall badges), a German
 *                    polite imperative ("Abonnieren Sie ..."), "X jetzt!",
 *                    "Jetzt Termin vereinbaren"
 *   subscription / app promotion
 *                    a call to action or "give" verb and a [subscription]
 *                    offer or a gift ("Sign up for X Newsletters", "Give a
 *                    gift"), or the offer beside names ("CTV News App")
 *   counter badge    hit and subscriber counters ("counter free hit invisible"),
 *                    a statistics word beside a platform ("vBulletin statistic")
 *   translation link a translate word and "/LANGUAGE" ("Traduisez au
 *                    Français/French"), "Translate to English"
 *   weather widget   [weather] conditions with times of day or temperatures
 *                    only ("PM Rain", "Partly Cloudy 23°")
 *   phone number     a [phone] label and six digits ("Tel.: +66 38 420 720")
 *   link to a page   a [goto] phrase and a page word ("zum ZAMG-Profil auf
 *                    instagram"), Korean "… 바로가기"
 * The credit shape also takes a generic label before the credit ("Symbolbild -
 * Foto: dpa"), bylines ("By Kevin Mazur/WireImage") and domains as names; the
 * logo shape takes avatar labels with lower-case user names ("avatar for user
 * conserv", "jputtgen's picture", "Profile picture for user Anna Galazka",
 * "Profilbild von lisa_m") and leaves quoted text after a furniture word
 * to describe it ('Banner "Climate Justice"'). A caption wholly in parentheses
 * of one or two lower-case words is a bracketed label ("(audio pick)").
 * "Lower-case" is what separates "Twitter logo" from "man holding a phone in
 * front of a Twitter logo": furniture labels are names, descriptions are not.
 * For a URL list's row (cap_from_list: CC_PLACE_LIST) the picture is the
 * caption's subject: a kind of picture (picture_kind: logo, icon, button,
 * header, thumbnail, profile photo...) is no furniture word, a call to
 * action is a verb with at most one other word or a social network's
 * button (a verb before a longer title opens the title), and a credit is written
 * out (list_credit: "Foto: X", "Photo by X", ©), not a media word or "by"
 * opening a title.
 * The word lists behind F_FURNITURE, F_CTA, F_CONNECTOR, F_CREDIT, F_AGENCY,
 * F_RATING, F_STARWORD, F_HOMELINK, F_PROMO, F_COUNTER, F_GOTO, F_SPONSOR,
 * F_SUBSCRIPTION, F_WEATHER and F_PHONE are sections of
 * wordlists/boilerplate.txt. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "caption-internal.h"

/* One word of the normalised caption, with its case and its folded key. */
typedef struct {
    const char *w;   /* in x->norm */
    size_t wl;
    char *f;         /* folded */
    size_t fl;
    capflags flags;  /* list flags of the folded word */
    int upper;       /* has an upper-case letter (a name, an acronym, iPhone) */
    int digit;       /* has a digit */
    int ns;          /* a no-space-script character */
    int glued_next;  /* followed directly by '-' and another word (Logo-Shirt) */
} sword;

typedef struct {
    sword *v;
    size_t n;
} swords;

static void swords_free(swords *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].f);
    free(s->v);
}

static void split_words(const judge_ctx *x, swords *out)
{
    toklist tl = {0};
    cap_tokenize(x->norm, x->nlen, &tl);
    out->v = xcalloc(tl.n + 1, sizeof *out->v);
    out->n = tl.n;
    for (size_t i = 0; i < tl.n; i++) {
        sword *s = &out->v[i];
        s->w = x->norm + tl.t[i].off;
        s->wl = tl.t[i].len;
        s->ns = tl.t[i].ns;
        s->f = cap_fold(s->w, s->wl, &s->fl);
        s->flags = cap_set_get(&x->f->words, s->f, s->fl);
        for (size_t k = 0; k < s->wl;) {
            int32_t cp = cap_next_cp((const unsigned char *)s->w, s->wl, &k);
            utf8proc_category_t c = utf8proc_category(cp);
            if (c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT)
                s->upper = 1;
            if (c == UTF8PROC_CATEGORY_ND)
                s->digit = 1;
        }
        size_t end = tl.t[i].off + tl.t[i].len;
        s->glued_next = i + 1 < tl.n && end < x->nlen && x->norm[end] == '-' && tl.t[i + 1].off == end + 1;
    }
    free(tl.t);
}

/* Flags of words i..i+k-1 joined by ' '. */
static capflags span(const judge_ctx *x, const swords *s, size_t i, size_t k)
{
    if (k == 1)
        return s->v[i].flags;
    ccbuf b = {0};
    for (size_t j = i; j < i + k; j++) {
        if (j > i)
            ccbuf_putc(&b, ' ');
        ccbuf_append(&b, s->v[j].f, s->v[j].fl);
    }
    capflags fl = cap_set_get(&x->f->words, (const char *)b.data, b.len);
    ccbuf_free(&b);
    return fl;
}

/* Marks multi-word list entries ("app store", "getty images", "zur startseite"):
 * every word of a matching span gets the span's flags. */
static void mark_spans(const judge_ctx *x, swords *s)
{
    for (size_t i = 0; i < s->n; i++)
        for (size_t k = 4; k >= 2; k--)
            if (i + k <= s->n) {
                capflags fl = span(x, s, i, k);
                if (fl) {
                    for (size_t j = i; j < i + k; j++)
                        s->v[j].flags |= fl;
                    break;
                }
            }
}

/* ---- bracketed label ---- */

static int shape_bracket(judge_ctx *x, const swords *s)
{
    /* "(audio pick)", "(teaser)": one or two lower-case words in parentheses */
    if (x->nlen >= 3 && x->norm[0] == '(' && x->norm[x->nlen - 1] == ')' && s->n >= 1 && s->n <= 2 &&
        !memchr(x->norm + 1, '(', x->nlen - 2)) {
        int lower = 1;
        for (size_t i = 0; i < s->n; i++)
            if (s->v[i].upper || s->v[i].digit || s->v[i].ns)
                lower = 0;
        if (lower) {
            snprintf(x->detail, x->detaillen, "bracketed label");
            return 1;
        }
    }
    if (x->nlen < 3 || x->norm[0] != '[' || x->norm[x->nlen - 1] != ']')
        return 0;
    size_t spaced = 0, ns = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].ns)
            ns++;
        else
            spaced++;
    }
    if (spaced + (ns + 3) / 4 == 0 || spaced + (ns + 3) / 4 > 2 || memchr(x->norm + 1, '[', x->nlen - 2))
        return 0;
    snprintf(x->detail, x->detaillen, "bracketed label");
    return 1;
}

/* ---- home link ---- */


static int shape_homelink(judge_ctx *x, const swords *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].flags & F_HOMELINK) {
            snprintf(x->detail, x->detaillen, "link to the home page");
            return 1;
        }
    /* "Site name - Startseite": a home-page word after a separator, last */
    static const char *const homeword[] = {"startseite", "homepage", "home", "accueil", "inicio", "pagina inicial",
                                           "pagina principal", "portada", NULL};
    if (s->n >= 2) {
        const sword *l = &s->v[s->n - 1];
        size_t off = (size_t)(l->w - x->norm);
        while (off > 0 && x->norm[off - 1] == ' ')
            off--;
        /* "Vancouver Sun Homepage", "ZAMG Startseite": up to three
         * capitalised names before a home-page word (not "home": "Sweet
         * Home") */
        int named = s->n <= 4 && l->fl > 4;
        for (size_t i = 0; named && i + 1 < s->n; i++)
            if (!s->v[i].upper && !(s->v[i].flags & F_CONNECTOR))
                named = 0;
        if ((off > 0 && (x->norm[off - 1] == '-' || x->norm[off - 1] == '|')) || named)
            for (int h = 0; homeword[h]; h++)
                if (strlen(homeword[h]) == l->fl && memcmp(homeword[h], l->f, l->fl) == 0) {
                    snprintf(x->detail, x->detaillen, "link to the home page");
                    return 1;
                }
    }
    /* Chinese "返回<site>首页" / "回到<site>首頁" */
    static const char *const back[] = {"返回", "回到", NULL};
    static const char *const home[] = {"首页", "首頁", "主页", "主頁", NULL};
    for (int b = 0; back[b]; b++)
        for (int h = 0; home[h]; h++)
            if (cap_has_prefix(x->fold, x->flen, back[b]) && cap_has_suffix(x->fold, x->flen, home[h])) {
                snprintf(x->detail, x->detaillen, "link to the home page");
                return 1;
            }
    return 0;
}

/* ---- rating ---- */

static int shape_rating(judge_ctx *x, const swords *s)
{
    size_t left = 0, star = 0, rating = 0, numbers = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sword *w = &s->v[i];
        if (w->digit && !w->upper && w->fl <= 4) {
            numbers++;
            continue;
        }
        if (w->flags & F_STARWORD) {
            star++;
            continue;
        }
        if (w->flags & F_RATING) {
            rating++;
            continue;
        }
        if ((w->flags & F_CONNECTOR) && numbers) /* "4 von 5", "4 of 5" */
            continue;
        left++;
    }
    /* "5 Stars - supercalifragilisticexpialidocious!": a star rating and one
     * word of praise */
    int leads = s->n >= 2 && s->v[0].digit && (s->v[1].flags & F_STARWORD);
    if ((left == 0 || (left == 1 && leads)) && ((star && numbers) || (rating && !numbers && !star))) {
        snprintf(x->detail, x->detaillen, "rating");
        return 1;
    }
    return 0;
}

/* ---- credit line ---- */

/* "CreditKim Raff": the NYT glues the credit label to the name. */
static int glued_credit(const sword *w)
{
    static const char *const glue[] = {"credit", "fotos", "foto", "photo", NULL};
    for (int i = 0; glue[i]; i++) {
        size_t gl = strlen(glue[i]);
        if (w->fl > gl + 1 && memcmp(w->f, glue[i], gl) == 0 && w->wl > gl && isupper((unsigned char)w->w[gl]))
            return 1;
    }
    return 0;
}

static int name_like(const sword *w)
{
    return w->upper || w->digit;
}

/* Words from i on start with "of" or "for", after at most one number
 * ("Image 5 of ..."): English for the picture's subject. */
static int subject_follows(const swords *s, size_t i)
{
    if (i < s->n && s->v[i].digit)
        i++;
    if (i >= s->n)
        return 0;
    const sword *w = &s->v[i];
    return (w->fl == 2 && memcmp(w->f, "of", 2) == 0) || (w->fl == 3 && memcmp(w->f, "for", 3) == 0);
}

/* The space-free run of the normalised caption that holds word W: [*A, *B). */
static void space_run(const judge_ctx *x, const sword *w, const char **a, const char **b)
{
    const char *lo = x->norm, *hi = x->norm + x->nlen;
    *a = w->w;
    *b = w->w + w->wl;
    while (*a > lo && (*a)[-1] != ' ')
        (*a)--;
    while (*b < hi && **b != ' ')
        (*b)++;
}

/* The word is part of a space-free run holding a slash: a stock site's
 * "user/Agency" ("Foto: © rido/123RF.com", "tiero/stock.adobe.com"), where
 * user names are often lower-case. */
static int slash_chunk(const judge_ctx *x, const sword *w)
{
    const char *a, *b;
    space_run(x, w, &a, &b);
    return memchr(a, '/', (size_t)(b - a)) != NULL;
}

/* The word is part of a domain name ("© TODAY Zürich AG / nicolaszonvi.com",
 * "Foto: pixabay.com"): its space-free run has a dot between letters and
 * ends in two to six letters. */
static int domain_chunk(const judge_ctx *x, const sword *w)
{
    const char *a, *b;
    space_run(x, w, &a, &b);
    while (b > a && strchr(".,;)", b[-1]))
        b--;
    const char *dot = NULL;
    for (const char *p = a; p < b; p++)
        if (*p == '.')
            dot = p;
    if (!dot || dot == a || !isalnum((unsigned char)dot[-1]) || b - dot - 1 < 2 || b - dot - 1 > 6)
        return 0;
    for (const char *p = dot + 1; p < b; p++)
        if (!isalpha((unsigned char)*p))
            return 0;
    return 1;
}

static int word_is(const sword *w, const char *const *list);

/* W is the "s" of a possessive ("Tom's", "Tom’s"): the apostrophe
 * before it, or NULL. */
static const char *possessive_s(const judge_ctx *x, const sword *w)
{
    if (w->fl != 1 || w->f[0] != 's')
        return NULL;
    if (w->w - x->norm >= 2 && w->w[-1] == '\'')
        return w->w - 1;
    if (w->w - x->norm >= 4 && memcmp(w->w - 3, "\xe2\x80\x99", 3) == 0)
        return w->w - 3;
    return NULL;
}


/* "By Kevin Mazur/WireImage", "Von Max Muster", "Por Juan Pérez": a byline
 * starts the caption with "by" and at least two capitalised words ("By
 * Night" and "By the Sea" are titles). */
static int byline(const swords *s, size_t st)
{
    static const char *const by[] = {"by", "von", "par", "por", "door", "di", "av", "af", "przez", NULL};
    if (st != 0 || s->n < 3 || !word_is(&s->v[0], by))
        return 0;
    for (size_t i = 1; i < 3; i++)
        if (!s->v[i].upper || (s->v[i].flags & (F_CONNECTOR | F_TRIVIAL)))
            return 0;
    return 1;
}

/* A credit as a URL list's row writes it (CC_PLACE_LIST): the media or
 * credit word S->v[ST] followed by a colon ("Foto: EFE", "Credit: Reuters")
 * or by "by" ("Photo by John Smith", "Foto von Max Muster"). A bare media
 * word before a title and a byline are a list's titles there. */
static int list_credit(const swords *s, size_t st)
{
    static const char *const by[] = {"by", "von", "par", "por", "door", "di", "av", "af", "przez", "via", NULL};
    const sword *m = &s->v[st];
    if (!(m->flags & F_CREDIT) || st + 1 >= s->n)
        return 0;
    const char *p = m->w + m->wl, *e = s->v[st + 1].w;
    if (memchr(p, ':', (size_t)(e - p)) || memmem(p, (size_t)(e - p), "\xef\xbc\x9a", 3))
        return 1;
    return word_is(&s->v[st + 1], by);
}

/* Returns the index of the first word of a credit segment that runs to the
 * end of the caption (its marker, or a leading agency), or s->n if none.
 * A segment is: a marker (F_CREDIT word, ©, "(c)") or an agency, then only
 * name-like words, agencies and name connectors, at most 6 names. */
static size_t credit_start(const judge_ctx *x, const swords *s, int *agency_only)
{
    *agency_only = 0;
    for (size_t st = 0; st < s->n; st++) {
        const sword *m = &s->v[st];
        /* the marker must start the caption or follow a separator */
        size_t off = (size_t)(m->w - x->norm);
        int at_sep = st == 0;
        int copyright = 0;
        for (size_t k = off; k > 0; k--) {
            unsigned char c = (unsigned char)x->norm[k - 1];
            if (c == ' ')
                continue;
            if (c == '-' || c == '|' || c == '(' || c == '/' || c == ':' || c == ',' || c == '.' ||
                c == 0x93 /* end of "–" */ || c == 0x94 /* "—" */)
                at_sep = 1;
            if (c == 0xA9 && k >= 2 && (unsigned char)x->norm[k - 2] == 0xC2) { /* © */
                copyright = 1;
                at_sep = 1;
            }
            if (c == '(' && k < x->nlen && k + 2 < x->nlen && (x->norm[k] == 'c' || x->norm[k] == 'C') && x->norm[k + 1] == ')')
                copyright = 1;
            break;
        }
        /* "(c) Name": the 'c' is a word of its own, the marker, not a name */
        int cword = 0;
        if (m->fl == 1 && m->f[0] == 'c' && off > 0 && x->norm[off - 1] == '(' && off + 1 < x->nlen && x->norm[off + 1] == ')') {
            copyright = 1;
            cword = 1;
            if (st + 1 >= s->n)
                continue;
        }
        if (!at_sep && !copyright)
            continue;
        int marker = copyright || (m->flags & F_CREDIT) || glued_credit(m) || byline(s, st);
        /* in a URL list a media word and a bare byline open a title ("Photograph -
         * Sunset At Jaffa Beach by Isam Awad", "Фото CINEMAX Dostyk", "by Kelvin
         * Zyteng - Abstract Fire"): there a credit is written out */
        if (marker && !copyright && !glued_credit(m) && cap_from_list(x) && !list_credit(s, st))
            marker = 0;
        int agency = (m->flags & F_AGENCY) != 0;
        if (!marker && !agency)
            continue;
        /* "Picture of Nyc Yellow Cab", "Image 5 of Winchester Ammo", "Image
         * for Moments In Time": what follows is the subject, not the author */
        if (marker && !copyright && subject_follows(s, st + 1))
            continue;
        size_t names = 0, bad = 0, agencies = agency, credits = 0, words = 0;
        for (size_t i = st + (cword || (marker && !copyright && !glued_credit(m))); i < s->n; i++) {
            const sword *w = &s->v[i];
            if (w->flags & F_AGENCY) {
                agencies++;
                continue;
            }
            if (w->flags & F_CREDIT) {
                credits++;
                continue;
            }
            if (w->flags & F_CONNECTOR)
                continue;
            /* "Tom's Hardware": the possessive s */
            if (possessive_s(x, w))
                continue;
            if (name_like(w) || (i == st && glued_credit(w)) || (marker && (slash_chunk(x, w) || domain_chunk(x, w)))) {
                names++;
                words += w->upper && !slash_chunk(x, w) && !domain_chunk(x, w);
            } else
                bad++;
        }
        /* "Illustration Gemüse", "Foto Jahreswechsel 2022": a media word
         * with no colon before a single capitalised word (and numbers) is a
         * label and its subject; a credit names a person ("Foto Arne
         * Sjöström"), an agency or a site */
        int bare = (m->flags & F_CREDIT) && !copyright && !glued_credit(m) && !byline(s, st) && st + 1 < s->n &&
                   !memchr(m->w + m->wl, ':', (size_t)(s->v[st + 1].w - (m->w + m->wl))) &&
                   !(s->v[st + 1].flags & F_CONNECTOR); /* "Image via ABC" */
        /* "[Photos] Justin Herbert's Girlfriend Might Look Familiar To You":
         * a media word with no colon before more than four capitalised words
         * opens a headline in title case; a credit names a person or two
         * ("Photograph - Sunset At Jaffa Beach by Isam Awad" says by whom) */
        if (bare && !agencies && !credits && words > 4) {
            static const char *const by[] = {"by", "von", "par", "por", "door", "di", "av", "af", "przez", "via", NULL};
            int says_by = 0;
            for (size_t i = st + 1; i < s->n; i++)
                says_by |= word_is(&s->v[i], by);
            if (!says_by)
                continue;
        }
        if (bare && !agencies && !credits && words == 1 && !bad) {
            int other = 0;
            for (size_t i = st + 1; i < s->n; i++)
                if (slash_chunk(x, &s->v[i]) || domain_chunk(x, &s->v[i]))
                    other = 1;
            if (!other)
                continue;
        }
        /* "Foto: © sornranison prakittrakoon/123RF.com", "Foto: © ArGe
         * Medien im ZVEH": right after a © the credit may hold a stock site's
         * lower-case user name or a preposition, at most two such words,
         * fewer than the names */
        int cmark = copyright || (st + 1 < s->n && memmem(m->w + m->wl, (size_t)(s->v[st + 1].w - (m->w + m->wl)),
                                                          "\xc2\xa9", 2) != NULL);
        if ((!bad || (cmark && bad <= 2 && bad < names)) && names <= 8 && (names || agencies || (marker && credits))) {
            *agency_only = !marker;
            return st;
        }
    }
    return s->n;
}

/* "Dining UPH Side Chair (2/CN)", "MATTE BLACK/TEAL", "CD/LP 2012",
 * "PVC/PP/PC": slashes in product titles and specifications, not the
 * "Name Surname/Agency" of a credit. A credit has no digits, no bracketed
 * tail (it may be wrapped in brackets whole), and a name with lower-case
 * letters before its first slash. */
static int slash_product(const judge_ctx *x, const swords *s)
{
    for (size_t k = 0; k < x->nlen; k++) {
        unsigned char c = (unsigned char)x->norm[k];
        if (isdigit(c) || ((c == '(' || c == '[') && k > 0))
            return 1;
    }
    for (size_t i = 0; i + 1 < s->n; i++) {
        const sword *w = &s->v[i];
        if (w->w + w->wl < x->norm + x->nlen && w->w[w->wl] == '/') {
            size_t lower = 0;
            for (size_t k = 0; k < w->wl; k++)
                lower += islower((unsigned char)w->w[k]) != 0;
            return lower == 0; /* "BLACK/TEAL", "PVC/PP": no name before it */
        }
    }
    return 0;
}

/* Words [a, b) say nothing of their own: besides trivial words they are
 * consecutive [phrase] entries ("Symbolbild", "Representación artística"),
 * or all together a [single] entry ("FAQs"). A number makes them a title
 * ("Anfang 80", a film). */
static int label_words(const judge_ctx *x, const swords *s, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (s->v[i].digit) /* "Anfang 80 - © Foto: ...": a title */
            return 0;
    capword *all = xmalloc((b - a + 1) * sizeof *all), *kept = xmalloc((b - a + 1) * sizeof *kept);
    size_t m = 0;
    for (size_t i = a; i < b; i++) {
        all[i - a] = (capword){s->v[i].f, s->v[i].fl};
        if (!(s->v[i].flags & F_TRIVIAL))
            kept[m++] = all[i - a];
    }
    int r = m > 0 && cap_cuts_into(x->f, kept, m, F_PHRASE);
    if (!r && m > 0) {
        ccbuf t = {0};
        r = (cap_join_flags(x->f, all, b - a, &t) & F_SINGLE) != 0;
        ccbuf_free(&t);
    }
    free(all);
    free(kept);
    return r;
}

/* "Adam Maida for BuzzFeed News", "Tribune News Service via Getty Images":
 * two to four capitalised names, "for" (para, pour, für, per, voor) or
 * "via", then two to five capitalised names that end in a news outlet's
 * word ([outlet]: News, Zeitung; [outlet-the] after "The": The New York
 * Times) or hold an agency; no digit, no colon or question mark. A photographer's credit for the paper that sent
 * him, or an agency's; "Meal Prep for A Little More Obsessed" and "Hair
 * Designs for Men" name no outlet. */
static int for_outlet(const judge_ctx *x, const swords *s)
{
    static const char *const fors[] = {"for", "para", "pour", "fur", "per", "voor", "via", NULL};
    if (s->n < 3 || s->n > 10 || memchr(x->norm, ':', x->nlen) || memchr(x->norm, '?', x->nlen))
        return 0;
    size_t k = 1;
    while (k < s->n && k <= 4 && !word_is(&s->v[k], fors))
        k++;
    /* two names on each side at least: "Neue Regeln für Zeitung" and
     * "Tips for Fake News" are titles (German capitalises its nouns) */
    if (k >= s->n || k > 4 || k < 2 || s->n - k - 1 < 2 || s->n - k - 1 > 5)
        return 0;
    int via = s->v[k].fl == 3 && memcmp(s->v[k].f, "via", 3) == 0;
    for (size_t i = 0; i < s->n; i++) {
        const sword *w = &s->v[i];
        if (i == k || (i > k && (w->flags & F_CONNECTOR)) || possessive_s(x, w))
            continue;
        if (!w->upper || w->digit || w->ns)
            return 0;
    }
    int agency = 0;
    for (size_t i = k + 1; i < s->n; i++)
        agency |= (s->v[i].flags & F_AGENCY) != 0;
    static const char *const the[] = {"the", NULL};
    const sword *last = &s->v[s->n - 1];
    return agency || (!via && ((last->flags & F_OUTLET) ||
                               ((last->flags & F_OUTLETTHE) && word_is(&s->v[k + 1], the))));
}

/* "(The Independent)", "(Al 'Hughes' Dukes Photography)": a figcaption
 * that is only a credit in parentheses: one to six capitalised words that
 * end in a news outlet's word ([outlet]; [outlet-the] after "The"), an
 * agency, or (after two names or more) a credit word such as
 * "Photography". A bare name in parentheses says nothing of whose it is,
 * so it stays. */
static int paren_credit(const judge_ctx *x, const swords *s)
{
    static const char *const the[] = {"the", NULL};
    if (x->nlen < 4 || x->norm[0] != '(' || x->norm[x->nlen - 1] != ')' || s->n < 1 || s->n > 6 ||
        memchr(x->norm + 1, '(', x->nlen - 2) || memchr(x->norm + 1, ')', x->nlen - 2))
        return 0;
    for (size_t i = 0; i < s->n; i++) {
        const sword *w = &s->v[i];
        if (possessive_s(x, w) || (i > 0 && (w->flags & F_CONNECTOR)))
            continue;
        if (!w->upper || w->digit || w->ns)
            return 0;
    }
    const sword *last = &s->v[s->n - 1];
    return (last->flags & (F_OUTLET | F_AGENCY)) || ((last->flags & F_CREDIT) && s->n >= 3) ||
           (s->n >= 2 && word_is(&s->v[0], the) && (last->flags & F_OUTLETTHE));
}

static int shape_credit(judge_ctx *x, const swords *s)
{
    if (!cap_from_list(x) && paren_credit(x, s)) {
        snprintf(x->detail, x->detaillen, "credit line (in parentheses)");
        return 1;
    }
    if (!cap_from_list(x) && for_outlet(x, s)) {
        snprintf(x->detail, x->detaillen, "credit line (a name for an outlet)");
        return 1;
    }
    int agency_only;
    size_t st = credit_start(x, s, &agency_only);
    if (st == 0 && s->n > 0) {
        snprintf(x->detail, x->detaillen, "credit line");
        return 1;
    }
    /* "Symbolbild - Foto: dpa", "Representación artística. Foto EFE",
     * "FAQs - © Matthias Brandner": a generic label and a credit */
    if (st < s->n && label_words(x, s, 0, st)) {
        snprintf(x->detail, x->detaillen, "generic label and credit");
        return 1;
    }
    /* "Name Surname/Agency" or "Devindra Hardawar/AOL": name-like words
     * joined by a slash, nothing else */
    if (s->n >= 2 && s->n <= 8 && memchr(x->norm, '/', x->nlen) && !memchr(x->norm, ':', x->nlen) &&
        !memmem(x->norm, x->nlen, " - ", 3) && !memchr(x->norm, '|', x->nlen) && !memchr(x->norm, '?', x->nlen) &&
        !slash_product(x, s)) {
        /* the part after a slash must be an agency or an acronym (AOL) */
        int credit_part = 0;
        for (size_t i = 0; i < s->n; i++) {
            const sword *w = &s->v[i];
            size_t off = (size_t)(w->w - x->norm);
            /* "Noah Berger / AP": a spaced slash before the last word */
            int after_slash = off > 0 && x->norm[off - 1] == '/';
            if (!after_slash && i + 1 == s->n && off >= 3 && memcmp(x->norm + off - 3, " / ", 3) == 0)
                after_slash = 1;
            int acronym = w->wl >= 2;
            for (size_t k = 0; k < w->wl; k++)
                if (!isupper((unsigned char)w->w[k]))
                    acronym = 0;
            /* "Mina Starsiak Hawk/Instagram": the picture came from the
             * person's account on a network */
            if ((w->flags & F_AGENCY) || (after_slash && (acronym || (w->flags & F_SOCIAL))))
                credit_part = 1;
        }
        if (!credit_part)
            return 0;
        for (size_t i = 0; i < s->n; i++)
            if (!(name_like(&s->v[i]) || (s->v[i].flags & (F_AGENCY | F_CONNECTOR | F_CREDIT)) ||
                  (i + 1 < s->n && x->norm[(size_t)(s->v[i].w - x->norm) + s->v[i].wl] == '/')))
                return 0;
        snprintf(x->detail, x->detaillen, "credit line");
        return 1;
    }
    return 0;
}

size_t cap_words_besides_credit(const judge_ctx *x, size_t *credit_off)
{
    swords s = {0};
    split_words(x, &s);
    mark_spans(x, &s);
    int agency_only;
    size_t st = credit_start(x, &s, &agency_only);
    size_t words;
    if (credit_off)
        *credit_off = st < s.n ? (size_t)(s.v[st].w - x->norm) : x->nlen;
    if (st >= s.n) {
        caption_length L;
        caption_measure(x->norm, x->nlen, &L);
        words = L.words;
    } else {
        caption_length L;
        caption_measure(x->norm, (size_t)(s.v[st].w - x->norm), &L);
        words = L.words;
    }
    swords_free(&s);
    return words;
}

/* ---- advertising label ---- */

/* An ad's label ([sponsor]: "Sponsored", "Anzeige", "Publicidad", "広告")
 * opening the caption and followed by a colon, whatever the ad then says
 * ("Sponsored: Questroyal", "Anzeige: Jetzt 20 % sparen"); opening a
 * caption of at most four other words, all names ("Anzeige Auhofcenter
 * oe24"); or as the whole last segment or a bracketed tail ("Neue Küche
 * gewinnen (Anzeige)", "Reisetipps | Sponsored"). */
static int shape_sponsor(judge_ctx *x, const swords *s)
{
    if (s->n < 2)
        return 0;
    size_t i = 0;
    while (i < s->n && (s->v[i].flags & F_SPONSOR))
        i++;
    if (i > 0 && i < s->n) {
        const char *p = s->v[i - 1].w + s->v[i - 1].wl, *e = s->v[i].w;
        size_t gap = (size_t)(e - p);
        int colon = memchr(p, ':', gap) || memmem(p, gap, "\xef\xbc\x9a", 3); /* ':' or '：' */
        int names = s->n - i <= 4;
        for (size_t k = i; names && k < s->n; k++)
            if (!name_like(&s->v[k]) && !(s->v[k].flags & (F_CONNECTOR | F_TRIVIAL)))
                names = 0;
        if (colon || names) {
            snprintf(x->detail, x->detaillen, "advertising label");
            return 1;
        }
    }
    size_t j = s->n;
    while (j > 0 && (s->v[j - 1].flags & F_SPONSOR))
        j--;
    if (j > 0 && j < s->n) {
        const char *p = s->v[j - 1].w + s->v[j - 1].wl, *e = s->v[j].w;
        size_t gap = (size_t)(e - p);
        if (memchr(p, '(', gap) || memchr(p, '[', gap) || memchr(p, '|', gap) || memmem(p, gap, " - ", 3) ||
            memmem(p, gap, "\xe2\x80\x93", 3) || memmem(p, gap, "\xe2\x80\x94", 3)) {
            snprintf(x->detail, x->detaillen, "advertising label");
            return 1;
        }
    }
    return 0;
}

/* ---- logo / badge ---- */

static int word_is(const sword *w, const char *const *list);

/* "Vereinslogo", "Sportbanner", "Prüfsiegel": a furniture word as the last part of a
 * compound; the letter before it must be a consonant, which keeps Italian
 * and Spanish -logo words (dialogo, catalogo, psicologo) out. */
static int compound_furniture(const sword *w)
{
    static const char *const heads[] = {"logo", "banner", "siegel", NULL};
    for (int i = 0; heads[i]; i++) {
        size_t hl = strlen(heads[i]);
        if (w->fl >= hl + 3 && memcmp(w->f + w->fl - hl, heads[i], hl) == 0) {
            char c = w->f[w->fl - hl - 1];
            if (isalpha((unsigned char)c) && (i > 0 || !strchr("aeiouy", c))) /* "Werbebanner" */
                return 1;
        }
    }
    return 0;
}

/* The next word opens a quotation: only spaces and a quotation mark
 * between the two words. */
static int quoted_next(const sword *w, const sword *next)
{
    static const char *const q[] = {"\"", "\xe2\x80\x9c", "\xe2\x80\x9e", "\xc2\xab", "\xe2\x80\x9a", "'",
                                    "\xe2\x80\x98", "\xe3\x80\x8c", NULL};
    const char *p = w->w + w->wl, *e = next->w;
    while (p < e && *p == ' ')
        p++;
    for (int i = 0; q[i]; i++)
        if ((size_t)(e - p) == strlen(q[i]) && memcmp(p, q[i], (size_t)(e - p)) == 0)
            return 1;
    return 0;
}

/* Avatar words name their person after "of"/"von": "Profilbild von
 * Redaktion" is a label, where "Logo of the 2024 Games" may describe. */
static int avatar_word(const sword *w)
{
    static const char *const av[] = {"avatar", "profile", "profilbild", "profilfoto", "profielfoto", "gravatar", "userpic",
                                     "headshot", "autorenfoto", "autorenbild", NULL};
    return cap_in_list(av, w->f, w->fl);
}

/* A furniture word that names a kind of picture (a logo, an icon, a
 * button, a header, a thumbnail, a symbol, a profile photo, author photo
 * or headshot, the words of these [furniture] phrases in their languages;
 * "Vereinslogo"), which a URL list's caption names as its subject.
 * Badges, banners, seals, certificates, counters, avatars, spacers and
 * widgets are not kinds of picture but a site's furniture wherever they
 * are ("Home Tones blog category banner"). */
static int picture_kind(const sword *w)
{
    static const char *const kinds[] = {
        "logo", "logos", "logotype", "logotipo", "logotyp", "логотип", "icon", "icons", "icone", "icono", "icona",
        "ikon", "ikone", "ikona", "иконка", "значок", "pictogram", "piktogramm",
        "button", "buttons", "bouton", "boton", "botao", "pulsante", "knop", "knopf", "przycisk", "кнопка",
        "thumbnail", "miniatur", "miniature", "miniatura", "vignette", "symbol", "symbole", "simbolo", "header",
        "headshot", "head", "shot", "author", "auteur", "autor", "autore", "autora", "autorenfoto", "autorenbild",
        "profile", "profil", "perfil", "profilo", "profilowe", "профиля", "автора", "photo", "picture", "image", "foto",
        "imagen", "immagine", "imagem", "zdjecie", "фото", "profilbild", "profilfoto", "profielfoto",
        "profielafbeelding", "auteursfoto", NULL};
    if (word_is(w, kinds))
        return 1;
    return w->fl >= 7 && memcmp(w->f + w->fl - 4, "logo", 4) == 0 && compound_furniture(w);
}

/* Words [a, b) of a caption as a logo/badge label: a furniture word with
 * at most two other words, at most one lower-case ("SPAR Logo"); or three
 * capitalised ones ("Wake News Radio logo 1"); or, when the furniture word
 * ends the label, two of any case ("sky news logo"). Returns the furniture
 * word or NULL. */
static const sword *logo_label(const swords *s, size_t a, size_t b, int list)
{
    size_t heads = 0, left = 0, lower = 0;
    const sword *head = NULL;
    int head_last = 0, avatar = 0;
    for (size_t i = a; i < b; i++) {
        const sword *w = &s->v[i];
        /* in a URL list "Tree City USA Logo", "Sippy Cup icon", "Frank Grillo
         * Profile Photo" name what the picture is: a kind of picture is no
         * furniture word there (badges, seals, counters and the like still are) */
        if (list && ((w->flags & F_FURNITURE) || compound_furniture(w)) && picture_kind(w))
            continue;
        if (((w->flags & F_FURNITURE) || compound_furniture(w)) && !w->glued_next) {
            /* "Flag of the United States", "Logo of the 2024 Games",
             * "Thumbnail for Locago - Tourism Template": the furniture is
             * the subject of a description */
            static const char *const of[] = {"of", "for", "de", "des", "der", "del", "della", "di", "do", "da", "van", "von", NULL};
            /* "Profile picture for X" is a site's avatar slot; "Headshot of
             * X", like "Head shot of X" and "Portrait of X", describes a
             * person's photograph */
            avatar |= avatar_word(w) && !(w->fl == 8 && memcmp(w->f, "headshot", 8) == 0);
            /* 'Banner "Climate Justice"', 'Schild „Baustelle"': the
             * furniture's own text follows in quotes, so it is the subject */
            if (i + 1 < b && quoted_next(w, &s->v[i + 1]))
                return NULL;
            /* "The Banner Saga: Factions", "The Icon Hotel": a title that
             * opens with an article and the furniture word goes on after it */
            static const char *const the[] = {"the", "der", "die", "das", "le", "la", "el", "il", "de", "het", NULL};
            if (i == a + 1 && a == 0 && i + 1 < b && word_is(&s->v[a], the))
                return NULL;
            if (i + 1 < b && !avatar)
                for (int k = 0; of[k]; k++)
                    if (strlen(of[k]) == s->v[i + 1].fl && memcmp(of[k], s->v[i + 1].f, s->v[i + 1].fl) == 0)
                        return NULL;
            heads++;
            if (!head)
                head = w;
            head_last = 1;
            continue;
        }
        if (w->digit || (w->flags & (F_TRIVIAL | F_SOCIAL | F_CONNECTOR | F_FURNITURE | F_PHRASE)))
            continue;
        head_last = 0;
        left++;
        lower += !w->upper;
    }
    if (heads && ((left <= 2 && lower <= 1) || (left <= 3 && lower == 0) || (head_last && left <= 2)))
        return head;
    return NULL;
}

/* Segments of a caption: word ranges split at " - ", "|", "//", " – ",
 * " — ", "•" between words. Returns the count (at most max). */
static size_t segments(const judge_ctx *x, const swords *s, size_t *start, size_t max)
{
    size_t n = 0;
    if (s->n == 0 || max == 0)
        return 0;
    start[n++] = 0;
    for (size_t i = 1; i < s->n && n < max; i++) {
        const char *p = s->v[i - 1].w + s->v[i - 1].wl, *q = s->v[i].w;
        size_t gap = (size_t)(q - p);
        int sep = 0;
        if (memchr(p, '|', gap) || memmem(p, gap, "//", 2) || memmem(p, gap, " - ", 3) ||
            memmem(p, gap, "\xe2\x80\x93", 3) || memmem(p, gap, "\xe2\x80\x94", 3) || memmem(p, gap, "\xe2\x80\xa2", 3))
            sep = 1;
        if (sep)
            start[n++] = i;
    }
    (void)x;
    return n;
}

/* Words [a, b) are a name: at most 5 words besides trivial ones and
 * connectors, each capitalised or a number ("Black Orchid Resort"). */
static int name_segment(const swords *s, size_t a, size_t b)
{
    size_t names = 0;
    for (size_t i = a; i < b; i++) {
        const sword *w = &s->v[i];
        if (w->flags & (F_TRIVIAL | F_CONNECTOR))
            continue;
        if (!(w->upper || w->digit))
            return 0;
        names++;
    }
    return names <= 5;
}

/* A stock agency's listing title ("Painter pictogram Stock Photo", "Anchor
 * icon. Internet button on green background. Stock Photo - 8376333"): the
 * words before the agency's label describe the picture, so an icon, logo or
 * banner there is its subject, not page furniture. */
static int stock_listing(const judge_ctx *x)
{
    static const char *const labels[] = {"stock photo", "stock image", "stock vector", "stock illustration",
                                         "stock footage", "stock video", "stockfoto", "stock-foto", "foto stock",
                                         "foto de stock", "vector de stock", "imagen de stock", "royalty free",
                                         "lizenzfreies", "isolated on", "vector illustration", NULL};
    for (int i = 0; labels[i]; i++) {
        const char *p = memmem(x->fold, x->flen, labels[i], strlen(labels[i]));
        if (p && (p == x->fold || !isalnum((unsigned char)p[-1])))
            return 1;
    }
    return 0;
}

/* "Bild von einem YouTube Graffiti", "Several Instagram logos on a
 * screen": an indefinite article or a count word makes a description, not
 * a label or a badge. */
static int describes(const swords *s)
{
    static const char *const words[] = {"a", "an", "ein", "eine", "einem", "einen", "einer", "un", "une", "una",
                                        "uno", "um", "uma", "een", "several", "mehrere", "plusieurs", "varios",
                                        "varias", "vari", "diversi", "meerdere", NULL};
    for (size_t i = 0; i < s->n; i++)
        if (word_is(&s->v[i], words))
            return 1;
    return 0;
}

/* An avatar's alt text names its user, whose name is often lower-case:
 * "avatar for user conserv", "default avatar for user Spirit of Seventy
 * Six", "Profile picture for user Anna Galazka", "Profilbild von lisa_m",
 * "photo de profil de Marie", "Аватар пользователя ivan",
 * "jputtgen's picture", "Javasmom's avatar". The label (at most four
 * words) holds an avatar word, or a profile word with a picture word
 * ("Profile of a leader" is an article's); "for"/"of" or a user word
 * follows, then the name: one or two words of any case, or up to six
 * capitalised ones and name connectors. */
static int avatar_label(const judge_ctx *x, const swords *s)
{
    static const char *const forw[] = {"for", "of", "von", "de", "di", "van", "du", "do", "da", "del", "для", NULL};
    static const char *const user[] = {"user", "member", "benutzer", "nutzer", "mitglied", "utilisateur", "membre",
                                       "usuario", "utente", "gebruiker", "lid", "uzytkownik", "uzytkownika",
                                       "utilizador", "usuari", "пользователя", "участника", NULL};
    static const char *const avatar[] = {"avatar", "avatars", "awatar", "gravatar", "userpic", "profilbild",
                                         "profilfoto", "profielfoto", "profielafbeelding", "benutzerbild",
                                         "аватар", "аватара", "аватарка", NULL};
    static const char *const profile[] = {"profile", "profil", "perfil", "profilo", "profiel", "profilowe",
                                          "профиля", NULL};
    static const char *const pic[] = {"picture", "photo", "image", "pic", "foto", "imagen", "immagine", "imagem",
                                      "bild", "afbeelding", "zdjecie", "фото", "изображение", NULL};
    static const char *const filler[] = {"default", "standard", "de", "del", "do", "da", "du", "di", NULL};
    for (size_t f = 1; f <= 4 && f < s->n; f++) {
        int av = 0, prof = 0, p = 0, ok = 1;
        for (size_t i = 0; i < f && ok; i++) {
            const sword *w = &s->v[i];
            if (word_is(w, avatar))
                av = 1;
            else if (word_is(w, profile))
                prof = 1;
            else if (word_is(w, pic))
                p = 1;
            else if (!word_is(w, filler) && !word_is(w, user))
                ok = 0;
        }
        if (!ok || !(av || (prof && p)))
            continue;
        size_t j = f;
        int linked = 0;
        if (word_is(&s->v[j], forw)) {
            j++;
            linked = 1;
        }
        if (j < s->n && word_is(&s->v[j], user)) {
            j++;
            linked = 1;
        }
        if (!linked || j >= s->n)
            continue;
        size_t r = s->n - j;
        int names = r <= 6;
        for (size_t i = j; names && i < s->n; i++)
            if (!name_like(&s->v[i]) && !(s->v[i].flags & F_CONNECTOR))
                names = 0;
        if (r <= 2 || names)
            return 1;
    }
    /* "NAME's picture", "NAME's profile photo": the possessive joined to a
     * one-word name */
    static const char *const own[] = {"picture", "avatar", "photo", "image", "profile", NULL};
    const char *q;
    if ((s->n == 3 || (s->n == 4 && word_is(&s->v[3], own))) && word_is(&s->v[2], own) &&
        (q = possessive_s(x, &s->v[1])) && s->v[0].w + s->v[0].wl == q)
        return 1; /* "jputtgen's picture", "antonela223949's profile photo" */
    return 0;
}

static int shape_logo(judge_ctx *x, const swords *s)
{
    if (avatar_label(x, s)) {
        snprintf(x->detail, x->detaillen, "avatar label");
        return 1;
    }
    if (stock_listing(x) || describes(s))
        return 0;
    /* "ABC Button Cushion", "2-Button Jacket": a product with the furniture
     * on it (multi-word entries are marked by mark_spans) */
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].flags & (F_PRODUCT | F_GARMENT))
            return 0;
    const sword *head = logo_label(s, 0, s->n, cap_from_list(x));
    if (!head) {
        /* "Belize Weather Banner - Black Orchid Resort": one segment is a
         * label, the others are names */
        size_t st[8], n = segments(x, s, st, 8);
        int names = 1;
        for (size_t k = 0; n >= 2 && k < n; k++) {
            size_t a = st[k], b = k + 1 < n ? st[k + 1] : s->n;
            const sword *h = logo_label(s, a, b, cap_from_list(x));
            if (h && !head)
                head = h;
            else if (!name_segment(s, a, b))
                names = 0;
        }
        if (!names)
            head = NULL;
    }
    if (head) {
        snprintf(x->detail, x->detaillen, "'%.*s' with a name", (int)head->wl, head->w);
        return 1;
    }
    return 0;
}

/* ---- share / call to action ---- */

static int infinitive(const sword *w)
{
    return w->fl >= 5 && (cap_has_suffix(w->f, w->fl, "en") || cap_has_suffix(w->f, w->fl, "ern") || cap_has_suffix(w->f, w->fl, "eln"));
}

static int cta_label(judge_ctx *x, const swords *s);

/* "Ether spenden // Donate Ether": a call to action in any one segment
 * whose other segments are calls to action or names too. */
static int shape_cta(judge_ctx *x, const swords *s)
{
    /* "Click here to watch video: Truth About Bad Breath": a title of three
     * or more words after a colon, none of them a call to action or a
     * network, says what the link shows */
    const char *colon = memchr(x->norm, ':', x->nlen);
    if (colon) {
        size_t after = 0, plain = 1;
        for (size_t i = 0; i < s->n; i++)
            if (s->v[i].w > colon) {
                after++;
                if (s->v[i].flags & (F_CTA | F_SOCIAL | F_PROMO | F_SUBSCRIPTION))
                    plain = 0;
            }
        if (after >= 3 && plain)
            return 0;
    }
    if (cta_label(x, s))
        return 1;
    /* "Download NitrOlympX 2016 - Top Fuel Bike Eliminations Video": in a URL
     * list a segment with a verb is part of a title */
    if (cap_from_list(x))
        return 0;
    size_t st[8], n = segments(x, s, st, 8);
    if (n < 2)
        return 0;
    int hits = 0;
    for (size_t k = 0; k < n; k++) {
        size_t a = st[k], b = k + 1 < n ? st[k + 1] : s->n;
        swords part = {s->v + a, b - a};
        if (cta_label(x, &part))
            hits++;
        else if (!name_segment(s, a, b))
            return 0;
    }
    return hits > 0;
}

/* Letters of the caption in upper case only, at least two words' worth
 * (five letters): a heading or a shouted button. */
static int all_capitals(const judge_ctx *x)
{
    size_t up = 0;
    for (size_t i = 0; i < x->nlen;) {
        int32_t cp = cap_next_cp((const unsigned char *)x->norm, x->nlen, &i);
        if (cp < 0)
            continue;
        utf8proc_category_t c = utf8proc_category(cp);
        if (c == UTF8PROC_CATEGORY_LL)
            return 0;
        up += c == UTF8PROC_CATEGORY_LU;
    }
    return up >= 5;
}

static int cta_label(judge_ctx *x, const swords *s)
{
    static const char *const preps[] = {"auf", "on", "en", "bei", "in", "sur", "su", "na", "op", "w", "em", "at",
                                        "per", "via", "with", "mit", "con", "avec", "as", "als", "it", "us", "uns",
                                        "nous", "nos", "ci", "no", "nas", "do", "da", "me", "to", "im", "am",
                                        "aux", "nel", "nella", "sul", "pa", NULL};
    size_t first = s->n, last = s->n;
    for (size_t i = 0; i < s->n; i++)
        if (!(s->v[i].flags & F_TRIVIAL)) {
            if (first == s->n)
                first = i;
            last = i;
        }
    if (first == s->n)
        return 0;
    int cta = (s->v[first].flags & F_CTA) || ((s->v[last].flags & F_CTA) && infinitive(&s->v[last]));
    /* "Kindheitstrauma mit Folgen", "Energiewende und Spenden": after a
     * preposition, conjunction or article a final infinitive is a noun */
    static const char *const noun_before[] = {"mit", "ohne", "von", "vom", "nach", "vor", "und", "oder", "das",
                                              "die", "der", "den", "dem", "des", "beim", "met", "zonder", "en", "of",
                                              "het", NULL};
    if (cta && !(s->v[first].flags & F_CTA) && last > first && word_is(&s->v[last - 1], noun_before))
        cta = 0;
    /* "The Order Of Time": after an article the word is a noun */
    static const char *const articles[] = {"the", "a", "an", "der", "die", "das", "le", "la", "les", "el", "los", "il", "de", "het", NULL};
    for (int k = 0; cta && first > 0 && articles[k]; k++)
        if (strlen(articles[k]) == s->v[first - 1].fl && memcmp(articles[k], s->v[first - 1].f, s->v[first - 1].fl) == 0)
            cta = 0;
    /* "Visit of the Pope", "Order of the Phoenix", "Print of a painting":
     * before "of" the word is a noun */
    static const char *const of[] = {"of", "von", "des", "de", "du", "di", "del", "della", "van", NULL};
    if (cta && (s->v[first].flags & F_CTA) && first + 1 < s->n && word_is(&s->v[first + 1], of))
        cta = 0;
    /* "Email Marketing Strategies": e-mail as a noun before other words (in a
     * URL list also before a lower-case one: "email marketing") */
    static const char *const nouns[] = {"email", "mail", "e-mail", NULL};
    for (int k = 0; cta && first + 1 < s->n && nouns[k]; k++)
        if (strlen(nouns[k]) == s->v[first].fl && memcmp(nouns[k], s->v[first].f, s->v[first].fl) == 0 &&
            !(s->v[first + 1].flags & F_TRIVIAL) && (s->v[first + 1].upper || cap_from_list(x)))
            cta = 0;
    /* "VISIT PAMPANGA BLOG SERIES": written all in capitals, the case no
     * longer tells a button's names from a title's words, so each word left
     * counts as a lower-case one */
    int all_caps = all_capitals(x);
    size_t social = 0, left = 0, lower = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sword *w = &s->v[i];
        if (w->flags & F_SOCIAL) {
            /* e-mail, RSS, LINE, X are also ordinary words ("The KMail email
             * software"), and "NAME APK" lists an app: they make no badge
             * on their own ("Download APK" is still a call to action) */
            static const char *const generic[] = {"email", "mail", "rss", "line", "x", "threads", "feed", "apk", NULL};
            int g = 0;
            for (int k = 0; generic[k]; k++)
                if (strlen(generic[k]) == w->fl && memcmp(generic[k], w->f, w->fl) == 0)
                    g = 1;
            social += !g;
            continue;
        }
        if ((w->flags & F_CTA) && cta)
            continue;
        /* "Join Accountancy Age's LinkedIn group": the possessive s */
        if (w->digit || (w->flags & (F_TRIVIAL | F_CONNECTOR | F_FURNITURE | F_PHRASE)) || (cta && possessive_s(x, w)))
            continue;
        int prep = 0;
        for (int p = 0; preps[p]; p++)
            if (strlen(preps[p]) == w->fl && memcmp(preps[p], w->f, w->fl) == 0)
                prep = 1;
        if (prep)
            continue;
        left++;
        lower += !w->upper || all_caps;
    }
    if (social && !cta && describes(s))
        return 0;
    /* in a URL list a call-to-action verb before two or more words opens a
     * title ("Download Night Watch Racing", "Learn To Paint Florals") and a
     * network's name beside other words is a topic ("1000 images about
     * JEANS! on Pinterest"): there a button is a verb and at most one word
     * ("Download PDF", "Buy Tickets", "Watch the trailer"), a network's own
     * button ("Download on the App Store") or a network's name alone */
    if (cap_from_list(x) && ((cta && !social && left > 1) || (!cta && social && left > 0)))
        return 0;
    if ((cta || social) && left <= (cta ? 3u : 2u) && lower <= 1) {
        snprintf(x->detail, x->detaillen, cta ? "call to action" : "social network badge");
        return 1;
    }
    return 0;
}

/* ---- "by example.com" badge ---- */

/* A short caption (at most 8 words) ending in "by"/"von"/"par"/"por"/"door"/
 * "da"/"di" and a domain name: a site badge ("Blog Top Liste - by
 * TopBlogs.de", "Created, Made & Maintained by AETHYX.EU"). */
static int shape_bydomain(judge_ctx *x, const swords *s)
{
    static const char *const by[] = {"by", "von", "par", "por", "door", "da", "di", "af", "av", NULL};
    if (s->n < 3 || s->n > 8)
        return 0;
    /* the last space-free run is the domain: name.tld, letters/digits/-/. */
    const char *e = x->norm + x->nlen;
    while (e > x->norm && strchr("!.)", e[-1]))
        e--;
    const char *d = e;
    while (d > x->norm && d[-1] != ' ')
        d--;
    const char *dot = NULL;
    for (const char *p = d; p < e; p++) {
        if (*p == '.')
            dot = p;
        else if (!isalnum((unsigned char)*p) && *p != '-')
            return 0;
    }
    if (!dot || dot == d || e - dot - 1 < 2 || e - dot - 1 > 6)
        return 0;
    for (const char *p = dot + 1; p < e; p++)
        if (!isalpha((unsigned char)*p))
            return 0;
    /* the word before the domain */
    const char *we = d;
    while (we > x->norm && we[-1] == ' ')
        we--;
    const char *ws = we;
    while (ws > x->norm && ws[-1] != ' ')
        ws--;
    for (int i = 0; by[i]; i++)
        if ((size_t)(we - ws) == strlen(by[i]) && strncasecmp(ws, by[i], (size_t)(we - ws)) == 0) {
            snprintf(x->detail, x->detaillen, "site badge");
            return 1;
        }
    return 0;
}

/* ---- ad-blocker notices, feed badges, "Next X" links ---- */

static int word_is(const sword *w, const char *const *list)
{
    return cap_in_list(list, w->f, w->fl);
}

/* An ad-blocker notice names the ad blocker wherever it stands ("Please
 * support us by disabling your adblocker"); a feed badge is a short caption
 * (at most 5 words) naming RSS or Atom; an app badge (at most 4 words) names
 * an app and a platform; a paging link is two words, the first a
 * next/previous word ("Next capture", "Nächster Beitrag"), or three to five
 * ending in what a site pages through ("Next religion news article"). */
static int shape_ui(judge_ctx *x, const swords *s)
{
    static const char *const adblock[] = {"adblock", "adblocker", "adblockers", "werbeblocker", "adblocking",
                                          "adblockern", "bloqueur", "bloqueador", "bloccatore", "adblockplus", "ublock",
                                          "ublockorigin", "adguard", NULL};
    static const char *const feed[] = {"rss", "atom", NULL};
    static const char *const paging[] = {"next", "previous", "prev", "older", "newer", "nachste", "nachster",
                                         "nachstes", "vorherige", "vorheriger", "vorheriges", "suivant", "suivante",
                                         "precedent", "precedente", "siguiente", "anterior", "successivo",
                                         "successiva", "precedente", "volgende", "vorige", "proximo", "proxima",
                                         "poprzedni", "nastepny", "следующая", "предыдущая", NULL};
    for (size_t i = 0; i < s->n; i++) {
        const sword *w = &s->v[i];
        int ad = word_is(w, adblock);
        /* "ad blocker", "bloqueur de publicité": the two-word forms */
        if (!ad && i + 1 < s->n && w->fl == 2 && memcmp(w->f, "ad", 2) == 0 &&
            (s->v[i + 1].fl >= 7 && memcmp(s->v[i + 1].f, "blocker", 7) == 0))
            ad = 1;
        if (ad && (w->fl != 8 || memcmp(w->f, "bloqueur", 8) != 0 || i + 2 < s->n)) {
            snprintf(x->detail, x->detaillen, "ad-blocker notice");
            return 1;
        }
    }
    if (s->n <= 5)
        for (size_t i = 0; i < s->n; i++)
            if (word_is(&s->v[i], feed)) {
                snprintf(x->detail, x->detaillen, "feed badge");
                return 1;
            }
    /* "apolut Apple App", "Android App": an app badge names a platform */
    static const char *const apps[] = {"app", "apps", NULL};
    static const char *const platform[] = {"apple", "android", "ios", "iphone", "ipad", "huawei", "windows", "apk",
                                           "google", NULL};
    if (s->n <= 4) {
        int app = 0, plat = 0;
        for (size_t i = 0; i < s->n; i++) {
            app |= word_is(&s->v[i], apps);
            plat |= word_is(&s->v[i], platform);
        }
        if (app && plat) {
            snprintf(x->detail, x->detaillen, "app badge");
            return 1;
        }
    }
    if (s->n == 2 && word_is(&s->v[0], paging) && !s->v[1].digit) {
        snprintf(x->detail, x->detaillen, "paging link");
        return 1;
    }
    /* "Next religion news article": a next/previous word, at most three
     * words, then what a site pages through */
    static const char *const paged[] = {"article", "post", "story", "entry", "page", "photo", "picture", "image",
                                        "slide", "item", "video", "gallery", "artikel", "beitrag", "seite", "bild",
                                        "billet", "articulo", "noticia", "articolo", "notizia", "artigo", NULL};
    if (s->n >= 3 && s->n <= 5 && word_is(&s->v[0], paging) && word_is(&s->v[s->n - 1], paged)) {
        snprintf(x->detail, x->detaillen, "paging link");
        return 1;
    }
    return 0;
}

/* ---- UI actions, smileys, project badges ---- */

/* A widget's label: UI verbs and UI nouns ([uiverb], [uinoun]) with only
 * determiners between, at most 5 words: "close player", "open search bar",
 * "Diese Seite ausdrucken", "Menü öffnen", "ver secciones". A verb without
 * a noun needs a quantity word ("Show more", "Alle schließen"). Any other
 * word ("Open road at sunset", "Close Encounters") makes it a description
 * or a title. */
static int shape_uiaction(judge_ctx *x, const swords *s)
{
    static const char *const det[] = {"the", "this", "these", "a", "an", "your", "my", "our", "in", "to", "on",
                                      "diese", "dieses", "diesen", "der", "die", "das", "den", "dem", "zum", "zur",
                                      "im", "ins", "unsere", "weitere", "weiteren", "wird", "werden", "le", "la",
                                      "les", "l", "du", "des", "au", "aux", "el", "los", "las", "il", "lo", "de",
                                      "het", "een", "op", "o", "os", "as", "dans", "del", "della",
                                      "da", "do", NULL};
    static const char *const quantity[] = {"more", "less", "all", "mehr", "weniger", "alle", "alles", "plus",
                                           "moins", "tout", "tous", "mas", "menos", "todo", "todos", "mais", "piu",
                                           "tutto", "tutti", "meer", "minder", "wiecej", "vice", "daha",
                                           "fazla", "mer", "mere", "еще", "больше", "більше", "ще", NULL};
    if (s->n < 2 || s->n > 5)
        return 0;
    size_t verbs = 0, nouns = 0, quant = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sword *w = &s->v[i];
        if (w->flags & F_UIVERB)
            verbs++;
        else if (w->flags & F_UINOUN)
            nouns++;
        else if (word_is(w, quantity))
            quant++;
        else if (!word_is(w, det) && !(w->flags & F_TRIVIAL))
            return 0;
    }
    if (verbs && (nouns || quant)) {
        snprintf(x->detail, x->detaillen, "UI action");
        return 1;
    }
    return 0;
}

/* A forum smiley's alt text: the smiley's code at the end after at most
 * three words ("Roll eyes :rolleyes:"), or an ASCII emoticon after at most
 * two ("Big grin :D"). */
static int shape_smiley(judge_ctx *x, const swords *s)
{
    const char *e = x->norm + x->nlen;
    size_t code = 0;
    if (x->nlen >= 3 && e[-1] == ':') { /* ":rolleyes:" */
        const char *p = e - 2;
        while (p > x->norm && (isalnum((unsigned char)*p) || *p == '_' || *p == '-'))
            p--;
        if (*p == ':' && e - 1 - p >= 2 && e - 1 - p <= 16 && (p == x->norm || p[-1] == ' '))
            code = (size_t)(e - p);
    }
    int ascii = 0;
    static const char *const emo[] = {":D", ":-D", ":P", ":-P", ":p", ":)", ":-)", ":(", ":-(", ";)", ";-)", ":o",
                                      ":O", ":|", ":/", "8)", "8-)", ":x", NULL};
    for (int i = 0; !code && emo[i]; i++) {
        size_t l = strlen(emo[i]);
        if (x->nlen > l && cap_has_suffix(x->norm, x->nlen, emo[i]) && x->norm[x->nlen - l - 1] == ' ') {
            code = l;
            ascii = 1;
        }
    }
    if (!code)
        return 0;
    /* the words before the code */
    caption_length L;
    caption_measure(x->norm, x->nlen - code, &L);
    (void)s;
    if (L.words >= 1 && L.words <= (ascii ? 2u : 3u)) { /* "A sad child :(" may describe */
        snprintf(x->detail, x->detaillen, "smiley");
        return 1;
    }
    return 0;
}

/* A project badge (shields.io and the like, in README-style pages): at
 * most three words, the last a status word, the others names or badge
 * subjects ("PyPI version", "GitHub license", "Docs status", "Tests -
 * Status"). "Marital status" has a lower-case word of its own. */
static int shape_projectbadge(judge_ctx *x, const swords *s)
{
    static const char *const status[] = {"status", "version", "license", "licence", "downloads", "coverage",
                                         "passing", "failing", NULL};
    static const char *const subject[] = {"docs", "doc", "build", "tests", "test", "ci", "pypi", "npm", "crates",
                                          "conda", "coverage", "license", "downloads", "release", "pipeline",
                                          "code", "style", "python", "package", NULL};
    if (s->n < 2 || s->n > 3 || !word_is(&s->v[s->n - 1], status))
        return 0;
    for (size_t i = 0; i + 1 < s->n; i++)
        if (!s->v[i].upper && !word_is(&s->v[i], subject))
            return 0;
    snprintf(x->detail, x->detaillen, "project badge");
    return 1;
}

/* A German advert's imperative as an infinitive after "Jetzt" (tenth
 * pass): "Jetzt Rechtsfrage stellen", "Jetzt kostenlos testen", "Jetzt
 * Facebook-Fan werden": "jetzt" first, a lower-case infinitive last, and
 * between them at most three capitalised nouns or advert adverbs; no
 * sentence punctuation. A headline has a finite verb or a pronoun ("Jetzt
 * bastelt Hirscher am Wunderschuh", "Jetzt müssen wir handeln"), and a
 * plural noun last is capitalised ("Jetzt Aktien"). */
static int jetzt_infinitive(const judge_ctx *x, const swords *s)
{
    static const char *const adverb[] = {"kostenlos", "gratis", "online", "hier", "direkt", "schnell", "einfach",
                                         "sofort", "unverbindlich", "bequem", "gleich", "mehr", "neu", NULL};
    static const char *const jetzt[] = {"jetzt", NULL};
    if (s->n < 2 || s->n > 5 || !word_is(&s->v[0], jetzt))
        return 0;
    for (size_t i = 0; i < x->nlen; i++)
        if (strchr(".,;:?!", x->norm[i]))
            return 0;
    const sword *last = &s->v[s->n - 1];
    if (!infinitive(last) || last->upper || last->digit)
        return 0;
    for (size_t i = 1; i + 1 < s->n; i++) {
        const sword *w = &s->v[i];
        if (!(w->upper && !w->digit) && !word_is(w, adverb))
            return 0;
    }
    return 1;
}

/* A promotional line: a [promo] phrase anywhere ("Subscribe to our sister
 * title ...", "Folgen Sie uns auf ...", "Bitcoin-Spenden hier akzeptiert");
 * or a short exclamation with a "now" word ("Mitgliedschaft jetzt!",
 * "Apply now!"): at most four words, ending in '!'. */
static int shape_promo(judge_ctx *x, const swords *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].flags & F_PROMO) {
            snprintf(x->detail, x->detaillen, "promotional or UI line");
            return 1;
        }
    /* German polite imperative opening the caption: "Abonnieren Sie ...",
     * "Testen Sie den Freitag", "Buchen Sie bei uns ..." (a question, "Kennen
     * Sie ...?", ends in '?') */
    if (s->n >= 3 && infinitive(&s->v[0]) && s->v[0].upper && s->v[1].wl == 3 && memcmp(s->v[1].w, "Sie", 3) == 0 &&
        !memchr(x->norm, '?', x->nlen)) {
        snprintf(x->detail, x->detaillen, "call to action");
        return 1;
    }
    if (jetzt_infinitive(x, s)) {
        snprintf(x->detail, x->detaillen, "call to action");
        return 1;
    }
    static const char *const now[] = {"now", "jetzt", "maintenant", "ahora", "agora", "ora", "adesso",
                                      "subito", "nu", "teraz", "сеичас", "nyni", "acum", "ara", "simdi",
                                      "hemen", "τωρα", "sekarang", "ngay", "الان", "اکنون", NULL};
    const char *e = x->norm + x->nlen;
    while (e > x->norm && e[-1] == ' ')
        e--;
    if (s->n == 0 || s->n > 4 || e == x->norm || e[-1] != '!')
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (word_is(&s->v[i], now)) {
            snprintf(x->detail, x->detaillen, "call to action");
            return 1;
        }
    return 0;
}

/* A subscription, newsletter or app promotion ([subscription]: newsletter,
 * Abo, suscripción, app...): a call to action or a "give" verb opening a
 * caption of at most twelve words that names the offer ("Sign up for
 * SFGATE Newsletters", "Download the app", "Give a Subscription to The New
 * Yorker as a Gift"), or a "give" verb with a gift ("Give a gift", "Give
 * the Gift of Architectural Digest"); or the offer as the first or last
 * word beside one to five names and nothing lower-case but connectors
 * ("CTV News App", "Abo Fisch&Fang", "Familien-Newsletter des Kölner
 * Stadt-Anzeigers"). Products and stock titles ("Newsletter Template",
 * "… Stock Photo"), descriptions ("A news app on a phone", "Streit über
 * die Corona-App") and topics ("Apps für Kinder") are kept. */
static int shape_subscribe(judge_ctx *x, const swords *s)
{
    static const char *const give[] = {"give", "sign", "verschenken", "verschenke", "schenken", "schenke",
                                       "offrez", "offrir", "regala", "regalar", "regalare", "regale", "oferece",
                                       "presenteie", "geef", "schenk", "podaruj", "подарите", "подари", NULL};
    static const char *const gift[] = {"gift", "gifts", "geschenk", "cadeau", "regalo", "prezent", "подарок", NULL};
    if (s->n < 2 || s->n > 12 || stock_listing(x))
        return 0;
    size_t first = s->n, offer = 0, gifts = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sword *w = &s->v[i];
        if (w->flags & (F_PRODUCT | F_GARMENT))
            return 0;
        if ((w->flags & F_TRIVIAL) && !(w->flags & F_SUBSCRIPTION))
            continue;
        if (first == s->n)
            first = i;
        offer += (w->flags & F_SUBSCRIPTION) != 0;
        gifts += word_is(w, gift);
    }
    if (first == s->n || (!offer && !gifts))
        return 0;
    const sword *f = &s->v[first];
    int giving = word_is(f, give);
    if (((f->flags & F_CTA) && offer) || (giving && (offer || gifts))) {
        snprintf(x->detail, x->detaillen, "subscription, app or coupon promotion");
        return 1;
    }
    /* the offer opens the caption (also as a compound's head,
     * "Familien-Newsletter") or closes it */
    int opens = (s->v[0].flags & F_SUBSCRIPTION) || (s->v[0].glued_next && (s->v[1].flags & F_SUBSCRIPTION));
    /* "Chess Free Apps": plural apps name a category, not one app's badge */
    static const char *const plural[] = {"apps", NULL};
    /* a media word after the offer names the promotion's picture ("People
     * Magazine Subscription Image") */
    static const char *const media[] = {"image", "banner", "graphic", "ad", "bild", "grafik", "imagen",
                                        "immagine", "imagem", "afbeelding", NULL};
    size_t last = s->n - 1;
    if (last >= 2 && word_is(&s->v[last], media) && (s->v[last - 1].flags & F_SUBSCRIPTION))
        last--;
    int closes = (s->v[last].flags & F_SUBSCRIPTION) && !word_is(&s->v[last], plural);
    if (!offer || s->n > 7 || describes(s) || !(opens || closes))
        return 0;
    /* "Apps für Kinder": an offer for someone is a topic, not a badge */
    static const char *const purpose[] = {"for", "fur", "pour", "para", "per", "voor", "dla", "для", NULL};
    size_t names = 0, lower = 0;
    for (size_t i = 0; i < s->n; i++) {
        const sword *w = &s->v[i];
        if (word_is(w, purpose))
            return 0;
        if ((w->flags & (F_SUBSCRIPTION | F_CONNECTOR | F_TRIVIAL)) || possessive_s(x, w))
            continue;
        names++;
        lower += !name_like(w);
    }
    if (names >= 1 && names <= 5 && lower == 0) {
        snprintf(x->detail, x->detaillen, "subscription, app or coupon promotion");
        return 1;
    }
    return 0;
}

/* A hit or subscriber counter or a web-analytics informer: a counter word
 * or service ([counter]: "counter", "Besucherzähler", "compteur",
 * "LiveInternet", "Яндекс.Метрика", "site stats"), the other words counter
 * words, numbers or the vocabulary of visitor statistics ("counter free
 * hit invisible", "Feed subscriber count", "Яндекс.Метрика: данные за
 * сегодня (просмотры, визиты и уникальные посетители)" = data for today:
 * views, visits and unique visitors). At most 16 words; nothing that names
 * a subject ("Google Analytics dashboard" is kept). */
static int shape_counter(judge_ctx *x, const swords *s)
{
    /* visitor-statistics words (en de fr es it pt nl pl ru uk), written
     * for this filter */
    static const char *const filler[] = {
        "free", "hit", "hits", "invisible", "web", "site", "visitor", "visitors", "visits", "stats", "statistics",
        "views", "pageviews", "subscriber", "subscribers", "count", "feed", "follower", "followers", "unique",
        "uniques", "today", "online", "data", "shown", "number", "hours", "total", "kostenlos", "gratuit",
        "gratis", "besucher", "aufrufe", "seitenaufrufe", "heute", "statistik", "insgesamt", "visites",
        "visiteurs", "vues", "aujourd", "hui", "statistiques", "visitas", "visitantes", "hoy", "estadisticas",
        "visite", "visitatori", "oggi", "statistiche", "hoje", "estatisticas", "bezoekers", "bezoeken",
        "vandaag", "odwiedzin", "odwiedzajacych", "dzisiaj", "statystyki", "просмотры", "просмотров",
        "визиты", "визитов", "посетители", "посетителеи", "уникальные", "уникальных", "данные", "сегодня",
        "показано", "число", "часа", "часов", "статистика", "всего", "перегляди", "переглядів", "відвідувачі",
        "сьогодні", "за", "и", "в", "на", "і", "та", "customizable", "customisable", "reader", "readers", NULL};
    /* the software or site a statistics widget counts for ("blogger
     * counters", "vBulletin statistic", "wordpress visitor") */
    static const char *const platform[] = {"blogger", "blogspot", "wordpress", "vbulletin", "website", "webseite",
                                           "blog", "forum", "homepage", "web", "site", NULL};
    /* words that name a statistics widget only beside a platform word
     * ("website stat"; "Player stats" stays) */
    static const char *const weak[] = {"stat",     "stats",    "statistic", "statistics", "analytic",
                                       "analytics", "tracker", "tracking",  "visitor",   "visitors", NULL};
    size_t counters = 0, weaks = 0, platforms = 0, digits = 0;
    if (s->n == 0 || s->n > 16)
        return 0;
    for (size_t i = 0; i < s->n; i++) {
        const sword *w = &s->v[i];
        int is_weak = word_is(w, weak);
        if (w->flags & F_COUNTER)
            counters++;
        else if (word_is(w, platform))
            platforms++;
        else if (!(w->digit || (w->flags & F_TRIVIAL) || word_is(w, filler) || is_weak))
            return 0;
        weaks += is_weak;
        digits += w->digit;
    }
    /* a weak word needs a platform word, no number ("Website statistics
     * for 2012" is a chart's title) and at most three words */
    if (counters || (weaks && platforms && !digits && s->n <= 3)) {
        snprintf(x->detail, x->detaillen, "counter badge");
        return 1;
    }
    return 0;
}

/* A phone number given after a phone label ([phone]: "Tel.:", "Telefon",
 * "電話"): at least six digits in a run of digits, spaces and "+()-./"
 * ("Tel.: +66 (0)89-881 9873"). An ad's or a contact's line, whatever
 * else it says. */
static int shape_phone(judge_ctx *x, const swords *s)
{
    for (size_t i = 0; i + 1 < s->n; i++) {
        if (!(s->v[i].flags & F_PHONE) || !s->v[i + 1].digit)
            continue;
        const char *p = s->v[i].w + s->v[i].wl, *e = x->norm + x->nlen;
        while (p < e && strchr(".: ", *p))
            p++;
        size_t digits = 0;
        for (; p < e && (isdigit((unsigned char)*p) || strchr(" +()-./", *p)); p++)
            digits += isdigit((unsigned char)*p) != 0;
        if (digits >= 6) {
            snprintf(x->detail, x->detaillen, "phone number");
            return 1;
        }
    }
    return 0;
}

/* A weather widget's label: [weather] conditions, alone ("Partly Cloudy",
 * "غائم جزئيا", "晴れ時々曇り") or with a time of day and temperatures
 * ("PM Rain", "Heute: Regen", "Light rain 12°C"); nothing else. A number
 * counts only with a degree sign ("12 couverts" is a table). */
static int shape_weather(judge_ctx *x, const swords *s)
{
    static const char *const when[] = {"am", "pm", "today", "tonight", "tomorrow", "heute", "morgen", "ubermorgen",
                                       "nachts", "aujourd", "hui", "demain", "hoy", "manana", "oggi", "domani",
                                       "hoje", "amanha", "vandaag", "dzis", "jutro", "сегодня", "завтра",
                                       "idag", "imorgon", NULL};
    static const char *const unit[] = {"c", "f", NULL};
    if (s->n == 0)
        return 0;
    /* the whole caption one entry (CJK entries are longer than mark_spans
     * looks) */
    capword *all = xmalloc(s->n * sizeof *all);
    for (size_t i = 0; i < s->n; i++)
        all[i] = (capword){s->v[i].f, s->v[i].fl};
    ccbuf t = {0};
    int whole = (cap_join_flags(x->f, all, s->n, &t) & F_WEATHER) != 0;
    ccbuf_free(&t);
    free(all);
    int degree = memmem(x->norm, x->nlen, "\xc2\xb0", 2) != NULL; /* ° */
    size_t weather = 0;
    for (size_t i = 0; !whole && i < s->n; i++) {
        const sword *w = &s->v[i];
        if (w->flags & F_WEATHER)
            weather++;
        else if (!(word_is(w, when) || (w->digit && degree) || (i > 0 && s->v[i - 1].digit && word_is(w, unit))))
            return 0;
    }
    if (whole || weather) {
        snprintf(x->detail, x->detaillen, "weather widget");
        return 1;
    }
    return 0;
}

/* A link to another page: a "go to" phrase starting the caption ([goto]:
 * "zum", "zur", "go to", "vers la", "ir a", "ga naar", "перейти на") and,
 * within seven words, a page the link leads to ([uinoun], a social network,
 * a home page: "zum ZAMG-Profil auf instagram", "zur HISTALP-Website", "Go
 * to our shop"); or a Korean "… 바로가기" / Japanese "…へ移動" ending.
 * "Zur Post" (an inn) names no page. */
static int shape_goto(judge_ctx *x, const swords *s)
{
    if (s->n >= 2 && s->n <= 7 && (s->v[0].flags & F_GOTO)) {
        size_t i = 1;
        while (i < s->n && (s->v[i].flags & F_GOTO) && i < 3)
            i++;
        /* media words describe a picture ("... vector image") */
        static const char *const media[] = {"image", "images", "bild", "bilder", "imagen", "imagem", "immagine",
                                            "video", "videos", "audio", "map", "karte", "mapa", "carte", NULL};
        /* after the page word only the place it is on ("zum ZAMG-Profil auf
         * instagram"): in "Visit Pampanga Blog Series" the page word is part
         * of a title's name */
        static const char *const on[] = {"auf", "on", "at", "en", "bei", "in", "sur", "su", "na", "op", "of",
                                         "von", "de", "du", "di", "da", "do", NULL};
        for (; i < s->n; i++)
            if ((s->v[i].flags & (F_UINOUN | F_SOCIAL | F_HOMELINK)) && !word_is(&s->v[i], media)) {
                /* a bracketed or © credit after it is no title ("zur
                 * HISTALP-Website (© ZAMG)") */
                const char *pe = s->v[i].w + s->v[i].wl, *end = x->norm + x->nlen;
                const char *br = memchr(pe, '(', (size_t)(end - pe));
                const char *cp = memmem(pe, (size_t)(end - pe), "\xc2\xa9", 2);
                if (!br || (cp && cp < br))
                    br = cp ? cp : end;
                size_t j = i + 1;
                while (j < s->n && s->v[j].w < br &&
                       ((s->v[j].flags & (F_TRIVIAL | F_SOCIAL | F_UINOUN | F_HOMELINK | F_CONNECTOR)) ||
                        word_is(&s->v[j], on) || s->v[j].digit))
                    j++;
                if (j < s->n && s->v[j].w < br)
                    continue;
                snprintf(x->detail, x->detaillen, "link to another page");
                return 1;
            }
    }
    static const char *const tail[] = {"\xeb\xb0\x94\xeb\xa1\x9c\xea\xb0\x80\xea\xb8\xb0" /* 바로가기 */,
                                       "\xe3\x81\xb8\xe7\xa7\xbb\xe5\x8b\x95" /* へ移動 */, NULL};
    for (int t = 0; tail[t]; t++) {
        size_t tl = strlen(tail[t]);
        if (x->flen > tl && cap_has_suffix(x->fold, x->flen, tail[t]) && s->n <= 8) {
            snprintf(x->detail, x->detaillen, "link to another page");
            return 1;
        }
    }
    return 0;
}

/* A translation widget's link: "Traduisez au Français/French", "Översätta
 * till Svensk/Swedish", "日本語に翻訳しなさい /Japanese" (a blog plugin writes
 * the call in the target language, then "/" and the language's English
 * name), or "Translate to English". The text before the slash must hold a
 * word for translating, in one of the languages such widgets offer. */
static int shape_translate(judge_ctx *x, const swords *s)
{
    static const char *const langs[] = {
        "english", "french", "german", "spanish", "italian", "portuguese", "dutch", "swedish", "norwegian",
        "danish", "finnish", "polish", "russian", "ukrainian", "arabic", "japanese", "korean", "chinese",
        "chinese simplified", "chinese traditional", "hindi", "latvian", "lithuanian", "estonian", "greek",
        "turkish", "czech", "slovak", "slovenian", "hungarian", "romanian", "bulgarian", "croatian", "serbian",
        "hebrew", "thai", "vietnamese", "indonesian", "malay", "filipino", "catalan", "galician", "basque",
        "irish", "welsh", "persian", "urdu", "bengali", "albanian", "maltese", "icelandic", NULL};
    /* stems of "translate" (folded: lower case, accents stripped) */
    static const char *const stems[] = {
        "translat", "tradu", "ubersetz", "oversat", "oversaet", "vertal", "tlumacz", "tulko", "cevir", "dich",
        "terjemah", "preved", "prelo", "kaanna", "forditsd",
        "\xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd0\xb2\xd0\xb5\xd0\xb4" /* перевед */,
        "\xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd0\xb2\xd0\xbe\xd0\xb4" /* перевод */,
        "\xe7\xbf\xbb\xe8\xa8\xb3" /* 翻訳 */,
        "\xe7\xbf\xbb\xe8\xaf\x91" /* 翻译 */,
        "\xeb\xb2\x88\xec\x97\xad" /* 번역 */,
        "\xd8\xaa\xd8\xb1\xd8\xac\xd9\x85" /* ترجم */,
        "\xce\xbc\xce\xb5\xcf\x84\xce\xb1\xcf\x86\xcf\x81" /* μεταφρ */,
        NULL};
    static const char *const to[] = {"to", "into", NULL};
    if (s->n == 3 && s->v[0].fl >= 8 && memcmp(s->v[0].f, "translat", 8) == 0 && word_is(&s->v[1], to)) {
        if (!word_is(&s->v[2], langs))
            return 0;
        snprintf(x->detail, x->detaillen, "translation link");
        return 1;
    }
    const char *slash = x->flen ? memrchr(x->fold, '/', x->flen) : NULL;
    if (!slash || slash == x->fold || (size_t)(slash - x->fold) > 80)
        return 0;
    const char *t = slash + 1, *e = x->fold + x->flen;
    while (t < e && *t == ' ')
        t++;
    while (e > t && e[-1] == ' ')
        e--;
    if (!cap_in_list(langs, t, (size_t)(e - t)))
        return 0;
    for (int i = 0; stems[i]; i++)
        if (memmem(x->fold, (size_t)(slash - x->fold), stems[i], strlen(stems[i]))) {
            snprintf(x->detail, x->detaillen, "translation link");
            return 1;
        }
    return 0;
}

int cap_rule_shape(judge_ctx *x)
{
    swords s = {0};
    split_words(x, &s);
    mark_spans(x, &s);
    int r = shape_bracket(x, &s) || shape_homelink(x, &s) || shape_rating(x, &s) || shape_credit(x, &s) ||
            shape_sponsor(x, &s) || shape_logo(x, &s) || shape_cta(x, &s) || shape_bydomain(x, &s) || shape_ui(x, &s) ||
            shape_uiaction(x, &s) || shape_smiley(x, &s) || shape_projectbadge(x, &s) || shape_promo(x, &s) || shape_subscribe(x, &s) ||
            shape_counter(x, &s) || shape_weather(x, &s) || shape_phone(x, &s) || shape_goto(x, &s) ||
            shape_translate(x, &s);
    swords_free(&s);
    return r;
}
