/* strmap.h — the one hash map: NUL-terminated string keys to uintptr_t values.
 *
 * Open addressing with linear probing, FNV-1a hashing, at most half full.
 * Keys are copied (the map owns its copies); a value is a number or a pointer
 * cast to uintptr_t, which the map never dereferences or frees. A zeroed
 * cc_strmap is an empty map; cc_strmap_free() returns it to that state.
 * Removal leaves a tombstone, so removing the current entry while iterating
 * with cc_strmap_next() is safe; tombstones go at the next growth.
 * Not thread-safe: one writer, or readers only.
 *
 *     cc_strmap seen = {0};
 *     uintptr_t row;
 *     if (cc_strmap_get(&seen, url, &row)) ...duplicate of row...
 *     else cc_strmap_put(&seen, url, i);
 *     cc_strmap_free(&seen);
 */
#ifndef CC_STRMAP_H
#define CC_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char **keys;      /* cap slots: NULL empty, a tombstone, or an owned key */
    uintptr_t *vals;
    size_t cap;       /* 0 or a power of two */
    size_t n;         /* live entries */
    size_t used;      /* live entries + tombstones */
} cc_strmap;

/* FNV-1a over s[0..n): the hash the map uses, for callers that need a
 * stable 64-bit string hash of their own. */
uint64_t cc_fnv1a(const void *s, size_t n);

/* 1 and *value (when value is not NULL) if key is present, else 0. */
int cc_strmap_get(const cc_strmap *m, const char *key, uintptr_t *value);

/* Sets key to value, adding a copy of key if it is new. Returns 1 if the key
 * was added, 0 if an existing value was replaced. */
int cc_strmap_put(cc_strmap *m, const char *key, uintptr_t value);

/* Removes key. Returns 1 if it was present (its value in *value when value
 * is not NULL), else 0. */
int cc_strmap_remove(cc_strmap *m, const char *key, uintptr_t *value);

/* Live entries. */
size_t cc_strmap_count(const cc_strmap *m);

/* Iterates: start with *pos = 0; each call returns 1 with the next entry
 * (key owned by the map) or 0 at the end. Order is unspecified. Putting new
 * keys during a walk may move entries; removing does not. */
int cc_strmap_next(const cc_strmap *m, size_t *pos, const char **key, uintptr_t *value);

/* Frees the keys and tables (not what values point to); m is empty again. */
void cc_strmap_free(cc_strmap *m);

#endif
