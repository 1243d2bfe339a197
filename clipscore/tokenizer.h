/* tokenizer.h — CLIP's byte-level BPE tokenizer (OpenAI simple_tokenizer).
 *
 * Produces exactly the ids of OpenAI CLIP's tokenizer run without ftfy
 * (../shared/clipref/fixtures/tokens.json `ids`): HTML unescape twice,
 * Unicode whitespace collapse + strip, Python str.lower() (full Unicode,
 * final sigma, U+0130), CLIP's pre-tokenizer pattern with utf8proc letter /
 * number classes, byte-level BPE merges by rank, [sot] ... [eot], context 77.
 *
 * A loaded tokenizer is read-only and may be used from any number of threads
 * at once. BPE results are memoised in a per-thread cache (thread-local,
 * freed when the thread exits), so no locks are taken on the hot path.
 *
 * Invalid UTF-8 in a caption is not an error: each bad byte reads as U+FFFD,
 * as Python's decode(errors="replace") would give it.
 */
#ifndef CC_CLIPSCORE_TOKENIZER_H
#define CC_CLIPSCORE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"

#define CLIP_CONTEXT_LENGTH 77
#define CLIP_SOT_ID 49406       /* <|startoftext|> with the standard vocabulary */
#define CLIP_EOT_ID 49407       /* <|endoftext|> */
#define CLIP_VOCAB_SIZE 49408   /* 256 bytes + 256 bytes</w> + 48894 merges + 2 specials */

/* Cleanup / flavour flags for clip_tokenize_ex() and clip_tokenizer_set_flags(). */
enum {
    /* ftfy-like fixes applied before the cleanup, closer to what upstream
     * CLIP (which calls ftfy.fix_text) does on messy web text: NFC, curly
     * quotes -> ASCII, Latin ligatures split, full-width -> ASCII,
     * one more HTML unescape when the text has no '<', C0/C1 control
     * characters removed (\t \n \r kept), U+2028/U+2029 -> newline.
     * Not mojibake repair. Off by default (the fixture `ids` are ftfy-free). */
    CLIP_TOK_FTFY = 1u << 0,
    /* OpenCLIP flavour: the specials are spelled <start_of_text> /
     * <end_of_text> (and <|endoftext|> is ordinary text), and U+001C..U+001F
     * count as whitespace in the cleanup. */
    CLIP_TOK_OPENCLIP = 1u << 1,
};

typedef struct clip_tokenizer clip_tokenizer;

/* Loads from a model directory, trying in order:
 *   vocab.json + merges.txt                (Hugging Face CLIPTokenizer files)
 *   tokenizer.json                         (HF fast tokenizer: model.vocab + model.merges,
 *                                           merges as "a b" strings or ["a","b"] pairs)
 *   bpe_simple_vocab_16e6.txt.gz           (OpenAI / OpenCLIP merges file)
 * Returns a new tokenizer (free with clip_tokenizer_free) or NULL with a
 * one-line message naming the file in err (none found, file does not parse,
 * vocabulary too small, a merge whose result is not in the vocabulary, a
 * missing byte token or special token, ...). */
clip_tokenizer *clip_tokenizer_load(const char *model_dir, char *err, size_t errlen);
clip_tokenizer *clip_tokenizer_load_files(const char *vocab_json_path, const char *merges_txt_path,
                                          char *err, size_t errlen);
clip_tokenizer *clip_tokenizer_load_tokenizer_json(const char *path, char *err, size_t errlen);
/* The gzip'ed OpenAI merges file: line 0 is a header, the next 48894 lines
 * are the merges in rank order; the vocabulary is derived from them. */
clip_tokenizer *clip_tokenizer_load_bpe_gz(const char *path, char *err, size_t errlen);
void clip_tokenizer_free(clip_tokenizer *t); /* NULL is a no-op */

/* Vocabulary facts: number of ids, the start/end ids (49406/49407 for CLIP). */
int clip_tokenizer_vocab_size(const clip_tokenizer *t);
int32_t clip_tokenizer_sot(const clip_tokenizer *t);
int32_t clip_tokenizer_eot(const clip_tokenizer *t);
/* The token string of id (byte-mapped, with "</w>"), or NULL if out of range.
 * Owned by t. */
const char *clip_tokenizer_token(const clip_tokenizer *t, int32_t id);

/* Default flags used by clip_tokenize() (0 after load). Call before sharing
 * the tokenizer between threads. */
void clip_tokenizer_set_flags(clip_tokenizer *t, unsigned flags);
unsigned clip_tokenizer_flags(const clip_tokenizer *t);

/* Tokenizes one NUL-terminated UTF-8 caption into ids[0..n): [sot] + BPE ids
 * + [eot]. When more than max_len-2 BPE tokens result, the first max_len-2 are
 * kept and eot is still the last id. Returns n (2 <= n <= max_len; the ids are
 * NOT padded — pad with 0 up to 77 for the model), or -1 when t/utf8/ids is
 * NULL or max_len < 2. *eot_index (may be NULL) receives the position of the
 * first eot id (the pooling position: a literal "<|endoftext|>" in the text
 * is pooled there). Uses clip_tokenizer_flags(t). */
int clip_tokenize(const clip_tokenizer *t, const char *utf8, int32_t *ids, int max_len, int *eot_index);

/* Same for n bytes (no NUL needed) with explicit flags; *n_bpe_out (may be
 * NULL) receives the BPE token count before truncation. */
int clip_tokenize_ex(const clip_tokenizer *t, const char *utf8, size_t n, unsigned flags,
                     int32_t *ids, int max_len, int *eot_index, int *n_bpe_out);

/* ---- the stages, exposed for tests and debugging ---------------------- */

/* Appends the cleaned text (ftfy-like fixes if flagged, unescape x2,
 * whitespace collapse/strip, Python lower()) to out as UTF-8. */
void clip_tokenizer_clean(const char *utf8, size_t n, unsigned flags, ccbuf *out);

/* Splits cleaned text into pre-tokens (CLIP's regex, in order) and calls
 * fn(ctx, word, len) for each; the word points into clean. */
typedef void (*clip_word_fn)(void *ctx, const char *word, size_t len);
void clip_tokenizer_words(const char *clean, size_t n, unsigned flags, clip_word_fn fn, void *ctx);

/* BPE of one pre-token (raw UTF-8, not byte-mapped; specials are NOT
 * recognised here): writes up to max ids and returns how many the word has
 * (may exceed max, then only max were written). */
int clip_tokenizer_bpe_word(const clip_tokenizer *t, const char *word, size_t len, int32_t *ids, int max);

#endif
