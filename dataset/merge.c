/* merge.c — appending one dataset's index and shards to another
 * (dataset_merge_from, used by `clipcrawl merge`).
 *
 * The parts of a partitioned run number their shards so that no two parts
 * share one (dataset_options.shard_base/shard_stride), so keys stay unique and
 * shards are hard-linked as they are. Index rows are copied table by table
 * with the part's index ATTACHed:
 *
 *   - tables with their own ids (runs, items, and any table whose ids nothing
 *     else names by value) get the part's ids plus an offset;
 *   - dictionary tables (inputs by name, clip_models by model and precision,
 *     crawl_pages and crawl_images by URL) are joined on their natural key, so
 *     an input or a model shared by two parts is one row; a temp map table
 *     carries their old → new ids to the columns that reference them;
 *   - every foreign key column is remapped from PRAGMA foreign_key_list, so a
 *     table added by a later migration is copied right or, when it points at
 *     something this file does not know how to map, refused with its name.
 *
 * Then the accepted samples of the part are checked against the samples of
 * the parts merged before it with the rules of the image path (images.c,
 * check_duplicates): same URL, same URL and caption, same bytes, same
 * picture by perceptual hash — in that order. A duplicate is demoted to
 * rejected/'duplicate' with duplicate_of naming the sample that was kept, as
 * refilter demotes: its frame stays in the shard.
 *
 * Embeddings are not copied file by file: clip_scores rows arrive with
 * emb_row NULL and the caller opens an embedding writer per model afterwards,
 * which appends them from clip_scores.image_emb (dataset_emb.h backfill). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "dataset_emb.h"
#include "shard.h"

/* How a referenced table's ids travel. */
typedef enum { MAP_SAME, MAP_OFFSET, MAP_DICT } map_kind;

typedef struct {
    const char *table;
    const char *natural_key; /* MAP_DICT: columns that identify a row ("a, b") */
} dict_table;

static const dict_table DICTS[] = {
    {"inputs", "name"},
    {"clip_models", "model_id, precision"},
    {"crawl_pages", "url"},
    {"crawl_images", "url"},
};
/* Tables that are copied with an id offset (and referenced by id). */
static const char *const OFFSET_TABLES[] = {"runs", "items"};

/* Columns whose value is not copied as it is: (table, column, expression). */
static const char *const OVERRIDES[][3] = {
    {"clip_scores", "emb_row", "NULL"},
    {"clip_models", "emb_rows", "0"},
    {"shards", "state", "'sealed'"},
    {"shards", "path", "printf('shards/%05d.tar.zst', shard_no)"},
    {"shards", "sealed_at", "coalesce(sealed_at, created_at)"},
};

typedef struct {
    sqlite3 *db;
    char *err;
    size_t errlen;
    int64_t off_runs, off_items;
    char self_ref[64];       /* a dictionary table's column naming its own rows: set after the map */
} merger;

static int fail_db(merger *m, const char *what)
{
    cc_seterr(m->err, m->errlen, "merge: %s: %s", what, sqlite3_errmsg(m->db));
    return -1;
}

static int exec(merger *m, const char *sql)
{
    char *e = NULL;
    if (sqlite3_exec(m->db, sql, NULL, NULL, &e) != SQLITE_OK) {
        cc_seterr(m->err, m->errlen, "merge: %s", e ? e : sqlite3_errmsg(m->db));
        sqlite3_free(e);
        return -1;
    }
    return 0;
}

static int64_t scalar(merger *m, const char *sql, int *ok)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    *ok = 0;
    if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail_db(m, sql);
        return 0;
    }
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        *ok = 1;
    } else if (r == SQLITE_DONE) {
        *ok = 1;
    } else {
        fail_db(m, sql);
    }
    sqlite3_finalize(st);
    return v;
}

static const dict_table *dict_of(const char *t)
{
    for (size_t i = 0; i < sizeof DICTS / sizeof *DICTS; i++)
        if (strcmp(DICTS[i].table, t) == 0)
            return &DICTS[i];
    return NULL;
}

static int is_offset_table(const char *t)
{
    for (size_t i = 0; i < sizeof OFFSET_TABLES / sizeof *OFFSET_TABLES; i++)
        if (strcmp(OFFSET_TABLES[i], t) == 0)
            return 1;
    return 0;
}

/* The expression that brings column col of table t over from the part (p.),
 * or NULL when the column cannot be mapped (message in err). */
static char *column_expr(merger *m, const char *t, const char *col)
{
    for (size_t i = 0; i < sizeof OVERRIDES / sizeof *OVERRIDES; i++)
        if (strcmp(OVERRIDES[i][0], t) == 0 && strcmp(OVERRIDES[i][1], col) == 0)
            return xasprintf("%s", OVERRIDES[i][2]);
    /* A crawled image is the item (input 'crawl' or 'warc', row_no = its crawl_images
     * id): it follows its image's new id. An image two parts both took (found
     * on pages of both) keeps its row with no row number; the URL rule below
     * then marks it a duplicate. */
    if (strcmp(t, "items") == 0 && strcmp(col, "row_no") == 0)
        return xasprintf("CASE WHEN (SELECT kind FROM p.inputs WHERE id = input_id) IN ('crawl', 'warc') THEN "
                         "(SELECT CASE WHEN EXISTS (SELECT 1 FROM main.items x WHERE "
                         "x.input_id = (SELECT new FROM temp.map_inputs WHERE old = input_id) AND x.row_no = mi.new) "
                         "THEN NULL ELSE mi.new END FROM temp.map_crawl_images mi WHERE mi.old = row_no) "
                         "ELSE row_no END");
    if (strcmp(col, "id") == 0 && is_offset_table(t))
        return xasprintf("\"id\" + %lld", (long long)(strcmp(t, "runs") == 0 ? m->off_runs : m->off_items));
    /* A foreign key? */
    sqlite3_stmt *st;
    char *sql = xasprintf("PRAGMA main.foreign_key_list(\"%s\")", t);
    int rc = sqlite3_prepare_v2(m->db, sql, -1, &st, NULL);
    free(sql);
    if (rc != SQLITE_OK) {
        fail_db(m, "reading foreign keys");
        return NULL;
    }
    char *expr = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *parent = (const char *)sqlite3_column_text(st, 2);
        const char *from = (const char *)sqlite3_column_text(st, 3);
        const char *to = (const char *)sqlite3_column_text(st, 4);
        if (!from || strcmp(from, col) != 0)
            continue;
        if (to && strcmp(to, "id") != 0) {
            /* By value (items.key, shards.shard_no): unchanged by a merge. */
            expr = xasprintf("\"%s\"", col);
        } else if (is_offset_table(parent)) {
            expr = xasprintf("\"%s\" + %lld", col,
                             (long long)(strcmp(parent, "runs") == 0 ? m->off_runs : m->off_items));
        } else if (dict_of(parent) && strcmp(parent, t) == 0) {
            /* A row naming another row of its own table (crawl_images.fallback_of):
             * the map exists only once the rows are in; filled in afterwards. */
            snprintf(m->self_ref, sizeof m->self_ref, "%s", col);
            expr = xasprintf("NULL");
        } else if (dict_of(parent)) {
            expr = xasprintf("(SELECT new FROM temp.\"map_%s\" WHERE old = \"%s\")", parent, col);
        } else {
            cc_seterr(m->err, m->errlen, "merge: %s.%s references %s, which merge cannot map", t, col, parent);
        }
        break;
    }
    sqlite3_finalize(st);
    if (!expr && !m->err[0])
        expr = xasprintf("\"%s\"", col);
    return expr;
}

/* Columns of t present in both the merged index and the part. */
static int shared_columns(merger *m, const char *t, char ***cols, int *n)
{
    *cols = NULL;
    *n = 0;
    sqlite3_stmt *st;
    char *sql = xasprintf("SELECT name FROM pragma_table_info('%s', 'main') "
                          "WHERE name IN (SELECT name FROM pragma_table_info('%s', 'p'))", t, t);
    int rc = sqlite3_prepare_v2(m->db, sql, -1, &st, NULL);
    free(sql);
    if (rc != SQLITE_OK)
        return fail_db(m, "reading columns");
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *cols = xrealloc(*cols, (size_t)cap * sizeof **cols);
        }
        (*cols)[(*n)++] = xasprintf("%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return 0;
}

static void free_columns(char **cols, int n)
{
    for (int i = 0; i < n; i++)
        free(cols[i]);
    free(cols);
}

/* Copies table t from the part. */
static int copy_table(merger *m, const char *t)
{
    char **cols;
    int n;
    if (shared_columns(m, t, &cols, &n) != 0)
        return -1;
    if (n == 0) {
        free(cols);
        return 0;
    }
    const dict_table *d = dict_of(t);
    ccbuf names = {0}, exprs = {0};
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (d && strcmp(cols[i], "id") == 0)
            continue; /* dictionary rows get new ids; the map says which */
        char *e = column_expr(m, t, cols[i]);
        if (!e) {
            rc = -1;
            break;
        }
        ccbuf_printf(&names, "%s\"%s\"", names.len ? ", " : "", cols[i]);
        ccbuf_printf(&exprs, "%s%s", exprs.len ? ", " : "", e);
        free(e);
    }
    int has_id = 0;
    for (int i = 0; i < n; i++)
        has_id |= strcmp(cols[i], "id") == 0;
    if (rc == 0) {
        /* In id order, so a dictionary row shared by two parts keeps the
         * first part's values and new ids follow the parts' order. */
        /* Rows of dictionary and set-like tables (no own id) may already be
         * there; every other row is new, and a conflict is an error. */
        int set_like = d || !has_id;
        char *sql = xasprintf("INSERT %sINTO main.\"%s\"(%s) SELECT %s FROM p.\"%s\"%s", set_like ? "OR IGNORE " : "",
                              t, (char *)names.data, (char *)exprs.data, t, has_id ? " ORDER BY id" : "");
        rc = exec(m, sql);
        free(sql);
        if (rc != 0) {
            char *e = xasprintf("%s", m->err);
            cc_seterr(m->err, m->errlen, "%s (table %s)", e, t);
            free(e);
        }
    }
    if (rc == 0 && d) {
        char *on = xasprintf("%s", d->natural_key);
        ccbuf join = {0};
        for (char *tok = strtok(on, ", "); tok; tok = strtok(NULL, ", "))
            ccbuf_printf(&join, "%sa.\"%s\" IS b.\"%s\"", join.len ? " AND " : "", tok, tok);
        char *sql = xasprintf("DROP TABLE IF EXISTS temp.\"map_%s\";"
                              "CREATE TEMP TABLE \"map_%s\"(old INTEGER PRIMARY KEY, new INTEGER);"
                              "INSERT INTO temp.\"map_%s\" SELECT a.id, b.id FROM p.\"%s\" a JOIN main.\"%s\" b ON %s",
                              t, t, t, t, t, (char *)join.data);
        rc = exec(m, sql);
        free(sql);
        free(on);
        ccbuf_free(&join);
        if (rc == 0 && m->self_ref[0]) {
            const char *c = m->self_ref;
            sql = xasprintf("UPDATE main.\"%s\" SET \"%s\" = (SELECT m2.new FROM p.\"%s\" a "
                            "JOIN temp.\"map_%s\" m1 ON m1.old = a.id JOIN temp.\"map_%s\" m2 ON m2.old = a.\"%s\" "
                            "WHERE m1.new = main.\"%s\".id) "
                            "WHERE \"%s\" IS NULL AND id IN (SELECT new FROM temp.\"map_%s\")",
                            t, c, t, t, t, c, t, c, t);
            rc = exec(m, sql);
            free(sql);
        }
    }
    m->self_ref[0] = 0;
    ccbuf_free(&names);
    ccbuf_free(&exprs);
    free_columns(cols, n);
    return rc;
}

/* The tables to copy, parents first: the known order, then any other table. */
static int copy_tables(merger *m)
{
    static const char *const order[] = {"runs", "inputs", "clip_models", "shards", "crawl_hosts",
                                        "crawl_pages", "crawl_images", "crawl_candidates", "items",
                                        "phash_bands", "clip_scores"};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        int ok;
        char *q = xasprintf("SELECT count(*) FROM p.sqlite_master WHERE type = 'table' AND name = '%s'", order[i]);
        int64_t has = scalar(m, q, &ok);
        free(q);
        if (!ok)
            return -1;
        if (has && copy_table(m, order[i]) != 0)
            return -1;
    }
    /* Tables of later migrations: same rules, in creation order. */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->db,
                           "SELECT name FROM main.sqlite_master WHERE type = 'table' "
                           "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'captions_fts%' "
                           "AND name IN (SELECT name FROM p.sqlite_master WHERE type = 'table') "
                           "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY rowid",
                           -1, &st, NULL) != SQLITE_OK)
        return fail_db(m, "listing tables");
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        int known = 0;
        for (size_t i = 0; i < sizeof order / sizeof *order; i++)
            known |= strcmp(order[i], t) == 0;
        if (!known) {
            char *name = xasprintf("%s", t);
            rc = copy_table(m, name);
            free(name);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- shard files ---------------------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int copy_bytes(const char *from, const char *to, int64_t n, char *err, size_t errlen)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        cc_seterr(err, errlen, "%s: %s", from, strerror(errno));
        return -1;
    }
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        cc_seterr(err, errlen, "%s: %s", to, strerror(errno));
        close(in);
        return -1;
    }
    char buf[1 << 16];
    int rc = 0;
    while (n != 0) {
        size_t want = n < 0 || n > (int64_t)sizeof buf ? sizeof buf : (size_t)n;
        ssize_t r = read(in, buf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            cc_seterr(err, errlen, "%s: %s", from, strerror(errno));
            rc = -1;
            break;
        }
        if (r == 0) {
            if (n > 0) {
                cc_seterr(err, errlen, "%s: shorter than the index says", from);
                rc = -1;
            }
            break;
        }
        if (write_all(out, buf, (size_t)r) != 0) {
            cc_seterr(err, errlen, "%s: %s", to, strerror(errno));
            rc = -1;
            break;
        }
        if (n > 0)
            n -= r;
    }
    if (rc == 0 && fsync(out) != 0) {
        cc_seterr(err, errlen, "%s: %s", to, strerror(errno));
        rc = -1;
    }
    close(in);
    close(out);
    return rc;
}

/* Puts every shard of the part into out_dir/shards: sealed ones hard-linked
 * (copied across file systems), the open one (an incomplete part) copied up
 * to the end the index knows and sealed. */
static int bring_shards(merger *m, const char *part_dir, const char *out_dir, int allow_open, int64_t *n_shards)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->db,
                           "SELECT p.shard_no, p.state, p.end_offset, "
                           "(SELECT count(*) FROM main.shards s WHERE s.shard_no = p.shard_no) "
                           "FROM p.shards p ORDER BY p.shard_no",
                           -1, &st, NULL) != SQLITE_OK)
        return fail_db(m, "reading the part's shards");
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        long long no = sqlite3_column_int64(st, 0);
        const char *state = (const char *)sqlite3_column_text(st, 1);
        int64_t end = sqlite3_column_int64(st, 2);
        if (sqlite3_column_int64(st, 3)) {
            cc_seterr(m->err, m->errlen,
                      "merge: %s: shard %05lld is already in the merged dataset: merge joins the parts of one "
                      "partitioned run (made with --part I/N), whose shard numbers never collide",
                      part_dir, no);
            rc = -1;
            break;
        }
        char *dst = xasprintf("%s/shards/%05lld.tar.zst", out_dir, no);
        if (strcmp(state, "sealed") == 0) {
            char *src = xasprintf("%s/shards/%05lld.tar.zst", part_dir, no);
            if (link(src, dst) != 0) {
                if (errno == EXDEV || errno == EPERM || errno == EMLINK)
                    rc = copy_bytes(src, dst, -1, m->err, m->errlen);
                else {
                    cc_seterr(m->err, m->errlen, "merge: %s -> %s: %s", src, dst, strerror(errno));
                    rc = -1;
                }
            }
            free(src);
        } else if (!allow_open) {
            cc_seterr(m->err, m->errlen, "merge: %s: shard %05lld is still open (an incomplete part)", part_dir, no);
            rc = -1;
        } else {
            char *src = xasprintf("%s/shards/%05lld.tar.zst.part", part_dir, no);
            char *tmp = xasprintf("%s.part", dst);
            rc = copy_bytes(src, tmp, end, m->err, m->errlen);
            if (rc == 0) {
                shard_writer *w = shard_writer_open(tmp, end, 0, m->err, m->errlen);
                if (!w || shard_writer_seal(w, dst, m->err, m->errlen) != CC_OK)
                    rc = -1;
            }
            free(src);
            free(tmp);
        }
        free(dst);
        if (rc == 0)
            (*n_shards)++;
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- duplicates across parts ------------------------------------------------------------------ */

static int demote_duplicates(merger *m, int64_t first_id, const dataset_merge_rules *r, int64_t *dups)
{
    sqlite3_stmt *it = NULL, *by_url = NULL, *by_uc = NULL, *by_sha = NULL, *bands = NULL, *near = NULL,
                 *demote = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(m->db,
                           "SELECT id, url, caption, sha256, phash FROM main.items "
                           "WHERE id >= ?1 AND status = 'accepted' ORDER BY id",
                           -1, &it, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db,
                           "SELECT key FROM main.items WHERE url = ?1 AND status = 'accepted' AND id < ?2 "
                           "ORDER BY id LIMIT 1", -1, &by_url, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db,
                           "SELECT key FROM main.items WHERE url = ?1 AND caption IS ?3 AND status = 'accepted' "
                           "AND id < ?2 ORDER BY id LIMIT 1", -1, &by_uc, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db,
                           "SELECT key FROM main.items WHERE sha256 = ?1 AND status = 'accepted' AND id < ?2 "
                           "ORDER BY id LIMIT 1", -1, &by_sha, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db, "SELECT nbands, band, value FROM main.phash_bands WHERE item_id = ?1", -1,
                           &bands, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db,
                           "SELECT i.key, i.phash FROM main.phash_bands b JOIN main.items i ON i.id = b.item_id "
                           "WHERE b.nbands = ?1 AND b.band = ?2 AND b.value = ?3 AND i.status = 'accepted' "
                           "AND i.id < ?4 ORDER BY i.id", -1, &near, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db,
                           "UPDATE main.items SET status = 'rejected', reason = 'duplicate', "
                           "error = ?2 || ' as sample ' || ?3, duplicate_of = ?3 WHERE id = ?1",
                           -1, &demote, NULL) != SQLITE_OK) {
        fail_db(m, "preparing the duplicate checks");
        goto out;
    }
    sqlite3_bind_int64(it, 1, first_id);
    int step;
    while ((step = sqlite3_step(it)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(it, 0);
        const char *url = (const char *)sqlite3_column_text(it, 1);
        const char *sha = (const char *)sqlite3_column_text(it, 3);
        char kept[16] = "";
        const char *how = NULL;
        /* The image path's order: URL, URL and caption, bytes, picture. */
        if (r->by_url && url) {
            sqlite3_reset(by_url);
            sqlite3_bind_text(by_url, 1, url, -1, SQLITE_STATIC);
            sqlite3_bind_int64(by_url, 2, first_id);
            if (sqlite3_step(by_url) == SQLITE_ROW) {
                snprintf(kept, sizeof kept, "%s", (const char *)sqlite3_column_text(by_url, 0));
                how = "same URL";
            }
        }
        if (!how && r->by_url_caption && url) {
            sqlite3_reset(by_uc);
            sqlite3_bind_text(by_uc, 1, url, -1, SQLITE_STATIC);
            sqlite3_bind_int64(by_uc, 2, first_id);
            sqlite3_bind_value(by_uc, 3, sqlite3_column_value(it, 2));
            if (sqlite3_step(by_uc) == SQLITE_ROW) {
                snprintf(kept, sizeof kept, "%s", (const char *)sqlite3_column_text(by_uc, 0));
                how = "same URL and caption";
            }
        }
        if (!how && r->by_sha256 && sha) {
            sqlite3_reset(by_sha);
            sqlite3_bind_text(by_sha, 1, sha, -1, SQLITE_STATIC);
            sqlite3_bind_int64(by_sha, 2, first_id);
            if (sqlite3_step(by_sha) == SQLITE_ROW) {
                snprintf(kept, sizeof kept, "%s", (const char *)sqlite3_column_text(by_sha, 0));
                how = "same bytes";
            }
        }
        if (!how && r->phash_max_distance >= 0 && sqlite3_column_type(it, 4) != SQLITE_NULL) {
            uint64_t h = (uint64_t)sqlite3_column_int64(it, 4);
            sqlite3_reset(bands);
            sqlite3_bind_int64(bands, 1, id);
            while (!how && sqlite3_step(bands) == SQLITE_ROW) {
                sqlite3_reset(near);
                sqlite3_bind_int64(near, 1, sqlite3_column_int64(bands, 0));
                sqlite3_bind_int64(near, 2, sqlite3_column_int64(bands, 1));
                sqlite3_bind_int64(near, 3, sqlite3_column_int64(bands, 2));
                sqlite3_bind_int64(near, 4, first_id);
                while (sqlite3_step(near) == SQLITE_ROW) {
                    uint64_t other = (uint64_t)sqlite3_column_int64(near, 1);
                    if (__builtin_popcountll(h ^ other) <= r->phash_max_distance) {
                        snprintf(kept, sizeof kept, "%s", (const char *)sqlite3_column_text(near, 0));
                        how = "same picture (perceptual hash)";
                        break;
                    }
                }
            }
        }
        if (how) {
            sqlite3_reset(demote);
            sqlite3_bind_int64(demote, 1, id);
            sqlite3_bind_text(demote, 2, how, -1, SQLITE_STATIC);
            sqlite3_bind_text(demote, 3, kept, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(demote) != SQLITE_DONE) {
                fail_db(m, "demoting a duplicate");
                goto out;
            }
            (*dups)++;
        }
    }
    if (step != SQLITE_DONE) {
        fail_db(m, "reading the merged samples");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(it);
    sqlite3_finalize(by_url);
    sqlite3_finalize(by_uc);
    sqlite3_finalize(by_sha);
    sqlite3_finalize(bands);
    sqlite3_finalize(near);
    sqlite3_finalize(demote);
    return rc;
}

/* ---- entry point ----------------------------------------------------------------------------------- */

cc_err dataset_merge_from(dataset *ds, const char *part_dir, int allow_open_shard, const dataset_merge_rules *r,
                          dataset_merge_counts *c, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    char local_err[512] = "";
    merger m = {.db = dataset_db(ds), .err = err ? err : local_err, .errlen = err ? errlen : sizeof local_err};
    if (dataset_flush(ds) != CC_OK) {
        cc_seterr(m.err, m.errlen, "%s", dataset_errmsg(ds));
        return CC_ERR_DB;
    }
    char *ipath = xasprintf("%s/index.sqlite", part_dir);
    sqlite3_stmt *st;
    int rc = -1, attached = 0, in_tx = 0;
    if (sqlite3_prepare_v2(m.db, "ATTACH ?1 AS p", -1, &st, NULL) != SQLITE_OK) {
        fail_db(&m, "attach");
        goto out;
    }
    sqlite3_bind_text(st, 1, ipath, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) {
        fail_db(&m, ipath);
        goto out;
    }
    attached = 1;
    int ok;
    int64_t v_main = scalar(&m, "PRAGMA main.user_version", &ok), v_part = ok ? scalar(&m, "PRAGMA p.user_version", &ok) : 0;
    if (!ok)
        goto out;
    if (v_main != v_part) {
        cc_seterr(m.err, m.errlen, "merge: %s: index version %lld, this clipcrawl writes %lld", part_dir,
                  (long long)v_part, (long long)v_main);
        goto out;
    }
    if (exec(&m, "BEGIN IMMEDIATE") != 0)
        goto out;
    in_tx = 1;
    m.off_runs = scalar(&m, "SELECT coalesce(max(id), 0) FROM main.runs", &ok);
    if (ok)
        m.off_items = scalar(&m, "SELECT coalesce(max(id), 0) FROM main.items", &ok);
    if (!ok)
        goto out;
    if (bring_shards(&m, part_dir, dataset_dir(ds), allow_open_shard, &c->shards) != 0 || copy_tables(&m) != 0)
        goto out;
    int64_t n_items = scalar(&m, "SELECT count(*) FROM p.items", &ok);
    if (!ok)
        goto out;
    int64_t n_acc = scalar(&m, "SELECT count(*) FROM p.items WHERE status = 'accepted'", &ok);
    if (!ok || demote_duplicates(&m, m.off_items + 1, r, &c->duplicates) != 0)
        goto out;
    if (exec(&m, "COMMIT") != 0)
        goto out;
    in_tx = 0;
    c->items += n_items;
    c->accepted += n_acc;
    c->parts++;
    rc = 0;
out:
    if (in_tx)
        sqlite3_exec(m.db, "ROLLBACK", NULL, NULL, NULL);
    if (attached)
        sqlite3_exec(m.db, "DETACH p", NULL, NULL, NULL);
    free(ipath);
    return rc == 0 ? CC_OK : CC_ERR_DB;
}

cc_err dataset_merge_finish(dataset *ds, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (dataset_flush(ds) != CC_OK) {
        cc_seterr(err, errlen, "%s", dataset_errmsg(ds));
        return CC_ERR_DB;
    }
    if (sqlite3_prepare_v2(dataset_db(ds), "SELECT id FROM clip_models ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
        cc_seterr(err, errlen, "merge: listing models: %s", sqlite3_errmsg(dataset_db(ds)));
        return CC_ERR_DB;
    }
    int64_t ids[256];
    int n = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && n < 256)
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE && step != SQLITE_ROW) {
        cc_seterr(err, errlen, "merge: listing models: %s", sqlite3_errmsg(dataset_db(ds)));
        return CC_ERR_DB;
    }
    /* Opening a writer appends every clip_scores row without a file row. */
    for (int i = 0; i < n; i++) {
        dataset_emb_writer *w = dataset_emb_writer_open(ds, ids[i], err, errlen);
        if (!w || dataset_emb_writer_close(w, err, errlen) != CC_OK)
            return CC_ERR_IO;
    }
    return CC_OK;
}
