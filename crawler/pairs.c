/* pairs.c — streaming readers of URL(+caption) lists; see pairs.h. */
#include "pairs.h"
#include "pairs-parquet.h"
#include "text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "common.h"

#define INBUF (128u * 1024u)
#define JSON_MAX_DEPTH 64

struct pairs_reader {
    char *path;
    gzFile gz;
    pairs_format fmt;
    char *url_col, *caption_col;
    int caption_required;
    unsigned char *buf;
    size_t pos, len;
    int eof, fatal, done;
    uint64_t line;          /* current line, 1-based */
    uint64_t rec_line;      /* line where the current record starts */
    uint64_t row_no;
    char errmsg[512];
    char rowerr[300];
    /* csv/tsv */
    int url_idx, caption_idx;
    ccbuf rec;              /* fields, each NUL-terminated */
    size_t *offs;
    size_t noffs, offs_cap;
    /* json */
    int json_started;
    ccbuf url, caption, key;
    int have_url, have_caption;
    uint64_t file_size;     /* 0 for stdin and pipes */
    /* the first JSON/JSONL row, read by pairs_open to check its url member */
    int has_pending, pending_rc;
    pairs_row pending;
    /* list columns beyond url/caption (csv/tsv: field indices; json: values) */
    int n_extra;
    char **extra_cols;
    int *extra_idx;         /* csv/tsv: field of each extra column */
    int sha_idx;            /* csv/tsv: field of the sha256 column, -1 = none */
    ccbuf *extra_val;       /* json: each extra member's value */
    int *extra_kind;        /* json: 0 absent/null, 1 string, 2 other scalar (raw text) */
    ccbuf sha_val;
    int have_sha;
    ccbuf extra_out;
    char sha[65];
    pairs_pq *pq;           /* PAIRS_PARQUET */
};

/* ---- names ------------------------------------------------------------------ */

static const char *fmt_names[] = {"auto", "txt", "csv", "tsv", "json", "jsonl", "parquet"};

const char *pairs_format_name(pairs_format f)
{
    return (unsigned)f <= PAIRS_PARQUET ? fmt_names[f] : "auto";
}

pairs_format pairs_format_parse(const char *name)
{
    if (!name)
        return PAIRS_AUTO;
    for (int i = 1; i <= PAIRS_PARQUET; i++)
        if (strcasecmp(name, fmt_names[i]) == 0)
            return (pairs_format)i;
    if (strcasecmp(name, "ndjson") == 0)
        return PAIRS_JSONL;
    return PAIRS_AUTO;
}

pairs_format pairs_format_from_name(const char *path)
{
    if (!path)
        return PAIRS_AUTO;
    size_t n = strlen(path);
    if (n > 3 && strcasecmp(path + n - 3, ".gz") == 0)
        n -= 3;
    const char *dot = NULL;
    for (size_t i = n; i > 0; i--) {
        if (path[i - 1] == '/')
            break;
        if (path[i - 1] == '.') {
            dot = path + i;
            break;
        }
    }
    if (!dot)
        return PAIRS_AUTO;
    char ext[16];
    size_t el = (size_t)(path + n - dot);
    if (el == 0 || el >= sizeof ext)
        return PAIRS_AUTO;
    memcpy(ext, dot, el);
    ext[el] = 0;
    return pairs_format_parse(ext);
}

pairs_format pairs_get_format(const pairs_reader *r) { return r->fmt; }

const char *pairs_errmsg(const pairs_reader *r) { return r->pq ? pairs_pq_errmsg(r->pq) : r->errmsg; }

/* ---- buffered input ------------------------------------------------------------ */

static int fill(pairs_reader *r)
{
    if (r->eof || r->fatal)
        return 0;
    int n = gzread(r->gz, r->buf, INBUF);
    if (n < 0) {
        int zerr;
        const char *m = gzerror(r->gz, &zerr);
        snprintf(r->errmsg, sizeof r->errmsg, "%s: line %llu: read error: %s", r->path,
                 (unsigned long long)r->line, zerr == Z_ERRNO ? strerror(errno) : m);
        r->fatal = 1;
        return 0;
    }
    if (n == 0) {
        /* gzread returns 0 at EOF and also after a truncated gzip stream */
        int zerr;
        const char *m = gzerror(r->gz, &zerr);
        if (zerr != Z_OK && zerr != Z_STREAM_END) {
            snprintf(r->errmsg, sizeof r->errmsg, "%s: line %llu: %s", r->path, (unsigned long long)r->line,
                     zerr == Z_BUF_ERROR ? "unexpected end of gzip stream" : m);
            r->fatal = 1;
            return 0;
        }
        r->eof = 1;
        return 0;
    }
    r->pos = 0;
    r->len = (size_t)n;
    return 1;
}

static inline int peekc(pairs_reader *r)
{
    if (r->pos >= r->len && !fill(r))
        return -1;
    return r->buf[r->pos];
}

static inline int getch(pairs_reader *r)
{
    if (r->pos >= r->len && !fill(r))
        return -1;
    int c = r->buf[r->pos++];
    if (c == '\n')
        r->line++;
    return c;
}

/* Skips through the next '\n' (or to EOF). */
static void skip_line(pairs_reader *r)
{
    int c;
    while ((c = getch(r)) >= 0 && c != '\n') {
    }
}

static void row_error(pairs_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row_error(pairs_reader *r, const char *fmt, ...)
{
    if (r->rowerr[0])
        return; /* keep the first cause */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->rowerr, sizeof r->rowerr, fmt, ap);
    va_end(ap);
}

/* ---- csv / tsv ------------------------------------------------------------------ */

static void rec_add_field(pairs_reader *r)
{
    if (r->noffs == r->offs_cap) {
        r->offs_cap = r->offs_cap ? r->offs_cap * 2 : 16;
        r->offs = xrealloc(r->offs, r->offs_cap * sizeof *r->offs);
    }
    r->offs[r->noffs++] = r->rec.len;
}

static void rec_putc(pairs_reader *r, int c)
{
    if (r->rec.len >= PAIRS_MAX_RECORD) {
        row_error(r, "record longer than %u bytes", PAIRS_MAX_RECORD);
        return;
    }
    ccbuf_putc(&r->rec, c);
}

static const char *field(pairs_reader *r, size_t i) { return (const char *)r->rec.data + r->offs[i]; }

/* Reads one record into rec/offs. Returns 1 with a record (rowerr may be
 * set), 0 at EOF, -1 on a fatal read error. Blank lines are skipped. */
static int csv_record(pairs_reader *r, int sep, int quoting)
{
    for (;;) {
        ccbuf_reset(&r->rec);
        r->noffs = 0;
        r->rowerr[0] = 0;
        int c = getch(r);
        if (c < 0)
            return r->fatal ? -1 : 0;
        if (c == '\n')
            continue; /* blank line */
        if (c == '\r' && peekc(r) == '\n') {
            getch(r);
            continue;
        }
        r->rec_line = r->line;
        rec_add_field(r);
        for (;;) {
            if (quoting && c == '"' && r->rec.len == r->offs[r->noffs - 1]) {
                /* quoted field */
                for (;;) {
                    c = getch(r);
                    if (c < 0) {
                        row_error(r, "unterminated quoted field");
                        break;
                    }
                    if (c == '"') {
                        if (peekc(r) == '"') {
                            getch(r);
                            rec_putc(r, '"');
                            continue;
                        }
                        break;
                    }
                    rec_putc(r, c);
                }
                if (c < 0)
                    break;
                c = getch(r);
                if (c == '\r' && peekc(r) == '\n')
                    c = getch(r);
                if (c == sep) {
                    rec_putc(r, 0);
                    rec_add_field(r);
                    c = getch(r);
                    continue;
                }
                if (c == '\n' || c < 0)
                    break;
                row_error(r, "text after a closing quote");
                skip_line(r);
                break;
            }
            if (c == sep) {
                rec_putc(r, 0);
                rec_add_field(r);
            } else if (c == '\n') {
                break;
            } else if (c == '\r' && peekc(r) == '\n') {
                getch(r);
                break;
            } else {
                rec_putc(r, c);
            }
            c = getch(r);
            if (c < 0)
                break;
        }
        if (r->fatal)
            return -1;
        rec_putc(r, 0);
        if (r->rec.len >= PAIRS_MAX_RECORD) {
            /* truncated fields: make sure every offset points at a terminated string */
            r->rec.data[r->rec.len - 1] = 0;
            for (size_t i = 0; i < r->noffs; i++)
                if (r->offs[i] >= r->rec.len)
                    r->offs[i] = r->rec.len - 1;
        }
        return 1;
    }
}

static int csv_header(pairs_reader *r, int sep, int quoting, char *err, size_t errlen)
{
    int rc = csv_record(r, sep, quoting);
    if (rc < 0) {
        snprintf(err, errlen, "%s", r->errmsg);
        return -1;
    }
    if (rc == 0) {
        snprintf(err, errlen, "%s: empty file: no header row", r->path);
        return -1;
    }
    if (r->rowerr[0]) {
        snprintf(err, errlen, "%s: line 1: bad header: %s", r->path, r->rowerr);
        return -1;
    }
    r->url_idx = r->caption_idx = r->sha_idx = -1;
    for (int e = 0; e < r->n_extra; e++)
        r->extra_idx[e] = -1;
    for (size_t i = 0; i < r->noffs; i++) {
        const char *name = cc_trim((char *)field(r, i));
        if (r->url_idx < 0 && strcmp(name, r->url_col) == 0)
            r->url_idx = (int)i;
        else if (r->caption_idx < 0 && strcmp(name, r->caption_col) == 0)
            r->caption_idx = (int)i;
        if (r->sha_idx < 0 && strcmp(name, "sha256") == 0)
            r->sha_idx = (int)i;
        for (int e = 0; e < r->n_extra; e++)
            if (r->extra_idx[e] < 0 && strcmp(name, r->extra_cols[e]) == 0)
                r->extra_idx[e] = (int)i;
    }
    const char *missing = r->url_idx < 0 ? r->url_col
                          : (r->caption_idx < 0 && r->caption_required) ? r->caption_col
                                                                        : NULL;
    for (int e = 0; !missing && e < r->n_extra; e++)
        if (r->extra_idx[e] < 0)
            missing = r->extra_cols[e];
    if (missing) {
        ccbuf cols = {0};
        for (size_t i = 0; i < r->noffs && cols.len < 200; i++) {
            if (i)
                ccbuf_puts(&cols, ", ");
            ccbuf_puts(&cols, field(r, i));
        }
        snprintf(err, errlen, "%s: no column '%s' in header (columns: %s)", r->path, missing,
                 cols.len ? (char *)cols.data : "");
        ccbuf_free(&cols);
        return -1;
    }
    return 0;
}

static int csv_next(pairs_reader *r, pairs_row *row, int sep, int quoting)
{
    int rc = csv_record(r, sep, quoting);
    if (rc <= 0)
        return rc;
    row->line_no = r->rec_line;
    /* a short row is malformed even when only the caption is missing: the
     * fields may have shifted */
    size_t need = (size_t)(r->url_idx > r->caption_idx ? r->url_idx : r->caption_idx) + 1;
    if (!r->rowerr[0] && r->noffs < need)
        row_error(r, "row has %zu field%s, expected at least %zu", r->noffs, r->noffs == 1 ? "" : "s", need);
    if (!r->rowerr[0]) {
        char *url = cc_trim((char *)field(r, (size_t)r->url_idx));
        if (!*url)
            row_error(r, "empty url");
        row->url = url;
        row->caption = r->caption_idx >= 0 ? field(r, (size_t)r->caption_idx) : NULL;
    }
    if (!r->rowerr[0] && r->sha_idx >= 0 && (size_t)r->sha_idx < r->noffs) {
        const char *h = cc_trim((char *)field(r, (size_t)r->sha_idx));
        if (*h && !pairs_sha256_norm(h, strlen(h), r->sha))
            row_error(r, "sha256 is not 64 hex digits");
        else if (*h)
            row->sha256 = r->sha;
    }
    if (!r->rowerr[0] && r->n_extra) {
        ccbuf_reset(&r->extra_out);
        ccbuf_putc(&r->extra_out, '{');
        for (int e = 0; e < r->n_extra; e++) {
            const char *v = (size_t)r->extra_idx[e] < r->noffs ? field(r, (size_t)r->extra_idx[e]) : NULL;
            if (e)
                ccbuf_putc(&r->extra_out, ',');
            ccbuf_json_string(&r->extra_out, r->extra_cols[e], strlen(r->extra_cols[e]));
            ccbuf_putc(&r->extra_out, ':');
            if (v)
                ccbuf_json_string(&r->extra_out, v, strlen(v));
            else
                ccbuf_puts(&r->extra_out, "null");
        }
        ccbuf_putc(&r->extra_out, '}');
        row->extra_json = (const char *)r->extra_out.data;
    }
    return 1;
}

/* ---- txt ---------------------------------------------------------------------------- */

static int txt_next(pairs_reader *r, pairs_row *row)
{
    for (;;) {
        ccbuf_reset(&r->rec);
        r->rowerr[0] = 0;
        int c = getch(r);
        if (c < 0)
            return r->fatal ? -1 : 0;
        uint64_t line = r->line;
        while (c >= 0 && c != '\n') {
            rec_putc(r, c);
            c = getch(r);
        }
        if (r->fatal)
            return -1;
        rec_putc(r, 0);
        r->rec.data[r->rec.len - 1] = 0;
        char *url = cc_trim((char *)r->rec.data);
        if (!*url && !r->rowerr[0])
            continue;
        row->line_no = line;
        row->url = url;
        row->caption = NULL;
        return 1;
    }
}

/* ---- json / jsonl ----------------------------------------------------------------- */

static void skip_ws(pairs_reader *r, int stop_at_newline)
{
    int c;
    /* jsonl: a record never spans lines, so a cut-off object cannot swallow the next row */
    while ((c = peekc(r)) == ' ' || c == '\t' || c == '\r' ||
           (c == '\n' && !stop_at_newline && r->fmt != PAIRS_JSONL))
        getch(r);
}

static int read_hex4(pairs_reader *r)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = cc_hexval(getch(r));
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Reads a JSON string body (the opening quote already consumed) into out
 * (NULL = discard). Returns 0, or -1 with rowerr set; *in_string tells the
 * recovery whether we stopped inside the string. */
static int json_string(pairs_reader *r, ccbuf *out, int *in_string)
{
    *in_string = 1;
    if (out)
        ccbuf_reset(out);
    for (;;) {
        int c = getch(r);
        if (c < 0) {
            row_error(r, "unterminated string");
            return -1;
        }
        if (c == '"')
            break;
        if (c < 0x20) {
            if (c == '\n')
                *in_string = 0; /* resync at the line break */
            row_error(r, "control character in string");
            return -1;
        }
        if (c == '\\') {
            c = getch(r);
            unsigned cp;
            switch (c) {
            case '"': case '\\': case '/': cp = (unsigned)c; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u': {
                int v = read_hex4(r);
                if (v < 0) {
                    row_error(r, "bad \\u escape");
                    return -1;
                }
                cp = (unsigned)v;
                if (cp >= 0xD800 && cp <= 0xDBFF && peekc(r) == '\\') {
                    getch(r);
                    if (getch(r) != 'u') {
                        row_error(r, "bad surrogate pair");
                        return -1;
                    }
                    int lo = read_hex4(r);
                    if (lo < 0) {
                        row_error(r, "bad \\u escape");
                        return -1;
                    }
                    if (lo >= 0xDC00 && lo <= 0xDFFF)
                        cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
                    else
                        cp = 0xFFFD;
                } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                    cp = 0xFFFD;
                }
                break;
            }
            default:
                row_error(r, "bad escape in string");
                return -1;
            }
            if (out) {
                if (cp == 0)
                    cp = 0xFFFD; /* keep strings C-safe */
                cc_utf8_put(out, cp);
            }
        } else if (out) {
            ccbuf_putc(out, c);
        }
        if (out && out->len > PAIRS_MAX_RECORD) {
            row_error(r, "string longer than %u bytes", PAIRS_MAX_RECORD);
            out = NULL; /* keep reading to the closing quote, but stop storing */
        }
    }
    *in_string = 0;
    if (out)
        ccbuf_putc(out, 0), out->len--; /* ensure NUL-terminated even when empty */
    return 0;
}

/* Reads a scalar token (number, true, false, null) into out. Returns 0 or -1. */
static int json_scalar(pairs_reader *r, ccbuf *out)
{
    ccbuf_reset(out);
    int c;
    while ((c = peekc(r)) >= 0 && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' ||
                                   c == '.' || c == 'E')) {
        if (out->len > 64) {
            row_error(r, "bad token");
            return -1;
        }
        ccbuf_putc(out, getch(r));
    }
    ccbuf_putc(out, 0);
    out->len--;
    const char *s = (const char *)out->data;
    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0 || strcmp(s, "null") == 0)
        return 0;
    char *end;
    if (*s && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
        strtod(s, &end);
        if (*end == 0)
            return 0;
    }
    row_error(r, "unexpected %s", *s ? "token" : (c < 0 ? "end of input" : "character"));
    return -1;
}

/* Skips a nested array/object whose opening bracket was consumed. */
static int json_skip_nested(pairs_reader *r, int *depth, int *in_string)
{
    int base = *depth;
    (*depth)++;
    while (*depth > base) {
        int c = getch(r);
        if (c < 0) {
            row_error(r, "unexpected end of input");
            return -1;
        }
        if (c == '"') {
            if (json_string(r, NULL, in_string) < 0)
                return -1;
        } else if (c == '{' || c == '[') {
            if (++*depth > base + JSON_MAX_DEPTH) {
                row_error(r, "nesting too deep");
                return -1;
            }
        } else if (c == '}' || c == ']') {
            (*depth)--;
        }
    }
    return 0;
}

/* After an unexpected character c was consumed: keep the recovery state right. */
static void note_consumed(int c, int *depth, int *in_string)
{
    if (c == '"')
        *in_string = 1;
    else if (c == '{' || c == '[')
        (*depth)++;
    else if ((c == '}' || c == ']') && *depth > 0)
        (*depth)--;
}

/* Parses one object (the '{' is next). Fills url/caption. Returns 0; -1
 * (rowerr set) when the element is broken and not consumed — *depth holds
 * the brackets still open and *in_string whether we stopped in a string, for
 * the recovery; -2 (rowerr set) when the object parsed but its url is
 * missing or not a string. */
static int json_object(pairs_reader *r, int *depth, int *in_string)
{
    r->have_url = r->have_caption = r->have_sha = 0;
    for (int e = 0; e < r->n_extra; e++)
        r->extra_kind[e] = 0;
    int url_bad = 0;
    int c = getch(r);
    if (c != '{') {
        if (c == '[')
            (*depth)++;
        if (c == '"')
            *in_string = 1;
        row_error(r, c < 0 ? "unexpected end of input" : "row is not a JSON object");
        return -1;
    }
    (*depth)++;
    skip_ws(r, 0);
    if (peekc(r) == '}') {
        getch(r);
        (*depth)--;
        goto done;
    }
    for (;;) {
        skip_ws(r, 0);
        c = getch(r);
        if (c != '"') {
            note_consumed(c, depth, in_string);
            row_error(r, c < 0 ? "unexpected end of input" : "expected a member name");
            return -1;
        }
        if (json_string(r, &r->key, in_string) < 0)
            return -1;
        skip_ws(r, 0);
        c = getch(r);
        if (c != ':') {
            note_consumed(c, depth, in_string);
            row_error(r, c < 0 ? "unexpected end of input" : "expected ':'");
            return -1;
        }
        skip_ws(r, 0);
        const char *k = r->key.data ? (const char *)r->key.data : "";
        ccbuf *target = NULL;
        int *have = NULL;
        int ex = -1;
        if (strcmp(k, r->url_col) == 0) {
            target = &r->url;
            have = &r->have_url;
        } else if (strcmp(k, r->caption_col) == 0) {
            target = &r->caption;
            have = &r->have_caption;
        } else if (strcmp(k, "sha256") == 0) {
            target = &r->sha_val;
            have = &r->have_sha;
        }
        for (int e = 0; e < r->n_extra && ex < 0; e++)
            if (strcmp(k, r->extra_cols[e]) == 0)
                ex = e;
        if (ex >= 0 && !target) {
            target = &r->extra_val[ex];
        } else if (ex >= 0) {
            ex = -1; /* the extra is also url/caption/sha256: copied from there below */
        }
        c = peekc(r);
        if (c == '"') {
            getch(r);
            if (json_string(r, target, in_string) < 0)
                return -1;
            if (have)
                *have = 1;
            if (ex >= 0)
                r->extra_kind[ex] = 1;
            if (target == &r->url)
                url_bad = 0;
        } else if (c == '{' || c == '[') {
            getch(r);
            if (json_skip_nested(r, depth, in_string) < 0)
                return -1;
            if (target == &r->url)
                url_bad = 1;
            if (have)
                *have = 0;
        } else {
            ccbuf tmp = {0};
            int rc = json_scalar(r, target ? target : &tmp);
            ccbuf_free(&tmp);
            if (rc < 0)
                return -1;
            if (ex >= 0) {
                r->extra_kind[ex] = strcmp((const char *)target->data, "null") == 0 ? 0 : 2;
            } else if (target) {
                int is_null = strcmp((const char *)target->data, "null") == 0;
                *have = !is_null;
                if (target == &r->url)
                    url_bad = !is_null;
            }
        }
        skip_ws(r, 0);
        c = getch(r);
        if (c == ',')
            continue;
        if (c == '}') {
            (*depth)--;
            break;
        }
        note_consumed(c, depth, in_string);
        row_error(r, c < 0 ? "unexpected end of input" : "expected ',' or '}'");
        return -1;
    }
done:
    if (url_bad)
        row_error(r, "'%s' is not a string", r->url_col);
    else if (!r->have_url)
        row_error(r, "no '%s' member", r->url_col);
    return r->rowerr[0] ? -2 : 0;
}

static void fill_json_row(pairs_reader *r, pairs_row *row)
{
    if (r->rowerr[0])
        return;
    char *url = cc_trim((char *)r->url.data);
    if (!*url) {
        row_error(r, "empty url");
        return;
    }
    row->url = url;
    row->caption = r->have_caption ? (const char *)r->caption.data : NULL;
    if (r->have_sha && r->sha_val.len) {
        if (!pairs_sha256_norm((const char *)r->sha_val.data, r->sha_val.len, r->sha)) {
            row_error(r, "sha256 is not 64 hex digits");
            row->url = row->caption = NULL;
            return;
        }
        row->sha256 = r->sha;
    }
    if (r->n_extra) {
        ccbuf *b = &r->extra_out;
        ccbuf_reset(b);
        ccbuf_putc(b, '{');
        for (int e = 0; e < r->n_extra; e++) {
            const char *name = r->extra_cols[e];
            if (e)
                ccbuf_putc(b, ',');
            ccbuf_json_string(b, name, strlen(name));
            ccbuf_putc(b, ':');
            /* an extra that is also the url/caption/sha256 member */
            const ccbuf *same = strcmp(name, r->url_col) == 0 ? &r->url
                                : strcmp(name, r->caption_col) == 0 ? (r->have_caption ? &r->caption : NULL)
                                : strcmp(name, "sha256") == 0 ? (r->have_sha ? &r->sha_val : NULL)
                                : NULL;
            int is_dup = strcmp(name, r->url_col) == 0 || strcmp(name, r->caption_col) == 0 ||
                         strcmp(name, "sha256") == 0;
            if (is_dup && same && same->data)
                ccbuf_json_string(b, (const char *)same->data, strlen((const char *)same->data));
            else if (!is_dup && r->extra_kind[e] == 1)
                ccbuf_json_string(b, r->extra_val[e].data ? (const char *)r->extra_val[e].data : "",
                                  r->extra_val[e].len);
            else if (!is_dup && r->extra_kind[e] == 2)
                ccbuf_append(b, r->extra_val[e].data, r->extra_val[e].len);
            else
                ccbuf_puts(b, "null");
        }
        ccbuf_putc(b, '}');
        row->extra_json = (const char *)b->data;
    }
}

/* After an error inside an array element: skip to the ',' that ends it or
 * the ']' that ends the array. Returns 1 at ',', 0 at ']', -1 at EOF. */
static int json_recover(pairs_reader *r, int depth, int in_string)
{
    for (;;) {
        int c = getch(r);
        if (c < 0)
            return -1;
        if (in_string) {
            if (c == '\\')
                getch(r);
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == '"')
            in_string = 1;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']') {
            if (depth == 0) {
                if (c == ']')
                    return 0;
                continue; /* a stray '}' at array level */
            }
            depth--;
        } else if (c == ',' && depth == 0)
            return 1;
    }
}

static int json_next(pairs_reader *r, pairs_row *row)
{
    if (!r->json_started) {
        skip_ws(r, 0);
        int c = getch(r);
        if (c != '[') {
            if (r->fatal)
                return -1;
            snprintf(r->errmsg, sizeof r->errmsg, "%s: line %llu: %s", r->path, (unsigned long long)r->line,
                     c < 0 ? "empty file: expected a JSON array" : "expected a JSON array ('[') of objects");
            r->fatal = 1;
            return -1;
        }
        r->json_started = 1;
        skip_ws(r, 0);
        if (peekc(r) == ']') {
            getch(r);
            return 0;
        }
    }
    r->rowerr[0] = 0;
    skip_ws(r, 0);
    row->line_no = r->line;
    int depth = 0, in_string = 0;
    if (peekc(r) < 0) {
        if (!r->fatal)
            snprintf(r->errmsg, sizeof r->errmsg, "%s: line %llu: JSON array ends without ']'", r->path,
                     (unsigned long long)r->line);
        r->fatal = 1;
        return -1;
    }
    int rc = json_object(r, &depth, &in_string);
    int more;
    if (rc == -1) {
        /* the element is broken: resynchronise on the next top-level ',' */
        more = json_recover(r, depth, in_string);
    } else {
        skip_ws(r, 0);
        int c = peekc(r);
        if (c == ',') {
            getch(r);
            more = 1;
        } else if (c == ']') {
            getch(r);
            more = 0;
        } else if (c < 0) {
            more = -1;
        } else {
            more = 1; /* missing comma: the next element reports what it finds */
        }
    }
    if (r->fatal)
        return -1;
    if (more < 0)
        r->done = 2; /* this row still counts; the truncation is reported next */
    else if (more == 0)
        r->done = 1;
    fill_json_row(r, row);
    return 1;
}

static int jsonl_next(pairs_reader *r, pairs_row *row)
{
    for (;;) {
        r->rowerr[0] = 0;
        skip_ws(r, 1);
        int c = peekc(r);
        if (c < 0)
            return r->fatal ? -1 : 0;
        if (c == '\n') {
            getch(r);
            continue;
        }
        row->line_no = r->line;
        int depth = 0, in_string = 0;
        if (json_object(r, &depth, &in_string) != -1) {
            skip_ws(r, 1);
            c = peekc(r);
            if (c == '\n')
                getch(r);
            else if (c >= 0) {
                row_error(r, "text after the object");
                skip_line(r);
            }
        } else {
            /* resync at the end of the line, unless the error consumed it */
            if (r->line == row->line_no)
                skip_line(r);
        }
        if (r->fatal)
            return -1;
        fill_json_row(r, row);
        return 1;
    }
}

/* ---- open / next / close ---------------------------------------------------- */

static int pairs_finish_row(pairs_reader *r, pairs_row *row, int rc);
static int read_row(pairs_reader *r, pairs_row *row);

/* The first data of a list that is not text: a NUL byte, or several control
 * characters, in the first buffer. Returns the offset of the first such byte
 * within the buffer, or -1 for text. */
static long binary_offset(const unsigned char *b, size_t n)
{
    long first = -1;
    int ctl = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = b[i];
        if (c == 0)
            return (long)i;
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b) || c == 0x7f) {
            if (first < 0)
                first = (long)i;
            if (++ctl >= 4)
                return first;
        }
    }
    return -1;
}

/* The format of standard input from its first bytes: '{' → jsonl, '[' →
 * json, a URL first line → txt, a header line with tabs → tsv, with commas
 * (or just the url column's name) → csv; PAIRS_AUTO when none fits. */
static pairs_format sniff_format(const pairs_reader *r)
{
    const unsigned char *b = r->buf + r->pos, *e = r->buf + r->len;
    while (b < e && (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'))
        b++;
    if (b == e)
        return PAIRS_TXT; /* empty input: no rows either way */
    if (*b == '{')
        return PAIRS_JSONL;
    if (*b == '[')
        return PAIRS_JSON;
    const unsigned char *nl = memchr(b, '\n', (size_t)(e - b));
    size_t ll = (size_t)((nl ? nl : e) - b);
    while (ll > 0 && (b[ll - 1] == '\r' || b[ll - 1] == ' '))
        ll--;
    if ((ll > 7 && strncasecmp((const char *)b, "http://", 7) == 0) ||
        (ll > 8 && strncasecmp((const char *)b, "https://", 8) == 0))
        return PAIRS_TXT;
    if (memchr(b, '\t', ll))
        return PAIRS_TSV;
    if (memchr(b, ',', ll) || (ll == strlen(r->url_col) && memcmp(b, r->url_col, ll) == 0))
        return PAIRS_CSV;
    return PAIRS_AUTO;
}

pairs_reader *pairs_open(const char *path, const pairs_options *o, char *err, size_t errlen)
{
    if (errlen)
        err[0] = 0;
    if (!path || !*path) {
        snprintf(err, errlen, "pairs: empty file name");
        return NULL;
    }
    pairs_format fmt = o && o->format ? o->format : pairs_format_from_name(path);
    int is_stdin = strcmp(path, "-") == 0;
    if (fmt == PAIRS_AUTO && !is_stdin) {
        snprintf(err, errlen, "%s: unknown list format (expected .txt, .csv, .tsv, .json, .jsonl, .ndjson, .parquet, "
                              "optionally .gz)", path);
        return NULL;
    }
    if (fmt == PAIRS_PARQUET) {
        if (is_stdin) {
            snprintf(err, errlen, "-: a Parquet list cannot be read from stdin (its footer is at the end)");
            return NULL;
        }
        pairs_pq *q = pairs_pq_open(path, o, err, errlen);
        if (!q)
            return NULL;
        pairs_reader *r = xcalloc(1, sizeof *r);
        r->path = xstrdup(path);
        r->fmt = fmt;
        r->pq = q;
        return r;
    }
    if (o && o->n_extra > 0 && fmt == PAIRS_TXT) {
        snprintf(err, errlen, "%s: a .txt list has no columns to save (--save-additional-columns)", path);
        return NULL;
    }
    gzFile gz = is_stdin ? gzdopen(dup(0), "rb") : gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
        return NULL;
    }
    gzbuffer(gz, INBUF);
    pairs_reader *r = xcalloc(1, sizeof *r);
    r->path = xstrdup(path);
    r->gz = gz;
    r->fmt = fmt;
    r->url_col = xstrdup(o && o->url_col && *o->url_col ? o->url_col : "url");
    r->caption_required = o && o->caption_col && *o->caption_col;
    r->caption_col = xstrdup(r->caption_required ? o->caption_col : "caption");
    r->sha_idx = -1;
    if (o && o->n_extra > 0) {
        r->n_extra = o->n_extra;
        r->extra_cols = xcalloc((size_t)o->n_extra, sizeof *r->extra_cols);
        r->extra_idx = xcalloc((size_t)o->n_extra, sizeof *r->extra_idx);
        r->extra_val = xcalloc((size_t)o->n_extra, sizeof *r->extra_val);
        r->extra_kind = xcalloc((size_t)o->n_extra, sizeof *r->extra_kind);
        for (int e = 0; e < o->n_extra; e++)
            r->extra_cols[e] = xstrdup(o->extra_cols[e]);
    }
    r->buf = xmalloc(INBUF);
    r->line = 1;
    struct stat st;
    if (!is_stdin && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        r->file_size = (uint64_t)st.st_size;
    /* UTF-8 byte order mark */
    if (peekc(r) == 0xEF) {
        if (r->len - r->pos >= 3 && r->buf[r->pos + 1] == 0xBB && r->buf[r->pos + 2] == 0xBF)
            r->pos += 3;
    }
    if (r->fatal) {
        snprintf(err, errlen, "%s", r->errmsg);
        pairs_close(r);
        return NULL;
    }
    if (r->len >= 2 && ((r->buf[0] == 0xFF && r->buf[1] == 0xFE) || (r->buf[0] == 0xFE && r->buf[1] == 0xFF))) {
        snprintf(err, errlen, "%s: UTF-16 text; save the list as UTF-8", path);
        pairs_close(r);
        return NULL;
    }
    long bin = binary_offset(r->buf + r->pos, r->len - r->pos);
    if (bin >= 0) {
        snprintf(err, errlen, "%s: binary data at byte %ld%s, not a URL list", path, bin + (long)r->pos,
                 gzdirect(r->gz) ? "" : " (after decompression)");
        pairs_close(r);
        return NULL;
    }
    if (fmt == PAIRS_AUTO) {
        fmt = r->fmt = sniff_format(r);
        if (fmt == PAIRS_AUTO) {
            snprintf(err, errlen, "%s: cannot tell the list format from the first line; give --input-format "
                                  "(txt, csv, tsv, json, jsonl)", path);
            pairs_close(r);
            return NULL;
        }
        if (fmt == PAIRS_TXT && r->n_extra > 0) {
            snprintf(err, errlen, "%s: a plain URL list has no columns to save (--save-additional-columns)", path);
            pairs_close(r);
            return NULL;
        }
    }
    if (fmt == PAIRS_JSON || fmt == PAIRS_JSONL) {
        /* A list whose first object lacks the url member is the wrong list
         * (or the wrong --url-col): refuse it before any row is used. */
        r->pending_rc = read_row(r, &r->pending);
        r->has_pending = 1;
        char want[300];
        snprintf(want, sizeof want, "no '%s' member", r->url_col);
        if (r->pending_rc == 1 && strcmp(r->rowerr, want) == 0) {
            snprintf(err, errlen, "%s: line %llu: the first object has no '%s' member (is --url-col right?)", path,
                     (unsigned long long)r->pending.line_no, r->url_col);
            pairs_close(r);
            return NULL;
        }
    }
    if (fmt == PAIRS_CSV || fmt == PAIRS_TSV) {
        if (csv_header(r, fmt == PAIRS_CSV ? ',' : '\t', fmt == PAIRS_CSV, err, errlen) < 0) {
            pairs_close(r);
            return NULL;
        }
    }
    return r;
}

/* Reads the next row of r's format: 1 row, 0 end, -1 fatal. */
static int read_row(pairs_reader *r, pairs_row *row)
{
    switch (r->fmt) {
    case PAIRS_TXT: return txt_next(r, row);
    case PAIRS_CSV: return csv_next(r, row, ',', 1);
    case PAIRS_TSV: return csv_next(r, row, '\t', 0);
    case PAIRS_JSON: return json_next(r, row);
    case PAIRS_JSONL: return jsonl_next(r, row);
    default: return -1;
    }
}

int pairs_next(pairs_reader *r, pairs_row *row)
{
    memset(row, 0, sizeof *row);
    if (r->pq)
        return pairs_pq_next(r->pq, row);
    if (r->has_pending) {
        r->has_pending = 0;
        *row = r->pending;
        return pairs_finish_row(r, row, r->pending_rc);
    }
    if (r->fatal)
        return -1;
    if (r->done == 1)
        return 0;
    if (r->done == 2) {
        if (!r->errmsg[0])
            snprintf(r->errmsg, sizeof r->errmsg, "%s: line %llu: JSON array ends without ']'", r->path,
                     (unsigned long long)r->line);
        r->fatal = 1;
        return -1;
    }
    return pairs_finish_row(r, row, read_row(r, row));
}

/* The common tail of pairs_next: rc from read_row. */
static int pairs_finish_row(pairs_reader *r, pairs_row *row, int rc)
{
    if (rc < 0) {
        r->fatal = 1;
        if (!r->errmsg[0])
            snprintf(r->errmsg, sizeof r->errmsg, "%s: line %llu: read error", r->path, (unsigned long long)r->line);
        memset(row, 0, sizeof *row);
        return -1;
    }
    if (rc == 0) {
        r->done = 1;
        return 0;
    }
    row->row_no = r->row_no++;
    if (r->rowerr[0]) {
        row->error = r->rowerr;
        row->url = row->caption = NULL;
        row->sha256 = NULL;
        row->extra_json = NULL;
    }
    return 1;
}

void pairs_close(pairs_reader *r)
{
    if (!r)
        return;
    if (r->gz)
        gzclose(r->gz);
    pairs_pq_close(r->pq);
    for (int e = 0; e < r->n_extra; e++) {
        free(r->extra_cols[e]);
        ccbuf_free(&r->extra_val[e]);
    }
    free(r->extra_cols);
    free(r->extra_idx);
    free(r->extra_val);
    free(r->extra_kind);
    ccbuf_free(&r->sha_val);
    ccbuf_free(&r->extra_out);
    free(r->path);
    free(r->url_col);
    free(r->caption_col);
    free(r->buf);
    free(r->offs);
    ccbuf_free(&r->rec);
    ccbuf_free(&r->url);
    ccbuf_free(&r->caption);
    ccbuf_free(&r->key);
    free(r);
}

void pairs_progress(const pairs_reader *r, uint64_t *done, uint64_t *total)
{
    *done = *total = 0;
    if (r->pq) {
        pairs_pq_progress(r->pq, done, total);
        return;
    }
    if (!r->file_size)
        return;
    /* gzoffset is the position in the file itself (compressed bytes for .gz);
     * the reader's buffer runs ahead of the rows handed out by at most INBUF. */
    z_off_t off = gzoffset(r->gz);
    if (gzdirect(r->gz) && off >= (z_off_t)(r->len - r->pos))
        off -= (z_off_t)(r->len - r->pos); /* plain file: exactly the bytes parsed */
    *total = r->file_size;
    *done = off > 0 ? (uint64_t)off : 0;
    if (*done > *total)
        *done = *total;
}
