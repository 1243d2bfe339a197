/* test_index.c — migrations, the dataset layer (outcomes, resume, rotation,
 * reading, frames built ahead), kill -9 at random moments, and the
 * read-only commands. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "dataset.h"
#include "index.h"
#include "json.h"
#include "shard.h"

static char tmpdir[256];
static const char *bin;

static char *tpath(const char *name) { return xasprintf("%s/%s", tmpdir, name); }

/* Runs a shell command, captures stdout; returns the exit status. */
static int run(const char *cmd, ccbuf *out)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char buf[4096];
    size_t n;
    if (out)
        ccbuf_reset(out);
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        if (out)
            ccbuf_append(out, buf, n);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

static void test_migrations(void)
{
    char err[512];
    char *p = tpath("m.sqlite");
    CHECK(index_open(p, 0, err, sizeof err) == NULL, "missing file without INDEX_CREATE");
    CHECK(strstr(err, "m.sqlite") != NULL, "names the file: %s", err);
    cc_index *ix = index_open(p, INDEX_CREATE, err, sizeof err);
    CHECK(ix != NULL, "create: %s", err);
    if (!ix)
        return;
    CHECK(index_migration_count() >= 1, "migrations embedded");
    CHECK_EQ_STR(index_migration_name(0), "001-core.sql");
    CHECK(index_migration_name(index_migration_count()) == NULL, "past the end");
    CHECK_EQ_INT(index_user_version(ix), index_migration_count());
    sqlite3 *db = index_db(ix);
    CHECK_EQ_INT(one_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('runs','inputs','items','shards','captions_fts')"), 5);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    sqlite3_step(st);
    CHECK_EQ_STR((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    CHECK_EQ_INT(one_int(db, "PRAGMA foreign_keys"), 1);
    CHECK_EQ_INT(index_exec(ix, "INSERT INTO items(status) VALUES ('bogus')"), CC_ERR_DB);
    CHECK(strstr(index_errmsg(ix), "CHECK") != NULL, "check constraint: %s", index_errmsg(ix));
    index_close(ix);
    /* reopening applies nothing twice */
    ix = index_open(p, INDEX_CREATE, err, sizeof err);
    CHECK(ix && index_user_version(ix) == index_migration_count(), "reopen: %s", err);
    /* a newer index is refused */
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", index_migration_count() + 1);
    CHECK_EQ_INT(index_exec(ix, sql), CC_OK);
    index_close(ix);
    CHECK(index_open(p, INDEX_CREATE, err, sizeof err) == NULL, "newer refused");
    CHECK(strstr(err, "newer") != NULL && strstr(err, "m.sqlite") != NULL, "message: %s", err);
    CHECK(index_open(p, INDEX_READONLY, err, sizeof err) == NULL, "newer refused read-only too");
    free(p);
    /* not a database */
    p = tpath("junk.sqlite");
    FILE *f = fopen(p, "w");
    fputs("this is not a database, just text that is long enough to look like a header.......\n", f);
    fclose(f);
    CHECK(index_open(p, INDEX_CREATE, err, sizeof err) == NULL, "junk refused");
    CHECK(strstr(err, "junk.sqlite") != NULL, "names the file: %s", err);
    free(p);
}

static void sample_for(int row, dataset_sample *s, char *img, size_t cap, char *caption, size_t ccap)
{
    /* image bytes depend only on the row, so runs can be compared */
    size_t n = 100 + (size_t)(row * 37 % 900);
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++)
        img[i] = (char)('a' + (row + (int)i) % 26);
    snprintf(caption, ccap, "caption of row %d with a cat", row);
    memset(s, 0, sizeof *s);
    s->row_no = row;
    s->url = "http://127.0.0.1/img";
    s->caption = caption;
    s->image = img;
    s->image_len = n;
    s->ext = row % 3 == 0 ? "png" : "jpg";
    s->width = 64 + row;
    s->height = 48;
    s->original_width = 640;
    s->original_height = 480;
    s->http_status = 200;
    s->mime = "image/jpeg";
}

static void test_dataset(void)
{
    char err[512];
    char *dir = tpath("ds");
    dataset_options o = {.samples_per_shard = 3, .commit_rows = 2};
    dataset_options bad = {.samples_per_shard = 10001};
    CHECK(dataset_open(dir, &bad, err, sizeof err) == NULL, "10001 per shard refused");
    CHECK(strstr(err, "10001") != NULL, "message: %s", err);
    dataset *ds = dataset_open(dir, &o, err, sizeof err);
    CHECK(ds != NULL, "open: %s", err);
    if (!ds)
        return;
    CHECK(dataset_open(dir, &o, err, sizeof err) == NULL, "a second writer is refused");
    CHECK(strstr(err, "another clipcrawl") != NULL, "message: %s", err);
    CHECK(dataset_run_begin(ds, "fetch", "list.csv -o ds") > 0, "run");
    int64_t in = dataset_input(ds, "list.csv", "csv");
    CHECK(in > 0, "input id");
    CHECK_EQ_INT(dataset_input(ds, "list.csv", "csv"), in);
    CHECK(dataset_input(ds, "other.txt", "txt") != in, "distinct input");

    char img[1024], cap[128], key[10];
    dataset_sample s;
    const char *want_keys[] = {"000000000", "000000001", "000000002", "000010000", "000010001", "000010002", "000020000"};
    for (int row = 0; row < 7; row++) {
        sample_for(row, &s, img, sizeof img, cap, sizeof cap);
        s.input_id = in;
        if (row == 1)
            s.extra_json = "{ \"clip_score\": 0.25 }";
        CHECK_EQ_INT(dataset_item_done(ds, in, row, 0), 0);
        CHECK_EQ_INT(dataset_add_accepted(ds, &s, key), CC_OK);
        CHECK_EQ_STR(key, want_keys[row]);
        CHECK_EQ_INT(dataset_item_done(ds, in, row, 0), 1);
    }
    /* a second accept of the same row is refused and writes nothing */
    sample_for(0, &s, img, sizeof img, cap, sizeof cap);
    s.input_id = in;
    CHECK_EQ_INT(dataset_add_accepted(ds, &s, key), CC_ERR_USAGE);
    CHECK(strstr(dataset_errmsg(ds), "already accepted") != NULL, "%s", dataset_errmsg(ds));
    /* bad samples */
    s.row_no = 100;
    s.ext = "gif";
    CHECK_EQ_INT(dataset_add_accepted(ds, &s, key), CC_ERR_USAGE);
    s.ext = "jpg";
    s.extra_json = "[1,2]";
    CHECK_EQ_INT(dataset_add_accepted(ds, &s, key), CC_ERR_USAGE);
    s.extra_json = NULL;
    s.image_len = 0;
    CHECK_EQ_INT(dataset_add_accepted(ds, &s, key), CC_ERR_USAGE);

    /* outcomes and resume */
    dataset_outcome fo = {.input_id = in, .row_no = 10, .url = "http://127.0.0.1/404", .status = DS_FAILED,
                          .reason = "http_404", .error = "HTTP 404 Not Found", .http_status = 404};
    CHECK_EQ_INT(dataset_add_outcome(ds, &fo), CC_OK);
    dataset_outcome ro = {.input_id = in, .row_no = 11, .url = "http://127.0.0.1/tiny", .status = DS_REJECTED,
                          .reason = "too_small"};
    CHECK_EQ_INT(dataset_add_outcome(ds, &ro), CC_OK);
    dataset_outcome oo = {.input_id = in, .row_no = 12, .url = "http://127.0.0.1/noai", .status = DS_OPTOUT,
                          .reason = "noai"};
    CHECK_EQ_INT(dataset_add_outcome(ds, &oo), CC_OK);
    dataset_outcome no_reason = {.input_id = in, .row_no = 13, .status = DS_FAILED};
    CHECK_EQ_INT(dataset_add_outcome(ds, &no_reason), CC_ERR_USAGE);
    dataset_outcome on_accepted = {.input_id = in, .row_no = 2, .status = DS_FAILED, .reason = "timeout"};
    CHECK_EQ_INT(dataset_add_outcome(ds, &on_accepted), CC_ERR_USAGE);
    CHECK_EQ_INT(dataset_item_done(ds, in, 10, 0), 1);
    CHECK_EQ_INT(dataset_item_done(ds, in, 10, 1), 0); /* --retry-failed */
    CHECK_EQ_INT(dataset_item_done(ds, in, 11, 1), 1);
    CHECK_EQ_INT(dataset_item_done(ds, in, 12, 1), 1);
    CHECK_EQ_INT(dataset_item_done(ds, in, 13, 0), 0);
    /* the retried failure succeeds: same item row, now accepted */
    sample_for(10, &s, img, sizeof img, cap, sizeof cap);
    s.input_id = in;
    CHECK_EQ_INT(dataset_add_accepted(ds, &s, key), CC_OK);
    CHECK_EQ_STR(key, "000020001");
    /* crawler-style items without an input row */
    dataset_outcome crawl = {.url = "http://127.0.0.1/x", .status = DS_FAILED, .reason = "timeout"};
    CHECK_EQ_INT(dataset_add_outcome(ds, &crawl), CC_OK);
    CHECK_EQ_INT(dataset_add_outcome(ds, &crawl), CC_OK);

    char sha[65], found[10];
    sample_for(4, &s, img, sizeof img, cap, sizeof cap);
    cc_sha256_hex(img, s.image_len, sha);
    CHECK_EQ_INT(dataset_find_sha256(ds, sha, found), 1);
    CHECK_EQ_STR(found, "000010001");
    CHECK_EQ_INT(dataset_find_sha256(ds, "00", found), 0);

    /* reads from the writer's own handle, .part included */
    ccbuf b = {0};
    CHECK_EQ_INT(dataset_read_member(ds, "000020001", "txt", &b), CC_OK);
    CHECK_EQ_STR((char *)b.data, "caption of row 10 with a cat");
    sqlite3 *db = dataset_db(ds);
    CHECK_EQ_INT(dataset_flush(ds), CC_OK);
    CHECK_EQ_INT(one_int(db, "SELECT count(*) FROM items"), 7 + 1 + 2 + 2); /* row 10 failed, then accepted: one row */
    CHECK_EQ_INT(one_int(db, "SELECT count(*) FROM items WHERE input_id IS NOT NULL"), 7 + 1 + 2);
    CHECK_EQ_INT(one_int(db, "SELECT count(*) FROM shards WHERE state = 'sealed'"), 2);
    CHECK_EQ_INT(one_int(db, "SELECT count(*) FROM captions_fts WHERE captions_fts MATCH 'cat'"), 8);
    int64_t acc, other;
    dataset_counts(ds, &acc, &other);
    CHECK(acc == 8 && other == 5, "counts %lld %lld", (long long)acc, (long long)other);
    CHECK_EQ_INT(dataset_run_end(ds, "{\"accepted\":8}"), CC_OK);
    CHECK_EQ_INT(dataset_close(ds, 0, err, sizeof err), CC_OK);

    /* reopen without sealing: keys continue in the open shard */
    ds = dataset_open(dir, &o, err, sizeof err);
    CHECK(ds != NULL, "reopen: %s", err);
    sample_for(20, &s, img, sizeof img, cap, sizeof cap);
    s.input_id = in;
    CHECK_EQ_INT(dataset_add_accepted(ds, &s, key), CC_OK);
    CHECK_EQ_STR(key, "000020002"); /* the shard is now full and sealed */
    sample_for(21, &s, img, sizeof img, cap, sizeof cap);
    s.input_id = in;
    CHECK_EQ_INT(dataset_add_accepted(ds, &s, key), CC_OK);
    CHECK_EQ_STR(key, "000030000");
    CHECK_EQ_INT(dataset_close(ds, 1, err, sizeof err), CC_OK);
    ds = dataset_open(dir, &o, err, sizeof err);
    sample_for(22, &s, img, sizeof img, cap, sizeof cap);
    s.input_id = in;
    CHECK_EQ_INT(dataset_add_accepted(ds, &s, key), CC_OK);
    CHECK_EQ_STR(key, "000040000"); /* sealed at close: a new shard */
    CHECK_EQ_INT(dataset_close(ds, 1, err, sizeof err), CC_OK);

    /* reader */
    ds = dataset_open_readonly(dir, err, sizeof err);
    CHECK(ds != NULL, "readonly: %s", err);
    if (!ds)
        return;
    sample_for(1, &s, img, sizeof img, cap, sizeof cap);
    CHECK_EQ_INT(dataset_read_member(ds, "000000001", NULL, &b), CC_OK);
    CHECK(b.len == s.image_len && memcmp(b.data, img, b.len) == 0, "image bytes");
    CHECK_EQ_INT(dataset_read_member(ds, "000000001", "jpg", &b), CC_OK);
    CHECK_EQ_INT(dataset_read_member(ds, "000000001", "png", &b), CC_ERR_NOTFOUND);
    CHECK_EQ_INT(dataset_read_member(ds, "000000001", "exe", &b), CC_ERR_USAGE);
    CHECK_EQ_INT(dataset_read_member(ds, "000099999", NULL, &b), CC_ERR_NOTFOUND);
    CHECK_EQ_INT(dataset_read_member(ds, "000000001", "json", &b), CC_OK);
    json_value *j = json_parse((char *)b.data, b.len, err, sizeof err);
    CHECK(j != NULL, "KEY.json parses: %s", err);
    if (j) {
        CHECK_EQ_STR(json_get_string(j, "key", ""), "000000001");
        CHECK_EQ_STR(json_get_string(j, "status", ""), "success");
        CHECK_EQ_STR(json_get_string(j, "caption", ""), "caption of row 1 with a cat");
        CHECK(json_get(j, "error_message") && json_get(j, "error_message")->type == JSON_NULL, "error_message null");
        CHECK_EQ_INT(json_get_number(j, "width", 0), 65);
        CHECK_EQ_INT(json_get_number(j, "original_width", 0), 640);
        CHECK(json_get_number(j, "clip_score", 0) == 0.25, "extra member");
        CHECK(json_get(j, "page_url") != NULL, "page_url present");
        char h[65];
        cc_sha256_hex(img, s.image_len, h);
        CHECK_EQ_STR(json_get_string(j, "sha256", ""), h);
    }
    json_free(j);
    ccbuf txt = {0}, js = {0};
    char ext[8];
    CHECK_EQ_INT(dataset_read_sample(ds, "000000000", &b, ext, &txt, &js), CC_OK);
    CHECK_EQ_STR(ext, "png");
    dataset_iter *it = dataset_iter_new(ds, "items.width > 70");
    dataset_location loc;
    const char *url, *caption;
    int n = 0;
    while (it && dataset_iter_next(it, &loc, &url, &caption) == 1)
        n++;
    dataset_iter_free(it);
    CHECK_EQ_INT(n, 4); /* rows 10, 20, 21, 22 */
    CHECK_EQ_INT(dataset_add_outcome(ds, &crawl), CC_ERR_USAGE);
    CHECK(sqlite3_exec(dataset_db(ds), "DELETE FROM items", NULL, NULL, NULL) != SQLITE_OK, "read-only refuses writes");
    CHECK_EQ_INT(one_int(dataset_db(ds), "SELECT count(*) FROM items WHERE status='accepted'"), 11);
    CHECK_EQ_INT(dataset_close(ds, 0, NULL, 0), CC_OK);
    ccbuf_free(&b);
    ccbuf_free(&txt);
    ccbuf_free(&js);

    /* the commands on this dataset */
    ccbuf out = {0};
    char *cmd = xasprintf("'%s' verify '%s'", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 0);
    free(cmd);
    cmd = xasprintf("'%s' cat '%s' 000000001", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 0);
    sample_for(1, &s, img, sizeof img, cap, sizeof cap);
    CHECK(out.len == s.image_len && memcmp(out.data, img, out.len) == 0, "cat gives the exact bytes");
    free(cmd);
    cmd = xasprintf("'%s' cat '%s' 000000001 --member txt", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 0);
    CHECK(out.len == strlen(cap) && memcmp(out.data, cap, out.len) == 0, "cat --member txt");
    free(cmd);
    cmd = xasprintf("'%s' cat '%s' 12345 2>/dev/null", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 2);
    free(cmd);
    cmd = xasprintf("'%s' cat '%s' 000077777 2>/dev/null", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 1);
    free(cmd);
    cmd = xasprintf("'%s' stats '%s'", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 0);
    j = json_parse((char *)out.data, out.len, err, sizeof err);
    CHECK(j != NULL, "stats is JSON: %s", err);
    if (j) {
        const json_value *bs = json_get(j, "by_status");
        CHECK_EQ_INT(json_get_number(bs, "accepted", -1), 11);
        CHECK_EQ_INT(json_get_number(bs, "failed", -1), 2);
        CHECK_EQ_INT(json_get_number(json_get(json_get(j, "by_reason"), "rejected"), "too_small", -1), 1);
        CHECK_EQ_INT(json_get_number(json_get(j, "shards"), "sealed", -1), 5);
    }
    json_free(j);
    free(cmd);
    cmd = xasprintf("'%s' query '%s' --where 'width >= 84' --format jsonl --columns key,width", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 0);
    CHECK_EQ_STR((char *)out.data, "{\"key\":\"000020002\",\"width\":84}\n{\"key\":\"000030000\",\"width\":85}\n{\"key\":\"000040000\",\"width\":86}\n");
    free(cmd);
    cmd = xasprintf("'%s' query '%s' --fts 'row 10' --format csv --columns key,caption --limit 5", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 0);
    CHECK_EQ_STR((char *)out.data, "key,caption\n000020001,caption of row 10 with a cat\n");
    free(cmd);
    cmd = xasprintf("'%s' query '%s' --status failed --format csv --columns url,reason", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 0);
    CHECK_EQ_STR((char *)out.data, "url,reason\nhttp://127.0.0.1/x,timeout\nhttp://127.0.0.1/x,timeout\n");
    free(cmd);
    cmd = xasprintf("'%s' query '%s' --sql 'DELETE FROM items' 2>/dev/null", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 1);
    free(cmd);
    cmd = xasprintf("'%s' query '%s' --sql 'SELECT 1; DROP TABLE items' 2>/dev/null", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 1);
    free(cmd);
    cmd = xasprintf("'%s' query '%s' --sql 'SELECT count(*) AS n FROM items' --format jsonl", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 0);
    CHECK_EQ_STR((char *)out.data, "{\"n\":15}\n");
    free(cmd);
    cmd = xasprintf("'%s' query '%s' --format xml 2>/dev/null", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 2);
    free(cmd);

    /* verify notices damage: a flipped byte in a sealed shard, a stray file */
    char *shard = xasprintf("%s/shards/00001.tar.zst", dir);
    int fd = open(shard, O_RDWR);
    unsigned char c;
    CHECK(pread(fd, &c, 1, 40) == 1, "pread");
    c ^= 0xff;
    CHECK(pwrite(fd, &c, 1, 40) == 1, "pwrite");
    close(fd);
    char *stray = xasprintf("%s/shards/00042.tar.zst", dir);
    FILE *f = fopen(stray, "w");
    fclose(f);
    cmd = xasprintf("'%s' verify '%s' 2>/dev/null", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 1);
    CHECK(strstr((char *)out.data, "00001.tar.zst") != NULL, "verify names the damaged shard:\n%s", (char *)out.data);
    CHECK(strstr((char *)out.data, "00042.tar.zst: shard file not in the index") != NULL, "stray file:\n%s",
          (char *)out.data);
    free(cmd);
    free(stray);
    free(shard);
    ccbuf_free(&out);
    free(dir);
}

/* ---- kill -9 ------------------------------------------------------------------------ */

enum { KROWS = 400 };

/* Writes rows 0..KROWS-1 of one input, resuming; every 7th row fails. */
static int writer_child(const char *dir)
{
    char err[512];
    dataset_options o = {.samples_per_shard = 16, .commit_rows = 5, .commit_seconds = 0.01};
    dataset *ds = dataset_open(dir, &o, err, sizeof err);
    if (!ds) {
        fprintf(stderr, "child open: %s\n", err);
        return 3;
    }
    dataset_run_begin(ds, "test", NULL);
    int64_t in = dataset_input(ds, "rows.txt", "txt");
    char img[1024], cap[128];
    dataset_sample s;
    for (int row = 0; row < KROWS; row++) {
        int d = dataset_item_done(ds, in, row, 1);
        if (d < 0)
            return 4;
        if (d)
            continue;
        if (row % 7 == 3) {
            dataset_outcome fo = {.input_id = in, .row_no = row, .url = "http://127.0.0.1/f",
                                  .status = DS_FAILED, .reason = "timeout"};
            if (dataset_add_outcome(ds, &fo) != CC_OK)
                return 5;
            continue;
        }
        sample_for(row, &s, img, sizeof img, cap, sizeof cap);
        s.input_id = in;
        if (dataset_add_accepted(ds, &s, NULL) != CC_OK) {
            fprintf(stderr, "child add: %s\n", dataset_errmsg(ds));
            return 6;
        }
    }
    dataset_run_end(ds, NULL);
    return dataset_close(ds, 1, err, sizeof err) == CC_OK ? 0 : 7;
}

static void test_kill9(void)
{
    char *dir = tpath("k9");
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    int kills = 0, finished = 0;
    int64_t committed = 0, before_last = 0;
    for (int round = 0; round < 40 && !finished; round++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(writer_child(dir));
        int last = round >= 16; /* after 16 tries let it finish */
        if (!last) {
            struct timespec ts = {0, (long)(rand() % 15000) * 1000L};
            nanosleep(&ts, NULL);
            kill(pid, SIGKILL);
        }
        int st;
        waitpid(pid, &st, 0);
        /* what was committed before the kill is still there */
        char e[256];
        dataset *r = dataset_open_readonly(dir, e, sizeof e);
        if (r) {
            int64_t now = one_int(dataset_db(r), "SELECT count(*) FROM items");
            CHECK(now >= committed, "round %d: %lld items committed, fewer than %lld before", round,
                  (long long)now, (long long)committed);
            committed = now;
            if (!last)
                before_last = now;
            dataset_close(r, 0, NULL, 0);
        }
        if (WIFSIGNALED(st))
            kills++;
        else {
            CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exit status %d", WEXITSTATUS(st));
            finished = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 1 : finished;
            if (!last && !finished)
                break;
        }
    }
    CHECK(finished, "writer finished in the end");
    fprintf(stderr, "kill -9: %d kills; %lld of %d items were committed before the last run\n", kills,
            (long long)before_last, KROWS);
    CHECK(kills >= 1, "at least one kill landed (%d)", kills);

    char err[512];
    dataset *ds = dataset_open_readonly(dir, err, sizeof err);
    CHECK(ds != NULL, "open: %s", err);
    if (!ds)
        return;
    sqlite3 *db = dataset_db(ds);
    int want_acc = 0;
    for (int r = 0; r < KROWS; r++)
        want_acc += r % 7 != 3;
    CHECK_EQ_INT(one_int(db, "SELECT count(*) FROM items"), KROWS);
    CHECK_EQ_INT(one_int(db, "SELECT count(DISTINCT row_no) FROM items"), KROWS);
    CHECK_EQ_INT(one_int(db, "SELECT count(*) FROM items WHERE status = 'accepted'"), want_acc);
    CHECK_EQ_INT(one_int(db, "SELECT count(*) FROM items WHERE status = 'failed'"), KROWS - want_acc);
    /* every sample holds its own row's bytes */
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT key, row_no FROM items WHERE status = 'accepted' ORDER BY key", -1, &st, NULL);
    ccbuf b = {0};
    int bad = 0, n = 0;
    char img[1024], cap[128];
    dataset_sample s;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        sample_for((int)sqlite3_column_int(st, 1), &s, img, sizeof img, cap, sizeof cap);
        if (dataset_read_member(ds, key, NULL, &b) != CC_OK || b.len != s.image_len || memcmp(b.data, img, b.len))
            bad++;
        n++;
    }
    sqlite3_finalize(st);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(n, want_acc);
    ccbuf_free(&b);
    dataset_close(ds, 0, NULL, 0);
    ccbuf out = {0};
    char *cmd = xasprintf("'%s' verify '%s'", bin, dir);
    CHECK_EQ_INT(run(cmd, &out), 0);
    CHECK(out.len == 0, "verify problems:\n%s", out.data ? (char *)out.data : "");
    free(cmd);
    ccbuf_free(&out);
    free(dir);
}

/* Frames built ahead (dataset_frame_build with dataset_next_keys, as export
 * does on its reader thread): the predicted keys are the ones given across
 * shard rotations and a reopen; a dataset written with them is byte for byte
 * the one written without; a frame built for another key is not used; a
 * frame for the right key is written as it is (so it must be the sample's). */
static void write_with_frames(const char *dir, int ahead, int wrong_key_at, int other_caption_at)
{
    char err[512];
    dataset_options o = {.samples_per_shard = 4, .commit_rows = 3, .zstd_level = -1, .bulk = 1};
    for (int round = 0; round < 2; round++) { /* a reopen continues the open shard */
        dataset *ds = dataset_open(dir, &o, err, sizeof err);
        CHECK(ds != NULL, "open: %s", err);
        if (!ds)
            return;
        CHECK(dataset_run_begin(ds, "export", "x") > 0, "run");
        int64_t in = dataset_input(ds, "src", "dataset");
        dataset_framer *f = dataset_framer_new(ds);
        enum { N = 7 };
        char keys[N][10], img[1024], cap[128], key[10];
        dataset_next_keys(ds, 0, N, keys);
        char later[2][10];
        dataset_next_keys(ds, N - 2, 2, later); /* skip counts samples before */
        CHECK_EQ_STR(later[0], keys[N - 2]);
        CHECK_EQ_STR(later[1], keys[N - 1]);
        for (int i = 0; i < N; i++) {
            int row = round * N + i;
            dataset_sample s;
            dataset_frame fr = {0};
            sample_for(row, &s, img, sizeof img, cap, sizeof cap);
            s.input_id = in;
            s.fresh = 1;
            s.fetched_at = 1700000000 + row;
            if (ahead) {
                char other[128];
                dataset_sample t = s;
                if (row == other_caption_at) {
                    snprintf(other, sizeof other, "a caption the frame alone holds");
                    t.caption = other;
                }
                CHECK_EQ_INT(dataset_frame_build(f, &t, row == wrong_key_at ? "000990000" : keys[i], &fr, err,
                                                 sizeof err),
                             CC_OK);
                s.frame = &fr;
            }
            CHECK_EQ_INT(dataset_add_accepted(ds, &s, key), CC_OK);
            CHECK_EQ_STR(key, keys[i]);
            dataset_frame_free(&fr);
        }
        /* a sample the checks refuse is refused when built ahead too */
        dataset_sample bad;
        dataset_frame fr = {0};
        sample_for(0, &bad, img, sizeof img, cap, sizeof cap);
        bad.ext = "gif";
        CHECK_EQ_INT(dataset_frame_build(f, &bad, keys[0], &fr, err, sizeof err), CC_ERR_USAGE);
        CHECK(strstr(err, "jpg/png/webp") != NULL, "reason: %s", err);
        CHECK_EQ_STR(fr.key, "");
        dataset_frame_free(&fr);
        dataset_framer_free(f);
        CHECK_EQ_INT(dataset_close(ds, round == 1, err, sizeof err), CC_OK);
    }
}

static int same_file(const char *a, const char *b)
{
    char *cmd = xasprintf("cmp -s '%s' '%s'", a, b);
    int same = system(cmd) == 0;
    free(cmd);
    return same;
}

static void test_frames_ahead(void)
{
    char *plain = tpath("fa-plain"), *ahead = tpath("fa-ahead"), *odd = tpath("fa-odd");
    write_with_frames(plain, 0, -1, -1);
    write_with_frames(ahead, 1, 5, -1); /* row 5's frame names another key: built again */
    write_with_frames(odd, 1, -1, 9);   /* row 9's frame holds another caption */
    for (int shard = 0; shard < 4; shard++) {
        char rel[64];
        snprintf(rel, sizeof rel, "shards/%05d.tar.zst", shard);
        char *a = xasprintf("%s/%s", plain, rel), *b = xasprintf("%s/%s", ahead, rel), *c = xasprintf("%s/%s", odd, rel);
        CHECK(access(a, F_OK) == 0, "%s written", a);
        CHECK(same_file(a, b), "shard %d: built ahead = built when written", shard);
        /* 14 samples at 4 a shard: row 9 is in shard 2 */
        CHECK(same_file(a, c) == (shard != 2), "shard %d: the odd frame was written as built", shard);
        free(a);
        free(b);
        free(c);
    }
    char *cmd = xasprintf("'%s' cat '%s' 000020001 --member txt", bin, odd);
    ccbuf out = {0};
    CHECK_EQ_INT(run(cmd, &out), 0);
    ccbuf_putc(&out, 0);
    CHECK_EQ_STR((const char *)out.data, "a caption the frame alone holds");
    ccbuf_free(&out);
    free(cmd);
    free(plain);
    free(ahead);
    free(odd);
}

int main(void)
{
    bin = getenv("CLIPCRAWL_BIN");
    if (!bin)
        bin = "build/cli/clipcrawl";
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_index.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_migrations();
    test_dataset();
    test_frames_ahead();
    test_kill9();
    char *rm = xasprintf("rm -rf '%s'", tmpdir);
    if (system(rm) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    free(rm);
    return check_summary();
}
