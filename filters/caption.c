/* caption.c — caption normalisation and rules (see caption.h). */
#include "caption.h"
#include "caption-internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "entities.h"
#include "lang.h"

/* The curated lists, embedded from filters/wordlists/ at build time. */
extern const char caption_list_boilerplate[];
extern const char caption_list_unsafe[];
extern const char caption_list_unsafe_phrases[];
extern const char caption_list_idwords[];

static const char *const reason_names[CAPTION__COUNT] = {
    "keep", "empty", "too_short", "filename", "url_or_path", "isbn",
    "code_or_id", "boilerplate", "unsafe", "language",
};

const char *caption_reason_name(caption_reason r)
{
    return (unsigned)r < CAPTION__COUNT ? reason_names[r] : "?";
}

int caption_reason_parse(const char *name)
{
    for (int i = 0; i < CAPTION__COUNT; i++)
        if (name && strcmp(name, reason_names[i]) == 0)
            return i;
    return -1;
}

/* ---- Unicode helpers ----------------------------------------------------- */

/* Scripts written without spaces between words: each character counts. */
int cap_is_nospace(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2FFFF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
           (c >= 0xFF66 && c <= 0xFF9F) || (c >= 0x3005 && c <= 0x3007) ||
           (c >= 0x0E00 && c <= 0x0EFF) ||  /* Thai, Lao */
           (c >= 0x1780 && c <= 0x17FF) ||  /* Khmer */
           (c >= 0x1000 && c <= 0x109F);    /* Myanmar */
}

int cap_is_hangul(int32_t c)
{
    return (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F);
}

int cap_is_wordchar(int32_t c)
{
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return 1;
    default:
        return 0;
    }
}

int cap_is_alnum_cp(int32_t c)
{
    utf8proc_category_t k = utf8proc_category(c);
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) ||
           (k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO);
}

/* Decodes one code point at s[*i]; invalid bytes give -1 and advance by one. */
int32_t cap_next_cp(const unsigned char *s, size_t n, size_t *i)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate(s + *i, (utf8proc_ssize_t)(n - *i), &cp);
    if (k <= 0) {
        (*i)++;
        return -1;
    }
    *i += (size_t)k;
    return cp;
}

static void put_cp(ccbuf *b, int32_t cp)
{
    utf8proc_uint8_t tmp[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp, tmp);
    ccbuf_append(b, tmp, (size_t)k);
}

/* ---- normalisation --------------------------------------------------------- */

void caption_normalise(const char *text, size_t n, int max_chars, ccbuf *out)
{
    ccbuf un = {0}, clean = {0};
    if (text && n)
        cc_html_unescape(text, n, &un);
    /* Repair UTF-8, drop controls/format characters, map whitespace to ' '. */
    for (size_t i = 0; i < un.len;) {
        int32_t cp = cap_next_cp(un.data, un.len, &i);
        if (cp < 0) {
            put_cp(&clean, 0xFFFD);
            continue;
        }
        utf8proc_category_t k = utf8proc_category(cp);
        if (cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == 0x85 ||
            k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP) {
            ccbuf_putc(&clean, ' ');
            continue;
        }
        if (k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CS || k == UTF8PROC_CATEGORY_CO)
            continue;
        /* Format characters (soft hyphen, zero-width space, BOM, bidi marks)
         * are invisible; ZWNJ/ZWJ change how Persian, Indic and emoji render. */
        if (k == UTF8PROC_CATEGORY_CF && cp != 0x200C && cp != 0x200D)
            continue;
        put_cp(&clean, cp);
    }
    ccbuf_free(&un);
    utf8proc_uint8_t *nfc = NULL;
    const unsigned char *src = clean.data;
    size_t srclen = clean.len;
    if (clean.len) {
        utf8proc_ssize_t k = utf8proc_map(clean.data, (utf8proc_ssize_t)clean.len, &nfc,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        if (k >= 0) {
            src = nfc;
            srclen = (size_t)k;
        }
    }
    /* Collapse spaces, trim, cap at max_chars code points. */
    size_t start = out->len;
    int chars = 0, pending_space = 0;
    for (size_t i = 0; i < srclen;) {
        size_t at = i;
        int32_t cp = cap_next_cp(src, srclen, &i);
        if (cp == ' ') {
            pending_space = 1;
            continue;
        }
        if (max_chars > 0 && chars + pending_space + 1 > max_chars)
            break;
        if (pending_space && out->len > start) {
            ccbuf_putc(out, ' ');
            chars++;
        }
        pending_space = 0;
        ccbuf_append(out, src + at, i - at);
        chars++;
    }
    if (out->len == start)
        ccbuf_append(out, "", 0);
    free(nfc);
    ccbuf_free(&clean);
}

/* s[0..n) copied with a NUL after it; NUL bytes inside are copied too, so
 * the length handed back is the copy's (strndup would stop at the first). */
static char *copy_bytes(const char *s, size_t n)
{
    char *c = xmalloc(n + 1);
    if (n)
        memcpy(c, s, n);
    c[n] = 0;
    return c;
}

/* Case fold + compatibility mapping, accents stripped when STRIP (the form
 * every list lookup uses: "Ｌｏｇｏ", "LOGO", "lógo" -> "logo"). Bytes that
 * are not UTF-8 are copied as they are. Returns a malloc'd NUL-terminated
 * string of *outlen bytes. */
static char *fold(const char *s, size_t n, int strip, size_t *outlen)
{
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t k = -1;
    if (n)
        k = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst,
                         UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
                             (strip ? UTF8PROC_STRIPMARK : 0) | UTF8PROC_IGNORE);
    /* utf8proc allocates with malloc; hand over a copy from our allocator's family. */
    *outlen = k < 0 ? (s ? n : 0) : (size_t)k;
    char *c = copy_bytes(k < 0 ? s : (const char *)dst, *outlen);
    free(dst);
    return c;
}

char *cap_fold(const char *s, size_t n, size_t *outlen)
{
    return fold(s, n, 1, outlen);
}

char *cap_fold_keep_accents(const char *s, size_t n, size_t *outlen)
{
    return fold(s, n, 0, outlen);
}

/* ---- tokens ------------------------------------------------------------------ */


static void tok_push(toklist *l, size_t off, size_t len, int ns, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->t = xrealloc(l->t, l->cap * sizeof *l->t);
    }
    int digits = 1;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[off + i]))
            digits = 0;
    l->t[l->n++] = (tok){off, len, ns, digits};
}

/* Words of folded text s: runs of letters/digits/marks; every no-space-script
 * character is a word of its own. */
void cap_tokenize(const char *s, size_t n, toklist *l)
{
    size_t i = 0, wstart = 0;
    int inword = 0;
    while (i < n) {
        size_t at = i;
        int32_t cp = cap_next_cp((const unsigned char *)s, n, &i);
        if (cp >= 0 && cap_is_nospace(cp) && cap_is_wordchar(cp)) {
            if (inword)
                tok_push(l, wstart, at - wstart, 0, s);
            inword = 0;
            tok_push(l, at, i - at, 1, s);
        } else if (cp >= 0 && cap_is_wordchar(cp)) {
            if (!inword)
                wstart = at;
            inword = 1;
        } else {
            if (inword)
                tok_push(l, wstart, at - wstart, 0, s);
            inword = 0;
        }
    }
    if (inword)
        tok_push(l, wstart, n - wstart, 0, s);
}

/* ---- string set -------------------------------------------------------------- */



static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

capflags cap_set_get(const strset *S, const char *k, size_t n)
{
    if (!S->cap)
        return 0;
    for (size_t i = fnv(k, n) & (S->cap - 1);; i = (i + 1) & (S->cap - 1)) {
        if (!S->keys[i])
            return 0;
        if (strlen(S->keys[i]) == n && memcmp(S->keys[i], k, n) == 0)
            return S->flags[i];
    }
}

static void set_add(strset *S, const char *k, size_t n, capflags flags)
{
    if ((S->n + 1) * 2 > S->cap) {
        size_t ncap = S->cap ? S->cap * 2 : 1024;
        char **nk = xcalloc(ncap, sizeof *nk);
        capflags *nf = xcalloc(ncap, sizeof *nf);
        for (size_t i = 0; i < S->cap; i++)
            if (S->keys[i]) {
                size_t j = fnv(S->keys[i], strlen(S->keys[i])) & (ncap - 1);
                while (nk[j])
                    j = (j + 1) & (ncap - 1);
                nk[j] = S->keys[i];
                nf[j] = S->flags[i];
            }
        free(S->keys);
        free(S->flags);
        S->keys = nk;
        S->flags = nf;
        S->cap = ncap;
    }
    size_t i = fnv(k, n) & (S->cap - 1);
    while (S->keys[i]) {
        if (strlen(S->keys[i]) == n && memcmp(S->keys[i], k, n) == 0) {
            S->flags[i] |= flags;
            return;
        }
        i = (i + 1) & (S->cap - 1);
    }
    S->keys[i] = xstrndup(k, n);
    S->flags[i] = flags;
    S->n++;
}

static void set_free(strset *S)
{
    for (size_t i = 0; i < S->cap; i++)
        free(S->keys[i]);
    free(S->keys);
    free(S->flags);
}


static void entry_push(entrylist *l, char *s, capflags flags)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->e = xrealloc(l->e, l->cap * sizeof *l->e);
    }
    l->e[l->n++] = (entry){s, flags};
}

/* ---- the filter ---------------------------------------------------------------- */

const filter_config *caption_filter_config(const caption_filter *f)
{
    return &f->cfg;
}

/* Folds and tokenizes an entry; returns its words joined by ' ' (malloc'd),
 * dropping trivial/social words and numbers when drop_trivial. *ntok gets the
 * word count; *cjk is set when the entry has CJK/Hangul/Thai characters.
 * With glue_nospace no space goes next to a character of a script written
 * without spaces (each is a word of its own): the key then matches as a
 * substring of the caption ("性爱"), while Korean words keep theirs. */
static char *entry_key(caption_filter *f, const char *s, size_t n, int drop_trivial, int glue_nospace, size_t *ntok,
                       int *cjk)
{
    size_t fl;
    char *fs = cap_fold(s, n, &fl);
    toklist tl = {0};
    cap_tokenize(fs, fl, &tl);
    ccbuf b = {0};
    size_t cnt = 0;
    *cjk = 0;
    for (size_t i = 0; i < fl;) {
        int32_t cp = cap_next_cp((unsigned char *)fs, fl, &i);
        if (cp >= 0 && (cap_is_nospace(cp) || cap_is_hangul(cp)))
            *cjk = 1;
    }
    int prev_ns = 0;
    for (size_t i = 0; i < tl.n; i++) {
        tok *t = &tl.t[i];
        if (drop_trivial && (t->digits || (cap_set_get(&f->words, fs + t->off, t->len) & (F_TRIVIAL | F_SOCIAL))))
            continue;
        if (b.len && !(glue_nospace && (prev_ns || t->ns)))
            ccbuf_putc(&b, ' ');
        ccbuf_append(&b, fs + t->off, t->len);
        prev_ns = t->ns;
        cnt++;
    }
    free(tl.t);
    free(fs);
    *ntok = cnt;
    return ccbuf_detach(&b, NULL);
}

/* Loads one list text. pass 0: every section but [phrase]; pass 1: [phrase]
 * (its entries are keyed without trivial words, so those must be known). */
static void load_list(caption_filter *f, const char *text, size_t n, int pass)
{
    capflags flags = 0;
    size_t pos = 0;
    while (pos < n) {
        size_t st = pos;
        while (pos < n && text[pos] != '\n')
            pos++;
        size_t len = pos - st;
        if (pos < n)
            pos++;
        const char *l = text + st;
        while (len && isspace((unsigned char)*l)) {
            l++;
            len--;
        }
        while (len && isspace((unsigned char)l[len - 1]))
            len--;
        if (!len || *l == '#')
            continue;
        if (*l == '[') {
            static const struct { const char *name; capflags flag; } sec[] = {
                {"[phrase]", F_PHRASE}, {"[trivial]", F_TRIVIAL}, {"[social]", F_SOCIAL},
                {"[isbn]", F_ISBNWORD}, {"[label]", F_LABEL}, {"[month]", F_MONTH},
                {"[strong]", F_STRONG}, {"[weak]", F_WEAK}, {"[context]", F_CONTEXT},
                {"[furniture]", F_FURNITURE}, {"[cta]", F_CTA}, {"[connector]", F_CONNECTOR},
                {"[credit]", F_CREDIT}, {"[agency]", F_AGENCY}, {"[rating]", F_RATING},
                {"[starword]", F_STARWORD}, {"[homelink]", F_HOMELINK},
                {"[compound-strong]", F_COMPOUND | F_STRONG}, {"[compound-weak]", F_COMPOUND | F_WEAK},
                {"[innocent]", F_INNOCENT}, {"[garment]", F_GARMENT}, {"[fashion]", F_FASHION},
                {"[product]", F_PRODUCT}, {"[uiverb]", F_UIVERB}, {"[uinoun]", F_UINOUN},
                {"[single]", F_SINGLE}, {"[langname]", F_LANGNAME}, {"[promo]", F_PROMO},
                {"[counter]", F_COUNTER}, {"[goto]", F_GOTO}, {"[sponsor]", F_SPONSOR}, {"[subscription]", F_SUBSCRIPTION}, {"[weather]", F_WEATHER}, {"[phone]", F_PHONE},
                {"[seal]", F_SEAL}, {"[seal-event]", F_SEALEVENT}, {"[offer]", F_OFFER},
                {"[offer-head]", F_OFFER | F_OFFERHEAD}, {"[service]", F_SERVICE}, {"[period]", F_PERIOD},
                {"[imperative]", F_IMPERATIVE}, {"[cta-lead]", F_CTALEAD},
                {"[blog-badge]", F_BLOGBADGE}, {"[blog-head]", F_BLOGBADGE | F_BLOGHEAD},
                {"[badge-by]", F_BADGEBY}, {"[payment]", F_PAYMENT}, {"[payment-verb]", F_PAYVERB},
                {"[payment-claim]", F_PAYCLAIM}, {"[home-word]", F_HOMEWORD},
                {"[gore]", F_GWEAK}, {"[gore-context]", F_GCONTEXT},
                {"[compound-gore]", F_COMPOUND | F_GWEAK}, {"[compound-gore-context]", F_COMPOUND | F_GCONTEXT},
                {"[nudity]", F_NUDITY}, {"[person]", F_PERSON}, {"[nudity-innocent]", F_NUDEOK},
                {"[role]", F_ROLE}, {"[name-particle]", F_PARTICLE}, {"[outlet]", F_OUTLET},
                {"[outlet-the]", F_OUTLETTHE}, {"[media-of]", F_MEDIAOF}};
            flags = 0;
            for (size_t i = 0; i < sizeof sec / sizeof sec[0]; i++)
                if (strlen(sec[i].name) == len && memcmp(sec[i].name, l, len) == 0)
                    flags = sec[i].flag;
            if (!flags)
                cc_log(CC_LOG_WARN, "caption lists: unknown section %.*s ignored", (int)len, l);
            continue;
        }
        if (!flags || (pass == 1) != (flags == F_PHRASE))
            continue;
        int prefix = 0;
        if (l[len - 1] == '*') {
            prefix = 1;
            len--;
        }
        size_t ntok;
        int cjk;
        char *key = entry_key(f, l, len, flags == F_PHRASE, 0, &ntok, &cjk);
        if (!*key) {
            free(key);
            continue;
        }
        if (flags & F_COMPOUND) {
            entry_push(&f->compounds, key, flags & ~F_COMPOUND);
            continue;
        }
        if ((flags & (F_STRONG | F_WEAK | F_CONTEXT | F_GWEAK | F_GCONTEXT | F_NUDITY | F_PERSON | F_NUDEOK |
                      F_INNOCENT)) &&
            cjk) {
            /* CJK/Hangul entries match as substrings of the folded caption */
            free(key);
            key = entry_key(f, l, len, 0, 1, &ntok, &cjk);
            entry_push(&f->substrs, key, flags);
            continue;
        }
        if (prefix) {
            entry_push(&f->prefixes, key, flags);
            continue;
        }
        set_add(&f->words, key, strlen(key), flags);
        if (ntok > f->max_phrase)
            f->max_phrase = ntok;
        free(key);
    }
}

caption_filter *caption_filter_new_err(const filter_config *c, char *err, size_t errlen)
{
    caption_filter *f = xcalloc(1, sizeof *f);
    if (c)
        f->cfg = *c;
    else
        filter_config_defaults(&f->cfg);
    ccbuf extra_bp = {0}, extra_un = {0};
    if (f->cfg.boilerplate_file[0] && cc_read_file(f->cfg.boilerplate_file, &extra_bp) != CC_OK) {
        snprintf(err, errlen, "%s: cannot read boilerplate list", f->cfg.boilerplate_file);
        ccbuf_free(&extra_bp);
        free(f);
        return NULL;
    }
    if (f->cfg.unsafe_file[0] && cc_read_file(f->cfg.unsafe_file, &extra_un) != CC_OK) {
        snprintf(err, errlen, "%s: cannot read unsafe list", f->cfg.unsafe_file);
        ccbuf_free(&extra_bp);
        ccbuf_free(&extra_un);
        free(f);
        return NULL;
    }
    for (int pass = 0; pass < 2; pass++) {
        load_list(f, caption_list_idwords, strlen(caption_list_idwords), pass);
        load_list(f, caption_list_boilerplate, strlen(caption_list_boilerplate), pass);
        load_list(f, caption_list_unsafe, strlen(caption_list_unsafe), pass);
        load_list(f, (const char *)extra_bp.data, extra_bp.len, pass);
        load_list(f, (const char *)extra_un.data, extra_un.len, pass);
    }
    ccbuf_free(&extra_bp);
    ccbuf_free(&extra_un);
    /* the built-in phrase list is generated and tested: a parse error is a bug */
    f->phrases = phrase_list_parse(caption_list_unsafe_phrases, strlen(caption_list_unsafe_phrases),
                                   "unsafe-phrases.txt", err, errlen);
    if (!f->phrases)
        abort();
    cap_names_compile(f);
    return f;
}

caption_filter *caption_filter_new(const filter_config *c)
{
    char err[FILTER_PATH_MAX + 64];
    caption_filter *f = caption_filter_new_err(c, err, sizeof err);
    if (!f)
        cc_log(CC_LOG_ERROR, "%s", err);
    return f;
}

void caption_filter_free(caption_filter *f)
{
    if (!f)
        return;
    set_free(&f->words);
    for (size_t i = 0; i < f->prefixes.n; i++)
        free(f->prefixes.e[i].s);
    for (size_t i = 0; i < f->substrs.n; i++)
        free(f->substrs.e[i].s);
    for (size_t i = 0; i < f->compounds.n; i++)
        free(f->compounds.e[i].s);
    free(f->compounds.e);
    free(f->prefixes.e);
    free(f->substrs.e);
    cap_names_free(f);
    phrase_list_free(f->phrases);
    free(f);
}

/* ---- per-call state ------------------------------------------------------------- */


capflags cap_word_flags(const judge_ctx *x, size_t i)
{
    return cap_set_get(&x->f->words, x->fold + x->w.t[i].off, x->w.t[i].len);
}

capflags cap_span_flags(const judge_ctx *x, size_t i, size_t k, ccbuf *tmp)
{
    ccbuf_reset(tmp);
    for (size_t j = i; j < i + k; j++) {
        if (j > i)
            ccbuf_putc(tmp, ' ');
        ccbuf_append(tmp, x->fold + x->w.t[j].off, x->w.t[j].len);
    }
    return cap_set_get(&x->f->words, (const char *)tmp->data, tmp->len);
}

/* ---- empty ----------------------------------------------------------------------- */

static int rule_empty(const judge_ctx *x)
{
    for (size_t i = 0; i < x->nlen;) {
        int32_t cp = cap_next_cp((const unsigned char *)x->norm, x->nlen, &i);
        if (cp >= 0 && cap_is_alnum_cp(cp))
            return 0;
    }
    return 1;
}
/* ---- words ---------------------------------------------------------------------------- */

int cap_has_nospace(const judge_ctx *x)
{
    for (size_t i = 0; i < x->w.n; i++)
        if (x->w.t[i].ns)
            return 1;
    return 0;
}

size_t cap_ws_words(const judge_ctx *x, size_t *caps, size_t *digits)
{
    size_t pos = 0, n = 0, c = 0, d = 0, wl;
    const char *w;
    while (cap_next_ws_word(x->norm, x->nlen, &pos, &w, &wl)) {
        if (!wl)
            continue;
        size_t i = 0;
        int32_t cp = cap_next_cp((const unsigned char *)w, wl, &i);
        utf8proc_category_t k = cp >= 0 ? utf8proc_category(cp) : UTF8PROC_CATEGORY_CN;
        c += k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LT;
        for (size_t k2 = 0; k2 < wl; k2++)
            if (w[k2] >= '0' && w[k2] <= '9') {
                d++;
                break;
            }
        n++;
    }
    if (caps)
        *caps = c;
    if (digits)
        *digits = d;
    return n;
}

/* Iterates whitespace-separated words of folded text with edge punctuation stripped. */
int cap_next_ws_word(const char *s, size_t n, size_t *pos, const char **w, size_t *wl)
{
    static const char edge[] = "()[]{}<>\"'`,;!?*|«»\xe2\x80\x9c\x80\x9d\x98\x99";
    size_t i = *pos;
    while (i < n && s[i] == ' ')
        i++;
    if (i >= n)
        return 0;
    size_t st = i;
    while (i < n && s[i] != ' ')
        i++;
    *pos = i;
    size_t en = i;
    while (st < en && strchr(edge, s[st]) && s[st])
        st++;
    while (en > st && strchr(edge, s[en - 1]) && s[en - 1])
        en--;
    /* trailing sentence punctuation */
    while (en > st && (s[en - 1] == '.' || s[en - 1] == ':'))
        en--;
    *w = s + st;
    *wl = en - st;
    return 1;
}


/* ---- isbn -------------------------------------------------------------------------------------- */

int caption_isbn_valid(const char *s, size_t n)
{
    if (n == 10) {
        int sum = 0;
        for (size_t i = 0; i < 10; i++) {
            int v;
            if (isdigit((unsigned char)s[i]))
                v = s[i] - '0';
            else if (i == 9 && (s[i] == 'X' || s[i] == 'x'))
                v = 10;
            else
                return 0;
            sum += v * (int)(10 - i);
        }
        return sum % 11 == 0;
    }
    if (n == 13) {
        if (strncmp(s, "978", 3) != 0 && strncmp(s, "979", 3) != 0)
            return 0;
        int sum = 0;
        for (size_t i = 0; i < 13; i++) {
            if (!isdigit((unsigned char)s[i]))
                return 0;
            sum += (s[i] - '0') * (i % 2 ? 3 : 1);
        }
        return sum % 10 == 0;
    }
    return 0;
}

static int is_sep(char c)
{
    return c == '-' || c == ' ';
}

/* Looks for an ISBN starting at s[i] (a digit not preceded by a letter/digit).
 * On success returns 1 and sets *end and the digits. */
static int isbn_at(const char *s, size_t n, size_t i, size_t *end, char digits[14])
{
    size_t nd = 0, j = i, end10 = 0, end13 = 0;
    char d[14];
    int last_group_len = 0, group10_last = 0;
    while (j < n && nd < 13) {
        char c = s[j];
        if (isdigit((unsigned char)c) || (c == 'x' && nd == 9)) {
            d[nd++] = c;
            last_group_len++;
            j++;
            if (nd == 10) {
                end10 = j;
                group10_last = last_group_len;
            }
            if (nd == 13)
                end13 = j;
            if (c == 'x')
                break;
        } else if (is_sep(c) && j + 1 < n && (isdigit((unsigned char)s[j + 1]) || (s[j + 1] == 'x' && nd == 9)) && nd > 0) {
            last_group_len = 0;
            j++;
        } else {
            break;
        }
    }
    /* the number must end at a word boundary */
#define BOUNDARY(e) ((e) >= n || !isalnum((unsigned char)s[(e)]))
    if (end13 && BOUNDARY(end13) && caption_isbn_valid(d, 13)) {
        memcpy(digits, d, 13);
        digits[13] = '\0';
        *end = end13;
        return 1;
    }
    if (end10 && BOUNDARY(end10) && caption_isbn_valid(d, 10)) {
        /* a hyphenated ISBN-10 ends in a one-character check group; don't
         * read into a longer hyphenated number (phone numbers) */
        int hyphenated = memchr(s + i, '-', end10 - i) != NULL;
        int continues = end10 + 1 < n && s[end10] == '-' && isdigit((unsigned char)s[end10 + 1]);
        if ((!hyphenated || group10_last == 1) && !continues) {
            memcpy(digits, d, 10);
            digits[10] = '\0';
            *end = end10;
            return 1;
        }
    }
#undef BOUNDARY
    return 0;
}

static int rule_isbn(judge_ctx *x)
{
    const char *s = x->fold;
    size_t n = x->flen;
    char *rest = xstrndup(s, n); /* the caption with ISBNs blanked out */
    int found = 0;
    char first[14] = "";
    for (size_t i = 0; i < n;) {
        if (!isdigit((unsigned char)s[i]) || (i > 0 && isalnum((unsigned char)s[i - 1]))) {
            i++;
            continue;
        }
        size_t end;
        char digits[14];
        if (isbn_at(s, n, i, &end, digits)) {
            memset(rest + i, ' ', end - i);
            if (!found)
                memcpy(first, digits, sizeof digits);
            found++;
            i = end;
        } else {
            while (i < n && isdigit((unsigned char)s[i]))
                i++;
        }
    }
    if (!found) {
        free(rest);
        return 0;
    }
    /* What is left must be ISBN labels, binding words, numbers and punctuation. */
    toklist tl = {0};
    cap_tokenize(rest, n, &tl);
    int other = 0;
    for (size_t k = 0; k < tl.n && !other; k++) {
        const tok *t = &tl.t[k];
        if (t->digits)
            continue;
        /* ordinals and short number+letter pieces: 2nd, 3e, 13th */
        if (t->len <= 4 && isdigit((unsigned char)rest[t->off]))
            continue;
        if (!(cap_set_get(&x->f->words, rest + t->off, t->len) & F_ISBNWORD))
            other = 1;
    }
    free(tl.t);
    free(rest);
    if (other)
        return 0;
    snprintf(x->detail, x->detaillen, "ISBN %s", first);
    return 1;
}

/* ---- code_or_id ------------------------------------------------------------------------------------ */

int cap_in_list(const char *const *list, const char *s, size_t n)
{
    for (int i = 0; list[i]; i++)
        if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0)
            return 1;
    return 0;
}

int cap_has_prefix(const char *s, size_t n, const char *p)
{
    size_t pl = strlen(p);
    return n >= pl && memcmp(s, p, pl) == 0;
}

int cap_has_suffix(const char *s, size_t n, const char *p)
{
    size_t pl = strlen(p);
    return n >= pl && memcmp(s + n - pl, p, pl) == 0;
}

int cap_all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* The longest run of ASCII letters in p[0..n) that holds a vowel: four or
 * more make a word ("Report24", "jnovo22", "number1"), where the letter
 * groups of codes are short or unpronounceable ("WH-1000XM4", "B08N5WRWNW"). */
static size_t vowel_run(const char *p, size_t n)
{
    size_t best = 0, run = 0;
    int vowel = 0;
    for (size_t k = 0; k <= n; k++) {
        unsigned char c = k < n ? (unsigned char)p[k] : 0;
        if (isalpha(c)) {
            run++;
            vowel |= strchr("aeiouy", tolower(c)) != NULL;
            continue;
        }
        if (vowel && run > best)
            best = run;
        run = 0;
        vowel = 0;
    }
    return best;
}

/* 0: an ordinary word; 1: a label/month/filler; 2: a code, number, date or
 * hash. A word with a number glued to it ("Report24", "Sylvester2020") is
 * a name, and a word joined by underscores to other parts ("AFP_UF8X5",
 * "vo_de_01_15_2") a file name: both class 0, so that the slug and
 * too_short rules judge them. */
static int id_class(const judge_ctx *x, const char *w, size_t wl)
{
    static const char seps[] = "-_./:#+,'\\";
    int has_id = 0, all_label = 1, short_letters = 0, letter_part = 0;
    size_t i = 0;
    while (i < wl) {
        while (i < wl && strchr(seps, w[i]))
            i++;
        size_t st = i;
        while (i < wl && !strchr(seps, w[i]))
            i++;
        size_t pl = i - st;
        if (!pl)
            continue;
        const char *p = w + st;
        int digit = 0, ascii = 1, letters = 0;
        for (size_t k = 0; k < pl; k++) {
            unsigned char c = (unsigned char)p[k];
            if (isdigit(c))
                digit = 1;
            else if (c >= 0x80)
                ascii = 0;
            else if (isalpha(c))
                letters++;
        }
        capflags fl = cap_set_get(&x->f->words, p, pl);
        if (letters >= 2 && !(fl & (F_LABEL | F_MONTH | F_ISBNWORD)))
            letter_part = 1;
        if (digit && ascii && letters && !cap_all_hex(p, pl) && vowel_run(p, pl) >= 4) {
            return 0;
        } else if (digit && ascii) {
            has_id = 1;
            all_label = 0;
        } else if (fl & (F_LABEL | F_MONTH | F_ISBNWORD)) {
            continue;
        } else if (ascii && letters == (int)pl && pl >= 16 && cap_all_hex(p, pl)) {
            has_id = 1;
            all_label = 0;
        } else if (ascii && letters == (int)pl && pl <= 3) {
            short_letters = 1; /* BLK in SKU-89240-BLK; only next to digits */
            all_label = 0;
        } else if (ascii && letters == 0) {
            continue; /* %, $, ° ... */
        } else {
            return 0;
        }
    }
    if (has_id && letter_part && memchr(w, '_', wl))
        return 0;
    if (has_id)
        return 2;
    if (short_letters)
        return 0;
    return all_label ? 1 : 0;
}

/* Codes and their labels only: "SKU: 89240-BLK", "Art.-Nr. 4711",
 * "2014_12_22". A generic label with a number ("Ausgabe 4/2021": a [phrase]
 * entry of boilerplate.txt that is no [label] of idwords.txt) is left to the
 * boilerplate rule, as "Figure 3" is (the policy calls it a generic media
 * word). */
static int rule_code(judge_ctx *x)
{
    size_t pos = 0, wl;
    const char *w;
    int ids = 0, labels = 0, generic = 0;
    while (cap_next_ws_word(x->fold, x->flen, &pos, &w, &wl)) {
        while (wl && w[wl - 1] == '-')
            wl--;
        while (wl && (*w == '-' || *w == '#')) {
            w++;
            wl--;
        }
        if (!wl)
            continue;
        /* "№" and "nº" */
        int c = id_class(x, w, wl);
        if (c == 0) {
            int punct = 1;
            for (size_t i = 0; i < wl;) {
                int32_t cp = cap_next_cp((const unsigned char *)w, wl, &i);
                if (cp >= 0 && cap_is_alnum_cp(cp))
                    punct = 0;
            }
            if (!punct)
                return 0;
        }
        if (c == 2)
            ids++;
        if (c == 1) {
            labels++;
            size_t k = wl;
            while (k && !isalnum((unsigned char)w[k - 1]))
                k--;
            capflags fl = cap_set_get(&x->f->words, w, k);
            generic += (fl & F_PHRASE) && !(fl & F_LABEL);
        }
    }
    if (ids && !(labels && generic == labels)) {
        snprintf(x->detail, x->detaillen, "only codes, numbers or dates");
        return 1;
    }
    return 0;
}

/* ---- boilerplate ------------------------------------------------------------------------------------ */

capflags cap_join_flags(const caption_filter *f, const capword *w, size_t k, ccbuf *tmp)
{
    ccbuf_reset(tmp);
    for (size_t j = 0; j < k; j++) {
        if (j)
            ccbuf_putc(tmp, ' ');
        ccbuf_append(tmp, w[j].s, w[j].len);
    }
    return cap_set_get(&f->words, (const char *)tmp->data, tmp->len);
}

int cap_compound_tail(const caption_filter *f, const char *w, size_t wl, size_t minhead, size_t mintail,
                      capflags flag)
{
    for (size_t st = minhead; st + mintail <= wl; st++)
        if ((w[st] & 0xC0) != 0x80 && (cap_set_get(&f->words, w + st, wl - st) & flag))
            return 1;
    return 0;
}

int cap_cuts_into(const caption_filter *f, const capword *w, size_t m, capflags flag)
{
    unsigned char *ok = xcalloc(m + 1, 1);
    ccbuf tmp = {0};
    ok[0] = 1;
    for (size_t i = 0; i < m; i++) {
        if (!ok[i])
            continue;
        for (size_t k = 1; k <= f->max_phrase && i + k <= m; k++)
            if (cap_join_flags(f, w + i, k, &tmp) & flag)
                ok[i + k] = 1;
    }
    int r = m > 0 && ok[m];
    ccbuf_free(&tmp);
    free(ok);
    return r;
}

static int rule_boilerplate(judge_ctx *x)
{
    capword *keep = xmalloc((x->w.n + 1) * sizeof *keep);
    capword *all = xmalloc((x->w.n + 1) * sizeof *all);
    size_t m = 0, social = 0;
    for (size_t i = 0; i < x->w.n; i++) {
        all[i] = (capword){x->fold + x->w.t[i].off, x->w.t[i].len};
        capflags fl = cap_word_flags(x, i);
        if (fl & F_SOCIAL)
            social++;
        if (x->w.t[i].digits || (fl & (F_TRIVIAL | F_SOCIAL)))
            continue;
        keep[m++] = all[i];
    }
    int fired = 0;
    if (m == 0) {
        if (social > 0) {
            snprintf(x->detail, x->detaillen, "social network names");
            fired = 1;
        }
    } else if (cap_cuts_into(x->f, keep, m, F_PHRASE)) {
        /* the remaining words are consecutive [phrase] entries */
        snprintf(x->detail, x->detaillen, "boilerplate '%.*s'", (int)keep[0].len, keep[0].s);
        fired = 1;
    }
    /* "FAQs", "Livefyre", "置頂": a [single] entry that is the whole caption
     * (alone these words label a link or a widget; beside others they may
     * describe) */
    if (!fired && x->w.n > 0) {
        ccbuf tmp = {0};
        if (cap_join_flags(x->f, all, x->w.n, &tmp) & F_SINGLE) {
            snprintf(x->detail, x->detaillen, "furniture word '%.*s'", (int)(tmp.len > 40 ? 40 : tmp.len),
                     (const char *)tmp.data);
            fired = 1;
        }
        ccbuf_free(&tmp);
    }
    /* "English", "Español", "EN | DE", "简体中文": a language switcher */
    if (!fired && x->w.n > 0 && cap_cuts_into(x->f, all, x->w.n, F_LANGNAME)) {
        snprintf(x->detail, x->detaillen, "language switcher");
        fired = 1;
    }
    free(keep);
    free(all);
    return fired;
}

uint64_t caption_repeat_key(const char *normalised, size_t n)
{
    size_t fl;
    char *fs = cap_fold(normalised ? normalised : "", n, &fl);
    toklist tl = {0};
    cap_tokenize(fs, fl, &tl);
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < tl.n; i++) {
        for (size_t k = 0; k < tl.t[i].len; k++) {
            h ^= (unsigned char)fs[tl.t[i].off + k];
            h *= 1099511628211ULL;
        }
        h ^= ' ';
        h *= 1099511628211ULL;
    }
    free(tl.t);
    free(fs);
    return h;
}

int caption_is_repeated(const caption_filter *f, uint64_t distinct_images, uint64_t distinct_sources)
{
    return f && f->cfg.boilerplate_repeat_threshold > 0 &&
           distinct_images >= (uint64_t)f->cfg.boilerplate_repeat_threshold &&
           distinct_sources >= (uint64_t)(f->cfg.boilerplate_repeat_min_sources > 0 ? f->cfg.boilerplate_repeat_min_sources : 1);
}

/* ---- too_short --------------------------------------------------------------------------------------- */

void caption_measure(const char *s, size_t n, caption_length *out)
{
    memset(out, 0, sizeof *out);
    size_t spaced_letters = 0, spaced_words = 0;
    int inword = 0;
    for (size_t i = 0; i < n;) {
        int32_t cp = cap_next_cp((const unsigned char *)s, n, &i);
        out->chars++;
        if (cp == ' ' || (cp >= 0 && utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS)) {
            inword = 0;
            continue;
        }
        if (cp >= 0 && cap_is_nospace(cp) && cap_is_wordchar(cp)) {
            out->nospace_chars++;
            inword = 0;
        } else if (cp >= 0 && cap_is_wordchar(cp)) {
            spaced_letters++;
            if (!inword)
                spaced_words++;
            inword = 1;
        }
        /* punctuation does not end a word: "Hyundai-Logo", "Foto:" and
         * "[Note]" are one word each, as a reader counts them */
    }
    out->words = spaced_words + out->nospace_chars;
    out->nospace = out->nospace_chars > 0 && out->nospace_chars >= spaced_letters;
}

size_t cap_next_cut(const char *s, size_t n, size_t st, const char *const *cuts, size_t *cutlen)
{
    size_t en = n;
    *cutlen = 0;
    for (int i = 0; cuts[i]; i++) {
        const char *c = memmem(s + st, n - st, cuts[i], strlen(cuts[i]));
        if (c && (size_t)(c - s) < en) {
            en = (size_t)(c - s);
            *cutlen = strlen(cuts[i]);
        }
    }
    return en;
}

/* "BMW - BMW", "Opel | Opel": a caption that repeats one segment at " - ",
 * " | ", " / " or " – " says no more than the segment; returns its length
 * in folded bytes, or 0 when the segments differ or there is one. */
static size_t repeated_segment(const judge_ctx *x)
{
    static const char *const cuts[] = {" - ", " | ", " / ", " \xe2\x80\x93 ", NULL};
    const char *s = x->fold;
    size_t n = x->flen, first = 0, segs = 0, st = 0;
    while (st <= n) {
        size_t cl, en = cap_next_cut(s, n, st, cuts, &cl);
        if (segs == 0)
            first = en - st;
        else if (en - st != first || memcmp(s + st, s, first) != 0)
            return 0;
        segs++;
        if (!cl)
            break;
        st = en + cl;
    }
    return segs >= 2 ? first : 0;
}

/* "Neanderthals. Source: Wikimedia Commons": the words before the credit
 * close a sentence (a full stop after a lower-case letter, not an
 * initial) and the credit is written out with its label and a colon
 * ("Source:", "Foto:"): a description and its credit. A dash or a © after
 * a bare word ("Weide - © Hans Meier") is a label and its credit. */
static int sentence_before_credit(const judge_ctx *x, size_t off)
{
    if (off == 0 || off >= x->nlen)
        return 0;
    size_t k = off;
    while (k > 0 && x->norm[k - 1] == ' ')
        k--;
    if (k < 3 || x->norm[k - 1] != '.' || !islower((unsigned char)x->norm[k - 2]) ||
        !islower((unsigned char)x->norm[k - 3]))
        return 0;
    const char *colon = memchr(x->norm + off, ':', x->nlen - off);
    const char *space = memchr(x->norm + off, ' ', x->nlen - off);
    return colon && (!space || colon < space);
}

static int rule_too_short(judge_ctx *x)
{
    const filter_config *c = &x->f->cfg;
    caption_length L;
    size_t rep = repeated_segment(x);
    if (rep)
        caption_measure(x->fold, rep, &L);
    else
        caption_measure(x->norm, x->nlen, &L);
    if (L.nospace) {
        if (L.words < (size_t)c->caption_min_chars_nospace) {
            snprintf(x->detail, x->detaillen, "%zu characters (no-space script), minimum %d", L.words,
                     c->caption_min_chars_nospace);
            return 1;
        }
        return 0;
    }
    if (L.words >= (size_t)c->caption_min_words && c->caption_min_words > 1) {
        /* a credit does not describe the image: "FAQs - © Matthias Brandner" */
        size_t credit_off = 0, besides = cap_words_besides_credit(x, &credit_off);
        if (besides < L.words && besides < (size_t)c->caption_min_words && !sentence_before_credit(x, credit_off)) {
            snprintf(x->detail, x->detaillen, "%zu word%s besides the credit, minimum %d", besides,
                     besides == 1 ? "" : "s", c->caption_min_words);
            return 1;
        }
    }
    if (L.words < (size_t)c->caption_min_words) {
        snprintf(x->detail, x->detaillen, "%zu word%s, minimum %d", L.words, L.words == 1 ? "" : "s",
                 c->caption_min_words);
        return 1;
    }
    if (L.chars < (size_t)c->caption_min_chars) {
        snprintf(x->detail, x->detaillen, "%zu characters, minimum %d", L.chars, c->caption_min_chars);
        return 1;
    }
    return 0;
}

/* "4", "RPR1": under five characters a caption is too short to be read as
 * a code; a year alone ("2023") is still a date. */
static int tiny_number(const judge_ctx *x)
{
    caption_length L;
    caption_measure(x->norm, x->nlen, &L);
    if (L.chars >= 5)
        return 0;
    int digits = 0;
    for (size_t i = 0; i < x->nlen; i++)
        digits += isdigit((unsigned char)x->norm[i]) != 0;
    return !(digits == 4 && x->nlen == 4);
}

/* "Haupt-RSS-Feed", "RSS-Feed-Icon": a hyphenated compound whose parts
 * are all capitalised is written as words (German writes compounds so), so
 * furniture shapes judge it before the slug rule; "ascom-image-Logo",
 * "Facebook_Icon" and "RSS2-Logo" stay file names. */
static int title_compound(const judge_ctx *x)
{
    int start = 1;
    for (size_t i = 0; i < x->nlen;) {
        int32_t cp = cap_next_cp((const unsigned char *)x->norm, x->nlen, &i);
        if (cp == '-') {
            start = 1;
            continue;
        }
        if (cp < 0 || cp == '_' || (cp < 128 && isdigit(cp)))
            return 0;
        if (start && utf8proc_category(cp) != UTF8PROC_CATEGORY_LU)
            return 0;
        start = 0;
    }
    return 1;
}

/* ---- judge -------------------------------------------------------------------------------------------- */

caption_verdict caption_judge(const caption_filter *f, const char *text, size_t n, ccbuf *normalised_out)
{
    return caption_judge_placed(f, text, n, NULL, normalised_out);
}

caption_verdict caption_judge_placed(const caption_filter *f, const char *text, size_t n, const caption_place *place,
                                     ccbuf *normalised_out)
{
    caption_verdict v;
    memset(&v, 0, sizeof v);
    ccbuf norm = {0};
    caption_normalise(text, n, f->cfg.caption_max_chars, &norm);
    judge_ctx x = {0};
    x.f = f;
    x.norm = (const char *)norm.data;
    x.nlen = norm.len;
    x.detail = v.detail;
    x.detaillen = sizeof v.detail;
    x.place = place;
    caption_reason r = CAPTION_KEEP;
    if (rule_empty(&x)) {
        r = CAPTION_EMPTY;
    } else {
        lang_detect(x.norm, x.nlen, v.language, sizeof v.language, &v.language_reliable);
        x.fold = cap_fold(x.norm, x.nlen, &x.flen);
        cap_tokenize(x.fold, x.flen, &x.w);
        if (f->cfg.reject_unsafe && cap_rule_unsafe(&x))
            r = CAPTION_UNSAFE;
        else if (cap_rule_url(&x) || cap_rule_contact(&x))
            r = CAPTION_URL_OR_PATH;
        else if (cap_rule_filename(&x))
            r = CAPTION_FILENAME;
        else if (rule_isbn(&x))
            r = CAPTION_ISBN;
        else if (cap_rule_latex(&x) || (!tiny_number(&x) && (rule_code(&x) || cap_rule_ids(&x))))
            r = CAPTION_CODE_OR_ID;
        else if (cap_rule_slug(&x) && !(title_compound(&x) && (rule_boilerplate(&x) || cap_rule_shape(&x))))
            r = CAPTION_FILENAME;
        else if (rule_boilerplate(&x) || cap_rule_shape(&x) || cap_rule_cms(&x))
            r = CAPTION_BOILERPLATE;
        else if (rule_too_short(&x))
            r = CAPTION_TOO_SHORT;
        /* the page's facts about the image: furniture the text alone keeps,
         * or calls too short (an avatar's user name) */
        if ((r == CAPTION_KEEP || r == CAPTION_TOO_SHORT) && f->cfg.caption_placement_rule && cap_rule_place(&x, r))
            r = CAPTION_BOILERPLATE;
        else if (r == CAPTION_KEEP && f->cfg.languages[0] && v.language_reliable &&
                 !filter_config_language_allowed(&f->cfg, v.language)) {
            r = CAPTION_LANGUAGE;
            snprintf(v.detail, sizeof v.detail, "detected %s, allowed %.100s", v.language, f->cfg.languages);
        }
    }
    if (r == CAPTION_KEEP)
        v.detail[0] = '\0';
    v.code = r;
    v.reason = caption_reason_name(r);
    free(x.fold);
    free(x.w.t);
    if (normalised_out) {
        ccbuf_reset(normalised_out);
        ccbuf_append(normalised_out, norm.data ? norm.data : (const unsigned char *)"", norm.len);
    }
    ccbuf_free(&norm);
    return v;
}
