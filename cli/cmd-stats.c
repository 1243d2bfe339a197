/* cmd-stats.c — clipcrawl stats DIR: the dataset's figures as one JSON object.
 *
 * {"dir", "items", "samples", "by_status": {status: n}, "by_reason": {status: {reason: n}},
 *  "bytes": {"original", "stored", "shard_files"}, "shards": {"total", "sealed", "open"},
 *  "runs": {"count", "seconds", "items_per_second", "samples_per_second", "last": {...}}} */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "common.h"
#include "dataset.h"
#include "json.h"
#include "shard.h"

static int64_t one_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

static void text_or_null(ccbuf *b, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (t)
        ccbuf_json_string(b, (const char *)t, (size_t)sqlite3_column_bytes(st, col));
    else
        ccbuf_puts(b, "null");
}

int cmd_stats(int argc, char **argv)
{
    if (cli_wants_help("stats", argc, argv))
        return EXIT_OK;
    if (argc < 2)
        return cli_usage_error("stats", "needs DIR");
    if (argc > 2 || argv[1][0] == '-')
        return cli_usage_error("stats", "takes one DIR, got '%s'", argv[argc > 2 ? 2 : 1]);
    char err[512];
    dataset *ds = dataset_open_readonly(argv[1], err, sizeof err);
    if (!ds)
        return cli_fail("stats", "%s", err);
    sqlite3 *db = dataset_db(ds);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL); /* one snapshot */
    ccbuf b = {0};
    ccbuf_puts(&b, "{\"dir\":");
    ccbuf_json_string(&b, argv[1], strlen(argv[1]));
    int64_t items = one_int(db, "SELECT count(*) FROM items");
    int64_t samples = one_int(db, "SELECT count(*) FROM items WHERE status = 'accepted'");
    ccbuf_printf(&b, ",\"items\":%lld,\"samples\":%lld", (long long)items, (long long)samples);

    ccbuf_puts(&b, ",\"by_status\":{");
    static const char *const statuses[] = {"accepted", "rejected", "failed", "optout"};
    for (int i = 0; i < 4; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM items WHERE status = '%s'", statuses[i]);
        ccbuf_printf(&b, "%s\"%s\":%lld", i ? "," : "", statuses[i], (long long)one_int(db, sql));
    }
    ccbuf_puts(&b, "},\"by_reason\":{");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT status, coalesce(reason, ''), count(*) FROM items WHERE status != 'accepted' "
                           "GROUP BY status, reason ORDER BY status, count(*) DESC, reason",
                           -1, &st, NULL) == SQLITE_OK) {
        char prev[16] = "";
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *s = (const char *)sqlite3_column_text(st, 0);
            if (strcmp(s, prev) != 0) {
                ccbuf_printf(&b, "%s\"%s\":{", prev[0] ? "}," : "", s);
                snprintf(prev, sizeof prev, "%s", s);
            } else {
                ccbuf_putc(&b, ',');
            }
            text_or_null(&b, st, 1);
            ccbuf_printf(&b, ":%lld", (long long)sqlite3_column_int64(st, 2));
        }
        if (prev[0])
            ccbuf_putc(&b, '}');
        sqlite3_finalize(st);
    }
    ccbuf_puts(&b, "}");

    /* Bytes: originals as downloaded, stored image members, shard files on disk. */
    int64_t shard_files = 0;
    if (sqlite3_prepare_v2(db, "SELECT shard_no, state FROM shards", -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            int sealed = strcmp((const char *)sqlite3_column_text(st, 1), "sealed") == 0;
            char *p = shard_path(dataset_dir(ds), sqlite3_column_int64(st, 0), !sealed);
            struct stat sb;
            if (stat(p, &sb) == 0)
                shard_files += sb.st_size;
            free(p);
        }
        sqlite3_finalize(st);
    }
    ccbuf_printf(&b, ",\"bytes\":{\"original\":%lld,\"stored\":%lld,\"shard_files\":%lld}",
                 (long long)one_int(db, "SELECT coalesce(sum(bytes), 0) FROM items WHERE status = 'accepted'"),
                 (long long)one_int(db, "SELECT coalesce(sum(member_bytes), 0) FROM items WHERE status = 'accepted'"),
                 (long long)shard_files);
    ccbuf_printf(&b, ",\"shards\":{\"total\":%lld,\"sealed\":%lld,\"open\":%lld}",
                 (long long)one_int(db, "SELECT count(*) FROM shards"),
                 (long long)one_int(db, "SELECT count(*) FROM shards WHERE state = 'sealed'"),
                 (long long)one_int(db, "SELECT count(*) FROM shards WHERE state = 'open'"));

    /* Rate: items recorded by finished runs over those runs' wall time. */
    double secs = 0;
    int64_t run_items = 0, run_samples = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(sum(finished_at - started_at), 0), "
                           "(SELECT count(*) FROM items WHERE run_id IN (SELECT id FROM runs WHERE finished_at IS NOT NULL)), "
                           "(SELECT count(*) FROM items WHERE status = 'accepted' AND run_id IN "
                           "   (SELECT id FROM runs WHERE finished_at IS NOT NULL)) "
                           "FROM runs WHERE finished_at IS NOT NULL",
                           -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            secs = sqlite3_column_double(st, 0);
            run_items = sqlite3_column_int64(st, 1);
            run_samples = sqlite3_column_int64(st, 2);
        }
        sqlite3_finalize(st);
    }
    ccbuf_printf(&b, ",\"runs\":{\"count\":%lld,\"seconds\":%.3f,\"items_per_second\":",
                 (long long)one_int(db, "SELECT count(*) FROM runs"), secs);
    if (secs > 0)
        ccbuf_printf(&b, "%.2f,\"samples_per_second\":%.2f", run_items / secs, run_samples / secs);
    else
        ccbuf_puts(&b, "null,\"samples_per_second\":null");
    ccbuf_puts(&b, ",\"last\":");
    if (sqlite3_prepare_v2(db, "SELECT id, command, args, started_at, finished_at, counts FROM runs ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        ccbuf_printf(&b, "{\"id\":%lld,\"command\":", (long long)sqlite3_column_int64(st, 0));
        text_or_null(&b, st, 1);
        ccbuf_puts(&b, ",\"args\":");
        text_or_null(&b, st, 2);
        ccbuf_printf(&b, ",\"started_at\":%.3f,\"finished_at\":", sqlite3_column_double(st, 3));
        if (sqlite3_column_type(st, 4) == SQLITE_NULL)
            ccbuf_puts(&b, "null");
        else
            ccbuf_printf(&b, "%.3f", sqlite3_column_double(st, 4));
        ccbuf_puts(&b, ",\"counts\":");
        /* counts is stored as JSON text by the run's writer */
        const char *c = (const char *)sqlite3_column_text(st, 5);
        char jerr[64];
        json_value *cj = c ? json_parse(c, strlen(c), jerr, sizeof jerr) : NULL;
        if (cj)
            ccbuf_puts(&b, c);
        else if (c)
            ccbuf_json_string(&b, c, strlen(c)); /* not JSON: keep it as text */
        else
            ccbuf_puts(&b, "null");
        json_free(cj);
        ccbuf_puts(&b, "}");
    } else {
        ccbuf_puts(&b, "null");
    }
    sqlite3_finalize(st);
    ccbuf_puts(&b, "}}\n");
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    fwrite(b.data, 1, b.len, stdout);
    int status = fflush(stdout) == 0 ? EXIT_OK : cli_fail("stats", "cannot write to stdout");
    ccbuf_free(&b);
    dataset_close(ds, 0, NULL, 0);
    return status;
}
