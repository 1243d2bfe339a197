/* semantic.h — the semantic-search options shared by `query` and `export`:
 * --text "words", --image FILE, --similar KEY, --k N, and the CLIP options
 * (--model, --precision, --tokenizer, --threads) that pick the model.
 *
 * The model defaults to the one that scored the dataset (the model with the
 * most stored scores); its weights are loaded from the path recorded then.
 * --similar needs no model load at all: it reads the sample's stored row. */
#ifndef CC_CLI_SEMANTIC_H
#define CC_CLI_SEMANTIC_H

#include <stddef.h>

#include "pipeline.h"
#include "dataset.h"
#include "dataset_emb.h"

typedef struct {
    const char *text, *image, *similar;
    long k;                 /* results; default 20 */
    clip_tool_options clip;
    int model_given;        /* --model on the command line (not just $CLIPCRAWL_MODEL) */
} semantic_opts;

void semantic_opts_init(semantic_opts *s);

/* Consumes argv[*i] (and its value) if it is one of the options above:
 * 1 consumed, 0 not ours, -1 after printing a usage error for cmd. */
int semantic_opt(const char *cmd, semantic_opts *s, int argc, char **argv, int *i);

/* 1 when --text, --image or --similar was given. More than one is a usage
 * error reported by semantic_check (EXIT_USAGE after printing), else 0. */
int semantic_active(const semantic_opts *s);
int semantic_check(const char *cmd, const semantic_opts *s);

/* Runs the search among the samples sel selects; on success returns EXIT_OK
 * with a malloc'ed array of hits (best first) in *hits and its length in *n.
 * Otherwise prints one line for cmd and returns the exit status. */
int semantic_search(const char *cmd, dataset *ds, semantic_opts *s, const dataset_selection *sel,
                    dataset_hit **hits, size_t *n);

#endif
