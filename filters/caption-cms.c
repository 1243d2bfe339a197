/* caption-cms.c — furniture a site's software writes rather than a person:
 * template variables the CMS never filled in, "image for post N" slot
 * labels, "powered by" / "protected by" badges and payment badges. Each is
 * a shape, not a list of strings; the words behind them are sections of
 * wordlists/boilerplate.txt ([badge-by], [payment], [payment-verb],
 * [payment-claim]). Every rule here makes a caption `boilerplate`
 * (cap_rule_cms, after the shape rules of caption-shape.c).
 *
 *   template variable  a placeholder left unexpanded: "{{title}}",
 *                      "${alt}", "%alt%", "## sitename ##", "[[caption]]",
 *                      or a single-brace one with an underscore or a dot
 *                      ("{other_image_alt}"); "Diamond Back Maxi {Coral}"
 *                      (a colour in braces) is no variable
 *   post image label   at most four words with a media word, then a post
 *                      noun and its id of 4+ digits ("zone post image for
 *                      post 19755115", "Bild zum Beitrag 4711"): the CMS
 *                      names the slot, not the picture
 *   badge by           a badge marker ([badge-by]: powered by, protected
 *                      by, secured by, verified by, geschützt durch,
 *                      protégé par, ...) opening the caption or its first
 *                      segment with 1-4 names after it ("Protected by
 *                      Copyscape Plagiarism Checker - Do not copy ..."),
 *                      or in lower case between 1-2 names and 1-2 names
 *                      ("Fandom powered by Wikia"); a title-case product
 *                      ("Lamp Powered By USB") is kept
 *   file type label    a file format or MIME type alone, perhaps with a
 *                      size ("PDF", "application/pdf", "JPEG - 172.1 ko",
 *                      "DOCX file, 2 MB"): a download link's icon
 *   payment badge      a payment service ([payment]: PayPal, Klarna,
 *                      Visa...), a paying word and two claims about the
 *                      service ("PayPal - The safer, easier way to pay
 *                      online!", "Make payments with PayPal - it's fast,
 *                      free and secure!"), in at most 14 words */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "caption-internal.h"

/* ---- template variable ---- */

static int ident_char(char c, int dot)
{
    return isalnum((unsigned char)c) || c == '_' || (dot && (c == '.' || c == '-'));
}

/* Length of an identifier at s[0..n) (letters, digits, '_', and '.'/'-'
 * when DOT) that holds a letter; 0 when none starts there. */
static size_t ident_at(const char *s, size_t n, int dot)
{
    size_t k = 0, letters = 0;
    while (k < n && ident_char(s[k], dot)) {
        letters += isalpha((unsigned char)s[k]) != 0;
        k++;
    }
    return letters ? k : 0;
}

/* OPEN, optional spaces, an identifier, optional spaces, CLOSE at s[i]. */
static int delimited(const char *s, size_t n, size_t i, const char *open, const char *close, int spaces)
{
    size_t ol = strlen(open), cl = strlen(close);
    if (i + ol > n || memcmp(s + i, open, ol) != 0)
        return 0;
    size_t k = i + ol;
    while (spaces && k < n && s[k] == ' ')
        k++;
    size_t id = ident_at(s + k, n - k, 1);
    if (id < 2)
        return 0;
    k += id;
    while (spaces && k < n && s[k] == ' ')
        k++;
    return k + cl <= n && memcmp(s + k, close, cl) == 0;
}

/* "{other_image_alt}": one brace, an identifier with '_' or '.', all lower
 * case (a template's variable, not "{Coral}" or "{Diptera}"). */
static int single_brace(const char *s, size_t n, size_t i)
{
    if (s[i] != '{' || (i + 1 < n && s[i + 1] == '{'))
        return 0;
    size_t id = ident_at(s + i + 1, n - i - 1, 1);
    if (id < 3 || i + 1 + id >= n || s[i + 1 + id] != '}')
        return 0;
    int joiner = 0;
    for (size_t k = i + 1; k < i + 1 + id; k++) {
        if (isupper((unsigned char)s[k]))
            return 0;
        joiner |= s[k] == '_' || s[k] == '.';
    }
    return joiner;
}

/* "%alt%": percent signs around an identifier of letters and '_' at word
 * edges ("50% off 20%" has spaces and digits inside). */
static int percent_var(const char *s, size_t n, size_t i)
{
    if (s[i] != '%' || (i > 0 && isalnum((unsigned char)s[i - 1])))
        return 0;
    size_t k = i + 1;
    while (k < n && (isalpha((unsigned char)s[k]) || s[k] == '_'))
        k++;
    return k - i - 1 >= 2 && k < n && s[k] == '%' && (k + 1 == n || !isalnum((unsigned char)s[k + 1]));
}

static int template_variable(judge_ctx *x)
{
    const char *s = x->norm;
    size_t n = x->nlen;
    for (size_t i = 0; i < n; i++) {
        if (delimited(s, n, i, "{{", "}}", 1) || delimited(s, n, i, "${", "}", 0) ||
            delimited(s, n, i, "##", "##", 1) || delimited(s, n, i, "[[", "]]", 0) ||
            delimited(s, n, i, "<%=", "%>", 1) || single_brace(s, n, i) || percent_var(s, n, i)) {
            snprintf(x->detail, x->detaillen, "an unexpanded template variable");
            return 1;
        }
    }
    return 0;
}

/* ---- post image label ---- */

static int post_image_label(judge_ctx *x)
{
    /* media words and post nouns in the set's languages (written for this
     * filter) */
    static const char *const media[] = {"image", "img", "photo", "picture", "pic", "thumbnail", "thumb", "bild",
                                        "foto", "vorschaubild", "imagen", "immagine", "imagem", "afbeelding",
                                        "zdjecie", "obrazek", "изображение", "картинка", "фото", NULL};
    static const char *const post[] = {"post", "posts", "article", "entry", "story", "item", "node", "beitrag",
                                       "artikel", "articulo", "articolo", "artigo", "bericht", "wpis", "запись",
                                       "статья", "статьи", "записи", NULL};
    const toklist *w = &x->w;
    if (w->n < 3 || w->n > 7)
        return 0;
    const tok *id = &w->t[w->n - 1], *noun = &w->t[w->n - 2];
    if (!id->digits || id->len < 4 || !cap_in_list(post, x->fold + noun->off, noun->len))
        return 0;
    for (size_t i = 0; i + 2 < w->n && i < 5; i++)
        if (cap_in_list(media, x->fold + w->t[i].off, w->t[i].len)) {
            snprintf(x->detail, x->detaillen, "a CMS slot label (an image for a post id)");
            return 1;
        }
    return 0;
}

/* ---- file type label ---- */

static int file_type_label(judge_ctx *x)
{
    /* formats and MIME top-level types (names, not words of a language) */
    static const char *const format[] = {"pdf", "jpeg", "jpg", "png", "gif", "svg", "webp", "tif", "tiff", "bmp",
                                         "doc", "docx", "odt", "rtf", "txt", "xls", "xlsx", "ods", "csv", "ppt",
                                         "pptx", "odp", "zip", "rar", "7z", "gz", "tar", "mp3", "mp4", "wav",
                                         "ogg", "avi", "mov", "epub", "xml", "json", NULL};
    static const char *const mime[] = {"application", "image", "audio", "video", "text", NULL};
    /* sizes and "file"/"document" in the set's languages */
    static const char *const other[] = {"b", "kb", "mb", "gb", "ko", "mo", "go", "kib", "mib", "bytes", "byte",
                                        "octets", "file", "document", "datei", "dokument", "fichier", "archivo",
                                        "documento", "bestand", "plik", "файл", "vnd", "x", NULL};
    const toklist *w = &x->w;
    if (w->n == 0 || w->n > 6)
        return 0;
    /* "application/pdf": a MIME top-level type and '/' before the format */
    size_t st = w->n >= 2 && cap_in_list(mime, x->fold + w->t[0].off, w->t[0].len) && x->nlen > w->t[0].len &&
                x->norm[w->t[0].len] == '/';
    if (!cap_in_list(format, x->fold + w->t[st].off, w->t[st].len))
        return 0;
    for (size_t i = st + 1; i < w->n; i++)
        if (!(w->t[i].digits || cap_in_list(other, x->fold + w->t[i].off, w->t[i].len)))
            return 0;
    snprintf(x->detail, x->detaillen, "a file type label");
    return 1;
}

/* ---- words with their case, split into segments ---- */

typedef struct {
    const char *w; /* in x->norm, edge punctuation stripped */
    size_t wl;
    char *f; /* folded */
    size_t fl;
    int upper; /* starts with an upper-case letter or a digit (a name) */
    int seg;   /* segment number: " - ", " | ", a ':' after a word start a new one */
} cword;

typedef struct {
    cword *v;
    size_t n;
} cwords;

static void cwords_free(cwords *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].f);
    free(c->v);
}

static void split_cwords(const judge_ctx *x, cwords *out)
{
    out->v = xcalloc(x->nlen / 2 + 2, sizeof *out->v);
    out->n = 0;
    int seg = 0;
    for (size_t i = 0; i < x->nlen;) {
        while (i < x->nlen && x->norm[i] == ' ')
            i++;
        size_t st = i;
        while (i < x->nlen && x->norm[i] != ' ')
            i++;
        const char *a = x->norm + st, *b = x->norm + i;
        if (a == b)
            break;
        int cut_after = b[-1] == ':';
        while (a < b && ispunct((unsigned char)*a))
            a++;
        while (b > a && ispunct((unsigned char)b[-1]))
            b--;
        if (a == b) { /* "-", "|", "–" (not ASCII punctuation: kept as a word) */
            seg++;
            continue;
        }
        if (b - a == 3 && (memcmp(a, "\xe2\x80\x93", 3) == 0 || memcmp(a, "\xe2\x80\x94", 3) == 0)) {
            seg++;
            continue;
        }
        cword *c = &out->v[out->n++];
        c->w = a;
        c->wl = (size_t)(b - a);
        c->f = cap_fold(a, c->wl, &c->fl);
        size_t k = 0;
        int32_t cp = cap_next_cp((const unsigned char *)a, c->wl, &k);
        utf8proc_category_t cat = cp >= 0 ? utf8proc_category(cp) : UTF8PROC_CATEGORY_CN;
        c->upper = cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT || cat == UTF8PROC_CATEGORY_ND;
        c->seg = seg;
        seg += cut_after;
    }
}

/* The length in words (at most 3) of a FLAG entry starting at word i
 * (0: none). */
static size_t entry_at(const judge_ctx *x, const cwords *c, size_t i, capflags flag)
{
    capword w[3];
    size_t m = 0;
    while (m < 3 && i + m < c->n) {
        w[m] = (capword){c->v[i + m].f, c->v[i + m].fl};
        m++;
    }
    ccbuf tmp = {0};
    size_t k = m;
    while (k >= 1 && !(cap_join_flags(x->f, w, k, &tmp) & flag))
        k--;
    ccbuf_free(&tmp);
    return k;
}

/* Words a..b-1 are 1..MAX names of one segment (capitalised, digits, or
 * connectors such as "of", "&"). */
static int names(const judge_ctx *x, const cwords *c, size_t a, size_t b, size_t max)
{
    if (a >= b || b - a > max)
        return 0;
    for (size_t i = a; i < b; i++)
        if (c->v[i].seg != c->v[a].seg ||
            !(c->v[i].upper || (i > a && (cap_set_get(&x->f->words, c->v[i].f, c->v[i].fl) & F_CONNECTOR))))
            return 0;
    return c->v[a].upper && c->v[b - 1].upper;
}

/* ---- badge by ---- */

static int badge_by(judge_ctx *x, const cwords *c)
{
    if (c->n < 2 || c->n > 16)
        return 0;
    for (size_t i = 0; i < c->n && i <= 2; i++) {
        size_t k = entry_at(x, c, i, F_BADGEBY);
        if (!k)
            continue;
        /* the names after the marker, to the end of its segment */
        size_t e = i + k;
        while (e < c->n && c->v[e].seg == c->v[i].seg)
            e++;
        int opens = i == 0 && names(x, c, i + k, e, 4);
        int between = i > 0 && !c->v[i].upper && e == c->n && names(x, c, 0, i, 2) && names(x, c, i + k, e, 2) &&
                      c->v[0].seg == c->v[i].seg;
        if (opens || between) {
            snprintf(x->detail, x->detaillen, "'%.*s' badge", (int)(c->v[i + k - 1].w + c->v[i + k - 1].wl - c->v[i].w),
                     c->v[i].w);
            return 1;
        }
    }
    return 0;
}

/* ---- payment badge ---- */

static int payment_badge(judge_ctx *x, const cwords *c)
{
    if (c->n < 3 || c->n > 14)
        return 0;
    int service = 0, pay = 0, claims = 0;
    for (size_t i = 0; i < c->n; i++) {
        size_t k = entry_at(x, c, i, F_PAYMENT);
        if (k) {
            service = 1;
            i += k - 1;
            continue;
        }
        capflags fl = cap_set_get(&x->f->words, c->v[i].f, c->v[i].fl);
        pay |= (fl & F_PAYVERB) != 0;
        claims += (fl & F_PAYCLAIM) != 0;
    }
    /* two claims: a slogan ("safer, easier"), where a description says at
     * most one ("pays with PayPal, a fast way") */
    if (service && pay && claims >= 2) {
        snprintf(x->detail, x->detaillen, "payment badge");
        return 1;
    }
    return 0;
}

int cap_rule_cms(judge_ctx *x)
{
    if (template_variable(x) || post_image_label(x) || file_type_label(x))
        return 1;
    cwords c = {0};
    split_cwords(x, &c);
    int r = badge_by(x, &c) || payment_badge(x, &c);
    cwords_free(&c);
    return r;
}
