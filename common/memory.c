/* memory.c — allocation that aborts on failure, so callers never check; the
 * malloc thresholds of a caption-judging process (cc_malloc_tune). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "common.h"

static void out_of_memory(size_t n)
{
    fprintf(stderr, "clipcrawl: out of memory (asked for %zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p)
        out_of_memory(count * n);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = NULL;
    int n = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory(0);
    return p;
}

/* glibc's malloc gives the top of its heap back to the kernel (brk) whenever
 * more than 128 KiB lie free there, until a large block freed raises that
 * threshold. The caption filter's language detector (CLD2) allocates and
 * frees about 60 KiB of scratch per caption at the heap's top, so a run
 * that judges captions and frees no large block first (check-caption,
 * refilter, the first rows of a fetch) shrank and regrew the heap for every
 * caption: two thirds of check-caption's time went to brk and page faults
 * (bench/README.md, "captions"). The values set here are the ones glibc's
 * own rule reaches after one large free (mmap threshold at its 32 MiB
 * ceiling, trim threshold twice that), from the start. Process-wide: the
 * programs call it (cli/main.c, the caption evaluation test), never a
 * library function. */
void cc_malloc_tune(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}
