/* options.c — the command-line options many commands share, parsed once:
 * the image path's download/image/filter/model flags (fetch, crawl, warc) and
 * the CLIP commands' model flags (score, embed, classify). See pipeline.h. */
#include <stdio.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "text.h"

void pipeline_options_init(pipeline_options *o)
{
    memset(o, 0, sizeof *o);
    o->image_size = 256;
    o->resize_mode = RESIZE_BORDER;
    o->encode_format = ENC_JPG;
    o->encode_quality = -1; /* the format's default, chosen in pipeline_new() */
    filter_config_defaults(&o->filters);
    o->judge_captions = 1;
    o->workers = cc_ncpus();
    o->decode_memory = PIPELINE_DEFAULT_DECODE_MEMORY;
}

static int parse_num(const char *v, double lo, double hi, double *out)
{
    if (!v || !*v)
        return -1;
    char *end;
    double d = strtod(v, &end);
    if (*end || d != d || d < lo || d > hi)
        return -1;
    *out = d;
    return 0;
}

int pipeline_options_check(const pipeline_options *o, char *err, size_t errlen)
{
    if (o->keep_original && o->resize_flags_given) {
        snprintf(err, errlen, "--keep-original stores the downloaded bytes as they are: --image-size, "
                              "--resize-mode, --resize-only-if-bigger, --encode-format and --encode-quality "
                              "would do nothing with it");
        return -1;
    }
    const char *env = getenv("CLIPCRAWL_MODEL");
    if (o->filters.clip_min_score != 0 && !o->model && !(env && *env)) {
        snprintf(err, errlen, "--min-clip-score (clip_min_score) needs --model M (or CLIPCRAWL_MODEL): there is "
                              "no CLIP model to score with");
        return -1;
    }
    return 0;
}

int pipeline_option(pipeline_options *o, http_options *h, const char *flag, const char *value,
                    int *takes_value, char *err, size_t errlen)
{
    static const char *const no_value[] = {"--allow-private", "--allow-loopback", "--keep-original", "--no-dedup",
                                           "--no-caption-filter", "--resize-only-if-bigger"};
    *takes_value = 1;
    for (size_t i = 0; i < sizeof no_value / sizeof no_value[0]; i++)
        if (strcmp(flag, no_value[i]) == 0)
            *takes_value = 0;
    double d = 0;
    if (strcmp(flag, "--image-size") == 0 || strcmp(flag, "--resize-mode") == 0 ||
        strcmp(flag, "--resize-only-if-bigger") == 0 || strcmp(flag, "--encode-format") == 0 ||
        strcmp(flag, "--encode-quality") == 0)
        o->resize_flags_given = 1;
#define NUM(name, lo, hi, target)                                                        \
    if (strcmp(flag, name) == 0) {                                                       \
        if (parse_num(value, lo, hi, &d) != 0) {                                         \
            snprintf(err, errlen, "%s needs a number in [%g, %g], got '%s'", name,       \
                     (double)(lo), (double)(hi), value ? value : "");                   \
            return -1;                                                                   \
        }                                                                                \
        target;                                                                          \
        return 1;                                                                        \
    }
    NUM("--concurrency", 1, 4096, h->max_concurrency = (int)d)
    NUM("--timeout", 0.1, 86400, h->timeout = d)
    NUM("--connect-timeout", 0.1, 3600, h->connect_timeout = d)
    NUM("--max-bytes", 1, 1e12, h->max_bytes = (size_t)d)
    NUM("--retries", 0, 20, h->retries = (int)d)
    NUM("--decode-memory", 16, 1e7, o->decode_memory = (uint64_t)(d * 1048576.0))
    NUM("--image-size", 8, 8192, o->image_size = (int)d)
    NUM("--encode-quality", 0, 100, o->encode_quality = (int)d)
    NUM("--max-pixels", 1, 1e12, o->filters.image_max_pixels = (uint64_t)d)
    NUM("--min-bytes", 0, 1e12, o->filters.image_min_bytes = (uint64_t)d)
    NUM("--workers", 1, 256, o->workers = (int)d)
#undef NUM
    if (strcmp(flag, "--model") == 0 || strcmp(flag, "--tokenizer") == 0) {
        if (!value || !*value) {
            snprintf(err, errlen, "%s needs a directory", flag);
            return -1;
        }
        if (flag[2] == 'm')
            o->model = value;
        else
            o->tokenizer = value;
        return 1;
    }
    if (strcmp(flag, "--precision") == 0) {
        if (!value || clip_precision_parse(value, &o->precision) != 0) {
            snprintf(err, errlen, "unknown --precision '%s' (fp32, bf16)", value ? value : "");
            return -1;
        }
        return 1;
    }
    if (strcmp(flag, "--user-agent") == 0) {
        if (!value || !*value) {
            snprintf(err, errlen, "--user-agent needs a value");
            return -1;
        }
        h->user_agent = value;
        return 1;
    }
    if (strcmp(flag, "--resize-mode") == 0) {
        if (!value || img_resize_mode_parse(value, &o->resize_mode) != 0) {
            snprintf(err, errlen, "unknown --resize-mode '%s' (no, border, keep_ratio, keep_ratio_largest, center_crop)",
                     value ? value : "");
            return -1;
        }
        return 1;
    }
    if (strcmp(flag, "--encode-format") == 0) {
        if (!value || img_encode_format_parse(value, &o->encode_format) != 0) {
            snprintf(err, errlen, "unknown --encode-format '%s' (jpg, png, webp)", value ? value : "");
            return -1;
        }
        return 1;
    }
    if (strcmp(flag, "--allow-loopback") == 0) {
        h->allow_loopback = 1;
        return 1;
    }
    if (strcmp(flag, "--resolve") == 0) {
        /* HOST:PORT:ADDRESS, as curl takes it */
        const char *c1 = value ? strchr(value, ':') : NULL;
        const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || c1 == value || c2 == c1 + 1 || !c2[1]) {
            snprintf(err, errlen, "--resolve needs HOST:PORT:ADDRESS, got '%s'", value ? value : "");
            return -1;
        }
        size_t n = 0;
        while (n < PIPELINE_MAX_RESOLVE && o->resolve[n])
            n++;
        if (n == PIPELINE_MAX_RESOLVE) {
            snprintf(err, errlen, "at most %d --resolve entries", PIPELINE_MAX_RESOLVE);
            return -1;
        }
        o->resolve[n] = value;
        o->resolve[n + 1] = NULL;
        h->resolve = o->resolve;
        return 1;
    }
    if (strcmp(flag, "--allow-private") == 0) {
        h->allow_private = 1;
        return 1;
    }
    if (strcmp(flag, "--keep-original") == 0) {
        o->keep_original = 1;
        return 1;
    }
    if (strcmp(flag, "--no-dedup") == 0) {
        o->filters.dedup = 0;
        return 1;
    }
    if (strcmp(flag, "--resize-only-if-bigger") == 0) {
        o->resize_only_if_bigger = 1;
        return 1;
    }
    if (strcmp(flag, "--no-caption-filter") == 0) {
        o->judge_captions = 0;
        return 1;
    }
    *takes_value = 0;
    return 0;
}

int pipeline_image_option(pipeline_options *o, const char *flag, const char *value, int *takes_value, char *err,
                          size_t errlen)
{
    static const char *const image_flags[] = {"--image-size", "--resize-mode", "--resize-only-if-bigger",
                                              "--encode-format", "--encode-quality"};
    *takes_value = 0;
    for (size_t i = 0; i < sizeof image_flags / sizeof image_flags[0]; i++)
        if (strcmp(flag, image_flags[i]) == 0) {
            http_options scratch; /* untouched: none of these flags is a download flag */
            memset(&scratch, 0, sizeof scratch);
            return pipeline_option(o, &scratch, flag, value, takes_value, err, errlen);
        }
    return 0;
}

int pipeline_encode_quality(const pipeline_options *o)
{
    /* PNG's "quality" is a zlib level 0..9: 95 (the jpg/webp default) would
     * fail every encode, so the default is per format and a too-high level is capped. */
    if (o->encode_quality < 0)
        return o->encode_format == ENC_PNG ? 6 : 95;
    if (o->encode_format == ENC_PNG && o->encode_quality > 9)
        return 9;
    return o->encode_quality;
}

void clip_tool_options_init(clip_tool_options *o)
{
    memset(o, 0, sizeof *o);
    o->model = getenv("CLIPCRAWL_MODEL");
    if (o->model && !*o->model)
        o->model = NULL;
    o->precision = CLIP_FP32;
    o->batch = 16;
}

/* The value of option name at argv[*i] ("--name V" or "--name=V"); NULL when
 * argv[*i] is another option, or (with *bad set) when the value is missing. */
static const char *opt_value(const char *name, int argc, char **argv, int *i, int *bad)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) == 0 && a[n] == '=')
        return a + n + 1;
    if (strcmp(a, name) != 0)
        return NULL;
    if (*i + 1 >= argc) {
        *bad = 1;
        return NULL;
    }
    return argv[++*i];
}

int clip_tool_option(clip_tool_options *o, int argc, char **argv, int *i, char *err, size_t errlen)
{
    static const char *const names[] = {"--model", "--tokenizer", "--precision", "--threads", "--batch"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        int bad = 0;
        const char *v = opt_value(names[k], argc, argv, i, &bad);
        if (bad) {
            snprintf(err, errlen, "%s needs a value", names[k]);
            return -1;
        }
        if (!v)
            continue;
        double d = 0;
        switch (k) {
        case 0: o->model = v; break;
        case 1: o->tokenizer = v; break;
        case 2:
            if (clip_precision_parse(v, &o->precision) != 0) {
                snprintf(err, errlen, "--precision must be fp32 or bf16, not '%s'", v);
                return -1;
            }
            break;
        case 3:
            if (parse_num(v, 1, 1024, &d) != 0 || d != (int)d) {
                snprintf(err, errlen, "--threads must be 1..1024, not '%s'", v);
                return -1;
            }
            o->threads = (int)d;
            break;
        case 4:
            if (parse_num(v, 1, 4096, &d) != 0 || d != (int)d) {
                snprintf(err, errlen, "--batch must be 1..4096, not '%s'", v);
                return -1;
            }
            o->batch = (int)d;
            break;
        }
        return 1;
    }
    return 0;
}

int crawl_option(crawl_options *o, const char *flag, const char *value, char *err, size_t errlen)
{
    long n;
    if (!value)
        return 0;
    if (strcmp(flag, "-o") == 0 || strcmp(flag, "--output") == 0) {
        o->out_dir = value;
    } else if (strcmp(flag, "--host-concurrency") == 0) {
        if (cc_parse_long(value, 1, 64, &n) != 0) {
            snprintf(err, errlen, "--host-concurrency needs 1..64, got '%s'", value);
            return -1;
        }
        o->host_concurrency = (int)n;
    } else if (strcmp(flag, "--host-delay") == 0) {
        char *end;
        errno = 0;
        double d = strtod(value, &end);
        if (!*value || errno || *end || !isfinite(d) || d < 0 || d > 3600) {
            snprintf(err, errlen, "--host-delay needs seconds in [0, 3600], got '%s'", value);
            return -1;
        }
        o->host_delay = d;
    } else if (strcmp(flag, "--samples-per-shard") == 0) {
        if (cc_parse_long(value, 1, DATASET_MAX_SAMPLES_PER_SHARD, &n) != 0) {
            snprintf(err, errlen, "--samples-per-shard needs 1..%d, got '%s'", DATASET_MAX_SAMPLES_PER_SHARD, value);
            return -1;
        }
        o->dataset.samples_per_shard = (int)n;
    } else {
        return 0;
    }
    return 1;
}
