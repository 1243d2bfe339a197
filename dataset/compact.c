/* compact.c — rewriting sealed shards without dropped frames (see compact.h). */
#include "compact.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset-internal.h"
#include "shard.h"

static char *journal_path(const char *dir) { return xasprintf("%s/shards/compact.journal", dir); }

static int fsync_dir(const char *dir)
{
    char *s = xasprintf("%s/shards", dir);
    int fd = open(s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(s);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int dataset_compact_pending(const char *dir)
{
    char *j = journal_path(dir);
    int yes = access(j, F_OK) == 0;
    free(j);
    return yes;
}

static int64_t shard_end(dataset *ds, int64_t no)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(dataset_db(ds), "SELECT end_offset FROM shards WHERE shard_no = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(st, 1, no);
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

cc_err dataset_compact_recover(dataset *ds)
{
    const char *dir = dataset_dir(ds);
    char *j = journal_path(dir);
    FILE *f = fopen(j, "r");
    if (!f) {
        free(j);
        return CC_OK;
    }
    long long no = -1, new_end = -1;
    int ok = fscanf(f, "%lld %lld", &no, &new_end) == 2 && no >= 0;
    fclose(f);
    cc_err rc = CC_OK;
    if (ok) {
        char *final = shard_path(dir, no, 0);
        char *tmp = xasprintf("%s.compact", final);
        if (shard_end(ds, no) == new_end) {
            /* the index committed: the new file must take the old one's place */
            if (access(tmp, F_OK) == 0 && (rename(tmp, final) != 0 || fsync_dir(dir) != 0)) {
                ds_seterr(ds, "%s: finishing an interrupted compaction: %s", final, strerror(errno));
                rc = CC_ERR_IO;
            }
        } else {
            unlink(tmp); /* it never committed: the old file is still the truth */
        }
        free(final);
        free(tmp);
    }
    if (rc == CC_OK)
        unlink(j);
    free(j);
    return rc;
}

typedef struct {
    int64_t id;
    uint64_t off, len;
    int keep;
} frame;

static cc_err compact_shard(dataset *ds, int64_t no, int64_t end, dataset_compact_counts *c)
{
    const char *dir = dataset_dir(ds);
    sqlite3 *db = dataset_db(ds);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, frame_offset, frame_length, status = 'accepted' FROM items"
                           " WHERE shard_no = ?1 AND frame_offset IS NOT NULL ORDER BY frame_offset",
                           -1, &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "listing frames");
    sqlite3_bind_int64(st, 1, no);
    frame *fr = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            fr = xrealloc(fr, cap * sizeof *fr);
        }
        fr[n++] = (frame){sqlite3_column_int64(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
                          (uint64_t)sqlite3_column_int64(st, 2), sqlite3_column_int(st, 3)};
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(fr);
        return ds_dberr(ds, "listing frames");
    }
    char *final = shard_path(dir, no, 0);
    char *tmp = xasprintf("%s.compact", final);
    char *jp = journal_path(dir), *jtmp = xasprintf("%s.tmp", jp);
    cc_err r = CC_OK;
    int in = open(final, O_RDONLY | O_CLOEXEC), out = -1;
    struct stat sb;
    unsigned char *buf = NULL;
    uint64_t pos = 0, kept = 0, dropped = 0;
    if (in < 0 || fstat(in, &sb) != 0 || (uint64_t)sb.st_size < (uint64_t)end) {
        ds_seterr(ds, "%s: %s", final, in < 0 ? strerror(errno) : "shorter than the index says");
        r = CC_ERR_IO;
        goto out;
    }
    out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        ds_seterr(ds, "%s: %s", tmp, strerror(errno));
        r = CC_ERR_IO;
        goto out;
    }
    /* 1. the kept frames byte for byte, then the end frame */
    size_t bufcap = 0;
    for (size_t i = 0; i <= n; i++) {
        uint64_t off = i < n ? fr[i].off : (uint64_t)end, len = i < n ? fr[i].len : (uint64_t)sb.st_size - (uint64_t)end;
        if (i < n && !fr[i].keep) {
            dropped++;
            continue;
        }
        if (len > bufcap) {
            bufcap = len;
            buf = xrealloc(buf, bufcap);
        }
        if (pread(in, buf, len, (off_t)off) != (ssize_t)len || write(out, buf, len) != (ssize_t)len) {
            ds_seterr(ds, "%s: copying a frame: %s", tmp, errno ? strerror(errno) : "short read");
            r = CC_ERR_IO;
            goto out;
        }
        if (i < n) {
            fr[i].off = pos; /* its new offset */
            kept++;
        }
        pos += len;
    }
    uint64_t new_end = pos - ((uint64_t)sb.st_size - (uint64_t)end);
    if (fsync(out) != 0) {
        ds_seterr(ds, "%s: %s", tmp, strerror(errno));
        r = CC_ERR_IO;
        goto out;
    }
    /* 2. the journal */
    FILE *jf = fopen(jtmp, "w");
    if (!jf || fprintf(jf, "%05lld %llu\n", (long long)no, (unsigned long long)new_end) < 0 || fflush(jf) != 0 ||
        fsync(fileno(jf)) != 0 || fclose(jf) != 0 || rename(jtmp, jp) != 0 || fsync_dir(dir) != 0) {
        ds_seterr(ds, "%s: %s", jp, strerror(errno));
        r = CC_ERR_IO;
        goto out;
    }
    /* 3. the index, in one transaction */
    if ((r = ds_begin(ds)) != CC_OK)
        goto out;
    sqlite3_stmt *upd = NULL, *drop = NULL;
    if (sqlite3_prepare_v2(db, "UPDATE items SET frame_offset = ?2 WHERE id = ?1", -1, &upd, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE items SET shard_no = NULL, frame_offset = NULL, frame_length = NULL WHERE id = ?1",
                           -1, &drop, NULL) != SQLITE_OK) {
        r = ds_dberr(ds, "compacting");
    }
    for (size_t i = 0; i < n && r == CC_OK; i++) {
        sqlite3_stmt *s = fr[i].keep ? upd : drop;
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, fr[i].id);
        if (fr[i].keep)
            sqlite3_bind_int64(s, 2, (int64_t)fr[i].off);
        if (sqlite3_step(s) != SQLITE_DONE)
            r = ds_dberr(ds, "compacting");
    }
    sqlite3_finalize(upd);
    sqlite3_finalize(drop);
    if (r == CC_OK) {
        char sql[200];
        snprintf(sql, sizeof sql, "UPDATE shards SET samples = %llu, bytes = %llu, end_offset = %llu WHERE shard_no = %lld",
                 (unsigned long long)kept, (unsigned long long)new_end, (unsigned long long)new_end, (long long)no);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            r = ds_dberr(ds, "compacting");
    }
    if (r != CC_OK) {
        ds_rollback(ds);
        unlink(jp);
        goto out;
    }
    if ((r = dataset_flush(ds)) != CC_OK)
        goto out; /* the journal stays: recovery decides from the index */
    /* 4. and 5. */
    if (rename(tmp, final) != 0 || fsync_dir(dir) != 0) {
        ds_seterr(ds, "%s: %s", final, strerror(errno));
        r = CC_ERR_IO;
        goto out;
    }
    unlink(jp);
    c->shards++;
    c->dropped += (int64_t)dropped;
    c->kept += (int64_t)kept;
    c->bytes_before += (int64_t)sb.st_size;
    c->bytes_after += (int64_t)pos;
out:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (r != CC_OK && !dataset_compact_pending(dir))
        unlink(tmp);
    free(buf), free(fr), free(final), free(tmp), free(jp), free(jtmp);
    return r;
}

cc_err dataset_compact(dataset *ds, dataset_compact_counts *c)
{
    memset(c, 0, sizeof *c);
    if (ds_readonly(ds)) {
        ds_seterr(ds, "%s: opened read-only", dataset_dir(ds));
        return CC_ERR_USAGE;
    }
    cc_err r = dataset_flush(ds);
    if (r != CC_OK)
        return r;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(dataset_db(ds),
                           "SELECT s.shard_no, s.end_offset FROM shards s WHERE s.state = 'sealed' AND EXISTS"
                           " (SELECT 1 FROM items i WHERE i.shard_no = s.shard_no AND i.status != 'accepted'"
                           "  AND i.frame_offset IS NOT NULL) ORDER BY s.shard_no",
                           -1, &st, NULL) != SQLITE_OK)
        return ds_dberr(ds, "finding shards to compact");
    int64_t *nos = NULL, *ends = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            nos = xrealloc(nos, cap * sizeof *nos);
            ends = xrealloc(ends, cap * sizeof *ends);
        }
        nos[n] = sqlite3_column_int64(st, 0);
        ends[n++] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        r = ds_dberr(ds, "finding shards to compact");
    for (size_t i = 0; i < n && r == CC_OK; i++)
        r = compact_shard(ds, nos[i], ends[i], c);
    free(nos);
    free(ends);
    return r;
}
