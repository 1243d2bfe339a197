/* caption.h — normalising and judging captions (alt texts).
 *
 * A caption is first NORMALISED (caption_normalise): HTML character references
 * decoded (Python html.unescape semantics), invalid UTF-8 repaired (each bad
 * byte becomes U+FFFD), control and invisible format characters removed
 * (ZWJ/ZWNJ kept), every kind of whitespace collapsed to one space and
 * trimmed, Unicode NFC applied, and the result cut to max_chars characters at
 * a character boundary (LAION cut at 2000).
 *
 * It is then JUDGED by rules tried in this order; the first that fires gives
 * the reason code (stored in the index, printed by check-caption):
 *
 *   empty        nothing but spaces, punctuation or symbols
 *   unsafe       the unsafe word lists match (filters/wordlists/unsafe.txt):
 *                whole-word matching, ambiguous words need a second cue;
 *                or its weighted phrases (unsafe-phrases.txt, from
 *                e2guardian; caption-phrases.h) sum to at least
 *                filter_config.unsafe_phrase_threshold
 *                (only when filter_config.reject_unsafe)
 *   url_or_path  a URL, domain, file-system path, e-mail address or data: URI
 *                with < 3 other words
 *   filename     a camera/phone/CMS/screenshot file name, with or without an
 *                extension (IMG_1234.JPG, PXL_20230101_123456789, image (3).png,
 *                Screenshot 2023-01-02 at 10.11.12, Untitled-1, ...)
 *   isbn         only checksum-valid ISBN-10/13 numbers plus boilerplate words
 *                ("ISBN-13: 978-3-16-148410-0 (paperback)"); a sentence that
 *                mentions an ISBN is not rejected by this rule
 *   code_or_id   only codes, numbers, dates, hashes, UUIDs and their labels
 *                ("SKU-89240-BLK", "Art.-Nr. 4711", "LCCN 2001012345", "12345"),
 *                or a checksum-valid IBAN / EAN-GTIN with <= 2 other words
 *   filename     (second pass) a no-space slug such as hero-banner-v2 or
 *                header_bg_2x — after code_or_id so SKUs stay code_or_id
 *   boilerplate  only curated boilerplate phrases plus trivial words ("logo",
 *                "click here", "share on Facebook", "画像", navigation and
 *                admonition words in 20+ languages; see
 *                filters/wordlists/boilerplate.txt), or page furniture by its
 *                shape (caption-shape.c: "[Note]", credit lines, "X logo",
 *                share/subscribe calls to action, ratings, home-page links);
 *                repeated captions are judged by the dataset layer through
 *                caption_is_repeated()
 *   too_short    fewer than caption_min_words words (words are separated by
 *                spaces: "Hyundai-Logo" is one) or caption_min_chars
 *                characters, also when a credit is left out ("Weide - ©
 *                Name"); for scripts written without spaces (CJK, kana,
 *                Thai, ...) fewer than caption_min_chars_nospace (5) characters
 *   boilerplate  (placement, caption_judge_placed only) what the text rules
 *                keep or call too short, when the page's facts about the
 *                image show furniture (filters/caption-place.c): a user
 *                name by a profile picture, a bare name by an unlinked
 *                icon-sized one (an avatar), an icon-sized image whose alt
 *                is on 3+ images, "Logo de X" in the page's logo spot or
 *                navigation, a linked icon/badge in navigation or to
 *                another site in a few words, a linked image of a
 *                standard advert size
 *   language     filter_config.languages is set, CLD2 is reliably sure of the
 *                language and it is not in the list
 *
 * The language is detected (and reported) for every non-empty caption.
 * Thread safety: a caption_filter is immutable after caption_filter_new();
 * caption_judge() may be called from any number of threads at once.
 */
#ifndef CC_FILTERS_CAPTION_H
#define CC_FILTERS_CAPTION_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "filterconf.h"
#include "placement.h"

/* Reason codes. Append only: reason names are stored in the index. */
typedef enum {
    CAPTION_KEEP = 0,
    CAPTION_EMPTY,
    CAPTION_TOO_SHORT,
    CAPTION_FILENAME,
    CAPTION_URL_OR_PATH,
    CAPTION_ISBN,
    CAPTION_CODE_OR_ID,
    CAPTION_BOILERPLATE,
    CAPTION_UNSAFE,
    CAPTION_LANGUAGE,
    CAPTION__COUNT
} caption_reason;

/* "keep", "empty", "too_short", "filename", "url_or_path", "isbn",
 * "code_or_id", "boilerplate", "unsafe", "language"; "?" out of range. */
const char *caption_reason_name(caption_reason r);
/* The reason with that name, or -1. */
int caption_reason_parse(const char *name);

typedef struct {
    caption_reason code;  /* CAPTION_KEEP or why it is rejected */
    const char *reason;   /* caption_reason_name(code): static, never NULL */
    char detail[160];     /* a short human note ("matched 'logo'", "ISBN 9783161484100"); may be "" */
    char language[16];    /* CLD2 code ("en", "zh-Hant", "un" if unknown; "" for empty captions) */
    int language_reliable;/* 1 if CLD2 called its guess reliable */
} caption_verdict;

typedef struct caption_filter caption_filter;

/* Builds a filter from config c (copied; NULL = defaults): the built-in word
 * lists plus c->boilerplate_file / c->unsafe_file when set.
 * Returns NULL only when such an extra list file cannot be read; the reason is
 * then in err (caption_filter_new_err) — caption_filter_new() logs it. */
caption_filter *caption_filter_new(const filter_config *c);
caption_filter *caption_filter_new_err(const filter_config *c, char *err, size_t errlen);
void caption_filter_free(caption_filter *f); /* NULL is a no-op */
/* The configuration the filter was built with. */
const filter_config *caption_filter_config(const caption_filter *f);

/* Normalises text[0..n) and judges it. When normalised_out is non-NULL it is
 * reset and receives the normalised caption (what should be stored).
 * Any bytes are accepted (NULL with n = 0 is an empty caption). */
caption_verdict caption_judge(const caption_filter *f, const char *text, size_t n, ccbuf *normalised_out);

/* Where a caption comes from: a page's placement facts about its image
 * (common/placement.h), or CC_PLACE_LIST for a URL list row. NULL (or bits
 * CC_PLACE_UNKNOWN) = origin unknown: the text alone is judged. */
typedef struct {
    unsigned bits;      /* CC_PLACE_* bits; CC_PLACE_UNKNOWN = origin unknown */
    int width, height;  /* declared size in CSS px; 0 = unknown */
    int repeats;        /* images on the same page with the same alt text; 0 = unknown */
} caption_place;

/* caption_judge() with the page's facts about the image: the placement
 * rule may then reject a caption the text alone would keep (detail names
 * the facts). With CC_PLACE_LIST (a URL list's row) the picture is the
 * caption's subject: the furniture shapes that read a kind of picture
 * ("Tree City USA Logo"), a verb or media word opening a title, or a
 * network named as a topic as a page's furniture do not fire
 * (caption-shape.c, filters/README.md). place NULL is caption_judge(). */
caption_verdict caption_judge_placed(const caption_filter *f, const char *text, size_t n, const caption_place *place,
                                     ccbuf *normalised_out);

/* The normalisation described above; appends to out (not reset first).
 * max_chars <= 0 means no cap. */
void caption_normalise(const char *text, size_t n, int max_chars, ccbuf *out);

/* The repeated-caption rule (COYO): the pipeline (pipeline/repeats.h)
 * counts, per caption_repeat_key() of the normalised caption (case, accents
 * and spacing ignored), the distinct images (sha256) and the distinct sources
 * (pages, or hosts for images without a page) and asks caption_is_repeated()
 * whether that makes the caption boilerplate: 1 when
 * boilerplate_repeat_threshold > 0, distinct_images >= it and
 * distinct_sources >= boilerplate_repeat_min_sources; else 0. */
uint64_t caption_repeat_key(const char *normalised, size_t n);
int caption_is_repeated(const caption_filter *f, uint64_t distinct_images, uint64_t distinct_sources);

/* ISBN check digits: s[0..n) holds exactly 10 (digits, last may be X/x) or
 * 13 digits (978/979 prefix required). Returns 1 if the checksum is valid. */
int caption_isbn_valid(const char *s, size_t n);

/* Lengths as too_short sees them, of a normalised caption. */
typedef struct {
    size_t chars;          /* code points, spaces included (as LAION counted) */
    size_t words;          /* words (space-separated runs holding a letter/digit; each no-space-script character is one) */
    size_t nospace_chars;  /* characters of scripts written without spaces (Han, kana, Thai, ...) */
    int nospace;           /* 1 if the caption is judged by nospace_chars */
} caption_length;
void caption_measure(const char *normalised, size_t n, caption_length *out);

#endif
