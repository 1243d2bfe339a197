/* verify.c — do shards and index agree? (dataset_verify)
 *
 * Checks, per shard the index knows: every indexed sample's frame exists at
 * its offset with its length, decompresses, holds KEY.<image>, KEY.txt and
 * KEY.json, the image member has the recorded size and sha256 and KEY.json
 * parses and names the key; every frame in the file is an indexed sample
 * (or the end frame of a sealed shard, or the uncommitted tail of an open
 * one, which the next writer cuts off); sealed shards end with the tar end
 * blocks; the shard's sample count matches. Also: indexed samples in shards
 * the index does not list, and shard files the index does not know. */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset-internal.h"
#include "json.h"
#include "shard.h"

#define MAX_MEMBERS 16

typedef struct {
    dataset_verify_result *res;
    void (*problem)(const char *msg, void *ctx);
    void (*note)(const char *msg, void *ctx);
    void *ctx;
} vstate;

static void problem(vstate *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(vstate *v, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    v->problem(msg, v->ctx);
    v->res->problems++;
}

/* Checks one indexed sample against its decompressed frame. */
static void check_sample(vstate *v, const char *path, sqlite3_stmt *row, const ccbuf *frame)
{
    const char *key = (const char *)sqlite3_column_text(row, 0);
    const char *want_sha = (const char *)sqlite3_column_text(row, 3);
    int64_t want_bytes = sqlite3_column_int64(row, 4);
    const char *fmt = (const char *)sqlite3_column_text(row, 5);
    shard_member m[MAX_MEMBERS];
    char names[MAX_MEMBERS][SHARD_NAME_MAX + 1];
    size_t n;
    char err[512];
    if (shard_parse_tar(frame->data, frame->len, path, m, names, MAX_MEMBERS, &n, err, sizeof err) != CC_OK) {
        problem(v, "%s: sample %s: %s", path, key, err);
        return;
    }
    int img = 0, txt = 0, js = 0;
    size_t kl = strlen(key);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(m[i].name, key, kl) != 0 || m[i].name[kl] != '.') {
            problem(v, "%s: sample %s: frame holds foreign member '%s'", path, key, m[i].name);
            continue;
        }
        const char *e = m[i].name + kl + 1;
        if (fmt && strcmp(e, fmt) == 0) {
            img++;
            char hex[65];
            cc_sha256_hex(m[i].data, m[i].len, hex);
            if ((int64_t)m[i].len != want_bytes)
                problem(v, "%s: sample %s: image member has %zu bytes, index says %lld", path, key, m[i].len,
                        (long long)want_bytes);
            if (!want_sha || strcmp(hex, want_sha) != 0)
                problem(v, "%s: sample %s: image sha256 %s does not match the index (%s)", path, key, hex,
                        want_sha ? want_sha : "none");
        } else if (strcmp(e, "txt") == 0) {
            txt++;
        } else if (strcmp(e, "json") == 0) {
            js++;
            char jerr[128];
            json_value *j = json_parse((const char *)m[i].data, m[i].len, jerr, sizeof jerr);
            if (!j)
                problem(v, "%s: sample %s: KEY.json does not parse: %s", path, key, jerr);
            else if (strcmp(json_get_string(j, "key", ""), key) != 0)
                problem(v, "%s: sample %s: KEY.json names key '%s'", path, key, json_get_string(j, "key", ""));
            json_free(j);
        }
    }
    if (img != 1 || txt != 1 || js != 1)
        problem(v, "%s: sample %s: expected one .%s, .txt and .json member, found %d/%d/%d", path, key,
                fmt ? fmt : "?", img, txt, js);
}

static void verify_shard(vstate *v, sqlite3 *db, const char *dir, int64_t no, const char *state,
                         int64_t samples, int64_t end_offset)
{
    int sealed = strcmp(state, "sealed") == 0;
    char *path = shard_path(dir, no, !sealed);
    char err[512];
    v->res->shards++;
    shard_iter *it = shard_iter_open(path, err, sizeof err);
    if (!it) {
        problem(v, "%s", err);
        free(path);
        return;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT key, frame_offset, frame_length, member_sha256, member_bytes, image_format "
                           "FROM items WHERE shard_no = ?1 AND key IS NOT NULL ORDER BY frame_offset",
                           /* key, not status: refilter demotes samples to 'rejected' but
                            * their frames stay in the shard under their key */
                           -1, &st, NULL) != SQLITE_OK) {
        problem(v, "%s: %s", path, sqlite3_errmsg(db));
        shard_iter_close(it);
        free(path);
        return;
    }
    sqlite3_bind_int64(st, 1, no);
    int have_row = sqlite3_step(st) == SQLITE_ROW;
    ccbuf frame = {0};
    uint64_t off = 0, len = 0, last_off = 0;
    int64_t rows = 0;
    int r, last_was_end = 0, damaged = 0;
    for (;;) {
        r = shard_iter_next(it, &off, &len, &frame);
        if (r < 0) {
            /* A damaged frame (flipped bytes, cut short): report the sample
             * that starts there, then go on at the next frame the index
             * knows, so one bad sample does not take the rest with it. */
            uint64_t at = shard_iter_pos(it);
            damaged = 1;
            while (have_row && (uint64_t)sqlite3_column_int64(st, 1) < at) {
                problem(v, "%s: sample %s: no frame starts at offset %lld", path, sqlite3_column_text(st, 0),
                        (long long)sqlite3_column_int64(st, 1));
                rows++;
                have_row = sqlite3_step(st) == SQLITE_ROW;
            }
            if (have_row && (uint64_t)sqlite3_column_int64(st, 1) == at) {
                problem(v, "%s: sample %s: damaged frame: %s", path, sqlite3_column_text(st, 0),
                        shard_iter_errmsg(it));
                rows++;
                have_row = sqlite3_step(st) == SQLITE_ROW;
            } else {
                problem(v, "%s", shard_iter_errmsg(it));
            }
            if (!have_row)
                break;
            shard_iter_seek(it, (uint64_t)sqlite3_column_int64(st, 1));
            continue;
        }
        if (r == 0)
            break;
        last_was_end = shard_is_end_frame(frame.data, frame.len);
        last_off = off;
        /* Index rows whose frames we have passed are missing from the file. */
        while (have_row && (uint64_t)sqlite3_column_int64(st, 1) < off) {
            problem(v, "%s: sample %s: no frame starts at offset %lld", path, sqlite3_column_text(st, 0),
                    (long long)sqlite3_column_int64(st, 1));
            rows++;
            have_row = sqlite3_step(st) == SQLITE_ROW;
        }
        if (have_row && (uint64_t)sqlite3_column_int64(st, 1) == off) {
            int resync = 0;
            if ((uint64_t)sqlite3_column_int64(st, 2) != len) {
                problem(v, "%s: sample %s: frame at %" PRIu64 " is %" PRIu64 " bytes, index says %lld", path,
                        sqlite3_column_text(st, 0), off, len, (long long)sqlite3_column_int64(st, 2));
                resync = 1; /* a damaged frame header: trust the index for where the next one starts */
            } else {
                check_sample(v, path, st, &frame);
            }
            v->res->samples++;
            rows++;
            have_row = sqlite3_step(st) == SQLITE_ROW;
            if (resync && have_row)
                shard_iter_seek(it, (uint64_t)sqlite3_column_int64(st, 1));
        } else if (last_was_end && sealed) {
            /* checked below: must be the last frame, right after end_offset */
        } else if (!sealed && off >= (uint64_t)end_offset) {
            if (v->note) {
                char msg[1024];
                snprintf(msg, sizeof msg, "%s: uncommitted frame at %" PRIu64 " (cut off when a writer reopens)", path,
                         off);
                v->note(msg, v->ctx);
            }
        } else {
            problem(v, "%s: frame at offset %" PRIu64 " (%" PRIu64 " bytes) is not in the index", path, off, len);
        }
    }
    while (have_row) {
        problem(v, "%s: sample %s: no frame starts at offset %lld", path, sqlite3_column_text(st, 0),
                (long long)sqlite3_column_int64(st, 1));
        rows++;
        have_row = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    if (sealed && r == 0 && !damaged) {
        if (!last_was_end || last_off + len != shard_iter_file_size(it))
            problem(v, "%s: sealed shard does not end with the tar end blocks", path);
        else if (last_off != (uint64_t)end_offset)
            problem(v, "%s: end frame at %" PRIu64 " but the index says samples end at %lld", path, last_off,
                    (long long)end_offset);
    }
    if (sealed && damaged && !last_was_end)
        problem(v, "%s: sealed shard does not end with the tar end blocks", path);
    if (rows != samples)
        problem(v, "%s: index lists %lld samples for this shard, shards.samples says %lld", path,
                (long long)rows, (long long)samples);
    ccbuf_free(&frame);
    shard_iter_close(it);
    free(path);
}

/* Shard files on disk the index does not know. */
static void check_stray_files(vstate *v, sqlite3 *db, const char *dir)
{
    char *sdir = xasprintf("%s/shards", dir);
    DIR *d = opendir(sdir);
    if (!d) {
        problem(v, "%s: cannot list shards", sdir);
        free(sdir);
        return;
    }
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "SELECT state FROM shards WHERE shard_no = ?1", -1, &st, NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        unsigned no;
        int part = strlen(e->d_name) == 18 && strcmp(e->d_name + 5, ".tar.zst.part") == 0;
        int full = strlen(e->d_name) == 13 && strcmp(e->d_name + 5, ".tar.zst") == 0;
        if ((!part && !full) || sscanf(e->d_name, "%5u", &no) != 1) {
            problem(v, "%s/%s: not a shard file", sdir, e->d_name);
            continue;
        }
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, no);
        if (sqlite3_step(st) != SQLITE_ROW) {
            problem(v, "%s/%s: shard file not in the index", sdir, e->d_name);
        } else {
            int sealed = strcmp((const char *)sqlite3_column_text(st, 0), "sealed") == 0;
            if (sealed == part)
                problem(v, "%s/%s: index says the shard is %s", sdir, e->d_name, sealed ? "sealed" : "open");
        }
    }
    sqlite3_finalize(st);
    closedir(d);
    free(sdir);
}


cc_err dataset_verify(dataset *ds, void (*problem_fn)(const char *msg, void *ctx),
                      void (*note)(const char *msg, void *ctx), void *ctx, dataset_verify_result *res)
{
    memset(res, 0, sizeof *res);
    vstate v = {res, problem_fn, note, ctx};
    sqlite3 *db = dataset_db(ds);
    const char *dir = dataset_dir(ds);
    sqlite3_stmt *st;
    /* One read transaction: a consistent snapshot even while a writer runs. */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return ds_dberr(ds, "verify");
    cc_err rc = CC_OK;
    if (sqlite3_prepare_v2(db, "SELECT shard_no, state, samples, end_offset FROM shards ORDER BY shard_no", -1,
                           &st, NULL) == SQLITE_OK) {
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
            verify_shard(&v, db, dir, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                         sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
        if (r != SQLITE_DONE)
            rc = ds_dberr(ds, "verify: reading shards");
        sqlite3_finalize(st);
    } else {
        rc = ds_dberr(ds, "verify: reading shards");
    }
    if (rc == CC_OK &&
        sqlite3_prepare_v2(db,
                           "SELECT key, shard_no FROM items WHERE status = 'accepted' AND "
                           "(key IS NULL OR shard_no IS NULL OR shard_no NOT IN (SELECT shard_no FROM shards))",
                           -1, &st, NULL) == SQLITE_OK) {
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
            problem(&v, "%s: sample %s: shard %s is not in the index", dir,
                    sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "(no key)",
                    sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "(none)");
        if (r != SQLITE_DONE)
            rc = ds_dberr(ds, "verify: reading items");
        sqlite3_finalize(st);
    } else if (rc == CC_OK) {
        rc = ds_dberr(ds, "verify: reading items");
    }
    if (rc == CC_OK)
        check_stray_files(&v, db, dir);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return rc;
}
