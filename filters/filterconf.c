/* filterconf.c — the filter configuration file (see filterconf.h). */
#include "filterconf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_INT, K_DOUBLE, K_U64, K_BOOL, K_STR, K_PATH, K_LANGS, K_DEDUP } key_type;

typedef struct {
    const char *name;
    key_type type;
    size_t offset;
    size_t size;      /* K_STR/K_PATH/K_LANGS: buffer size */
    double min, max;  /* numeric range */
    const char *section; /* printed as a heading before the first key of a section */
    const char *doc;  /* comment printed above the key */
} key_desc;

#define OFF(f) offsetof(filter_config, f)
#define SZ(f) sizeof(((filter_config *)0)->f)

static const key_desc keys[] = {
    {"caption_min_chars", K_INT, OFF(caption_min_chars), 0, 0, 1000, "Captions",
     "too_short: a caption in a script written with spaces needs at least this\n"
     "many characters (after normalisation, spaces included) ..."},
    {"caption_min_words", K_INT, OFF(caption_min_words), 0, 0, 100, NULL,
     "... and at least this many words."},
    {"caption_min_chars_nospace", K_INT, OFF(caption_min_chars_nospace), 0, 0, 1000, NULL,
     "too_short for scripts written without spaces (Chinese, Japanese, Thai, Lao,\n"
     "Khmer, Myanmar): at least this many characters."},
    {"caption_max_chars", K_INT, OFF(caption_max_chars), 0, 1, 1000000, NULL,
     "Normalised captions longer than this many characters are cut (at a\n"
     "character boundary) before judging and storing; LAION cut at 2000."},
    {"languages", K_LANGS, OFF(languages), SZ(languages), 0, 0, NULL,
     "language: keep only captions CLD2 reliably detects as one of these\n"
     "(comma-separated codes such as en,de,ja). Empty keeps every language.\n"
     "The detected language is recorded either way; unreliable guesses are kept."},
    {"boilerplate_repeat_threshold", K_INT, OFF(boilerplate_repeat_threshold), 0, 0, 1e9, NULL,
     "boilerplate: a caption attached to at least this many distinct images\n"
     "(distinct sha256) in one dataset is boilerplate (as COYO did), judged by\n"
     "fetch and crawl when a run ends and by refilter. 0 turns the check off."},
    {"boilerplate_repeat_min_sources", K_INT, OFF(boilerplate_repeat_min_sources), 0, 1, 1e9, NULL,
     "... when those images were found on at least this many distinct pages\n"
     "(or hosts, for images without a page, as in a fetch list)."},
    {"reject_unsafe", K_BOOL, OFF(reject_unsafe), 0, 0, 1, NULL,
     "unsafe: reject captions matched by the unsafe word lists (yes/no)."},
    {"caption_placement_rule", K_BOOL, OFF(caption_placement_rule), 0, 0, 1, NULL,
     "boilerplate: let an image's placement on its page (navigation, profile\n"
     "picture, icon size, advert slot...; filters/caption-place.c) make its\n"
     "caption boilerplate (yes/no). no: page captions are judged on their text\n"
     "alone, as check-caption does without --placement."},
    {"unsafe_phrase_threshold", K_INT, OFF(unsafe_phrase_threshold), 0, 0, 100000, NULL,
     "unsafe: a caption whose weighted phrases (filters/wordlists/unsafe-phrases.txt,\n"
     "from e2guardian; innocent phrases weigh negative) sum to at least this is\n"
     "unsafe, when the word lists have not already said so. 0 turns it off."},
    {"boilerplate_file", K_PATH, OFF(boilerplate_file), SZ(boilerplate_file), 0, 0, NULL,
     "Extra boilerplate list added to the built-in one (format: see\n"
     "filters/wordlists/boilerplate.txt). Relative paths are taken from the\n"
     "directory of this file. Empty: built-in list only."},
    {"unsafe_file", K_PATH, OFF(unsafe_file), SZ(unsafe_file), 0, 0, NULL,
     "Extra unsafe list added to the built-in one (format: see\n"
     "filters/wordlists/unsafe.txt). Empty: built-in list only."},
    {"image_min_side", K_INT, OFF(image_min_side), 0, 0, 1000000, "Images",
     "Images whose smaller side has fewer pixels than this are rejected (too_small)."},
    {"image_max_aspect_ratio", K_DOUBLE, OFF(image_max_aspect_ratio), 0, 1, 1e9, NULL,
     "Images whose long side / short side exceeds this are rejected (aspect_ratio)."},
    {"image_max_pixels", K_U64, OFF(image_max_pixels), 0, 1, 1e15, NULL,
     "Images whose header claims more pixels than this are refused before\n"
     "decoding (decompression bombs; Pillow's limit is 89478485)."},
    {"image_min_bytes", K_U64, OFF(image_min_bytes), 0, 0, 1e15, NULL,
     "Image files smaller than this many bytes are rejected (tracking pixels, spacers)."},
    {"dedup", K_DEDUP, OFF(dedup), 0, 0, 0, "Duplicates",
     "Which duplicates are rejected (reason duplicate), comma-separated, any of:\n"
     "url (same normalised URL), url_caption (same URL and caption),\n"
     "sha256 (same original bytes), phash (64-bit perceptual hash within\n"
     "phash_max_distance), or none."},
    {"phash_max_distance", K_INT, OFF(phash_max_distance), 0, 0, 64, NULL,
     "Near-duplicates: perceptual hashes at most this many bits apart."},
    {"clip_min_score", K_DOUBLE, OFF(clip_min_score), 0, -1, 1, "CLIP",
     "Reject samples whose CLIP image-text cosine similarity is below this once\n"
     "scored (LAION used 0.28 with ViT-B/32). 0 turns it off."},
    {"nsfw_reject", K_BOOL, OFF(nsfw_reject), 0, 0, 1, NULL,
     "Reject samples the CLIP zero-shot NSFW tagger marks NSFW (yes), or only\n"
     "record the tag in the index (no)."},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

void filter_config_defaults(filter_config *c)
{
    memset(c, 0, sizeof *c);
    c->caption_min_chars = 5;
    c->caption_min_words = 2;
    c->caption_min_chars_nospace = 5;
    c->caption_max_chars = 2000;
    c->boilerplate_repeat_threshold = 10;
    c->boilerplate_repeat_min_sources = 2;
    c->reject_unsafe = 1;
    c->caption_placement_rule = 1;
    c->unsafe_phrase_threshold = 60;
    c->image_min_side = 64;
    c->image_max_aspect_ratio = 3.0;
    c->image_max_pixels = 89478484;
    c->image_min_bytes = 1024;
    c->dedup = FILTER_DEDUP_URL | FILTER_DEDUP_SHA256 | FILTER_DEDUP_PHASH;
    c->phash_max_distance = 4;
    c->clip_min_score = 0.0;
    c->nsfw_reject = 0;
}

static const key_desc *find_key(const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static const struct {
    const char *name;
    unsigned bit;
} dedup_names[] = {
    {"url", FILTER_DEDUP_URL},
    {"url_caption", FILTER_DEDUP_URL_CAPTION},
    {"sha256", FILTER_DEDUP_SHA256},
    {"phash", FILTER_DEDUP_PHASH},
};

/* Splits a comma list into trimmed items; calls fn for each non-empty one.
 * Returns -1 as soon as fn does. */
static int for_each_item(const char *v, int (*fn)(const char *item, size_t n, void *ctx), void *ctx)
{
    const char *p = v;
    while (*p) {
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        const char *a = p, *b = e;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b > a && fn(a, (size_t)(b - a), ctx) < 0)
            return -1;
        p = *e ? e + 1 : e;
    }
    return 0;
}

static int dedup_item(const char *item, size_t n, void *ctx)
{
    unsigned *mask = ctx;
    if (n == 4 && memcmp(item, "none", 4) == 0)
        return 0;
    for (size_t i = 0; i < sizeof dedup_names / sizeof dedup_names[0]; i++)
        if (strlen(dedup_names[i].name) == n && memcmp(dedup_names[i].name, item, n) == 0) {
            *mask |= dedup_names[i].bit;
            return 0;
        }
    return -1;
}

typedef struct {
    char *out;
    size_t cap, len;
} lang_acc;

static int lang_item(const char *item, size_t n, void *ctx)
{
    lang_acc *acc = ctx;
    if (n > 16)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)item[i]) && item[i] != '-')
            return -1;
    if (acc->len + n + 2 > acc->cap)
        return -1;
    if (acc->len)
        acc->out[acc->len++] = ',';
    for (size_t i = 0; i < n; i++)
        acc->out[acc->len++] = (char)tolower((unsigned char)item[i]);
    acc->out[acc->len] = '\0';
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *yes[] = {"yes", "true", "on", "1"}, *no[] = {"no", "false", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* Applies one key. base_dir ("" or a directory ending in '/') prefixes
 * relative paths. where = "FILE:LINE: " or "". */
static cc_err set_key(filter_config *c, const char *key, const char *value, const char *base_dir,
                      const char *where, char *err, size_t errlen)
{
    const key_desc *k = find_key(key);
    if (!k) {
        snprintf(err, errlen, "%sunknown key '%s'", where, key);
        return CC_ERR_FORMAT;
    }
    char *field = (char *)c + k->offset;
    char *end;
    errno = 0;
    switch (k->type) {
    case K_INT: {
        long v = strtol(value, &end, 10);
        if (!*value || *end || errno) {
            snprintf(err, errlen, "%s%s: '%s' is not an integer", where, key, value);
            return CC_ERR_FORMAT;
        }
        if (v < k->min || v > k->max) {
            snprintf(err, errlen, "%s%s: %ld is out of range [%g, %g]", where, key, v, k->min, k->max);
            return CC_ERR_RANGE;
        }
        *(int *)field = (int)v;
        break;
    }
    case K_U64: {
        if (*value == '-') {
            snprintf(err, errlen, "%s%s: '%s' must not be negative", where, key, value);
            return CC_ERR_RANGE;
        }
        unsigned long long v = strtoull(value, &end, 10);
        if (!*value || *end || errno) {
            snprintf(err, errlen, "%s%s: '%s' is not an integer", where, key, value);
            return CC_ERR_FORMAT;
        }
        if ((double)v < k->min || (double)v > k->max) {
            snprintf(err, errlen, "%s%s: %llu is out of range [%g, %g]", where, key, v, k->min, k->max);
            return CC_ERR_RANGE;
        }
        *(uint64_t *)field = v;
        break;
    }
    case K_DOUBLE: {
        double v = strtod(value, &end);
        if (!*value || *end || errno || !isfinite(v)) {
            snprintf(err, errlen, "%s%s: '%s' is not a number", where, key, value);
            return CC_ERR_FORMAT;
        }
        if (v < k->min || v > k->max) {
            snprintf(err, errlen, "%s%s: %g is out of range [%g, %g]", where, key, v, k->min, k->max);
            return CC_ERR_RANGE;
        }
        *(double *)field = v;
        break;
    }
    case K_BOOL:
        if (parse_bool(value, (int *)field) < 0) {
            snprintf(err, errlen, "%s%s: '%s' is not yes/no", where, key, value);
            return CC_ERR_FORMAT;
        }
        break;
    case K_STR:
    case K_PATH: {
        char full[FILTER_PATH_MAX * 2];
        if (k->type == K_PATH && *value && value[0] != '/' && base_dir && *base_dir)
            snprintf(full, sizeof full, "%s%s", base_dir, value);
        else
            snprintf(full, sizeof full, "%s", value);
        if (strlen(full) >= k->size) {
            snprintf(err, errlen, "%s%s: value is too long (at most %zu bytes)", where, key, k->size - 1);
            return CC_ERR_RANGE;
        }
        memcpy(field, full, strlen(full) + 1);
        break;
    }
    case K_LANGS: {
        char tmp[FILTER_LANGS_MAX];
        lang_acc acc = {tmp, sizeof tmp, 0};
        tmp[0] = '\0';
        if (for_each_item(value, lang_item, &acc) < 0) {
            snprintf(err, errlen, "%s%s: '%s' is not a comma-separated list of language codes", where, key, value);
            return CC_ERR_FORMAT;
        }
        memcpy(field, tmp, acc.len + 1);
        break;
    }
    case K_DEDUP: {
        unsigned mask = 0;
        if (for_each_item(value, dedup_item, &mask) < 0) {
            snprintf(err, errlen, "%s%s: '%s' is not a list of url, url_caption, sha256, phash, none", where, key, value);
            return CC_ERR_FORMAT;
        }
        *(unsigned *)field = mask;
        break;
    }
    }
    return CC_OK;
}

cc_err filter_config_set(filter_config *c, const char *key, const char *value, char *err, size_t errlen)
{
    filter_config tmp = *c;
    cc_err e = set_key(&tmp, key, value ? value : "", "", "", err, errlen);
    if (e == CC_OK)
        *c = tmp;
    return e;
}

cc_err filter_config_parse(filter_config *c, const char *text, size_t n, const char *name, char *err, size_t errlen)
{
    filter_config tmp = *c;
    if (!name)
        name = "(config)";
    char base_dir[FILTER_PATH_MAX] = "";
    const char *slash = strrchr(name, '/');
    if (slash && (size_t)(slash - name) + 2 < sizeof base_dir) {
        memcpy(base_dir, name, (size_t)(slash - name) + 1);
        base_dir[slash - name + 1] = '\0';
    }
    size_t pos = 0;
    int lineno = 0;
    char where[FILTER_PATH_MAX + 32];
    while (pos < n) {
        size_t start = pos;
        while (pos < n && text[pos] != '\n')
            pos++;
        size_t len = pos - start;
        if (pos < n)
            pos++;
        lineno++;
        snprintf(where, sizeof where, "%s:%d: ", name, lineno);
        if (memchr(text + start, '\0', len)) {
            snprintf(err, errlen, "%sNUL byte in line", where);
            return CC_ERR_FORMAT;
        }
        char *line = xstrndup(text + start, len);
        /* inline comment: '#' or ';' preceded by whitespace */
        for (char *p = line; *p; p++)
            if ((*p == '#' || *p == ';') && (p == line || isspace((unsigned char)p[-1]))) {
                *p = '\0';
                break;
            }
        char *a = line;
        while (isspace((unsigned char)*a))
            a++;
        char *e = a + strlen(a);
        while (e > a && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (!*a) {
            free(line);
            continue;
        }
        char *eq = strchr(a, '=');
        if (!eq) {
            snprintf(err, errlen, "%sexpected 'key = value', got '%.60s'", where, a);
            free(line);
            return CC_ERR_FORMAT;
        }
        char *kend = eq;
        while (kend > a && isspace((unsigned char)kend[-1]))
            kend--;
        *kend = '\0';
        char *v = eq + 1;
        while (isspace((unsigned char)*v))
            v++;
        /* optional surrounding double quotes */
        size_t vl = strlen(v);
        if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
            v[vl - 1] = '\0';
            v++;
        }
        if (!*a) {
            snprintf(err, errlen, "%smissing key before '='", where);
            free(line);
            return CC_ERR_FORMAT;
        }
        cc_err rc = set_key(&tmp, a, v, base_dir, where, err, errlen);
        free(line);
        if (rc != CC_OK)
            return rc;
    }
    *c = tmp;
    return CC_OK;
}

cc_err filter_config_load(filter_config *c, const char *path, char *err, size_t errlen)
{
    ccbuf b = {0};
    if (cc_read_file(path, &b) != CC_OK) {
        snprintf(err, errlen, "%s: cannot read filter configuration: %s", path, strerror(errno));
        ccbuf_free(&b);
        return CC_ERR_IO;
    }
    cc_err e = filter_config_parse(c, (const char *)b.data, b.len, path, err, errlen);
    ccbuf_free(&b);
    return e;
}

/* Shortest decimal that reads back as exactly v. */
static void put_double(ccbuf *out, double v)
{
    char tmp[64];
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    ccbuf_puts(out, tmp);
}

void filter_config_write(const filter_config *c, ccbuf *out)
{
    ccbuf_puts(out,
               "# clipcrawl filter configuration (clipcrawl filters --print-defaults).\n"
               "# Format: 'key = value' lines; '#' starts a comment. Pass with --filters FILE\n"
               "# to fetch, crawl, check-caption and refilter; CLI flags override it.\n");
    for (size_t i = 0; i < N_KEYS; i++) {
        const key_desc *k = &keys[i];
        const char *field = (const char *)c + k->offset;
        if (k->section)
            ccbuf_printf(out, "\n# ==== %s ====\n", k->section);
        ccbuf_putc(out, '\n');
        for (const char *p = k->doc; *p;) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            ccbuf_puts(out, "# ");
            ccbuf_append(out, p, len);
            ccbuf_putc(out, '\n');
            p += len;
            if (*p)
                p++;
        }
        ccbuf_printf(out, "%s = ", k->name);
        switch (k->type) {
        case K_INT:
            ccbuf_printf(out, "%d", *(const int *)field);
            break;
        case K_U64:
            ccbuf_printf(out, "%llu", (unsigned long long)*(const uint64_t *)field);
            break;
        case K_DOUBLE:
            put_double(out, *(const double *)field);
            break;
        case K_BOOL:
            ccbuf_puts(out, *(const int *)field ? "yes" : "no");
            break;
        case K_STR:
        case K_PATH:
        case K_LANGS:
            ccbuf_puts(out, field);
            break;
        case K_DEDUP: {
            unsigned m = *(const unsigned *)field;
            int first = 1;
            for (size_t j = 0; j < sizeof dedup_names / sizeof dedup_names[0]; j++)
                if (m & dedup_names[j].bit) {
                    ccbuf_printf(out, "%s%s", first ? "" : ",", dedup_names[j].name);
                    first = 0;
                }
            if (first)
                ccbuf_puts(out, "none");
            break;
        }
        }
        ccbuf_putc(out, '\n');
    }
}

int filter_config_equal(const filter_config *a, const filter_config *b)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        const key_desc *k = &keys[i];
        const char *fa = (const char *)a + k->offset, *fb = (const char *)b + k->offset;
        switch (k->type) {
        case K_INT:
        case K_BOOL:
            if (*(const int *)fa != *(const int *)fb)
                return 0;
            break;
        case K_DEDUP:
            if (*(const unsigned *)fa != *(const unsigned *)fb)
                return 0;
            break;
        case K_U64:
            if (*(const uint64_t *)fa != *(const uint64_t *)fb)
                return 0;
            break;
        case K_DOUBLE:
            if (*(const double *)fa != *(const double *)fb)
                return 0;
            break;
        case K_STR:
        case K_PATH:
        case K_LANGS:
            if (strcmp(fa, fb) != 0)
                return 0;
            break;
        }
    }
    return 1;
}

int filter_config_language_allowed(const filter_config *c, const char *code)
{
    if (!c->languages[0])
        return 1;
    if (!code)
        return 0;
    size_t cl = strcspn(code, "-");
    const char *p = c->languages;
    while (*p) {
        size_t l = strcspn(p, ",");
        size_t base = strcspn(p, "-,");
        /* "zh" in the list allows "zh-Hant"; "zh-hant" in the list allows only that. */
        if ((base == l && l == cl && strncasecmp(p, code, l) == 0) ||
            (l == strlen(code) && strncasecmp(p, code, l) == 0))
            return 1;
        p += l;
        if (*p == ',')
            p++;
    }
    return 0;
}

cc_err filter_config_from_args(filter_config *c, int *argc, char **argv, char *err, size_t errlen)
{
    static const struct {
        const char *flag, *key, *fixed; /* fixed: value for flags without an argument */
    } opts[] = {
        {"--languages", "languages", NULL},
        {"--min-words", "caption_min_words", NULL},
        {"--min-chars", "caption_min_chars", NULL},
        {"--max-chars", "caption_max_chars", NULL},
        {"--no-unsafe-filter", "reject_unsafe", "no"},
        {"--no-placement-rule", "caption_placement_rule", "no"},
        {"--unsafe-phrase-threshold", "unsafe_phrase_threshold", NULL},
        {"--min-image-size", "image_min_side", NULL},
        {"--max-aspect-ratio", "image_max_aspect_ratio", NULL},
        {"--min-clip-score", "clip_min_score", NULL},
        {"--nsfw-reject", "nsfw_reject", "yes"},
        {"--filter", NULL, NULL},
    };
    filter_config tmp = *c;
    int n = *argc;
    /* pass 1: the file */
    for (int i = 1; i < n; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        const char *file = NULL;
        if (strcmp(argv[i], "--filters") == 0) {
            if (i + 1 >= n) {
                snprintf(err, errlen, "--filters needs a FILE");
                return CC_ERR_USAGE;
            }
            file = argv[i + 1];
        } else if (strncmp(argv[i], "--filters=", 10) == 0) {
            file = argv[i] + 10;
        }
        if (file) {
            cc_err e = filter_config_load(&tmp, file, err, errlen);
            if (e != CC_OK)
                return e;
        }
    }
    /* pass 2: flags, removing everything we recognise */
    int out = 1, stop = 0;
    for (int i = 1; i < n; i++) {
        const char *a = argv[i];
        if (stop || strcmp(a, "--") == 0) {
            stop = 1;
            argv[out++] = argv[i];
            continue;
        }
        if (strcmp(a, "--filters") == 0) {
            i++;
            continue;
        }
        if (strncmp(a, "--filters=", 10) == 0)
            continue;
        int matched = 0;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0] && !matched; k++) {
            size_t fl = strlen(opts[k].flag);
            if (strncmp(a, opts[k].flag, fl) != 0 || (a[fl] != '\0' && a[fl] != '='))
                continue;
            matched = 1;
            const char *val;
            if (opts[k].fixed) {
                if (a[fl] == '=') {
                    snprintf(err, errlen, "%s takes no value", opts[k].flag);
                    return CC_ERR_USAGE;
                }
                val = opts[k].fixed;
            } else if (a[fl] == '=') {
                val = a + fl + 1;
            } else if (i + 1 < n) {
                val = argv[++i];
            } else {
                snprintf(err, errlen, "%s needs a value", opts[k].flag);
                return CC_ERR_USAGE;
            }
            char msg[256];
            cc_err e;
            if (!opts[k].key) { /* --filter KEY=VALUE */
                const char *eq = strchr(val, '=');
                if (!eq) {
                    snprintf(err, errlen, "--filter '%s': expected KEY=VALUE", val);
                    return CC_ERR_USAGE;
                }
                char key[64];
                snprintf(key, sizeof key, "%.*s", (int)(eq - val), val);
                e = set_key(&tmp, key, eq + 1, "", "", msg, sizeof msg);
            } else {
                e = set_key(&tmp, opts[k].key, val, "", "", msg, sizeof msg);
            }
            if (e != CC_OK) {
                snprintf(err, errlen, "%s: %s", opts[k].flag, msg);
                return e;
            }
        }
        if (!matched)
            argv[out++] = argv[i];
    }
    if (out < n)
        argv[out] = NULL;
    *argc = out;
    *c = tmp;
    return CC_OK;
}
