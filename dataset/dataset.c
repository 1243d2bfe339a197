/* dataset.c — shards + index as one dataset directory (see dataset.h). */
#include "dataset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset-internal.h"
#include "compact.h"
#include "index.h"
#include "json.h"
#include "shard.h"

#define MAX_MEMBERS 16

/* Columns written for every item; the upsert statement binds them in this order. */
static const char *const item_cols[] = {
    "input_id", "row_no", "url", "caption", "page_url", "caption_source", "status", "reason",
    "error", "key", "shard_no", "frame_offset", "frame_length", "width", "height",
    "original_width", "original_height", "image_format", "bytes", "sha256", "member_bytes",
    "member_sha256", "http_status", "mime", "language", "fetched_at", "run_id",
    "caption_raw", "caption_detail", "duplicate_of", "phash", "list_columns",
    "placement", "place_width", "place_height", "alt_repeats",
};
enum {
    C_INPUT_ID = 1, C_ROW_NO, C_URL, C_CAPTION, C_PAGE_URL, C_CAPTION_SOURCE, C_STATUS, C_REASON,
    C_ERROR, C_KEY, C_SHARD_NO, C_FRAME_OFFSET, C_FRAME_LENGTH, C_WIDTH, C_HEIGHT,
    C_ORIGINAL_WIDTH, C_ORIGINAL_HEIGHT, C_IMAGE_FORMAT, C_BYTES, C_SHA256, C_MEMBER_BYTES,
    C_MEMBER_SHA256, C_HTTP_STATUS, C_MIME, C_LANGUAGE, C_FETCHED_AT, C_RUN_ID,
    C_CAPTION_RAW, C_CAPTION_DETAIL, C_DUPLICATE_OF, C_PHASH, C_LIST_COLUMNS,
    C_PLACEMENT, C_PLACE_WIDTH, C_PLACE_HEIGHT, C_ALT_REPEATS,
    C_NCOLS = C_ALT_REPEATS
};

struct dataset {
    char *dir;
    cc_index *ix;
    sqlite3 *db;
    int readonly;
    int lock_fd;            /* DIR/.writer.lock, flock()ed while a writer is open */
    dataset_options o;

    /* writer */
    shard_writer *w;
    int64_t shard_no;       /* open shard, -1 if none */
    int64_t shard_samples;  /* committed + pending samples in the open shard */
    int64_t shard_bytes;
    int64_t next_shard_no;
    int in_txn;
    int txn_rows;
    double txn_start;
    int64_t run_id;
    int64_t n_accepted, n_other;
    sqlite3_stmt *st_upsert, *st_insert, *st_status, *st_shard_new, *st_shard_upd;
    sqlite3_stmt *st_fts;   /* bulk: the caption's full-text entry */

    /* reader */
    sqlite3_stmt *st_locate;
    int rfd;
    int64_t rfd_shard;
    char *rfd_name;
    shard_reader *reader;   /* made on the first read */
    ccbuf frame;
    ccbuf scratch;

    sqlite3_stmt *cache[DS_STMT__COUNT]; /* ds_stmt(): the other files' statements */

    char err[1024];
};

static void dserr(dataset *ds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dserr(dataset *ds, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ds->err, sizeof ds->err, fmt, ap);
    va_end(ap);
}

static cc_err dberr(dataset *ds, const char *what)
{
    dserr(ds, "%s/index.sqlite: %s: %s", ds->dir, what, sqlite3_errmsg(ds->db));
    return CC_ERR_DB;
}

static const char *const status_names[] = {"accepted", "rejected", "failed", "optout"};

const char *dataset_status_name(dataset_status s)
{
    return (unsigned)s < 4 ? status_names[s] : "unknown";
}

int dataset_status_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, status_names[i]) == 0)
            return i;
    return -1;
}

const char *dataset_errmsg(const dataset *ds) { return ds->err; }
const char *dataset_dir(const dataset *ds) { return ds->dir; }
sqlite3 *dataset_db(dataset *ds) { return ds->db; }

void dataset_counts(const dataset *ds, int64_t *accepted, int64_t *other)
{
    if (accepted)
        *accepted = ds->n_accepted;
    if (other)
        *other = ds->n_other;
}

static int prep(dataset *ds, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v3(ds->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
        dberr(ds, "prepare");
        return -1;
    }
    return 0;
}

static void free_handle(dataset *ds)
{
    shard_writer_close(ds->w);
    sqlite3_finalize(ds->st_upsert);
    sqlite3_finalize(ds->st_insert);
    sqlite3_finalize(ds->st_status);
    sqlite3_finalize(ds->st_shard_new);
    sqlite3_finalize(ds->st_shard_upd);
    sqlite3_finalize(ds->st_fts);
    sqlite3_finalize(ds->st_locate);
    for (int i = 0; i < DS_STMT__COUNT; i++)
        sqlite3_finalize(ds->cache[i]);
    index_close(ds->ix);
    if (ds->rfd >= 0)
        close(ds->rfd);
    free(ds->rfd_name);
    shard_reader_free(ds->reader);
    if (ds->lock_fd >= 0)
        close(ds->lock_fd); /* releases the flock */
    ccbuf_free(&ds->frame);
    ccbuf_free(&ds->scratch);
    free(ds->dir);
    free(ds);
}

static dataset *new_handle(const char *dir)
{
    dataset *ds = xcalloc(1, sizeof *ds);
    ds->dir = xstrdup(dir);
    size_t n = strlen(ds->dir);
    while (n > 1 && ds->dir[n - 1] == '/')
        ds->dir[--n] = 0;
    ds->shard_no = -1;
    ds->rfd = -1;
    ds->rfd_shard = -1;
    ds->lock_fd = -1;
    return ds;
}

static int prepare_reader(dataset *ds)
{
    return prep(ds, &ds->st_locate,
                "SELECT id, shard_no, frame_offset, frame_length FROM items "
                "WHERE key = ?1 AND status = 'accepted'");
}

static int prepare_writer(dataset *ds)
{
    ccbuf sql = {0};
    ccbuf_puts(&sql, "INSERT INTO items(");
    for (int i = 0; i < C_NCOLS; i++)
        ccbuf_printf(&sql, "%s%s", i ? ", " : "", item_cols[i]);
    ccbuf_puts(&sql, ") VALUES (");
    for (int i = 0; i < C_NCOLS; i++)
        ccbuf_printf(&sql, "%s?%d", i ? ", " : "", i + 1);
    ccbuf_putc(&sql, ')');
    /* the same without the conflict clause, for fresh rows: an upsert runs in a
     * statement savepoint (see bulk_mode_on), a plain insert does not */
    if (prep(ds, &ds->st_insert, (const char *)sql.data)) {
        ccbuf_free(&sql);
        return -1;
    }
    ccbuf_puts(&sql, " ON CONFLICT(input_id, row_no) DO UPDATE SET ");
    for (int i = 2; i < C_NCOLS; i++)
        ccbuf_printf(&sql, "%s%s = excluded.%s", i > 2 ? ", " : "", item_cols[i], item_cols[i]);
    int rc = prep(ds, &ds->st_upsert, (const char *)sql.data);
    ccbuf_free(&sql);
    if (rc)
        return -1;
    return prep(ds, &ds->st_status, "SELECT status FROM items WHERE input_id = ?1 AND row_no = ?2") ||
           prep(ds, &ds->st_shard_new,
                "INSERT INTO shards(shard_no, path, state, samples, bytes, end_offset, created_at) "
                "VALUES (?1, ?2, 'open', 0, 0, 0, ?3)") ||
           prep(ds, &ds->st_shard_upd,
                "UPDATE shards SET samples = ?2, bytes = ?3, end_offset = ?4 WHERE shard_no = ?1");
}

static int exec(dataset *ds, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(ds->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        dserr(ds, "%s/index.sqlite: %s: %s", ds->dir, sql, msg ? msg : sqlite3_errmsg(ds->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* ---- transactions ----------------------------------------------------------------- */

static cc_err begin(dataset *ds)
{
    if (ds->in_txn)
        return CC_OK;
    if (exec(ds, "BEGIN IMMEDIATE"))
        return CC_ERR_DB;
    ds->in_txn = 1;
    ds->txn_rows = 0;
    ds->txn_start = cc_now();
    return CC_OK;
}

cc_err dataset_flush(dataset *ds)
{
    if (ds->readonly || !ds->in_txn)
        return CC_OK;
    /* Frames first, rows second: a committed row always has its frame on disk. */
    if (ds->w && shard_writer_sync(ds->w) != CC_OK) {
        dserr(ds, "%s", shard_writer_errmsg(ds->w));
        return CC_ERR_IO;
    }
    if (exec(ds, "COMMIT"))
        return CC_ERR_DB;
    ds->in_txn = 0;
    return CC_OK;
}

static cc_err maybe_commit(dataset *ds)
{
    ds->txn_rows++;
    if (ds->txn_rows >= ds->o.commit_rows || cc_now() - ds->txn_start >= ds->o.commit_seconds)
        return dataset_flush(ds);
    return CC_OK;
}

/* ---- shards ------------------------------------------------------------------------ */

/* Seals the open shard: commit its rows, write the end frame + rename, mark sealed. */
static cc_err seal_open_shard(dataset *ds)
{
    if (!ds->w)
        return CC_OK;
    cc_err rc = dataset_flush(ds);
    if (rc != CC_OK)
        return rc;
    char *final = shard_path(ds->dir, ds->shard_no, 0);
    char err[512];
    rc = shard_writer_seal(ds->w, final, err, sizeof err);
    ds->w = NULL;
    free(final);
    if (rc != CC_OK) {
        dserr(ds, "%s", err);
        return rc;
    }
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE shards SET state = 'sealed', path = 'shards/%05lld.tar.zst', sealed_at = %.3f "
             "WHERE shard_no = %lld",
             (long long)ds->shard_no, cc_wallclock(), (long long)ds->shard_no);
    if (exec(ds, sql))
        return CC_ERR_DB;
    ds->next_shard_no = ds->shard_no + ds->o.shard_stride;
    ds->shard_no = -1;
    ds->shard_samples = ds->shard_bytes = 0;
    return CC_OK;
}

/* Starts shard next_shard_no inside the current transaction. */
static cc_err start_shard(dataset *ds)
{
    int64_t no = ds->next_shard_no;
    if (no > 99999) {
        dserr(ds, "%s: dataset is full (100000 shards)", ds->dir);
        return CC_ERR_RANGE;
    }
    char rel[64];
    snprintf(rel, sizeof rel, "shards/%05lld.tar.zst.part", (long long)no);
    sqlite3_stmt *st = ds->st_shard_new;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, no);
    sqlite3_bind_text(st, 2, rel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, cc_wallclock());
    if (sqlite3_step(st) != SQLITE_DONE)
        return dberr(ds, "cannot record a new shard");
    char *path = shard_path(ds->dir, no, 1);
    char err[512];
    ds->w = shard_writer_open(path, -1, ds->o.zstd_level, err, sizeof err);
    free(path);
    if (!ds->w) {
        dserr(ds, "%s", err);
        return CC_ERR_IO;
    }
    ds->shard_no = no;
    ds->shard_samples = ds->shard_bytes = 0;
    return CC_OK;
}

/* Crash recovery for one shard the index says is open. last: the newest one,
 * which stays open for appending. */
static cc_err recover_shard(dataset *ds, int64_t no, int64_t samples, int64_t bytes, int64_t end, int last)
{
    char *part = shard_path(ds->dir, no, 1);
    char *final = shard_path(ds->dir, no, 0);
    char err[512];
    cc_err rc = CC_OK;
    struct stat st;
    if (stat(part, &st) == 0) {
        shard_writer *w = shard_writer_open(part, end, ds->o.zstd_level, err, sizeof err);
        if (!w) {
            dserr(ds, "%s", err);
            rc = CC_ERR_CORRUPT;
        } else if (last && samples < ds->o.samples_per_shard) {
            ds->w = w;
            ds->shard_no = no;
            ds->shard_samples = samples;
            ds->shard_bytes = bytes;
        } else {
            ds->w = w;
            ds->shard_no = no;
            rc = seal_open_shard(ds);
        }
    } else if (stat(final, &st) == 0) {
        /* Killed between the rename and the index update of a seal. */
        int fd = open(final, O_RDONLY | O_CLOEXEC);
        ccbuf b = {0};
        if (fd < 0 || (uint64_t)st.st_size <= (uint64_t)end ||
            shard_read_frame(fd, final, (uint64_t)end, (uint64_t)st.st_size - (uint64_t)end, &b, err,
                             sizeof err) != CC_OK ||
            !shard_is_end_frame(b.data, b.len)) {
            dserr(ds, "%s: index says open with %lld bytes, but the sealed file does not match",
                  final, (long long)end);
            rc = CC_ERR_CORRUPT;
        } else {
            char sql[256];
            snprintf(sql, sizeof sql,
                     "UPDATE shards SET state = 'sealed', path = 'shards/%05lld.tar.zst', sealed_at = %.3f "
                     "WHERE shard_no = %lld",
                     (long long)no, cc_wallclock(), (long long)no);
            if (exec(ds, sql))
                rc = CC_ERR_DB;
        }
        if (fd >= 0)
            close(fd);
        ccbuf_free(&b);
    } else if (samples == 0) {
        char sql[128];
        snprintf(sql, sizeof sql, "DELETE FROM shards WHERE shard_no = %lld", (long long)no);
        if (exec(ds, sql))
            rc = CC_ERR_DB;
    } else {
        dserr(ds, "%s: missing, but the index holds %lld samples in it", part, (long long)samples);
        rc = CC_ERR_CORRUPT;
    }
    free(part);
    free(final);
    return rc;
}

/* Removes .part files the index has no row for: their samples never committed. */
static void remove_orphan_parts(dataset *ds)
{
    char *sdir = xasprintf("%s/shards", ds->dir);
    DIR *d = opendir(sdir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            unsigned no;
            char tail[16];
            if (sscanf(e->d_name, "%5u.tar.zst%15s", &no, tail) == 2 && strcmp(tail, ".part") == 0 &&
                strlen(e->d_name) == 18) {
                sqlite3_stmt *st;
                int known = 1;
                if (sqlite3_prepare_v2(ds->db, "SELECT 1 FROM shards WHERE shard_no = ?1", -1, &st, NULL) ==
                    SQLITE_OK) {
                    sqlite3_bind_int64(st, 1, no);
                    known = sqlite3_step(st) == SQLITE_ROW;
                    sqlite3_finalize(st);
                }
                if (!known) {
                    char *p = xasprintf("%s/%s", sdir, e->d_name);
                    cc_log(CC_LOG_INFO, "%s: removing a shard the index never committed", p);
                    unlink(p);
                    free(p);
                }
            }
        }
        closedir(d);
    }
    free(sdir);
}

static cc_err recover(dataset *ds)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ds->db,
                           "SELECT shard_no, samples, bytes, end_offset, "
                           "shard_no = (SELECT max(shard_no) FROM shards) FROM shards "
                           "WHERE state = 'open' ORDER BY shard_no",
                           -1, &st, NULL) != SQLITE_OK)
        return dberr(ds, "reading shards");
    int64_t rows[64][5];
    int n = 0, r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW && n < 64) {
        for (int i = 0; i < 5; i++)
            rows[n][i] = sqlite3_column_int64(st, i);
        n++;
    }
    sqlite3_finalize(st);
    cc_err rc = CC_OK;
    for (int i = 0; i < n && rc == CC_OK; i++) {
        if (ds->w) /* only the newest stays open */
            rc = seal_open_shard(ds);
        if (rc == CC_OK)
            rc = recover_shard(ds, rows[i][0], rows[i][1], rows[i][2], rows[i][3], (int)rows[i][4]);
    }
    if (rc == CC_OK)
        rc = dataset_flush(ds);
    if (rc != CC_OK)
        return rc;
    /* Shards must follow this run's numbering (base + k * stride). */
    if (sqlite3_prepare_v2(ds->db, "SELECT max(shard_no), "
                           "(SELECT shard_no FROM shards WHERE shard_no % ?1 != ?2 LIMIT 1) FROM shards",
                           -1, &st, NULL) != SQLITE_OK)
        return dberr(ds, "reading shards");
    sqlite3_bind_int(st, 1, ds->o.shard_stride);
    sqlite3_bind_int(st, 2, ds->o.shard_base);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return dberr(ds, "reading shards");
    }
    if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
        dserr(ds, "%s: shard %05lld does not belong to part %d/%d: this directory was written with "
              "another --part (use the same --part, or a new -o DIR)", ds->dir,
              (long long)sqlite3_column_int64(st, 1), ds->o.shard_base, ds->o.shard_stride);
        sqlite3_finalize(st);
        return CC_ERR_USAGE;
    }
    if (!ds->w)
        ds->next_shard_no = sqlite3_column_type(st, 0) == SQLITE_NULL
                                ? ds->o.shard_base
                                : sqlite3_column_int64(st, 0) + ds->o.shard_stride;
    sqlite3_finalize(st);
    remove_orphan_parts(ds);
    return CC_OK;
}

/* Bulk mode (dataset_options.bulk): triggers off on this connection, every
 * statement prepared again without them, the FTS insert prepared. Returns
 * 0 (on, or left off when the index has triggers beyond the FTS ones), -1 on
 * an SQLite error. */
static int bulk_mode_on(dataset *ds)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ds->db,
                           "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name NOT IN "
                           "('items_fts_insert', 'items_fts_update', 'items_fts_delete')",
                           -1, &st, NULL) != SQLITE_OK) {
        dberr(ds, "listing triggers");
        return -1;
    }
    int r = sqlite3_step(st);
    int64_t others = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (others < 0) {
        dberr(ds, "listing triggers");
        return -1;
    }
    if (others > 0) { /* a trigger we would not replay: stay a plain writer */
        ds->o.bulk = 0;
        return 0;
    }
    /* a commit of thousands of rows dirties pages of every index: keep them
     * in the page cache (64 MiB) instead of spilling them mid-transaction */
    if (exec(ds, "PRAGMA cache_size = -65536") != 0)
        return -1;
    /* each 8,192-row commit outgrows the default 1,000-page WAL, so every
     * commit checkpointed (two fsyncs, the same index pages copied again and
     * again); checkpoint every 64 MiB of WAL instead (and once at close) */
    if (exec(ds, "PRAGMA wal_autocheckpoint = 16384") != 0)
        return -1;
    int on = 1;
    if (sqlite3_db_config(ds->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &on) != SQLITE_OK || on) {
        dberr(ds, "turning triggers off");
        return -1;
    }
    /* trigger programs are compiled into statements: prepare them again */
    sqlite3_stmt **mine[] = {&ds->st_upsert, &ds->st_insert, &ds->st_status, &ds->st_shard_new, &ds->st_shard_upd};
    for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
        sqlite3_finalize(*mine[i]);
        *mine[i] = NULL;
    }
    for (int i = 0; i < DS_STMT__COUNT; i++) {
        sqlite3_finalize(ds->cache[i]);
        ds->cache[i] = NULL;
    }
    return prepare_writer(ds) || prep(ds, &ds->st_fts, "INSERT INTO captions_fts(rowid, caption) VALUES (?1, ?2)")
               ? -1
               : 0;
}

/* ---- open / close ------------------------------------------------------------------------ */

dataset *dataset_open(const char *dir, const dataset_options *o, char *err, size_t errlen)
{
    dataset_options opt = o ? *o : (dataset_options){0};
    if (opt.samples_per_shard == 0)
        opt.samples_per_shard = DATASET_MAX_SAMPLES_PER_SHARD;
    if (opt.commit_rows == 0)
        opt.commit_rows = 256;
    if (opt.commit_seconds == 0)
        opt.commit_seconds = 1.0;
    if (opt.zstd_level == 0)
        opt.zstd_level = 3;
    if (opt.shard_stride == 0)
        opt.shard_stride = 1;
    if (opt.shard_stride < 1 || opt.shard_base < 0 || opt.shard_base >= opt.shard_stride) {
        cc_seterr(err, errlen, "%s: bad shard numbering (base %d, stride %d)", dir, opt.shard_base,
                  opt.shard_stride);
        return NULL;
    }
    if (opt.samples_per_shard < 1 || opt.samples_per_shard > DATASET_MAX_SAMPLES_PER_SHARD) {
        cc_seterr(err, errlen, "%s: samples per shard must be 1..%d, not %d", dir,
                DATASET_MAX_SAMPLES_PER_SHARD, opt.samples_per_shard);
        return NULL;
    }
    if (opt.commit_rows < 1 || opt.commit_seconds < 0 || opt.zstd_level < -50 || opt.zstd_level > 22) {
        cc_seterr(err, errlen, "%s: bad dataset options (commit_rows %d, commit_seconds %g, zstd_level %d)",
                dir, opt.commit_rows, opt.commit_seconds, opt.zstd_level);
        return NULL;
    }
    char *sdir = xasprintf("%s/shards", dir);
    if (cc_mkdirs(sdir, 0755) < 0) {
        cc_seterr(err, errlen, "%s: cannot create dataset directory: %s", sdir, strerror(errno));
        free(sdir);
        return NULL;
    }
    free(sdir);
    dataset *ds = new_handle(dir);
    ds->o = opt;
    /* One writer per directory: a second one would cut the first one's .part. */
    char *lock = xasprintf("%s/.writer.lock", ds->dir);
    ds->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    free(lock);
    if (ds->lock_fd < 0 || flock(ds->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        cc_seterr(err, errlen, "%s: %s", dir,
                ds->lock_fd >= 0 && errno == EWOULDBLOCK ? "another clipcrawl process is writing this dataset"
                                                        : strerror(errno));
        free_handle(ds);
        return NULL;
    }
    char *ipath = xasprintf("%s/index.sqlite", ds->dir);
    ds->ix = index_open(ipath, INDEX_CREATE, err, errlen);
    free(ipath);
    if (!ds->ix) {
        free_handle(ds);
        return NULL;
    }
    ds->db = index_db(ds->ix);
    /* recovery may edit rows (compact): with triggers on; bulk mode after it */
    if (prepare_reader(ds) || prepare_writer(ds) || recover(ds) != CC_OK || dataset_compact_recover(ds) != CC_OK ||
        (ds->o.bulk && bulk_mode_on(ds) != 0)) {
        cc_seterr(err, errlen, "%s", ds->err);
        free_handle(ds);
        return NULL;
    }
    return ds;
}

dataset *dataset_open_readonly(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cc_seterr(err, errlen, "%s: not a dataset directory", dir);
        return NULL;
    }
    if (dataset_compact_pending(dir)) {
        /* offsets and files may disagree until the writer finishes it */
        cc_seterr(err, errlen, "%s: a compaction is running or was interrupted; run `clipcrawl compact %s` to finish it",
                  dir, dir);
        return NULL;
    }
    dataset *ds = new_handle(dir);
    ds->readonly = 1;
    char *ipath = xasprintf("%s/index.sqlite", ds->dir);
    ds->ix = index_open(ipath, INDEX_READONLY, err, errlen);
    free(ipath);
    if (!ds->ix) {
        free_handle(ds);
        return NULL;
    }
    ds->db = index_db(ds->ix);
    if (prepare_reader(ds)) {
        cc_seterr(err, errlen, "%s", ds->err);
        free_handle(ds);
        return NULL;
    }
    return ds;
}

cc_err dataset_close(dataset *ds, int seal, char *err, size_t errlen)
{
    if (!ds)
        return CC_OK;
    cc_err rc = CC_OK;
    if (!ds->readonly) {
        rc = dataset_flush(ds);
        if (rc == CC_OK && seal)
            rc = seal_open_shard(ds);
        if (rc == CC_OK)
            rc = dataset_flush(ds);
        if (rc != CC_OK) {
            cc_seterr(err, errlen, "%s", ds->err);
            if (ds->in_txn)
                sqlite3_exec(ds->db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    free_handle(ds);
    return rc;
}

/* ---- runs and inputs ------------------------------------------------------------------------ */

int64_t dataset_run_begin(dataset *ds, const char *command, const char *args)
{
    return dataset_run_begin_with_settings(ds, command, args, NULL);
}

int64_t dataset_run_begin_with_settings(dataset *ds, const char *command, const char *args,
                                        const char *settings_json)
{
    if (ds->readonly || begin(ds) != CC_OK)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ds->db, "INSERT INTO runs(command, args, started_at, settings) VALUES (?1, ?2, ?3, ?4)",
                           -1, &st, NULL) != SQLITE_OK)
        return dberr(ds, "recording the run"), -1;
    sqlite3_bind_text(st, 1, command ? command : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, args, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, cc_wallclock());
    sqlite3_bind_text(st, 4, settings_json, -1, SQLITE_TRANSIENT); /* NULL binds NULL */
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE)
        return dberr(ds, "recording the run"), -1;
    ds->run_id = sqlite3_last_insert_rowid(ds->db);
    if (dataset_flush(ds) != CC_OK)
        return -1;
    return ds->run_id;
}

cc_err dataset_run_end(dataset *ds, const char *counts_json)
{
    if (ds->readonly || ds->run_id <= 0) {
        dserr(ds, "%s: no run to end", ds->dir);
        return CC_ERR_USAGE;
    }
    cc_err rc = begin(ds);
    if (rc != CC_OK)
        return rc;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ds->db, "UPDATE runs SET finished_at = ?2, counts = ?3 WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return dberr(ds, "ending the run");
    sqlite3_bind_int64(st, 1, ds->run_id);
    sqlite3_bind_double(st, 2, cc_wallclock());
    sqlite3_bind_text(st, 3, counts_json, -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE)
        return dberr(ds, "ending the run");
    return dataset_flush(ds);
}

int64_t dataset_input(dataset *ds, const char *name, const char *kind)
{
    if (ds->readonly || !name || !*name) {
        dserr(ds, "%s: an input needs a name", ds->dir);
        return -1;
    }
    sqlite3_stmt *st;
    int64_t id = -1;
    if (sqlite3_prepare_v2(ds->db, "SELECT id FROM inputs WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
        return dberr(ds, "looking up an input"), -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (id > 0)
        return id;
    if (begin(ds) != CC_OK)
        return -1;
    if (sqlite3_prepare_v2(ds->db, "INSERT INTO inputs(name, kind, added_at) VALUES (?1, ?2, ?3)", -1, &st,
                           NULL) != SQLITE_OK)
        return dberr(ds, "recording an input"), -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, cc_wallclock());
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE)
        return dberr(ds, "recording an input"), -1;
    id = sqlite3_last_insert_rowid(ds->db);
    if (dataset_flush(ds) != CC_OK)
        return -1;
    return id;
}

/* The stored status of an input row: -1 none, -2 error, else dataset_status. */
static int item_status(dataset *ds, int64_t input_id, int64_t row_no)
{
    sqlite3_stmt *st = ds->st_status;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, input_id);
    sqlite3_bind_int64(st, 2, row_no);
    int r = sqlite3_step(st);
    int s = -1;
    if (r == SQLITE_ROW)
        s = dataset_status_parse((const char *)sqlite3_column_text(st, 0));
    else if (r != SQLITE_DONE) {
        dberr(ds, "looking up an item");
        s = -2;
    }
    sqlite3_reset(st);
    return s;
}

int dataset_item_done(dataset *ds, int64_t input_id, int64_t row_no, int retry_failed)
{
    if (ds->readonly) {
        dserr(ds, "%s: opened read-only", ds->dir);
        return -1;
    }
    int s = item_status(ds, input_id, row_no);
    if (s == -2)
        return -1;
    if (s < 0)
        return 0;
    return !(retry_failed && s == DS_FAILED);
}

int64_t dataset_input_rows(dataset *ds, int64_t input_id, int64_t **rows)
{
    *rows = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ds->db, "SELECT row_no FROM items WHERE input_id = ?1 ORDER BY row_no", -1, &st,
                           NULL) != SQLITE_OK) {
        dberr(ds, "listing an input's rows");
        return -1;
    }
    sqlite3_bind_int64(st, 1, input_id);
    size_t n = 0, cap = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            *rows = xrealloc(*rows, cap * sizeof **rows);
        }
        (*rows)[n++] = sqlite3_column_int64(st, 0);
    }
    if (r != SQLITE_DONE) {
        dberr(ds, "listing an input's rows");
        sqlite3_finalize(st);
        free(*rows);
        *rows = NULL;
        return -1;
    }
    sqlite3_finalize(st);
    return (int64_t)n;
}

/* ---- writing ------------------------------------------------------------------------------ */

static void bind_text(sqlite3_stmt *st, int col, const char *s)
{
    if (s)
        sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, col);
}

static void bind_pos_int(sqlite3_stmt *st, int col, int64_t v)
{
    if (v > 0)
        sqlite3_bind_int64(st, col, v);
    else
        sqlite3_bind_null(st, col);
}

/* The placement facts (008): NULL where unknown. */
static void bind_place(sqlite3_stmt *st, const dataset_place *p)
{
    bind_text(st, C_PLACEMENT, p->placement);
    bind_pos_int(st, C_PLACE_WIDTH, p->width);
    bind_pos_int(st, C_PLACE_HEIGHT, p->height);
    bind_pos_int(st, C_ALT_REPEATS, p->repeats);
}

static void bind_identity(dataset *ds, sqlite3_stmt *st, int64_t input_id, int64_t row_no)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (input_id > 0) {
        sqlite3_bind_int64(st, C_INPUT_ID, input_id);
        sqlite3_bind_int64(st, C_ROW_NO, row_no);
    }
    if (ds->run_id > 0)
        sqlite3_bind_int64(st, C_RUN_ID, ds->run_id);
}

static void json_str_or_null(ccbuf *b, const char *name, const char *s)
{
    ccbuf_printf(b, ",\"%s\":", name);
    if (s)
        ccbuf_json_string(b, s, strlen(s));
    else
        ccbuf_puts(b, "null");
}

/* Checks that text is a JSON object and returns its members' text span
 * (between the braces, trimmed) via *p and *n; -1 if not an object. */
static int object_members(const char *text, const char **p, size_t *n)
{
    char e[128];
    json_value *v = json_parse(text, strlen(text), e, sizeof e);
    int ok = v && v->type == JSON_OBJECT;
    json_free(v);
    if (!ok)
        return -1;
    const char *a = strchr(text, '{') + 1, *z = strrchr(text, '}');
    while (a < z && strchr(" \t\r\n", *a))
        a++;
    while (z > a && strchr(" \t\r\n", z[-1]))
        z--;
    *p = a;
    *n = (size_t)(z - a);
    return 0;
}

/* Appends ",name:value" for each member of the list-columns object whose
 * name is not one of KEY.json's own fields (a list's sha256 column, say,
 * would otherwise appear twice). Values are flat: strings, numbers (their
 * source text), booleans, null. Returns -1 if text is not such an object. */
static int append_list_members(ccbuf *j, const char *text)
{
    static const char *const own[] = {"url", "caption", "key", "status", "error_message", "width", "height",
                                       "original_width", "original_height", "sha256", "page_url",
                                       "caption_source", "placement", NULL};
    char e[128];
    json_value *v = json_parse(text, strlen(text), e, sizeof e);
    if (!v || v->type != JSON_OBJECT) {
        json_free(v);
        return -1;
    }
    for (size_t i = 0; i < v->len; i++) {
        int skip = 0;
        for (int k = 0; own[k] && !skip; k++)
            skip = strcmp(v->keys[i], own[k]) == 0;
        if (skip)
            continue;
        const json_value *m = v->items[i];
        ccbuf_putc(j, ',');
        ccbuf_json_string(j, v->keys[i], strlen(v->keys[i]));
        ccbuf_putc(j, ':');
        switch (m->type) {
        case JSON_STRING: ccbuf_json_string(j, m->string, m->len); break;
        case JSON_NUMBER: ccbuf_puts(j, m->string); break;
        case JSON_TRUE: ccbuf_puts(j, "true"); break;
        case JSON_FALSE: ccbuf_puts(j, "false"); break;
        default: ccbuf_puts(j, "null"); break;
        }
    }
    json_free(v);
    return 0;
}

static int valid_ext(const char *ext)
{
    return ext && (strcmp(ext, "jpg") == 0 || strcmp(ext, "png") == 0 || strcmp(ext, "webp") == 0);
}

/* The members of a sample's caller JSON objects (extra_json, list_columns),
 * found once by sample_check and appended to KEY.json by sample_members. */
typedef struct {
    const char *extra, *listc;
    size_t extra_n, listc_n;
} sample_parts;

/* Checks what a sample's frame is built from (message in err) and finds
 * its JSON objects' members. */
static int sample_check(const dataset_sample *s, sample_parts *pt, char *err, size_t errlen)
{
    *pt = (sample_parts){0};
    if (!s->image || !s->image_len || !valid_ext(s->ext)) {
        cc_seterr(err, errlen, "sample for %s needs image bytes and ext jpg/png/webp", s->url ? s->url : "?");
        return -1;
    }
    if (s->extra_json && object_members(s->extra_json, &pt->extra, &pt->extra_n) < 0) {
        cc_seterr(err, errlen, "extra JSON for %s is not a JSON object", s->url ? s->url : "?");
        return -1;
    }
    if (s->list_columns && object_members(s->list_columns, &pt->listc, &pt->listc_n) < 0) {
        cc_seterr(err, errlen, "list columns for %s are not a JSON object", s->url ? s->url : "?");
        return -1;
    }
    return 0;
}

/* The three members of a checked sample's frame under key: the image,
 * KEY.txt and KEY.json (built in j; img2dataset's fields first, then ours,
 * then the caller's). member_sha: the image's hex SHA-256. */
static void sample_members(const dataset_sample *s, const sample_parts *pt, const char *key, const char *member_sha,
                           ccbuf *j, char names[3][32], shard_member m[3])
{
    ccbuf_reset(j);
    ccbuf_puts(j, "{\"url\":");
    if (s->url)
        ccbuf_json_string(j, s->url, strlen(s->url));
    else
        ccbuf_puts(j, "null");
    json_str_or_null(j, "caption", s->caption);
    ccbuf_printf(j, ",\"key\":\"%s\",\"status\":\"success\",\"error_message\":null", key);
    ccbuf_printf(j, ",\"width\":%d,\"height\":%d,\"original_width\":%d,\"original_height\":%d", s->width,
                 s->height, s->original_width, s->original_height);
    ccbuf_printf(j, ",\"sha256\":\"%s\"", s->sha256 ? s->sha256 : member_sha);
    json_str_or_null(j, "page_url", s->page_url);
    json_str_or_null(j, "caption_source", s->caption_source);
    json_str_or_null(j, "placement", s->place.placement);
    if (pt->listc_n)
        append_list_members(j, s->list_columns);
    if (pt->extra_n) {
        ccbuf_putc(j, ',');
        ccbuf_append(j, pt->extra, pt->extra_n);
    }
    ccbuf_puts(j, "}");
    snprintf(names[0], 32, "%s.%s", key, s->ext);
    snprintf(names[1], 32, "%s.txt", key);
    snprintf(names[2], 32, "%s.json", key);
    m[0] = (shard_member){names[0], s->image, s->image_len};
    m[1] = (shard_member){names[1], s->caption ? s->caption : "", s->caption ? strlen(s->caption) : 0};
    m[2] = (shard_member){names[2], j->data, j->len};
}

/* The image's hex SHA-256: the caller's, or computed. */
static void member_sha_of(const dataset_sample *s, char out[65])
{
    if (s->member_sha256 && strlen(s->member_sha256) == 64)
        memcpy(out, s->member_sha256, 65);
    else
        cc_sha256_hex(s->image, s->image_len, out);
}

/* ---- frames built ahead ---------------------------------------------------------------- */

struct dataset_framer {
    shard_framer *z;
    ccbuf json;
};

dataset_framer *dataset_framer_new(const dataset *ds)
{
    dataset_framer *f = xcalloc(1, sizeof *f);
    f->z = shard_framer_new(ds->o.zstd_level);
    return f;
}

void dataset_framer_free(dataset_framer *f)
{
    if (!f)
        return;
    shard_framer_free(f->z);
    ccbuf_free(&f->json);
    free(f);
}

cc_err dataset_frame_build(dataset_framer *f, const dataset_sample *s, const char key[10], dataset_frame *out,
                           char *err, size_t errlen)
{
    out->key[0] = 0;
    sample_parts pt;
    if (sample_check(s, &pt, err, errlen) < 0)
        return CC_ERR_USAGE;
    member_sha_of(s, out->member_sha256);
    out->fetched = s->fetched_at > 0 ? s->fetched_at : cc_wallclock();
    char names[3][32];
    shard_member m[3];
    sample_members(s, &pt, key, out->member_sha256, &f->json, names, m);
    cc_err rc = shard_frame_build(f->z, m, 3, (int64_t)out->fetched, &out->bytes, err, errlen);
    if (rc == CC_OK)
        memcpy(out->key, key, 10);
    return rc;
}

void dataset_frame_free(dataset_frame *fr)
{
    ccbuf_free(&fr->bytes);
    fr->key[0] = 0;
}

void dataset_next_keys(const dataset *ds, size_t skip, size_t n, char (*keys)[10])
{
    /* while a shard is open next_shard_no still names it; sealing moves it on */
    int64_t no = ds->w ? ds->shard_no : ds->next_shard_no;
    int64_t k = ds->w ? ds->shard_samples : 0;
    int64_t per = ds->o.samples_per_shard;
    for (size_t i = 0; i < skip + n; i++) {
        if (k >= per) {
            no += ds->o.shard_stride;
            k = 0;
        }
        if (i >= skip) {
            char t[48]; /* 9 characters while no <= 99999 (start_shard's bound) */
            snprintf(t, sizeof t, "%05lld%04lld", (long long)no, (long long)k);
            snprintf(keys[i - skip], 10, "%.9s", t);
        }
        k++;
    }
}

cc_err dataset_add_accepted(dataset *ds, const dataset_sample *s, char key_out[10])
{
    if (ds->readonly) {
        dserr(ds, "%s: opened read-only", ds->dir);
        return CC_ERR_USAGE;
    }
    char why[400];
    sample_parts pt;
    if (sample_check(s, &pt, why, sizeof why) < 0) {
        dserr(ds, "%s: %s", ds->dir, why);
        return CC_ERR_USAGE;
    }
    if (ds->o.bulk && s->input_id > 0 && !s->fresh) {
        dserr(ds, "%s: a bulk writer takes only fresh samples (input %lld row %lld)", ds->dir,
              (long long)s->input_id, (long long)s->row_no);
        return CC_ERR_USAGE;
    }
    if (s->input_id > 0 && !s->fresh) {
        int st = item_status(ds, s->input_id, s->row_no);
        if (st == -2)
            return CC_ERR_DB;
        if (st == DS_ACCEPTED) {
            dserr(ds, "%s: input %lld row %lld is already accepted", ds->dir, (long long)s->input_id,
                  (long long)s->row_no);
            return CC_ERR_USAGE;
        }
    }
    cc_err rc = begin(ds);
    if (rc == CC_OK && !ds->w)
        rc = start_shard(ds);
    if (rc != CC_OK)
        return rc;

    char key[10];
    snprintf(key, sizeof key, "%05lld%04lld", (long long)ds->shard_no, (long long)ds->shard_samples);
    /* a frame built ahead for this very key is the frame we would build */
    const dataset_frame *ahead = s->frame && s->frame->bytes.len && strcmp(s->frame->key, key) == 0 ? s->frame : NULL;
    char member_sha[65], orig_sha[65];
    double fetched;
    if (ahead) {
        memcpy(member_sha, ahead->member_sha256, 65);
        fetched = ahead->fetched;
    } else {
        member_sha_of(s, member_sha);
        fetched = s->fetched_at > 0 ? s->fetched_at : cc_wallclock();
    }
    snprintf(orig_sha, sizeof orig_sha, "%s", s->sha256 ? s->sha256 : member_sha);

    uint64_t prev_end = shard_writer_size(ds->w), off, len;
    if (ahead) {
        rc = shard_writer_add_frame(ds->w, ahead->bytes.data, ahead->bytes.len, &off, &len);
    } else {
        char names[3][32];
        shard_member m[3];
        sample_members(s, &pt, key, member_sha, &ds->scratch, names, m);
        rc = shard_writer_add(ds->w, m, 3, (int64_t)fetched, &off, &len);
    }
    if (rc != CC_OK) {
        dserr(ds, "%s", shard_writer_errmsg(ds->w));
        return rc;
    }

    sqlite3_stmt *st = s->fresh ? ds->st_insert : ds->st_upsert; /* fresh: no row to update */
    bind_identity(ds, st, s->input_id, s->row_no);
    bind_text(st, C_URL, s->url);
    bind_text(st, C_CAPTION, s->caption);
    bind_text(st, C_PAGE_URL, s->page_url);
    bind_text(st, C_CAPTION_SOURCE, s->caption_source);
    sqlite3_bind_text(st, C_STATUS, "accepted", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, C_KEY, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, C_SHARD_NO, ds->shard_no);
    sqlite3_bind_int64(st, C_FRAME_OFFSET, (int64_t)off);
    sqlite3_bind_int64(st, C_FRAME_LENGTH, (int64_t)len);
    sqlite3_bind_int(st, C_WIDTH, s->width);
    sqlite3_bind_int(st, C_HEIGHT, s->height);
    sqlite3_bind_int(st, C_ORIGINAL_WIDTH, s->original_width);
    sqlite3_bind_int(st, C_ORIGINAL_HEIGHT, s->original_height);
    sqlite3_bind_text(st, C_IMAGE_FORMAT, s->ext, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, C_BYTES, s->bytes > 0 ? s->bytes : (int64_t)s->image_len);
    sqlite3_bind_text(st, C_SHA256, orig_sha, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, C_MEMBER_BYTES, (int64_t)s->image_len);
    sqlite3_bind_text(st, C_MEMBER_SHA256, member_sha, -1, SQLITE_STATIC);
    bind_pos_int(st, C_HTTP_STATUS, s->http_status);
    bind_text(st, C_MIME, s->mime);
    bind_text(st, C_LANGUAGE, s->language);
    sqlite3_bind_double(st, C_FETCHED_AT, fetched);
    bind_text(st, C_CAPTION_RAW, s->caption_raw);
    bind_text(st, C_CAPTION_DETAIL, s->caption_detail);
    if (s->has_phash)
        sqlite3_bind_int64(st, C_PHASH, (int64_t)s->phash);
    bind_text(st, C_LIST_COLUMNS, s->list_columns);
    bind_place(st, &s->place);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r == SQLITE_DONE && ds->o.bulk) {
        /* what items_fts_insert does; a fresh row was inserted, so its id is the last rowid */
        sqlite3_stmt *sf = ds->st_fts;
        sqlite3_bind_int64(sf, 1, sqlite3_last_insert_rowid(ds->db));
        bind_text(sf, 2, s->caption);
        r = sqlite3_step(sf);
        sqlite3_reset(sf);
    }
    sqlite3_stmt *su = ds->st_shard_upd;
    if (r == SQLITE_DONE) {
        sqlite3_reset(su);
        sqlite3_bind_int64(su, 1, ds->shard_no);
        sqlite3_bind_int64(su, 2, ds->shard_samples + 1);
        sqlite3_bind_int64(su, 3, ds->shard_bytes + (int64_t)s->image_len);
        sqlite3_bind_int64(su, 4, (int64_t)(off + len));
        r = sqlite3_step(su);
        sqlite3_reset(su);
    }
    if (r != SQLITE_DONE) {
        rc = dberr(ds, "recording a sample");
        /* Drop the frame again so the shard holds no frame the index lacks. */
        char *part = shard_path(ds->dir, ds->shard_no, 1);
        char err[512];
        shard_writer_close(ds->w);
        ds->w = shard_writer_open(part, (int64_t)prev_end, ds->o.zstd_level, err, sizeof err);
        free(part);
        if (!ds->w)
            cc_log(CC_LOG_ERROR, "%s", err);
        return rc;
    }
    ds->shard_samples++;
    ds->shard_bytes += (int64_t)s->image_len;
    ds->n_accepted++;
    if (key_out)
        memcpy(key_out, key, 10);
    rc = maybe_commit(ds);
    if (rc == CC_OK && ds->shard_samples >= ds->o.samples_per_shard)
        rc = seal_open_shard(ds);
    return rc;
}

cc_err dataset_add_outcome(dataset *ds, const dataset_outcome *o)
{
    if (ds->readonly) {
        dserr(ds, "%s: opened read-only", ds->dir);
        return CC_ERR_USAGE;
    }
    if (o->status == DS_ACCEPTED || (unsigned)o->status > DS_OPTOUT || !o->reason || !*o->reason) {
        dserr(ds, "%s: outcome for %s needs status rejected/failed/optout and a reason", ds->dir,
              o->url ? o->url : "?");
        return CC_ERR_USAGE;
    }
    if (o->input_id > 0) {
        int st = item_status(ds, o->input_id, o->row_no);
        if (st == -2)
            return CC_ERR_DB;
        if (st == DS_ACCEPTED) {
            dserr(ds, "%s: input %lld row %lld is already accepted", ds->dir, (long long)o->input_id,
                  (long long)o->row_no);
            return CC_ERR_USAGE;
        }
    }
    cc_err rc = begin(ds);
    if (rc != CC_OK)
        return rc;
    sqlite3_stmt *st = ds->st_upsert;
    bind_identity(ds, st, o->input_id, o->row_no);
    bind_text(st, C_URL, o->url);
    bind_text(st, C_CAPTION, o->caption);
    bind_text(st, C_PAGE_URL, o->page_url);
    bind_text(st, C_CAPTION_SOURCE, o->caption_source);
    sqlite3_bind_text(st, C_STATUS, dataset_status_name(o->status), -1, SQLITE_STATIC);
    bind_text(st, C_REASON, o->reason);
    bind_text(st, C_ERROR, o->error);
    bind_pos_int(st, C_ORIGINAL_WIDTH, o->original_width);
    bind_pos_int(st, C_ORIGINAL_HEIGHT, o->original_height);
    bind_pos_int(st, C_BYTES, o->bytes);
    bind_text(st, C_SHA256, o->sha256);
    bind_pos_int(st, C_HTTP_STATUS, o->http_status);
    bind_text(st, C_MIME, o->mime);
    sqlite3_bind_double(st, C_FETCHED_AT, o->fetched_at > 0 ? o->fetched_at : cc_wallclock());
    bind_text(st, C_LANGUAGE, o->language);
    bind_text(st, C_CAPTION_RAW, o->caption_raw);
    bind_text(st, C_CAPTION_DETAIL, o->caption_detail);
    bind_text(st, C_DUPLICATE_OF, o->duplicate_of);
    if (o->has_phash)
        sqlite3_bind_int64(st, C_PHASH, (int64_t)o->phash);
    bind_text(st, C_LIST_COLUMNS, o->list_columns);
    bind_place(st, &o->place);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE)
        return dberr(ds, "recording an outcome");
    ds->n_other++;
    return maybe_commit(ds);
}

/* ---- reading ---------------------------------------------------------------------------- */

cc_err dataset_locate(dataset *ds, const char *key, dataset_location *loc)
{
    sqlite3_stmt *st = ds->st_locate;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(st);
    cc_err rc = CC_OK;
    if (r == SQLITE_ROW) {
        memset(loc, 0, sizeof *loc);
        snprintf(loc->key, sizeof loc->key, "%s", key);
        loc->item_id = sqlite3_column_int64(st, 0);
        loc->shard_no = sqlite3_column_int64(st, 1);
        loc->frame_offset = (uint64_t)sqlite3_column_int64(st, 2);
        loc->frame_length = (uint64_t)sqlite3_column_int64(st, 3);
    } else if (r == SQLITE_DONE) {
        dserr(ds, "%s: no sample with key '%s'", ds->dir, key);
        rc = CC_ERR_NOTFOUND;
    } else {
        rc = dberr(ds, "looking up a key");
    }
    sqlite3_reset(st);
    return rc;
}

cc_err dataset_snapshot_begin(dataset *ds)
{
    if (!ds->readonly) {
        dserr(ds, "%s: a read snapshot needs a read-only handle", ds->dir);
        return CC_ERR_USAGE;
    }
    /* BEGIN alone takes no snapshot; the first read does, so read once now */
    if (sqlite3_exec(ds->db, "BEGIN; SELECT count(*) FROM shards", NULL, NULL, NULL) != SQLITE_OK)
        return dberr(ds, "starting a read snapshot");
    return CC_OK;
}

void dataset_snapshot_end(dataset *ds)
{
    if (ds && ds->readonly && !sqlite3_get_autocommit(ds->db))
        sqlite3_exec(ds->db, "COMMIT", NULL, NULL, NULL);
}

/* Opens (or reuses) a read descriptor on shard no: sealed file, else the .part. */
static cc_err shard_fd(dataset *ds, int64_t no)
{
    if (ds->rfd >= 0 && ds->rfd_shard == no)
        return CC_OK;
    if (ds->rfd >= 0)
        close(ds->rfd);
    free(ds->rfd_name);
    ds->rfd_shard = -1;
    ds->rfd_name = shard_path(ds->dir, no, 0);
    ds->rfd = open(ds->rfd_name, O_RDONLY | O_CLOEXEC);
    if (ds->rfd < 0) {
        free(ds->rfd_name);
        ds->rfd_name = shard_path(ds->dir, no, 1);
        ds->rfd = open(ds->rfd_name, O_RDONLY | O_CLOEXEC);
    }
    if (ds->rfd < 0) {
        dserr(ds, "%s: cannot open shard %05lld: %s", ds->dir, (long long)no, strerror(errno));
        return CC_ERR_IO;
    }
    ds->rfd_shard = no;
    return CC_OK;
}

static int is_image_ext(const char *ext) { return valid_ext(ext); }

cc_err dataset_read_sample(dataset *ds, const char *key, ccbuf *image, char ext[8], ccbuf *txt, ccbuf *json)
{
    dataset_location loc;
    cc_err rc = dataset_locate(ds, key, &loc);
    if (rc != CC_OK)
        return rc;
    return dataset_read_sample_at(ds, &loc, image, ext, txt, json);
}

cc_err dataset_read_sample_at(dataset *ds, const dataset_location *lp, ccbuf *image, char ext[8], ccbuf *txt,
                              ccbuf *json)
{
    dataset_location loc = *lp;
    const char *key = loc.key;
    cc_err rc = shard_fd(ds, loc.shard_no);
    if (rc != CC_OK)
        return rc;
    if (!ds->reader)
        ds->reader = shard_reader_new();
    rc = shard_reader_read(ds->reader, ds->rfd, ds->rfd_name, loc.frame_offset, loc.frame_length, &ds->frame, ds->err,
                          sizeof ds->err);
    if (rc != CC_OK)
        return rc;
    shard_member m[MAX_MEMBERS];
    char names[MAX_MEMBERS][SHARD_NAME_MAX + 1];
    size_t n;
    rc = shard_parse_tar(ds->frame.data, ds->frame.len, ds->rfd_name, m, names, MAX_MEMBERS, &n, ds->err,
                         sizeof ds->err);
    if (rc != CC_OK)
        return rc;
    int have_img = 0, have_txt = 0, have_json = 0;
    size_t kl = strlen(key);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(m[i].name, key, kl) != 0 || m[i].name[kl] != '.') {
            dserr(ds, "%s: frame at offset %" PRIu64 " holds '%s', not a member of key %s", ds->rfd_name,
                  loc.frame_offset, m[i].name, key);
            return CC_ERR_CORRUPT;
        }
        const char *e = m[i].name + kl + 1;
        ccbuf *dst = NULL;
        if (is_image_ext(e) && !have_img) {
            have_img = 1;
            dst = image;
            if (ext)
                snprintf(ext, 8, "%s", e);
        } else if (strcmp(e, "txt") == 0 && !have_txt) {
            have_txt = 1;
            dst = txt;
        } else if (strcmp(e, "json") == 0 && !have_json) {
            have_json = 1;
            dst = json;
        }
        if (dst) {
            ccbuf_reset(dst);
            ccbuf_append(dst, m[i].data, m[i].len);
        }
    }
    if ((image && !have_img) || (txt && !have_txt) || (json && !have_json)) {
        dserr(ds, "%s: sample %s lacks a member (image %d, txt %d, json %d)", ds->rfd_name, key, have_img,
              have_txt, have_json);
        return CC_ERR_NOTFOUND;
    }
    return CC_OK;
}

cc_err dataset_read_member(dataset *ds, const char *key, const char *member, ccbuf *out)
{
    char ext[8];
    if (!member || strcmp(member, "image") == 0 || is_image_ext(member)) {
        cc_err rc = dataset_read_sample(ds, key, out, ext, NULL, NULL);
        if (rc == CC_OK && member && strcmp(member, "image") != 0 && strcmp(member, ext) != 0) {
            dserr(ds, "%s: sample %s has a .%s image, not .%s", ds->dir, key, ext, member);
            return CC_ERR_NOTFOUND;
        }
        return rc;
    }
    if (strcmp(member, "txt") == 0)
        return dataset_read_sample(ds, key, NULL, NULL, out, NULL);
    if (strcmp(member, "json") == 0)
        return dataset_read_sample(ds, key, NULL, NULL, NULL, out);
    dserr(ds, "unknown member '%s' (jpg, png, webp, image, txt or json)", member);
    return CC_ERR_USAGE;
}

struct dataset_iter {
    dataset *ds;
    sqlite3_stmt *st;
};

dataset_iter *dataset_iter_new(dataset *ds, const char *where_sql)
{
    char *sql = xasprintf("SELECT key, id, shard_no, frame_offset, frame_length, url, caption FROM items "
                          "WHERE status = 'accepted'%s%s%s ORDER BY key",
                          where_sql ? " AND (" : "", where_sql ? where_sql : "", where_sql ? ")" : "");
    sqlite3_stmt *st;
    int r = sqlite3_prepare_v2(ds->db, sql, -1, &st, NULL);
    free(sql);
    if (r != SQLITE_OK) {
        dberr(ds, "sample iteration");
        return NULL;
    }
    dataset_iter *it = xcalloc(1, sizeof *it);
    it->ds = ds;
    it->st = st;
    return it;
}

int dataset_iter_next(dataset_iter *it, dataset_location *loc, const char **url, const char **caption)
{
    int r = sqlite3_step(it->st);
    if (r == SQLITE_DONE)
        return 0;
    if (r != SQLITE_ROW) {
        dberr(it->ds, "sample iteration");
        return -1;
    }
    sqlite3_stmt *st = it->st;
    if (loc) {
        memset(loc, 0, sizeof *loc);
        snprintf(loc->key, sizeof loc->key, "%s", (const char *)sqlite3_column_text(st, 0));
        loc->item_id = sqlite3_column_int64(st, 1);
        loc->shard_no = sqlite3_column_int64(st, 2);
        loc->frame_offset = (uint64_t)sqlite3_column_int64(st, 3);
        loc->frame_length = (uint64_t)sqlite3_column_int64(st, 4);
    }
    if (url)
        *url = (const char *)sqlite3_column_text(st, 5);
    if (caption)
        *caption = (const char *)sqlite3_column_text(st, 6);
    return 1;
}

void dataset_iter_free(dataset_iter *it)
{
    if (!it)
        return;
    sqlite3_finalize(it->st);
    free(it);
}

/* ---- for the stage's other files (dataset-internal.h) ----------------------------- */

void ds_seterr(dataset *ds, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ds->err, sizeof ds->err, fmt, ap);
    va_end(ap);
}

cc_err ds_dberr(dataset *ds, const char *what)
{
    return dberr(ds, what);
}

int ds_readonly(const dataset *ds)
{
    return ds->readonly;
}

int ds_is_bulk(const dataset *ds)
{
    return ds->o.bulk;
}

int64_t ds_run_id(const dataset *ds)
{
    return ds->run_id;
}

cc_err ds_begin(dataset *ds)
{
    if (ds->readonly) {
        dserr(ds, "%s: opened read-only", ds->dir);
        return CC_ERR_USAGE;
    }
    return begin(ds);
}

void ds_rollback(dataset *ds)
{
    if (!ds->in_txn)
        return;
    sqlite3_exec(ds->db, "ROLLBACK", NULL, NULL, NULL);
    ds->in_txn = 0;
}

sqlite3_stmt *ds_stmt(dataset *ds, int slot, const char *sql)
{
    sqlite3_stmt **st = &ds->cache[slot];
    if (!*st && sqlite3_prepare_v3(ds->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
        dberr(ds, "prepare");
        *st = NULL;
        return NULL;
    }
    sqlite3_reset(*st);
    sqlite3_clear_bindings(*st);
    return *st;
}
