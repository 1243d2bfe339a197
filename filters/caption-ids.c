/* caption-ids.c — identifiers with check digits, e-mail addresses and data:
 * URIs (see caption-internal.h).
 *
 * rule_code in caption.c already rejects captions made only of codes and
 * their labels. This file adds the identifiers a checksum can prove even
 * when one or two ordinary words stand beside them ("Spendenkonto DE89 3704
 * 0044 0532 0130 00", "EAN 4006381333931 Karton"): IBAN (ISO 13616, mod 97)
 * and EAN/GTIN-12/13/14 (mod 10; GTIN-8 is too easily a date or a count),
 * and the contact shapes of url_or_path: a bare e-mail address, a data: URI,
 * a domain written "www . example . net"; and LaTeX, the alt text wikis give
 * their formulas ("{\displaystyle p_{ij}=0}", "\mathbf {x} _{i}"). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "caption-internal.h"

/* IBAN lengths by country (the SWIFT IBAN registry): a mod-97 check alone
 * passes one string in 97, and product codes such as "RE012 Air Suction"
 * run into letters; the fixed length of the country's IBAN rules them out. */
static const struct {
    char cc[3];
    unsigned char len;
} iban_len[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
    {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22},
    {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32},
    {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19},
    {"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
    {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23},
    {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

int cap_iban_valid(const char *s, size_t n)
{
    if (n < 15 || n > 34 || !isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]))
        return 0;
    int known = 0;
    for (size_t c = 0; c < sizeof iban_len / sizeof iban_len[0] && !known; c++)
        known = toupper((unsigned char)s[0]) == iban_len[c].cc[0] && toupper((unsigned char)s[1]) == iban_len[c].cc[1] &&
                n == iban_len[c].len;
    if (!known)
        return 0;
    /* move the first four characters to the end, letters -> 10..35, mod 97 */
    unsigned rem = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[(k + 4) % n];
        if (isdigit(c)) {
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        } else if (isalpha(c)) {
            unsigned v = (unsigned)(toupper(c) - 'A' + 10);
            rem = (rem * 100 + v) % 97;
        } else {
            return 0;
        }
    }
    return rem == 1;
}

int cap_gtin_valid(const char *s, size_t n)
{
    if (n != 8 && n != 12 && n != 13 && n != 14)
        return 0;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        /* weights 3,1,3,1... counted from the digit before the check digit */
        size_t from_right = n - 1 - i;
        unsigned d = (unsigned)(s[i] - '0');
        sum += from_right == 0 ? d : d * (from_right % 2 ? 3 : 1);
    }
    return sum % 10 == 0;
}

/* Words of the folded caption that are not part of the identifier found. */
static size_t other_words(const judge_ctx *x, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t i = 0; i < x->w.n; i++) {
        const tok *t = &x->w.t[i];
        if (t->off >= from && t->off + t->len <= to)
            continue;
        if (t->digits)
            continue;
        if (cap_word_flags(x, i) & (F_LABEL | F_TRIVIAL | F_ISBNWORD))
            continue;
        n++;
    }
    return n;
}

/* Collects up to cap alphanumerics from s[i..] across single spaces/hyphens. */
static size_t gather(const char *s, size_t n, size_t i, char *out, size_t cap, size_t *end)
{
    size_t k = 0, j = i;
    while (j < n && k < cap) {
        unsigned char c = (unsigned char)s[j];
        if (isalnum(c)) {
            out[k++] = (char)c;
            j++;
        } else if ((c == ' ' || c == '-') && j + 1 < n && isalnum((unsigned char)s[j + 1]) && k > 0) {
            j++;
        } else {
            break;
        }
    }
    *end = j;
    return k;
}

int cap_rule_ids(judge_ctx *x)
{
    const char *s = x->fold;
    size_t n = x->flen;
    char buf[40];
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && isalnum((unsigned char)s[i - 1]))
            continue;
        /* IBAN: two letters, two digits, then groups */
        if (i + 4 < n && isalpha((unsigned char)s[i]) && isalpha((unsigned char)s[i + 1]) && isdigit((unsigned char)s[i + 2]) &&
            isdigit((unsigned char)s[i + 3])) {
            size_t end;
            size_t k = gather(s, n, i, buf, 34, &end);
            /* try the longest valid prefix ending on a group boundary */
            for (; k >= 15; k--)
                if (cap_iban_valid(buf, k))
                    break;
            if (k >= 15 && other_words(x, i, end) <= 2) {
                snprintf(x->detail, x->detaillen, "IBAN %.*s", (int)k, buf);
                return 1;
            }
        }
        /* EAN/GTIN */
        if (isdigit((unsigned char)s[i])) {
            size_t j = i;
            while (j < n && isdigit((unsigned char)s[j]))
                j++;
            /* a 978/979 number is an ISBN ("Bookland"): with a title beside
             * it, it is a book's caption (isbn needs format words only) */
            int bookland = j - i == 13 && s[i] == '9' && s[i + 1] == '7' && (s[i + 2] == '8' || s[i + 2] == '9');
            if ((j >= n || !isalnum((unsigned char)s[j])) && cap_gtin_valid(s + i, j - i) && j - i >= 12 &&
                other_words(x, i, j) <= (bookland ? 0u : 2u)) {
                snprintf(x->detail, x->detaillen, "EAN/GTIN %.*s", (int)(j - i), s + i);
                return 1;
            }
        }
    }
    return 0;
}

static int is_email(const char *w, size_t wl)
{
    const char *at = memchr(w, '@', wl);
    if (!at || at == w)
        return 0;
    const char *dom = at + 1;
    size_t dl = wl - (size_t)(dom - w);
    const char *dot = memrchr(dom, '.', dl);
    if (!dot || dot == dom || (size_t)(dom + dl - dot) < 3)
        return 0;
    /* logo@2x.png is a file name, not an address */
    for (const char *p = dot + 1; p < dom + dl; p++)
        if (!isalpha((unsigned char)*p))
            return 0;
    static const char *const ext[] = {"png", "jpg", "jpeg", "gif", "webp", "svg", "avif", NULL};
    if (cap_in_list(ext, dot + 1, (size_t)(dom + dl - dot - 1)))
        return 0;
    for (const char *p = w; p < w + wl; p++)
        if (!(isalnum((unsigned char)*p) || strchr("._%+-@'", *p)))
            return 0;
    return 1;
}

int cap_rule_contact(judge_ctx *x)
{
    const char *s = x->fold;
    size_t n = x->flen;
    /* a data: URI anywhere at the start */
    if (n > 5 && memcmp(s, "data:", 5) == 0 && (memmem(s, n, ";base64,", 8) || memmem(s, n, "image/", 6) || memchr(s, ',', n))) {
        snprintf(x->detail, x->detaillen, "data: URI");
        return 1;
    }
    size_t pos = 0, wl, mails = 0, others = 0;
    const char *w;
    while (cap_next_ws_word(s, n, &pos, &w, &wl)) {
        while (wl && (w[wl - 1] == '\'' || w[wl - 1] == '.' || w[wl - 1] == ','))
            wl--;
        if (!wl)
            continue;
        if (is_email(w, wl))
            mails++;
        else if (isalnum((unsigned char)w[0]) || (unsigned char)w[0] >= 0x80)
            others++;
    }
    if (mails && others < 3) {
        snprintf(x->detail, x->detaillen, "e-mail address");
        return 1;
    }
    /* "www . example . net" */
    if (n > 10 && memcmp(s, "www . ", 6) == 0 && memmem(s, n, " . ", 3) && !memchr(s + 6, ' ', 0)) {
        size_t words = 0;
        for (size_t i = 0; i < n; i++)
            words += s[i] == ' ';
        if (words <= 6) {
            snprintf(x->detail, x->detaillen, "domain written with spaces");
            return 1;
        }
    }
    return 0;
}

/* LaTeX: TeX commands ("\mathbf", "\frac") or braced sub- and superscripts
 * ("p_{ij}", "^{2}"), and besides them only variables and short function
 * names: no run of four or more letters outside a command. "Use \textbf for
 * bold text" is prose about TeX and is kept. */
int cap_rule_latex(judge_ctx *x)
{
    const unsigned char *s = (const unsigned char *)x->norm;
    size_t n = x->nlen, run = 0;
    int signals = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '\\' && i + 2 < n && isalpha(s[i + 1]) && isalpha(s[i + 2])) {
            i++;
            while (i < n && isalpha(s[i]))
                i++;
            signals++;
            run = 0;
            continue;
        }
        if ((s[i] == '_' || s[i] == '^') && i + 1 < n && s[i + 1] == '{')
            signals++;
        int32_t cp = cap_next_cp(s, n, &i);
        if (cp >= 0 && cap_is_alnum_cp(cp) && !(cp < 128 && isdigit(cp))) {
            if (++run >= 4)
                return 0;
        } else {
            run = 0;
        }
    }
    if (!signals)
        return 0;
    snprintf(x->detail, x->detaillen, "LaTeX");
    return 1;
}
