/* cmd-query.c — clipcrawl query DIR: select samples from the index, by SQL
 * condition, caption words or meaning (semantic search over the stored
 * image embeddings).
 *
 * The dataset opens read-only (SQLITE_OPEN_READONLY + PRAGMA query_only), and
 * --sql statements are also checked to be one read-only statement
 * (dataset/rows.h), so no query can change the dataset. --where and --columns
 * are SQL fragments run on that connection; they are the user's own queries
 * over their own data. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "dataset.h"
#include "dataset_emb.h"
#include "rows-out.h"
#include "rows.h"
#include "semantic.h"

#define DEFAULT_COLUMNS "key,url,caption,width,height,image_format,bytes,sha256"

int cmd_query(int argc, char **argv)
{
    if (cli_wants_help("query", argc, argv))
        return EXIT_OK;
    const char *dir = NULL, *sql = NULL, *columns = DEFAULT_COLUMNS, *order = "key";
    dataset_selection sel = {0};
    semantic_opts sem;
    semantic_opts_init(&sem);
    int fmt = ROWS_TABLE, header = 1;
    long limit = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = semantic_opt("query", &sem, argc, argv, &i);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if (strcmp(a, "--no-header") == 0) {
            header = 0;
            continue;
        }
        if (a[0] != '-' || !a[1]) {
            if (dir)
                return cli_usage_error("query", "unexpected argument '%s'", a);
            dir = a;
            continue;
        }
        if (!v)
            return cli_usage_error("query", "%s needs a value", a);
        i++;
        if (strcmp(a, "--where") == 0)
            sel.where = v;
        else if (strcmp(a, "--fts") == 0)
            sel.fts = v;
        else if (strcmp(a, "--sql") == 0)
            sql = v;
        else if (strcmp(a, "--columns") == 0)
            columns = v;
        else if (strcmp(a, "--status") == 0)
            sel.status = v;
        else if (strcmp(a, "--order") == 0)
            order = v;
        else if (strcmp(a, "--min-clip-score") == 0) {
            if (cli_parse_double(v, &sel.min_clip_score) != 0)
                return cli_usage_error("query", "bad --min-clip-score '%s' (a number)", v);
            sel.has_min_clip_score = 1;
        } else if (strcmp(a, "--format") == 0) {
            if ((fmt = rows_format_parse(v)) < 0)
                return cli_usage_error("query", "bad --format '%s' (table, jsonl, csv or tsv)", v);
        } else if (strcmp(a, "--limit") == 0) {
            if (cli_parse_long(v, 0, 1L << 62, &limit) < 0)
                return cli_usage_error("query", "bad --limit '%s' (a number >= 0)", v);
        } else {
            return cli_usage_error("query", "unknown option '%s'", a);
        }
    }
    if (!dir)
        return cli_usage_error("query", "needs DIR");
    if (sql && (sel.where || sel.fts || sel.has_min_clip_score || semantic_active(&sem)))
        return cli_usage_error("query", "--sql cannot be combined with --where, --fts, --min-clip-score or a semantic search");
    if (semantic_check("query", &sem) != 0)
        return EXIT_USAGE;
    if (sel.status && strcmp(sel.status, "all") != 0 && dataset_status_parse(sel.status) < 0)
        return cli_usage_error("query", "bad --status '%s' (accepted, rejected, failed, optout or all)", sel.status);
    if (semantic_active(&sem) && strcmp(order, "key") != 0)
        return cli_usage_error("query", "--order does not apply to a semantic search (ranked by similarity)");

    char err[512];
    dataset *ds = dataset_open_readonly(dir, err, sizeof err);
    if (!ds)
        return cli_fail("query", "%s", err);
    int status = EXIT_OK;
    dataset_rows *st = NULL;
    if (sql) {
        st = dataset_rows_sql(ds, sql, err, sizeof err);
        if (!st)
            status = cli_fail("query", "%s", err);
        if (st && limit >= 0)
            cc_log(CC_LOG_WARN, "query: --limit ignored with --sql (write LIMIT in the SQL)");
    } else if (semantic_active(&sem)) {
        dataset_hit *hits = NULL;
        size_t n = 0;
        status = semantic_search("query", ds, &sem, &sel, &hits, &n);
        if (status == EXIT_OK) {
            if (limit >= 0 && (size_t)limit < n)
                n = (size_t)limit;
            st = dataset_rows_hits(ds, columns, hits, n, err, sizeof err);
            if (!st)
                status = cli_fail("query", "%s", err);
        }
        free(hits);
    } else {
        st = dataset_rows_select(ds, &sel, columns, order, limit, err, sizeof err);
        if (!st)
            status = cli_fail("query", "%s", err);
    }
    if (st && rows_out(st, (rows_format)fmt, header, stdout) < 0)
        status = cli_fail("query", "%s", dataset_rows_errmsg(st));
    dataset_rows_free(st);
    if (fflush(stdout) != 0 && status == EXIT_OK)
        status = cli_fail("query", "cannot write to stdout");
    dataset_close(ds, 0, NULL, 0);
    return status;
}
