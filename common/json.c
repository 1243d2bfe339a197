/* json.c — a recursive-descent JSON reader producing a tree (see json.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "text.h"
#include "json.h"

#define JSON_MAX_DEPTH 512

typedef struct {
    const char *s;
    size_t n, pos;
    int depth;
    char *err;
    size_t errlen;
    int failed;
} parser;

static void fail(parser *p, const char *what)
{
    if (p->failed)
        return;
    p->failed = 1;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < p->pos && i < p->n; i++) {
        if (p->s[i] == '\n')
            line++, col = 1;
        else
            col++;
    }
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "line %zu col %zu: %s", line, col, what);
}

static void skip_ws(parser *p)
{
    while (p->pos < p->n) {
        char c = p->s[p->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            p->pos++;
        else
            break;
    }
}

static json_value *new_value(json_type t)
{
    json_value *v = xcalloc(1, sizeof *v);
    v->type = t;
    return v;
}

static int hex4(parser *p, unsigned *out)
{
    if (p->pos + 4 > p->n)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos + i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    p->pos += 4;
    *out = v;
    return 0;
}

/* Parses a string literal at p->pos (which is on the opening quote). */
static char *parse_string(parser *p, size_t *len_out)
{
    ccbuf b = {0};
    p->pos++; /* opening quote */
    for (;;) {
        if (p->pos >= p->n) {
            fail(p, "unterminated string");
            ccbuf_free(&b);
            return NULL;
        }
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            fail(p, "control character in string");
            ccbuf_free(&b);
            return NULL;
        }
        if (c != '\\') {
            /* copy a run of plain bytes at once: vocab.json is large */
            size_t start = p->pos;
            while (p->pos < p->n && p->s[p->pos] != '"' && p->s[p->pos] != '\\' &&
                   (unsigned char)p->s[p->pos] >= 0x20)
                p->pos++;
            /* RFC 8259 8.1: JSON text is UTF-8; the tree promises UTF-8 strings */
            if (!cc_utf8_valid(p->s + start, p->pos - start)) {
                fail(p, "invalid UTF-8 in string");
                ccbuf_free(&b);
                return NULL;
            }
            ccbuf_append(&b, p->s + start, p->pos - start);
            continue;
        }
        p->pos++;
        if (p->pos >= p->n) {
            fail(p, "unterminated escape");
            ccbuf_free(&b);
            return NULL;
        }
        char e = p->s[p->pos++];
        switch (e) {
        case '"': ccbuf_putc(&b, '"'); break;
        case '\\': ccbuf_putc(&b, '\\'); break;
        case '/': ccbuf_putc(&b, '/'); break;
        case 'b': ccbuf_putc(&b, '\b'); break;
        case 'f': ccbuf_putc(&b, '\f'); break;
        case 'n': ccbuf_putc(&b, '\n'); break;
        case 'r': ccbuf_putc(&b, '\r'); break;
        case 't': ccbuf_putc(&b, '\t'); break;
        case 'u': {
            unsigned cp;
            if (hex4(p, &cp) != 0) {
                fail(p, "bad \\u escape");
                ccbuf_free(&b);
                return NULL;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p->pos + 6 <= p->n && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
                    size_t save = p->pos;
                    p->pos += 2;
                    if (hex4(p, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else {
                        p->pos = save;
                        cp = 0xFFFD;
                    }
                } else {
                    cp = 0xFFFD; /* lone surrogate */
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            cc_utf8_put(&b, cp);
            break;
        }
        default:
            fail(p, "bad escape");
            ccbuf_free(&b);
            return NULL;
        }
    }
    size_t len;
    char *s = ccbuf_detach(&b, &len);
    *len_out = len;
    return s;
}

static json_value *parse_value(parser *p);

static json_value *parse_container(parser *p, int is_object)
{
    if (++p->depth > JSON_MAX_DEPTH) {
        fail(p, "nesting too deep");
        return NULL;
    }
    json_value *v = new_value(is_object ? JSON_OBJECT : JSON_ARRAY);
    size_t cap = 0;
    char close = is_object ? '}' : ']';
    p->pos++;
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == close) {
        p->pos++;
        p->depth--;
        return v;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(p);
        if (is_object) {
            if (p->pos >= p->n || p->s[p->pos] != '"') {
                fail(p, "expected a member name");
                goto bad;
            }
            size_t klen;
            key = parse_string(p, &klen);
            if (!key)
                goto bad;
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':') {
                free(key);
                fail(p, "expected ':'");
                goto bad;
            }
            p->pos++;
        }
        json_value *item = parse_value(p);
        if (!item) {
            free(key);
            goto bad;
        }
        if (v->len == cap) {
            cap = cap ? cap * 2 : 4;
            v->items = xrealloc(v->items, cap * sizeof *v->items);
            if (is_object)
                v->keys = xrealloc(v->keys, cap * sizeof *v->keys);
        }
        v->items[v->len] = item;
        if (is_object)
            v->keys[v->len] = key;
        v->len++;
        skip_ws(p);
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->n && p->s[p->pos] == close) {
            p->pos++;
            break;
        }
        fail(p, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        goto bad;
    }
    p->depth--;
    return v;
bad:
    json_free(v);
    return NULL;
}

/* Skips a run of ASCII digits; returns how many there were. */
static size_t skip_digits(parser *p)
{
    size_t start = p->pos;
    while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
    return p->pos - start;
}

static json_value *parse_number(parser *p)
{
    size_t start = p->pos;
    if (p->pos < p->n && p->s[p->pos] == '-')
        p->pos++;
    if (p->pos >= p->n || !(p->s[p->pos] >= '0' && p->s[p->pos] <= '9')) {
        fail(p, "bad number");
        return NULL;
    }
    if (p->s[p->pos] == '0')
        p->pos++; /* no leading zeros */
    else
        skip_digits(p);
    if (p->pos < p->n && p->s[p->pos] == '.') {
        p->pos++;
        if (!skip_digits(p)) {
            fail(p, "bad number");
            return NULL;
        }
    }
    if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (!skip_digits(p)) {
            fail(p, "bad number");
            return NULL;
        }
    }
    json_value *v = new_value(JSON_NUMBER);
    v->string = xstrndup(p->s + start, p->pos - start);
    v->len = p->pos - start;
    v->number = strtod(v->string, NULL);
    return v;
}

static int match_word(parser *p, const char *w)
{
    size_t k = strlen(w);
    if (p->pos + k <= p->n && memcmp(p->s + p->pos, w, k) == 0) {
        p->pos += k;
        return 1;
    }
    return 0;
}

static json_value *parse_value(parser *p)
{
    skip_ws(p);
    if (p->pos >= p->n) {
        fail(p, "unexpected end of input");
        return NULL;
    }
    char c = p->s[p->pos];
    if (c == '{')
        return parse_container(p, 1);
    if (c == '[')
        return parse_container(p, 0);
    if (c == '"') {
        size_t len;
        char *s = parse_string(p, &len);
        if (!s)
            return NULL;
        json_value *v = new_value(JSON_STRING);
        v->string = s;
        v->len = len;
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(p);
    if (match_word(p, "true"))
        return new_value(JSON_TRUE);
    if (match_word(p, "false"))
        return new_value(JSON_FALSE);
    if (match_word(p, "null"))
        return new_value(JSON_NULL);
    /* Python's json writes these; accept them rather than fail on fixture files. */
    if (match_word(p, "NaN")) {
        json_value *v = new_value(JSON_NUMBER);
        v->number = NAN;
        return v;
    }
    if (match_word(p, "Infinity")) {
        json_value *v = new_value(JSON_NUMBER);
        v->number = INFINITY;
        return v;
    }
    fail(p, "unexpected character");
    return NULL;
}

json_value *json_parse(const char *text, size_t n, char *err, size_t errlen)
{
    parser p = {.s = text, .n = n, .err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = '\0';
    /* A UTF-8 BOM is not JSON, but files written on Windows carry one. */
    if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        p.pos = 3;
    json_value *v = parse_value(&p);
    if (!v)
        return NULL;
    skip_ws(&p);
    if (p.pos != n) {
        fail(&p, "trailing characters after the value");
        json_free(v);
        return NULL;
    }
    return v;
}

void json_free(json_value *v)
{
    if (!v)
        return;
    if (v->type == JSON_ARRAY || v->type == JSON_OBJECT) {
        for (size_t i = 0; i < v->len; i++) {
            json_free(v->items[i]);
            if (v->keys)
                free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
    }
    free(v->string);
    free(v);
}

const json_value *json_get(const json_value *v, const char *key)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->len; i++)
        if (strcmp(v->keys[i], key) == 0)
            return v->items[i];
    return NULL;
}

const json_value *json_at(const json_value *v, size_t i)
{
    if (!v || (v->type != JSON_ARRAY && v->type != JSON_OBJECT) || i >= v->len)
        return NULL;
    return v->items[i];
}

double json_get_number(const json_value *v, const char *key, double def)
{
    const json_value *m = json_get(v, key);
    return m && m->type == JSON_NUMBER ? m->number : def;
}

const char *json_get_string(const json_value *v, const char *key, const char *def)
{
    const json_value *m = json_get(v, key);
    return m && m->type == JSON_STRING ? m->string : def;
}

int json_get_bool(const json_value *v, const char *key, int def)
{
    const json_value *m = json_get(v, key);
    if (m && m->type == JSON_TRUE)
        return 1;
    if (m && m->type == JSON_FALSE)
        return 0;
    return def;
}
