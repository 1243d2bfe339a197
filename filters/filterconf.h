/* filterconf.h — the one configuration of every filter (captions and images).
 *
 * Every threshold and list the filters use lives in one filter_config, which
 * is read from ONE text file (`--filters FILE` on fetch, crawl, check-caption
 * and refilter; CLI flags override what the file says). The format:
 *
 *     # a comment (also ';'); blank lines are ignored
 *     key = value          # an inline comment needs whitespace before '#'
 *
 * Keys are case-sensitive, each may appear any number of times (the last one
 * wins), values are trimmed. Booleans are yes/no, true/false, on/off, 1/0.
 * An unknown key, a malformed or out-of-range value is an error naming
 * FILE:LINE and the key; nothing is half-applied to the caller's config
 * (the parse works on a copy).
 *
 * `clipcrawl filters --print-defaults` prints the complete default file with
 * a comment on every key (filter_config_write()); parsing that text back gives
 * a config equal to filter_config_defaults(). filters/README.md documents it.
 *
 * A filter_config is a plain value (no pointers): copy it freely, share it
 * read-only between threads.
 */
#ifndef CC_FILTERS_FILTERCONF_H
#define CC_FILTERS_FILTERCONF_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define FILTER_LANGS_MAX 128 /* bytes for the languages list, NUL included */
#define FILTER_PATH_MAX 512  /* bytes for a list-file path, NUL included */

/* Dedup modes (a bitmask in filter_config.dedup). */
enum {
    FILTER_DEDUP_URL = 1,         /* same normalised image URL */
    FILTER_DEDUP_URL_CAPTION = 2, /* same (URL, caption) pair */
    FILTER_DEDUP_SHA256 = 4,      /* same original bytes */
    FILTER_DEDUP_PHASH = 8        /* perceptual hash within phash_max_distance */
};

typedef struct {
    /* ---- captions ---- */
    int caption_min_chars;         /* fewer characters (spaced scripts) -> too_short */
    int caption_min_words;         /* fewer words (spaced scripts) -> too_short */
    int caption_min_chars_nospace; /* CJK/Thai/...: fewer characters -> too_short */
    int caption_max_chars;         /* normalised captions are cut to this many characters */
    char languages[FILTER_LANGS_MAX]; /* "en,de": keep only these; "" keeps all */
    int boilerplate_repeat_threshold; /* a caption on >= N distinct images is boilerplate; 0 = off */
    int boilerplate_repeat_min_sources; /* ... when those images come from >= M pages or hosts */
    int reject_unsafe;             /* 1: reject captions the unsafe lists match */
    int caption_placement_rule;    /* 1: a page image's placement may make its caption boilerplate */
    int unsafe_phrase_threshold;   /* weighted unsafe phrases scoring >= this -> unsafe; 0 = off */
    char boilerplate_file[FILTER_PATH_MAX]; /* extra boilerplate list ("" = built-in only) */
    char unsafe_file[FILTER_PATH_MAX];      /* extra unsafe list ("" = built-in only) */
    /* ---- images ---- */
    int image_min_side;            /* smaller side below this -> rejected */
    double image_max_aspect_ratio; /* long side / short side above this -> rejected */
    uint64_t image_max_pixels;     /* header claiming more pixels -> rejected before decoding */
    uint64_t image_min_bytes;      /* smaller files -> rejected */
    unsigned dedup;                /* FILTER_DEDUP_* bitmask */
    int phash_max_distance;        /* near-duplicate when Hamming distance <= this */
    double clip_min_score;         /* CLIP similarity below this -> rejected; 0 = off */
    int nsfw_reject;               /* 1: reject samples CLIP tags NSFW (else only tag) */
} filter_config;

/* Fills c with the built-in defaults. */
void filter_config_defaults(filter_config *c);

/* Applies the `key = value` lines of text (n bytes, need not be NUL-terminated)
 * on top of *c. name is used in messages ("FILE:LINE: ..."); relative list-file
 * paths are resolved against the directory part of name.
 * Returns CC_OK, or CC_ERR_FORMAT / CC_ERR_RANGE with a one-line message in
 * err (e.g. "my.conf:7: unknown key 'min_sise'"); *c is then unchanged. */
cc_err filter_config_parse(filter_config *c, const char *text, size_t n, const char *name, char *err, size_t errlen);

/* Reads and parses the file at path on top of *c. CC_ERR_IO if it cannot be
 * read (message names the file), else as filter_config_parse(). */
cc_err filter_config_load(filter_config *c, const char *path, char *err, size_t errlen);

/* Sets one key (what a CLI flag does). CC_OK, or CC_ERR_FORMAT (unknown key,
 * malformed value) / CC_ERR_RANGE with a message naming key and value. */
cc_err filter_config_set(filter_config *c, const char *key, const char *value, char *err, size_t errlen);

/* Appends the complete configuration file for *c, every key with its comment,
 * to out. filter_config_parse() of that text reproduces *c exactly. */
void filter_config_write(const filter_config *c, ccbuf *out);

/* 1 if a and b hold the same settings, else 0. */
int filter_config_equal(const filter_config *a, const filter_config *b);

/* 1 if the language code (e.g. "de", "zh-Hant": compared on the part before
 * '-') is allowed by c->languages (always 1 when that is empty), else 0. */
int filter_config_language_allowed(const filter_config *c, const char *code);

/* Command-line support shared by fetch, crawl, check-caption and refilter.
 * Scans argv[1..*argc) for the filter options below, applies them to *c and
 * removes them from argv (updating *argc; argv stays NULL-terminated if it
 * was), leaving everything else in order for the command's own parsing.
 * --filters FILE is applied first wherever it appears, so flags override it.
 *   --filters FILE            the configuration file
 *   --filter KEY=VALUE        any key of the file
 *   --languages LIST          languages
 *   --min-words N / --min-chars N / --max-chars N   caption_min_words / _chars / max
 *   --no-unsafe-filter        reject_unsafe = no
 *   --no-placement-rule       caption_placement_rule = no
 *   --unsafe-phrase-threshold N   unsafe_phrase_threshold
 *   --min-image-size N        image_min_side
 *   --max-aspect-ratio X      image_max_aspect_ratio
 *   --min-clip-score X        clip_min_score
 *   --nsfw-reject             nsfw_reject = yes
 * Stops at "--". Returns CC_OK, or an error with a one-line message naming
 * the option (or FILE:LINE and key) in err. */
cc_err filter_config_from_args(filter_config *c, int *argc, char **argv, char *err, size_t errlen);

/* The usage lines for the options above (for a command's --help). */
#define FILTER_CONFIG_USAGE \
    "  --filters FILE         filter configuration (clipcrawl filters --print-defaults)\n" \
    "  --filter KEY=VALUE     set one configuration key\n" \
    "  --languages LIST       keep only captions in these languages (en,de,...)\n" \
    "  --min-words N, --min-chars N, --max-chars N   caption length limits\n" \
    "  --no-unsafe-filter     do not reject captions the unsafe lists match\n" \
    "  --unsafe-phrase-threshold N   unsafe when weighted phrases sum to N (0: off)\n" \
    "  --min-image-size N, --max-aspect-ratio X, --min-clip-score X, --nsfw-reject\n"

#endif
