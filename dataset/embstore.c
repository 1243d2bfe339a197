/* embstore.c — exact search over the embedding files (see embstore.h). */
#include "embstore.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "embfile.h"
#include "embint8.h"
#include "half.h"

#define BLOCK_BYTES (256 * 1024) /* one pread; stays in L2 while it is scored */
#define HUGE_BYTES (2u << 20)
#define EXTRA_CANDIDATES 1024    /* int8 pass: rows kept beyond k for rescoring */

/* One file of rows: the F16 file or the int8 copy. */
typedef struct {
    int fd;
    char *path;
    uint64_t stride;            /* bytes per row */
    void *map;                  /* the mapping when mapped, else NULL */
    size_t map_len;
    const unsigned char *rows;  /* first row in the mapping */
} rowfile;

struct emb_store {
    rowfile f16, i8;           /* i8.fd < 0: no usable int8 copy */
    uint64_t count;
    int dim, flags;
    unsigned searches;
    emb_dot_fn dot;
};

/* pread until n bytes or an error: 0 / errno (EIO for a short file). */
static int read_full(int fd, void *buf, size_t n, uint64_t off)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? errno : EIO;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* Maps the whole file read-only at a 2 MiB-aligned address with
 * MADV_HUGEPAGE: where the page cache holds 2 MiB folios the kernel maps
 * them with one entry each instead of 512. 0 / -1 (errno set). */
static int map_file(rowfile *f)
{
    struct stat sb;
    if (fstat(f->fd, &sb) != 0)
        return -1;
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t len = (size_t)sb.st_size, span = (len + page - 1) / page * page;
    /* reserve 2 MiB more than needed, map the file at the aligned address
     * inside, give back the rest */
    unsigned char *res = mmap(NULL, span + HUGE_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (res == MAP_FAILED)
        return -1;
    unsigned char *at = (unsigned char *)(((uintptr_t)res + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
    void *p = mmap(at, len, PROT_READ, MAP_SHARED | MAP_FIXED, f->fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        munmap(res, span + HUGE_BYTES);
        errno = e;
        return -1;
    }
    if (at > res)
        munmap(res, (size_t)(at - res));
    if (at + span < res + span + HUGE_BYTES)
        munmap(at + span, (size_t)(res + span + HUGE_BYTES - (at + span)));
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);
#endif
    f->map = p;
    f->map_len = len;
    f->rows = (const unsigned char *)p + EMBFILE_HEADER;
    return 0;
}

static void unmap_file(rowfile *f)
{
    if (f->map)
        munmap(f->map, f->map_len);
    f->map = NULL;
    f->rows = NULL;
}

/* kB of files this process maps with 2 MiB entries (FilePmdMapped in
 * /proc/self/smaps_rollup); -1 when the kernel does not say. */
static long file_pmd_kb(void)
{
    char buf[4096];
    int fd = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    const char *p = strstr(buf, "FilePmdMapped:");
    return p ? strtol(p + 14, NULL, 10) : -1;
}

/* Maps f for a one-shot search only when that is cheap: the first byte of
 * PROBES 2 MiB regions spread over the file is touched, and if the kernel
 * mapped every one of them with a single 2 MiB entry (the page cache holds
 * the file in large folios: see i8_rewrite in embfile.c) the rest almost
 * surely is too, so mapping costs a few hundred faults instead of one per
 * 4 KiB. Otherwise (4 KiB folios, or a cache partly evicted and re-read
 * since) the file is unmapped and the pass streams it. 1 when mapped. */
#define PROBES 16
static int map_if_huge(rowfile *f)
{
    long before = file_pmd_kb();
    if (before < 0 || map_file(f) != 0)
        return 0;
    const size_t regions = f->map_len / HUGE_BYTES;
    if (regions > 0) {
        const size_t probes = regions < PROBES ? regions : PROBES;
        for (size_t i = 0; i < probes; i++) {
            volatile const unsigned char *p = (const unsigned char *)f->map + (i * regions / probes) * HUGE_BYTES;
            (void)*p;
        }
        if (file_pmd_kb() - before >= (long)(probes * (HUGE_BYTES >> 10)))
            return 1;
    }
    unmap_file(f);
    return 0;
}

static void rowfile_close(rowfile *f)
{
    if (f->map)
        munmap(f->map, f->map_len);
    if (f->fd >= 0)
        close(f->fd);
    free(f->path);
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

emb_store *emb_store_open(const char *f16_path, int dim, uint64_t valid_rows, int flags, char *err, size_t errlen)
{
    int d = 0;
    int fd = embfile_open_read(f16_path, dim, valid_rows, &d, err, errlen);
    if (fd < 0)
        return NULL;
    emb_store *s = xcalloc(1, sizeof *s);
    s->f16 = (rowfile){.fd = fd, .path = xstrdup(f16_path), .stride = (uint64_t)d * 2};
    s->i8.fd = -1;
    s->count = valid_rows;
    s->dim = d;
    s->flags = flags;
    s->dot = emb_dot_kernel();
    if (!(flags & EMB_STORE_NO_INT8)) {
        int fd8 = embfile_open_i8(f16_path, d, valid_rows);
        if (fd8 >= 0)
            s->i8 = (rowfile){.fd = fd8, .path = embfile_i8_path(f16_path), .stride = embi8_stride(d)};
    }
    return s;
}

void emb_store_close(emb_store *s)
{
    if (!s)
        return;
    rowfile_close(&s->f16);
    rowfile_close(&s->i8);
    free(s);
}

uint64_t emb_store_count(const emb_store *s) { return s->count; }
int emb_store_dim(const emb_store *s) { return s->dim; }
int emb_store_has_int8(const emb_store *s) { return s->i8.fd >= 0; }

int emb_store_row(emb_store *s, uint64_t r, float *out, char *err, size_t errlen)
{
    unsigned char *b = xmalloc(s->f16.stride);
    int e = r < s->count ? read_full(s->f16.fd, b, s->f16.stride, EMBFILE_HEADER + r * s->f16.stride) : ERANGE;
    if (e == 0)
        for (int i = 0; i < s->dim; i++)
            out[i] = cc_f16_to_f32((uint16_t)(b[2 * i] | b[2 * i + 1] << 8));
    else
        cc_seterr(err, errlen, "%s: row %llu: %s", s->f16.path, (unsigned long long)r, strerror(e));
    free(b);
    return e ? -1 : 0;
}

/* ---- one pass over a file, on threads -------------------------------------------- */

/* The read buffers of one pass, for all its threads: one 2 MiB-aligned
 * region with MADV_HUGEPAGE, so filling it costs one page fault rather than
 * one per 4 KiB (faults are what a one-shot search pays most for in a VM). */
typedef struct {
    void *res;
    size_t res_len;
    unsigned char *at;
} blockbuf;

static int blockbuf_alloc(blockbuf *b, size_t len)
{
    size_t span = (len + HUGE_BYTES - 1) / HUGE_BYTES * HUGE_BYTES;
    b->res_len = span + HUGE_BYTES;
    b->res = mmap(NULL, b->res_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b->res == MAP_FAILED)
        return -1;
    b->at = (unsigned char *)(((uintptr_t)b->res + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
#ifdef MADV_HUGEPAGE
    madvise(b->at, span, MADV_HUGEPAGE);
#endif
    return 0;
}

static void blockbuf_free(blockbuf *b)
{
    if (b->res && b->res != MAP_FAILED)
        munmap(b->res, b->res_len);
}

typedef struct {
    const rowfile *f;
    unsigned char *buf;          /* BLOCK_BYTES of the pass's blockbuf (streamed passes) */
    int dim;
    uint64_t lo, hi;             /* rows [lo, hi) */
    const uint8_t *allow;
    emb_dot_fn dot;              /* the F16 pass */
    const float *q;
    const embi8_query *q8;       /* the int8 pass */
    emb_topk top;
    uint64_t seen;               /* allowed rows scored */
    int err;                     /* errno of a failed read */
} part;

/* 1 when no row of [r, r + n) is allowed. */
static int none_allowed(const uint8_t *allow, uint64_t r, uint64_t n)
{
    for (uint64_t i = r; i < r + n;) {
        if ((i & 7) == 0 && i + 8 <= r + n) {
            if (allow[i >> 3])
                return 0;
            i += 8;
        } else {
            if (allow[i >> 3] & (1u << (i & 7)))
                return 0;
            i++;
        }
    }
    return 1;
}

static void *run_part(void *arg)
{
    part *p = arg;
    const uint64_t stride = p->f->stride;
    uint64_t per = BLOCK_BYTES / stride;
    if (per < 1)
        per = 1;
    unsigned char *buf = p->buf;
    for (uint64_t r = p->lo; r < p->hi; r += per) {
        uint64_t n = p->hi - r < per ? p->hi - r : per;
        if (p->allow && none_allowed(p->allow, r, n))
            continue;
        const unsigned char *rows;
        if (p->f->map) {
            rows = p->f->rows + r * stride;
        } else {
            if ((p->err = read_full(p->f->fd, buf, n * stride, EMBFILE_HEADER + r * stride)) != 0)
                break;
            rows = buf;
        }
        for (uint64_t i = 0; i < n; i++) {
            uint64_t row = r + i;
            if (p->allow && !(p->allow[row >> 3] & (1u << (row & 7))))
                continue;
            const unsigned char *x = rows + i * stride;
            float sc = p->q8 ? embi8_bound(p->q8, x) : p->dot((const uint16_t *)x, p->q, p->dim);
            p->seen++;
            if (!emb_topk_rejects(&p->top, row, sc))
                emb_topk_push(&p->top, row, sc);
        }
    }
    return NULL;
}

/* The keep best (row, score) of one pass into *top (sorted best first);
 * *seen = allowed rows scored. 0 / -1 with err set. */
static int pass(emb_store *s, const rowfile *f, const float *q, const embi8_query *q8, const uint8_t *allow,
                size_t keep, int threads, emb_topk *top, uint64_t *seen, char *err, size_t errlen)
{
    uint64_t n = s->count;
    if (threads < 1)
        threads = 1;
    if ((uint64_t)threads > n / 4096 + 1) /* small inputs: threads cost more than they save */
        threads = (int)(n / 4096 + 1);
    part *ps = xcalloc((size_t)threads, sizeof *ps);
    pthread_t *tid = xcalloc((size_t)threads, sizeof *tid);
    char *started = xcalloc((size_t)threads, 1);
    const uint64_t block = (BLOCK_BYTES / f->stride ? BLOCK_BYTES / f->stride : 1) * f->stride;
    blockbuf bb = {0};
    if (!f->map && blockbuf_alloc(&bb, (size_t)block * (size_t)threads) != 0) {
        cc_seterr(err, errlen, "%s: no memory for read buffers: %s", f->path, strerror(errno));
        free(ps), free(tid), free(started);
        return -1;
    }
    for (int t = 0; t < threads; t++) {
        /* split on multiples of 8 rows so no two parts share a bitmap byte */
        uint64_t lo = n * (uint64_t)t / (uint64_t)threads & ~(uint64_t)7;
        uint64_t hi = t + 1 == threads ? n : n * (uint64_t)(t + 1) / (uint64_t)threads & ~(uint64_t)7;
        ps[t] = (part){.f = f, .buf = bb.at ? bb.at + (size_t)t * block : NULL, .dim = s->dim, .lo = lo, .hi = hi, .allow = allow, .dot = s->dot, .q = q, .q8 = q8};
        emb_topk_init(&ps[t].top, keep);
    }
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, run_part, &ps[t]) == 0;
    run_part(&ps[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            run_part(&ps[t]); /* no thread could start: do its part here */
    }
    int rc = 0;
    emb_topk_init(top, keep);
    *seen = 0;
    for (int t = 0; t < threads; t++) {
        if (ps[t].err && rc == 0) {
            cc_seterr(err, errlen, "%s: %s", f->path, strerror(ps[t].err));
            rc = -1;
        }
        for (size_t i = 0; i < ps[t].top.n; i++)
            if (!emb_topk_rejects(top, ps[t].top.h[i].row, ps[t].top.h[i].score))
                emb_topk_push(top, ps[t].top.h[i].row, ps[t].top.h[i].score);
        *seen += ps[t].seen;
        emb_topk_free(&ps[t].top);
    }
    emb_topk_sort(top);
    blockbuf_free(&bb);
    free(ps);
    free(tid);
    free(started);
    return rc;
}

/* ---- the search ------------------------------------------------------------------- */

/* The int8 pass and the rescoring. 1 when the result in *exact is proved,
 * 0 when the F16 pass must run, -1 on a read error. */
static int int8_search(emb_store *s, const float *q, const uint8_t *allow, size_t k, int threads, emb_topk *exact,
                       emb_store_info *info, char *err, size_t errlen)
{
    embi8_query q8;
    embi8_query_init(&q8, q, s->dim);
    emb_topk cand;
    uint64_t seen = 0;
    size_t keep = k + EXTRA_CANDIDATES;
    int rc = pass(s, &s->i8, NULL, &q8, allow, keep, threads, &cand, &seen, err, errlen);
    embi8_query_free(&q8);
    if (rc != 0) {
        emb_topk_free(&cand);
        return -1;
    }
    emb_topk_init(exact, k);
    unsigned char *row = xmalloc(s->f16.stride);
    for (size_t i = 0; i < cand.n && rc == 0; i++) {
        const emb_hit *c = &cand.h[i];
        /* candidates come best bound first: once a bound is below the k-th
         * exact score, neither it nor any later row can enter */
        if (exact->n == k && c->score < emb_topk_worst(exact)->score)
            break;
        int e = read_full(s->f16.fd, row, s->f16.stride, EMBFILE_HEADER + c->row * s->f16.stride);
        if (e) {
            cc_seterr(err, errlen, "%s: %s", s->f16.path, strerror(e));
            rc = -1;
            break;
        }
        info->rescored++;
        float sc = s->dot((const uint16_t *)row, q, s->dim);
        if (!emb_topk_rejects(exact, c->row, sc))
            emb_topk_push(exact, c->row, sc);
    }
    free(row);
    if (rc < 0)
        emb_topk_free(exact);
    if (rc == 0) {
        /* Rows not kept as candidates have bounds no better than the worst
         * kept one; the result is exact when that bound is below the k-th
         * exact score (or when every allowed row was a candidate). */
        int all_kept = seen <= cand.n;
        rc = all_kept || (exact->n == k && cand.n > 0 && cand.h[cand.n - 1].score < emb_topk_worst(exact)->score);
        if (rc == 0)
            emb_topk_free(exact);
    }
    emb_topk_free(&cand);
    return rc;
}

int emb_store_search(emb_store *s, const float *q, const uint8_t *allow, size_t k, int threads, emb_hit *out,
                     size_t *n, emb_store_info *info, char *err, size_t errlen)
{
    emb_store_info scratch;
    if (!info)
        info = &scratch;
    memset(info, 0, sizeof *info);
    *n = 0;
    if (k == 0 || s->count == 0)
        return 0;
    const int use_i8 = s->i8.fd >= 0;
    rowfile *f = use_i8 ? &s->i8 : &s->f16;
    if (!f->map) {
        if (s->searches > 0 || (s->flags & EMB_STORE_MAP)) {
            /* a second search: this caller searches repeatedly, so keep the rows mapped */
            if (map_file(f) != 0)
                cc_log(CC_LOG_DEBUG, "%s: mmap: %s; reading it instead", f->path, strerror(errno));
        } else if (!(s->flags & EMB_STORE_STREAM)) {
            info->huge = map_if_huge(f);
        }
    }
    s->searches++;
    info->mapped = f->map != NULL;
    emb_topk top;
    int r = 0;
    if (use_i8) {
        r = int8_search(s, q, allow, k, threads, &top, info, err, errlen);
        if (r < 0)
            return -1;
        info->int8 = r == 1;
        info->fallback = r == 0;
    }
    if (r == 0) {
        uint64_t seen;
        if (pass(s, &s->f16, q, NULL, allow, k, threads, &top, &seen, err, errlen) != 0) {
            emb_topk_free(&top);
            return -1;
        }
    }
    emb_topk_sort(&top);
    memcpy(out, top.h, top.n * sizeof *out);
    *n = top.n;
    emb_topk_free(&top);
    return 0;
}
