/* strmap.c — string-keyed open-addressing hash map (see strmap.h). */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

/* A removed slot: keeps probe chains intact until the next growth. */
static char tombstone_mark;
#define TOMBSTONE (&tombstone_mark)

uint64_t cc_fnv1a(const void *s, size_t n)
{
    const unsigned char *p = s;
    uint64_t h = 14695981039346656037ULL; /* the FNV-1a 64-bit offset basis */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* The slot holding key, or (when absent) the slot a put should use: the
 * first tombstone on the probe path, else the empty slot ending it. */
static size_t find_slot(const cc_strmap *m, const char *key, int *found)
{
    size_t mask = m->cap - 1, i = (size_t)cc_fnv1a(key, strlen(key)) & mask, reuse = SIZE_MAX;
    for (;; i = (i + 1) & mask) {
        char *k = m->keys[i];
        if (!k) {
            *found = 0;
            return reuse != SIZE_MAX ? reuse : i;
        }
        if (k == TOMBSTONE) {
            if (reuse == SIZE_MAX)
                reuse = i;
        } else if (strcmp(k, key) == 0) {
            *found = 1;
            return i;
        }
    }
}

static void grow(cc_strmap *m)
{
    cc_strmap old = *m;
    size_t cap = old.cap ? old.cap : 32;
    while (cap < 4 * (old.n + 1)) /* a quarter full after growing */
        cap *= 2;
    m->cap = cap;
    m->keys = xcalloc(cap, sizeof *m->keys);
    m->vals = xcalloc(cap, sizeof *m->vals);
    m->n = m->used = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i] && old.keys[i] != TOMBSTONE) {
            int found;
            size_t j = find_slot(m, old.keys[i], &found);
            m->keys[j] = old.keys[i];
            m->vals[j] = old.vals[i];
            m->n++;
            m->used++;
        }
    free(old.keys);
    free(old.vals);
}

int cc_strmap_get(const cc_strmap *m, const char *key, uintptr_t *value)
{
    if (!m->cap)
        return 0;
    int found;
    size_t i = find_slot(m, key, &found);
    if (found && value)
        *value = m->vals[i];
    return found;
}

int cc_strmap_put(cc_strmap *m, const char *key, uintptr_t value)
{
    if (2 * (m->used + 1) > m->cap)
        grow(m);
    int found;
    size_t i = find_slot(m, key, &found);
    if (!found) {
        if (!m->keys[i])
            m->used++; /* an empty slot, not a reused tombstone */
        m->keys[i] = xstrdup(key);
        m->n++;
    }
    m->vals[i] = value;
    return !found;
}

int cc_strmap_remove(cc_strmap *m, const char *key, uintptr_t *value)
{
    if (!m->cap)
        return 0;
    int found;
    size_t i = find_slot(m, key, &found);
    if (!found)
        return 0;
    if (value)
        *value = m->vals[i];
    free(m->keys[i]);
    m->keys[i] = TOMBSTONE;
    m->n--;
    return 1;
}

size_t cc_strmap_count(const cc_strmap *m) { return m->n; }

int cc_strmap_next(const cc_strmap *m, size_t *pos, const char **key, uintptr_t *value)
{
    for (; *pos < m->cap; (*pos)++) {
        char *k = m->keys[*pos];
        if (k && k != TOMBSTONE) {
            if (key)
                *key = k;
            if (value)
                *value = m->vals[*pos];
            (*pos)++;
            return 1;
        }
    }
    return 0;
}

void cc_strmap_free(cc_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i] != TOMBSTONE)
            free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}
