/* partition.c — see partition.h. */
#include "partition.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "url.h"

#define PART_MAX 65536

uint64_t part_host_hash(const char *host)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *s = (const unsigned char *)(host ? host : ""); *s; s++) {
        h ^= *s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

int part_owns_url(const cc_part *p, const char *url)
{
    if (!p || p->count <= 1)
        return 1;
    char *host = url ? url_host(url) : NULL;
    int owner = host ? (int)(part_host_hash(host) % (uint64_t)p->count) : 0;
    free(host);
    return owner == p->index;
}

const char *part_format(const cc_part *p, char *buf, size_t len)
{
    if (!p || p->count == 0)
        snprintf(buf, len, "%s", "");
    else
        snprintf(buf, len, "%d/%d", p->index, p->count);
    return buf;
}

/* Strict non-negative decimal; -1 when s is not one. */
static long parse_nat(const char *s)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || s[0] == '-' || s[0] == '+' || s[0] == ' ')
        return -1;
    return v;
}

static int from_env(int count_flag, part_getenv_fn get, void *ctx, cc_part *out,
                    char *err, size_t errlen)
{
    long idx = -1, count = -1;
    const char *v, *s;
    if ((v = get("SLURM_ARRAY_TASK_ID", ctx))) {
        idx = parse_nat(v);
        if ((s = get("SLURM_ARRAY_TASK_COUNT", ctx)))
            count = parse_nat(s);
    } else if ((v = get("JOB_COMPLETION_INDEX", ctx))) {
        idx = parse_nat(v);
    } else if ((v = get("SGE_TASK_ID", ctx)) && strcmp(v, "undefined") != 0) {
        /* SGE numbers tasks from 1 (qsub -t 1-N). */
        idx = parse_nat(v);
        idx = idx >= 1 ? idx - 1 : -1;
        const char *first = get("SGE_TASK_FIRST", ctx), *step = get("SGE_TASK_STEPSIZE", ctx);
        if ((s = get("SGE_TASK_LAST", ctx)) && (!first || parse_nat(first) == 1) &&
            (!step || parse_nat(step) == 1))
            count = parse_nat(s);
    } else if ((v = get("PBS_ARRAY_INDEX", ctx))) {
        idx = parse_nat(v);
    } else {
        cc_seterr(err, errlen, "--part auto: no array index in the environment "
                  "(SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, SGE_TASK_ID or PBS_ARRAY_INDEX)");
        return -1;
    }
    if (idx < 0) {
        cc_seterr(err, errlen, "--part auto: the array index '%s' is not a usable number", v);
        return -1;
    }
    if (count_flag > 0)
        count = count_flag;
    if (count <= 0) {
        cc_seterr(err, errlen, "--part auto: the scheduler gives no task count; add --part-count N");
        return -1;
    }
    if (count > PART_MAX || idx >= count) {
        cc_seterr(err, errlen, "--part auto: index %ld is not below the part count %ld "
                  "(number the array 0..N-1, or give --part-count N)", idx, count);
        return -1;
    }
    out->index = (int)idx;
    out->count = (int)count;
    return 0;
}

int part_parse(const char *spec, int count_flag, part_getenv_fn get, void *ctx,
               cc_part *out, char *err, size_t errlen)
{
    out->index = 0;
    out->count = 0;
    if (!spec) {
        if (count_flag > 0) {
            cc_seterr(err, errlen, "--part-count needs --part auto");
            return -1;
        }
        return 0;
    }
    if (strcmp(spec, "auto") == 0)
        return from_env(count_flag, get, ctx, out, err, errlen);
    if (count_flag > 0) {
        cc_seterr(err, errlen, "--part-count goes with --part auto, not --part %s", spec);
        return -1;
    }
    const char *slash = strchr(spec, '/');
    char ibuf[32];
    size_t n = slash ? (size_t)(slash - spec) : 0;
    if (!slash || n == 0 || n >= sizeof ibuf) {
        cc_seterr(err, errlen, "--part '%s': expected I/N (e.g. 0/4) or auto", spec);
        return -1;
    }
    memcpy(ibuf, spec, n);
    ibuf[n] = 0;
    long i = parse_nat(ibuf), c = parse_nat(slash + 1);
    if (i < 0 || c <= 0 || c > PART_MAX || i >= c) {
        cc_seterr(err, errlen, "--part '%s': expected I/N with 0 <= I < N <= %d", spec, PART_MAX);
        return -1;
    }
    out->index = (int)i;
    out->count = (int)c;
    return 0;
}

char *part_success_path(const char *dir)
{
    size_t n = strlen(dir) + sizeof "/_SUCCESS";
    char *p = malloc(n);
    if (!p)
        abort();
    snprintf(p, n, "%s/_SUCCESS", dir);
    return p;
}

int part_has_success(const char *dir)
{
    char *p = part_success_path(dir);
    int ok = access(p, F_OK) == 0;
    free(p);
    return ok;
}

int part_clear_success(const char *dir, char *err, size_t errlen)
{
    char *p = part_success_path(dir);
    int rc = 0;
    if (unlink(p) != 0 && errno != ENOENT) {
        cc_seterr(err, errlen, "%s: %s", p, strerror(errno));
        rc = -1;
    }
    free(p);
    return rc;
}

int part_write_success(const char *dir, const char *json, char *err, size_t errlen)
{
    char *final = part_success_path(dir);
    size_t n = strlen(final) + 5;
    char *tmp = malloc(n);
    if (!tmp)
        abort();
    snprintf(tmp, n, "%s.tmp", final);
    int rc = -1, fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        cc_seterr(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    size_t len = strlen(json);
    const char *p = json;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            cc_seterr(err, errlen, "%s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            goto out;
        }
        p += w;
        len -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        cc_seterr(err, errlen, "%s: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, final) != 0) {
        cc_seterr(err, errlen, "%s: %s", final, strerror(errno));
        unlink(tmp);
        goto out;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = 0;
out:
    free(tmp);
    free(final);
    return rc;
}

int part_finish_run(const char *dir, const char *command, const cc_part *p, int completed,
                    const char *counts_json, char *err, size_t errlen)
{
    if (!completed)
        return 0;
    char part[32];
    char *json = xasprintf("{\"command\":\"%s\",\"part\":\"%s\",\"finished_at\":%.3f,\"counts\":%s}\n",
                           command, part_format(p, part, sizeof part), cc_wallclock(),
                           counts_json && *counts_json ? counts_json : "{}");
    int rc = part_write_success(dir, json, err, errlen);
    free(json);
    return rc;
}

void part_shard_numbering(const cc_part *p, int *shard_base, int *shard_stride)
{
    if (p && p->count > 1) {
        *shard_base = p->index;
        *shard_stride = p->count;
    } else {
        *shard_base = 0;
        *shard_stride = 1;
    }
}
