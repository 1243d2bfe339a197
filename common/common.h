/* common.h — small pieces every stage shares.
 *
 * Error codes: one append-only enum with a string table (cc_strerror). The
 * detail of an error lives on the handle that produced it (shard_errmsg(),
 * index_errmsg(), ...), never in a global.
 *
 * Memory: xmalloc() and friends abort the process on allocation failure
 * (as redis and git do); return codes are for bad input and I/O only.
 */
#ifndef CC_COMMON_H
#define CC_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- errors ------------------------------------------------------------ */

/* Append only: the numbers are stored in the index. */
typedef enum {
    CC_OK = 0,
    CC_ERR_IO = 1,          /* read/write/open failed (errno-level) */
    CC_ERR_FORMAT = 2,      /* input does not parse */
    CC_ERR_CORRUPT = 3,     /* stored data fails a consistency check */
    CC_ERR_RANGE = 4,       /* a value or size is out of the allowed range */
    CC_ERR_NOTFOUND = 5,    /* asked-for item does not exist */
    CC_ERR_USAGE = 6,       /* bad argument from the caller */
    CC_ERR_NETWORK = 7,     /* transfer failed (DNS, connect, timeout, ...) */
    CC_ERR_HTTP = 8,        /* server answered with a non-success status */
    CC_ERR_UNSUPPORTED = 9, /* valid input we do not handle */
    CC_ERR_DB = 10,         /* SQLite reported an error */
    CC_ERR_REFUSED = 11,    /* policy refused it (robots, opt-out, private address) */
    CC_ERR_BUDGET = 12,     /* would take more time or memory than allowed (scan bombs, ...) */
    CC_ERR__COUNT
} cc_err;

/* Returns a static, human-readable name for code ("io error", ...). */
const char *cc_strerror(cc_err code);

/* Formats a one-line message into a caller's err buffer (the house way of
 * reporting bad input). NULL err or errlen 0 is a no-op. */
void cc_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- memory ------------------------------------------------------------ */

/* Sets glibc's mmap and trim thresholds (32 and 64 MiB) for a process that
 * judges captions: see memory.c. Call once, first thing in main(). A no-op
 * on other C libraries. */
void cc_malloc_tune(void);

void *xmalloc(size_t n);              /* never returns NULL; aborts on failure */
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);          /* xstrdup(NULL) returns NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- growable byte buffer ----------------------------------------------- */

/* A growable buffer. data is always NUL-terminated (one spare byte beyond len)
 * once anything has been appended, so text can be used as a C string.
 * Zero-initialise (ccbuf b = {0}) to start; ccbuf_free() releases. */
typedef struct {
    unsigned char *data;
    size_t len;
    size_t cap;
} ccbuf;

void ccbuf_reserve(ccbuf *b, size_t extra);     /* ensure room for extra more bytes */
void ccbuf_append(ccbuf *b, const void *p, size_t n);
void ccbuf_puts(ccbuf *b, const char *s);
void ccbuf_putc(ccbuf *b, int c);
void ccbuf_printf(ccbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ccbuf_reset(ccbuf *b);                      /* len = 0, keeps memory */
void ccbuf_free(ccbuf *b);                       /* frees memory, zeroes b */
/* Hands the memory over to the caller (free() it); b is left empty. Never NULL. */
char *ccbuf_detach(ccbuf *b, size_t *len_out);
/* Appends s as a JSON string literal, quotes included; invalid UTF-8 bytes become U+FFFD. */
void ccbuf_json_string(ccbuf *b, const char *s, size_t n);

/* ---- files ----------------------------------------------------------------- */

/* Reads a whole file. Returns CC_OK and fills *out (caller ccbuf_free()s), or
 * CC_ERR_IO with errno set. */
cc_err cc_read_file(const char *path, ccbuf *out);
/* Creates directory path and its parents (mkdir -p). 0 on success, -1 + errno. */
int cc_mkdirs(const char *path, int mode);

/* ---- logging (stderr) ------------------------------------------------------ */

typedef enum { CC_LOG_ERROR = 0, CC_LOG_WARN = 1, CC_LOG_INFO = 2, CC_LOG_DEBUG = 3 } cc_log_level;
extern int cc_log_verbosity; /* messages above this level are dropped; default CC_LOG_WARN */
void cc_log(cc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- time -------------------------------------------------------------------- */

double cc_now(void);       /* monotonic seconds */
double cc_wallclock(void); /* seconds since the Unix epoch */
double cc_cpu_seconds(void); /* user+system CPU time of the whole process */

/* ---- SHA-256 (FIPS 180-4) ---------------------------------------------------- */

typedef struct {
    uint32_t h[8];
    uint64_t total;
    unsigned char block[64];
    size_t used;
} cc_sha256;

void cc_sha256_init(cc_sha256 *s);
void cc_sha256_update(cc_sha256 *s, const void *p, size_t n);
void cc_sha256_final(cc_sha256 *s, unsigned char out[32]);
/* One call: writes 64 lowercase hex digits + NUL into hex. */
void cc_sha256_hex(const void *p, size_t n, char hex[65]);
void cc_hex(const unsigned char *p, size_t n, char *out); /* 2n digits + NUL */

/* ---- thread pool ----------------------------------------------------------- */

/* A fixed pool of worker threads running submitted jobs in FIFO order.
 * The queue is bounded: cc_pool_submit() blocks while max_queued jobs wait. */
typedef struct cc_pool cc_pool;
typedef void (*cc_job_fn)(void *arg);
cc_pool *cc_pool_new(int threads, int max_queued);
void cc_pool_submit(cc_pool *p, cc_job_fn fn, void *arg);
/* Queues a job without ever blocking: when max_queued jobs wait, the queue
 * grows. For a thread that must not stall (the one driving transfers); it
 * bounds the queue by other means (e.g. http_hold). */
void cc_pool_submit_nowait(cc_pool *p, cc_job_fn fn, void *arg);
/* Jobs queued and not yet started. */
int cc_pool_queued(cc_pool *p);
void cc_pool_wait(cc_pool *p);   /* blocks until every submitted job has finished */
void cc_pool_free(cc_pool *p);   /* waits, then joins the threads; NULL is a no-op */
int cc_ncpus(void);              /* online CPUs, at least 1 */

#endif
