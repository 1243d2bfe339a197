/* clip-cli.h — pieces shared by the CLIP commands (embed, classify, and
 * later score): option parsing for --model/--precision/--threads/--tokenizer,
 * loading the model and tokenizer, and turning an image file into the
 * model's input tensor. Internal to cli/. */
#ifndef CC_CLI_CLIP_CLI_H
#define CC_CLI_CLIP_CLI_H

#include <stdint.h>
#include "clip.h"
#include "common.h"
#include "tokenizer.h"

typedef struct {
    const char *model;      /* --model, else $CLIPCRAWL_MODEL */
    const char *tokenizer;  /* --tokenizer DIR, else the model directory */
    clip_precision precision;
    int threads;            /* 0 = default */
    int batch;              /* images/texts per forward pass */
} clip_cli_opts;

void clip_cli_opts_init(clip_cli_opts *o);

/* If argv[*i] is one of the shared options, consumes it (and its value),
 * advances *i and returns 1; returns 0 if not ours; -1 after printing a
 * usage error for command cmd (bad or missing value). */
int clip_cli_opt(const char *cmd, clip_cli_opts *o, int argc, char **argv, int *i);

/* Loads the model (and, if want_tok, the tokenizer). Prints a one-line
 * error naming the file and returns -1 on failure. */
int clip_cli_load(const char *cmd, const clip_cli_opts *o, int want_tok, clip_model **m, clip_tokenizer **t);

/* Reads, decodes and preprocesses an image file into 3*S*S floats.
 * 0, or -1 with a one-line message in err naming the file. */
int clip_cli_image(const char *path, int image_size, float *out_chw, char *err, size_t errlen);

/* Tokenizes text into a zero-padded context row. Returns the token count. */
int clip_cli_tokens(const clip_tokenizer *t, const char *text, int context, int32_t *row, int *eot);

/* Appends a float array as JSON with round-trip precision. */
void clip_cli_json_floats(ccbuf *b, const float *v, int n);

#endif
