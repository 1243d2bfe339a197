/* http.c — libcurl multi engine; see http.h for the promises. */
#include "http.h"
#include "optout.h"
#include "strmap.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Non-2xx bodies are kept only this far: an error page is for diagnostics. */
#define ERROR_BODY_KEEP (64u * 1024u)
#define GC_INTERVAL 10.0

typedef struct host host;
typedef struct req req;

struct req {
    http_engine *e;
    char *url;
    char *wire;                 /* what is requested: http_wire_url(url) */
    void *user;
    host *h;
    req *qnext;                 /* host queue / done list */
    req *aprev, *anext;         /* active list */
    size_t max_bytes;
    int retries;
    int check_optout;
    int no_follow;              /* 1: a 3xx is handed back, not followed */
    int keep_prefix;            /* 1: a body over max_bytes keeps its first max_bytes */
    int attempts;
    double submitted, first_start, attempt_start, not_before;
    http_outcome immediate;     /* for requests completed without I/O */
    const char *immediate_reason;
    CURL *easy;
    ccbuf body;
    long status_seen;           /* status known in the write callback */
    int headers_checked, too_large, private_hit, is_active;
    const char *optout_reason;
    char private_addr[INET6_ADDRSTRLEN + 8];
    char errbuf[CURL_ERROR_SIZE];
};

struct host {
    char *name;
    req *qhead, *qtail;
    host *rprev, *rnext;
    int in_ready;
    int active;
    size_t refs;                /* requests referring to this host */
    double next_start, backoff_until;
    double delay;               /* < 0: the engine's host_delay */
};

struct http_engine {
    http_options o;
    char *ua, *optout_agent;
    struct curl_slist *resolve;
    CURLM *multi;
    CURLSH *share;
    cc_strmap hosts;            /* name -> host * */
    host *ready_head, *ready_tail;
    req **heap;
    size_t heap_len, heap_cap;
    req *done_head, *done_tail;
    req *active_head;
    size_t pending;
    int active;
    uint64_t rng;
    double last_gc;
    http_stats st;
    atomic_int woken;           /* set by http_wakeup() from any thread */
    int held;                   /* http_hold(): start nothing new */
};

/* ---- small helpers ------------------------------------------------------ */

const char *http_outcome_name(http_outcome o)
{
    static const char *names[HTTP_OUT__COUNT] = {
        "ok", "http_error", "timeout", "too_large", "dns", "connect", "refused_scheme",
        "private_address", "too_many_redirects", "optout", "other", "bad_url", "bad_response",
    };
    return (unsigned)o < HTTP_OUT__COUNT ? names[o] : "unknown";
}

ccbuf http_result_take_body(http_result *r)
{
    ccbuf b = r->body;
    memset(&r->body, 0, sizeof r->body);
    return b;
}

void http_options_init(http_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_concurrency = 64;
    o->host_concurrency = 0;
    o->host_delay = 0;
    o->connect_timeout = 10;
    o->timeout = 30;
    o->low_speed_limit = 1024;
    o->low_speed_time = 10;
    o->max_bytes = 64u << 20;
    o->max_redirects = 5;
    o->retries = 2;
    o->retry_base = 1.0;
    o->retry_after_cap = 60;
    o->user_agent = HTTP_DEFAULT_USER_AGENT;
}

void http_request_init(http_request *rq)
{
    rq->max_bytes = (size_t)-1;
    rq->retries = -1;
    rq->check_optout = -1;
    rq->follow_redirects = -1;
    rq->keep_prefix = 0;
}

static double rand01(http_engine *e)
{
    /* xorshift64*: jitter only, no need for quality */
    e->rng ^= e->rng >> 12;
    e->rng ^= e->rng << 25;
    e->rng ^= e->rng >> 27;
    return (double)((e->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* ---- address classifier --------------------------------------------------- */

static int v4_private(uint32_t a)
{
    static const struct { uint32_t net; int bits; } nets[] = {
        {0x00000000, 8},  /* 0/8 "this network" */
        {0x0A000000, 8},  /* 10/8 */
        {0x64400000, 10}, /* 100.64/10 CGNAT */
        {0x7F000000, 8},  /* 127/8 */
        {0xA9FE0000, 16}, /* 169.254/16 link-local, cloud metadata */
        {0xAC100000, 12}, /* 172.16/12 */
        {0xC0000000, 24}, /* 192.0.0/24 IETF protocol assignments */
        {0xC0000200, 24}, /* 192.0.2/24 TEST-NET-1 */
        {0xC0A80000, 16}, /* 192.168/16 */
        {0xC6120000, 15}, /* 198.18/15 benchmarking */
        {0xC6336400, 24}, /* 198.51.100/24 TEST-NET-2 */
        {0xCB007100, 24}, /* 203.0.113/24 TEST-NET-3 */
        {0xE0000000, 4},  /* 224/4 multicast */
        {0xF0000000, 4},  /* 240/4 reserved, incl. 255.255.255.255 */
    };
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        uint32_t mask = 0xFFFFFFFFu << (32 - nets[i].bits);
        if ((a & mask) == nets[i].net)
            return 1;
    }
    return 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int http_address_is_private(const struct sockaddr *a)
{
    if (!a)
        return 1;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)a;
        return v4_private(ntohl(s->sin_addr.s_addr));
    }
    if (a->sa_family != AF_INET6)
        return 1;
    const unsigned char *b = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
    static const unsigned char zero12[12] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (memcmp(b, zero12, 12) == 0)       /* ::, ::1, ::a.b.c.d (compat) */
        return v4_private(be32(b + 12)); /* 0.0.0.0/0.0.0.1 fall in 0/8 */
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
        return v4_private(be32(b + 12));
    if (b[0] == 0x20 && b[1] == 0x02)        /* 2002::/16 6to4 embeds an IPv4 */
        return v4_private(be32(b + 2));
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
        return 1;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) /* fec0::/10 old site-local */
        return 1;
    if ((b[0] & 0xfe) == 0xfc)                /* fc00::/7 unique local */
        return 1;
    if (b[0] == 0xff)                         /* ff00::/8 multicast */
        return 1;
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) /* 2001:db8::/32 */
        return 1;
    if (b[0] == 0x01 && b[1] == 0 && memcmp(b + 2, zero12, 6) == 0)  /* 100::/64 discard */
        return 1;
    return 0;
}

double http_parse_retry_after(const char *v)
{
    if (!v)
        return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (!*v)
        return -1;
    if (*v >= '0' && *v <= '9') {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        while (*end == ' ' || *end == '\t' || *end == '\r')
            end++;
        if (errno || *end || !(d >= 0) || d > 1e9)
            return -1;
        return d;
    }
    time_t t = curl_getdate(v, NULL);
    if (t == (time_t)-1)
        return -1;
    double d = difftime(t, time(NULL));
    return d < 0 ? 0 : d;
}

/* ---- hosts ---------------------------------------------------------------------- */

static host *host_get(http_engine *e, const char *name)
{
    uintptr_t v;
    if (cc_strmap_get(&e->hosts, name, &v))
        return (host *)v;
    host *h = xcalloc(1, sizeof *h);
    h->name = xstrdup(name);
    h->delay = -1;
    cc_strmap_put(&e->hosts, name, (uintptr_t)h);
    return h;
}

static void ready_add(http_engine *e, host *h)
{
    if (h->in_ready)
        return;
    h->in_ready = 1;
    h->rnext = NULL;
    h->rprev = e->ready_tail;
    if (e->ready_tail)
        e->ready_tail->rnext = h;
    else
        e->ready_head = h;
    e->ready_tail = h;
}

static void ready_remove(http_engine *e, host *h)
{
    if (!h->in_ready)
        return;
    if (h->rprev)
        h->rprev->rnext = h->rnext;
    else
        e->ready_head = h->rnext;
    if (h->rnext)
        h->rnext->rprev = h->rprev;
    else
        e->ready_tail = h->rprev;
    h->rprev = h->rnext = NULL;
    h->in_ready = 0;
}

/* Drops idle hosts whose politeness state has expired, so a list with
 * millions of hosts does not grow the table forever. */
static void hosts_gc(http_engine *e, double now)
{
    size_t pos = 0;
    const char *name;
    uintptr_t v;
    while (cc_strmap_next(&e->hosts, &pos, &name, &v)) {
        host *h = (host *)v;
        if (h->refs == 0 && h->delay < 0 && h->next_start <= now && h->backoff_until <= now) {
            cc_strmap_remove(&e->hosts, name, NULL); /* safe while iterating */
            free(h->name);
            free(h);
        }
    }
}

/* ---- timer heap (requests waiting to retry) --------------------------------- */

static void heap_push(http_engine *e, req *r)
{
    if (e->heap_len == e->heap_cap) {
        e->heap_cap = e->heap_cap ? e->heap_cap * 2 : 64;
        e->heap = xrealloc(e->heap, e->heap_cap * sizeof *e->heap);
    }
    size_t i = e->heap_len++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (e->heap[p]->not_before <= r->not_before)
            break;
        e->heap[i] = e->heap[p];
        i = p;
    }
    e->heap[i] = r;
}

static req *heap_pop(http_engine *e)
{
    req *top = e->heap[0];
    req *last = e->heap[--e->heap_len];
    size_t i = 0, n = e->heap_len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && e->heap[c + 1]->not_before < e->heap[c]->not_before)
            c++;
        if (last->not_before <= e->heap[c]->not_before)
            break;
        e->heap[i] = e->heap[c];
        i = c;
    }
    if (n)
        e->heap[i] = last;
    return top;
}

/* ---- engine ------------------------------------------------------------------------ */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

http_engine *http_engine_new(const http_options *o)
{
    if (!o || !o->on_done) {
        cc_log(CC_LOG_ERROR, "http_engine_new: on_done callback is required");
        return NULL;
    }
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) {
        cc_log(CC_LOG_ERROR, "curl_global_init: %s", curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    http_engine *e = xcalloc(1, sizeof *e);
    e->o = *o;
    if (e->o.max_concurrency <= 0)
        e->o.max_concurrency = 64;
    if (e->o.max_concurrency > 10000)
        e->o.max_concurrency = 10000;
    if (e->o.host_concurrency < 0)
        e->o.host_concurrency = 0;
    if (!(e->o.host_delay >= 0))
        e->o.host_delay = 0;
    if (!(e->o.connect_timeout > 0))
        e->o.connect_timeout = 10;
    if (!(e->o.timeout > 0))
        e->o.timeout = 30;
    if (e->o.low_speed_limit < 0)
        e->o.low_speed_limit = 0;
    if (e->o.low_speed_time <= 0)
        e->o.low_speed_time = 10;
    if (e->o.max_redirects < 0)
        e->o.max_redirects = 5;
    if (e->o.retries < 0)
        e->o.retries = 0;
    if (!(e->o.retry_base >= 0))
        e->o.retry_base = 1;
    if (!(e->o.retry_after_cap > 0))
        e->o.retry_after_cap = 60;
    e->ua = xstrdup(o->user_agent && *o->user_agent ? o->user_agent : HTTP_DEFAULT_USER_AGENT);
    e->optout_agent = xstrdup(o->optout_agent);
    e->o.user_agent = e->ua;
    e->o.optout_agent = e->optout_agent;
    for (const char *const *rs = o->resolve; rs && *rs; rs++)
        e->resolve = curl_slist_append(e->resolve, *rs);
    e->o.resolve = NULL;

    e->multi = curl_multi_init();
    e->share = curl_share_init();
    if (!e->multi || !e->share) {
        cc_log(CC_LOG_ERROR, "libcurl: cannot create multi/share handle");
        http_engine_free(e);
        return NULL;
    }
    /* One thread drives every handle, so the share needs no lock callbacks. */
    curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)e->o.max_concurrency);
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long)e->o.max_concurrency);

    e->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)(cc_wallclock() * 1e6) ^ (uintptr_t)e;
    if (!e->rng)
        e->rng = 88172645463325252ULL;
    e->last_gc = cc_now();
    return e;
}

static void req_free(req *r)
{
    if (!r)
        return;
    if (r->easy)
        curl_easy_cleanup(r->easy);
    ccbuf_free(&r->body);
    free(r->url);
    free(r->wire);
    free(r);
}

/* A request the engine gives up without an outcome: the caller's user
 * pointer goes back through on_drop, so nothing it owns leaks. */
static void req_abandon(http_engine *e, req *r)
{
    if (e->o.on_drop)
        e->o.on_drop(e->o.ctx, r->user);
    req_free(r);
}

void http_engine_free(http_engine *e)
{
    if (!e)
        return;
    for (req *r = e->active_head; r;) {
        req *next = r->anext;
        curl_multi_remove_handle(e->multi, r->easy);
        req_abandon(e, r);
        r = next;
    }
    for (size_t i = 0; i < e->heap_len; i++)
        req_abandon(e, e->heap[i]);
    for (req *r = e->done_head; r;) {
        req *next = r->qnext;
        req_abandon(e, r);
        r = next;
    }
    size_t pos = 0;
    uintptr_t v;
    while (cc_strmap_next(&e->hosts, &pos, NULL, &v)) {
        host *h = (host *)v;
        for (req *r = h->qhead; r;) {
            req *rn = r->qnext;
            req_abandon(e, r);
            r = rn;
        }
        free(h->name);
        free(h);
    }
    cc_strmap_free(&e->hosts);
    free(e->heap);
    if (e->multi)
        curl_multi_cleanup(e->multi);
    if (e->share)
        curl_share_cleanup(e->share);
    free(e->ua);
    free(e->optout_agent);
    curl_slist_free_all(e->resolve);
    free(e);
}

size_t http_pending(const http_engine *e) { return e->pending; }

void http_host_set_delay(http_engine *e, const char *name, double seconds)
{
    if (!name || !*name)
        return;
    char *lower = xstrdup(name);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    host *h = host_get(e, lower);
    free(lower);
    double old = h->delay >= 0 ? h->delay : e->o.host_delay;
    h->delay = seconds >= 0 ? seconds : -1;
    /* a start already scheduled under the old delay moves with it */
    double now_delay = h->delay >= 0 ? h->delay : e->o.host_delay;
    if (h->next_start > 0)
        h->next_start += now_delay - old;
}

void http_get_stats(const http_engine *e, http_stats *s) { *s = e->st; }

static void done_push(http_engine *e, req *r)
{
    r->qnext = NULL;
    if (e->done_tail)
        e->done_tail->qnext = r;
    else
        e->done_head = r;
    e->done_tail = r;
}

static void host_enqueue(http_engine *e, host *h, req *r, int front)
{
    if (front) {
        r->qnext = h->qhead;
        h->qhead = r;
        if (!h->qtail)
            h->qtail = r;
    } else {
        r->qnext = NULL;
        if (h->qtail)
            h->qtail->qnext = r;
        else
            h->qhead = r;
        h->qtail = r;
    }
    ready_add(e, h);
}

void http_submit_ex(http_engine *e, const char *url, const http_request *rq, void *user)
{
    req *r = xcalloc(1, sizeof *r);
    r->e = e;
    r->url = xstrdup(url ? url : "");
    r->user = user;
    r->submitted = cc_now();
    r->max_bytes = rq && rq->max_bytes != (size_t)-1 ? rq->max_bytes : e->o.max_bytes;
    r->retries = rq && rq->retries >= 0 ? rq->retries : e->o.retries;
    r->check_optout = rq && rq->check_optout >= 0 ? rq->check_optout : (e->optout_agent != NULL);
    r->no_follow = rq && rq->follow_redirects == 0;
    r->keep_prefix = rq && rq->keep_prefix;
    if (!e->optout_agent)
        r->check_optout = 0;
    e->pending++;
    e->st.submitted++;

    CURLU *u = curl_url();
    char *scheme = NULL, *hostname = NULL;
    http_outcome why;
    r->wire = http_wire_url(r->url, &why, r->errbuf, sizeof r->errbuf);
    CURLUcode uc = r->wire ? curl_url_set(u, CURLUPART_URL, r->wire, CURLU_NON_SUPPORT_SCHEME) : CURLUE_OK;
    if (!r->wire) {
        r->immediate = why;
        r->immediate_reason = why == HTTP_OUT_REFUSED_SCHEME ? "refused_scheme" : "bad_url";
    } else if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (!r->wire) {
        /* refused above, with the reason in errbuf */
    } else if (uc == CURLUE_OK && scheme && strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
        r->immediate = HTTP_OUT_REFUSED_SCHEME;
        r->immediate_reason = "refused_scheme";
        snprintf(r->errbuf, sizeof r->errbuf, "scheme '%s' is not http or https", scheme);
    } else if (uc == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &hostname, 0) == CURLUE_OK && hostname &&
               *hostname) {
        for (char *p = hostname; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    } else {
        r->immediate = HTTP_OUT_BAD_URL;
        r->immediate_reason = "bad_url";
        snprintf(r->errbuf, sizeof r->errbuf, "bad URL: %s",
                 uc != CURLUE_OK ? curl_url_strerror(uc) : "no host");
    }
    if (r->immediate_reason) {
        done_push(e, r);
    } else {
        host *h = host_get(e, hostname);
        h->refs++;
        r->h = h;
        host_enqueue(e, h, r, 0);
    }
    curl_free(scheme);
    curl_free(hostname);
    curl_url_cleanup(u);
}

void http_submit(http_engine *e, const char *url, void *user)
{
    http_submit_ex(e, url, NULL, user);
}

/* ---- per-transfer callbacks ------------------------------------------------- */

static void collect_header(CURL *c, const char *name, ccbuf *out, const char *sep)
{
    struct curl_header *hd;
    size_t n = 0;
    for (size_t i = 0;; i++) {
        if (curl_easy_header(c, name, i, CURLH_HEADER, -1, &hd) != CURLHE_OK)
            break;
        if (out->len && sep)
            ccbuf_puts(out, sep);
        ccbuf_puts(out, hd->value ? hd->value : "");
        n = hd->amount;
        if (!sep || i + 1 >= n)
            break;
    }
}

/* Looks at the headers of a 2xx response for an X-Robots-Tag opt-out. */
static void check_optout(req *r)
{
    r->headers_checked = 1;
    if (!r->check_optout)
        return;
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        return;
    ccbuf xr = {0};
    collect_header(r->easy, "X-Robots-Tag", &xr, "\n");
    if (xr.len)
        r->optout_reason = optout_reason(optout_xrobots((const char *)xr.data, r->e->optout_agent));
    ccbuf_free(&xr);
}

static size_t write_cb(char *p, size_t sz, size_t n, void *ud)
{
    req *r = ud;
    size_t len = sz * n;
    if (!r->headers_checked) {
        check_optout(r);
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status_seen);
        if (r->optout_reason)
            return 0; /* stop: the owner said no, don't take the bytes */
    }
    if (r->status_seen < 200 || r->status_seen > 299) {
        if (r->body.len < ERROR_BODY_KEEP)
            ccbuf_append(&r->body, p, len < ERROR_BODY_KEEP - r->body.len ? len : ERROR_BODY_KEEP - r->body.len);
        return len;
    }
    /* These bytes are already decoded (libcurl undoes Content-Encoding
     * before calling us), so the cap is on the real size. */
    if (r->max_bytes && (r->body.len + len > r->max_bytes || r->body.len + len < r->body.len)) {
        r->too_large = 1;
        if (r->keep_prefix && r->body.len < r->max_bytes) /* the first max_bytes stay */
            ccbuf_append(&r->body, p, r->max_bytes - r->body.len);
        return 0;
    }
    ccbuf_append(&r->body, p, len);
    return len;
}

/* 127/8 and ::1 (the tests' servers), nothing else private. */
static int is_loopback(const struct sockaddr *a)
{
    if (a->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
    if (a->sa_family == AF_INET6) {
        static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        return memcmp(((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr, one, 16) == 0;
    }
    return 0;
}

static curl_socket_t opensocket_cb(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    req *r = ud;
    if (purpose == CURLSOCKTYPE_IPCXN && http_address_is_private(&a->addr) &&
        !(r->e->o.allow_loopback && is_loopback(&a->addr))) {
        r->private_hit = 1;
        const void *src = a->family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)&a->addr)->sin6_addr
                                                : (const void *)&((struct sockaddr_in *)&a->addr)->sin_addr;
        if ((a->family != AF_INET && a->family != AF_INET6) ||
            !inet_ntop(a->family, src, r->private_addr, sizeof r->private_addr))
            snprintf(r->private_addr, sizeof r->private_addr, "family %d", a->family);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

/* ---- starting and finishing ------------------------------------------------- */

static void start_transfer(http_engine *e, req *r, double now)
{
    CURL *c = curl_easy_init();
    if (!c) {
        fprintf(stderr, "libcurl: curl_easy_init failed\n");
        abort();
    }
    r->easy = c;
    r->attempts++;
    e->st.attempts++;
    if (!r->first_start)
        r->first_start = now;
    r->attempt_start = now;
    /* the schedule as the engine keeps it (its own clock): tests of
     * politeness read these lines instead of timing the server */
    cc_log(CC_LOG_DEBUG, "http: start t=%.6f host=%s attempt=%d %s", now, r->h->name, r->attempts, r->wire);
    ccbuf_reset(&r->body);
    r->headers_checked = r->too_large = r->private_hit = 0;
    r->status_seen = 0;
    r->optout_reason = NULL;
    r->errbuf[0] = 0;
    r->private_addr[0] = 0;

    curl_easy_setopt(c, CURLOPT_URL, r->wire);
    curl_easy_setopt(c, CURLOPT_PRIVATE, r);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(c, CURLOPT_SHARE, e->share);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, r->no_follow ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)e->o.max_redirects);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(e->o.connect_timeout * 1000));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(e->o.timeout * 1000));
    /* A Content-Length beyond the cap is refused before the body comes. */
    if (r->max_bytes && !r->keep_prefix)
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_bytes);
    if (e->resolve)
        curl_easy_setopt(c, CURLOPT_RESOLVE, e->resolve);
    if (e->o.low_speed_limit > 0) {
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, e->o.low_speed_limit);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, e->o.low_speed_time);
    }
    curl_easy_setopt(c, CURLOPT_USERAGENT, e->ua);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* no environment proxies */
    curl_easy_setopt(c, CURLOPT_AUTOREFERER, 1L);
    if (!e->o.allow_private) {
        curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
        curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, r);
    }
    if (e->o.verbose)
        curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);

    r->anext = e->active_head;
    r->aprev = NULL;
    if (e->active_head)
        e->active_head->aprev = r;
    e->active_head = r;
    r->is_active = 1;
    e->active++;
    r->h->active++;
    CURLMcode mc = curl_multi_add_handle(e->multi, c);
    if (mc != CURLM_OK) {
        fprintf(stderr, "libcurl: curl_multi_add_handle: %s\n", curl_multi_strerror(mc));
        abort();
    }
}

static void active_remove(http_engine *e, req *r)
{
    if (r->aprev)
        r->aprev->anext = r->anext;
    else
        e->active_head = r->anext;
    if (r->anext)
        r->anext->aprev = r->aprev;
    r->aprev = r->anext = NULL;
    r->is_active = 0;
    e->active--;
    r->h->active--;
}

/* Moves due retries back to the front of their host's queue, then starts
 * transfers round robin over hosts while the limits allow. *wake gets the
 * earliest time something blocked on time could start. */
static void schedule(http_engine *e, double now, double *wake)
{
    *wake = INFINITY;
    while (e->heap_len && e->heap[0]->not_before <= now) {
        req *r = heap_pop(e);
        host_enqueue(e, r->h, r, 1);
    }
    if (e->heap_len)
        *wake = e->heap[0]->not_before;

    if (e->held)
        return; /* backpressure: in-flight transfers go on, nothing new starts */
    int progress = 1;
    while (progress && e->active < e->o.max_concurrency && e->ready_head) {
        progress = 0;
        host *h = e->ready_head;
        host *stop = e->ready_tail; /* one pass: each host at most once */
        for (;;) {
            host *next = h->rnext;
            int last = (h == stop);
            if (e->active >= e->o.max_concurrency)
                break;
            double t = h->next_start > h->backoff_until ? h->next_start : h->backoff_until;
            if (e->o.host_concurrency && h->active >= e->o.host_concurrency) {
                /* waits for a completion */
            } else if (t > now) {
                if (t < *wake)
                    *wake = t;
            } else {
                req *r = h->qhead;
                h->qhead = r->qnext;
                if (!h->qhead)
                    h->qtail = NULL;
                r->qnext = NULL;
                h->next_start = now + (h->delay >= 0 ? h->delay : e->o.host_delay);
                start_transfer(e, r, now);
                progress = 1;
                ready_remove(e, h);
                if (h->qhead)
                    ready_add(e, h); /* to the tail: round robin */
            }
            if (last || !next)
                break;
            h = next;
        }
    }
    /* Hosts still waiting on a delay need a wake-up even when the pass stopped early. */
    if (e->active < e->o.max_concurrency)
        for (host *h = e->ready_head; h; h = h->rnext) {
            double t = h->next_start > h->backoff_until ? h->next_start : h->backoff_until;
            if (t > now && t < *wake && !(e->o.host_concurrency && h->active >= e->o.host_concurrency))
                *wake = t;
        }
}

static int is_transient(CURLcode rc, long status, int private_hit)
{
    if (rc == CURLE_OK)
        return status >= 500 || status == 429 || status == 408;
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        return !private_hit;
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static void classify(http_engine *e, req *r, CURLcode rc, long status, http_outcome *out, const char **reason,
                     char *reasonbuf, size_t rblen)
{
    if (r->optout_reason) {
        *out = HTTP_OUT_OPTOUT;
        *reason = r->optout_reason;
        snprintf(r->errbuf, sizeof r->errbuf, "X-Robots-Tag: %s", r->optout_reason);
        return;
    }
    if (r->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        *out = HTTP_OUT_TOO_LARGE;
        *reason = "too_large";
        snprintf(r->errbuf, sizeof r->errbuf, "body larger than %zu bytes (decoded)", r->max_bytes);
        return;
    }
    switch (rc) {
    case CURLE_OK:
        if (status >= 200 && status <= 299) {
            *out = HTTP_OUT_OK;
            *reason = "ok";
        } else if (status > 0) {
            *out = HTTP_OUT_HTTP_ERROR;
            snprintf(reasonbuf, rblen, "http_%03ld", status);
            *reason = reasonbuf;
            snprintf(r->errbuf, sizeof r->errbuf, "HTTP status %ld", status);
        } else {
            *out = HTTP_OUT_OTHER;
            *reason = "other";
            snprintf(r->errbuf, sizeof r->errbuf, "no HTTP status");
        }
        return;
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t ct = 0, pt = 0; /* a reused connection has ct == 0 but pt > 0 */
        curl_easy_getinfo(r->easy, CURLINFO_CONNECT_TIME_T, &ct);
        curl_easy_getinfo(r->easy, CURLINFO_PRETRANSFER_TIME_T, &pt);
        *out = HTTP_OUT_TIMEOUT;
        /* libcurl reports all three as CURLE_OPERATION_TIMEDOUT; its message
         * ("Operation too slow. Less than N bytes/sec ...") tells them apart */
        if (e->o.low_speed_limit > 0 && strstr(r->errbuf, "too slow"))
            *reason = "low_speed";
        else if (ct == 0 && pt == 0)
            *reason = "connect_timeout";
        else
            *reason = "timeout";
        return;
    }
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        *out = HTTP_OUT_DNS;
        *reason = "dns";
        return;
    case CURLE_COULDNT_CONNECT:
        if (r->private_hit) {
            *out = HTTP_OUT_PRIVATE_ADDRESS;
            *reason = "private_address";
            snprintf(r->errbuf, sizeof r->errbuf, "refused to connect to private address %s", r->private_addr);
        } else {
            *out = HTTP_OUT_CONNECT;
            *reason = "connect";
        }
        return;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
        *out = HTTP_OUT_CONNECT;
        *reason = "tls";
        return;
    case CURLE_GOT_NOTHING:
        *out = HTTP_OUT_CONNECT;
        *reason = "empty_reply";
        return;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR: {
        /* A server that closes without answering may reach us as a FIN
         * (GOT_NOTHING) or a reset, depending on what else is in flight
         * and on unread request bytes: both are one fault, an empty reply. */
        long hsize = 0;
        curl_easy_getinfo(r->easy, CURLINFO_HEADER_SIZE, &hsize);
        if (rc == CURLE_RECV_ERROR && (strstr(r->errbuf, "chunk") || strstr(r->errbuf, "header"))) {
            /* libcurl's "Illegal or missing hexadecimal sequence in chunked-
             * encoding" and "Too large response headers": the bytes are not HTTP */
            *out = HTTP_OUT_BAD_RESPONSE;
            *reason = "bad_response";
            return;
        }
        *out = HTTP_OUT_CONNECT;
        *reason = hsize == 0 && r->body.len == 0 && status == 0 ? "empty_reply" : "connection_reset";
        return;
    }
    case CURLE_OUT_OF_MEMORY:
        /* what libcurl 7.88 returns for one header line over 100 KB */
        *out = HTTP_OUT_BAD_RESPONSE;
        *reason = "bad_response";
        snprintf(r->errbuf, sizeof r->errbuf, "response header line too long (libcurl: out of memory)");
        return;
    case CURLE_UNSUPPORTED_PROTOCOL:
        /* Both "redirect to gopher://" and "Received HTTP/0.9" land here; only
         * the first follows a 3xx response. */
        if (status >= 300 && status <= 399) {
            *out = HTTP_OUT_REFUSED_SCHEME;
            *reason = "refused_scheme";
        } else {
            *out = HTTP_OUT_BAD_RESPONSE;
            *reason = "bad_response";
        }
        return;
    case CURLE_WEIRD_SERVER_REPLY:
        *out = HTTP_OUT_BAD_RESPONSE;
        *reason = "bad_response";
        return;
    case CURLE_TOO_MANY_REDIRECTS:
        *out = HTTP_OUT_TOO_MANY_REDIRECTS;
        *reason = "too_many_redirects";
        return;
    case CURLE_URL_MALFORMAT:
        *out = HTTP_OUT_BAD_URL;
        *reason = "bad_url";
        return;
    case CURLE_PARTIAL_FILE:
        *out = HTTP_OUT_OTHER;
        *reason = "partial";
        return;
    case CURLE_BAD_CONTENT_ENCODING:
        *out = HTTP_OUT_OTHER;
        *reason = "bad_encoding";
        return;
    default:
        *out = HTTP_OUT_OTHER;
        *reason = "other";
        return;
    }
}

static void deliver(http_engine *e, req *r, http_outcome out, const char *reason, CURLcode rc, long status)
{
    http_result res;
    memset(&res, 0, sizeof res);
    ccbuf xr = {0}, ra = {0}, tdm = {0};
    char *eff = NULL, *ct = NULL, *ip = NULL, *redir = NULL;
    long redirects = 0;
    curl_off_t clen = -1;
    if (r->easy) {
        curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
        curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
        curl_easy_getinfo(r->easy, CURLINFO_PRIMARY_IP, &ip);
        curl_easy_getinfo(r->easy, CURLINFO_REDIRECT_COUNT, &redirects);
        curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
        if (r->no_follow && status >= 300 && status <= 399)
            curl_easy_getinfo(r->easy, CURLINFO_REDIRECT_URL, &redir);
        collect_header(r->easy, "X-Robots-Tag", &xr, "\n");
        collect_header(r->easy, "Retry-After", &ra, NULL);
        collect_header(r->easy, "tdm-reservation", &tdm, NULL);
    }
    if (out != HTTP_OUT_OK && out != HTTP_OUT_HTTP_ERROR && !(out == HTTP_OUT_TOO_LARGE && r->keep_prefix))
        ccbuf_free(&r->body);
    if (!r->errbuf[0] && rc != CURLE_OK)
        snprintf(r->errbuf, sizeof r->errbuf, "%s", curl_easy_strerror(rc));
    /* errbuf may end in a newline */
    size_t el = strlen(r->errbuf);
    while (el && (r->errbuf[el - 1] == '\n' || r->errbuf[el - 1] == '\r'))
        r->errbuf[--el] = 0;

    res.url = r->url;
    res.final_url = eff && *eff ? eff : r->url;
    res.status = status;
    res.content_type = ct ? ct : "";
    res.body = r->body;
    res.outcome = out;
    res.reason = reason;
    res.errmsg = r->errbuf;
    res.attempts = r->attempts;
    res.redirects = (int)redirects;
    res.elapsed = cc_now() - (r->first_start ? r->first_start : r->submitted);
    res.started = r->attempt_start;
    res.x_robots_tag = xr.len ? (const char *)xr.data : "";
    res.retry_after = ra.len ? (const char *)ra.data : "";
    res.tdm_reservation = tdm.len ? (const char *)tdm.data : "";
    res.content_length = clen;
    res.remote_ip = ip ? ip : "";
    res.redirect_url = redir ? redir : "";
    e->st.bytes += r->body.len;
    memset(&r->body, 0, sizeof r->body); /* now owned by res */

    e->pending--;
    e->st.completed++;
    if (r->h) {
        r->h->refs--;
    }
    e->o.on_done(&res, e->o.ctx, r->user);
    ccbuf_free(&res.body);
    ccbuf_free(&xr);
    ccbuf_free(&ra);
    ccbuf_free(&tdm);
    req_free(r);
}

static int finish_transfer(http_engine *e, req *r, CURLcode rc)
{
    double now = cc_now();
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(e->multi, r->easy);
    active_remove(e, r);
    if (rc == CURLE_OK && !r->headers_checked)
        check_optout(r); /* empty body: the write callback never ran */

    http_outcome out;
    const char *reason;
    char reasonbuf[32];
    classify(e, r, rc, status, &out, &reason, reasonbuf, sizeof reasonbuf);

    int transient = !r->optout_reason && !r->too_large && is_transient(rc, status, r->private_hit);
    if (transient && r->attempts <= r->retries) {
        double delay = e->o.retry_base * pow(2.0, r->attempts - 1) * (0.75 + 0.5 * rand01(e));
        if (rc == CURLE_OK && (status == 429 || status == 503)) {
            ccbuf ra = {0};
            collect_header(r->easy, "Retry-After", &ra, NULL);
            double s = ra.len ? http_parse_retry_after((const char *)ra.data) : -1;
            ccbuf_free(&ra);
            double hb = s >= 0 ? s : delay;
            if (hb > e->o.retry_after_cap)
                hb = e->o.retry_after_cap;
            if (now + hb > r->h->backoff_until)
                r->h->backoff_until = now + hb;
            delay = hb;
        }
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        ccbuf_free(&r->body);
        r->not_before = now + delay;
        if (r->h->backoff_until > r->not_before)
            r->not_before = r->h->backoff_until;
        e->st.retries++;
        heap_push(e, r);
        return 0;
    }
    deliver(e, r, out, reason, rc, status);
    return 1;
}

static int deliver_immediate(http_engine *e)
{
    int n = 0;
    while (e->done_head) {
        req *r = e->done_head;
        e->done_head = r->qnext;
        if (!e->done_head)
            e->done_tail = NULL;
        deliver(e, r, r->immediate, r->immediate_reason, CURLE_OK, 0);
        n++;
    }
    return n;
}

int http_run(http_engine *e, int timeout_ms)
{
    double start = cc_now();
    double deadline = start + (timeout_ms > 0 ? timeout_ms : 0) / 1000.0;
    int delivered = 0;
    for (;;) {
        delivered += deliver_immediate(e);
        if (delivered || atomic_exchange(&e->woken, 0))
            break;
        if (e->pending == 0) {
            /* nothing to drive: wait (the caller may be waiting on other
             * work that calls http_wakeup() when it is done) */
            int wait_ms = (int)ceil((deadline - cc_now()) * 1000.0);
            if (wait_ms > 0)
                curl_multi_poll(e->multi, NULL, 0, wait_ms, NULL);
            atomic_store(&e->woken, 0);
            break;
        }
        double now = cc_now(), wake;
        schedule(e, now, &wake);
        int running = 0;
        curl_multi_perform(e->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(e->multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            req *r = NULL;
            CURLcode rc = m->data.result;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            delivered += finish_transfer(e, r, rc);
        }
        if (delivered) {
            /* fill the slots just freed before handing control back */
            schedule(e, cc_now(), &wake);
            break;
        }
        now = cc_now();
        if (now >= deadline)
            break;
        double until = deadline;
        if (wake < until)
            until = wake;
        int wait_ms = (int)ceil((until - now) * 1000.0);
        if (wait_ms < 1)
            wait_ms = 1;
        curl_multi_poll(e->multi, NULL, 0, wait_ms, NULL);
    }
    double now = cc_now();
    if (now - e->last_gc > GC_INTERVAL) {
        hosts_gc(e, now);
        e->last_gc = now;
    }
    return delivered;
}

void http_hold(http_engine *e, int hold)
{
    e->held = hold != 0;
}

void http_wakeup(http_engine *e)
{
    atomic_store(&e->woken, 1);
    curl_multi_wakeup(e->multi);
}

void http_drain(http_engine *e)
{
    while (e->pending)
        http_run(e, 1000);
}
