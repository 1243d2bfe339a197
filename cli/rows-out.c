/* rows-out.c — see rows-out.h. */
#include "rows-out.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

#define TABLE_CELL_MAX 60

int rows_format_parse(const char *name)
{
    static const char *const names[] = {"table", "jsonl", "csv", "tsv"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

static void csv_field(ccbuf *b, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        ccbuf_puts(b, s);
        return;
    }
    ccbuf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            ccbuf_putc(b, '"');
        ccbuf_putc(b, *s);
    }
    ccbuf_putc(b, '"');
}

/* Table cell: control characters shown as spaces, long text cut with "...". */
static char *table_cell(const char *s)
{
    if (!s)
        return xstrdup("NULL");
    size_t n = strlen(s), chars = 0, i = 0;
    ccbuf b = {0};
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        if (i + len > n)
            len = n - i;
        if (chars == TABLE_CELL_MAX - 3 && n - i > 3) {
            ccbuf_puts(&b, "...");
            break;
        }
        if (c < 0x20 || c == 0x7f)
            ccbuf_putc(&b, ' ');
        else
            ccbuf_append(&b, s + i, len);
        i += len;
        chars++;
    }
    if (!b.data)
        ccbuf_puts(&b, "");
    return ccbuf_detach(&b, NULL);
}

/* TSV value: tab, newline, carriage return and backslash escaped. */
static void tsv_field(ccbuf *b, const char *s)
{
    if (!s)
        return;
    for (; *s; s++) {
        switch (*s) {
        case '\t': ccbuf_puts(b, "\\t"); break;
        case '\n': ccbuf_puts(b, "\\n"); break;
        case '\r': ccbuf_puts(b, "\\r"); break;
        case '\\': ccbuf_puts(b, "\\\\"); break;
        default: ccbuf_putc(b, *s);
        }
    }
}

static size_t display_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

long rows_out(dataset_rows *st, rows_format fmt, int header, FILE *out)
{
    int ncol = dataset_rows_ncols(st);
    ccbuf line = {0};
    char ***rows = NULL;
    size_t nrows = 0, cap = 0;
    long printed = 0;
    int r;
    if ((fmt == ROWS_CSV || fmt == ROWS_TSV) && header) {
        for (int c = 0; c < ncol; c++) {
            if (c)
                ccbuf_putc(&line, fmt == ROWS_CSV ? ',' : '\t');
            (fmt == ROWS_CSV ? csv_field : tsv_field)(&line, dataset_rows_name(st, c));
        }
        ccbuf_putc(&line, '\n');
        fwrite(line.data, 1, line.len, out);
    }
    while ((r = dataset_rows_next(st)) == 1) {
        printed++;
        ccbuf_reset(&line);
        if (fmt == ROWS_TABLE) {
            if (nrows == cap) {
                cap = cap ? cap * 2 : 64;
                rows = xrealloc(rows, cap * sizeof *rows);
            }
            char **row = xmalloc((size_t)ncol * sizeof *row);
            for (int c = 0; c < ncol; c++)
                row[c] = table_cell(dataset_rows_text(st, c));
            rows[nrows++] = row;
            continue;
        }
        if (fmt == ROWS_JSONL)
            ccbuf_putc(&line, '{');
        for (int c = 0; c < ncol; c++) {
            dataset_value_type type = dataset_rows_type(st, c);
            const char *txt = dataset_rows_text(st, c);
            if (fmt == ROWS_CSV || fmt == ROWS_TSV) {
                if (c)
                    ccbuf_putc(&line, fmt == ROWS_CSV ? ',' : '\t');
                (fmt == ROWS_CSV ? csv_field : tsv_field)(&line, txt);
                continue;
            }
            if (c)
                ccbuf_putc(&line, ',');
            const char *name = dataset_rows_name(st, c);
            ccbuf_json_string(&line, name, strlen(name));
            ccbuf_putc(&line, ':');
            if (type == DATASET_NULL)
                ccbuf_puts(&line, "null");
            else if (type == DATASET_INTEGER)
                ccbuf_printf(&line, "%lld", (long long)dataset_rows_int(st, c));
            else if (type == DATASET_FLOAT)
                ccbuf_printf(&line, "%.17g", dataset_rows_double(st, c));
            else if (type == DATASET_BLOB) {
                /* blobs (embeddings) as hex: JSON has no bytes type */
                const unsigned char *p = dataset_rows_blob(st, c);
                int n = dataset_rows_bytes(st, c);
                ccbuf_putc(&line, '"');
                for (int i = 0; i < n; i++)
                    ccbuf_printf(&line, "%02x", p[i]);
                ccbuf_putc(&line, '"');
            } else
                ccbuf_json_string(&line, txt, (size_t)dataset_rows_bytes(st, c));
        }
        ccbuf_puts(&line, fmt == ROWS_JSONL ? "}\n" : "\n");
        fwrite(line.data, 1, line.len, out);
    }
    if (fmt == ROWS_TABLE) {
        size_t *w = xcalloc((size_t)ncol, sizeof *w);
        for (int c = 0; c < ncol; c++) {
            w[c] = display_width(dataset_rows_name(st, c));
            for (size_t i = 0; i < nrows; i++)
                if (display_width(rows[i][c]) > w[c])
                    w[c] = display_width(rows[i][c]);
        }
        for (int c = 0; header && c < ncol; c++) {
            const char *name = dataset_rows_name(st, c);
            fprintf(out, "%s%s%*s", c ? "  " : "", name, c + 1 < ncol ? (int)(w[c] - display_width(name)) : 0, "");
        }
        if (header)
            fputc('\n', out);
        for (int c = 0; header && c < ncol; c++) {
            fprintf(out, "%s", c ? "  " : "");
            for (size_t k = 0; k < w[c]; k++)
                fputc('-', out);
        }
        if (header)
            fputc('\n', out);
        for (size_t i = 0; i < nrows; i++) {
            for (int c = 0; c < ncol; c++) {
                fprintf(out, "%s%s%*s", c ? "  " : "", rows[i][c],
                        c + 1 < ncol ? (int)(w[c] - display_width(rows[i][c])) : 0, "");
                free(rows[i][c]);
            }
            fputc('\n', out);
            free(rows[i]);
        }
        fprintf(stderr, "(%zu row%s)\n", nrows, nrows == 1 ? "" : "s");
        free(rows);
        free(w);
    }
    ccbuf_free(&line);
    return r == 0 ? printed : -1;
}
