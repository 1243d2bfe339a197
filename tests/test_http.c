/* test_http.c — the download engine (crawler/http.h) against
 * tests/fault_server.py on 127.0.0.1: concurrency, limits, retries and
 * backoff, redirects, schemes, private addresses, opt-outs; plus the pure
 * helpers (address classifier, X-Robots-Tag parser, Retry-After). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "check.h"
#include "common.h"
#include "http.h"
#include "testutil.h"

static tu_server *srv;

typedef struct {
    int done;
    http_outcome out;
    char reason[64];
    long status;
    int attempts, redirects;
    double elapsed, t_done, started;
    char *final_url, *ctype, *xrt, *tdm, *retry_after, *errmsg, *body;
    size_t body_len;
    long long clen;
} res_t;

#define MAXR 64
static res_t R[MAXR];
static http_engine *cur_engine;
static const char *chain_next; /* on_done of R[0] submits this (tests submit-from-callback) */

static void res_reset(void)
{
    for (int i = 0; i < MAXR; i++) {
        free(R[i].final_url), free(R[i].ctype), free(R[i].xrt), free(R[i].tdm);
        free(R[i].retry_after), free(R[i].errmsg), free(R[i].body);
    }
    memset(R, 0, sizeof R);
}

static int done_ctx_marker; /* options.ctx: every completion must hand it back */

static void on_done(http_result *r, void *ctx, void *user)
{
    res_t *x = user;
    CHECK(ctx == &done_ctx_marker, "on_done gets the engine's ctx pointer");
    /* a slot may be reused (test_bounded_feed): drop what it held */
    free(x->final_url), free(x->ctype), free(x->xrt), free(x->tdm);
    free(x->retry_after), free(x->errmsg), free(x->body);
    x->done++;
    x->out = r->outcome;
    snprintf(x->reason, sizeof x->reason, "%s", r->reason);
    x->status = r->status;
    x->attempts = r->attempts;
    x->redirects = r->redirects;
    x->elapsed = r->elapsed;
    x->t_done = cc_now();
    x->started = r->started;
    x->final_url = xstrdup(r->final_url);
    x->ctype = xstrdup(r->content_type);
    x->xrt = xstrdup(r->x_robots_tag);
    x->tdm = xstrdup(r->tdm_reservation);
    x->retry_after = xstrdup(r->retry_after);
    x->errmsg = xstrdup(r->errmsg);
    x->clen = r->content_length;
    ccbuf b = http_result_take_body(r);
    CHECK(r->body.len == 0 && r->body.data == NULL, "take_body leaves the result empty");
    x->body_len = b.len;
    x->body = xstrndup(b.data ? (const char *)b.data : "", b.len > 65536 ? 65536 : b.len);
    ccbuf_free(&b);
    if (x == &R[0] && chain_next) {
        http_submit(cur_engine, chain_next, &R[MAXR - 1]);
        chain_next = NULL;
    }
}

static void opts(http_options *o)
{
    http_options_init(o);
    o->on_done = on_done;
    o->ctx = &done_ctx_marker;
    o->allow_private = 1;
    o->retry_base = 0.1;
}

static char *U(const char *path)
{
    static char bufs[MAXR][512];
    static int k;
    char *b = bufs[k++ % MAXR];
    snprintf(b, 512, "%s%s", tu_server_base(srv), path);
    return b;
}

/* Submits n URLs (user = &R[i]) and runs until all are done; returns seconds. */
static double run_urls(const http_options *o, const char *const *urls, int n)
{
    res_reset();
    http_engine *e = http_engine_new(o);
    CHECK(e != NULL, "engine");
    if (!e)
        return 0;
    cur_engine = e;
    double t0 = cc_now();
    for (int i = 0; i < n; i++)
        http_submit(e, urls[i], &R[i]);
    CHECK_EQ_INT(http_pending(e), n);
    while (http_pending(e) && cc_now() - t0 < 60)
        http_run(e, 200);
    CHECK_EQ_INT(http_pending(e), 0);
    double dt = cc_now() - t0;
    http_engine_free(e);
    cur_engine = NULL;
    for (int i = 0; i < n; i++)
        CHECK(R[i].done == 1, "%s: on_done called %d times", urls[i], R[i].done);
    return dt;
}

#define EXPECT(i, outcome, rsn)                                                                                \
    do {                                                                                                       \
        CHECK(R[i].out == (outcome) && strcmp(R[i].reason, rsn) == 0, "request %d: got %s/%s (%s), want %s/%s", \
              i, http_outcome_name(R[i].out), R[i].reason, R[i].errmsg ? R[i].errmsg : "", http_outcome_name(outcome), \
              rsn);                                                                                            \
    } while (0)

/* ---- pure helpers ------------------------------------------------------------- */

static void test_classifier(void)
{
    static const struct { const char *addr; int priv; } t[] = {
        {"127.0.0.1", 1}, {"127.255.0.9", 1}, {"10.1.2.3", 1}, {"172.16.0.1", 1}, {"172.31.255.255", 1},
        {"172.32.0.1", 0}, {"172.15.255.255", 0}, {"192.168.1.1", 1}, {"169.254.169.254", 1}, {"169.254.0.1", 1},
        {"100.64.0.1", 1}, {"100.127.255.255", 1}, {"100.128.0.1", 0}, {"100.63.255.255", 0}, {"0.0.0.0", 1},
        {"0.1.2.3", 1}, {"224.0.0.1", 1}, {"239.255.255.250", 1}, {"240.0.0.1", 1}, {"255.255.255.255", 1},
        {"192.0.2.5", 1}, {"198.18.0.1", 1}, {"198.51.100.7", 1}, {"203.0.113.9", 1}, {"192.0.0.8", 1},
        {"8.8.8.8", 0}, {"1.1.1.1", 0}, {"93.184.216.34", 0}, {"223.255.255.255", 0}, {"11.0.0.1", 0},
        {"192.169.0.1", 0}, {"::", 1}, {"::1", 1}, {"fe80::1", 1}, {"febf::1", 1}, {"fec0::1", 1},
        {"fc00::1", 1}, {"fd12:3456::1", 1}, {"ff02::1", 1}, {"2001:db8::1", 1}, {"::ffff:127.0.0.1", 1},
        {"::ffff:10.0.0.1", 1}, {"::ffff:169.254.169.254", 1}, {"::ffff:8.8.8.8", 0}, {"::127.0.0.1", 1},
        {"::8.8.8.8", 0}, {"64:ff9b::10.0.0.1", 1}, {"64:ff9b::8.8.8.8", 0}, {"2002:7f00:1::", 1},
        {"2002:0808:0808::", 0}, {"2606:4700:4700::1111", 0}, {"2a00:1450:4001::200e", 0}, {"100::1", 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        if (strchr(t[i].addr, ':')) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            a->sin6_family = AF_INET6;
            CHECK(inet_pton(AF_INET6, t[i].addr, &a->sin6_addr) == 1, "parse %s", t[i].addr);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            a->sin_family = AF_INET;
            CHECK(inet_pton(AF_INET, t[i].addr, &a->sin_addr) == 1, "parse %s", t[i].addr);
        }
        int got = http_address_is_private((struct sockaddr *)&ss);
        CHECK(got == t[i].priv, "%s: private=%d, want %d", t[i].addr, got, t[i].priv);
    }
    struct sockaddr un = {.sa_family = AF_UNIX};
    CHECK(http_address_is_private(&un), "AF_UNIX is refused");
    CHECK(http_address_is_private(NULL), "NULL is refused");
}

static void test_retry_after_parse(void)
{
    CHECK(http_parse_retry_after("5") == 5, "delta seconds");
    CHECK(http_parse_retry_after("  120 ") == 120, "spaces");
    CHECK(http_parse_retry_after("0") == 0, "zero");
    CHECK(http_parse_retry_after("soon") < 0, "garbage");
    CHECK(http_parse_retry_after("") < 0, "empty");
    CHECK(http_parse_retry_after(NULL) < 0, "NULL");
    CHECK(http_parse_retry_after("-3") < 0, "negative");
    CHECK(http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0, "a past date means now");
    char date[64];
    time_t t = time(NULL) + 100;
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&t));
    double d = http_parse_retry_after(date);
    CHECK(d >= 98 && d <= 101, "future HTTP-date: %g", d);
    CHECK_EQ_STR(http_outcome_name(HTTP_OUT_PRIVATE_ADDRESS), "private_address");
    CHECK_EQ_STR(http_outcome_name(HTTP_OUT_TOO_LARGE), "too_large");
}

/* ---- against the server ----------------------------------------------------------- */

static void test_concurrency(void)
{
    http_options o;
    opts(&o);
    const char *u[8];
    char buf[8][128];
    for (int i = 0; i < 8; i++) {
        snprintf(buf[i], sizeof buf[i], "%s/sleep?delay=1&i=%d", tu_server_base(srv), i);
        u[i] = buf[i];
    }
    double dt = run_urls(&o, u, 8);
    for (int i = 0; i < 8; i++)
        EXPECT(i, HTTP_OUT_OK, "ok");
    /* they overlap: every one started before any had finished (the
     * engine's clock, so a loaded machine cannot fake or break it) */
    double last_start = 0, first_done = 1e300;
    for (int i = 0; i < 8; i++) {
        if (R[i].started > last_start)
            last_start = R[i].started;
        if (R[i].t_done < first_done)
            first_done = R[i].t_done;
    }
    CHECK(last_start > 0 && last_start < first_done, "8 × 1 s requests must overlap: the last started %.2f s after "
          "the first finished", last_start - first_done);
    CHECK(dt >= 0.95, "they cannot finish faster than one: %.2f s", dt);
}

static void test_basic_outcomes(void)
{
    http_options o;
    opts(&o);
    o.max_bytes = 1 << 20;
    o.optout_agent = "clipcrawl";
    const char *u[] = {
        U("/status/404"),                                   /* 0 */
        U("/big?bytes=1000"),                               /* 1 */
        U("/big?bytes=2000000"),                            /* 2 */
        U("/gzip-bomb?bytes=8388608"),                      /* 3 */
        U("/gzip-bomb?bytes=500000"),                       /* 4 */
        U("/redirect/5"),                                   /* 5 */
        U("/redirect/6"),                                   /* 6 */
        U("/redirect-loop"),                                /* 7 */
        "file:///etc/passwd",                               /* 8 */
        "ftp://127.0.0.1/x",                                /* 9 */
        "gopher://127.0.0.1/",                              /* 10 */
        U("/redirect-to?url=file:///etc/passwd"),           /* 11 */
        U("/redirect-to?url=ftp://127.0.0.1/x"),            /* 12 */
        "not a url",                                        /* 13 */
        "http://",                                          /* 14 */
        U("/xrobots?v=noai"),                               /* 15 */
        U("/xrobots?v=otherbot:%20noai"),                   /* 16 */
        U("/xrobots?v=clipcrawl:%20noimageai"),             /* 17 */
        U("/xrobots?v=noindex&v=noai"),                     /* 18 */
        U("/tdm"),                                          /* 19 */
        U("/headers"),                                      /* 20 */
        U("/status/410"),                                   /* 21 */
        U("/empty"),                                        /* 22 */
    };
    int n = (int)(sizeof u / sizeof u[0]);
    run_urls(&o, u, n);
    EXPECT(0, HTTP_OUT_HTTP_ERROR, "http_404");
    CHECK_EQ_INT(R[0].status, 404);
    CHECK_EQ_INT(R[0].attempts, 1); /* 4xx is not retried */
    CHECK(strstr(R[0].body, "status 404") != NULL, "error body kept: %s", R[0].body);
    EXPECT(1, HTTP_OUT_OK, "ok");
    CHECK_EQ_INT(R[1].body_len, 1000);
    CHECK_EQ_INT(R[1].clen, 1000);
    CHECK_EQ_STR(R[1].ctype, "application/octet-stream");
    EXPECT(2, HTTP_OUT_TOO_LARGE, "too_large");
    CHECK_EQ_INT(R[2].body_len, 0);
    EXPECT(3, HTTP_OUT_TOO_LARGE, "too_large"); /* ~8 KB on the wire, 8 MiB decoded */
    EXPECT(4, HTTP_OUT_OK, "ok");
    CHECK_EQ_INT(R[4].body_len, 500000); /* decoded */
    EXPECT(5, HTTP_OUT_OK, "ok");
    CHECK_EQ_INT(R[5].redirects, 5);
    CHECK(strstr(R[5].final_url, "/redirect/0") != NULL, "final url %s", R[5].final_url);
    EXPECT(6, HTTP_OUT_TOO_MANY_REDIRECTS, "too_many_redirects");
    EXPECT(7, HTTP_OUT_TOO_MANY_REDIRECTS, "too_many_redirects");
    EXPECT(8, HTTP_OUT_REFUSED_SCHEME, "refused_scheme");
    CHECK_EQ_INT(R[8].attempts, 0);
    EXPECT(9, HTTP_OUT_REFUSED_SCHEME, "refused_scheme");
    EXPECT(10, HTTP_OUT_REFUSED_SCHEME, "refused_scheme");
    EXPECT(11, HTTP_OUT_REFUSED_SCHEME, "refused_scheme");
    EXPECT(12, HTTP_OUT_REFUSED_SCHEME, "refused_scheme");
    EXPECT(13, HTTP_OUT_BAD_URL, "bad_url");
    EXPECT(14, HTTP_OUT_BAD_URL, "bad_url");
    EXPECT(15, HTTP_OUT_OPTOUT, "noai");
    CHECK_EQ_INT(R[15].body_len, 0);
    EXPECT(16, HTTP_OUT_OK, "ok");
    CHECK_EQ_STR(R[16].xrt, "otherbot: noai");
    CHECK(R[16].body_len == 668, "image body: %zu", R[16].body_len);
    EXPECT(17, HTTP_OUT_OPTOUT, "noimageai");
    EXPECT(18, HTTP_OUT_OPTOUT, "noai");
    CHECK_EQ_STR(R[18].xrt, "noindex\nnoai");
    EXPECT(19, HTTP_OUT_OK, "ok");
    CHECK_EQ_STR(R[19].tdm, "1");
    EXPECT(20, HTTP_OUT_OK, "ok");
    CHECK(strstr(R[20].body, HTTP_DEFAULT_USER_AGENT) != NULL, "default user agent sent: %s", R[20].body);
    CHECK(strstr(R[20].body, "gzip") != NULL, "Accept-Encoding offers gzip: %s", R[20].body);
    EXPECT(21, HTTP_OUT_HTTP_ERROR, "http_410");
    EXPECT(22, HTTP_OUT_OK, "ok");
    CHECK_EQ_INT(R[22].body_len, 0);
    /* a redirect to a refused scheme is final: not retried */
    CHECK_EQ_INT(tu_access_log_count(srv, "/redirect-to?url=ftp:"), 1);

    /* per-request overrides: opt-out check off, bigger cap */
    res_reset();
    http_engine *e = http_engine_new(&o);
    http_request rq;
    http_request_init(&rq);
    rq.check_optout = 0;
    rq.max_bytes = 4 << 20;
    http_submit_ex(e, U("/xrobots?v=noai&r=1"), &rq, &R[0]);
    http_submit_ex(e, U("/big?bytes=2000000&r=1"), &rq, &R[1]);
    http_drain(e);
    http_engine_free(e);
    EXPECT(0, HTTP_OUT_OK, "ok");
    CHECK_EQ_STR(R[0].xrt, "noai");
    EXPECT(1, HTTP_OUT_OK, "ok");
    CHECK_EQ_INT(R[1].body_len, 2000000);
}

static void test_user_agent_and_chain(void)
{
    http_options o;
    opts(&o);
    o.user_agent = "testbot/9 (+mailto:ops@example.org)";
    const char *u[] = {U("/headers?ua=1")};
    chain_next = U("/status/200?chained=1");
    run_urls(&o, u, 1);
    EXPECT(0, HTTP_OUT_OK, "ok");
    CHECK(strstr(R[0].body, "testbot/9 (+mailto:ops@example.org)") != NULL, "custom UA: %s", R[0].body);
    CHECK(R[MAXR - 1].done == 1 && R[MAXR - 1].out == HTTP_OUT_OK, "a request submitted from on_done completes");
}

static void test_timeouts(void)
{
    http_options o;
    opts(&o);
    o.retries = 0;
    o.timeout = 1.5;
    o.low_speed_limit = 0; /* deadline only */
    const char *u[] = {U("/hang"), U("/slow?bytes=300&delay=8"), U("/slow?bytes=20000&delay=0.5")};
    double dt = run_urls(&o, u, 3);
    EXPECT(0, HTTP_OUT_TIMEOUT, "timeout");
    /* /hang never answers: the timeout outcome itself shows the deadline fired;
     * only the lower bound is timed (a loaded machine can only make it later) */
    CHECK(R[0].elapsed >= 1.4, "deadline 1.5 s: %.2f", R[0].elapsed);
    EXPECT(1, HTTP_OUT_TIMEOUT, "timeout");
    EXPECT(2, HTTP_OUT_OK, "ok"); /* 40 KB/s is fine */
    (void)dt;

    /* low-speed abort: < 1000 B/s for 1 s, long before the 20 s deadline;
     * a silent server (/hang) counts as slow too */
    o.timeout = 20;
    o.low_speed_limit = 1000;
    o.low_speed_time = 2;
    const char *u2[] = {U("/slow?bytes=300&delay=8&x=2"), U("/hang?x=2"), U("/slow?bytes=40000&delay=1&x=2")};
    run_urls(&o, u2, 3);
    EXPECT(0, HTTP_OUT_TIMEOUT, "low_speed");
    EXPECT(1, HTTP_OUT_TIMEOUT, "low_speed");
    EXPECT(2, HTTP_OUT_OK, "ok");
}

static void test_retries(void)
{
    http_options o;
    opts(&o);
    o.retries = 2;
    o.retry_base = 0.2;
    const char *u[] = {
        U("/retry-after?n=2&v=1"),         /* 0: two 429s with Retry-After: 1, then ok */
        U("/flaky?n=1"),                   /* 1: 503 once, then ok */
        U("/flaky?n=5"),                   /* 2: always 503 within the budget */
        U("/retry-after?n=1&v=2&date=1"),  /* 3: Retry-After as an HTTP-date */
    };
    /* the /flaky and /retry-after hosts are the same: the host backoff applies to all */
    run_urls(&o, u, 4);
    EXPECT(0, HTTP_OUT_OK, "ok");
    CHECK_EQ_INT(R[0].attempts, 3);
    CHECK(R[0].elapsed >= 1.9, "two Retry-After: 1 waits: %.2f s", R[0].elapsed);
    EXPECT(1, HTTP_OUT_OK, "ok");
    CHECK_EQ_INT(R[1].attempts, 2);
    EXPECT(2, HTTP_OUT_HTTP_ERROR, "http_503");
    CHECK_EQ_INT(R[2].attempts, 3);
    EXPECT(3, HTTP_OUT_OK, "ok");
    CHECK_EQ_INT(R[3].attempts, 2);
    CHECK(R[3].elapsed >= 0.9, "HTTP-date Retry-After honoured: %.2f s", R[3].elapsed);
    CHECK_EQ_INT(tu_access_log_count(srv, "/retry-after?n=2&v=1 "), 3);
    CHECK_EQ_INT(tu_access_log_count(srv, "/flaky?n=5 "), 3);

    /* the cap: Retry-After: 30 is honoured as 1 s */
    o.retry_after_cap = 1;
    const char *u2[] = {U("/retry-after?n=1&v=30")};
    run_urls(&o, u2, 1);
    EXPECT(0, HTTP_OUT_OK, "ok");
    /* 1 s against the 30 s asked for: the upper bound only has to tell the two apart */
    CHECK(R[0].elapsed >= 0.9 && R[0].elapsed < 20, "capped backoff: %.2f s", R[0].elapsed);

    /* a 429 backs off the HOST: a request queued behind it waits too */
    o.retry_after_cap = 60;
    res_reset();
    http_engine *e = http_engine_new(&o);
    http_submit(e, U("/retry-after?n=1&v=2&host=1"), &R[0]);
    http_stats st;
    double t0 = cc_now();
    do {
        http_run(e, 50);
        http_get_stats(e, &st);
    } while (st.retries == 0 && cc_now() - t0 < 10);
    double t429 = cc_now();
    http_submit(e, U("/status/200?behind=1"), &R[1]);
    http_drain(e);
    http_engine_free(e);
    EXPECT(0, HTTP_OUT_OK, "ok");
    EXPECT(1, HTTP_OUT_OK, "ok");
    CHECK(R[1].t_done - t429 >= 1.7, "same-host request waited for the backoff: %.2f s", R[1].t_done - t429);

    /* connection refused is transient: retried, then 'connect' */
    tu_server *tmp = tu_fault_server_start(NULL);
    char dead[64];
    snprintf(dead, sizeof dead, "%s/status/200", tu_server_base(tmp));
    tu_server_stop(tmp);
    o.retries = 1;
    o.retry_base = 0.05;
    const char *u3[] = {dead};
    run_urls(&o, u3, 1);
    EXPECT(0, HTTP_OUT_CONNECT, "connect");
    CHECK_EQ_INT(R[0].attempts, 2);
}

static void test_private(void)
{
    http_options o;
    opts(&o);
    o.allow_private = 0;
    char lh[128];
    snprintf(lh, sizeof lh, "http://localhost:%d/status/200?private=2", tu_server_port(srv));
    const char *u[] = {U("/status/200?private=1"), lh, U("/redirect/1?private=3")};
    run_urls(&o, u, 3);
    EXPECT(0, HTTP_OUT_PRIVATE_ADDRESS, "private_address");
    CHECK_EQ_INT(R[0].attempts, 1); /* a refusal is not retried */
    CHECK(strstr(R[0].errmsg, "127.0.0.1") != NULL, "message names the address: %s", R[0].errmsg);
    EXPECT(1, HTTP_OUT_PRIVATE_ADDRESS, "private_address");
    EXPECT(2, HTTP_OUT_PRIVATE_ADDRESS, "private_address");
    CHECK_EQ_INT(tu_access_log_count(srv, "private="), 0);
}

/* Request start times from the access log for lines containing tag. */
static int log_times(const char *tag, double *t, int max)
{
    char *text = tu_read_file(tu_server_access_log(srv), NULL);
    int n = 0;
    for (char *line = text; line && *line && n < max;) {
        char *eol = strchr(line, '\n');
        if (eol)
            *eol = 0;
        if (strstr(line, tag))
            t[n++] = strtod(line, NULL);
        if (!eol)
            break;
        line = eol + 1;
    }
    free(text);
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void test_politeness(void)
{
    http_options o;
    opts(&o);
    o.host_concurrency = 1;
    o.host_delay = 0.5;
    char buf[5][160];
    const char *u[5];
    for (int i = 0; i < 4; i++) {
        snprintf(buf[i], sizeof buf[i], "%s/sleep?delay=0.2&polite=%d", tu_server_base(srv), i);
        u[i] = buf[i];
    }
    /* another host name for the same server: not held up by the first host */
    snprintf(buf[4], sizeof buf[4], "http://localhost:%d/sleep?delay=0.2&polite=other", tu_server_port(srv));
    u[4] = buf[4];
    double dt = run_urls(&o, u, 5);
    for (int i = 0; i < 5; i++)
        EXPECT(i, HTTP_OUT_OK, "ok");
    /* The engine's own schedule (http_result.started, its clock): starts to
     * one host are at least the delay apart. What the server sees can be
     * closer under load (a request delayed on its way, the next one not),
     * so arrival times are only checked for their order. */
    double t[8], mine[4];
    CHECK_EQ_INT(log_times("polite=", t, 8), 5);
    for (int i = 0; i < 4; i++)
        mine[i] = R[i].started;
    qsort(mine, 4, sizeof mine[0], cmp_double);
    for (int i = 1; i < 4; i++)
        CHECK(mine[0] > 0 && mine[i] - mine[i - 1] >= 0.5 - 1e-6, "starts to one host %.6f s apart (delay 0.5)",
              mine[i] - mine[i - 1]);
    /* host concurrency 1: the server got them one after another, in the
     * order the engine started them */
    double arr[4];
    for (int i = 0; i < 4; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "polite=%d", i);
        CHECK_EQ_INT(log_times(tag, arr + i, 1), 1);
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            if (R[i].started < R[j].started)
                CHECK(arr[i] < arr[j], "server order differs from start order: %d before %d", j, i);
    CHECK(dt >= 1.5, "4 requests with 0.5 s delay take >= 1.5 s: %.2f", dt);
    /* the other host started in the first pass, not after the first host's delay */
    CHECK(R[4].started > 0 && R[4].started < mine[1], "the other host was held up: started %.3f s after the first",
          R[4].started - mine[0]);

    /* a per-host delay (Crawl-delay) overrides the default for that host only */
    o.host_delay = 0;
    res_reset();
    http_engine *e = http_engine_new(&o);
    http_host_set_delay(e, "LOCALHOST", 0.6);
    char lu[3][128];
    for (int i = 0; i < 3; i++) {
        snprintf(lu[i], sizeof lu[i], "http://localhost:%d/status/200?crawldelay=%d", tu_server_port(srv), i);
        http_submit(e, lu[i], &R[i]);
        snprintf(buf[i], sizeof buf[i], "%s/status/200?nodelay=%d", tu_server_base(srv), i);
        http_submit(e, buf[i], &R[3 + i]);
    }
    http_drain(e);
    http_engine_free(e);
    double cd[3];
    CHECK_EQ_INT(log_times("crawldelay=", cd, 3), 3);
    for (int i = 0; i < 3; i++)
        cd[i] = R[i].started;
    qsort(cd, 3, sizeof cd[0], cmp_double);
    CHECK(cd[1] - cd[0] >= 0.6 - 1e-6 && cd[2] - cd[1] >= 0.6 - 1e-6, "Crawl-delay 0.6 s honoured: %.6f %.6f",
          cd[1] - cd[0], cd[2] - cd[1]);
    for (int i = 3; i < 6; i++)
        CHECK(R[i].started > 0 && R[i].started < cd[1], "other host delayed: request %d started %.3f s after the first",
              i, R[i].started - cd[0]);

    /* concurrency 1 without delay: no two transfers to one host overlap */
    o.host_delay = 0;
    for (int i = 0; i < 3; i++) {
        snprintf(buf[i], sizeof buf[i], "%s/sleep?delay=0.4&serial=%d", tu_server_base(srv), i);
        u[i] = buf[i];
    }
    double dt_serial = run_urls(&o, u, 3);
    CHECK(dt_serial >= 1.15, "3 × 0.4 s at host concurrency 1 are serial: %.2f s", dt_serial);
    o.host_concurrency = 0;
    for (int i = 0; i < 3; i++)
        snprintf(buf[i], sizeof buf[i], "%s/sleep?delay=0.4&parallel=%d", tu_server_base(srv), i);
    dt = run_urls(&o, u, 3);
    CHECK(dt < dt_serial - 0.4, "and overlap without the limit: %.2f s (serial %.2f s)", dt, dt_serial);
}

/* A caller keeps http_pending() bounded while feeding a long list. */
static void test_bounded_feed(void)
{
    http_options o;
    opts(&o);
    o.max_concurrency = 8;
    res_reset();
    http_engine *e = http_engine_new(&o);
    int next = 0, total = 200, maxpend = 0;
    while (next < total || http_pending(e)) {
        while (next < total && http_pending(e) < 16) {
            char url[128];
            snprintf(url, sizeof url, "%s/status/200?feed=%d", tu_server_base(srv), next);
            http_submit(e, url, &R[next % 32]);
            next++;
        }
        if ((int)http_pending(e) > maxpend)
            maxpend = (int)http_pending(e);
        http_run(e, 100);
    }
    http_stats st;
    http_get_stats(e, &st);
    http_engine_free(e);
    CHECK_EQ_INT(st.submitted, total);
    CHECK_EQ_INT(st.completed, total);
    CHECK(maxpend <= 16, "pending stayed bounded: %d", maxpend);
    CHECK_EQ_INT(tu_access_log_count(srv, "feed="), total);
}

/* Freeing an engine with requests in flight, queued and waiting to retry
 * calls no callback and leaks nothing (the ASan build checks the latter). */
/* on_drop: how often each R[i] came back abandoned, and with which ctx. */
static int dropped[MAXR], drop_ctx_ok = 1;
static void on_drop(void *ctx, void *user)
{
    if (ctx != &done_ctx_marker)
        drop_ctx_ok = 0;
    dropped[(int)((char *)user - (char *)R) / (int)sizeof R[0]]++;
}

static void test_free_busy(void)
{
    http_options o;
    opts(&o);
    o.on_drop = on_drop;
    memset(dropped, 0, sizeof dropped);
    o.host_concurrency = 1;
    o.retry_base = 5;
    res_reset();
    http_engine *e = http_engine_new(&o);
    http_submit(e, U("/flaky?n=3&code=500&busy=1"), &R[0]); /* waits to retry; 500 does not back off the host */
    http_submit(e, U("/hang?busy=2"), &R[1]);       /* in flight */
    http_submit(e, U("/status/200?busy=3"), &R[2]); /* queued behind it */
    http_submit(e, "ftp://x/", &R[3]);              /* completed, not yet delivered */
    http_stats st;
    double t0 = cc_now();
    do {
        http_run(e, 50);
        http_get_stats(e, &st);
    } while ((st.retries == 0 || st.attempts < 2) && cc_now() - t0 < 5);
    CHECK(st.retries == 1 && http_pending(e) == 3, "state before free: retries %llu pending %zu",
          (unsigned long long)st.retries, http_pending(e));
    http_submit(e, "gopher://x/", &R[4]);
    http_engine_free(e);
    CHECK(R[0].done == 0 && R[1].done == 0 && R[2].done == 0 && R[4].done == 0, "no callbacks after free");
    /* every abandoned request (waiting to retry, in flight, queued, completed
     * but undelivered) comes back once through on_drop; the delivered one not */
    CHECK(dropped[0] == 1 && dropped[1] == 1 && dropped[2] == 1 && dropped[4] == 1 && dropped[3] == 0,
          "on_drop calls: %d %d %d %d %d", dropped[0], dropped[1], dropped[2], dropped[3], dropped[4]);
    CHECK(drop_ctx_ok, "on_drop gets options.ctx");
    http_engine_free(NULL);
    http_options bad;
    http_options_init(&bad);
    CHECK(http_engine_new(&bad) == NULL, "on_done is required");
}

static void *wake_later(void *arg)
{
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    http_wakeup(arg);
    return NULL;
}

/* http_run with nothing pending waits (no spin) and a wakeup from another
 * thread cuts the wait short, also while transfers run. */
static void test_idle_and_wakeup(void)
{
    http_options o;
    opts(&o);
    res_reset();
    http_engine *e = http_engine_new(&o);
    double c0 = cc_cpu_seconds(), t0 = cc_now();
    int calls = 0;
    while (cc_now() - t0 < 0.5) {
        http_run(e, 100);
        calls++;
    }
    CHECK(calls <= 6, "idle http_run waits its timeout: %d calls in 0.5 s", calls);
    CHECK(cc_cpu_seconds() - c0 < 0.1, "idle http_run does not spin: %.3f CPU s", cc_cpu_seconds() - c0);
    pthread_t th;
    pthread_create(&th, NULL, wake_later, e);
    t0 = cc_now();
    http_run(e, 5000);
    double waited = cc_now() - t0;
    pthread_join(th, NULL);
    /* the wait asked for is 5 s: returning before it is what a wakeup does */
    CHECK(waited > 0.1 && waited < 4.5, "wakeup ends an idle wait: %.2f s", waited);
    http_submit(e, U("/sleep?delay=3&wake=1"), &R[0]);
    pthread_create(&th, NULL, wake_later, e);
    t0 = cc_now();
    int n = http_run(e, 5000);
    waited = cc_now() - t0;
    pthread_join(th, NULL);
    CHECK(n == 0 && waited < 4.5, "wakeup ends a busy wait: %.2f s, %d done", waited, n);
    http_engine_free(e);
}

/* Backpressure: a held engine starts nothing new, but what runs finishes. */
static void test_hold(void)
{
    http_options o;
    opts(&o);
    o.max_concurrency = 2;
    res_reset();
    http_engine *e = http_engine_new(&o);
    http_submit(e, U("/sleep?delay=0.5&hold=1"), &R[0]);
    http_submit(e, U("/sleep?delay=0.5&hold=2"), &R[1]);
    http_submit(e, U("/sleep?delay=0.1&hold=3"), &R[2]);
    http_submit(e, U("/sleep?delay=0.1&hold=4"), &R[3]);
    http_run(e, 50); /* starts the first two */
    http_hold(e, 1);
    double t0 = cc_now();
    while (cc_now() - t0 < 1.5 && !(R[0].done && R[1].done))
        http_run(e, 100);
    CHECK(R[0].done == 1 && R[1].done == 1, "in-flight transfers complete while held");
    EXPECT(0, HTTP_OUT_OK, "ok");
    t0 = cc_now();
    while (cc_now() - t0 < 0.6)
        http_run(e, 100);
    CHECK(R[2].done == 0 && R[3].done == 0, "nothing new starts while held");
    CHECK_EQ_INT(tu_access_log_count(srv, "hold=3"), 0);
    http_hold(e, 0);
    t0 = cc_now();
    while (http_pending(e) && cc_now() - t0 < 10)
        http_run(e, 100);
    CHECK(R[2].done == 1 && R[3].done == 1, "released: the rest runs");
    http_engine_free(e);
}

/* The shared helpers other test programs rely on: nginx, tu_run. */
static void test_testutil(void)
{
    char *root = tu_mkdtemp("nginx-root");
    char *f = xasprintf("%s/hello.txt", root);
    tu_write_file(f, "hello nginx\n", 12);
    char *d = xasprintf("%s/img", root);
    cc_mkdirs(d, 0755);
    char *img = xasprintf("%s/img/a b.jpg", root);
    tu_write_file(img, "\xff\xd8\xff", 3);
    tu_server *ng = tu_nginx_start(root);
    CHECK(tu_server_port(ng) > 0, "nginx port");
    http_options o;
    opts(&o);
    char u0[128], u1[128], u2[128];
    snprintf(u0, sizeof u0, "%s/hello.txt", tu_server_base(ng));
    snprintf(u1, sizeof u1, "%s/img/a%%20b.jpg", tu_server_base(ng));
    snprintf(u2, sizeof u2, "%s/missing.jpg", tu_server_base(ng));
    const char *u[] = {u0, u1, u2};
    run_urls(&o, u, 3);
    EXPECT(0, HTTP_OUT_OK, "ok");
    CHECK_EQ_STR(R[0].body, "hello nginx\n");
    CHECK_EQ_STR(R[0].ctype, "text/plain");
    EXPECT(1, HTTP_OUT_OK, "ok");
    CHECK_EQ_STR(R[1].ctype, "image/jpeg");
    EXPECT(2, HTTP_OUT_HTTP_ERROR, "http_404");
    CHECK_EQ_INT(tu_access_log_wait(ng, NULL, 3, 3.0), 3);
    CHECK_EQ_INT(tu_access_log_count(ng, "GET /hello.txt"), 1);
    char *log = tu_read_file(tu_server_access_log(ng), NULL);
    CHECK(log && strstr(log, "\"GET /missing.jpg HTTP/1.1\" 404") && strstr(log, "clipcrawl/0.1"),
          "nginx access log format: %s", log ? log : "(none)");
    free(log);
    tu_server_stop(ng);
    tu_rm_rf(root);
    free(root), free(f), free(d), free(img);

    tu_output out;
    const char *argv[] = {"/bin/sh", "-c", "cat; echo to-err >&2; exit 3", NULL};
    tu_run(argv, "from stdin\n", 10, &out);
    CHECK_EQ_STR(tu_str(&out.out), "from stdin\n");
    CHECK_EQ_STR(tu_str(&out.err), "to-err\n");
    CHECK_EQ_INT(out.status, 3);
    tu_output_free(&out);
    const char *argv2[] = {"/bin/sh", "-c", "sleep 30", NULL};
    double t0 = cc_now();
    tu_run(argv2, NULL, 0.5, &out);
    CHECK(out.status == 128 + 9 && cc_now() - t0 < 20, "timeout kills: status %d", out.status);
    tu_output_free(&out);
}

static void test_wire_url(void)
{
    struct {
        const char *in, *want;
        http_outcome why;
    } cases[] = {
        {"http://example.com/a b.jpg", "http://example.com/a%20b.jpg", HTTP_OUT_OK},
        {"  https://example.com/x?q=a b#frag \n", "https://example.com/x?q=a%20b", HTTP_OUT_OK},
        {"http://example.com/%20already", "http://example.com/%20already", HTTP_OUT_OK},
        {"http://example.com/caf\xc3\xa9.jpg", "http://example.com/caf%C3%A9.jpg", HTTP_OUT_OK},
        {"http://b\xc3\xbc" "cher.example/x.jpg", "http://xn--bcher-kva.example/x.jpg", HTTP_OUT_OK},
        {"http://user:pw@B\xc3\xbc" "cher.example:8080/x", "http://user:pw@xn--bcher-kva.example:8080/x", HTTP_OUT_OK},
        {"http://\xe4\xbe\x8b\xe5\xad\x90.\xe6\xb5\x8b\xe8\xaf\x95/", "http://xn--fsqu00a.xn--0zwm56d/", HTTP_OUT_OK},
        {"http://[::1]:8080/a\"b", "http://[::1]:8080/a%22b", HTTP_OUT_OK},
        {"http://example.com/a\tb\r\nc", "http://example.com/abc", HTTP_OUT_OK},
        {"HTTP://Example.com", "HTTP://Example.com", HTTP_OUT_OK},
        {"http:///x.jpg", NULL, HTTP_OUT_BAD_URL},
        {"http://", NULL, HTTP_OUT_BAD_URL},
        {"http://:80/x", NULL, HTTP_OUT_BAD_URL},
        {"http://user@/x", NULL, HTTP_OUT_BAD_URL},
        {"http:/x.jpg", NULL, HTTP_OUT_BAD_URL},
        {"http://exa mple.com/", NULL, HTTP_OUT_BAD_URL},
        {"http://[::1/", NULL, HTTP_OUT_BAD_URL},
        {"http://\xff\xfe.example/", NULL, HTTP_OUT_BAD_URL},
        {"//example.com/x", NULL, HTTP_OUT_BAD_URL},
        {"", NULL, HTTP_OUT_BAD_URL},
        {"ftp://example.com/x", NULL, HTTP_OUT_REFUSED_SCHEME},
        {"file:///etc/passwd", NULL, HTTP_OUT_REFUSED_SCHEME},
        {"javascript:alert(1)", NULL, HTTP_OUT_REFUSED_SCHEME},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_outcome why = HTTP_OUT_OTHER;
        char e[256] = "";
        char *w = http_wire_url(cases[i].in, &why, e, sizeof e);
        CHECK(why == cases[i].why, "case %zu: outcome %s want %s (%s)", i, http_outcome_name(why),
              http_outcome_name(cases[i].why), e);
        if (cases[i].want)
            CHECK(w && strcmp(w, cases[i].want) == 0, "case %zu: got %s want %s", i, w ? w : "(null)", cases[i].want);
        else
            CHECK(w == NULL && e[0], "case %zu: refused with a message (%s)", i, e);
        free(w);
    }
    /* an 8 KB URL passes through unchanged */
    char *big = xmalloc(8200);
    strcpy(big, "http://example.com/");
    memset(big + 19, 'a', 8100);
    big[8119] = 0;
    http_outcome why;
    char *w = http_wire_url(big, &why, NULL, 0);
    CHECK(w && strcmp(w, big) == 0, "8 KB URL");
    free(w);
    free(big);
    CHECK_EQ_STR(http_outcome_name(HTTP_OUT_BAD_RESPONSE), "bad_response");
}

int main(void)
{
    test_testutil();
    test_classifier();
    test_retry_after_parse();
    test_wire_url();
    srv = tu_fault_server_start(NULL);
    test_concurrency();
    test_basic_outcomes();
    test_user_agent_and_chain();
    test_private();
    test_timeouts();
    test_retries();
    test_politeness();
    test_bounded_feed();
    test_free_busy();
    test_idle_and_wakeup();
    test_hold();
    tu_server_stop(srv);
    res_reset();
    return check_summary();
}
