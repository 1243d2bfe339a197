/* caption-phrases.h — weighted phrase lists in e2guardian's format, scored
 * on captions (the `unsafe` rule's phrase pass; the built-in list is
 * filters/wordlists/unsafe-phrases.txt, made from Debian's e2guardian).
 *
 * A list is text, one phrase a line; blank lines and lines starting with '#'
 * are skipped:
 *
 *     <part>,<part>,...<weight>
 *
 * e.g. `< anal >,< porn><70>` or `<breast>,<medical><-30>`. A phrase scores
 * its weight (an integer, negative for innocent phrases, |w| <= 100000) when
 * ALL its parts occur in the caption; each phrase counts once however often
 * it occurs. Text and parts are compared in one form: case-folded (accents
 * kept, as e2guardian compares them), every run of characters that are not
 * letters, digits or marks turned into one space, and a space at each end
 * of the text. So a
 * space at a part's edge is a word boundary: `< anal >` is the whole word,
 * `< boob>` a word beginning, `<fick>` anywhere, also inside a compound
 * ("Fickfilm"). A part must hold at least one letter or digit.
 *
 * A parsed list is immutable: threads may score with one list at once. */
#ifndef CC_FILTERS_CAPTION_PHRASES_H
#define CC_FILTERS_CAPTION_PHRASES_H

#include <stddef.h>

typedef struct phrase_list phrase_list;

/* Parses TEXT[0..n) (need not be NUL-terminated; UTF-8). NAME names the
 * list in errors. Returns NULL on a malformed line, with ERR set to
 * "NAME:LINE: problem". An empty list (no phrase) is valid. */
phrase_list *phrase_list_parse(const char *text, size_t n, const char *name, char *err, size_t errlen);
void phrase_list_free(phrase_list *l);
/* Number of phrases parsed. */
size_t phrase_list_count(const phrase_list *l);

/* The sum of the weights of the phrases of L present in TEXT[0..n) (UTF-8,
 * not yet folded). DETAIL (may be NULL) gets "score S: 'p1' W1, 'p2' W2..."
 * naming the positive phrases, highest weight first, as many as fit. */
long phrase_list_score(const phrase_list *l, const char *text, size_t n, char *detail, size_t detaillen);

#endif
