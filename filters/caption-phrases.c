/* caption-phrases.c — e2guardian-style weighted phrase lists: parsing and
 * scoring (the format and matching rules are in caption-phrases.h).
 *
 * Text and parts are case-folded with their accents kept (see
 * bounded). The distinct parts of all phrases sit in a byte trie, so one walk from
 * every character of the caption finds every part present whatever the
 * list's size; a phrase is then checked only when one of its parts was
 * found. */
#include "caption-phrases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caption-internal.h"
#include "common.h"

#define MAX_PARTS 16
#define MAX_WEIGHT 100000L

typedef struct {
    int child, sibling; /* node ids; -1 = none */
    int part;           /* part that ends here, -1 = none */
    unsigned char c;
} tnode;

typedef struct {
    int part[MAX_PARTS];
    int nparts;
    long weight;
} phrase;

struct phrase_list {
    char **parts; /* normalised part text (edge spaces = word boundaries) */
    int nparts, partcap;
    int **uses; /* phrases that contain each part */
    int *nuses;
    phrase *ph;
    size_t nph, phcap;
    tnode *node;
    int nnodes, nodecap;
};

/* S[0..n) folded with its accents kept (cap_fold_keep_accents: e2guardian
 * compares bytes, and its lists spell accents where a language has them,
 * "érotique", "pênis"; stripping them would make Vietnamese "dòng", "cú"
 * the list's "dong", "cu") with each run of characters that are not
 * letters, digits or marks made one space. EDGES: a space before and after
 * (the caption's form); otherwise edge spaces stay only where the input had
 * a non-word character there (a part's boundary marks). */
static char *bounded(const char *s, size_t n, int edges, size_t *outlen)
{
    size_t fl;
    char *f = cap_fold_keep_accents(s, n, &fl);
    char *out = xmalloc(fl + 3);
    size_t o = 0, i = 0;
    if (edges)
        out[o++] = ' ';
    while (i < fl) {
        size_t at = i;
        int32_t cp = cap_next_cp((const unsigned char *)f, fl, &i);
        if (cp >= 0 && cap_is_wordchar(cp)) {
            memcpy(out + o, f + at, i - at);
            o += i - at;
        } else if (o == 0 || out[o - 1] != ' ') {
            out[o++] = ' ';
        }
    }
    if (edges && (o == 0 || out[o - 1] != ' '))
        out[o++] = ' ';
    out[o] = '\0';
    free(f);
    *outlen = o;
    return out;
}

static int new_node(phrase_list *l, unsigned char c)
{
    if (l->nnodes == l->nodecap) {
        l->nodecap = l->nodecap ? l->nodecap * 2 : 256;
        l->node = xrealloc(l->node, (size_t)l->nodecap * sizeof *l->node);
    }
    l->node[l->nnodes] = (tnode){-1, -1, -1, c};
    return l->nnodes++;
}

static int child_of(const phrase_list *l, int n, unsigned char c)
{
    for (int k = l->node[n].child; k >= 0; k = l->node[k].sibling)
        if (l->node[k].c == c)
            return k;
    return -1;
}

/* The id of part P (normalised), added to the trie when new. */
static int part_id(phrase_list *l, const char *p, size_t pl)
{
    int n = 0;
    for (size_t i = 0; i < pl; i++) {
        int k = child_of(l, n, (unsigned char)p[i]);
        if (k < 0) {
            k = new_node(l, (unsigned char)p[i]);
            l->node[k].sibling = l->node[n].child;
            l->node[n].child = k;
        }
        n = k;
    }
    if (l->node[n].part >= 0)
        return l->node[n].part;
    if (l->nparts == l->partcap) {
        l->partcap = l->partcap ? l->partcap * 2 : 256;
        l->parts = xrealloc(l->parts, (size_t)l->partcap * sizeof *l->parts);
        l->uses = xrealloc(l->uses, (size_t)l->partcap * sizeof *l->uses);
        l->nuses = xrealloc(l->nuses, (size_t)l->partcap * sizeof *l->nuses);
    }
    l->parts[l->nparts] = xstrndup(p, pl);
    l->uses[l->nparts] = NULL;
    l->nuses[l->nparts] = 0;
    l->node[n].part = l->nparts;
    return l->nparts++;
}

static void add_use(phrase_list *l, int part, int ph)
{
    int k = l->nuses[part];
    if (k && l->uses[part][k - 1] == ph) /* the same part twice in one phrase */
        return;
    l->uses[part] = xrealloc(l->uses[part], (size_t)(k + 1) * sizeof **l->uses);
    l->uses[part][k] = ph;
    l->nuses[part] = k + 1;
}

/* Parses one line s[0..n) (no newline): `<part>,<part>...<weight>`, then
 * only blanks or a '#' comment. 0 = ok (a phrase added, or a blank or
 * comment line), -1 with MSG set. */
static int parse_line(phrase_list *l, const char *s, size_t n, char *msg, size_t msglen)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    if (i == n || s[i] == '#')
        return 0;
    /* the groups <...>: parts separated by ',', the weight right after the
     * last part */
    size_t gst[MAX_PARTS + 1], gen[MAX_PARTS + 1];
    int ng = 0, adjacent = 0;
    for (;;) {
        if (i >= n || s[i] != '<') {
            snprintf(msg, msglen, "expected '<' at column %zu", i + 1);
            return -1;
        }
        if (ng == MAX_PARTS + 1) {
            snprintf(msg, msglen, "more than %d parts", MAX_PARTS);
            return -1;
        }
        gst[ng] = ++i;
        while (i < n && s[i] != '>' && s[i] != '<')
            i++;
        if (i >= n || s[i] != '>') {
            snprintf(msg, msglen, "unclosed '<' at column %zu", gst[ng]);
            return -1;
        }
        gen[ng++] = i++;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i < n && (s[i] == ',' || s[i] == '<') && adjacent) {
            snprintf(msg, msglen, "text after the weight at column %zu", i + 1);
            return -1;
        }
        if (i < n && s[i] == ',') { /* another part follows */
            i++;
            while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
            continue;
        }
        if (i < n && s[i] == '<') { /* the last part; the weight follows */
            adjacent = 1;
            continue;
        }
        break;
    }
    if (!adjacent) {
        snprintf(msg, msglen, "a phrase needs <part>...<weight>");
        return -1;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    if (i < n && s[i] != '#') {
        snprintf(msg, msglen, "text after the weight at column %zu", i + 1);
        return -1;
    }
    /* the weight: the last group */
    char num[24], *end;
    size_t wst = gst[ng - 1], wl = gen[ng - 1] - wst;
    if (wl == 0 || wl >= sizeof num) {
        snprintf(msg, msglen, "bad weight at column %zu", wst);
        return -1;
    }
    memcpy(num, s + wst, wl);
    num[wl] = '\0';
    long w = strtol(num, &end, 10);
    if (*end || end == num || w > MAX_WEIGHT || w < -MAX_WEIGHT) {
        snprintf(msg, msglen, "weight '%s' is not an integer within +-%ld", num, MAX_WEIGHT);
        return -1;
    }
    phrase p = {{0}, 0, w};
    for (int g = 0; g < ng - 1; g++) {
        size_t bl;
        char *b = bounded(s + gst[g], gen[g] - gst[g], 0, &bl);
        if (bl == 0 || (bl == 1 && b[0] == ' ')) {
            free(b);
            snprintf(msg, msglen, "part at column %zu has no letter or digit", gst[g]);
            return -1;
        }
        p.part[p.nparts++] = part_id(l, b, bl);
        free(b);
    }
    if (l->nph == l->phcap) {
        l->phcap = l->phcap ? l->phcap * 2 : 256;
        l->ph = xrealloc(l->ph, l->phcap * sizeof *l->ph);
    }
    for (int k = 0; k < p.nparts; k++)
        add_use(l, p.part[k], (int)l->nph);
    l->ph[l->nph++] = p;
    return 0;
}

phrase_list *phrase_list_parse(const char *text, size_t n, const char *name, char *err, size_t errlen)
{
    phrase_list *l = xcalloc(1, sizeof *l);
    new_node(l, 0); /* the root */
    size_t line = 1, st = 0;
    if (n >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) /* a UTF-8 byte order mark */
        st = 3;
    while (st < n) {
        const char *nl = memchr(text + st, '\n', n - st);
        size_t en = nl ? (size_t)(nl - text) : n;
        char msg[128];
        if (parse_line(l, text + st, en - st, msg, sizeof msg) != 0) {
            snprintf(err, errlen, "%s:%zu: %s", name, line, msg);
            phrase_list_free(l);
            return NULL;
        }
        st = en + 1;
        line++;
    }
    return l;
}

void phrase_list_free(phrase_list *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->nparts; i++) {
        free(l->parts[i]);
        free(l->uses[i]);
    }
    free(l->parts);
    free(l->uses);
    free(l->nuses);
    free(l->ph);
    free(l->node);
    free(l);
}

size_t phrase_list_count(const phrase_list *l)
{
    return l ? l->nph : 0;
}

/* The caption form of phrase P's parts for a detail: "'anal'+'porn'". */
static void phrase_label(const phrase_list *l, const phrase *p, ccbuf *out)
{
    for (int k = 0; k < p->nparts; k++) {
        const char *s = l->parts[p->part[k]];
        size_t sl = strlen(s);
        while (sl && s[sl - 1] == ' ')
            sl--;
        while (sl && *s == ' ')
            s++, sl--;
        if (k)
            ccbuf_append(out, "+", 1);
        ccbuf_append(out, "'", 1);
        ccbuf_append(out, s, sl);
        ccbuf_append(out, "'", 1);
    }
}

static void write_detail(const phrase_list *l, long score, int *hit, size_t nhit, char *detail, size_t detaillen)
{
    /* positive phrases, highest weight first (ties: list order) */
    for (size_t a = 1; a < nhit; a++)
        for (size_t b = a; b > 0; b--) {
            const phrase *x = &l->ph[hit[b - 1]], *y = &l->ph[hit[b]];
            if (x->weight > y->weight || (x->weight == y->weight && hit[b - 1] < hit[b]))
                break;
            int t = hit[b];
            hit[b] = hit[b - 1];
            hit[b - 1] = t;
        }
    ccbuf out = {0};
    char num[48];
    snprintf(num, sizeof num, "score %ld:", score);
    ccbuf_append(&out, num, strlen(num));
    for (size_t k = 0; k < nhit; k++) {
        if (l->ph[hit[k]].weight <= 0)
            continue;
        ccbuf_append(&out, k ? ", " : " ", k ? 2 : 1);
        phrase_label(l, &l->ph[hit[k]], &out);
        snprintf(num, sizeof num, " %ld", l->ph[hit[k]].weight);
        ccbuf_append(&out, num, strlen(num));
    }
    size_t len = out.len < detaillen ? out.len : detaillen - 1;
    /* cut at a character boundary */
    while (len > 0 && len < out.len && (out.data[len] & 0xC0) == 0x80)
        len--;
    memcpy(detail, out.data, len);
    detail[len] = '\0';
    ccbuf_free(&out);
}

long phrase_list_score(const phrase_list *l, const char *text, size_t n, char *detail, size_t detaillen)
{
    if (detail && detaillen)
        detail[0] = '\0';
    if (!l || l->nph == 0)
        return 0;
    size_t tl;
    char *t = bounded(text, n, 1, &tl);
    unsigned char *seen = xcalloc((size_t)l->nparts, 1);
    int *found = NULL;
    size_t nfound = 0;
    for (size_t i = 0; i < tl; i++) {
        if (((unsigned char)t[i] & 0xC0) == 0x80) /* inside a character */
            continue;
        int nd = 0;
        for (size_t j = i; j < tl; j++) {
            nd = child_of(l, nd, (unsigned char)t[j]);
            if (nd < 0)
                break;
            int p = l->node[nd].part;
            if (p >= 0 && !seen[p]) {
                seen[p] = 1;
                found = xrealloc(found, (nfound + 1) * sizeof *found);
                found[nfound++] = p;
            }
        }
    }
    long score = 0;
    int *hit = NULL;
    size_t nhit = 0;
    for (size_t f = 0; f < nfound; f++)
        for (int u = 0; u < l->nuses[found[f]]; u++) {
            int ph = l->uses[found[f]][u];
            const phrase *p = &l->ph[ph];
            int all = 1, first = 1;
            for (int k = 0; k < p->nparts && all; k++) {
                all = seen[p->part[k]];
                /* counted once: by the first of its parts that was found */
                for (size_t g = 0; g < f && first; g++)
                    if (found[g] == p->part[k])
                        first = 0;
            }
            if (!all || !first)
                continue;
            score += p->weight;
            hit = xrealloc(hit, (nhit + 1) * sizeof *hit);
            hit[nhit++] = ph;
        }
    if (detail && detaillen)
        write_detail(l, score, hit, nhit, detail, detaillen);
    free(hit);
    free(found);
    free(seen);
    free(t);
    return score;
}
