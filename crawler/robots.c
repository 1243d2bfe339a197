/* robots.c — robots.txt parser and matcher (RFC 9309). See robots.h. */
#include "robots.h"
#include "text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

typedef struct {
    char *pat;          /* escaped pattern (may hold any byte) */
    size_t len;
    unsigned char allow;
} rrule;

typedef struct {
    char **agents;      /* lower-cased product tokens named by the group */
    size_t n_agents;
    int global;         /* the group names "*" */
    rrule *rules;
    size_t n_rules, cap_rules;
    double delay;       /* -1 = none */
} rgroup;

enum { MODE_PARSED = 0, MODE_ALLOW_ALL = 1, MODE_DISALLOW_ALL = 2 };

struct robots_rules {
    int mode;
    rgroup *groups;
    size_t n_groups, cap_groups;
    char **sitemaps;
    size_t n_sitemaps, cap_sitemaps;
    size_t valid, unknown, lines;
    int truncated;
};

static robots_rules *rules_new(int mode)
{
    robots_rules *r = xcalloc(1, sizeof *r);
    r->mode = mode;
    return r;
}

robots_rules *robots_allow_all(void) { return rules_new(MODE_ALLOW_ALL); }
robots_rules *robots_disallow_all(void) { return rules_new(MODE_DISALLOW_ALL); }

void robots_free(robots_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_groups; i++) {
        rgroup *g = &r->groups[i];
        for (size_t j = 0; j < g->n_agents; j++)
            free(g->agents[j]);
        free(g->agents);
        for (size_t j = 0; j < g->n_rules; j++)
            free(g->rules[j].pat);
        free(g->rules);
    }
    free(r->groups);
    for (size_t i = 0; i < r->n_sitemaps; i++)
        free(r->sitemaps[i]);
    free(r->sitemaps);
    free(r);
}

int robots_status_unreachable(int http_status)
{
    return http_status <= 0 || http_status == 429 || (http_status >= 500 && http_status <= 599);
}

robots_rules *robots_for_status(int http_status, const char *body, size_t n)
{
    if (http_status >= 200 && http_status <= 299)
        return robots_parse(body, n);
    if (http_status >= 400 && http_status <= 499 && http_status != 429)
        return robots_allow_all();
    return robots_disallow_all();
}

/* ---- escaping ------------------------------------------------------------ */

/* Upper-cases %xx escapes; with encode_high also %-encodes octets >= 0x80. */
static char *escape_bytes(const char *s, size_t n, int encode_high, size_t *outlen)
{
    ccbuf b = {0};
    ccbuf_reserve(&b, n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && cc_hexval((unsigned char)s[i + 1]) >= 0 &&
            cc_hexval((unsigned char)s[i + 2]) >= 0) {
            ccbuf_putc(&b, '%');
            ccbuf_putc(&b, toupper((unsigned char)s[i + 1]));
            ccbuf_putc(&b, toupper((unsigned char)s[i + 2]));
            i += 2;
        } else if (encode_high && c >= 0x80) {
            ccbuf_putc(&b, '%');
            ccbuf_putc(&b, CC_HEX_UPPER[c >> 4]);
            ccbuf_putc(&b, CC_HEX_UPPER[c & 15]);
        } else {
            ccbuf_putc(&b, c);
        }
    }
    return ccbuf_detach(&b, outlen); /* never NULL, "" when empty */
}

char *robots_escape_pattern(const char *pattern)
{
    if (!pattern)
        pattern = "";
    return escape_bytes(pattern, strlen(pattern), 1, NULL);
}

/* ---- URL → path ----------------------------------------------------------- */

char *robots_url_path(const char *url)
{
    if (!url)
        return xstrdup("/");
    size_t len = strlen(url);
    size_t start = 0;
    if (len >= 2 && url[0] == '/' && url[1] == '/')
        start = 2; /* scheme-relative: skip the two slashes, then the authority */
    size_t early = start + strcspn(url + start, "/?;");
    const char *proto = strstr(url + start, "://");
    size_t proto_end = proto ? (size_t)(proto - url) : len;
    if (early < proto_end)
        proto_end = len; /* "://" inside path/query is not a scheme separator */
    if (proto_end == len)
        proto_end = start;
    else
        proto_end += 3;
    size_t path_start = proto_end + strcspn(url + proto_end, "/?;");
    if (path_start >= len)
        return xstrdup("/");
    const char *hash = strchr(url + start, '#');
    size_t hash_pos = hash ? (size_t)(hash - url) : len;
    if (hash_pos < path_start)
        return xstrdup("/");
    size_t path_end = hash_pos;
    if (url[path_start] != '/')
        return xasprintf("/%.*s", (int)(path_end - path_start), url + path_start);
    return xstrndup(url + path_start, path_end - path_start);
}

/* ---- product tokens ----------------------------------------------------- */

size_t robots_product_token(const char *ua, char *out, size_t outlen)
{
    size_t n = 0;
    if (!ua)
        ua = "";
    while (isalpha((unsigned char)ua[n]) || ua[n] == '_' || ua[n] == '-')
        n++;
    if (out && outlen) {
        size_t k = n < outlen - 1 ? n : outlen - 1;
        memcpy(out, ua, k);
        out[k] = 0;
    }
    return n;
}

int robots_token_valid(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!(isalpha((unsigned char)*s) || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* ---- parser --------------------------------------------------------------- */

typedef enum { K_UNKNOWN, K_UA, K_ALLOW, K_DISALLOW, K_SITEMAP, K_DELAY } key_kind;

static key_kind classify_key(const char *k, size_t n)
{
    static const struct { const char *name; key_kind kind; } keys[] = {
        {"user-agent", K_UA}, {"useragent", K_UA}, {"user agent", K_UA},
        {"allow", K_ALLOW},
        {"disallow", K_DISALLOW}, {"dissallow", K_DISALLOW}, {"dissalow", K_DISALLOW},
        {"disalow", K_DISALLOW}, {"diasllow", K_DISALLOW}, {"disallaw", K_DISALLOW},
        {"sitemap", K_SITEMAP}, {"site-map", K_SITEMAP},
        {"crawl-delay", K_DELAY}, {"crawldelay", K_DELAY}, {"crawl delay", K_DELAY},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen(keys[i].name) == n && strncasecmp(keys[i].name, k, n) == 0)
            return keys[i].kind;
    return K_UNKNOWN;
}

static int is_ws(int c) { return c == ' ' || c == '\t'; }

static rgroup *new_group(robots_rules *r)
{
    if (r->n_groups == r->cap_groups) {
        r->cap_groups = r->cap_groups ? 2 * r->cap_groups : 8;
        r->groups = xrealloc(r->groups, r->cap_groups * sizeof *r->groups);
    }
    rgroup *g = &r->groups[r->n_groups++];
    memset(g, 0, sizeof *g);
    g->delay = -1;
    return g;
}

static void add_rule(rgroup *g, int allow, const char *v, size_t n)
{
    if (g->n_rules == g->cap_rules) {
        g->cap_rules = g->cap_rules ? 2 * g->cap_rules : 8;
        g->rules = xrealloc(g->rules, g->cap_rules * sizeof *g->rules);
    }
    rrule *ru = &g->rules[g->n_rules++];
    ru->pat = escape_bytes(v, n, 1, &ru->len);
    ru->allow = (unsigned char)allow;
}

static void add_agent(rgroup *g, const char *v, size_t n)
{
    /* Google: "*" followed by nothing or a space is the global agent. */
    if (n >= 1 && v[0] == '*' && (n == 1 || is_ws((unsigned char)v[1]))) {
        g->global = 1;
        return;
    }
    size_t k = 0;
    while (k < n && (isalpha((unsigned char)v[k]) || v[k] == '_' || v[k] == '-'))
        k++;
    if (k == 0)
        return; /* names no valid token: matches nobody */
    g->agents = xrealloc(g->agents, (g->n_agents + 1) * sizeof *g->agents);
    char *a = xstrndup(v, k);
    for (char *p = a; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    g->agents[g->n_agents++] = a;
}

typedef struct {
    robots_rules *r;
    rgroup *cur;       /* group being filled */
    int cur_has_rules; /* a rule line was seen since the last user-agent line */
} pstate;

/* Handles one line (no terminator), at most ROBOTS_MAX_LINE bytes. */
static void parse_line(pstate *st, const char *line, size_t n)
{
    robots_rules *r = st->r;
    const char *hash = memchr(line, '#', n);
    if (hash)
        n = (size_t)(hash - line);
    size_t a = 0;
    while (a < n && isspace((unsigned char)line[a]))
        a++;
    while (n > a && isspace((unsigned char)line[n - 1]))
        n--;
    if (a == n)
        return;
    const char *s = line + a;
    n -= a;
    const char *colon = memchr(s, ':', n);
    size_t klen, vstart;
    if (colon) {
        klen = (size_t)(colon - s);
        vstart = klen + 1;
    } else {
        /* Google leniency: "key value" with exactly two words. */
        size_t w = 0;
        while (w < n && !is_ws((unsigned char)s[w]))
            w++;
        if (w == n)
            return;
        size_t v = w;
        while (v < n && is_ws((unsigned char)s[v]))
            v++;
        for (size_t i = v; i < n; i++)
            if (is_ws((unsigned char)s[i]))
                return;
        klen = w;
        vstart = v;
    }
    while (klen > 0 && isspace((unsigned char)s[klen - 1]))
        klen--;
    if (klen == 0)
        return;
    while (vstart < n && isspace((unsigned char)s[vstart]))
        vstart++;
    const char *val = s + vstart;
    size_t vlen = n - vstart;

    key_kind kind = classify_key(s, klen);
    if (kind == K_UNKNOWN) {
        r->unknown++;
        return;
    }
    r->valid++;
    switch (kind) {
    case K_UA:
        if (!st->cur || st->cur_has_rules) {
            st->cur = new_group(r);
            st->cur_has_rules = 0;
        }
        add_agent(st->cur, val, vlen);
        break;
    case K_ALLOW:
    case K_DISALLOW:
        if (!st->cur)
            break; /* rules before any user-agent line belong to no group */
        st->cur_has_rules = 1;
        if (vlen == 0)
            break; /* an empty pattern matches nothing */
        add_rule(st->cur, kind == K_ALLOW, val, vlen);
        if (kind == K_ALLOW) {
            /* Google: an allow rule for ".../index.htm[l]" also allows ".../". */
            const char *slash = NULL;
            for (size_t i = vlen; i-- > 0;)
                if (val[i] == '/') {
                    slash = val + i;
                    break;
                }
            if (slash && (size_t)(val + vlen - slash) >= 10 && memcmp(slash, "/index.htm", 10) == 0) {
                size_t plen = (size_t)(slash - val) + 1;
                char *p = xmalloc(plen + 2);
                memcpy(p, val, plen);
                p[plen] = '$';
                p[plen + 1] = 0;
                add_rule(st->cur, 1, p, plen + 1);
                free(p);
            }
        }
        break;
    case K_DELAY:
        if (st->cur && vlen > 0) {
            char tmp[64];
            size_t k = vlen < sizeof tmp - 1 ? vlen : sizeof tmp - 1;
            memcpy(tmp, val, k);
            tmp[k] = 0;
            char *end;
            double d = strtod(tmp, &end);
            if (end != tmp && (*end == 0 || isspace((unsigned char)*end)) && d >= 0 && d < 1e9)
                st->cur->delay = d;
        }
        break;
    case K_SITEMAP:
        if (vlen > 0) {
            if (r->n_sitemaps == r->cap_sitemaps) {
                r->cap_sitemaps = r->cap_sitemaps ? 2 * r->cap_sitemaps : 4;
                r->sitemaps = xrealloc(r->sitemaps, r->cap_sitemaps * sizeof *r->sitemaps);
            }
            r->sitemaps[r->n_sitemaps++] = xstrndup(val, vlen);
        }
        break;
    default:
        break;
    }
}

robots_rules *robots_parse(const char *body, size_t n)
{
    robots_rules *r = rules_new(MODE_PARSED);
    if (!body)
        n = 0;
    if (n > ROBOTS_MAX_BYTES) {
        /* The line the cut runs through is dropped, not parsed in part: half
         * of "Allow: /abc" would allow more than the owner wrote. */
        int cut_at_break = body[ROBOTS_MAX_BYTES] == '\n' || body[ROBOTS_MAX_BYTES] == '\r';
        n = ROBOTS_MAX_BYTES;
        while (!cut_at_break && n > 0 && body[n - 1] != '\n' && body[n - 1] != '\r')
            n--;
        r->truncated = 1;
    }
    /* Skip a UTF-8 BOM, or as much of its prefix as is there (Google). */
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    size_t i = 0;
    while (i < 3 && i < n && (unsigned char)body[i] == bom[i])
        i++;
    pstate st = {r, NULL, 0};
    while (i < n) {
        size_t j = i;
        while (j < n && body[j] != '\n' && body[j] != '\r')
            j++;
        size_t len = j - i;
        if (len > ROBOTS_MAX_LINE)
            len = ROBOTS_MAX_LINE;
        /* NUL bytes inside a line end it (values are C strings later on). */
        const char *nul = memchr(body + i, 0, len);
        if (nul)
            len = (size_t)(nul - (body + i));
        r->lines++;
        parse_line(&st, body + i, len);
        if (j < n && body[j] == '\r' && j + 1 < n && body[j + 1] == '\n')
            j++;
        i = j + 1;
    }
    return r;
}

/* ---- matching ----------------------------------------------------------- */

/* Google's matcher: '*' any run, '$' at the very end anchors. pos is
 * scratch of pathlen + 1 entries. It keeps the set of path positions the
 * pattern so far can end at (never more than pathlen + 1), so the work is
 * O(patlen * pathlen) for any pattern; *steps (may be NULL) adds it up. */
static int pattern_matches(const char *path, size_t pathlen, const char *pat, size_t patlen, size_t *pos,
                           size_t *steps)
{
    size_t numpos = 1;
    pos[0] = 0;
    for (size_t k = 0; k < patlen; k++) {
        char c = pat[k];
        if (steps)
            *steps += numpos;
        if (c == '$' && k + 1 == patlen)
            return pos[numpos - 1] == pathlen;
        if (c == '*') {
            numpos = pathlen - pos[0] + 1;
            for (size_t i = 1; i < numpos; i++)
                pos[i] = pos[i - 1] + 1;
        } else {
            size_t nn = 0;
            for (size_t i = 0; i < numpos; i++)
                if (pos[i] < pathlen && path[pos[i]] == c)
                    pos[nn++] = pos[i] + 1;
            numpos = nn;
            if (numpos == 0)
                return 0;
        }
    }
    return 1;
}

int robots_pattern_matches_steps(const char *path, const char *pattern, size_t *steps)
{
    if (steps)
        *steps = 0;
    if (!path || !pattern)
        return 0;
    size_t pathlen = strlen(path);
    size_t *pos = xmalloc((pathlen + 1) * sizeof *pos);
    int ok = pattern_matches(path, pathlen, pattern, strlen(pattern), pos, steps);
    free(pos);
    return ok;
}

int robots_pattern_matches(const char *path, const char *pattern)
{
    return robots_pattern_matches_steps(path, pattern, NULL);
}

static int group_names(const rgroup *g, const char *agent)
{
    if (!agent || !*agent)
        return 0;
    for (size_t i = 0; i < g->n_agents; i++)
        if (strcasecmp(g->agents[i], agent) == 0)
            return 1;
    return 0;
}

/* Marks in use[] the groups that apply to agent; returns how many. */
static size_t applicable_groups(const robots_rules *r, const char *agent, unsigned char *use)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n_groups; i++)
        if ((use[i] = (unsigned char)group_names(&r->groups[i], agent)))
            k++;
    if (k)
        return k;
    for (size_t i = 0; i < r->n_groups; i++)
        if ((use[i] = (unsigned char)r->groups[i].global))
            k++;
    return k;
}

int robots_allowed(const robots_rules *r, const char *agent, const char *url_or_path)
{
    if (!r || r->mode == MODE_ALLOW_ALL)
        return 1;
    if (r->mode == MODE_DISALLOW_ALL)
        return 0;
    char *raw = robots_url_path(url_or_path);
    size_t pathlen;
    char *path = escape_bytes(raw, strlen(raw), 0, &pathlen);
    free(raw);
    if (strcmp(path, "/robots.txt") == 0) { /* RFC 9309 2.2.2: implicitly allowed */
        free(path);
        return 1;
    }
    unsigned char *use = xcalloc(r->n_groups ? r->n_groups : 1, 1);
    size_t *pos = xmalloc((pathlen + 1) * sizeof *pos);
    long best_allow = -1, best_disallow = -1;
    if (applicable_groups(r, agent, use)) {
        for (size_t gi = 0; gi < r->n_groups; gi++) {
            if (!use[gi])
                continue;
            const rgroup *g = &r->groups[gi];
            for (size_t k = 0; k < g->n_rules; k++) {
                const rrule *ru = &g->rules[k];
                long *best = ru->allow ? &best_allow : &best_disallow;
                if ((long)ru->len <= *best)
                    continue; /* cannot beat what we have */
                if (pattern_matches(path, pathlen, ru->pat, ru->len, pos, NULL))
                    *best = (long)ru->len;
            }
        }
    }
    free(pos);
    free(use);
    free(path);
    if (best_disallow < 0)
        return 1;
    return best_allow >= best_disallow;
}

double robots_crawl_delay(const robots_rules *r, const char *agent)
{
    if (!r || r->mode != MODE_PARSED || r->n_groups == 0)
        return -1;
    unsigned char *use = xcalloc(r->n_groups, 1);
    double d = -1;
    if (applicable_groups(r, agent, use))
        for (size_t i = 0; i < r->n_groups; i++)
            if (use[i] && r->groups[i].delay > d)
                d = r->groups[i].delay; /* merged groups: the most polite value */
    free(use);
    return d;
}

size_t robots_sitemap_count(const robots_rules *r) { return r ? r->n_sitemaps : 0; }

const char *robots_sitemap(const robots_rules *r, size_t i)
{
    return r && i < r->n_sitemaps ? r->sitemaps[i] : NULL;
}

size_t robots_valid_directives(const robots_rules *r) { return r ? r->valid : 0; }
size_t robots_unknown_directives(const robots_rules *r) { return r ? r->unknown : 0; }
size_t robots_lines(const robots_rules *r) { return r ? r->lines : 0; }
int robots_truncated(const robots_rules *r) { return r ? r->truncated : 0; }
