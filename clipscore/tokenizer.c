/* tokenizer.c — CLIP byte-level BPE (see tokenizer.h).
 *
 * Symbols are vocabulary ids from the start: a word's bytes map to the ids of
 * their bytes_to_unicode characters (the last one with "</w>"), and a merge
 * is a hash lookup of the id pair giving (rank, merged id). Results per word
 * are memoised in a direct-mapped, thread-local cache.
 */
#include "tokenizer.h"
#include "text.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <zlib.h>

#include "entities.h"
#include "json.h"

#include "clip_unicase.inc"

#define N_MERGES_OPENAI 48894 /* 49152 - 256 - 2: the merges OpenAI's vocabulary uses */

/* ---- small hash maps ---------------------------------------------------- */

/* token string -> id (open addressing, linear probing; load time only). */
typedef struct {
    int32_t *slots; /* id or -1 */
    size_t mask;
} strmap;

/* (left id, right id) -> rank and merged id. */
typedef struct {
    uint64_t key;   /* left << 32 | right; UINT64_MAX = empty */
    int32_t rank;
    int32_t id;
} merge_slot;

struct clip_tokenizer {
    char *arena;        /* all token strings, NUL-separated */
    size_t *offs;       /* id -> offset in arena */
    int n_vocab;
    strmap vmap;
    merge_slot *merges;
    size_t merge_mask;
    int n_merges;
    int32_t byte_id[256];   /* id of the byte's character */
    int32_t byte_wid[256];  /* id of the byte's character + "</w>" */
    int32_t sot, eot;
    unsigned flags;
    uint32_t serial;        /* distinguishes tokenizers in the thread cache */
};

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static inline uint64_t hash_u64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

static const char *tok_str(const clip_tokenizer *t, int32_t id)
{
    return t->arena + t->offs[id];
}

static int32_t vmap_get(const clip_tokenizer *t, const char *s, size_t n)
{
    size_t i = hash_bytes(s, n) & t->vmap.mask;
    for (;;) {
        int32_t id = t->vmap.slots[i];
        if (id < 0)
            return -1;
        const char *k = tok_str(t, id);
        if (strncmp(k, s, n) == 0 && k[n] == '\0')
            return id;
        i = (i + 1) & t->vmap.mask;
    }
}

static void vmap_build(clip_tokenizer *t)
{
    size_t cap = 16;
    while (cap < (size_t)t->n_vocab * 2)
        cap <<= 1;
    t->vmap.slots = xmalloc(cap * sizeof(int32_t));
    memset(t->vmap.slots, 0xff, cap * sizeof(int32_t));
    t->vmap.mask = cap - 1;
    for (int32_t id = 0; id < t->n_vocab; id++) {
        const char *s = tok_str(t, id);
        size_t i = hash_bytes(s, strlen(s)) & t->vmap.mask;
        while (t->vmap.slots[i] >= 0)
            i = (i + 1) & t->vmap.mask;
        t->vmap.slots[i] = id;
    }
}

static inline const merge_slot *merge_get(const clip_tokenizer *t, int32_t a, int32_t b)
{
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    size_t i = hash_u64(key) & t->merge_mask;
    for (;;) {
        const merge_slot *s = &t->merges[i];
        if (s->key == key)
            return s;
        if (s->key == UINT64_MAX)
            return NULL;
        i = (i + 1) & t->merge_mask;
    }
}

/* Inserts unless present (the first, lowest-rank occurrence of a pair wins). */
static void merge_put(clip_tokenizer *t, int32_t a, int32_t b, int32_t rank, int32_t id)
{
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    size_t i = hash_u64(key) & t->merge_mask;
    while (t->merges[i].key != UINT64_MAX) {
        if (t->merges[i].key == key)
            return;
        i = (i + 1) & t->merge_mask;
    }
    t->merges[i].key = key;
    t->merges[i].rank = rank;
    t->merges[i].id = id;
    t->n_merges++;
}

static void merges_alloc(clip_tokenizer *t, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2)
        cap <<= 1;
    t->merges = xmalloc(cap * sizeof(merge_slot));
    for (size_t i = 0; i < cap; i++)
        t->merges[i].key = UINT64_MAX;
    t->merge_mask = cap - 1;
}

/* ---- bytes_to_unicode --------------------------------------------------- */

/* GPT-2's reversible byte -> character map. order[k] is the byte whose
 * character comes k-th in the vocabulary (printable bytes first). */
static void bytes_to_unicode(uint32_t cp_of[256], int order[256])
{
    int k = 0, extra = 0;
    bool keep[256] = {0};
    for (int b = 0; b < 256; b++)
        keep[b] = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    for (int b = 0; b < 256; b++)
        if (keep[b]) {
            cp_of[b] = (uint32_t)b;
            order[k++] = b;
        }
    for (int b = 0; b < 256; b++)
        if (!keep[b]) {
            cp_of[b] = 256u + (uint32_t)extra++;
            order[k++] = b;
        }
}

/* ---- building a tokenizer ------------------------------------------------ */

static atomic_uint tok_serial = 1;

/* A token list under construction: strings appended in id order. */
typedef struct {
    ccbuf arena;
    size_t *offs;
    size_t n, cap;
} toklist;

static void toklist_add(toklist *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->offs = xrealloc(l->offs, l->cap * sizeof(size_t));
    }
    l->offs[l->n++] = l->arena.len;
    ccbuf_append(&l->arena, s, n);
    ccbuf_putc(&l->arena, '\0');
}

static clip_tokenizer *tokenizer_from_list(toklist *l)
{
    clip_tokenizer *t = xcalloc(1, sizeof *t);
    t->n_vocab = (int)l->n;
    t->offs = l->offs;
    size_t alen;
    t->arena = ccbuf_detach(&l->arena, &alen);
    l->offs = NULL;
    l->n = l->cap = 0;
    vmap_build(t);
    t->serial = atomic_fetch_add(&tok_serial, 1);
    t->sot = t->eot = -1;
    return t;
}

/* Fills byte ids and specials; checks the vocabulary has them. */
static int tokenizer_finish(clip_tokenizer *t, const char *path, char *err, size_t errlen)
{
    uint32_t cp_of[256];
    int order[256];
    bytes_to_unicode(cp_of, order);
    for (int b = 0; b < 256; b++) {
        char s[16];
        size_t n = cc_utf8_encode(cp_of[b], (unsigned char *)s);
        t->byte_id[b] = vmap_get(t, s, n);
        memcpy(s + n, "</w>", 4);
        t->byte_wid[b] = vmap_get(t, s, n + 4);
        if (t->byte_id[b] < 0 || t->byte_wid[b] < 0) {
            snprintf(err, errlen, "%s: vocabulary lacks the token for byte 0x%02x%s", path, b,
                     t->byte_id[b] < 0 ? "" : " + </w>");
            return -1;
        }
    }
    if (t->sot < 0)
        t->sot = vmap_get(t, "<|startoftext|>", 15);
    if (t->eot < 0)
        t->eot = vmap_get(t, "<|endoftext|>", 13);
    if (t->sot < 0 || t->eot < 0) {
        snprintf(err, errlen, "%s: vocabulary lacks %s", path, t->sot < 0 ? "<|startoftext|>" : "<|endoftext|>");
        return -1;
    }
    return 0;
}

/* Adds merge "a b" (rank r). Returns 0 or -1 with err. */
static int add_merge(clip_tokenizer *t, const char *a, size_t an, const char *b, size_t bn, int32_t rank,
                     const char *path, long line, char *err, size_t errlen)
{
    int32_t ia = vmap_get(t, a, an), ib = vmap_get(t, b, bn);
    char *ab = xmalloc(an + bn + 1);
    memcpy(ab, a, an);
    memcpy(ab + an, b, bn);
    ab[an + bn] = '\0';
    int32_t iab = vmap_get(t, ab, an + bn);
    free(ab);
    if (ia < 0 || ib < 0 || iab < 0) {
        snprintf(err, errlen, "%s: merge %ld (\"%.*s %.*s\"): %s not in the vocabulary", path, line,
                 (int)(an > 40 ? 40 : an), a, (int)(bn > 40 ? 40 : bn), b,
                 ia < 0 ? "left part" : ib < 0 ? "right part" : "merged token");
        return -1;
    }
    merge_put(t, ia, ib, rank, iab);
    return 0;
}

/* Builds from a parsed vocab object (token -> id). */
static clip_tokenizer *tokenizer_from_vocab(const json_value *vocab, const char *path, char *err, size_t errlen)
{
    if (!vocab || vocab->type != JSON_OBJECT) {
        snprintf(err, errlen, "%s: vocabulary is not a JSON object of token -> id", path);
        return NULL;
    }
    size_t n = vocab->len;
    if (n < 512 + 2 || n > (1u << 24)) {
        snprintf(err, errlen, "%s: vocabulary has %zu tokens (need 514 .. 16777216)", path, n);
        return NULL;
    }
    const char **by_id = xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        const json_value *v = vocab->items[i];
        double d = v->type == JSON_NUMBER ? v->number : -1;
        if (v->type != JSON_NUMBER || d < 0 || d >= (double)n || d != (double)(int64_t)d) {
            snprintf(err, errlen, "%s: token \"%.40s\" has id that is not an integer in 0..%zu", path,
                     vocab->keys[i], n - 1);
            free(by_id);
            return NULL;
        }
        size_t id = (size_t)d;
        if (by_id[id]) {
            snprintf(err, errlen, "%s: id %zu used twice (\"%.40s\", \"%.40s\")", path, id, by_id[id], vocab->keys[i]);
            free(by_id);
            return NULL;
        }
        by_id[id] = vocab->keys[i];
    }
    toklist l = {0};
    for (size_t id = 0; id < n; id++)
        toklist_add(&l, by_id[id], strlen(by_id[id]));
    free(by_id);
    clip_tokenizer *t = tokenizer_from_list(&l);
    for (int32_t id = 0; id < t->n_vocab; id++) /* a key given twice leaves an id unreachable */
        if (vmap_get(t, tok_str(t, id), strlen(tok_str(t, id))) != id) {
            snprintf(err, errlen, "%s: token \"%.40s\" appears twice", path, tok_str(t, id));
            clip_tokenizer_free(t);
            return NULL;
        }
    return t;
}

clip_tokenizer *clip_tokenizer_load_files(const char *vocab_path, const char *merges_path, char *err, size_t errlen)
{
    ccbuf vb = {0}, mb = {0};
    if (cc_read_file(vocab_path, &vb) != CC_OK) {
        snprintf(err, errlen, "%s: %s", vocab_path, strerror(errno));
        return NULL;
    }
    char jerr[200];
    json_value *root = json_parse((const char *)vb.data, vb.len, jerr, sizeof jerr);
    ccbuf_free(&vb);
    if (!root) {
        snprintf(err, errlen, "%s: not valid JSON: %s", vocab_path, jerr);
        return NULL;
    }
    clip_tokenizer *t = tokenizer_from_vocab(root, vocab_path, err, errlen);
    json_free(root);
    if (!t)
        return NULL;
    if (cc_read_file(merges_path, &mb) != CC_OK) {
        snprintf(err, errlen, "%s: %s", merges_path, strerror(errno));
        clip_tokenizer_free(t);
        return NULL;
    }
    size_t lines = 1;
    for (size_t i = 0; i < mb.len; i++)
        lines += mb.data[i] == '\n';
    merges_alloc(t, lines);
    const char *p = (const char *)mb.data, *end = p + mb.len;
    long lineno = 0;
    int32_t rank = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        size_t ll = (size_t)(le - p);
        if (ll && p[ll - 1] == '\r')
            ll--;
        if (ll == 0 || (lineno == 1 && ll >= 8 && memcmp(p, "#version", 8) == 0)) {
            p = le + 1;
            continue;
        }
        const char *sp = memchr(p, ' ', ll);
        if (!sp || sp == p || sp + 1 == p + ll || memchr(sp + 1, ' ', (size_t)(p + ll - sp - 1))) {
            snprintf(err, errlen, "%s: line %ld is not \"left right\"", merges_path, lineno);
            goto fail;
        }
        if (add_merge(t, p, (size_t)(sp - p), sp + 1, (size_t)(p + ll - sp - 1), rank++, merges_path, lineno,
                      err, errlen) < 0)
            goto fail;
        p = le + 1;
    }
    if (rank == 0) {
        snprintf(err, errlen, "%s: no merges", merges_path);
        goto fail;
    }
    ccbuf_free(&mb);
    if (tokenizer_finish(t, vocab_path, err, errlen) < 0) {
        clip_tokenizer_free(t);
        return NULL;
    }
    return t;
fail:
    ccbuf_free(&mb);
    clip_tokenizer_free(t);
    return NULL;
}

clip_tokenizer *clip_tokenizer_load_tokenizer_json(const char *path, char *err, size_t errlen)
{
    ccbuf b = {0};
    if (cc_read_file(path, &b) != CC_OK) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char jerr[200];
    json_value *root = json_parse((const char *)b.data, b.len, jerr, sizeof jerr);
    ccbuf_free(&b);
    if (!root) {
        snprintf(err, errlen, "%s: not valid JSON: %s", path, jerr);
        return NULL;
    }
    const json_value *model = json_get(root, "model");
    const json_value *vocab = json_get(model, "vocab");
    const json_value *merges = json_get(model, "merges");
    const char *type = json_get_string(model, "type", "BPE");
    clip_tokenizer *t = NULL;
    if (!model || strcmp(type, "BPE") != 0) {
        snprintf(err, errlen, "%s: no BPE \"model\" object (type %s)", path, type);
        goto out;
    }
    if (!merges || merges->type != JSON_ARRAY || merges->len == 0) {
        snprintf(err, errlen, "%s: model.merges is missing or not a non-empty array", path);
        goto out;
    }
    t = tokenizer_from_vocab(vocab, path, err, errlen);
    if (!t)
        goto out;
    /* Specials may live only in added_tokens. */
    const json_value *added = json_get(root, "added_tokens");
    for (size_t i = 0; added && added->type == JSON_ARRAY && i < added->len; i++) {
        const char *c = json_get_string(added->items[i], "content", "");
        double id = json_get_number(added->items[i], "id", -1);
        if (id >= 0 && id < t->n_vocab) {
            if (strcmp(c, "<|startoftext|>") == 0)
                t->sot = (int32_t)id;
            else if (strcmp(c, "<|endoftext|>") == 0)
                t->eot = (int32_t)id;
        }
    }
    merges_alloc(t, merges->len);
    for (size_t i = 0; i < merges->len; i++) {
        const json_value *m = merges->items[i];
        const char *a, *bb;
        size_t an, bn;
        if (m->type == JSON_STRING) {
            const char *sp = memchr(m->string, ' ', m->len);
            if (!sp || sp == m->string || sp + 1 == m->string + m->len) {
                snprintf(err, errlen, "%s: model.merges[%zu] is not \"left right\"", path, i);
                goto bad;
            }
            a = m->string;
            an = (size_t)(sp - a);
            bb = sp + 1;
            bn = m->len - an - 1;
        } else if (m->type == JSON_ARRAY && m->len == 2 && m->items[0]->type == JSON_STRING &&
                   m->items[1]->type == JSON_STRING) {
            a = m->items[0]->string;
            an = m->items[0]->len;
            bb = m->items[1]->string;
            bn = m->items[1]->len;
        } else {
            snprintf(err, errlen, "%s: model.merges[%zu] is neither \"a b\" nor [\"a\", \"b\"]", path, i);
            goto bad;
        }
        if (add_merge(t, a, an, bb, bn, (int32_t)i, path, (long)i + 1, err, errlen) < 0)
            goto bad;
    }
    if (tokenizer_finish(t, path, err, errlen) < 0)
        goto bad;
    goto out;
bad:
    clip_tokenizer_free(t);
    t = NULL;
out:
    json_free(root);
    return t;
}

clip_tokenizer *clip_tokenizer_load_bpe_gz(const char *path, char *err, size_t errlen)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot open");
        return NULL;
    }
    ccbuf b = {0};
    for (;;) {
        ccbuf_reserve(&b, 1 << 16);
        int r = gzread(gz, b.data + b.len, 1 << 16);
        if (r < 0) {
            int e;
            const char *m = gzerror(gz, &e);
            snprintf(err, errlen, "%s: not a readable gzip file (%s)", path, m ? m : "zlib error");
            gzclose(gz);
            ccbuf_free(&b);
            return NULL;
        }
        if (r == 0)
            break;
        b.len += (size_t)r;
    }
    gzclose(gz);
    /* Split into lines; line 0 is a header. */
    const char *p = (const char *)b.data, *end = p + b.len;
    const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
    if (!nl) {
        snprintf(err, errlen, "%s: no merges (not a CLIP BPE file)", path);
        ccbuf_free(&b);
        return NULL;
    }
    p = nl + 1;
    struct mline { const char *a; size_t an; const char *b; size_t bn; } *ml = xmalloc(N_MERGES_OPENAI * sizeof *ml);
    int nm = 0;
    while (nm < N_MERGES_OPENAI && p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        /* Python's str.split(): exactly two whitespace-separated fields. */
        const char *f[3];
        size_t fl[3];
        int nf = 0;
        const char *q = p;
        while (q < le && nf < 3) {
            while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
                q++;
            if (q == le)
                break;
            const char *s = q;
            while (q < le && !(*q == ' ' || *q == '\t' || *q == '\r'))
                q++;
            f[nf] = s;
            fl[nf++] = (size_t)(q - s);
        }
        if (nf != 2) {
            snprintf(err, errlen, "%s: line %d is not \"left right\"", path, nm + 2);
            free(ml);
            ccbuf_free(&b);
            return NULL;
        }
        ml[nm].a = f[0];
        ml[nm].an = fl[0];
        ml[nm].b = f[1];
        ml[nm].bn = fl[1];
        nm++;
        p = le + 1;
    }
    if (nm < N_MERGES_OPENAI) {
        snprintf(err, errlen, "%s: has %d merges, CLIP's vocabulary needs %d", path, nm, N_MERGES_OPENAI);
        free(ml);
        ccbuf_free(&b);
        return NULL;
    }
    /* Vocabulary: bytes, bytes + </w>, merges in order, specials. */
    uint32_t cp_of[256];
    int order[256];
    bytes_to_unicode(cp_of, order);
    toklist l = {0};
    char s[16];
    for (int k = 0; k < 256; k++)
        toklist_add(&l, s, cc_utf8_encode(cp_of[order[k]], (unsigned char *)s));
    for (int k = 0; k < 256; k++) {
        size_t n = cc_utf8_encode(cp_of[order[k]], (unsigned char *)s);
        memcpy(s + n, "</w>", 4);
        toklist_add(&l, s, n + 4);
    }
    ccbuf cat = {0};
    for (int i = 0; i < nm; i++) {
        ccbuf_reset(&cat);
        ccbuf_append(&cat, ml[i].a, ml[i].an);
        ccbuf_append(&cat, ml[i].b, ml[i].bn);
        toklist_add(&l, (const char *)cat.data, cat.len);
    }
    ccbuf_free(&cat);
    toklist_add(&l, "<|startoftext|>", 15);
    toklist_add(&l, "<|endoftext|>", 13);
    clip_tokenizer *t = tokenizer_from_list(&l);
    merges_alloc(t, (size_t)nm);
    for (int i = 0; i < nm; i++)
        if (add_merge(t, ml[i].a, ml[i].an, ml[i].b, ml[i].bn, i, path, i + 2, err, errlen) < 0) {
            clip_tokenizer_free(t);
            t = NULL;
            break;
        }
    free(ml);
    ccbuf_free(&b);
    if (t && tokenizer_finish(t, path, err, errlen) < 0) {
        clip_tokenizer_free(t);
        t = NULL;
    }
    return t;
}

static int file_exists(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return 0;
    fclose(f);
    return 1;
}

clip_tokenizer *clip_tokenizer_load(const char *dir, char *err, size_t errlen)
{
    if (!dir) {
        snprintf(err, errlen, "clip_tokenizer_load: no model directory given");
        return NULL;
    }
    char *v = xasprintf("%s/vocab.json", dir), *m = xasprintf("%s/merges.txt", dir);
    clip_tokenizer *t = NULL;
    if (file_exists(v) && file_exists(m)) {
        t = clip_tokenizer_load_files(v, m, err, errlen);
        goto out;
    }
    free(v);
    v = xasprintf("%s/tokenizer.json", dir);
    if (file_exists(v)) {
        t = clip_tokenizer_load_tokenizer_json(v, err, errlen);
        goto out;
    }
    free(v);
    v = xasprintf("%s/bpe_simple_vocab_16e6.txt.gz", dir);
    if (file_exists(v)) {
        t = clip_tokenizer_load_bpe_gz(v, err, errlen);
        goto out;
    }
    snprintf(err, errlen, "%s: no tokenizer files (vocab.json + merges.txt, tokenizer.json or "
             "bpe_simple_vocab_16e6.txt.gz)", dir);
out:
    free(v);
    free(m);
    return t;
}

void clip_tokenizer_free(clip_tokenizer *t)
{
    if (!t)
        return;
    free(t->arena);
    free(t->offs);
    free(t->vmap.slots);
    free(t->merges);
    free(t);
}

int clip_tokenizer_vocab_size(const clip_tokenizer *t) { return t->n_vocab; }
int32_t clip_tokenizer_sot(const clip_tokenizer *t) { return t->sot; }
int32_t clip_tokenizer_eot(const clip_tokenizer *t) { return t->eot; }
void clip_tokenizer_set_flags(clip_tokenizer *t, unsigned flags) { t->flags = flags; }
unsigned clip_tokenizer_flags(const clip_tokenizer *t) { return t->flags; }

const char *clip_tokenizer_token(const clip_tokenizer *t, int32_t id)
{
    if (!t || id < 0 || id >= t->n_vocab)
        return NULL;
    return tok_str(t, id);
}

/* ---- per-thread scratch and BPE cache ------------------------------------ */

#define CACHE_SLOTS 4096
#define CACHE_WORD 27
#define CACHE_IDS 12

typedef struct {
    uint32_t serial;            /* tokenizer; 0 = empty */
    uint8_t wlen, nids;
    char word[CACHE_WORD];
    int32_t ids[CACHE_IDS];
} cache_entry;

typedef struct {
    cache_entry cache[CACHE_SLOTS];
    ccbuf a, b;                 /* byte scratch */
    uint32_t *cp, *cp2;         /* code point scratch */
    size_t cpcap;
    int32_t *sym;
    size_t symcap;
} tls_state;

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static __thread tls_state *tls_ptr;

static void tls_destroy(void *p)
{
    tls_state *s = p;
    if (!s)
        return;
    ccbuf_free(&s->a);
    ccbuf_free(&s->b);
    free(s->cp);
    free(s->cp2);
    free(s->sym);
    free(s);
}

static void tls_key_init(void) { pthread_key_create(&tls_key, tls_destroy); }

static tls_state *tls_get(void)
{
    if (!tls_ptr) {
        pthread_once(&tls_once, tls_key_init);
        tls_ptr = xcalloc(1, sizeof(tls_state));
        pthread_setspecific(tls_key, tls_ptr);
    }
    return tls_ptr;
}

static void cp_reserve(tls_state *s, size_t n)
{
    if (n > s->cpcap) {
        s->cpcap = n + n / 2 + 64;
        s->cp = xrealloc(s->cp, s->cpcap * sizeof(uint32_t));
        s->cp2 = xrealloc(s->cp2, s->cpcap * sizeof(uint32_t));
    }
}

/* ---- BPE -------------------------------------------------------------------- */

/* BPE of a long word in O(n log n): the symbols form a linked list and a
 * binary heap orders candidate pairs by (rank, position); stale entries are
 * skipped when popped. For a vocabulary where every token is made by exactly
 * one merge that precedes its uses (CLIP's), this equals the rank-by-rank
 * passes of the short-word loop below; it keeps a 100 kB word from costing
 * O(n^2). Returns the symbol count, symbols left in sym[0..count). */
static size_t bpe_long(const clip_tokenizer *t, int32_t *sym, size_t n)
{
    int32_t *next = xmalloc(n * sizeof(int32_t)), *prev = xmalloc(n * sizeof(int32_t));
    uint64_t *heap = xmalloc(2 * n * sizeof(uint64_t) + 8);
    size_t hn = 0, cap = 2 * n + 1;
    for (size_t i = 0; i < n; i++) {
        next[i] = i + 1 < n ? (int32_t)(i + 1) : -1;
        prev[i] = (int32_t)i - 1;
    }
#define HEAP_PUSH(key)                                                                   \
    do {                                                                                 \
        if (hn == cap) {                                                                 \
            cap *= 2;                                                                    \
            heap = xrealloc(heap, cap * sizeof(uint64_t));                               \
        }                                                                                \
        size_t h_ = hn++;                                                                \
        uint64_t k_ = (key);                                                             \
        while (h_ > 0 && heap[(h_ - 1) / 2] > k_) {                                      \
            heap[h_] = heap[(h_ - 1) / 2];                                               \
            h_ = (h_ - 1) / 2;                                                           \
        }                                                                                \
        heap[h_] = k_;                                                                   \
    } while (0)
    for (size_t i = 0; i + 1 < n; i++) {
        const merge_slot *m = merge_get(t, sym[i], sym[i + 1]);
        if (m)
            HEAP_PUSH(((uint64_t)(uint32_t)m->rank << 32) | i);
    }
    while (hn > 0) {
        uint64_t top = heap[0];
        uint64_t last = heap[--hn];
        size_t h = 0;
        for (;;) { /* sift down */
            size_t c = 2 * h + 1;
            if (c >= hn)
                break;
            if (c + 1 < hn && heap[c + 1] < heap[c])
                c++;
            if (heap[c] >= last)
                break;
            heap[h] = heap[c];
            h = c;
        }
        if (hn > 0)
            heap[h] = last;
        int32_t pos = (int32_t)(top & 0xffffffffu), rank = (int32_t)(top >> 32);
        if (sym[pos] < 0 || next[pos] < 0)
            continue;
        const merge_slot *m = merge_get(t, sym[pos], sym[next[pos]]);
        if (!m || m->rank != rank) /* stale: the pair there changed */
            continue;
        int32_t j = next[pos];
        sym[pos] = m->id;
        sym[j] = -1;
        next[pos] = next[j];
        if (next[j] >= 0)
            prev[next[j]] = pos;
        if (prev[pos] >= 0) {
            const merge_slot *l = merge_get(t, sym[prev[pos]], sym[pos]);
            if (l)
                HEAP_PUSH(((uint64_t)(uint32_t)l->rank << 32) | (uint32_t)prev[pos]);
        }
        if (next[pos] >= 0) {
            const merge_slot *r = merge_get(t, sym[pos], sym[next[pos]]);
            if (r)
                HEAP_PUSH(((uint64_t)(uint32_t)r->rank << 32) | (uint32_t)pos);
        }
    }
#undef HEAP_PUSH
    size_t o = 0;
    for (int32_t i = 0; i >= 0; i = next[i])
        sym[o++] = sym[i];
    free(next);
    free(prev);
    free(heap);
    return o;
}

#define BPE_LONG_WORD 128 /* bytes; shorter words use the simple passes */

/* BPE of raw word bytes; returns the id count, writes min(count, max) ids. */
static int bpe_word(const clip_tokenizer *t, tls_state *st, const unsigned char *w, size_t n, int32_t *out, int max)
{
    if (n == 0)
        return 0;
    uint64_t h = 0;
    cache_entry *ce = NULL;
    if (n <= CACHE_WORD) {
        h = hash_bytes(w, n);
        ce = &st->cache[h & (CACHE_SLOTS - 1)];
        if (ce->serial == t->serial && ce->wlen == n && memcmp(ce->word, w, n) == 0) {
            int k = ce->nids < max ? ce->nids : max;
            if (k > 0)
                memcpy(out, ce->ids, (size_t)k * sizeof(int32_t));
            return ce->nids;
        }
    }
    if (n > st->symcap) {
        st->symcap = n + 64;
        st->sym = xrealloc(st->sym, st->symcap * sizeof(int32_t));
    }
    int32_t *sym = st->sym;
    size_t ns = n;
    for (size_t i = 0; i + 1 < n; i++)
        sym[i] = t->byte_id[w[i]];
    sym[n - 1] = t->byte_wid[w[n - 1]];
    if (n > BPE_LONG_WORD)
        ns = bpe_long(t, sym, n);
    while (ns > 1 && n <= BPE_LONG_WORD) {
        int32_t best = INT32_MAX, ba = -1, bb = -1;
        for (size_t i = 0; i + 1 < ns; i++) {
            const merge_slot *m = merge_get(t, sym[i], sym[i + 1]);
            if (m && m->rank < best) {
                best = m->rank;
                ba = sym[i];
                bb = sym[i + 1];
            }
        }
        if (ba < 0)
            break;
        int32_t merged = merge_get(t, ba, bb)->id;
        size_t o = 0;
        for (size_t i = 0; i < ns;) {
            if (i + 1 < ns && sym[i] == ba && sym[i + 1] == bb) {
                sym[o++] = merged;
                i += 2;
            } else {
                sym[o++] = sym[i++];
            }
        }
        ns = o;
    }
    int k = (int)ns < max ? (int)ns : max;
    if (k > 0)
        memcpy(out, sym, (size_t)k * sizeof(int32_t));
    if (ce && ns <= CACHE_IDS) {
        ce->serial = t->serial;
        ce->wlen = (uint8_t)n;
        memcpy(ce->word, w, n);
        ce->nids = (uint8_t)ns;
        memcpy(ce->ids, sym, ns * sizeof(int32_t));
    }
    return (int)ns;
}

int clip_tokenizer_bpe_word(const clip_tokenizer *t, const char *word, size_t len, int32_t *ids, int max)
{
    if (!t || !word || (max > 0 && !ids))
        return -1;
    return bpe_word(t, tls_get(), (const unsigned char *)word, len, ids, max < 0 ? 0 : max);
}

/* ---- text cleanup ------------------------------------------------------------ */

static int in_ranges(const uint32_t (*r)[2], size_t n, uint32_t c)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < r[mid][0])
            hi = mid;
        else if (c > r[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

static int is_cased(uint32_t c)
{
    return in_ranges(clip_cased_ranges, sizeof clip_cased_ranges / sizeof clip_cased_ranges[0], c);
}

static int is_case_ignorable(uint32_t c)
{
    return in_ranges(clip_case_ignorable_ranges,
                     sizeof clip_case_ignorable_ranges / sizeof clip_case_ignorable_ranges[0], c);
}

/* Unicode White_Space: what CLIP's regex `\s` matches. */
static inline int is_ws(uint32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= 0x09 && c <= 0x0D);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Python's str.isspace() (used by str.strip() and str.split()): adds U+001C..U+001F. */
static inline int is_pyspace(uint32_t c) { return is_ws(c) || (c >= 0x1C && c <= 0x1F); }

/* Unassigned in the reference's Unicode (Python 3.11: 14.0) but maybe not in utf8proc's. */
static int is_py_unassigned(uint32_t c)
{
    return in_ranges(clip_unassigned_ranges, sizeof clip_unassigned_ranges / sizeof clip_unassigned_ranges[0], c);
}

static inline int is_letter(uint32_t c)
{
    if (c < 0x80)
        return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO && !is_py_unassigned(c);
}

static inline int is_number(uint32_t c)
{
    if (c < 0x80)
        return c >= '0' && c <= '9';
    utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)c);
    return k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO && !is_py_unassigned(c);
}

/* Decodes UTF-8 into cp (room for n). Returns the count. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t i = 0, k = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            cp[k++] = s[i++];
            continue;
        }
        i += cc_utf8_next(s + i, n - i, &cp[k]);
        if (cp[k] == CC_UTF8_BAD)
            cp[k] = 0xFFFD; /* as Python's decode(errors="replace") */
        k++;
    }
    return k;
}

static void encode_cps(const uint32_t *cp, size_t n, ccbuf *out)
{
    ccbuf_reserve(out, n * 4);
    for (size_t i = 0; i < n; i++) {
        if (cp[i] < 0x80)
            out->data[out->len++] = (unsigned char)cp[i];
        else
            out->len += cc_utf8_encode(cp[i], out->data + out->len);
    }
    out->data[out->len] = '\0';
}

static int has_byte(const ccbuf *b, int c) { return b->len && memchr(b->data, c, b->len) != NULL; }

/* Windows-1252 for U+0080..U+009F (undefined positions stay as they are). */
static const uint16_t cp1252_c1[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

static int is_ftfy_control(uint32_t c)
{
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) ||
           c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

/* Appends NFKC(c) as code points (used for width and ligature folding). */
static void put_nfkc(ccbuf *out, uint32_t c)
{
    unsigned char s[8];
    size_t n = cc_utf8_encode(c, s);
    utf8proc_uint8_t *d = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &d,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    if (r > 0)
        ccbuf_append(out, d, (size_t)r);
    else
        ccbuf_append(out, s, n);
    free(d);
}

/* ftfy-like fixes on UTF-8 text in `in`, result in `out` (see CLIP_TOK_FTFY). */
static void ftfy_lite(tls_state *st, ccbuf *in, ccbuf *out)
{
    ccbuf_reset(out);
    if (has_byte(in, '&') && !has_byte(in, '<')) {
        cc_html_unescape((const char *)in->data, in->len, out);
        ccbuf *t = in;
        ccbuf_reset(t);
        ccbuf_append(t, out->data, out->len);
        ccbuf_reset(out);
    }
    cp_reserve(st, in->len + 1);
    size_t n = utf8_decode(in->data, in->len, st->cp);
    uint32_t *cp = st->cp;
    ccbuf_reserve(out, in->len + 16);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if (c == 0x1B && i + 1 < n && cp[i + 1] == '[') { /* terminal escape ESC [ digits/; letter */
            size_t j = i + 2;
            while (j < n && ((cp[j] >= '0' && cp[j] <= '9') || cp[j] == ';'))
                j++;
            if (j < n && cp[j] < 0x80 && ((cp[j] | 0x20) >= 'a' && (cp[j] | 0x20) <= 'z')) {
                i = j;
                continue;
            }
        }
        if (c >= 0x80 && c <= 0x9F) {
            c = cp1252_c1[c - 0x80];
            if (c == 0x85)
                c = '\n';
        }
        if (c == 0x0132 || c == 0x0133 || c == 0x0149 || (c >= 0x01C7 && c <= 0x01CC) ||
            (c >= 0x01F1 && c <= 0x01F3) || (c >= 0xFB00 && c <= 0xFB06) || (c >= 0xFF01 && c <= 0xFFEF)) {
            put_nfkc(out, c); /* ligatures, full/half width */
            continue;
        }
        if (c == 0x3000)
            c = ' ';
        else if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B))
            c = '\'';
        else if (c >= 0x201C && c <= 0x201F)
            c = '"';
        else if (c == '\r') {
            if (i + 1 < n && cp[i + 1] == '\n')
                continue;
            c = '\n';
        } else if (c == 0x2028 || c == 0x2029 || c == 0x85)
            c = '\n';
        if (is_ftfy_control(c))
            continue;
        cc_utf8_put(out, c);
    }
    /* NFC */
    utf8proc_uint8_t *d = NULL;
    utf8proc_ssize_t r = utf8proc_map(out->data ? out->data : (const utf8proc_uint8_t *)"", (utf8proc_ssize_t)out->len,
                                      &d, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (r >= 0) {
        ccbuf_reset(out);
        ccbuf_append(out, d, (size_t)r);
    }
    free(d);
}

/* The whole cleanup, leaving the cleaned code points in st->cp[0..*n_out). */
static void clean_to_cps(tls_state *st, const char *text, size_t n, unsigned flags, size_t *n_out)
{
    ccbuf *a = &st->a, *b = &st->b;
    ccbuf_reset(a);
    ccbuf_reset(b);
    ccbuf_append(a, text, n);
    if (flags & CLIP_TOK_FTFY) {
        ftfy_lite(st, a, b);
        ccbuf *t = a;
        a = b;
        b = t;
    }
    /* html.unescape twice (only when there is an '&' at all). */
    for (int k = 0; k < 2 && has_byte(a, '&'); k++) {
        ccbuf_reset(b);
        cc_html_unescape((const char *)a->data, a->len, b);
        ccbuf *t = a;
        a = b;
        b = t;
    }
    cp_reserve(st, a->len + 1);
    size_t m = utf8_decode(a->data, a->len, st->cp);
    uint32_t *cp = st->cp, *o = st->cp2;
    /* strip (isspace) -> collapse runs of `\s` to one space -> strip -> lower */
    size_t lo = 0, hi = m;
    while (lo < hi && is_pyspace(cp[lo]))
        lo++;
    while (hi > lo && is_pyspace(cp[hi - 1]))
        hi--;
    int openclip = (flags & CLIP_TOK_OPENCLIP) != 0;
    size_t k = 0;
    int in_ws = 0;
    for (size_t i = lo; i < hi; i++) {
        uint32_t c = cp[i];
        if (openclip ? is_pyspace(c) : is_ws(c)) {
            in_ws = 1;
        } else {
            if (in_ws && k)
                o[k++] = ' ';
            in_ws = 0;
            o[k++] = c;
        }
    }
    lo = 0;
    hi = k;
    while (lo < hi && is_pyspace(o[lo]))
        lo++;
    while (hi > lo && is_pyspace(o[hi - 1]))
        hi--;
    /* Python str.lower(): full mappings (U+0130 -> i + U+0307) and final sigma.
     * Output can grow by one code point per U+0130. */
    size_t extra = 0;
    for (size_t i = lo; i < hi; i++)
        extra += o[i] == 0x130;
    cp_reserve(st, hi - lo + extra + 1);
    cp = st->cp;
    o = st->cp2;
    size_t w = 0;
    for (size_t i = lo; i < hi; i++) {
        uint32_t c = o[i];
        if (c < 0x80) {
            cp[w++] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        } else if (c == 0x130) {
            cp[w++] = 'i';
            cp[w++] = 0x307;
        } else if (c == 0x3A3) {
            /* Final_Sigma: cased (case-ignorable)* SIGMA !((case-ignorable)* cased) */
            size_t j = i;
            while (j > lo && is_case_ignorable(o[j - 1]))
                j--;
            int fin = j > lo && is_cased(o[j - 1]);
            if (fin) {
                j = i + 1;
                while (j < hi && is_case_ignorable(o[j]))
                    j++;
                fin = j == hi || !is_cased(o[j]);
            }
            cp[w++] = fin ? 0x3C2 : 0x3C3;
        } else {
            cp[w++] = (uint32_t)utf8proc_tolower((utf8proc_int32_t)c);
        }
    }
    *n_out = w;
}

void clip_tokenizer_clean(const char *utf8, size_t n, unsigned flags, ccbuf *out)
{
    tls_state *st = tls_get();
    size_t m;
    clean_to_cps(st, utf8 ? utf8 : "", utf8 ? n : 0, flags, &m);
    encode_cps(st->cp, m, out);
}

/* ---- pre-tokenizer ---------------------------------------------------------- */

static const char *const specials_openai[2] = {"<|startoftext|>", "<|endoftext|>"};
static const char *const specials_openclip[2] = {"<start_of_text>", "<end_of_text>"};

/* Matches ASCII string s at cp[i..). */
static size_t match_ascii(const uint32_t *cp, size_t i, size_t n, const char *s)
{
    size_t k = 0;
    for (; s[k]; k++)
        if (i + k >= n || cp[i + k] != (unsigned char)s[k])
            return 0;
    return k;
}

/* Calls fn for each pre-token [i, j) of cp; special = 0 none, 1 sot, 2 eot. */
typedef void (*word_cb)(void *ctx, const uint32_t *cp, size_t i, size_t j, int special);

static void pretokenize(const uint32_t *cp, size_t n, unsigned flags, word_cb fn, void *ctx)
{
    static const char *const contractions[7] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
    const char *const *specials = (flags & CLIP_TOK_OPENCLIP) ? specials_openclip : specials_openai;
    size_t i = 0;
    while (i < n) {
        uint32_t c = cp[i];
        if (is_ws(c) || c == 0x345) { /* U+0345 matches no alternative under IGNORECASE */
            i++;
            continue;
        }
        size_t len = 0;
        if (c == '<') {
            for (int s = 0; s < 2; s++)
                if ((len = match_ascii(cp, i, n, specials[s])) != 0) {
                    fn(ctx, cp, i, i + len, s + 1);
                    break;
                }
            if (len) {
                i += len;
                continue;
            }
        }
        if (c == '\'') {
            for (int s = 0; s < 7 && !len; s++)
                len = match_ascii(cp, i, n, contractions[s]);
            if (len) {
                fn(ctx, cp, i, i + len, 0);
                i += len;
                continue;
            }
        }
        size_t j = i + 1;
        if (is_letter(c)) {
            while (j < n && is_letter(cp[j]))
                j++;
        } else if (!is_number(c)) {
            while (j < n && !(is_ws(cp[j]) || cp[j] == 0x345 || is_letter(cp[j]) || is_number(cp[j])))
                j++;
        }
        fn(ctx, cp, i, j, 0);
        i = j;
    }
}

typedef struct {
    const clip_tokenizer *t;
    tls_state *st;
    int32_t *ids;
    int max;      /* room for BPE ids */
    int n;        /* BPE ids produced (may exceed max) */
    char wbuf[256];
    ccbuf *big;
} enc_ctx;

static void enc_word(void *vctx, const uint32_t *cp, size_t i, size_t j, int special)
{
    enc_ctx *c = vctx;
    if (special) {
        if (c->n < c->max)
            c->ids[c->n] = special == 1 ? c->t->sot : c->t->eot;
        c->n++;
        return;
    }
    unsigned char *w = (unsigned char *)c->wbuf;
    size_t wl = 0;
    if ((j - i) * 4 > sizeof c->wbuf) {
        ccbuf_reset(c->big);
        encode_cps(cp + i, j - i, c->big);
        w = c->big->data;
        wl = c->big->len;
    } else {
        for (size_t k = i; k < j; k++)
            wl += cc_utf8_encode(cp[k], (unsigned char *)w + wl);
    }
    int room = c->max - c->n;
    int got = bpe_word(c->t, c->st, w, wl, c->ids + (room > 0 ? c->n : 0), room > 0 ? room : 0);
    c->n += got;
}

int clip_tokenize_ex(const clip_tokenizer *t, const char *utf8, size_t n, unsigned flags, int32_t *ids, int max_len,
                     int *eot_index, int *n_bpe_out)
{
    if (!t || !utf8 || !ids || max_len < 2)
        return -1;
    tls_state *st = tls_get();
    size_t m;
    clean_to_cps(st, utf8, n, flags, &m);
    ccbuf big = {0};
    enc_ctx c = {.t = t, .st = st, .ids = ids + 1, .max = max_len - 2, .n = 0, .big = &big};
    /* Pre-tokens read st->cp; bpe_word uses only st->sym and the cache. */
    pretokenize(st->cp, m, flags, enc_word, &c);
    ccbuf_free(&big);
    int nb = c.n < c.max ? c.n : c.max;
    ids[0] = t->sot;
    ids[nb + 1] = t->eot;
    if (n_bpe_out)
        *n_bpe_out = c.n;
    if (eot_index) {
        int e = nb + 1;
        for (int k = 1; k <= nb; k++)
            if (ids[k] == t->eot) {
                e = k;
                break;
            }
        *eot_index = e;
    }
    return nb + 2;
}

int clip_tokenize(const clip_tokenizer *t, const char *utf8, int32_t *ids, int max_len, int *eot_index)
{
    if (!t || !utf8)
        return -1;
    return clip_tokenize_ex(t, utf8, strlen(utf8), t->flags, ids, max_len, eot_index, NULL);
}

typedef struct {
    clip_word_fn fn;
    void *ctx;
    const char *clean;
    const size_t *offs; /* code point index -> byte offset in clean */
} words_ctx;

static void words_cb(void *vctx, const uint32_t *cp, size_t i, size_t j, int special)
{
    (void)cp;
    (void)special;
    words_ctx *c = vctx;
    c->fn(c->ctx, c->clean + c->offs[i], c->offs[j] - c->offs[i]);
}

void clip_tokenizer_words(const char *clean, size_t n, unsigned flags, clip_word_fn fn, void *ctx)
{
    if (!clean || !fn)
        return;
    uint32_t *cp = xmalloc((n + 1) * sizeof(uint32_t));
    size_t *offs = xmalloc((n + 1) * sizeof(size_t));
    /* Decode keeping byte offsets (invalid bytes -> U+FFFD, one byte each). */
    const unsigned char *s = (const unsigned char *)clean;
    size_t i = 0, k = 0;
    while (i < n) {
        offs[k] = i;
        i += cc_utf8_next(s + i, n - i, &cp[k]);
        if (cp[k] == CC_UTF8_BAD)
            cp[k] = 0xFFFD; /* as Python's decode(errors="replace") */
        k++;
    }
    offs[k] = n;
    words_ctx c = {fn, ctx, clean, offs};
    pretokenize(cp, k, flags, words_cb, &c);
    free(cp);
    free(offs);
}
