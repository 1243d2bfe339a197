/* pool.c — a fixed thread pool with a bounded FIFO job queue. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

typedef struct {
    cc_job_fn fn;
    void *arg;
} job;

struct cc_pool {
    pthread_mutex_t mu;
    pthread_cond_t has_job, has_room, idle;
    job *ring;
    int cap, head, count;
    int running;   /* jobs being executed right now */
    int stopping;
    int nthreads;
    pthread_t *threads;
};

static void *worker(void *arg)
{
    cc_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->count == 0 && !p->stopping)
            pthread_cond_wait(&p->has_job, &p->mu);
        if (p->count == 0 && p->stopping)
            break;
        job j = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->count--;
        p->running++;
        pthread_cond_signal(&p->has_room);
        pthread_mutex_unlock(&p->mu);
        j.fn(j.arg);
        pthread_mutex_lock(&p->mu);
        p->running--;
        if (p->count == 0 && p->running == 0)
            pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

cc_pool *cc_pool_new(int threads, int max_queued)
{
    cc_pool *p = xcalloc(1, sizeof *p);
    if (threads < 1)
        threads = 1;
    if (max_queued < 1)
        max_queued = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->has_job, NULL);
    pthread_cond_init(&p->has_room, NULL);
    pthread_cond_init(&p->idle, NULL);
    p->cap = max_queued;
    p->ring = xcalloc((size_t)max_queued, sizeof *p->ring);
    p->nthreads = threads;
    p->threads = xcalloc((size_t)threads, sizeof *p->threads);
    for (int i = 0; i < threads; i++)
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            fprintf(stderr, "clipcrawl: cannot start a worker thread\n");
            abort();
        }
    return p;
}

void cc_pool_submit(cc_pool *p, cc_job_fn fn, void *arg)
{
    pthread_mutex_lock(&p->mu);
    while (p->count == p->cap)
        pthread_cond_wait(&p->has_room, &p->mu);
    p->ring[(p->head + p->count) % p->cap] = (job){fn, arg};
    p->count++;
    pthread_cond_signal(&p->has_job);
    pthread_mutex_unlock(&p->mu);
}

void cc_pool_submit_nowait(cc_pool *p, cc_job_fn fn, void *arg)
{
    pthread_mutex_lock(&p->mu);
    if (p->count == p->cap) {
        /* grow the ring, unrolling it so head is 0 */
        int ncap = p->cap * 2;
        job *r = xcalloc((size_t)ncap, sizeof *r);
        for (int i = 0; i < p->count; i++)
            r[i] = p->ring[(p->head + i) % p->cap];
        free(p->ring);
        p->ring = r;
        p->cap = ncap;
        p->head = 0;
    }
    p->ring[(p->head + p->count) % p->cap] = (job){fn, arg};
    p->count++;
    pthread_cond_signal(&p->has_job);
    pthread_mutex_unlock(&p->mu);
}

int cc_pool_queued(cc_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->count;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void cc_pool_wait(cc_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->count > 0 || p->running > 0)
        pthread_cond_wait(&p->idle, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void cc_pool_free(cc_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->has_job);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->has_job);
    pthread_cond_destroy(&p->has_room);
    pthread_cond_destroy(&p->idle);
    free(p->ring);
    free(p->threads);
    free(p);
}

int cc_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
