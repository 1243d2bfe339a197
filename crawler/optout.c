/* optout.c — noai / noimageai / TDMRep signals. See optout.h. */
#include "optout.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "json.h"
#include "robots.h"

const char *optout_reason(unsigned mask)
{
    if (mask & OPTOUT_NOAI)
        return "noai";
    if (mask & OPTOUT_NOIMAGEAI)
        return "noimageai";
    if (mask & OPTOUT_TDM_RESERVATION)
        return "tdm_reservation";
    return NULL;
}

unsigned optout_robots_meta(const char *content)
{
    unsigned m = 0;
    if (!content)
        return 0;
    const char *p = content;
    while (*p) {
        while (*p && (*p == ',' || isspace((unsigned char)*p)))
            p++;
        const char *s = p;
        while (*p && *p != ',' && !isspace((unsigned char)*p))
            p++;
        size_t n = (size_t)(p - s);
        if (n == 4 && strncasecmp(s, "noai", 4) == 0)
            m |= OPTOUT_NOAI;
        else if (n == 9 && strncasecmp(s, "noimageai", 9) == 0)
            m |= OPTOUT_NOIMAGEAI;
    }
    return m;
}

/* ---- X-Robots-Tag ------------------------------------------------------------ */

static int ieq_n(const char *a, size_t n, const char *b)
{
    return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

static void trim(const char **s, const char **end)
{
    while (*s < *end && (**s == ' ' || **s == '\t' || **s == '\r'))
        (*s)++;
    while (*end > *s && ((*end)[-1] == ' ' || (*end)[-1] == '\t' || (*end)[-1] == '\r'))
        (*end)--;
}

/* The first opt-out directive in hv that applies to agent: "noai",
 * "noimageai" or NULL. */
static const char *xrobots_first(const char *hv, const char *agent)
{
    if (!hv)
        return NULL;
    const char *line = hv;
    while (*line) {
        const char *eol = strchr(line, '\n');
        if (!eol)
            eol = line + strlen(line);
        const char *agent_name = NULL; /* NULL = applies to every agent */
        size_t agent_len = 0;
        const char *tok = line;
        while (tok < eol) {
            const char *comma = memchr(tok, ',', (size_t)(eol - tok));
            const char *tend = comma ? comma : eol;
            const char *s = tok, *t = tend;
            trim(&s, &t);
            const char *colon = memchr(s, ':', (size_t)(t - s));
            if (colon) {
                const char *ns = s, *ne = colon;
                trim(&ns, &ne);
                /* "max-snippet: 20" and friends carry a value; others name an agent */
                if (ieq_n(ns, (size_t)(ne - ns), "unavailable_after") ||
                    ieq_n(ns, (size_t)(ne - ns), "max-snippet") ||
                    ieq_n(ns, (size_t)(ne - ns), "max-image-preview") ||
                    ieq_n(ns, (size_t)(ne - ns), "max-video-preview")) {
                    s = t; /* not an opt-out; skip */
                } else {
                    agent_name = ns;
                    agent_len = (size_t)(ne - ns);
                    s = colon + 1;
                    trim(&s, &t);
                }
            }
            if (s < t) {
                int applies = !agent_name || (agent && ieq_n(agent_name, agent_len, agent));
                if (applies && ieq_n(s, (size_t)(t - s), "noai"))
                    return "noai";
                if (applies && ieq_n(s, (size_t)(t - s), "noimageai"))
                    return "noimageai";
            }
            tok = comma ? comma + 1 : eol;
        }
        line = *eol ? eol + 1 : eol;
    }
    return NULL;
}

unsigned optout_xrobots(const char *value, const char *agent)
{
    const char *r = xrobots_first(value, agent);
    if (!r)
        return 0;
    if (strcmp(r, "noai") == 0)
        return OPTOUT_NOAI;
    if (strcmp(r, "noimageai") == 0)
        return OPTOUT_NOIMAGEAI;
    return 0;
}

unsigned optout_tdm_value(const char *value)
{
    if (!value)
        return 0;
    while (isspace((unsigned char)*value))
        value++;
    if (*value != '1')
        return 0;
    value++;
    while (isspace((unsigned char)*value))
        value++;
    return *value ? 0 : OPTOUT_TDM_RESERVATION;
}

/* ---- tdmrep.json ----------------------------------------------------------- */

typedef struct {
    char *pattern; /* starts with '/' */
    int reserved;
    char *policy;
} tdm_entry;

struct tdmrep {
    tdm_entry *e;
    size_t n;
};

tdmrep *tdmrep_parse(const char *json, size_t n, char *err, size_t errlen)
{
    char jerr[160];
    json_value *root = json_parse(json ? json : "", json ? n : 0, jerr, sizeof jerr);
    if (!root) {
        cc_seterr(err, errlen, "tdmrep.json: %s", jerr);
        return NULL;
    }
    if (root->type != JSON_ARRAY) {
        cc_seterr(err, errlen, "tdmrep.json: top level is not an array");
        json_free(root);
        return NULL;
    }
    tdmrep *t = xcalloc(1, sizeof *t);
    t->e = xcalloc(root->len ? root->len : 1, sizeof *t->e);
    for (size_t i = 0; i < root->len; i++) {
        const json_value *o = root->items[i];
        if (!o || o->type != JSON_OBJECT)
            continue;
        const char *loc = json_get_string(o, "location", NULL);
        if (!loc)
            continue;
        tdm_entry *e = &t->e[t->n++];
        /* Patterns are written like robots.txt paths; a missing leading
         * slash is added. Escaping as for robots patterns. */
        char *esc = robots_escape_pattern(loc);
        e->pattern = esc[0] == '/' || esc[0] == '*' ? xstrdup(esc) : xasprintf("/%s", esc);
        free(esc);
        const json_value *r = json_get(o, "tdm-reservation");
        if (r && r->type == JSON_NUMBER)
            e->reserved = r->number == 1;
        else if (r && r->type == JSON_STRING)
            e->reserved = strcmp(r->string, "1") == 0;
        else if (r && r->type == JSON_TRUE)
            e->reserved = 1;
        e->policy = xstrdup(json_get_string(o, "tdm-policy", NULL));
    }
    json_free(root);
    return t;
}

void tdmrep_free(tdmrep *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].pattern);
        free(t->e[i].policy);
    }
    free(t->e);
    free(t);
}

size_t tdmrep_count(const tdmrep *t) { return t ? t->n : 0; }

unsigned tdmrep_reserved(const tdmrep *t, const char *path, const char **policy)
{
    if (policy)
        *policy = NULL;
    if (!t || !path)
        return 0;
    char *p = robots_url_path(path); /* accepts full URLs too; drops the fragment */
    unsigned res = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (robots_pattern_matches(p, t->e[i].pattern)) {
            if (t->e[i].reserved) {
                res = OPTOUT_TDM_RESERVATION;
                if (policy)
                    *policy = t->e[i].policy;
            }
            break;
        }
    }
    free(p);
    return res;
}
