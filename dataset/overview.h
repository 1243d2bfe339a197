/* overview.h — a dataset at a glance: the figures `stats` prints and
 * `report` draws (the funnel, rejections and failures by reason, hosts,
 * CLIP-score and caption-length distributions, examples). */
#ifndef CC_DATASET_OVERVIEW_H
#define CC_DATASET_OVERVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "dataset.h"

typedef struct {
    char *name;
    int64_t n;
    int64_t accepted;   /* hosts: how many of n were accepted */
} dataset_count;

typedef struct {
    /* the funnel: crawl pages fetched -> image URLs considered -> downloaded -> accepted */
    int64_t pages, candidates, fetched, accepted;
    dataset_count *rejected;  size_t nrejected;   /* rejected by reason, most first */
    dataset_count *failed;    size_t nfailed;     /* failed by error class (reason), most first */
    dataset_count *optout;    size_t noptout;
    dataset_count *hosts;     size_t nhosts;      /* top hosts by accepted samples */
    int64_t bytes_original, bytes_stored;
    char clip_model[32];                          /* model of the scores below ("" = none) */
    double *clip;  size_t nclip;                  /* CLIP scores of accepted samples, sorted */
    double *caplen; size_t ncaplen;               /* caption lengths (characters) of accepted samples, sorted */
} dataset_overview;

/* Fills o (free with dataset_overview_free). top_hosts: how many hosts.
 * CC_ERR_DB with a message on SQLite errors (never a silent zero). */
cc_err dataset_overview_get(dataset *ds, int top_hosts, dataset_overview *o, char *err, size_t errlen);
void dataset_overview_free(dataset_overview *o);

/* The q-quantile (0..1) of sorted v by linear interpolation; NAN if n = 0. */
double dataset_quantile(const double *v, size_t n, double q);

/* Appends the overview as JSON members (no braces):
 * "funnel":{...},"rejections":{...},"failures":{...},"clip_score":{...},
 * "caption_length":{...},"top_hosts":[...] */
void dataset_overview_json(const dataset_overview *o, ccbuf *b);

/* Examples: up to per_reason samples of each rejection reason (key may be
 * empty when the sample has no frame), and n accepted samples spread evenly
 * over key order. Arrays malloc'ed; free with dataset_examples_free. */
typedef struct {
    char key[10];
    char *reason, *url, *caption;
    double clip_score;   /* NAN when unscored */
} dataset_example;
cc_err dataset_examples(dataset *ds, int per_reason, int accepted_n, dataset_example **rej, size_t *nrej,
                        dataset_example **acc, size_t *nacc, char *err, size_t errlen);
void dataset_examples_free(dataset_example *v, size_t n);

#endif
