/* http.h — the download engine: many concurrent HTTP(S) transfers on one
 * thread, over the libcurl multi interface (curl_multi_poll/perform).
 *
 * Model
 *   The caller submits URLs (http_submit), then calls http_run() in a loop.
 *   http_run() starts queued transfers as the limits allow, drives them, and
 *   calls the completion callback (options.on_done) once for every submitted
 *   request, on the calling thread, from inside http_run(), with the engine's
 *   context pointer (options.ctx: the caller's state, so no globals are needed)
 *   and the request's own user pointer. on_done may call http_submit() (the
 *   crawler queues links it discovers).
 *
 *   The queue is NOT bounded by the engine: a caller reading a 100M-row list
 *   must keep http_pending() under its own bound (e.g. 4 × max_concurrency)
 *   and call http_run() when it is reached:
 *
 *       while (have_input || http_pending(e) > 0) {
 *           while (have_input && http_pending(e) < 256) http_submit(e, next_url(), ctx);
 *           http_run(e, 100);
 *       }
 *
 * Limits and politeness
 *   - max_concurrency transfers at once (default 64);
 *   - per host (the host name of the submitted URL, lower-cased):
 *     host_concurrency transfers at once (0 = unlimited) and host_delay seconds
 *     at least between two request starts (0 = none). Hosts are served round
 *     robin, so a slow host never blocks the others. The limits are kept per
 *     submitted host; a redirect to another host is not counted against it.
 *   - connect_timeout, a total deadline per attempt (timeout), a low-speed
 *     abort (below low_speed_limit bytes/s for low_speed_time seconds);
 *   - max_bytes: a cap on the DECODED body (after Content-Encoding), enforced
 *     in the write callback, so a gzip bomb is cut off at the cap (outcome
 *     HTTP_OUT_TOO_LARGE);
 *   - at most max_redirects redirects; http and https only, on every hop;
 *   - retries: transient failures (connect errors, timeouts, receive errors,
 *     HTTP 5xx, 408 and 429) are retried up to `retries` more times with
 *     exponential backoff (retry_base × 2^(n-1), ±25 % jitter). A waiting retry
 *     sits in a timer queue and blocks nothing. A 429 or 503 backs off the
 *     whole HOST (every queued request for it) for Retry-After seconds (delta
 *     seconds or an HTTP-date), capped at retry_after_cap; without
 *     Retry-After, for the exponential delay;
 *   - one DNS cache and TLS session cache shared by every handle (CURLSH);
 *     connections are reused through the multi handle's pool;
 *   - Accept-Encoding offers every encoding libcurl was built with;
 *   - environment proxies are ignored (a proxy would defeat the private
 *     address check).
 *
 * Private addresses
 *   Unless allow_private is set, every connection libcurl opens — the first
 *   hop and every redirect hop — is checked after DNS resolution with
 *   http_address_is_private(), and refused (outcome HTTP_OUT_PRIVATE_ADDRESS).
 *
 * Opt-outs
 *   When options.optout_agent is set, a 2xx response whose X-Robots-Tag
 *   headers opt out (optout_xrobots() with that agent token) is stopped
 *   as soon as its headers are in and finishes with outcome HTTP_OUT_OPTOUT,
 *   reason "noai" or "noimageai", and an empty body. The header values are
 *   always in http_result.x_robots_tag for callers that decide themselves.
 */
#ifndef CC_HTTP_H
#define CC_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common.h"

/* Append only (the numbers may be stored). */
typedef enum {
    HTTP_OUT_OK = 0,               /* 2xx; body holds the decoded bytes */
    HTTP_OUT_HTTP_ERROR = 1,       /* final status not 2xx; reason "http_NNN" */
    HTTP_OUT_TIMEOUT = 2,          /* reason "timeout", "connect_timeout" or "low_speed" */
    HTTP_OUT_TOO_LARGE = 3,        /* decoded body passed max_bytes; with keep_prefix the
                                      body holds its first max_bytes bytes */
    HTTP_OUT_DNS = 4,              /* host name did not resolve */
    HTTP_OUT_CONNECT = 5,          /* connection refused/reset, TLS failure, ... */
    HTTP_OUT_REFUSED_SCHEME = 6,   /* not http/https (first URL or a redirect) */
    HTTP_OUT_PRIVATE_ADDRESS = 7,  /* resolved to a refused address */
    HTTP_OUT_TOO_MANY_REDIRECTS = 8,
    HTTP_OUT_OPTOUT = 9,           /* X-Robots-Tag opt-out (see optout_agent) */
    HTTP_OUT_OTHER = 10,           /* anything else; see errmsg */
    HTTP_OUT_BAD_URL = 11,         /* the URL does not parse, or has no host */
    HTTP_OUT_BAD_RESPONSE = 12,    /* the server's bytes are not HTTP: an HTTP/0.9
                                      reply, a bad status line, TLS on a plain port */
    HTTP_OUT__COUNT
} http_outcome;

/* Static lower-case name of an outcome: "ok", "http_error", "timeout",
 * "too_large", "dns", "connect", "refused_scheme", "private_address",
 * "too_many_redirects", "optout", "other", "bad_url", "bad_response". */
const char *http_outcome_name(http_outcome o);

/* What one finished request reports. Every pointer is owned by the engine
 * and valid only during the on_done call; copy what you keep, or take the
 * body with http_result_take_body(). Strings are never NULL unless noted. */
typedef struct http_result {
    const char *url;            /* as submitted */
    const char *final_url;      /* after redirects (= url when none happened) */
    long status;                /* final HTTP status, 0 when no response */
    const char *content_type;   /* Content-Type header, "" when absent */
    ccbuf body;                 /* decoded body (also for http_error); empty otherwise */
    http_outcome outcome;
    const char *reason;         /* short code: "ok", "http_404" (http_NNN), "timeout",
                                   "low_speed", "connect_timeout", "too_large", "dns",
                                   "connect", "tls", "empty_reply", "connection_reset",
                                   "refused_scheme", "private_address",
                                   "too_many_redirects", "noai", "noimageai", "bad_url",
                                   "partial", "bad_encoding", "bad_response", "other".
                                   "empty_reply": the connection ended (closed or
                                   reset) before any byte of a response;
                                   "connection_reset": it broke after some. */
    const char *errmsg;         /* one line for people; "" on success */
    int attempts;               /* 1 + retries used */
    int redirects;              /* redirects followed by the last attempt */
    double elapsed;             /* seconds from first start to completion, backoff included */
    double started;             /* when the last attempt started, cc_now() seconds (0 when
                                   none did): the engine's schedule, which host_delay
                                   and Retry-After space out; at CC_LOG_DEBUG each start
                                   is also logged as "http: start t=T host=H attempt=N URL" */
    const char *x_robots_tag;   /* every X-Robots-Tag value of the final response,
                                   one header per line ('\n'-joined); "" when none */
    const char *retry_after;    /* Retry-After of the final response, "" when none */
    const char *tdm_reservation;/* tdm-reservation header, "" when none */
    long long content_length;   /* Content-Length of the final response, -1 when absent */
    const char *remote_ip;      /* address connected to, "" when none */
    const char *redirect_url;   /* a 3xx not followed (follow_redirects = 0): its
                                   Location, absolute; "" otherwise */
} http_result;

/* Hands the body over: returns it (free with ccbuf_free) and leaves r->body
 * empty. Only valid inside on_done. */
ccbuf http_result_take_body(http_result *r);

/* ctx: options.ctx; user: the pointer the request was submitted with. */
typedef void (*http_done_fn)(http_result *r, void *ctx, void *user);
/* ctx: options.ctx; user: the pointer of a request http_engine_free() abandons. */
typedef void (*http_drop_fn)(void *ctx, void *user);

typedef struct {
    int max_concurrency;        /* transfers at once; default 64 */
    int host_concurrency;       /* per host; 0 = unlimited (default); the crawler uses 2 */
    double host_delay;          /* seconds between request starts to one host; default 0 */
    double connect_timeout;     /* seconds; default 10 */
    double timeout;             /* total deadline per attempt, seconds; default 30 */
    long low_speed_limit;       /* bytes/s; default 1024; 0 disables the low-speed abort */
    long low_speed_time;        /* seconds; default 10 */
    size_t max_bytes;           /* cap on the decoded body; default 64 MiB; 0 = no cap */
    int max_redirects;          /* default 5 */
    int retries;                /* extra attempts for transient failures; default 2 */
    double retry_base;          /* first backoff, seconds; default 1 */
    double retry_after_cap;     /* longest honoured Retry-After / host backoff; default 60 */
    const char *user_agent;     /* default HTTP_DEFAULT_USER_AGENT; copied */
    const char *optout_agent;   /* product token for X-Robots-Tag opt-outs; NULL = don't check */
    int allow_private;          /* 1 = allow loopback/private targets (tests); default 0 */
    int allow_loopback;         /* 1 = allow 127/8 and ::1 only, every other private
                                   address still refused (tests of that refusal) */
    int verbose;                /* 1 = CURLOPT_VERBOSE on every transfer */
    const char *const *resolve; /* NULL-terminated "HOST:PORT:ADDRESS" entries that
                                   bypass DNS (curl's --resolve); copied. The
                                   private-address check still applies. */
    http_done_fn on_done;       /* required */
    http_drop_fn on_drop;       /* optional: called by http_engine_free() for every
                                   request it abandons, so the caller can free what
                                   the user pointer owns; default NULL */
    void *ctx;                  /* passed to every on_done / on_drop call; default NULL */
} http_options;

#define HTTP_DEFAULT_USER_AGENT \
    "clipcrawl/0.1 (+https://github.com/clipcrawl/clipcrawl; contact: see --user-agent)"

/* Fills o with the defaults above (on_done = NULL). Start from this. */
void http_options_init(http_options *o);

/* Per-request overrides for http_submit_ex(); start from http_request_init(). */
typedef struct {
    size_t max_bytes;           /* (size_t)-1 = engine default; 0 = no cap */
    int retries;                /* -1 = engine default */
    int check_optout;           /* -1 = engine default (optout_agent set), 0 = off, 1 = on */
    int follow_redirects;       /* -1 = engine default (follow up to max_redirects); 0 = a
                                   3xx comes back as http_error (reason http_30N) with
                                   redirect_url set, so the caller can check the target
                                   (robots.txt) before asking for it */
    int keep_prefix;            /* 1 = a body over max_bytes is read up to the cap and
                                   handed back (outcome too_large, body = its first
                                   max_bytes bytes), even when its Content-Length already
                                   says it is larger (robots.txt: RFC 9309 parses a
                                   prefix); 0 (default) = such a Content-Length is refused
                                   before the body and the body is dropped */
} http_request;

void http_request_init(http_request *rq);

typedef struct http_engine http_engine;

/* Creates an engine (curl_global_init is done once, thread-safely). Values
 * out of range are clamped to sane ones. Returns NULL (after logging why)
 * only when o or o->on_done is NULL or libcurl cannot be set up. */
http_engine *http_engine_new(const http_options *o);

/* Aborts every unfinished request WITHOUT calling on_done (on_drop, when
 * set, gets each one's user pointer instead) and frees the engine. NULL is
 * a no-op. Not to be called from inside on_done. */
void http_engine_free(http_engine *e);

/* Queues url (copied) with an opaque user pointer handed back to on_done.
 * Never fails: a URL that does not parse or is not http/https is completed
 * (bad_url / refused_scheme) on the next http_run(), without any I/O.
 * What is requested is http_wire_url(url); on_done reports url as given. */
void http_submit(http_engine *e, const char *url, void *user);
void http_submit_ex(http_engine *e, const char *url, const http_request *rq, void *user);

/* Sets the minimum delay between request starts for one host (its name as in
 * URLs; case-insensitive), overriding options.host_delay — e.g. a robots.txt
 * Crawl-delay, which the caller caps. seconds < 0 restores the default. The
 * setting outlives idle periods. Takes effect from the next start. */
void http_host_set_delay(http_engine *e, const char *host, double seconds);

/* Requests submitted and not yet completed (queued + waiting to retry +
 * in flight). */
size_t http_pending(const http_engine *e);

/* Drives transfers for at most timeout_ms milliseconds; returns early, after
 * at least one on_done call, or when another thread calls http_wakeup().
 * When nothing is pending it just waits (timeout_ms or a wakeup) — so a loop
 * that also waits on worker threads does not spin. Returns the number of
 * on_done calls made. Not reentrant: do not call from on_done. */
int http_run(http_engine *e, int timeout_ms);

/* Backpressure: while held (hold != 0) the engine starts no new transfer
 * (queued requests and due retries wait); transfers already running go on
 * and complete as usual, so none misses its deadline because the consumer
 * is busy. Release with hold = 0. Main thread only. */
void http_hold(http_engine *e, int hold);

/* Makes a running or the next http_run() return at once. The only function
 * here that may be called from another thread (e.g. a worker that finished
 * an item the http_run() caller should collect). */
void http_wakeup(http_engine *e);

/* Runs until nothing is pending. */
void http_drain(http_engine *e);

/* Totals since the engine was made. */
typedef struct {
    uint64_t submitted, completed, attempts, retries, bytes;
} http_stats;
void http_get_stats(const http_engine *e, http_stats *s);

/* ---- pure helpers (no engine needed) ------------------------------------ */

/* 1 when a is an address we refuse to connect to: IPv4 0/8, 10/8, 100.64/10,
 * 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.168/16,
 * 198.18/15, 198.51.100/24, 203.0.113/24, 224/4 (multicast), 240/4 (incl.
 * 255.255.255.255); IPv6 ::, ::1, fe80::/10, fc00::/7, ff00::/8, 2001:db8::/32,
 * and the IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
 * (::a.b.c.d) forms, NAT64 64:ff9b::/96 and 6to4 2002::/16, which are judged
 * by the IPv4 address they embed; 100::/64 and fec0::/10 too. Other families
 * (AF_UNIX, ...) and NULL are refused too. 0 otherwise. */
int http_address_is_private(const struct sockaddr *a);

/* The URL as a browser would send it: surrounding spaces/controls removed
 * (tab, CR, LF anywhere), an internationalised host converted to its
 * punycode (IDNA2008/UTS #46, via libidn2: "bücher.example" →
 * "xn--bcher-kva.example"), and in path and query every space, control,
 * non-ASCII octet and " < > \ ^ ` { | } %-encoded ('%' is kept: the URL may
 * be encoded already); the fragment is dropped. Returns a malloc'd string
 * and sets *why = HTTP_OUT_OK; or NULL with *why = HTTP_OUT_REFUSED_SCHEME
 * (not http/https) or HTTP_OUT_BAD_URL (no "//", no host — "http:///x.jpg",
 * "http://:80/" —, a space in the host, a host IDNA refuses) and a one-line
 * reason in err. */
char *http_wire_url(const char *url, http_outcome *why, char *err, size_t errlen);

/* Parses a Retry-After value: delta seconds or an HTTP-date. Returns seconds
 * from now (>= 0), or -1 when it does not parse. */
double http_parse_retry_after(const char *v);

#endif
