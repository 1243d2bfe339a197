/* caption-internal.h — what the caption rules share (not a public API).
 *
 * caption.c normalises, loads the word lists and runs the rules;
 * caption-unsafe.c holds the `unsafe` rule (sexual and violent cues);
 * caption-shape.c holds the shape rules for page furniture (credit lines,
 * logos/badges, share/subscribe calls to action, ratings, bracketed labels);
 * caption-ids.c the identifier checks with checksums (IBAN, EAN/GTIN) and
 * e-mail / data: URI shapes. They all work on a judge_ctx: the normalised
 * caption, its folded form (case-folded, accents stripped) and its words. */
#ifndef CC_FILTERS_CAPTION_INTERNAL_H
#define CC_FILTERS_CAPTION_INTERNAL_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "caption.h"

typedef struct {
    size_t off, len;
    int ns;       /* a single no-space-script character */
    int digits;   /* only ASCII digits */
} tok;

typedef struct {
    tok *t;
    size_t n, cap;
} toklist;

enum {
    F_PHRASE = 1, F_TRIVIAL = 2, F_SOCIAL = 4,                 /* boilerplate.txt */
    F_ISBNWORD = 8, F_LABEL = 16, F_MONTH = 32,                /* idwords.txt */
    F_STRONG = 64, F_WEAK = 128, F_CONTEXT = 256,              /* unsafe.txt */
    F_FURNITURE = 512, F_CTA = 1024, F_CONNECTOR = 2048,       /* boilerplate.txt shapes */
    F_CREDIT = 4096, F_AGENCY = 8192, F_RATING = 16384,
    F_STARWORD = 32768,
    F_HOMELINK = 65536,
    F_COMPOUND = 131072, F_INNOCENT = 262144,                  /* unsafe.txt compounds */
    F_GARMENT = 524288, F_FASHION = 1048576,                   /* unsafe.txt product titles */
    F_PRODUCT = 2097152,                                       /* boilerplate.txt products */
    F_UIVERB = 4194304, F_UINOUN = 8388608,                    /* boilerplate.txt UI actions */
    F_SINGLE = 16777216, F_LANGNAME = 33554432,                /* boilerplate.txt whole-caption labels */
    F_GWEAK = 67108864, F_GCONTEXT = 134217728,                /* unsafe.txt graphic violence */
    F_PROMO = 268435456, F_COUNTER = 536870912,                /* boilerplate.txt shapes */
    F_GOTO = 1073741824
};

typedef struct {
    char **keys;
    unsigned *flags;
    size_t cap, n;
} strset;

typedef struct {
    char *s;
    unsigned flags;
} entry;

typedef struct {
    entry *e;
    size_t n, cap;
} entrylist;

enum { RX_CAMERA, RX_OLYMPUS, RX_DATETIME, RX_DROPBOX, RX_SCREENSHOT, RX_WHATSAPP,
       RX_GENERIC, RX_UNNAMED, RX_UNSPLASH, RX_TELEGRAM, RX_SIGNAL, RX__COUNT };

struct caption_filter {
    filter_config cfg;
    strset words;        /* every list entry, folded, with F_* flags */
    entrylist prefixes;  /* unsafe entries ending in '*' */
    entrylist substrs;   /* unsafe entries in CJK/Hangul script */
    entrylist compounds; /* [compound-*] stems: unsafe as the first or last part of a longer word */
    size_t max_phrase;   /* longest entry in words (tokens) */
    regex_t rx[RX__COUNT];
};

typedef struct {
    const caption_filter *f;
    const char *norm;
    size_t nlen;
    char *fold;   /* folded normalised caption */
    size_t flen;
    toklist w;    /* words of fold */
    char *detail;
    size_t detaillen;
} judge_ctx;

/* Unicode helpers (utf8proc). */
int cap_is_nospace(int32_t c);  /* a script written without spaces (Han, kana, Thai...) */
int cap_is_hangul(int32_t c);
int cap_is_wordchar(int32_t c); /* letter, digit or mark */
int cap_is_alnum_cp(int32_t c);
/* Decodes one code point at s[*i]; invalid bytes give -1 and advance by one. */
int32_t cap_next_cp(const unsigned char *s, size_t n, size_t *i);
/* Case fold + compatibility mapping + accents stripped; malloc'd, NUL-terminated. */
char *cap_fold(const char *s, size_t n, size_t *outlen);
/* Words of folded text: runs of letters/digits/marks; each no-space-script
 * character is a word of its own. Appends to l. */
void cap_tokenize(const char *s, size_t n, toklist *l);
/* F_* flags of one folded key (0 = not listed). */
unsigned cap_set_get(const strset *S, const char *k, size_t n);
/* Flags of word i of x->w. */
unsigned cap_word_flags(const judge_ctx *x, size_t i);
/* Flags of words i..i+k-1 joined by ' ' (k >= 1); TMP is scratch space. */
unsigned cap_span_flags(const judge_ctx *x, size_t i, size_t k, ccbuf *tmp);
/* Next whitespace-separated word of s with edge punctuation stripped;
 * 0 at the end. */
int cap_next_ws_word(const char *s, size_t n, size_t *pos, const char **w, size_t *wl);

/* caption-unsafe.c: 1 (x->detail says which words) when the caption is
 * sexual/explicit or graphically violent by unsafe.txt's lists. */
int cap_rule_unsafe(judge_ctx *x);

/* caption-shape.c: page furniture judged by its shape; 1 = boilerplate
 * (x->detail says which shape). */
int cap_rule_shape(judge_ctx *x);
/* caption-shape.c: number of words left when a credit segment ("- © Name",
 * "Foto: Agency") is removed; the full word count when there is none. */
size_t cap_words_besides_credit(const judge_ctx *x);

/* caption-ids.c */
int cap_iban_valid(const char *s, size_t n);   /* letters/digits only, spaces removed; the
                                                  country's IBAN length and mod 97 */
int cap_gtin_valid(const char *s, size_t n);   /* 8, 12, 13 or 14 digits */
/* 1 when the caption is only an e-mail address or data: URI (plus < 3 filler
 * words), or a domain written with spaces around its dots. */
int cap_rule_contact(judge_ctx *x);
/* 1 when the caption is a checksum-valid IBAN or EAN/GTIN-12/13/14 plus at
 * most two other words. (LCCN, OCLC and order numbers after their label are
 * rule_code's: the labels are in wordlists/idwords.txt.) */
int cap_rule_ids(judge_ctx *x);

#endif
