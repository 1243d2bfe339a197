/* testutil.h — helpers shared by the test programs: loopback HTTP servers,
 * running the clipcrawl binary, temp directories and whole-file reads, one
 * value from a dataset's index, test pictures.
 *
 * Servers listen on 127.0.0.1 on a free port and write an access log with
 * one line per request, the same format for both servers:
 *
 *     <unix time with fraction> "<request line>" <status> <bytes> "<user agent>"
 *     1764240000.123 "GET /img/1.jpg HTTP/1.1" 200 5120 "clipcrawl/0.1 (...)"
 *
 * Every function aborts the test program (with a message on stderr) when the
 * environment is broken (no python3, nginx fails to start, ...): a test cannot
 * go on without its server, and a silent skip would hide it.
 */
#ifndef CC_TESTUTIL_H
#define CC_TESTUTIL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

typedef struct tu_server tu_server;

/* Starts tests/fault_server.py (found via $CLIPCRAWL_TESTS, else
 * $CLIPCRAWL_SRC/tests, else ./tests) serving docroot under /file/NAME
 * (docroot may be NULL). See fault_server.py for its endpoints. */
tu_server *tu_fault_server_start(const char *docroot);
/* Starts another server script from tests/ with the same conventions
 * (--access-log, --docroot, the port on stdout): e.g. "hostile_server.py". */
tu_server *tu_script_server_start(const char *script_name, const char *docroot);

/* Starts /usr/sbin/nginx (daemon off, master_process off) serving docroot at
 * "/", from a temp prefix dir holding its config, pid, error and access log. */
tu_server *tu_nginx_start(const char *docroot);

/* Stops the server (SIGTERM, then SIGKILL after 2 s), removes its temp dir
 * unless $TU_KEEP is set. NULL is a no-op. */
void tu_server_stop(tu_server *s);

int tu_server_port(const tu_server *s);
/* Path of its access log (inside the server's temp dir). */
const char *tu_server_access_log(const tu_server *s);
/* "http://127.0.0.1:PORT" (no trailing slash); static per server. */
const char *tu_server_base(const tu_server *s);

/* Lines of the access log whose request line contains needle (NULL = all).
 * nginx writes its log as requests finish; this reads the file as it is now. */
int tu_access_log_count(const tu_server *s, const char *needle);
/* Polls tu_access_log_count() until it reaches want or timeout_s passes;
 * returns the last count. Use it after a client saw its response: nginx
 * writes the line just AFTER sending the response, so it can lag. */
int tu_access_log_wait(const tu_server *s, const char *needle, int want, double timeout_s);

/* Output of a finished child process. */
typedef struct {
    ccbuf out;       /* stdout, NUL-terminated (data may be NULL when empty: use tu_str) */
    ccbuf err;       /* stderr */
    int status;      /* exit status 0..255, or 128+signal when killed */
} tu_output;

/* Runs argv (argv[0] searched in PATH unless it holds a '/') with stdin from
 * stdin_data (NULL = /dev/null), waits, captures stdout/stderr. Kills it
 * after timeout_s seconds (0 = 120) and reports status 128+SIGKILL. */
void tu_run(const char *const *argv, const char *stdin_data, double timeout_s, tu_output *o);

/* Runs $CLIPCRAWL_BIN with the NULL-terminated argument list. */
void tu_run_clipcrawl(tu_output *o, const char *arg, ...) __attribute__((sentinel));

/* Runs $CLIPCRAWL_BIN with the NULL-terminated array args (at most 254),
 * killed after timeout_s seconds (0 = 120). */
void tu_run_clipcrawl_args(tu_output *o, const char *const *args, double timeout_s);

/* Starts $CLIPCRAWL_BIN with the NULL-terminated args in the background,
 * stdout/stderr to the given files (NULL = /dev/null); returns its pid. */
pid_t tu_spawn_clipcrawl(const char *out_path, const char *err_path, const char *arg, ...)
    __attribute__((sentinel));

void tu_output_free(tu_output *o);
/* b's text, "" when empty. */
const char *tu_str(const ccbuf *b);

/* Makes a fresh directory under $TMPDIR (or /tmp) named clipcrawl-<tag>-XXXXXX;
 * returns its path (free() it). */
char *tu_mkdtemp(const char *tag);
/* rm -rf path (nothing when path is NULL). */
void tu_rm_rf(const char *path);

/* Reads a whole file into a NUL-terminated malloc'ed string; *len_out gets the
 * size when not NULL. NULL when it cannot be read. */
char *tu_read_file(const char *path, size_t *len_out);
/* Writes n bytes to path (truncating); aborts on failure. */
void tu_write_file(const char *path, const void *data, size_t n);
/* Writes n bytes to root/rel, making rel's folders first; aborts on failure. */
void tu_write_under(const char *root, const char *rel, const void *data, size_t n);
/* The same with the text that printf(fmt, ...) makes. */
void tu_printf_under(const char *root, const char *rel, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Path of a file under the source tree's tests/ directory (free() it). */
char *tu_tests_path(const char *rel);

/* Non-zero when this test program was built with AddressSanitizer (meson
 * -Dsanitize=true, i.e. build-asan/; CI runs the suite there too). A test
 * uses it only to shrink work whose point is size or memory, never to skip a
 * check of behaviour: ASan runs several times slower, and its shadow memory
 * and quarantine of freed blocks make peak-RSS figures meaningless. Whatever
 * a test does differently is printed, so a log says so. */
int tu_sanitized(void);

/* A dataset's index, DIR/index.sqlite, opened read-only (5 s busy
 * timeout); aborts when it cannot be opened. sqlite3_close() it. */
sqlite3 *tu_index_open(const char *dir);
/* The first column of the first row of the SQL that fmt makes (SQLite's
 * printf: %q, %Q, %lld ...) as malloc'd text, NULL when there is no row or
 * the value is NULL. An SQL error prints the statement and SQLite's message
 * on stderr and gives NULL. */
char *tu_db_text(sqlite3 *db, const char *fmt, ...);
/* The same as an integer: -1 when tu_db_text() would give NULL. */
long long tu_db_int(sqlite3 *db, const char *fmt, ...);
/* tu_db_text() / tu_db_int() on DIR's index, opened for the one statement. */
char *tu_index_text(const char *dir, const char *fmt, ...);
long long tu_index_int(const char *dir, const char *fmt, ...);

/* Fills rgb (w*h*3 bytes) with 8x8 blocks of colours hashed from seed: a
 * picture whose perceptual hash differs for every seed. */
void tu_block_picture(unsigned char *rgb, int w, int h, uint32_t seed);

/* xorshift64: the next number of *state as a double in [0, 1). Tests keep
 * their own state, so each one's sequence does not depend on the others. */
double tu_urand(uint64_t *state);
/* v[0..d) filled from tu_urand(state) in [-1, 1) and scaled to length 1. */
void tu_unit_vector(uint64_t *state, float *v, int d);

/* Appends data[0..n) to out as one gzip member (zlib level 6); exits 99
 * if zlib fails. */
void tu_gzip(ccbuf *out, const void *data, size_t n);

/* Appends one WARC/1.0 record (type, target URI, Content-Type, block[0..bl))
 * to out as its own gzip member, as Common Crawl writes them. */
void tu_warc_record(ccbuf *out, const char *type, const char *uri, const char *ctype, const char *block, size_t bl);

#endif
