/* caption-internal.h — what the caption rules share (not a public API).
 *
 * caption.c normalises, loads the word lists and runs the rules;
 * caption-unsafe.c holds the `unsafe` rule (sexual and violent cues);
 * caption-shape.c holds the shape rules for page furniture (credit lines,
 * logos/badges, share/subscribe calls to action, ratings, bracketed labels);
 * caption-place.c judges a page's caption with its placement facts;
 * caption-ids.c the identifier checks with checksums (IBAN, EAN/GTIN) and
 * e-mail / data: URI shapes; caption-names.c URLs, paths, file names and
 * slugs. They all work on a judge_ctx: the normalised
 * caption, its folded form (case-folded, accents stripped) and its words. */
#ifndef CC_FILTERS_CAPTION_INTERNAL_H
#define CC_FILTERS_CAPTION_INTERNAL_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "caption-phrases.h"
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

/* The F_* flags a list entry carries (a word may carry several). A 64-bit
 * set, one bit each: room for more list sections. */
typedef uint64_t capflags;
#define CAPF(bit) ((capflags)1 << (bit))
/* boilerplate.txt */
#define F_PHRASE CAPF(0)
#define F_TRIVIAL CAPF(1)
#define F_SOCIAL CAPF(2)
/* idwords.txt */
#define F_ISBNWORD CAPF(3)
#define F_LABEL CAPF(4)
#define F_MONTH CAPF(5)
/* unsafe.txt */
#define F_STRONG CAPF(6)
#define F_WEAK CAPF(7)
#define F_CONTEXT CAPF(8)
/* boilerplate.txt shapes */
#define F_FURNITURE CAPF(9)
#define F_CTA CAPF(10)
#define F_CONNECTOR CAPF(11)
#define F_CREDIT CAPF(12)
#define F_AGENCY CAPF(13)
#define F_RATING CAPF(14)
#define F_STARWORD CAPF(15)
#define F_HOMELINK CAPF(16)
/* unsafe.txt compounds */
#define F_COMPOUND CAPF(17)
#define F_INNOCENT CAPF(18)
/* unsafe.txt product titles */
#define F_GARMENT CAPF(19)
#define F_FASHION CAPF(20)
/* boilerplate.txt products */
#define F_PRODUCT CAPF(21)
/* boilerplate.txt UI actions */
#define F_UIVERB CAPF(22)
#define F_UINOUN CAPF(23)
/* boilerplate.txt whole-caption labels */
#define F_SINGLE CAPF(24)
#define F_LANGNAME CAPF(25)
/* unsafe.txt graphic violence */
#define F_GWEAK CAPF(26)
#define F_GCONTEXT CAPF(27)
/* boilerplate.txt shapes */
#define F_PROMO CAPF(28)
#define F_COUNTER CAPF(29)
#define F_GOTO CAPF(30)
#define F_SPONSOR CAPF(31)
#define F_SUBSCRIPTION CAPF(32)
#define F_WEATHER CAPF(33)
#define F_PHONE CAPF(34)
/* boilerplate.txt adverts and seals (caption-advert.c) */
#define F_SEAL CAPF(35)
#define F_SEALEVENT CAPF(36)
#define F_OFFER CAPF(37)
#define F_OFFERHEAD CAPF(38)
#define F_SERVICE CAPF(39)
#define F_PERIOD CAPF(40)
#define F_IMPERATIVE CAPF(41)
#define F_CTALEAD CAPF(42)
#define F_BLOGBADGE CAPF(43)
#define F_BLOGHEAD CAPF(44)
/* boilerplate.txt, caption-cms.c's badges (high bits: the low ones are the
 * shapes' above) */
#define F_BADGEBY CAPF(56)
#define F_PAYMENT CAPF(57)
#define F_PAYVERB CAPF(58)
#define F_PAYCLAIM CAPF(59)
#define F_HOMEWORD CAPF(60)
/* unsafe.txt nudity of a person (bits kept apart from the shapes' above) */
#define F_NUDITY CAPF(48)
#define F_PERSON CAPF(49)
#define F_NUDEOK CAPF(50)
/* boilerplate.txt: a person's job in a byline ([role]: reporter, Redakteurin),
 * name particles ([name-particle]: del, van, bin) */
#define F_ROLE CAPF(51)
#define F_PARTICLE CAPF(52)
/* boilerplate.txt: the last word of a news outlet's name ([outlet]: News, Times) */
#define F_OUTLET CAPF(53)
/* boilerplate.txt: the same, only after "the" ([outlet-the]: Times, Post) */
#define F_OUTLETTHE CAPF(54)
/* boilerplate.txt: a media word and "of" before a person's name ([media-of]:
 * "picture of", "Bild av", "の写真" after it) */
#define F_MEDIAOF CAPF(55)

typedef struct {
    char **keys;
    capflags *flags;
    size_t cap, n;
} strset;

typedef struct {
    char *s;
    capflags flags;
} entry;

typedef struct {
    entry *e;
    size_t n, cap;
} entrylist;

enum { RX_CAMERA, RX_OLYMPUS, RX_DATETIME, RX_DROPBOX, RX_SCREENSHOT, RX_WHATSAPP,
       RX_GENERIC, RX_UNNAMED, RX_UNSPLASH, RX_TELEGRAM, RX_SIGNAL,
       RX_FACEBOOK, RX_APPSHOT, RX_IOS, RX__COUNT };

struct caption_filter {
    filter_config cfg;
    strset words;        /* every list entry, folded, with F_* flags */
    entrylist prefixes;  /* unsafe entries ending in '*' */
    entrylist substrs;   /* unsafe entries in CJK/Hangul script */
    entrylist compounds; /* [compound-*] stems: unsafe as the first or last part of a longer word */
    size_t max_phrase;   /* longest entry in words (tokens) */
    phrase_list *phrases; /* unsafe-phrases.txt: weighted phrases (caption-phrases.h) */
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
    const caption_place *place; /* where the caption comes from; NULL = origin unknown (text alone) */
} judge_ctx;

/* The caption is a URL list's row (CC_PLACE_LIST): the picture is its
 * subject, so shapes that read a name of a kind of picture as a page's
 * furniture ("Tree City USA Logo", "Sippy Cup icon") do not fire. */
static inline int cap_from_list(const judge_ctx *x)
{
    return x->place && (x->place->bits & CC_PLACE_LIST);
}

/* Unicode helpers (utf8proc). */
int cap_is_nospace(int32_t c);  /* a script written without spaces (Han, kana, Thai...) */
int cap_is_hangul(int32_t c);
int cap_is_wordchar(int32_t c); /* letter, digit or mark */
int cap_is_alnum_cp(int32_t c);
/* 1 when s[0..n) is one of the entries of LIST (NULL-terminated). */
int cap_in_list(const char *const *list, const char *s, size_t n);
/* 1 when s[0..n) starts / ends with P. */
int cap_has_prefix(const char *s, size_t n, const char *p);
int cap_has_suffix(const char *s, size_t n, const char *p);
/* 1 when s[0..n) is all ASCII hex digits (a hash, a colour, an id). */
int cap_all_hex(const char *s, size_t n);
/* Where the segment of s[0..n) that starts at ST ends: the offset of the
 * first of CUTS (NULL-terminated separators such as " - ") at or after ST,
 * or n; *cutlen gets that separator's length (0 at the end). */
size_t cap_next_cut(const char *s, size_t n, size_t st, const char *const *cuts, size_t *cutlen);
/* Decodes one code point at s[*i]; invalid bytes give -1 and advance by one. */
int32_t cap_next_cp(const unsigned char *s, size_t n, size_t *i);
/* Case fold + compatibility mapping + accents stripped; malloc'd, NUL-terminated
 * (NUL bytes inside s are kept; *outlen counts them). */
char *cap_fold(const char *s, size_t n, size_t *outlen);
/* The same with accents kept: e2guardian's phrase lists spell them
 * (caption-phrases.c). */
char *cap_fold_keep_accents(const char *s, size_t n, size_t *outlen);
/* Words of folded text: runs of letters/digits/marks; each no-space-script
 * character is a word of its own. Appends to l. */
void cap_tokenize(const char *s, size_t n, toklist *l);
/* F_* flags of one folded key (0 = not listed). */
capflags cap_set_get(const strset *S, const char *k, size_t n);
/* Flags of word i of x->w. */
capflags cap_word_flags(const judge_ctx *x, size_t i);
/* Flags of words i..i+k-1 joined by ' ' (k >= 1); TMP is scratch space. */
capflags cap_span_flags(const judge_ctx *x, size_t i, size_t k, ccbuf *tmp);
/* One word to look up in the lists: its folded text. */
typedef struct {
    const char *s;
    size_t len;
} capword;
/* F_* flags of words W[0..k) joined by ' '; TMP (scratch) holds the joined text after. */
capflags cap_join_flags(const caption_filter *f, const capword *w, size_t k, ccbuf *tmp);
/* 1 when W[0..m) (m > 0) can be cut into consecutive list entries that all
 * carry FLAG ("Symbolbild", "Representación artística" as [phrase] entries). */
int cap_cuts_into(const caption_filter *f, const capword *w, size_t m, capflags flag);
/* 1 when the folded word W[0..wl) ends in a list entry carrying FLAG that
 * starts at least MINHEAD bytes in, at a character's start, and is at least
 * MINTAIL bytes long: the head of a compound ("Tankstellenrabatte" ends in
 * the [offer-head] "rabatte", "Teamleiterin" in the [role] "leiterin"). */
int cap_compound_tail(const caption_filter *f, const char *w, size_t wl, size_t minhead, size_t mintail,
                      capflags flag);
/* Next whitespace-separated word of s with edge punctuation stripped;
 * 0 at the end. */
int cap_next_ws_word(const char *s, size_t n, size_t *pos, const char **w, size_t *wl);
/* 1 when the caption holds a character of a script written without spaces
 * (its words are not counted the way spaced scripts' are). */
int cap_has_nospace(const judge_ctx *x);
/* Whitespace-separated words of the normalised caption (edge punctuation
 * stripped, as cap_next_ws_word); *caps (may be NULL) gets how many start
 * with an upper-case letter, *digits (may be NULL) how many hold a digit. */
size_t cap_ws_words(const judge_ctx *x, size_t *caps, size_t *digits);

/* caption-unsafe.c: 1 (x->detail says which words) when the caption is
 * sexual/explicit or graphically violent by unsafe.txt's lists. */
int cap_rule_unsafe(judge_ctx *x);

/* caption-shape.c: page furniture judged by its shape; 1 = boilerplate
 * (x->detail says which shape). */
int cap_rule_shape(judge_ctx *x);
/* caption-cms.c: furniture the site's software writes (template variables,
 * "image for post N", file type labels, powered/protected-by and payment
 * badges); 1 =
 * boilerplate. */
int cap_rule_cms(judge_ctx *x);
/* caption-shape.c: number of words left when a credit segment ("- © Name",
 * "Foto: Agency") is removed; the full word count when there is none.
 * *credit_off (may be NULL) gets the credit's byte offset in x->norm, or
 * x->nlen when there is none. */
size_t cap_words_besides_credit(const judge_ctx *x, size_t *credit_off);

/* caption-place.c: 1 (x->detail names the facts) when x->place shows a
 * page's caption that the text rules judged R (keep or too_short) to be
 * page furniture: then it is boilerplate. */
int cap_rule_place(judge_ctx *x, caption_reason r);

/* caption-advert.c: 1 when the caption is written in the advertising
 * register (an offer or price word, a price per period, a firm's service
 * claim, the German formal address, an opening imperative) and is no
 * headline; WHAT (n bytes) gets
 * the cue ("offer word 'rabatte'"). Weak alone: caption-place.c pairs it
 * with a link to another site. */
int cap_advert_register(const judge_ctx *x, char *what, size_t n);
/* caption-advert.c: 1 when the caption is an offer label: an [offer] word
 * in at most 6 words, no colon ("ABOUT YOU Gutscheine"); WHAT names it.
 * caption-place.c pairs it with a link in a sidebar, navigation or ad slot. */
int cap_offer_label(const judge_ctx *x, char *what, size_t n);
/* caption-advert.c: 1 when the caption is a blog-community badge: a
 * [blog-badge] word or compound, or "top" before a number, in at most 8
 * words without a colon or a closing full stop or question mark ("2019
 * Reading Challenge", "die besten Fahrradblogs"); WHAT names it.
 * caption-place.c pairs it with a link to another site. */
int cap_blog_badge(const judge_ctx *x, char *what, size_t n);
/* caption-advert.c: 1 when the caption is an award, trust-seal,
 * certification or membership label standing alone (at most 8 words, no
 * colon, no closing full stop, no "wins"/"winning"); WHAT gets the seal
 * words. caption-place.c pairs it with a furniture spot of the page. */
int cap_seal_label(const judge_ctx *x, char *what, size_t n);

/* caption-names.c: compiles / frees f->rx (the default-name patterns;
 * a pattern that does not compile is a bug and aborts). */
void cap_names_compile(caption_filter *f);
void cap_names_free(caption_filter *f);
/* caption-names.c: 1 (x->detail says what matched) when the caption is a
 * URL, domain or path with fewer than three other words. */
int cap_rule_url(judge_ctx *x);
/* caption-names.c: 1 when the caption is a file name: a media file name, a
 * camera / phone / screenshot / messenger / download default name. */
int cap_rule_filename(judge_ctx *x);
/* caption-names.c: 1 when the caption is a no-space slug (hero-banner-v2,
 * header_bg_2x); judged after codes, so "SKU-89240-BLK" stays a code. */
int cap_rule_slug(judge_ctx *x);

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
/* 1 when the caption is a LaTeX formula: TeX commands or braced sub- and
 * superscripts, and no word of four or more letters outside commands. */
int cap_rule_latex(judge_ctx *x);

#endif
