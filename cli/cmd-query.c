/* cmd-query.c — clipcrawl query DIR: select samples from the index.
 *
 * The connection is read-only (SQLITE_OPEN_READONLY + PRAGMA query_only), and
 * --sql statements are also checked with sqlite3_stmt_readonly(), so no query
 * can change the dataset. --where and --columns are SQL fragments run on that
 * connection; they are the user's own queries over their own data. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "dataset.h"

enum { FMT_TABLE, FMT_JSONL, FMT_CSV };

#define DEFAULT_COLUMNS "key,url,caption,width,height,image_format,bytes,sha256"
#define TABLE_CELL_MAX 60

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

static size_t display_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static int run_query(sqlite3_stmt *st, int fmt, FILE *out)
{
    int ncol = sqlite3_column_count(st);
    ccbuf line = {0};
    char ***rows = NULL;
    size_t nrows = 0, cap = 0;
    int r;
    if (fmt == FMT_CSV) {
        for (int c = 0; c < ncol; c++) {
            if (c)
                ccbuf_putc(&line, ',');
            csv_field(&line, sqlite3_column_name(st, c));
        }
        ccbuf_puts(&line, "\r\n");
        fwrite(line.data, 1, line.len, out);
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        ccbuf_reset(&line);
        if (fmt == FMT_TABLE) {
            if (nrows == cap) {
                cap = cap ? cap * 2 : 64;
                rows = xrealloc(rows, cap * sizeof *rows);
            }
            char **row = xmalloc((size_t)ncol * sizeof *row);
            for (int c = 0; c < ncol; c++)
                row[c] = table_cell((const char *)sqlite3_column_text(st, c));
            rows[nrows++] = row;
            continue;
        }
        if (fmt == FMT_JSONL)
            ccbuf_putc(&line, '{');
        for (int c = 0; c < ncol; c++) {
            int type = sqlite3_column_type(st, c);
            const char *txt = (const char *)sqlite3_column_text(st, c);
            if (fmt == FMT_CSV) {
                if (c)
                    ccbuf_putc(&line, ',');
                csv_field(&line, txt);
                continue;
            }
            if (c)
                ccbuf_putc(&line, ',');
            const char *name = sqlite3_column_name(st, c);
            ccbuf_json_string(&line, name, strlen(name));
            ccbuf_putc(&line, ':');
            if (type == SQLITE_NULL)
                ccbuf_puts(&line, "null");
            else if (type == SQLITE_INTEGER)
                ccbuf_printf(&line, "%lld", (long long)sqlite3_column_int64(st, c));
            else if (type == SQLITE_FLOAT)
                ccbuf_printf(&line, "%.17g", sqlite3_column_double(st, c));
            else if (type == SQLITE_BLOB) {
                /* blobs (embeddings) as hex: JSON has no bytes type */
                const unsigned char *p = sqlite3_column_blob(st, c);
                int n = sqlite3_column_bytes(st, c);
                ccbuf_putc(&line, '"');
                for (int i = 0; i < n; i++)
                    ccbuf_printf(&line, "%02x", p[i]);
                ccbuf_putc(&line, '"');
            } else
                ccbuf_json_string(&line, txt, (size_t)sqlite3_column_bytes(st, c));
        }
        ccbuf_puts(&line, fmt == FMT_JSONL ? "}\n" : "\r\n");
        fwrite(line.data, 1, line.len, out);
    }
    if (fmt == FMT_TABLE) {
        size_t *w = xcalloc((size_t)ncol, sizeof *w);
        for (int c = 0; c < ncol; c++) {
            w[c] = display_width(sqlite3_column_name(st, c));
            for (size_t i = 0; i < nrows; i++)
                if (display_width(rows[i][c]) > w[c])
                    w[c] = display_width(rows[i][c]);
        }
        for (int c = 0; c < ncol; c++) {
            const char *name = sqlite3_column_name(st, c);
            fprintf(out, "%s%s%*s", c ? "  " : "", name, c + 1 < ncol ? (int)(w[c] - display_width(name)) : 0, "");
        }
        fputc('\n', out);
        for (int c = 0; c < ncol; c++) {
            fprintf(out, "%s", c ? "  " : "");
            for (size_t k = 0; k < w[c]; k++)
                fputc('-', out);
        }
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
    return r == SQLITE_DONE ? 0 : -1;
}

int cmd_query(int argc, char **argv)
{
    if (cli_wants_help("query", argc, argv))
        return EXIT_OK;
    const char *dir = NULL, *where = NULL, *fts = NULL, *sql = NULL, *columns = DEFAULT_COLUMNS;
    const char *status = "accepted", *order = "key";
    int fmt = FMT_TABLE;
    long limit = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "--where") == 0)
            where = v;
        else if (strcmp(a, "--fts") == 0)
            fts = v;
        else if (strcmp(a, "--sql") == 0)
            sql = v;
        else if (strcmp(a, "--columns") == 0)
            columns = v;
        else if (strcmp(a, "--status") == 0)
            status = v;
        else if (strcmp(a, "--order") == 0)
            order = v;
        else if (strcmp(a, "--format") == 0) {
            if (!v)
                break;
            if (strcmp(v, "table") == 0)
                fmt = FMT_TABLE;
            else if (strcmp(v, "jsonl") == 0)
                fmt = FMT_JSONL;
            else if (strcmp(v, "csv") == 0)
                fmt = FMT_CSV;
            else
                return cli_usage_error("query", "bad --format '%s' (table, jsonl or csv)", v);
        } else if (strcmp(a, "--limit") == 0) {
            if (v && cli_parse_long(v, 0, 1L << 62, &limit) < 0)
                return cli_usage_error("query", "bad --limit '%s' (a number >= 0)", v);
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("query", "unknown option '%s'", a);
        } else {
            takes = 0;
            if (dir)
                return cli_usage_error("query", "unexpected argument '%s'", a);
            dir = a;
        }
        if (takes) {
            if (!v)
                return cli_usage_error("query", "%s needs a value", a);
            i++;
        }
    }
    if (!dir)
        return cli_usage_error("query", "needs DIR");
    if (sql && (where || fts))
        return cli_usage_error("query", "--sql cannot be combined with --where or --fts");
    if (strcmp(status, "all") != 0 && dataset_status_parse(status) < 0)
        return cli_usage_error("query", "bad --status '%s' (accepted, rejected, failed, optout or all)", status);

    char err[512];
    dataset *ds = dataset_open_readonly(dir, err, sizeof err);
    if (!ds)
        return cli_fail("query", "%s", err);
    sqlite3 *db = dataset_db(ds);
    ccbuf q = {0};
    if (sql) {
        ccbuf_puts(&q, sql);
    } else {
        ccbuf_printf(&q, "SELECT %s FROM items", columns);
        if (fts)
            /* a subquery, so column names stay unambiguous */
            ccbuf_puts(&q, " JOIN (SELECT rowid AS fts_rowid, rank AS fts_rank FROM captions_fts"
                           " WHERE captions_fts MATCH ?1) AS fts ON fts.fts_rowid = items.id");
        ccbuf_puts(&q, " WHERE 1");
        if (strcmp(status, "all") != 0)
            ccbuf_printf(&q, " AND items.status = '%s'", status);
        if (where)
            ccbuf_printf(&q, " AND (%s)", where);
        ccbuf_printf(&q, " ORDER BY %s", fts && strcmp(order, "key") == 0 ? "fts.fts_rank, items.key" : order);
        if (limit >= 0)
            ccbuf_printf(&q, " LIMIT %ld", limit);
    }
    sqlite3_stmt *st;
    const char *tail = NULL;
    int status_code = EXIT_OK;
    if (sqlite3_prepare_v2(db, (const char *)q.data, -1, &st, &tail) != SQLITE_OK) {
        status_code = cli_fail("query", "%s: %s", sql ? "--sql" : "query", sqlite3_errmsg(db));
    } else if (!st) {
        status_code = cli_fail("query", "--sql holds no statement");
    } else {
        while (tail && *tail && strchr(" \t\r\n;", *tail))
            tail++;
        if (tail && *tail) {
            status_code = cli_fail("query", "--sql takes one statement; found more after it: '%.40s'", tail);
        } else if (!sqlite3_stmt_readonly(st)) {
            status_code = cli_fail("query", "--sql must not change the dataset (read-only): '%.60s'", sql ? sql : "");
        } else {
            if (fts)
                sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
            if (sql && limit >= 0)
                cc_log(CC_LOG_WARN, "query: --limit ignored with --sql (write LIMIT in the SQL)");
            if (run_query(st, fmt, stdout) < 0)
                status_code = cli_fail("query", "%s", sqlite3_errmsg(db));
        }
        sqlite3_finalize(st);
    }
    if (fflush(stdout) != 0 && status_code == EXIT_OK)
        status_code = cli_fail("query", "cannot write to stdout");
    ccbuf_free(&q);
    dataset_close(ds, 0, NULL, 0);
    return status_code;
}
