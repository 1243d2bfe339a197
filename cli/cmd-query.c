/* cmd-query.c — clipcrawl query DIR...: select samples from the index, by SQL
 * condition, caption words or meaning (semantic search over the stored
 * image embeddings).
 *
 * Several DIRs (the parts of a partitioned run) are queried in turn and their
 * rows printed as one result (one header); --limit counts over all of them,
 * and a semantic search ranks the hits of every DIR together.
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

/* What every DIR of one query shares; limit and header change as rows are printed. */
typedef struct {
    const char *sql, *columns, *order;
    dataset_selection *sel;
    semantic_opts *sem;
    rows_format fmt;
    int header;     /* print the header before the next rows */
    long limit;     /* rows still to print; < 0 = all */
} query_run;

/* Prints st's rows (up to q->limit), then frees it. */
static int print_rows(query_run *q, dataset_rows *st)
{
    int status = EXIT_OK;
    long n = rows_out(st, q->fmt, q->header, stdout);
    if (n < 0)
        status = cli_fail("query", "%s", dataset_rows_errmsg(st));
    else {
        q->header = 0;
        if (q->limit > 0)
            q->limit = n >= q->limit ? 0 : q->limit - n;
    }
    dataset_rows_free(st);
    return status;
}

/* The --sql or --where/--fts/--status selection on one DIR. */
static int query_dir(query_run *q, const char *dir)
{
    char err[512];
    dataset *ds = dataset_open_readonly(dir, err, sizeof err);
    if (!ds)
        return cli_fail("query", "%s", err);
    int status = EXIT_OK;
    dataset_rows *st;
    if (q->sql) {
        st = dataset_rows_sql(ds, q->sql, err, sizeof err);
        if (st && q->limit >= 0)
            cc_log(CC_LOG_WARN, "query: --limit ignored with --sql (write LIMIT in the SQL)");
    } else {
        st = dataset_rows_select(ds, q->sel, q->columns, q->order, q->limit, err, sizeof err);
    }
    if (!st)
        status = cli_fail("query", "%s", err);
    else
        status = print_rows(q, st);
    if (q->sql)
        q->limit = -1;
    dataset_close(ds, 0, NULL, 0);
    return status;
}

typedef struct {
    dataset_hit hit;
    int dir;
} dir_hit;

static int by_score(const void *a, const void *b)
{
    double x = ((const dir_hit *)a)->hit.score, y = ((const dir_hit *)b)->hit.score;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* A semantic search over every DIR: each DIR's top k, ranked together. */
static int query_semantic(query_run *q, const char *const *dirs, int n_dirs)
{
    char err[512];
    dataset **ds = xcalloc((size_t)n_dirs, sizeof *ds);
    dir_hit *all = NULL;
    size_t n_all = 0;
    int status = EXIT_OK;
    for (int d = 0; d < n_dirs && status == EXIT_OK; d++) {
        ds[d] = dataset_open_readonly(dirs[d], err, sizeof err);
        if (!ds[d]) {
            status = cli_fail("query", "%s", err);
            break;
        }
        dataset_hit *hits = NULL;
        size_t n = 0;
        status = semantic_search("query", ds[d], q->sem, q->sel, &hits, &n);
        all = xrealloc(all, (n_all + n + 1) * sizeof *all);
        for (size_t i = 0; i < n; i++)
            all[n_all++] = (dir_hit){hits[i], d};
        free(hits);
    }
    if (status == EXIT_OK) {
        qsort(all, n_all, sizeof *all, by_score);
        size_t n = n_all;
        if (n_dirs > 1 && n > (size_t)q->sem->k)
            n = (size_t)q->sem->k;
        if (q->limit >= 0 && (size_t)q->limit < n)
            n = (size_t)q->limit;
        /* Print runs of hits from one DIR together, in rank order. */
        dataset_hit *run = xcalloc(n + 1, sizeof *run);
        for (size_t i = 0; i < n && status == EXIT_OK;) {
            size_t j = i, m = 0;
            while (j < n && all[j].dir == all[i].dir)
                run[m++] = all[j++].hit;
            dataset_rows *st = dataset_rows_hits(ds[all[i].dir], q->columns, run, m, err, sizeof err);
            status = st ? print_rows(q, st) : cli_fail("query", "%s", err);
            i = j;
        }
        free(run);
    }
    for (int d = 0; d < n_dirs; d++)
        dataset_close(ds[d], 0, NULL, 0);
    free(ds);
    free(all);
    return status;
}

int cmd_query(int argc, char **argv)
{
    if (cli_wants_help("query", argc, argv))
        return EXIT_OK;
    const char *sql = NULL, *columns = DEFAULT_COLUMNS, *order = "key";
    dataset_selection sel = {0};
    semantic_opts sem;
    semantic_opts_init(&sem);
    int fmt = ROWS_TABLE, header = 1;
    long limit = -1;
    const char *dirs[1024];
    int n_dirs = 0;
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
            if (n_dirs == (int)(sizeof dirs / sizeof *dirs))
                return cli_usage_error("query", "at most %d DIRs", n_dirs);
            dirs[n_dirs++] = a;
            continue;
        }
        /* --where, --fts and --sql are free text; the other values are names and numbers */
        int text = strcmp(a, "--where") == 0 || strcmp(a, "--fts") == 0 || strcmp(a, "--sql") == 0;
        if (text ? !v && cli_missing_value("query", a, v) : cli_missing_value("query", a, v) != 0)
            return EXIT_USAGE;
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
    if (n_dirs == 0)
        return cli_usage_error("query", "needs DIR");
    if (sql && (sel.where || sel.fts || sel.has_min_clip_score || semantic_active(&sem)))
        return cli_usage_error("query", "--sql cannot be combined with --where, --fts, --min-clip-score or a semantic search");
    if (semantic_check("query", &sem) != 0)
        return EXIT_USAGE;
    if (sel.status && strcmp(sel.status, "all") != 0 && dataset_status_parse(sel.status) < 0)
        return cli_usage_error("query", "bad --status '%s' (accepted, rejected, failed, optout or all)", sel.status);
    if (semantic_active(&sem) && strcmp(order, "key") != 0)
        return cli_usage_error("query", "--order does not apply to a semantic search (ranked by similarity)");

    query_run q = {.sql = sql, .columns = columns, .order = order, .sel = &sel, .sem = &sem,
                   .fmt = (rows_format)fmt, .header = header, .limit = limit};
    int status = EXIT_OK;
    if (semantic_active(&sem))
        status = query_semantic(&q, dirs, n_dirs);
    else
        for (int d = 0; d < n_dirs && status == EXIT_OK && q.limit != 0; d++)
            status = query_dir(&q, dirs[d]);
    if (fflush(stdout) != 0 && status == EXIT_OK)
        status = cli_fail("query", "cannot write to stdout");
    return status;
}
