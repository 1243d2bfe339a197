/* index.h — opening and migrating the SQLite index (DIR/index.sqlite).
 *
 * Migrations are the files schema/NNN-name.sql, embedded into the binary at
 * build time in number order (001, 002, ... with no gaps). PRAGMA user_version
 * is the number of migrations applied. Opening for writing applies the
 * missing ones, each in its own transaction; an index whose user_version is
 * newer than this binary knows is refused (it was written by a newer
 * clipcrawl) with a one-line error.
 *
 * Every connection runs with WAL journaling, synchronous=NORMAL, foreign keys
 * on and a busy timeout of 10 s. A read-only connection is opened with
 * SQLITE_OPEN_READONLY and additionally has PRAGMA query_only on, so no
 * statement run through it can write (used by `query --sql`).
 *
 * The tables and columns are documented in schema/README.md.
 */
#ifndef CC_SCHEMA_INDEX_H
#define CC_SCHEMA_INDEX_H

#include <sqlite3.h>

#include "common.h"

typedef struct cc_index cc_index;

enum {
    INDEX_READONLY = 1, /* open read-only; the file must exist and be fully migrated or older */
    INDEX_CREATE = 2    /* create the file when missing (ignored with INDEX_READONLY) */
};

/* Opens (and, unless read-only, migrates) the index at path.
 * Returns NULL with a one-line message naming path in err on failure:
 * missing file, not a SQLite database, newer user_version, migration error. */
cc_index *index_open(const char *path, int flags, char *err, size_t errlen);
void index_close(cc_index *ix); /* NULL is a no-op */

/* The underlying connection (owned by ix; do not close it). */
sqlite3 *index_db(cc_index *ix);

/* The last error's detail ("" if none), e.g. SQLite's message plus context. */
const char *index_errmsg(const cc_index *ix);

/* Runs one or more SQL statements without results (sqlite3_exec).
 * CC_OK or CC_ERR_DB with the detail in index_errmsg(). */
cc_err index_exec(cc_index *ix, const char *sql);

/* user_version of the open index. */
int index_user_version(cc_index *ix);

/* The migrations compiled into this binary: count, and each name
 * ("001-core.sql") and SQL text (i from 0). */
int index_migration_count(void);
const char *index_migration_name(int i);
const char *index_migration_sql(int i);

#endif
