/* frontier.c — the crawl frontier in SQLite (see frontier.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "frontier.h"

enum {
    ST_ADD_PAGE,
    ST_NEXT_PAGES,
    ST_MARK_PAGE,
    ST_COUNT_STATE,
    ST_COUNT_ALL,
    ST_ADD_IMAGE,
    ST_IMAGE_ID,
    ST_ADD_CAND,
    ST_NEXT_IMAGES,
    ST_GET_HOST,
    ST_ENSURE_HOST,
    ST_PUT_ROBOTS,
    ST_PUT_TDMREP,
    ST_PUT_BACKOFF,
    ST_SET_IMAGE_SOURCE,
    ST_SET_IMAGE_PLACE,
    ST_ADD_FALLBACK,
    ST_REQUEUE,
    ST_SEEDS,
    ST__COUNT
};

static const char *const sql[ST__COUNT] = {
    [ST_ADD_PAGE] = "INSERT OR IGNORE INTO crawl_pages(url, depth, seed) VALUES (?1, ?2, ?3)",
    [ST_NEXT_PAGES] = "SELECT id, url, seed, depth FROM crawl_pages WHERE state = 'queued' AND id > ?1 "
                      "ORDER BY id LIMIT ?2",
    [ST_MARK_PAGE] = "UPDATE crawl_pages SET state = ?2, http_status = ?3, reason = ?4, final_url = ?5, "
                     "n_images = ?6, n_links = ?7, fetched_at = ?8 WHERE id = ?1",
    [ST_COUNT_STATE] = "SELECT count(*) FROM crawl_pages WHERE state = ?1",
    [ST_COUNT_ALL] = "SELECT count(*) FROM crawl_pages",
    [ST_ADD_IMAGE] = "INSERT OR IGNORE INTO crawl_images(url, page_url, caption, caption_source, decision, "
                     "reason, found_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_IMAGE_ID] = "SELECT id FROM crawl_images WHERE url = ?1",
    [ST_ADD_CAND] = "INSERT OR IGNORE INTO crawl_candidates(image_id, page_url, source, text, verdict, chosen) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_NEXT_IMAGES] = "SELECT id, url, page_url, caption, caption_source, decision, reason, image_source, "
                       "placement, place_width, place_height, alt_repeats "
                       "FROM crawl_images WHERE id > ?1 ORDER BY id LIMIT ?2",
    [ST_GET_HOST] = "SELECT robots_status, robots_body, robots_fetched_at, crawl_delay, tdmrep_status, "
                    "tdmrep_body, tdmrep_fetched_at, backoff_until FROM crawl_hosts WHERE origin = ?1",
    [ST_ENSURE_HOST] = "INSERT OR IGNORE INTO crawl_hosts(origin) VALUES (?1)",
    [ST_PUT_ROBOTS] = "UPDATE crawl_hosts SET robots_status = ?2, robots_body = ?3, robots_fetched_at = ?4, "
                      "crawl_delay = ?5 WHERE origin = ?1",
    [ST_PUT_TDMREP] = "UPDATE crawl_hosts SET tdmrep_status = ?2, tdmrep_body = ?3, tdmrep_fetched_at = ?4 "
                      "WHERE origin = ?1",
    [ST_PUT_BACKOFF] = "UPDATE crawl_hosts SET backoff_until = ?2 WHERE origin = ?1",
    [ST_SET_IMAGE_SOURCE] = "UPDATE crawl_images SET image_source = ?2, fallback_url = ?3, fallback_source = ?4 "
                            "WHERE id = ?1",
    [ST_SET_IMAGE_PLACE] = "UPDATE crawl_images SET placement = ?2, place_width = ?3, place_height = ?4, "
                           "alt_repeats = ?5 WHERE id = ?1",
    /* the thumbnail sits where its full-size image's link sits: same placement */
    [ST_ADD_FALLBACK] = "INSERT OR IGNORE INTO crawl_images(url, page_url, caption, caption_source, decision, "
                        "reason, found_at, image_source, fallback_of, placement, place_width, place_height, "
                        "alt_repeats) SELECT fallback_url, page_url, caption, caption_source, 'fetch', NULL, ?2, "
                        "fallback_source, id, placement, place_width, place_height, alt_repeats FROM crawl_images "
                        "WHERE id = ?1 AND fallback_url IS NOT NULL AND decision = 'fetch'",
    [ST_REQUEUE] = "UPDATE crawl_pages SET state = 'queued' WHERE state = ?1 AND (?2 IS NULL OR reason = ?2) "
                   "AND depth >= ?3 AND depth < ?4",
    [ST_SEEDS] = "SELECT url, state, reason FROM crawl_pages WHERE depth = 0 ORDER BY id",
};

struct frontier {
    sqlite3 *db;
    sqlite3_stmt *st[ST__COUNT];
    int64_t page_cursor, image_cursor;
    char errmsg[256];
};

static int fail(frontier *f, const char *what)
{
    snprintf(f->errmsg, sizeof f->errmsg, "crawl frontier: %s: %s", what, sqlite3_errmsg(f->db));
    return -1;
}

/* Resets a statement for reuse and returns it. */
static sqlite3_stmt *stmt(frontier *f, int which)
{
    sqlite3_stmt *s = f->st[which];
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

static char *col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? xstrdup((const char *)t) : NULL;
}

frontier *frontier_open(dataset *ds, char *err, size_t errlen)
{
    sqlite3 *db = dataset_db(ds);
    frontier *f = xcalloc(1, sizeof *f);
    f->db = db;
    for (int i = 0; i < ST__COUNT; i++) {
        if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &f->st[i], NULL) != SQLITE_OK) {
            if (err && errlen)
                snprintf(err, errlen, "crawl frontier: the index lacks the crawl tables (%s)", sqlite3_errmsg(db));
            frontier_free(f);
            return NULL;
        }
    }
    return f;
}

void frontier_free(frontier *f)
{
    if (!f)
        return;
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(f->st[i]);
    free(f);
}

const char *frontier_errmsg(const frontier *f)
{
    return f->errmsg;
}

int frontier_begin(frontier *f)
{
    if (!sqlite3_get_autocommit(f->db))
        return 0;
    if (sqlite3_exec(f->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(f, "begin");
    return 1;
}

int frontier_commit(frontier *f, int began)
{
    if (began != 1)
        return 0;
    if (sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return fail(f, "commit");
    return 0;
}

void frontier_rewind(frontier *f)
{
    f->page_cursor = f->image_cursor = 0;
}

/* ---- pages ---- */

int frontier_add_page(frontier *f, const char *url, int depth, const char *seed)
{
    sqlite3_stmt *s = stmt(f, ST_ADD_PAGE);
    bind_text(s, 1, url);
    sqlite3_bind_int(s, 2, depth);
    bind_text(s, 3, seed ? seed : url);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "add page");
    return sqlite3_changes(f->db) > 0 ? 1 : 0;
}

void frontier_page_clear(frontier_page *p)
{
    if (!p)
        return;
    free(p->url);
    free(p->seed);
    memset(p, 0, sizeof *p);
}

int frontier_next_pages(frontier *f, frontier_page *out, int max)
{
    if (max <= 0)
        return 0;
    sqlite3_stmt *s = stmt(f, ST_NEXT_PAGES);
    sqlite3_bind_int64(s, 1, f->page_cursor);
    sqlite3_bind_int(s, 2, max);
    int n = 0, rc = SQLITE_DONE;
    while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        frontier_page *p = &out[n++];
        p->id = sqlite3_column_int64(s, 0);
        p->url = col_text(s, 1);
        p->seed = col_text(s, 2);
        p->depth = sqlite3_column_int(s, 3);
        f->page_cursor = p->id;
    }
    if (n < max && rc != SQLITE_DONE) {
        for (int i = 0; i < n; i++)
            frontier_page_clear(&out[i]);
        return fail(f, "next pages");
    }
    sqlite3_reset(s);
    return n;
}

int frontier_mark_page(frontier *f, int64_t id, const char *state, long http_status, const char *reason,
                       const char *final_url, int n_images, int n_links)
{
    sqlite3_stmt *s = stmt(f, ST_MARK_PAGE);
    sqlite3_bind_int64(s, 1, id);
    bind_text(s, 2, state);
    if (http_status > 0)
        sqlite3_bind_int64(s, 3, http_status);
    bind_text(s, 4, reason);
    bind_text(s, 5, final_url);
    if (n_images >= 0)
        sqlite3_bind_int(s, 6, n_images);
    if (n_links >= 0)
        sqlite3_bind_int(s, 7, n_links);
    sqlite3_bind_double(s, 8, cc_wallclock());
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "mark page");
    return 0;
}

int64_t frontier_count_pages(frontier *f, const char *state)
{
    sqlite3_stmt *s = stmt(f, state ? ST_COUNT_STATE : ST_COUNT_ALL);
    if (state)
        bind_text(s, 1, state);
    if (sqlite3_step(s) != SQLITE_ROW)
        return fail(f, "count pages");
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return n;
}

/* ---- images ---- */

void frontier_image_clear(frontier_image *im)
{
    if (!im)
        return;
    free(im->url);
    free(im->page_url);
    free(im->caption);
    free(im->caption_source);
    free(im->decision);
    free(im->reason);
    free(im->image_source);
    free(im->placement);
    memset(im, 0, sizeof *im);
}

int64_t frontier_add_image(frontier *f, const char *url, const char *page_url, const char *caption,
                           const char *caption_source, const char *decision, const char *reason,
                           int *is_new)
{
    sqlite3_stmt *s = stmt(f, ST_ADD_IMAGE);
    bind_text(s, 1, url);
    bind_text(s, 2, page_url);
    bind_text(s, 3, caption);
    bind_text(s, 4, caption_source);
    bind_text(s, 5, decision);
    bind_text(s, 6, reason);
    sqlite3_bind_double(s, 7, cc_wallclock());
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "add image");
    if (sqlite3_changes(f->db) > 0) {
        if (is_new)
            *is_new = 1;
        return sqlite3_last_insert_rowid(f->db);
    }
    if (is_new)
        *is_new = 0;
    s = stmt(f, ST_IMAGE_ID);
    bind_text(s, 1, url);
    if (sqlite3_step(s) != SQLITE_ROW)
        return fail(f, "image id");
    int64_t id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return id;
}

int frontier_add_candidate(frontier *f, int64_t image_id, const char *page_url, const char *source,
                           const char *text, const char *verdict, int chosen)
{
    sqlite3_stmt *s = stmt(f, ST_ADD_CAND);
    sqlite3_bind_int64(s, 1, image_id);
    bind_text(s, 2, page_url);
    bind_text(s, 3, source);
    bind_text(s, 4, text ? text : "");
    bind_text(s, 5, verdict ? verdict : "keep");
    sqlite3_bind_int(s, 6, chosen ? 1 : 0);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "add candidate");
    return 0;
}

int frontier_set_image_source(frontier *f, int64_t id, const char *image_source, const char *fallback_url,
                              const char *fallback_source)
{
    sqlite3_stmt *s = stmt(f, ST_SET_IMAGE_SOURCE);
    sqlite3_bind_int64(s, 1, id);
    bind_text(s, 2, image_source);
    bind_text(s, 3, fallback_url);
    bind_text(s, 4, fallback_url ? fallback_source : NULL);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "set image source");
    return 0;
}

/* A positive size or count, else NULL (unknown). */
static void bind_pos(sqlite3_stmt *s, int i, int v)
{
    if (v > 0)
        sqlite3_bind_int(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

int frontier_set_image_place(frontier *f, int64_t id, const char *placement, int width, int height, int repeats)
{
    sqlite3_stmt *s = stmt(f, ST_SET_IMAGE_PLACE);
    sqlite3_bind_int64(s, 1, id);
    bind_text(s, 2, placement);
    bind_pos(s, 3, width);
    bind_pos(s, 4, height);
    bind_pos(s, 5, repeats);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "set image placement");
    return 0;
}

int64_t frontier_add_fallback(frontier *f, int64_t id)
{
    sqlite3_stmt *s = stmt(f, ST_ADD_FALLBACK);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_double(s, 2, cc_wallclock());
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "add fallback");
    return sqlite3_changes(f->db) > 0 ? sqlite3_last_insert_rowid(f->db) : 0;
}

int64_t frontier_requeue_pages(frontier *f, const char *state, const char *reason, int min_depth, int max_depth)
{
    sqlite3_stmt *s = stmt(f, ST_REQUEUE);
    bind_text(s, 1, state);
    bind_text(s, 2, reason);
    sqlite3_bind_int(s, 3, min_depth);
    sqlite3_bind_int(s, 4, max_depth);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "requeue pages");
    return sqlite3_changes(f->db);
}

int frontier_seed_outcomes(frontier *f, int64_t *n_fetched, int64_t *n_seeds, ccbuf *why)
{
    *n_fetched = *n_seeds = 0;
    sqlite3_stmt *s = stmt(f, ST_SEEDS);
    int rc, listed = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *url = (const char *)sqlite3_column_text(s, 0);
        const char *state = (const char *)sqlite3_column_text(s, 1);
        const char *reason = (const char *)sqlite3_column_text(s, 2);
        (*n_seeds)++;
        /* a redirecting seed counts by its target (a depth-0 page of its own) */
        if (strcmp(state, "fetched") == 0 || (reason && strcmp(reason, "redirect") == 0)) {
            if (strcmp(state, "fetched") == 0)
                (*n_fetched)++;
            continue;
        }
        if (why && listed < 5)
            ccbuf_printf(why, "%s%s: %s", listed++ ? "; " : "", url,
                         strcmp(state, "queued") == 0 ? "not requested yet" : reason ? reason : state);
    }
    if (rc != SQLITE_DONE)
        return fail(f, "seed outcomes");
    return 0;
}

int frontier_next_images(frontier *f, frontier_image *out, int max)
{
    if (max <= 0)
        return 0;
    sqlite3_stmt *s = stmt(f, ST_NEXT_IMAGES);
    sqlite3_bind_int64(s, 1, f->image_cursor);
    sqlite3_bind_int(s, 2, max);
    int n = 0, rc = SQLITE_DONE;
    while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        frontier_image *im = &out[n++];
        im->id = sqlite3_column_int64(s, 0);
        im->url = col_text(s, 1);
        im->page_url = col_text(s, 2);
        im->caption = col_text(s, 3);
        im->caption_source = col_text(s, 4);
        im->decision = col_text(s, 5);
        im->reason = col_text(s, 6);
        im->image_source = col_text(s, 7);
        im->placement = col_text(s, 8);
        im->place_width = sqlite3_column_int(s, 9);
        im->place_height = sqlite3_column_int(s, 10);
        im->alt_repeats = sqlite3_column_int(s, 11);
        f->image_cursor = im->id;
    }
    if (n < max && rc != SQLITE_DONE) {
        for (int i = 0; i < n; i++)
            frontier_image_clear(&out[i]);
        return fail(f, "next images");
    }
    sqlite3_reset(s);
    return n;
}

/* ---- hosts ---- */

void frontier_host_clear(frontier_host *h)
{
    if (!h)
        return;
    ccbuf_free(&h->robots_body);
    ccbuf_free(&h->tdmrep_body);
    memset(h, 0, sizeof *h);
}

int frontier_get_host(frontier *f, const char *origin, frontier_host *out)
{
    memset(out, 0, sizeof *out);
    out->crawl_delay = -1;
    sqlite3_stmt *s = stmt(f, ST_GET_HOST);
    bind_text(s, 1, origin);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return 0;
    }
    if (rc != SQLITE_ROW)
        return fail(f, "get host");
    if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
        out->has_robots = 1;
        out->robots_status = sqlite3_column_int(s, 0);
        const void *b = sqlite3_column_blob(s, 1);
        int n = sqlite3_column_bytes(s, 1);
        if (b && n > 0)
            ccbuf_append(&out->robots_body, b, (size_t)n);
        out->robots_fetched_at = sqlite3_column_double(s, 2);
        out->crawl_delay = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : sqlite3_column_double(s, 3);
    }
    if (sqlite3_column_type(s, 6) != SQLITE_NULL) {
        out->has_tdmrep = 1;
        out->tdmrep_status = sqlite3_column_int(s, 4);
        const void *b = sqlite3_column_blob(s, 5);
        int n = sqlite3_column_bytes(s, 5);
        if (b && n > 0)
            ccbuf_append(&out->tdmrep_body, b, (size_t)n);
        out->tdmrep_fetched_at = sqlite3_column_double(s, 6);
    }
    out->backoff_until = sqlite3_column_double(s, 7);
    sqlite3_reset(s);
    return 1;
}

static int ensure_host(frontier *f, const char *origin)
{
    sqlite3_stmt *s = stmt(f, ST_ENSURE_HOST);
    bind_text(s, 1, origin);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "add host");
    return 0;
}

int frontier_put_robots(frontier *f, const char *origin, int status, const void *body, size_t n,
                        double crawl_delay)
{
    if (ensure_host(f, origin) != 0)
        return -1;
    sqlite3_stmt *s = stmt(f, ST_PUT_ROBOTS);
    bind_text(s, 1, origin);
    sqlite3_bind_int(s, 2, status);
    if (body && n > 0 && status >= 200 && status < 300)
        sqlite3_bind_blob64(s, 3, body, n, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 4, cc_wallclock());
    if (crawl_delay >= 0)
        sqlite3_bind_double(s, 5, crawl_delay);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "store robots.txt");
    return 0;
}

int frontier_put_tdmrep(frontier *f, const char *origin, int status, const void *body, size_t n)
{
    if (ensure_host(f, origin) != 0)
        return -1;
    sqlite3_stmt *s = stmt(f, ST_PUT_TDMREP);
    bind_text(s, 1, origin);
    sqlite3_bind_int(s, 2, status);
    if (body && n > 0 && status >= 200 && status < 300)
        sqlite3_bind_blob64(s, 3, body, n, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 4, cc_wallclock());
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "store tdmrep.json");
    return 0;
}

int frontier_put_backoff(frontier *f, const char *origin, double until)
{
    if (ensure_host(f, origin) != 0)
        return -1;
    sqlite3_stmt *s = stmt(f, ST_PUT_BACKOFF);
    bind_text(s, 1, origin);
    sqlite3_bind_double(s, 2, until);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(f, "store backoff");
    return 0;
}
